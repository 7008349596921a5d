//! What the author's page and the editors' revocation do.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::store;
use super::token::RawToken;
use crate::domain::{Action, HistoryAction, PieceEvent, State, SubmissionId};
use crate::outbox;
use crate::publishing::Site;
use crate::schema::{submission_history, submissions};
use crate::submissions::withdrawal::{self, Withdrawal};
use crate::submissions::{lock, revision};
use crate::workflow::TransitionRequest;
use crate::workflow::service::{self, Initiator, TransitionError};

/// The author withdraws the piece, through the workflow (`author_withdraw`,
/// no editor named; the reason, if any, is the history's note).
pub fn withdraw(
    conn: &mut PgConnection,
    submission_id: i64,
    reason: Option<String>,
    site: &Site,
    now: DateTime<Utc>,
) -> Result<(), TransitionError> {
    let request = TransitionRequest {
        note: reason,
        ..TransitionRequest::default()
    };
    service::apply(
        conn,
        submission_id,
        None,
        Action::AuthorWithdraw,
        request,
        Initiator::Author,
        site,
        now,
    )?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("no such submission")]
    NotFound,
    /// Not withdrawn by the author, or they have consented already.
    #[error(
        "there is nothing to consent to: the piece is not one you withdrew and have not taken back"
    )]
    NothingToConsent,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The author, who withdrew the piece through their link, says the desk may
/// consider it again. The piece stays withdrawn until an editor reopens it
/// (and the author is told then); the consent is in its history, and the
/// version moves on, since editors see it.
pub fn consent_again(
    conn: &mut PgConnection,
    submission_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ConsentError> {
    conn.transaction(|conn| {
        let state = lock::find_locked(conn, SubmissionId(submission_id))?
            .ok_or(ConsentError::NotFound)?
            .state;
        let awaiting = state == State::Withdrawn
            && withdrawal::last(conn, submission_id)?.is_some_and(Withdrawal::awaits_author);
        if !awaiting {
            return Err(ConsentError::NothingToConsent);
        }
        diesel::update(submissions::table.find(submission_id))
            .set(revision::next_version(now))
            .execute(conn)?;
        diesel::insert_into(submission_history::table)
            .values((
                submission_history::submission_id.eq(submission_id),
                submission_history::action.eq(HistoryAction::Event(PieceEvent::AuthorConsented)),
                submission_history::from_state.eq(state),
                submission_history::to_state.eq(state),
                submission_history::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// What an editor's revocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaced {
    /// Live links revoked.
    pub revoked: usize,
    /// Whether a new link is on its way to the author.
    pub reissued: bool,
}

/// Revokes every link of the submission and, when `reissue`, makes a new
/// one and queues the email that carries it, in one transaction: the
/// author never holds a link the database does not know, nor the database
/// one the author will not get.
pub fn replace(
    conn: &mut PgConnection,
    submission_id: i64,
    reissue: bool,
    now: DateTime<Utc>,
) -> QueryResult<Replaced> {
    conn.transaction(|conn| {
        let revoked = store::revoke_all(conn, submission_id, now)?;
        if reissue {
            let token = RawToken::generate();
            store::keep(conn, submission_id, &token, now)?;
            outbox::enqueue_author_link(conn, submission_id, token.expose())?;
        }
        Ok(Replaced {
            revoked,
            reissued: reissue,
        })
    })
}
