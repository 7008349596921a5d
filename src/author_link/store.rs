//! The links (kept as digests) and the author's answers.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::status::declaration_open;
use super::token::{self, RawToken};
use crate::domain::{Action, HistoryAction, PieceEvent, State, SubmissionId};
use crate::schema::{author_links, submission_history, submissions};
use crate::submissions::withdrawal::{self, Withdrawal};
use crate::submissions::{lock, revision};

/// Keeps the digest of `token`, which opens submission `submission_id`
/// until revoked. Call it in the transaction that queues the email
/// carrying the token.
pub fn keep(
    conn: &mut PgConnection,
    submission_id: i64,
    token: &RawToken,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(author_links::table)
        .values((
            author_links::submission_id.eq(submission_id),
            author_links::token_sha256.eq(token.digest()),
            author_links::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Revokes every live link of the submission; returns how many there were.
pub fn revoke_all(
    conn: &mut PgConnection,
    submission_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        author_links::table
            .filter(author_links::submission_id.eq(submission_id))
            .filter(author_links::revoked_at.is_null()),
    )
    .set(author_links::revoked_at.eq(now))
    .execute(conn)
}

/// The submission a live `token` opens. A token of the wrong shape costs no
/// query; an unknown and a revoked one are alike `None`.
pub fn open(conn: &mut PgConnection, token: &str) -> QueryResult<Option<i64>> {
    if !token::well_formed(token) {
        return Ok(None);
    }
    author_links::table
        .filter(author_links::token_sha256.eq(token::digest(token)))
        .filter(author_links::revoked_at.is_null())
        .select(author_links::submission_id)
        .first(conn)
        .optional()
}

/// What the author's page is made from: no note, no editor, no address.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct AuthorRow {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub received_at: DateTime<Utc>,
    pub state: State,
    pub publish_at: Option<DateTime<Utc>>,
    pub slug: Option<String>,
    pub exclusive_confirmed: Option<bool>,
    pub disclosure: Option<String>,
    pub declared_at: Option<DateTime<Utc>>,
    pub respond_by: DateTime<Utc>,
}

/// The row and whether a rejection was a release.
#[derive(Debug, Clone)]
pub struct AuthorRecord {
    pub row: AuthorRow,
    /// Rejected by no person: the response window closed on it.
    pub released: bool,
    /// How a withdrawn piece was withdrawn (`None` for any other).
    pub withdrawal: Option<Withdrawal>,
}

pub fn read(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Option<AuthorRecord>> {
    let Some(row) = submissions::table
        .find(submission_id)
        .select(AuthorRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let released = row.state == State::Rejected
        && submission_history::table
            .filter(submission_history::submission_id.eq(submission_id))
            .filter(submission_history::action.eq(Action::Reject))
            .order(submission_history::id.desc())
            .select(submission_history::actor_id.is_null())
            .first::<bool>(conn)
            .optional()?
            .unwrap_or(false);
    let withdrawal = match row.state {
        State::Withdrawn => withdrawal::last(conn, submission_id)?,
        _ => None,
    };
    Ok(Some(AuthorRecord {
        row,
        released,
        withdrawal,
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum DeclareError {
    #[error("no such submission")]
    NotFound,
    /// Scheduled, published or closed: a publisher has already relied on
    /// the answers, or nothing depends on them any more.
    #[error("the answers can no longer be changed: the piece is {0}")]
    Closed(State),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The author's answers: exclusivity, and a disclosure (already checked
/// and normalised, `none` for nothing). Moves the version on, since editors
/// see the answers on the piece, and notes the answer in its history.
pub fn declare(
    conn: &mut PgConnection,
    submission_id: i64,
    exclusive: bool,
    disclosure: &str,
    now: DateTime<Utc>,
) -> Result<(), DeclareError> {
    conn.transaction(|conn| {
        let state = lock::find_locked(conn, SubmissionId(submission_id))?
            .ok_or(DeclareError::NotFound)?
            .state;
        if !declaration_open(state) {
            return Err(DeclareError::Closed(state));
        }
        diesel::update(submissions::table.find(submission_id))
            .set((
                submissions::exclusive_confirmed.eq(exclusive),
                submissions::disclosure.eq(disclosure),
                submissions::declared_at.eq(now),
                revision::next_version(now),
            ))
            .execute(conn)?;
        diesel::insert_into(submission_history::table)
            .values((
                submission_history::submission_id.eq(submission_id),
                submission_history::action.eq(HistoryAction::Event(PieceEvent::AuthorDeclared)),
                submission_history::from_state.eq(state),
                submission_history::to_state.eq(state),
                submission_history::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })
}
