//! Proposed revisions: new texts that came by mail and wait for an editor.
//!
//! A reply can be forged, and a piece may already be public, so mail never
//! replaces a text that readers may see, nor one whose sender could not be
//! authenticated (`intake::decide::reply_text`). The text waits here until an
//! editor accepts it (a revision like any other edit, version-checked) or
//! discards it. Both decisions, and the proposal itself, are in the piece's
//! history.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::edit::may_edit;
use super::error::PieceError;
use super::history;
use super::lock;
use super::revision::{self, NewText, Origin};
use super::store::{self, SubmissionRecord, UserRef};
use crate::auth::Actor;
use crate::domain::{
    AuthVerdict, InboundMessageId, PieceEvent, ProposalId, ProposalStatus, State, SubmissionId,
    UserId, WebhookEvent,
};
use crate::publishing::Site;
use crate::schema::{proposed_revisions, users};

/// Files `text`, carried by inbound message `message_row`, as a proposal
/// for the piece, now in `state`. Returns the proposal's id.
pub fn propose(
    conn: &mut PgConnection,
    submission_id: SubmissionId,
    message_row: InboundMessageId,
    text: NewText<'_>,
    sender_verdict: AuthVerdict,
    state: State,
) -> QueryResult<ProposalId> {
    let id = diesel::insert_into(proposed_revisions::table)
        .values((
            proposed_revisions::submission_id.eq(submission_id),
            proposed_revisions::inbound_message_id.eq(message_row),
            proposed_revisions::body_text.eq(text.body_text),
            proposed_revisions::body_html.eq(text.body_html),
            proposed_revisions::word_count.eq(text.word_count),
            proposed_revisions::sender_verdict.eq(sender_verdict),
        ))
        .returning(proposed_revisions::id)
        .get_result(conn)?;
    let note =
        format!("proposal {id} from the author's reply (sender authentication: {sender_verdict})");
    history::record_event(
        conn,
        submission_id,
        PieceEvent::RevisionProposed,
        state,
        None,
        &note,
    )?;
    Ok(id)
}

#[derive(Debug, Clone, Queryable)]
pub struct ProposalRow {
    pub id: i64,
    pub status: ProposalStatus,
    pub sender_verdict: AuthVerdict,
    pub body_text: String,
    pub word_count: i32,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<UserRef>,
    pub decided_at: Option<DateTime<Utc>>,
    pub revision_number: Option<i32>,
}

/// The piece's proposals, newest first.
pub fn list(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Vec<ProposalRow>> {
    load(conn, SubmissionId(submission_id), None)
}

/// The piece's proposals, or the one named.
fn load(
    conn: &mut PgConnection,
    submission_id: SubmissionId,
    only: Option<ProposalId>,
) -> QueryResult<Vec<ProposalRow>> {
    let mut query = proposed_revisions::table
        .left_join(users::table.on(users::id.nullable().eq(proposed_revisions::decided_by)))
        .filter(proposed_revisions::submission_id.eq(submission_id))
        .select((
            proposed_revisions::id,
            proposed_revisions::status,
            proposed_revisions::sender_verdict,
            proposed_revisions::body_text,
            proposed_revisions::word_count,
            proposed_revisions::created_at,
            (users::id, users::name).nullable(),
            proposed_revisions::decided_at,
            proposed_revisions::revision_number,
        ))
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(proposed_revisions::id.eq(id));
    }
    query.order(proposed_revisions::id.desc()).load(conn)
}

/// Makes the proposal the piece's text, as an edit made against
/// `expected_version` by `decider` would. On a scheduled or published piece
/// this is a publisher's act (`edit::may_edit`); on a published one it tells
/// the site (`opinion.updated`).
pub fn accept(
    conn: &mut PgConnection,
    submission_id: SubmissionId,
    proposal_id: ProposalId,
    expected_version: i32,
    decider: Actor,
    site: &Site,
) -> Result<SubmissionRecord, PieceError> {
    conn.transaction(|conn| {
        let piece = lock::lock(conn, submission_id)?;
        let state = piece.state;
        let pending = lock_pending(conn, submission_id, proposal_id)?;
        if !may_edit(state, decider.role) {
            return Err(PieceError::PublisherOnly { state });
        }
        piece.at(expected_version)?;
        let number = revision::replace_text(
            conn,
            submission_id,
            NewText {
                body_text: &pending.body_text,
                body_html: &pending.body_html,
                word_count: pending.word_count,
            },
            Origin::Reply {
                message: pending.inbound_message_id,
                verdict: pending.sender_verdict,
            },
        )?;
        let decider_id = UserId(decider.user_id);
        decide(
            conn,
            proposal_id,
            ProposalStatus::Accepted,
            decider_id,
            Some(number),
        )?;
        let note = format!("proposal {proposal_id} became revision {number}");
        history::record_event(
            conn,
            submission_id,
            PieceEvent::RevisionAccepted,
            state,
            Some(decider_id),
            &note,
        )?;
        if state == State::Published {
            crate::outbox::enqueue_webhook(
                conn,
                submission_id.0,
                WebhookEvent::Updated,
                site,
                Utc::now(),
            )?;
        }
        store::find(conn, submission_id.0)?.ok_or(PieceError::NotFound)
    })
}

/// Sets the proposal aside; the piece's text stays as it is.
pub fn discard(
    conn: &mut PgConnection,
    submission_id: SubmissionId,
    proposal_id: ProposalId,
    user_id: UserId,
) -> Result<ProposalRow, PieceError> {
    conn.transaction(|conn| {
        let state = lock::lock(conn, submission_id)?.state;
        lock_pending(conn, submission_id, proposal_id)?;
        decide(conn, proposal_id, ProposalStatus::Discarded, user_id, None)?;
        let note = format!("proposal {proposal_id} discarded");
        history::record_event(
            conn,
            submission_id,
            PieceEvent::RevisionDiscarded,
            state,
            Some(user_id),
            &note,
        )?;
        load(conn, submission_id, Some(proposal_id))?
            .pop()
            .ok_or(PieceError::NoSuchProposal)
    })
}

#[derive(Queryable)]
struct Pending {
    status: ProposalStatus,
    inbound_message_id: InboundMessageId,
    body_text: String,
    body_html: String,
    word_count: i32,
    sender_verdict: AuthVerdict,
}

fn lock_pending(
    conn: &mut PgConnection,
    submission_id: SubmissionId,
    proposal_id: ProposalId,
) -> Result<Pending, PieceError> {
    let found: Pending = proposed_revisions::table
        .filter(proposed_revisions::id.eq(proposal_id))
        .filter(proposed_revisions::submission_id.eq(submission_id))
        .select((
            proposed_revisions::status,
            proposed_revisions::inbound_message_id,
            proposed_revisions::body_text,
            proposed_revisions::body_html,
            proposed_revisions::word_count,
            proposed_revisions::sender_verdict,
        ))
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(PieceError::NoSuchProposal)?;
    if found.status != ProposalStatus::Pending {
        return Err(PieceError::ProposalDecided {
            status: found.status,
        });
    }
    Ok(found)
}

fn decide(
    conn: &mut PgConnection,
    proposal_id: ProposalId,
    status: ProposalStatus,
    user_id: UserId,
    revision_number: Option<i32>,
) -> QueryResult<()> {
    diesel::update(proposed_revisions::table.find(proposal_id))
        .set((
            proposed_revisions::status.eq(status),
            proposed_revisions::decided_by.eq(user_id),
            proposed_revisions::decided_at.eq(diesel::dsl::now),
            proposed_revisions::revision_number.eq(revision_number),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many proposals wait on the piece: shown with it to editors.
pub fn pending_count(conn: &mut PgConnection, submission_id: i64) -> QueryResult<i64> {
    proposed_revisions::table
        .filter(proposed_revisions::submission_id.eq(submission_id))
        .filter(proposed_revisions::status.eq(ProposalStatus::Pending))
        .count()
        .get_result(conn)
}
