use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::note;
use crate::app::views::NoteView;
use crate::domain::{SubmissionId, UserId};
use crate::submissions::store;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// 1 to 10,000 characters once trimmed.
    #[schema(min_length = 1, max_length = 10_000)]
    body: String,
}

/// Internal notes: for editors only, never emailed, never public.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/notes", tag = "submissions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<NoteView>),
        (status = 404, description = "No such submission: code `not_found`")),
    security(("bearer" = [])))]
pub async fn notes(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::list_under::<_, NoteView>(&state, caller, id.into_inner(), store::notes).await
}

#[utoipa::path(post, path = "/api/v1/submissions/{id}/notes", tag = "submissions", params(("id" = i64, Path)),
    request_body = NewNote,
    responses((status = 201, body = NoteView),
        (status = 404, description = "No such submission: code `not_found`"),
        (status = 422, description = "The body is empty or over 10,000 characters: code `invalid_field`, field `body`")),
    security(("bearer" = [])))]
pub async fn add_note(
    caller: Caller,
    id: web::Path<i64>,
    note: web::Json<NewNote>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = note::checked(&note.into_inner().body)
        .map_err(|err| ApiError::invalid_field("body", err.to_string()))?;
    let id = id.into_inner();
    let row = super::with_submission(&state, caller, id, move |conn| {
        Ok(store::add_note(
            conn,
            SubmissionId(id),
            UserId(caller.user_id()),
            &body,
        )?)
    })
    .await?;
    Ok(HttpResponse::Created().json(NoteView::from(row)))
}
