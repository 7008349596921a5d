//! The inbox: recorded mail that is not (yet) a submission, unmatched or
//! quarantined, for editors to read, dismiss, attach to a piece or promote.
//! A message leaves it when it is linked to a submission; a dismissed one
//! stays, set aside, until it is restored. Nothing here deletes a message.

pub mod acts;
pub mod read;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::Outcome;
use crate::db::cursor::Cursor;
use crate::schema::inbound_messages;
pub use acts::InboxError;

/// The outcomes whose mail waits in the inbox.
pub const INBOX_OUTCOMES: [Outcome; 2] = [Outcome::Unmatched, Outcome::Quarantined];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inbound_messages)]
pub struct InboxRow {
    pub id: i64,
    pub outcome: Outcome,
    #[diesel(column_name = outcome_detail)]
    pub detail: Option<String>,
    pub sender_email: Option<String>,
    pub sender_name: Option<String>,
    pub subject: Option<String>,
    pub received_at: DateTime<Utc>,
    #[diesel(column_name = raw_size)]
    pub size: i64,
    pub dismissed_at: Option<DateTime<Utc>>,
    /// The piece it was made into or attached to, once it left the inbox.
    pub submission_id: Option<i64>,
}

/// One page of messages with one of `outcomes` and no submission, newest
/// first, with one row more than `limit` when more follow: the dismissed
/// ones when `dismissed`, else the others.
pub fn list(
    conn: &mut PgConnection,
    outcomes: &[Outcome],
    dismissed: bool,
    after: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<InboxRow>> {
    let mut listing = inbound_messages::table
        .filter(inbound_messages::outcome.eq_any(outcomes))
        .filter(inbound_messages::submission_id.is_null())
        .select(InboxRow::as_select())
        .into_boxed();
    listing = if dismissed {
        listing.filter(inbound_messages::dismissed_at.is_not_null())
    } else {
        listing.filter(inbound_messages::dismissed_at.is_null())
    };
    if let Some(cursor) = after {
        listing = listing.filter(cursor.older_messages());
    }
    listing
        .order((
            inbound_messages::received_at.desc(),
            inbound_messages::id.desc(),
        ))
        .limit(limit + 1)
        .load(conn)
}

/// Inbox message `id` (in the inbox now, or since made into or attached to
/// a piece) with its raw bytes, to be read with no connection held.
pub fn find(conn: &mut PgConnection, id: i64) -> Result<(InboxRow, Vec<u8>), InboxError> {
    inbound_messages::table
        .find(id)
        .filter(inbound_messages::outcome.eq_any(INBOX_OUTCOMES))
        .select((InboxRow::as_select(), inbound_messages::raw))
        .first(conn)
        .optional()?
        .ok_or(InboxError::NotFound)
}

/// Sets inbox message `id` aside as `editor`'s decision. Dismissing a
/// dismissed message keeps the first dismissal (who and when).
pub fn dismiss(conn: &mut PgConnection, id: i64, editor: i64) -> Result<InboxRow, InboxError> {
    conn.transaction(|conn| {
        let row = in_inbox_locked(conn, id)?;
        if row.dismissed_at.is_some() {
            return Ok(row);
        }
        Ok(diesel::update(inbound_messages::table.find(id))
            .set((
                inbound_messages::dismissed_at.eq(diesel::dsl::now),
                inbound_messages::dismissed_by.eq(editor),
            ))
            .returning(InboxRow::as_returning())
            .get_result(conn)?)
    })
}

/// Puts a dismissed message back among the inbox's waiting mail; one that
/// was not dismissed is left as it is.
pub fn restore(conn: &mut PgConnection, id: i64) -> Result<InboxRow, InboxError> {
    conn.transaction(|conn| {
        in_inbox_locked(conn, id)?;
        Ok(diesel::update(inbound_messages::table.find(id))
            .set((
                inbound_messages::dismissed_at.eq(None::<DateTime<Utc>>),
                inbound_messages::dismissed_by.eq(None::<i64>),
            ))
            .returning(InboxRow::as_returning())
            .get_result(conn)?)
    })
}

/// Message `id`, locked, if it is in the inbox: unmatched or quarantined,
/// and not yet a submission or part of one.
fn in_inbox_locked(conn: &mut PgConnection, id: i64) -> Result<InboxRow, InboxError> {
    let row: InboxRow = inbound_messages::table
        .find(id)
        .select(InboxRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(InboxError::NotFound)?;
    if !INBOX_OUTCOMES.contains(&row.outcome) || row.submission_id.is_some() {
        return Err(InboxError::NotInInbox);
    }
    Ok(row)
}
