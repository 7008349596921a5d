//! `GET /api/v1/mailbox`: how the IMAP poller is doing, for any editor.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::auth::Role;
use crate::imap::state::{self, MailboxRow};

/// A mailbox no poller has reported on for this long has no live poller:
/// twice the longest poll interval (an hour), well past the IDLE renewal.
const STALE_AFTER_SECONDS: i64 = 2 * 3600;

/// One polled mailbox, as editors see it (never its password).
#[derive(Debug, Serialize, ToSchema)]
pub struct MailboxStatus {
    /// `user@host:port/folder`.
    pub mailbox: String,
    /// `ok`; `failing` (the last attempt failed: see `last_error`); `stale`
    /// (no poller has reported for two hours: none is running); `starting`
    /// (nothing read yet).
    pub state: &'static str,
    /// `host:pid` of the process polling it.
    pub active_poller: Option<String>,
    pub active_since: Option<DateTime<Utc>>,
    /// The end of the last pass that read the whole folder.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Why the mailbox could not be read last time (login refused, server unreachable…).
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Messages in the folder not yet recorded, as of the last pass.
    pub backlog: i32,
    pub uid_validity: Option<i64>,
    pub last_uid: i64,
    /// How many times the server's UIDVALIDITY changed and the folder was read again.
    pub resyncs: i32,
    pub updated_at: DateTime<Utc>,
}

impl MailboxStatus {
    pub fn from_row(row: MailboxRow, now: DateTime<Utc>) -> MailboxStatus {
        let state = if row.failing() {
            "failing"
        } else if (now - row.updated_at).num_seconds() > STALE_AFTER_SECONDS {
            "stale"
        } else if row.last_success_at.is_none() {
            "starting"
        } else {
            "ok"
        };
        MailboxStatus {
            state,
            mailbox: row.mailbox,
            active_poller: row.active_poller,
            active_since: row.active_since,
            last_success_at: row.last_success_at,
            last_error: row.last_error,
            last_error_at: row.last_error_at,
            backlog: row.backlog,
            uid_validity: row.uid_validity,
            last_uid: row.last_uid,
            resyncs: row.resyncs,
            updated_at: row.updated_at,
        }
    }
}

/// The state of every mailbox polled (empty without `OPED_IMAP_URL`).
#[utoipa::path(get, path = "/api/v1/mailbox", tag = "intake",
    responses((status = 200, body = Vec<MailboxStatus>), (status = 401)),
    security(("bearer" = [])))]
pub async fn show(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, rows) = caller
        .db(&state, Role::Editor, |conn, _| Ok(state::list(conn)?))
        .await?;
    let now = Utc::now();
    let statuses: Vec<MailboxStatus> = rows
        .into_iter()
        .map(|row| MailboxStatus::from_row(row, now))
        .collect();
    Ok(HttpResponse::Ok().json(statuses))
}
