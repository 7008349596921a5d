//! An attached file as the doors send it: always a download, never a page.

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};

use crate::submissions::store;

/// The file as a download that never renders as a page of our origin.
pub fn file_response(file: store::AttachmentFile, n: i32) -> HttpResponse {
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
