use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::app::caller::Caller;
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

/// The file as a download that never renders as a page of our origin.
pub(crate) fn file_response(file: store::AttachmentFile, n: i32) -> HttpResponse {
    let filename = file.filename.unwrap_or_else(|| format!("attachment-{n}"));
    // A plain ASCII name for old clients, the exact UTF-8 name for the rest.
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(header::ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: filename.into_bytes(),
            }),
        ],
    };
    let content_type: actix_web::mime::Mime = file
        .content_type
        .parse()
        .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(disposition)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .body(file.content)
}
