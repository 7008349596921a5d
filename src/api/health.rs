//! Liveness and readiness for orchestrators and load balancers.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::mailbox::MailboxStatus;
use crate::db;
use crate::mailbox::state as mailbox_state;

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "alive", content_type = "application/json",
        example = json!({ "status": "ok" }))))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers and the schema is current: traffic may come. The
/// body also names each polled mailbox that cannot be read (server
/// unreachable, login refused) or that no poller reports on: that does not
/// make the answer 503, because editors can still work and an API replica
/// taken out of service would not bring the mail back.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "ready; `mailboxes` lists the IMAP mailboxes that are failing or stale", content_type = "application/json",
            example = json!({ "status": "ready", "mailboxes": [{ "mailbox": "oped@news.example@imap.example.net:993/INBOX",
                "state": "failing", "last_error": "imap.example.net:993 refused the login of oped@news.example (check the user name and the app password): no response: [AUTHENTICATIONFAILED] Authentication failed." }] })),
        (status = 503, description = "The database is unavailable or its migrations are pending: code `temporarily_unavailable`",
            body = super::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let (current, mailboxes) = web::block(move || -> Result<_, ApiError> {
        let mut conn = pool.get()?;
        let current = db::migrations_current(&mut conn)
            .map_err(|err| ApiError::unavailable(err.to_string()))?;
        if !current {
            return Ok((false, Vec::new()));
        }
        Ok((true, mailbox_state::list(&mut conn)?))
    })
    .await??;
    if !current {
        return Err(ApiError::unavailable("database migrations are pending"));
    }
    let now = chrono::Utc::now();
    let troubled: Vec<_> = mailboxes
        .into_iter()
        .map(|row| MailboxStatus::from_row(row, now))
        .filter(|status| matches!(status.state, "failing" | "stale"))
        .map(|status| {
            json!({ "mailbox": status.mailbox, "state": status.state, "last_error": status.last_error })
        })
        .collect();
    if troubled.is_empty() {
        return Ok(HttpResponse::Ok().json(json!({ "status": "ready" })));
    }
    Ok(HttpResponse::Ok().json(json!({ "status": "ready", "mailboxes": troubled })))
}
