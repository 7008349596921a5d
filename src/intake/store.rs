//! Writes an analysed message in one transaction: the message row with its
//! outcome, and the submission, reply or nothing that it leads to.

use chrono::{DateTime, Datelike, Utc};
use diesel::dsl::{exists, max};
use diesel::prelude::*;

use super::draft::{SubmissionDraft, build_draft};
use super::{Analysis, IngestReport, IntakeError, MailAnalysis, Outcome, sha256_hex};
use crate::config::IntakeConfig;
use crate::db::models::{
    NewAttachment, NewCorrespondence, NewInboundMessage, NewRevision, NewSubmission, NewThreadId,
};
use crate::schema::{
    attachments, correspondence, inbound_messages, submission_history, submission_revisions,
    submission_thread_ids, submissions,
};

/// The raw bytes as they are kept, and the size the message had on arrival.
pub(super) struct RawMessage<'a> {
    pub bytes: &'a [u8],
    pub size: usize,
}

pub(super) fn record(
    conn: &mut PgConnection,
    raw: RawMessage<'_>,
    analysis: Analysis,
    config: &IntakeConfig,
) -> Result<IngestReport, IntakeError> {
    let received_at = Utc::now();
    let raw_sha256 = sha256_hex(raw.bytes);
    let base = NewInboundMessage {
        received_at,
        outcome: Outcome::Quarantined.as_str(),
        outcome_detail: None,
        dedup_key: None,
        duplicate_of: None,
        message_id: None,
        sender_email: None,
        sender_name: None,
        subject: None,
        raw: raw.bytes,
        raw_size: i64::try_from(raw.size).unwrap_or(i64::MAX),
        raw_sha256: &raw_sha256,
    };

    let analysis = match analysis {
        Analysis::Quarantine(reason) => {
            let detail = reason.to_string();
            let id = insert_message(
                conn,
                &NewInboundMessage {
                    outcome_detail: Some(&detail),
                    ..base
                },
            )?
            .ok_or(diesel::result::Error::NotFound)?;
            tracing::warn!(message = id, reason = reason.code(), "message quarantined");
            return Ok(report(Outcome::Quarantined, id, Some(detail)));
        }
        Analysis::Mail(analysis) => analysis,
    };
    let mail = &analysis.mail;
    let base = NewInboundMessage {
        dedup_key: Some(&analysis.dedup_key),
        message_id: mail.message_id.as_deref(),
        sender_email: Some(&mail.sender.email),
        sender_name: mail.sender.name.as_deref(),
        subject: Some(&mail.subject),
        ..base
    };

    // A redelivery is answered before any document is extracted.
    if let Some(original) = owner_of(conn, &analysis.dedup_key)? {
        return record_duplicate(conn, base, original);
    }
    // Extraction is CPU work: done before the transaction, and only for mail
    // that can become a submission or a revision.
    let draft = (analysis.automatic.is_none() && (analysis.has_marker || analysis.may_be_reply()))
        .then(|| build_draft(mail, &config.limits, config.trusted_authserv_id.as_deref()));

    conn.transaction(|conn| {
        let reply_to = match (&analysis.automatic, analysis.may_be_reply()) {
            (None, true) => find_thread_owner(conn, &analysis)?,
            _ => None,
        };
        let (outcome, detail) = match (&analysis.automatic, reply_to, analysis.has_marker) {
            (Some(reason), _, _) => (Outcome::IgnoredAuto, Some(reason.clone())),
            (None, Some(_), _) => (Outcome::Reply, None),
            (None, None, true) => (Outcome::Submission, None),
            (None, None, false) => (Outcome::Unmatched, None),
        };
        let inserted = insert_message(
            conn,
            &NewInboundMessage {
                outcome: outcome.as_str(),
                outcome_detail: detail.as_deref(),
                ..base
            },
        )?;
        let Some(message_row) = inserted else {
            // Another delivery of the same message committed first.
            let original =
                owner_of(conn, &analysis.dedup_key)?.ok_or(diesel::result::Error::NotFound)?;
            return record_duplicate(conn, base, original);
        };

        let mut report = report(outcome, message_row, detail);
        match (outcome, reply_to, &draft) {
            (Outcome::Submission, _, Some(draft)) => {
                let (submission_id, reference, title) =
                    create_submission(conn, message_row, &analysis, draft, received_at)?;
                let acknowledged = crate::outbox::enqueue_acknowledgement(
                    conn,
                    submission_id,
                    &mail.sender.email,
                    config.ack_limit_per_hour,
                    received_at,
                )?;
                if !acknowledged {
                    tracing::info!(
                        message = message_row,
                        "acknowledgement limit reached for this sender"
                    );
                }
                tracing::info!(message = message_row, %reference, "submission created");
                report.reference = Some(reference);
                report.title = Some(title);
            }
            (Outcome::Reply, Some(submission), Some(draft)) => {
                let (reference, title) =
                    attach_reply(conn, message_row, submission, &analysis, draft)?;
                tracing::info!(message = message_row, %reference, "reply attached");
                report.reference = Some(reference);
                report.title = Some(title);
            }
            _ => tracing::info!(
                message = message_row,
                outcome = outcome.as_str(),
                "message recorded"
            ),
        }
        Ok(report)
    })
}

fn report(outcome: Outcome, message: i64, detail: Option<String>) -> IngestReport {
    IngestReport {
        outcome,
        reference: None,
        title: None,
        message,
        detail,
    }
}

/// Inserts the message row; `None` when its dedup key is already owned.
fn insert_message(
    conn: &mut PgConnection,
    row: &NewInboundMessage<'_>,
) -> QueryResult<Option<i64>> {
    diesel::insert_into(inbound_messages::table)
        .values(row)
        // No conflict target: the partial unique index on dedup_key is the
        // only one an insert here can hit.
        .on_conflict_do_nothing()
        .returning(inbound_messages::id)
        .get_result(conn)
        .optional()
}

fn owner_of(conn: &mut PgConnection, dedup_key: &str) -> QueryResult<Option<i64>> {
    inbound_messages::table
        .filter(inbound_messages::dedup_key.eq(dedup_key))
        .filter(inbound_messages::outcome.ne(Outcome::Duplicate.as_str()))
        .select(inbound_messages::id)
        .first(conn)
        .optional()
}

fn record_duplicate(
    conn: &mut PgConnection,
    base: NewInboundMessage<'_>,
    original: i64,
) -> Result<IngestReport, IntakeError> {
    let detail = format!("same message as #{original}");
    let id = insert_message(
        conn,
        &NewInboundMessage {
            outcome: Outcome::Duplicate.as_str(),
            outcome_detail: Some(&detail),
            duplicate_of: Some(original),
            ..base
        },
    )?
    .ok_or(diesel::result::Error::NotFound)?;
    tracing::info!(message = id, original, "duplicate recorded");
    Ok(report(Outcome::Duplicate, id, Some(detail)))
}

/// The sender's submission that this mail answers: named by a thread id or by
/// its reference in the subject. Mail from anyone but the author never attaches.
fn find_thread_owner(conn: &mut PgConnection, analysis: &MailAnalysis) -> QueryResult<Option<i64>> {
    let in_thread = exists(
        submission_thread_ids::table
            .filter(submission_thread_ids::submission_id.eq(submissions::id))
            .filter(submission_thread_ids::message_id.eq_any(&analysis.mail.thread_ids)),
    );
    submissions::table
        .filter(submissions::author_email.eq(&analysis.mail.sender.email))
        .filter(
            submissions::reference
                .eq_any(&analysis.subject_references)
                .or(in_thread),
        )
        .order(submissions::id.desc())
        .select(submissions::id)
        .first(conn)
        .optional()
}

fn create_submission(
    conn: &mut PgConnection,
    message_row: i64,
    analysis: &MailAnalysis,
    draft: &SubmissionDraft,
    received_at: DateTime<Utc>,
) -> QueryResult<(i64, String, String)> {
    let mail = &analysis.mail;
    let reference = next_reference(conn, received_at.year())?;
    let submission_id: i64 = diesel::insert_into(submissions::table)
        .values(NewSubmission {
            reference: &reference,
            title: &draft.title,
            author_name: mail.sender.name.as_deref(),
            author_email: &mail.sender.email,
            received_at,
            message_id: mail.message_id.as_deref(),
            body_text: &draft.body_text,
            body_html: &draft.body_html,
            cover_note: draft.cover_note.as_deref(),
            word_count: draft.word_count,
            auth_verdict: draft.authentication.verdict.as_str(),
            suspicious: draft.authentication.suspicious,
            inbound_message_id: message_row,
        })
        .returning(submissions::id)
        .get_result(conn)?;
    link_message(conn, message_row, submission_id, mail.message_id.as_deref())?;
    insert_attachments(conn, message_row, submission_id, draft)?;
    diesel::insert_into(submission_revisions::table)
        .values(NewRevision {
            submission_id,
            number: 1,
            title: &draft.title,
            body_text: &draft.body_text,
            body_html: &draft.body_html,
            source: "email",
            inbound_message_id: Some(message_row),
            editor_id: None,
        })
        .execute(conn)?;
    Ok((submission_id, reference, draft.title.clone()))
}

/// Files the reply as correspondence; a reply carrying a document becomes the
/// submission's new text, the old one kept as a revision.
fn attach_reply(
    conn: &mut PgConnection,
    message_row: i64,
    submission_id: i64,
    analysis: &MailAnalysis,
    draft: &SubmissionDraft,
) -> QueryResult<(String, String)> {
    let mail = &analysis.mail;
    link_message(conn, message_row, submission_id, mail.message_id.as_deref())?;
    let body = draft.cover_note.as_deref().unwrap_or(&draft.body_text);
    diesel::insert_into(correspondence::table)
        .values(NewCorrespondence {
            submission_id,
            direction: "inbound",
            inbound_message_id: Some(message_row),
            subject: Some(&mail.subject),
            body_text: body,
        })
        .execute(conn)?;
    insert_attachments(conn, message_row, submission_id, draft)?;

    if draft.article_from_document {
        let number: Option<i32> = submission_revisions::table
            .filter(submission_revisions::submission_id.eq(submission_id))
            .select(max(submission_revisions::number))
            .first(conn)?;
        let (title,): (String,) = submissions::table
            .find(submission_id)
            .select((submissions::title,))
            .first(conn)?;
        diesel::insert_into(submission_revisions::table)
            .values(NewRevision {
                submission_id,
                number: number.unwrap_or(0) + 1,
                title: &title,
                body_text: &draft.body_text,
                body_html: &draft.body_html,
                source: "reply",
                inbound_message_id: Some(message_row),
                editor_id: None,
            })
            .execute(conn)?;
        // The author answered a request for changes: editors see the piece as revised.
        let changes_requested = submissions::table
            .find(submission_id)
            .filter(submissions::state.eq("draft"))
            .filter(exists(
                submission_history::table
                    .filter(submission_history::submission_id.eq(submission_id))
                    .filter(submission_history::action.eq("request_changes")),
            ));
        diesel::update(changes_requested)
            .set(submissions::revised_at.eq(diesel::dsl::now))
            .execute(conn)?;
        diesel::update(submissions::table.find(submission_id))
            .set((
                submissions::body_text.eq(&draft.body_text),
                submissions::body_html.eq(&draft.body_html),
                submissions::word_count.eq(draft.word_count),
                submissions::version.eq(submissions::version + 1),
                submissions::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
    }
    submissions::table
        .find(submission_id)
        .select((submissions::reference, submissions::title))
        .first(conn)
}

/// Points the message at its submission and adds its Message-ID to the
/// submission's thread, so replies to it attach too.
fn link_message(
    conn: &mut PgConnection,
    message_row: i64,
    submission_id: i64,
    message_id: Option<&str>,
) -> QueryResult<()> {
    diesel::update(inbound_messages::table.find(message_row))
        .set(inbound_messages::submission_id.eq(submission_id))
        .execute(conn)?;
    if let Some(message_id) = message_id {
        diesel::insert_into(submission_thread_ids::table)
            .values(NewThreadId {
                message_id,
                submission_id,
            })
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(())
}

fn insert_attachments(
    conn: &mut PgConnection,
    message_row: i64,
    submission_id: i64,
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

/// `OE-YYYY-NNNN`: the year of receipt and a number from a sequence, which
/// no transaction locks (see the migration that introduced it).
fn next_reference(conn: &mut PgConnection, year: i32) -> QueryResult<String> {
    let number: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "nextval('submission_reference_seq')",
    ))
    .get_result(conn)?;
    Ok(format!("OE-{year}-{number:04}"))
}

#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    #[error("no such message")]
    NotFound,
    #[error("only unmatched or quarantined mail that is not yet a submission can be promoted")]
    NotInInbox,
    #[error("the message cannot become a submission: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Turns a message from the inbox (unmatched or quarantined) into a new
/// submission, as an editor decided. Its recorded intake outcome stays what
/// it was; the link to the submission takes it out of the inbox.
pub fn promote(
    conn: &mut PgConnection,
    message_row: i64,
    config: &IntakeConfig,
) -> Result<i64, PromoteError> {
    conn.transaction(|conn| {
        let (raw, outcome, linked): (Vec<u8>, String, Option<i64>) = inbound_messages::table
            .find(message_row)
            .select((
                inbound_messages::raw,
                inbound_messages::outcome,
                inbound_messages::submission_id,
            ))
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(PromoteError::NotFound)?;
        let in_inbox =
            outcome == Outcome::Unmatched.as_str() || outcome == Outcome::Quarantined.as_str();
        if !in_inbox || linked.is_some() {
            return Err(PromoteError::NotInInbox);
        }
        let analysis = match super::analyse(&raw, config) {
            Analysis::Mail(analysis) => analysis,
            Analysis::Quarantine(reason) => {
                return Err(PromoteError::Unreadable(reason.to_string()));
            }
        };
        let draft = build_draft(
            &analysis.mail,
            &config.limits,
            config.trusted_authserv_id.as_deref(),
        );
        let (submission_id, reference, _) =
            create_submission(conn, message_row, &analysis, &draft, Utc::now())?;
        tracing::info!(message = message_row, %reference, "message promoted to a submission");
        Ok(submission_id)
    })
}
