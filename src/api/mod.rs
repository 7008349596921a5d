//! The HTTP surface. Handlers are thin: extract, authorise, call the domain
//! off the worker threads, map the result.

pub(crate) mod auth;
pub mod author;
mod conditional;
mod deliveries;
mod extract;
mod health;
mod inbound;
pub(crate) mod inbox;
mod mailbox;
pub mod metrics;
pub mod openapi;
mod preconditions;
pub mod public;
pub(crate) mod submissions;
pub(crate) mod users;

use actix_web::{HttpRequest, web};

use crate::app::AppState;
use crate::app::error::ApiError;

/// JSON bodies of the editor API are small; mail comes through its own door.
pub(crate) const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Mounts every route; `App::new().configure(api::routes(state))`.
pub fn routes(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state))
            .app_data(
                web::JsonConfig::default()
                    .limit(JSON_BODY_LIMIT)
                    .error_handler(|err, _| ApiError::from(err).into()),
            )
            .app_data(
                web::QueryConfig::default().error_handler(|err, _| ApiError::from(err).into()),
            )
            .app_data(web::PathConfig::default().error_handler(|err, _| ApiError::from(err).into()))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(metrics::show))
            .route("/api/openapi.json", web::get().to(openapi::document))
            .route("/feed.atom", web::get().to(public::feed))
            .configure(author::page_routes)
            .service(
                web::scope("/api/v1")
                    .route("/inbound/messages", web::post().to(inbound::receive))
                    .configure(auth::routes)
                    .configure(users::routes)
                    .configure(submissions::routes)
                    .configure(inbox::routes)
                    .configure(deliveries::routes)
                    .route("/mailbox", web::get().to(mailbox::show))
                    .configure(author::api_routes)
                    .configure(public::routes),
            )
            .default_service(web::to(not_found));
    }
}

/// Headers every response carries: the API serves JSON only, so nothing it
/// sends may be framed, sniffed into HTML, or leak the referrer.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .add(("Cache-Control", "no-store"))
}

/// Cross-origin access for the configured origins only (`OPED_CORS_ORIGINS`):
/// the editors' front end and the site's pages. Others get no CORS headers,
/// so browsers keep their pages out; without origins nothing changes.
pub fn cors(origins: &[String]) -> actix_web::middleware::Condition<actix_cors::Cors> {
    use actix_web::http::{Method, header};
    let mut cors = actix_cors::Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PATCH])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
        ])
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            header::RETRY_AFTER,
            header::LOCATION,
        ])
        .max_age(3600)
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    actix_web::middleware::Condition::new(!origins.is_empty(), cors)
}

async fn not_found(request: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {} {}", request.method(), request.path()),
    ))
}
