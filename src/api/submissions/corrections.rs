use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::preconditions::{etag, required_version};
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::views::CorrectionView;
use crate::auth::Role;
use crate::domain::{SubmissionId, UserId};
use crate::submissions::corrections::{self, MAX_CORRECTION_CHARS};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCorrection {
    /// Plain text, 1 to 2,000 characters once trimmed: what was wrong and
    /// what is right. Readers see it under the piece, dated.
    #[schema(min_length = 1, max_length = 2_000)]
    text: String,
}

/// The corrections published under the piece, oldest first, with who added each.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/corrections", tag = "submissions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CorrectionView>),
        (status = 404, description = "No such submission: code `not_found`")),
    security(("bearer" = [])))]
pub async fn corrections(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::list_under::<_, CorrectionView>(&state, caller, id.into_inner(), corrections::list).await
}

/// Appends a correction to a published piece (a publisher's act). It is
/// never edited or removed; the piece's version moves on, its public form
/// and feed entry carry the correction, and the site is told
/// (`opinion.updated`).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/corrections", tag = "submissions",
    params(("id" = i64, Path),
        ("If-Match" = String, Header, example = "\"3\"", description = "The ETag of the version you corrected")),
    request_body = NewCorrection,
    responses(
        (status = 201, description = "Every correction of the piece, the new one last", body = Vec<CorrectionView>,
            headers(("ETag" = String, description = "The piece's new version, quoted"))),
        (status = 403, description = "The caller is no publisher: code `forbidden`"),
        (status = 404, description = "No such submission: code `not_found`"),
        (status = 409, description = "The piece is not published: code `not_published`"),
        (status = 412, description = "`If-Match` does not name the current version: code `precondition_failed`"),
        (status = 422, description = "The text is empty or over 2,000 characters: code `invalid_field`, field `text`"),
        (status = 428, description = "No `If-Match`: code `precondition_required`"),
    ),
    security(("bearer" = [])))]
pub async fn add_correction(
    caller: Caller,
    id: web::Path<i64>,
    request: HttpRequest,
    correction: web::Json<NewCorrection>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let expected = required_version(&request)?;
    let text = corrections::valid_text(&correction.into_inner().text).ok_or_else(|| {
        ApiError::invalid_field("text", format!("1 to {MAX_CORRECTION_CHARS} characters"))
    })?;
    let id = id.into_inner();
    let site = state.site.clone();
    let (_, (version, rows)) = caller
        .db(&state, Role::Publisher, move |conn, actor| {
            let (piece, publisher) = (SubmissionId(id), UserId(actor.user_id));
            let version = corrections::add(conn, piece, expected, &text, publisher, &site)?;
            Ok((version, corrections::list(conn, id)?))
        })
        .await?;
    Ok(HttpResponse::Created().insert_header(etag(version)).json(
        rows.into_iter()
            .map(CorrectionView::from)
            .collect::<Vec<_>>(),
    ))
}
