//! The inbox: recorded mail that is not (yet) a submission, unmatched or
//! quarantined, for editors to look through and promote.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::Outcome;
use crate::db::cursor::Cursor;
use crate::schema::inbound_messages;

#[derive(Debug, Clone, Queryable)]
pub struct InboxRow {
    pub id: i64,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub sender_email: Option<String>,
    pub sender_name: Option<String>,
    pub subject: Option<String>,
    pub received_at: DateTime<Utc>,
    pub size: i64,
}

/// One page of messages with one of `outcomes` and no submission, newest
/// first, with one row more than `limit` when more follow.
pub fn list(
    conn: &mut PgConnection,
    outcomes: &[Outcome],
    after: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<InboxRow>> {
    let mut listing = inbound_messages::table
        .filter(inbound_messages::outcome.eq_any(outcomes))
        .filter(inbound_messages::submission_id.is_null())
        .select((
            inbound_messages::id,
            inbound_messages::outcome,
            inbound_messages::outcome_detail,
            inbound_messages::sender_email,
            inbound_messages::sender_name,
            inbound_messages::subject,
            inbound_messages::received_at,
            inbound_messages::raw_size,
        ))
        .into_boxed();
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
