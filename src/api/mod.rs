//! The HTTP surface. Handlers are thin: extract, authorise, call the domain
//! on the blocking pool, map the result.

mod auth;
pub mod error;
mod extract;
mod health;
mod inbound;
mod users;

use std::sync::Arc;

use actix_web::web;

use crate::auth::tokens::TokenKeys;
use crate::config::IntakeConfig;
use crate::db::PgPool;

/// What every handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub intake: Arc<IntakeConfig>,
    pub tokens: Arc<TokenKeys>,
}

/// Mounts every route; `App::new().configure(api::routes(state))`.
pub fn routes(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .service(
                web::scope("/api/v1")
                    .route("/inbound/messages", web::post().to(inbound::receive))
                    .configure(auth::routes)
                    .configure(users::routes),
            );
    }
}
