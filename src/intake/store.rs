//! Writes an analysed message within the caller's transaction
//! (`intake::poison` opens it): the message row with its outcome, and the
//! submission, reply or nothing that it leads to.

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, max};
use diesel::prelude::*;

use super::decide::{self, Answered, Plan, Prospect, ReplyText, Thread};
use super::draft::SubmissionDraft;
use super::keys::id_key;
use super::parse::QuarantineReason;
use super::{IngestReport, MailAnalysis, Outcome, Prepared, Reading, sha256_hex};
use crate::author_link::store as author_links;
use crate::author_link::token::RawToken;
use crate::config::IntakeConfig;
use crate::db::models::{
    NewAttachment, NewCorrespondence, NewInboundMessage, NewSubmission, NewThreadId,
};
use crate::domain::{Action, Direction, InboundMessageId, State, SubmissionId};
use crate::schema::{
    attachments, correspondence, inbound_messages, submission_history, submission_thread_ids,
    submissions,
};
use crate::submissions::revision::{self, NewText, Origin};
use crate::submissions::{lock, near_duplicates, proposals};

/// The raw bytes as they are kept, and the size the message had on arrival.
#[derive(Clone, Copy)]
pub(super) struct RawMessage<'a> {
    pub bytes: &'a [u8],
    pub size: usize,
}

/// The message row with nothing taken from the mail but its bytes.
fn quarantined_row<'a>(
    raw: RawMessage<'a>,
    raw_sha256: &'a str,
    detail: &'a str,
) -> NewInboundMessage<'a> {
    NewInboundMessage {
        received_at: Utc::now(),
        outcome: Outcome::Quarantined,
        outcome_detail: Some(detail),
        dedup_key: None,
        duplicate_of: None,
        message_id: None,
        sender_email: None,
        sender_name: None,
        subject: None,
        raw: raw.bytes,
        raw_size: i64::try_from(raw.size).unwrap_or(i64::MAX),
        raw_sha256,
    }
}

/// Records a message as quarantined for `reason`, with its raw bytes and
/// no value read from it, so nothing in it can be refused again.
pub(super) fn record_quarantined(
    conn: &mut PgConnection,
    raw: RawMessage<'_>,
    reason: &QuarantineReason,
) -> QueryResult<IngestReport> {
    let raw_sha256 = sha256_hex(raw.bytes);
    let detail = reason.to_string();
    let id = insert_message(conn, &quarantined_row(raw, &raw_sha256, &detail))?
        .ok_or(diesel::result::Error::NotFound)?;
    tracing::warn!(
        message = id.0,
        reason = reason.code(),
        "message quarantined"
    );
    Ok(report(Outcome::Quarantined, id, Some(detail)))
}

/// Records a prepared message; the caller holds the transaction.
pub(super) fn record(
    conn: &mut PgConnection,
    raw: RawMessage<'_>,
    prepared: &Prepared,
    config: &IntakeConfig,
) -> QueryResult<IngestReport> {
    let (analysis, prospect) = match &prepared.reading {
        Reading::Quarantine(reason) => return record_quarantined(conn, raw, reason),
        Reading::Mail { analysis, prospect } => (analysis, prospect),
    };
    let raw_sha256 = sha256_hex(raw.bytes);
    let received_at = Utc::now();
    let mail = &analysis.mail;
    let base = NewInboundMessage {
        received_at,
        outcome: Outcome::Quarantined,
        outcome_detail: None,
        dedup_key: Some(&analysis.dedup_key),
        duplicate_of: None,
        message_id: mail.message_id.as_deref(),
        sender_email: Some(&mail.sender.email),
        sender_name: mail.sender.name.as_deref(),
        subject: Some(&mail.subject),
        raw: raw.bytes,
        raw_size: i64::try_from(raw.size).unwrap_or(i64::MAX),
        raw_sha256: &raw_sha256,
    };

    // A delivery seen before is found by the insert itself: the unique
    // index on the dedup key turns it away, and it is then recorded as
    // a duplicate of the message that owns the key.
    let drafted = match prospect {
        Prospect::Draft(drafted) => Some(drafted),
        Prospect::Automatic(_) | Prospect::Unaddressed => None,
    };
    let thread = match drafted {
        Some(_) if analysis.may_be_reply() => find_thread(conn, analysis)?,
        _ => None,
    };
    // A new piece is compared with the last months' pieces; one that
    // resends its author's open piece is filed with it.
    let fingerprint = drafted.and_then(|drafted| drafted.fingerprint.as_ref());
    let found = match (fingerprint, thread) {
        (Some(print), None) => near_duplicates::find(conn, print, received_at)?,
        _ => Vec::new(),
    };
    let answered = match thread {
        Some(thread) => Some(Answered {
            thread,
            resend: None,
        }),
        None => match decide::resend_of(&mail.sender.email, &found) {
            // Locked and read again, as `find_thread` does: what the reply
            // may do to the text depends on the state it is in now.
            Some((open_piece, similarity)) => lock::find_locked(conn, open_piece.submission_id)?
                .map(|piece| Answered {
                    thread: Thread {
                        state: piece.state,
                        ..open_piece
                    },
                    resend: Some(similarity),
                }),
            None => None,
        },
    };
    let plan = decide::plan(prospect, answered, analysis.has_marker);
    let (outcome, detail) = (plan.outcome(), plan.detail());
    let inserted = insert_message(
        conn,
        &NewInboundMessage {
            outcome,
            outcome_detail: detail.as_deref(),
            ..base
        },
    )?;
    let Some(message_row) = inserted else {
        let original =
            owner_of(conn, &analysis.dedup_key)?.ok_or(diesel::result::Error::NotFound)?;
        return record_duplicate(conn, base, original);
    };

    let mut report = report(outcome, message_row, detail);
    match plan {
        Plan::Submission { drafted } => {
            let draft = &drafted.draft;
            let respond_by = config.window.respond_by(received_at);
            let (submission_id, reference, title) =
                create_submission(conn, message_row, analysis, draft, received_at, respond_by)?;
            if let Some(print) = &drafted.fingerprint {
                near_duplicates::remember(conn, submission_id.0, received_at, print, &found)?;
            }
            acknowledge(
                conn,
                message_row,
                submission_id,
                &mail.sender.email,
                draft,
                config,
                received_at,
            )?;
            tracing::info!(message = message_row.0, %reference, "submission created");
            report.reference = Some(reference);
            report.title = Some(title);
        }
        Plan::Reply { answered, draft } => {
            let text = decide::reply_text(answered.thread.state, draft);
            let (reference, title) =
                attach_reply(conn, message_row, answered.thread, analysis, draft, text)?;
            tracing::info!(message = message_row.0, %reference, "reply attached");
            report.reference = Some(reference);
            report.title = Some(title);
        }
        Plan::IgnoredAuto { .. } | Plan::Unmatched => tracing::info!(
            message = message_row.0,
            outcome = outcome.as_str(),
            "message recorded"
        ),
    }
    Ok(report)
}

/// Queues the acknowledgement of a new submission, within the limits;
/// whether it was queued.
pub(super) fn acknowledge(
    conn: &mut PgConnection,
    message_row: InboundMessageId,
    submission_id: SubmissionId,
    recipient: &str,
    draft: &SubmissionDraft,
    config: &IntakeConfig,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    if !decide::acknowledge(draft) {
        tracing::info!(
            message = message_row.0,
            "not acknowledged: the sender failed DMARC"
        );
        return Ok(false);
    }
    let limits = crate::outbox::AcknowledgementLimits {
        per_sender_per_hour: config.ack_limit_per_hour,
        total_per_hour: config.ack_limit_total_per_hour,
    };
    // The author's status link travels in the acknowledgement: the token is
    // made here, its digest kept only when the email that carries it is
    // queued (a link nobody receives would be a key to nothing).
    let token = RawToken::generate();
    let queued = crate::outbox::enqueue_acknowledgement(
        conn,
        submission_id.0,
        recipient,
        token.expose(),
        limits,
        now,
    )?;
    if queued {
        author_links::keep(conn, submission_id.0, &token, now)?;
    } else {
        tracing::info!(
            message = message_row.0,
            "not acknowledged: the acknowledgement limit was reached"
        );
    }
    Ok(queued)
}

fn report(outcome: Outcome, message: InboundMessageId, detail: Option<String>) -> IngestReport {
    IngestReport {
        outcome,
        reference: None,
        title: None,
        message: message.0,
        detail,
    }
}

/// Inserts the message row; `None` when its dedup key is already owned.
fn insert_message(
    conn: &mut PgConnection,
    row: &NewInboundMessage<'_>,
) -> QueryResult<Option<InboundMessageId>> {
    diesel::insert_into(inbound_messages::table)
        .values(row)
        // No conflict target: the partial unique index on dedup_key is the
        // only one an insert here can hit.
        .on_conflict_do_nothing()
        .returning(inbound_messages::id)
        .get_result(conn)
        .optional()
}

fn owner_of(conn: &mut PgConnection, dedup_key: &str) -> QueryResult<Option<InboundMessageId>> {
    inbound_messages::table
        .filter(inbound_messages::dedup_key.eq(dedup_key))
        .filter(inbound_messages::outcome.ne(Outcome::Duplicate))
        .select(inbound_messages::id)
        .first(conn)
        .optional()
}

fn record_duplicate(
    conn: &mut PgConnection,
    base: NewInboundMessage<'_>,
    original: InboundMessageId,
) -> QueryResult<IngestReport> {
    let detail = format!("same message as #{original}");
    let id = insert_message(
        conn,
        &NewInboundMessage {
            outcome: Outcome::Duplicate,
            outcome_detail: Some(&detail),
            duplicate_of: Some(original),
            ..base
        },
    )?
    .ok_or(diesel::result::Error::NotFound)?;
    tracing::info!(message = id.0, original = original.0, "duplicate recorded");
    Ok(report(Outcome::Duplicate, id, Some(detail)))
}

/// The sender's submission that this mail answers, named by a thread id or
/// by its reference in the subject, locked for the reply's changes. Mail
/// from anyone but the author never attaches.
fn find_thread(conn: &mut PgConnection, analysis: &MailAnalysis) -> QueryResult<Option<Thread>> {
    let thread_keys: Vec<String> = analysis
        .mail
        .thread_ids
        .iter()
        .map(|id| id_key(id).into_owned())
        .collect();
    let in_thread = exists(
        submission_thread_ids::table
            .filter(submission_thread_ids::submission_id.eq(submissions::id))
            .filter(submission_thread_ids::message_id.eq_any(&thread_keys)),
    );
    let named = submissions::reference
        .nullable()
        .eq(analysis.subject_reference.as_deref());
    let found: Option<(SubmissionId, State)> = submissions::table
        .filter(submissions::author_email.eq(&analysis.mail.sender.email))
        .filter(named.or(in_thread.nullable()).assume_not_null())
        .order(submissions::id.desc())
        .select((submissions::id, submissions::state))
        .for_update()
        .first(conn)
        .optional()?;
    Ok(found.map(|(submission_id, state)| Thread {
        submission_id,
        state,
    }))
}

pub(super) fn create_submission(
    conn: &mut PgConnection,
    message_row: InboundMessageId,
    analysis: &MailAnalysis,
    draft: &SubmissionDraft,
    received_at: DateTime<Utc>,
    respond_by: DateTime<Utc>,
) -> QueryResult<(SubmissionId, String, String)> {
    let mail = &analysis.mail;
    let new_submission = NewSubmission {
        title: &draft.title,
        author_name: mail.sender.name.as_deref(),
        author_email: &mail.sender.email,
        received_at,
        respond_by,
        message_id: mail.message_id.as_deref(),
        body_text: &draft.body_text,
        body_html: &draft.body_html,
        cover_note: draft.cover_note.as_deref(),
        word_count: draft.word_count,
        auth_verdict: draft.authentication.verdict,
        suspicious: draft.authentication.suspicious,
        inbound_message_id: message_row,
    };
    let (submission_id, reference): (SubmissionId, String) =
        diesel::insert_into(submissions::table)
            .values((
                new_submission,
                submissions::reference.eq(next_submission_reference(received_at)),
            ))
            .returning((submissions::id, submissions::reference))
            .get_result(conn)?;
    link_message(conn, message_row, submission_id, mail.message_id.as_deref())?;
    insert_attachments(conn, message_row, submission_id, draft)?;
    // Its text is revision 1 already; written out as such when it first
    // changes (`submissions::revision`).
    Ok((submission_id, reference, draft.title.clone()))
}

/// Files the reply as correspondence with its attachments. A new text in it
/// (a document) replaces the piece's or waits as a proposed revision, as
/// `text` says ([`decide::reply_text`], or [`decide::filed_text`] for mail
/// an editor files).
pub(super) fn attach_reply(
    conn: &mut PgConnection,
    message_row: InboundMessageId,
    thread: Thread,
    analysis: &MailAnalysis,
    draft: &SubmissionDraft,
    text: ReplyText,
) -> QueryResult<(String, String)> {
    let mail = &analysis.mail;
    let submission_id = thread.submission_id;
    link_message(conn, message_row, submission_id, mail.message_id.as_deref())?;
    diesel::insert_into(correspondence::table)
        .values(NewCorrespondence {
            submission_id,
            direction: Direction::Inbound,
            inbound_message_id: Some(message_row),
            subject: Some(&mail.subject),
            // The whole letter: its quotes and signature are part of the
            // exchange, as the article in its body is.
            body_text: &draft.letter,
        })
        .execute(conn)?;
    insert_attachments(conn, message_row, submission_id, draft)?;

    let verdict = draft.authentication.verdict;
    match text {
        ReplyText::Unchanged => {}
        ReplyText::Apply => {
            revision::replace_text(
                conn,
                submission_id,
                new_text(draft),
                Origin::Reply {
                    message: message_row,
                    verdict,
                },
            )?;
            // The author answered a request for changes: editors see the piece as revised.
            let changes_requested = submissions::table
                .find(submission_id)
                .filter(submissions::state.eq(State::Draft))
                .filter(exists(
                    submission_history::table
                        .filter(submission_history::submission_id.eq(submission_id))
                        .filter(submission_history::action.eq(Action::RequestChanges)),
                ));
            diesel::update(changes_requested)
                .set(submissions::revised_at.eq(diesel::dsl::now))
                .execute(conn)?;
        }
        ReplyText::Propose => {
            let proposal = proposals::propose(
                conn,
                submission_id,
                message_row,
                new_text(draft),
                verdict,
                thread.state,
            )?;
            tracing::info!(
                message = message_row.0,
                proposal = proposal.0,
                %verdict,
                "reply kept as a proposed revision"
            );
        }
    }
    submissions::table
        .find(submission_id)
        .select((submissions::reference, submissions::title))
        .first(conn)
}

fn new_text(draft: &SubmissionDraft) -> NewText<'_> {
    NewText {
        body_text: &draft.body_text,
        body_html: &draft.body_html,
        word_count: draft.word_count,
    }
}

/// Points the message at its submission and adds its Message-ID (its key:
/// [`id_key`]) to the submission's thread, so replies to it attach too.
fn link_message(
    conn: &mut PgConnection,
    message_row: InboundMessageId,
    submission_id: SubmissionId,
    message_id: Option<&str>,
) -> QueryResult<()> {
    diesel::update(inbound_messages::table.find(message_row))
        .set(inbound_messages::submission_id.eq(submission_id))
        .execute(conn)?;
    if let Some(message_id) = message_id {
        diesel::insert_into(submission_thread_ids::table)
            .values(NewThreadId {
                message_id: &id_key(message_id),
                submission_id,
            })
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(())
}

fn insert_attachments(
    conn: &mut PgConnection,
    message_row: InboundMessageId,
    submission_id: SubmissionId,
    draft: &SubmissionDraft,
) -> QueryResult<()> {
    if draft.attachments.is_empty() {
        return Ok(());
    }
    let last: Option<i32> = attachments::table
        .filter(attachments::submission_id.eq(submission_id))
        .select(max(attachments::n))
        .first(conn)?;
    let first_n = last.unwrap_or(0) + 1;
    let rows: Vec<NewAttachment<'_>> = draft
        .attachments
        .iter()
        .zip(first_n..)
        .map(|(attachment, n)| NewAttachment {
            inbound_message_id: message_row,
            submission_id,
            n,
            filename: attachment.filename.as_deref(),
            content_type: &attachment.content_type,
            size: i64::try_from(attachment.content.len()).unwrap_or(i64::MAX),
            content: &attachment.content,
            is_article: attachment.is_article,
            extraction_error: attachment.extraction_error.as_deref(),
        })
        .collect();
    diesel::insert_into(attachments::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

diesel::define_sql_function! {
    /// `OE-YYYY-NNNN`: the year of receipt (UTC) and a number from a
    /// sequence, which no transaction locks (see the migrations that
    /// introduced the sequence and this function).
    fn next_submission_reference(received_at: diesel::sql_types::Timestamptz) -> diesel::sql_types::Text;
}
