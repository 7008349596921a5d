//! The response window's two acts on a piece: the scheduler releases it when
//! its window closes unanswered, and an editor may hold it once.
//!
//! A release is the table's `reject`, with the note `released` in the
//! history and the `released` email to the author, so the states stay as
//! they are. Exactly once with any number of workers: the due row is claimed
//! with `FOR UPDATE SKIP LOCKED`, and the transition checks its state under
//! that lock; the email is an outbox row of the same transaction (none for a
//! sender who failed DMARC, who was not acknowledged either).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::service::{Initiator, apply_claimed};
use super::{Action, State, TransitionRequest};
use crate::auth::Actor;
use crate::calendar::ResponseWindow;
use crate::domain::SubmissionId;
use crate::outbox;
use crate::publishing::Site;
use crate::schema::{submission_history, submissions};
use crate::submissions::store::{self, SubmissionRecord};
use crate::submissions::{PieceError, lock, revision};

/// The note of a release in the piece's history.
pub const RELEASED_NOTE: &str = "released";

/// The email that tells the author their piece's window was extended.
pub const HELD_TEMPLATE: &str = "held";

/// The states in which the desk still owes the author an answer.
pub const OPEN_STATES: [State; 2] = [State::Draft, State::InReview];

/// Releases the piece whose window closed first, if one has closed by
/// `now`; its id, or `None` when nothing is due.
pub fn release_due(
    conn: &mut PgConnection,
    site: &Site,
    now: DateTime<Utc>,
) -> QueryResult<Option<i64>> {
    conn.transaction(|conn| {
        let Some((id, suspicious)) = submissions::table
            .filter(submissions::state.eq_any(OPEN_STATES))
            .filter(submissions::respond_by.le(now))
            .order((submissions::respond_by.asc(), submissions::id.asc()))
            .limit(1)
            .for_update()
            .skip_locked()
            .select((submissions::id, submissions::suspicious))
            .first::<(i64, bool)>(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let request = TransitionRequest {
            note: Some(RELEASED_NOTE.into()),
            ..TransitionRequest::default()
        };
        let released = apply_claimed(
            conn,
            id,
            Action::Reject,
            request,
            // Like the acknowledgement: a sender who failed DMARC may be
            // forged, and an unattended email would go to their victim.
            Initiator::WindowClosed {
                tell_author: !suspicious,
            },
            site,
            now,
        )?;
        if released {
            tracing::info!(submission = id, "response window closed: piece released");
        }
        Ok(released.then_some(id))
    })
}

/// Extends the window of piece `id` (seen at `expected_version`) once, by
/// the window's length counted from its current deadline: the history
/// records the hold with `note`, and the author is told the new date.
pub fn hold(
    conn: &mut PgConnection,
    id: i64,
    expected_version: i32,
    note: &str,
    actor: Actor,
    window: &ResponseWindow,
    now: DateTime<Utc>,
) -> Result<SubmissionRecord, PieceError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(PieceError::MissingNote);
    }
    conn.transaction(|conn| {
        let piece = lock::lock_at(conn, SubmissionId(id), expected_version)?;
        let state = piece.state;
        if !OPEN_STATES.contains(&state) {
            return Err(PieceError::NotOpen { state });
        }
        if let Some(held_at) = piece.held_at {
            return Err(PieceError::AlreadyHeld { held_at });
        }
        diesel::update(submissions::table.find(id))
            .set((
                submissions::respond_by.eq(window.extended(piece.respond_by)),
                submissions::held_at.eq(now),
                revision::next_version(now),
            ))
            .execute(conn)?;
        diesel::insert_into(submission_history::table)
            .values((
                submission_history::submission_id.eq(id),
                submission_history::action.eq(Action::Hold),
                submission_history::from_state.eq(state),
                submission_history::to_state.eq(state),
                submission_history::actor_id.eq(actor.user_id),
                submission_history::note.eq(note),
                submission_history::created_at.eq(now),
            ))
            .execute(conn)?;
        // The note stays with the editors, as in the history; the email
        // gives the author the new date.
        outbox::enqueue_email(conn, id, HELD_TEMPLATE, None)?;
        store::find(conn, id)?.ok_or(PieceError::NotFound)
    })
}
