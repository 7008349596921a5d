//! The JSON API under `/api/v1`: the editors' routes, the intake's door for
//! mail, the author's status link and the published op-eds. A door over the
//! application (`app`): handlers are thin (extract, authorise, call the
//! domain off the worker threads, map the result), and every error is the
//! application's `ApiError`, rendered as problem+json.

pub(crate) mod auth;
pub(crate) mod author;
pub(crate) mod deliveries;
mod extract;
pub(crate) mod imap;
pub(crate) mod inbound;
pub(crate) mod inbox;
mod preconditions;
pub(crate) mod public;
pub(crate) mod submissions;
pub(crate) mod users;

use actix_web::{HttpRequest, web};

use crate::app::error::ApiError;

/// JSON bodies of the editor API are small; mail comes through its own door.
pub(crate) const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Mounts `/api/v1` and answers every path no door serves with a
/// problem+json 404; the extractors' refusals (a body, a query, a path
/// segment) become problem+json app-wide.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_BODY_LIMIT)
            .error_handler(|err, _| ApiError::from(err).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|err, _| ApiError::from(err).into()))
    .app_data(web::PathConfig::default().error_handler(|err, _| ApiError::from(err).into()))
    .service(
        web::scope("/api/v1")
            .route("/inbound/messages", web::post().to(inbound::receive))
            .configure(auth::routes)
            .configure(users::routes)
            .configure(submissions::routes)
            .configure(inbox::routes)
            .configure(deliveries::routes)
            .route("/mailbox", web::get().to(imap::show))
            .configure(author::routes)
            .configure(public::routes),
    )
    .default_service(web::to(not_found));
}

async fn not_found(request: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {} {}", request.method(), request.path()),
    ))
}
