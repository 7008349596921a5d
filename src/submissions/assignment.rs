//! Who answers for a piece. `start_review` assigns its first editor (the
//! workflow's table); afterwards any editor may hand the piece to another,
//! or to nobody, while it is still on its way to readers. The piece's
//! version moves, so a page that showed the old assignee is stale.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::error::PieceError;
use super::history;
use super::lock;
use super::revision;
use super::store::{self, SubmissionRecord};
use crate::auth::Actor;
use crate::domain::{PieceEvent, State, SubmissionId, UserId};
use crate::schema::{submissions, users};

/// The states in which a piece has someone answering for it.
pub const ASSIGNABLE: [State; 4] = [
    State::Draft,
    State::InReview,
    State::Approved,
    State::Scheduled,
];

/// Assigns piece `id`, last seen at `expected_version`, to `assignee`
/// (`None`: nobody), as `actor` decided. Handing it to whoever has it
/// already changes nothing and keeps the version.
pub fn reassign(
    conn: &mut PgConnection,
    id: SubmissionId,
    expected_version: i32,
    assignee: Option<UserId>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<SubmissionRecord, PieceError> {
    conn.transaction(|conn| {
        let piece = lock::lock_at(conn, id, expected_version)?;
        if !ASSIGNABLE.contains(&piece.state) {
            return Err(PieceError::NotAssignable { state: piece.state });
        }
        let current: Option<i64> = submissions::table
            .find(id)
            .select(submissions::assignee_id)
            .first(conn)?;
        if current != assignee.map(|user| user.0) {
            let note = match assignee {
                Some(user) => format!("to {}", active_name(conn, user)?),
                None => "to nobody".to_string(),
            };
            diesel::update(submissions::table.find(id))
                .set((
                    submissions::assignee_id.eq(assignee.map(|user| user.0)),
                    revision::next_version(now),
                ))
                .execute(conn)?;
            history::record_event(
                conn,
                id,
                PieceEvent::Reassigned,
                piece.state,
                Some(UserId(actor.user_id)),
                &note,
            )?;
        }
        store::find(conn, id.0)?.ok_or(PieceError::NotFound)
    })
}

/// The name of active account `user`, or why it cannot be given a piece.
fn active_name(conn: &mut PgConnection, user: UserId) -> Result<String, PieceError> {
    users::table
        .find(user.0)
        .filter(users::active.eq(true))
        .select(users::name)
        .first(conn)
        .optional()?
        .ok_or(PieceError::UnknownAssignee)
}
