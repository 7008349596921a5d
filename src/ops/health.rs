//! Liveness and readiness for orchestrators and load balancers.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::AppState;
use crate::app::error::ApiError;
use crate::db;

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "alive", content_type = "application/json",
        example = json!({ "status": "ok" }))))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers and the schema is current: traffic may come. The
/// answer says ready or not and nothing more: it is unauthenticated, so a
/// failing mailbox (its login, the server's own words) is told only to
/// editors (`GET /api/v1/mailbox`) and to `/metrics` (`oped_mailbox_up`),
/// and a database error only to the log.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "ready", content_type = "application/json",
            example = json!({ "status": "ready" })),
        (status = 503, description = "The database is unavailable or its migrations are pending: code `temporarily_unavailable`",
            body = crate::app::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let current = web::block(move || -> Result<bool, ApiError> {
        let mut conn = pool.get()?;
        db::migrations_current(&mut conn).map_err(|err| {
            tracing::warn!(error = %err, "readiness: cannot read the migrations");
            ApiError::unavailable("the database cannot be read")
        })
    })
    .await??;
    if !current {
        return Err(ApiError::unavailable("database migrations are pending"));
    }
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
