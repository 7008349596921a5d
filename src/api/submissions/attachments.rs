use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::download::file_response;
use crate::app::error::ApiError;
use crate::auth::Role;
use crate::submissions::store;

/// The original attached file, always as a download: a file from a stranger
/// must never render as a page of our origin.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/attachments/{n}", tag = "submissions",
    params(("id" = i64, Path), ("n" = i32, Path, description = "Attachment position, from 1")),
    responses(
        (status = 200, description = "The file, with the media type the mail gave it (`application/octet-stream` when that is unreadable), as an attachment",
            content_type = "*/*"),
        (status = 404, description = "No such submission or attachment: code `not_found`"),
    ),
    security(("bearer" = [])))]
pub async fn download(
    caller: Caller,
    path: web::Path<(i64, i32)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, n) = path.into_inner();
    let (_, file) = caller
        .db(&state, Role::Editor, move |conn, _| {
            store::attachment_file(conn, id, n)?.ok_or_else(|| ApiError::not_found("attachment"))
        })
        .await?;
    Ok(file_response(file, n))
}
