//! The inbox (mail that did not become a submission) as the doors show it,
//! and its one use case: promoting a message to a submission.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::caller::Caller;
use super::error::ApiError;
use crate::auth::{Actor, Role};
use crate::intake::inbox::InboxRow;
use crate::intake::{self, Outcome};
use crate::submissions::store;

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItem {
    /// The message id, for `POST /inbox/{id}/promote`.
    pub id: i64,
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// Why it was quarantined.
    pub detail: Option<String>,
    pub sender_email: Option<String>,
    pub sender_name: Option<String>,
    pub subject: Option<String>,
    pub received_at: DateTime<Utc>,
    pub size: i64,
}

impl From<InboxRow> for InboxItem {
    fn from(row: InboxRow) -> Self {
        InboxItem {
            id: row.id,
            outcome: row.outcome,
            detail: row.detail,
            sender_email: row.sender_email,
            sender_name: row.sender_name,
            subject: row.subject,
            received_at: row.received_at,
            size: row.size,
        }
    }
}

/// Promotes inbox message `id` for `caller` (the API's and the desk's one
/// way): the raw mail read, then parsed and extracted with no pooled
/// connection held, then recorded as a submission.
pub async fn promote_message(
    state: &AppState,
    caller: Caller,
    id: i64,
) -> Result<(Actor, store::SubmissionRecord), ApiError> {
    let (_, raw) = caller
        .db(state, Role::Editor, move |conn, _| {
            Ok(intake::promotable(conn, id)?)
        })
        .await?;
    // Parsed and extracted with no pooled connection held.
    let config = state.intake.clone();
    let prepared = {
        let _turn = state.gates.intake().await?;
        web::block(move || intake::prepare_promotion(&raw, &config)).await??
    };
    let window = state.intake.window;
    caller
        .db(state, Role::Editor, move |conn, _| {
            let submission = intake::promote(conn, id, prepared, &window)?;
            store::find(conn, submission)?.ok_or_else(|| ApiError::not_found("submission"))
        })
        .await
}
