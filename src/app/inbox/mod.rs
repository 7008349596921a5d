//! The inbox (mail that did not become a submission) as the doors show it,
//! and its use cases, one set for the API and the desk alike: list it
//! (here), read a message (`message`), dismiss and restore it, file it with
//! a piece, make a piece of it (`acts`).

mod acts;
mod message;

pub use acts::{Filed, Promotion, dismiss_message, file_message, promote_message, restore_message};
pub use message::{AttachmentFacts, InboxMessage, read_message};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::caller::Caller;
use super::error::ApiError;
use super::paging;
use crate::auth::{Actor, Role};
use crate::db::cursor::Cursor;
use crate::intake::Outcome;
use crate::intake::inbox::{self, INBOX_OUTCOMES, InboxRow};

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItem {
    /// The message id, for `GET /inbox/{id}` and its acts.
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
    /// When an editor set it aside (`POST /inbox/{id}/restore` undoes it).
    pub dismissed_at: Option<DateTime<Utc>>,
    /// The piece it became or was filed with, once it left the inbox.
    pub submission_id: Option<i64>,
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
            dismissed_at: row.dismissed_at,
            submission_id: row.submission_id,
        }
    }
}

/// The outcomes a filter names: `unmatched`, `quarantined`, or both when
/// it names none (empty). `None` for anything else.
pub fn outcomes_named(filter: &str) -> Option<&'static [Outcome]> {
    match filter {
        "" => Some(&INBOX_OUTCOMES),
        "unmatched" => Some(&[Outcome::Unmatched]),
        "quarantined" => Some(&[Outcome::Quarantined]),
        _ => None,
    }
}

/// Which page of the inbox a door asks for.
#[derive(Debug, Clone, Copy)]
pub struct Listing {
    pub outcomes: &'static [Outcome],
    /// The dismissed mail instead of the mail that waits.
    pub dismissed: bool,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// One page of the inbox, newest first, and the cursor of the next.
pub async fn list_messages(
    state: &AppState,
    caller: Caller,
    listing: Listing,
) -> Result<(Actor, Vec<InboxItem>, Option<String>), ApiError> {
    let (actor, rows) = caller
        .db(state, Role::Editor, move |conn, _| {
            Ok(inbox::list(
                conn,
                listing.outcomes,
                listing.dismissed,
                listing.after,
                listing.limit,
            )?)
        })
        .await?;
    let mut items: Vec<InboxItem> = rows.into_iter().map(InboxItem::from).collect();
    let next = paging::finish_page(&mut items, listing.limit, |last| Cursor {
        received_at: last.received_at,
        id: last.id,
    });
    Ok((actor, items, next))
}
