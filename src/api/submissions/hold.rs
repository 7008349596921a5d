use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use super::detail::respond;
use crate::api::preconditions::required_version;
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::note;
use crate::app::views::SubmissionView;
use crate::auth::Role;
use crate::workflow::window;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// Why the desk needs more time: 1 to 10,000 characters once trimmed.
    /// Kept in the history for editors; the author's email gives only the
    /// new date.
    #[schema(min_length = 1, max_length = 10_000)]
    note: String,
}

/// Holds a piece: extends its response window once, by the same number of
/// working days counted from its deadline, and tells the author the new date.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/hold", tag = "submissions",
    params(("id" = i64, Path), ("If-Match" = String, Header, example = "\"3\"",
        description = "The ETag of the version you acted on")),
    request_body = HoldBody,
    responses(
        (status = 200, description = "The piece with its new `respond_by`", body = SubmissionView,
            headers(("ETag" = String, description = "The new version, quoted"))),
        (status = 404, description = "No such submission: code `not_found`"),
        (status = 409, description = "The piece was held before (code `already_held`), or is not in `draft` or `in_review` (code `invalid_transition`)"),
        (status = 412, description = "`If-Match` does not name the current version: code `precondition_failed`"),
        (status = 422, description = "The note is empty or over 10,000 characters: code `invalid_field`, field `note`"),
        (status = 428, description = "No `If-Match`: code `precondition_required`"),
    ),
    security(("bearer" = [])))]
pub async fn hold(
    caller: Caller,
    id: web::Path<i64>,
    request: HttpRequest,
    body: web::Json<HoldBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let expected = required_version(&request)?;
    let note = note::checked(&body.into_inner().note)
        .map_err(|err| ApiError::invalid_field("note", err.to_string()))?;
    let id = id.into_inner();
    let response_window = state.intake.window;
    let (actor, record) = caller
        .db(&state, Role::Editor, move |conn, actor| {
            window::hold(
                conn,
                id,
                expected,
                &note,
                actor,
                &response_window,
                Utc::now(),
            )
            .map_err(ApiError::from)
        })
        .await?;
    respond(record, actor, &state)
}
