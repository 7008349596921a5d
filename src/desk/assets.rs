//! The desk's stylesheet, built into the binary: served by us, so the
//! strict CSP (`style-src 'self'`) allows it and nothing else.

use actix_web::HttpResponse;
use actix_web::http::header;

const STYLESHEET: &str = include_str!("../../templates/desk/desk.css");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        // Small and rarely changed; an hour's cache spares a request a page.
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(STYLESHEET)
}
