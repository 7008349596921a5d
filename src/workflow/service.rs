//! Applies a transition in one transaction: the state change, the history
//! row and the outbox rows for its emails and webhooks commit together.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamptz};

use super::State;
use super::machine::{
    Action, Effect, Party, TransitionRequest, WorkflowError, check_author_consent,
    check_exclusivity, plan_for,
};
use crate::auth::{Actor, Role};
use crate::domain::SubmissionId;
use crate::outbox;
use crate::publishing::{Site, slug};
use crate::schema::{submission_history, submissions, users};
use crate::submissions::PieceError;
use crate::submissions::lock;
use crate::submissions::revision;
use crate::submissions::store::{self, SubmissionRecord};
use crate::submissions::withdrawal::{self, Withdrawal};

/// Why a transition (or a hold) was not made: the state machine's table
/// refused it, or the piece did (not there, stale, a check of its own).
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Piece(#[from] PieceError),
}

impl From<diesel::result::Error> for TransitionError {
    fn from(err: diesel::result::Error) -> Self {
        TransitionError::Piece(PieceError::Database(err))
    }
}

/// Who acts: an editor through the API, the scheduler (as a publisher), or
/// the author through their status link, or the response window closing
/// (as an editor, `workflow::window`). Only an editor is named in the
/// history; the others leave its actor empty.
#[derive(Debug, Clone, Copy)]
pub enum Initiator {
    User(Actor),
    Scheduler,
    Author,
    /// Releases a piece: its `reject` tells the author with the `released`
    /// email instead of `rejected`, unless `tell_author` is false (a sender
    /// who failed DMARC, never acknowledged either: the address may be forged).
    WindowClosed {
        tell_author: bool,
    },
}

/// The email that tells an author their piece was released.
pub const RELEASED_TEMPLATE: &str = "released";

/// The email that tells an author who withdrew their piece, and consented
/// again, that the desk has taken it up again.
pub const REOPENED_TEMPLATE: &str = "reopened";

impl Initiator {
    fn party(self) -> Party {
        match self {
            Initiator::User(actor) => Party::Desk(actor.role),
            Initiator::Scheduler => Party::Desk(Role::Publisher),
            Initiator::Author => Party::Author,
            Initiator::WindowClosed { .. } => Party::Desk(Role::Editor),
        }
    }

    fn user_id(self) -> Option<i64> {
        match self {
            Initiator::User(actor) => Some(actor.user_id),
            Initiator::Scheduler | Initiator::Author | Initiator::WindowClosed { .. } => None,
        }
    }

    /// The template of the author's email for a transition whose own is
    /// `template`; `None`: the author is not written to.
    fn author_template(self, template: &'static str) -> Option<&'static str> {
        match self {
            Initiator::WindowClosed { tell_author } => tell_author.then_some(RELEASED_TEMPLATE),
            Initiator::User(_) | Initiator::Scheduler | Initiator::Author => Some(template),
        }
    }
}

/// [`apply`] for a worker (the scheduler, the response window) to a row it
/// claimed and locked; whether it was applied. A database error rolls back,
/// and the row is claimed again. Any other cannot happen to such a row; if
/// one did, the piece stays as it is for an editor to see, and it is logged.
pub fn apply_claimed(
    conn: &mut PgConnection,
    id: i64,
    action: Action,
    request: TransitionRequest,
    initiator: Initiator,
    site: &Site,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    match apply(conn, id, None, action, request, initiator, site, now) {
        Ok(_) => Ok(true),
        Err(TransitionError::Piece(PieceError::Database(err))) => Err(err),
        Err(err) => {
            tracing::error!(submission = id, %action, error = %err, "claimed piece not changed");
            Ok(false)
        }
    }
}

/// Takes `action` on submission `id`, which the caller last saw at
/// `expected_version` (`None`: the scheduler, which acts on what it finds).
/// `site` is where the piece is public, for the webhooks this may queue.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    conn: &mut PgConnection,
    id: i64,
    expected_version: Option<i32>,
    action: Action,
    request: TransitionRequest,
    initiator: Initiator,
    site: &Site,
    now: DateTime<Utc>,
) -> Result<SubmissionRecord, TransitionError> {
    conn.transaction(|conn| {
        let piece = match expected_version {
            Some(expected) => lock::lock_at(conn, SubmissionId(id), expected)?,
            None => lock::lock(conn, SubmissionId(id))?,
        };
        let state = piece.state;
        let reopened_respond_by = request.reopened_respond_by;
        let transition = plan_for(
            state,
            action,
            initiator.party(),
            initiator.user_id(),
            request,
            now,
        )?;
        if !matches!(initiator, Initiator::Scheduler) {
            check_exclusivity(&transition, piece.exclusive_confirmed)?;
        }
        // Only a withdrawn piece is reopened; only then is it asked who withdrew it.
        let withdrawal = match transition.action {
            Action::Reopen if state == State::Withdrawn => withdrawal::last(conn, id)?,
            _ => None,
        };
        check_author_consent(
            &transition,
            withdrawal.is_some_and(Withdrawal::awaits_author),
        )?;

        if let Some(assignee) = transition.assignee {
            let active: Option<bool> = users::table
                .find(assignee)
                .select(users::active)
                .first(conn)
                .optional()?;
            if active != Some(true) {
                return Err(PieceError::UnknownAssignee.into());
            }
        }

        let target = submissions::table.find(id);
        diesel::update(target)
            .set((
                submissions::state.eq(transition.to),
                revision::next_version(now),
            ))
            .execute(conn)?;
        if let Some(assignee) = transition.assignee {
            diesel::update(target)
                .set(submissions::assignee_id.eq(assignee))
                .execute(conn)?;
        }
        if transition.action == Action::StartReview {
            // The revision is being read: it is no longer news.
            diesel::update(target)
                .set(submissions::revised_at.eq(None::<DateTime<Utc>>))
                .execute(conn)?;
        }
        match transition.action {
            Action::Schedule => {
                diesel::update(target)
                    .set(submissions::publish_at.eq(transition.publish_at))
                    .execute(conn)?;
            }
            Action::Unschedule
            | Action::ReturnToReview
            | Action::Withdraw
            | Action::AuthorWithdraw => {
                diesel::update(target)
                    .set(submissions::publish_at.eq(None::<DateTime<Utc>>))
                    .execute(conn)?;
            }
            Action::Publish => {
                // The first publication date stays; a republished piece is
                // no longer retracted.
                diesel::update(target)
                    .set((
                        submissions::published_at.eq(sql::<Nullable<Timestamptz>>(
                            "coalesce(published_at, ",
                        )
                        .bind::<Timestamptz, _>(now)
                        .sql(")")),
                        submissions::retracted_at.eq(None::<DateTime<Utc>>),
                        submissions::publish_at.eq(None::<DateTime<Utc>>),
                    ))
                    .execute(conn)?;
            }
            Action::Unpublish => {
                diesel::update(target)
                    .set(submissions::retracted_at.eq(now))
                    .execute(conn)?;
            }
            _ => {}
        }
        if let (Action::Reopen | Action::ReturnToReview, Some(respond_by)) =
            (transition.action, reopened_respond_by)
        {
            // The author has had an answer (declined, approved); the piece
            // is open again under a new promise. Without it, a piece whose
            // old deadline has passed would be released at once. The new
            // window may be held once more.
            diesel::update(target)
                .set((
                    submissions::respond_by.eq(respond_by),
                    submissions::held_at.eq(None::<DateTime<Utc>>),
                ))
                .execute(conn)?;
        }
        if matches!(
            transition.to,
            State::Approved | State::Scheduled | State::Published
        ) {
            // Named before anything links to it: the author's email, the webhook.
            slug::assign(conn, id)?;
        }
        diesel::insert_into(submission_history::table)
            .values((
                submission_history::submission_id.eq(id),
                submission_history::action.eq(transition.action),
                submission_history::from_state.eq(transition.from),
                submission_history::to_state.eq(transition.to),
                submission_history::actor_id.eq(initiator.user_id()),
                submission_history::note.eq(transition.note.as_deref()),
                submission_history::created_at.eq(now),
            ))
            .execute(conn)?;
        if let Some(Withdrawal::ByAuthor { .. }) = withdrawal {
            // The author took the piece back themselves: they hear that the
            // desk has taken it up again, as they asked.
            outbox::enqueue_email(conn, id, REOPENED_TEMPLATE, None)?;
        }
        for effect in transition.effects {
            match effect {
                Effect::EmailAuthor(template) => {
                    if let Some(template) = initiator.author_template(template) {
                        outbox::enqueue_email(conn, id, template, transition.note.as_deref())?;
                    }
                }
                Effect::Webhook(event) => outbox::enqueue_webhook(conn, id, *event, site, now)?,
            }
        }
        store::find(conn, id)?.ok_or(PieceError::NotFound.into())
    })
}
