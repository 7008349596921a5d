//! How every change to a piece begins: its row locked, then the version the
//! client last saw (its `If-Match`, a form's hidden field) compared with the
//! one the piece is at. Writers to one piece take turns on the lock, so the
//! second sees the first's version and is refused as stale rather than
//! overwriting what it never saw.
//!
//! Who may act is for the caller to ask between [`lock`] and
//! [`Locked::at`] when the answer must not depend on the version (an editor
//! is told a live piece is a publisher's, whatever version they sent).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::error::PieceError;
use crate::domain::{State, SubmissionId};
use crate::schema::submissions;

/// What a change needs to know of the piece it locked.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct Locked {
    pub version: i32,
    pub state: State,
    pub slug: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub exclusive_confirmed: Option<bool>,
    pub respond_by: DateTime<Utc>,
    pub held_at: Option<DateTime<Utc>>,
}

/// Locks piece `id` for a change until the transaction ends; `None` when
/// there is no such piece.
pub fn find_locked(conn: &mut PgConnection, id: SubmissionId) -> QueryResult<Option<Locked>> {
    submissions::table
        .find(id)
        .select(Locked::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Locks piece `id` for a change until the transaction ends.
pub fn lock(conn: &mut PgConnection, id: SubmissionId) -> Result<Locked, PieceError> {
    find_locked(conn, id)?.ok_or(PieceError::NotFound)
}

/// Locks piece `id` for a change made against `expected`, the version the
/// client saw: refused as stale when the piece has moved on since.
pub fn lock_at(
    conn: &mut PgConnection,
    id: SubmissionId,
    expected: i32,
) -> Result<Locked, PieceError> {
    lock(conn, id)?.at(expected)
}

impl Locked {
    /// The piece, if it is still at `expected`; else stale, naming the
    /// version it is at.
    pub fn at(self, expected: i32) -> Result<Locked, PieceError> {
        if self.version == expected {
            Ok(self)
        } else {
            Err(PieceError::Stale {
                current: self.version,
            })
        }
    }
}
