//! The desk's stylesheet and icon, built into the binary: served by us, so
//! the strict CSP (`style-src 'self'`, `img-src 'self'`) allows them and
//! nothing else.

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

const ICON: &str = include_str!("../../templates/desk/favicon.svg");

/// The desk's icon, at `/desk/favicon.svg` and at `/favicon.ico`, where
/// browsers ask for one whatever the page says.
pub async fn icon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(ICON)
}
