//! What editors do with a message in the inbox, each in one transaction:
//! make a piece of it ([`promote`]) or file it with a piece
//! ([`file_with`]). Both prepare the message first, with no connection
//! held ([`crate::intake::prepare_promotion`], [`crate::intake::prepare_filing`]),
//! and then write what intake writes for a new submission or a reply
//! (`intake::store`), so mail an editor moves is recorded exactly as mail
//! that found its way alone.

use chrono::Utc;
use diesel::prelude::*;

use super::INBOX_OUTCOMES;
use crate::config::IntakeConfig;
use crate::domain::{InboundMessageId, State, SubmissionId};
use crate::intake::decide::{self, Drafted, Prospect, Thread};
use crate::intake::store::{acknowledge, attach_reply, create_submission};
use crate::intake::{MailAnalysis, Outcome, Prepared, Reading};
use crate::schema::{inbound_messages, submissions};
use crate::submissions::near_duplicates;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("no such message")]
    NotFound,
    #[error("only unmatched or quarantined mail that is not yet part of a piece is in the inbox")]
    NotInInbox,
    #[error("no piece has the reference {0}")]
    UnknownReference(String),
    #[error("the message cannot be read as mail: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The raw bytes of a message in the inbox (unmatched or quarantined, not
/// yet a submission), to be prepared for promotion or filing with no
/// connection held.
pub fn raw_in_inbox(conn: &mut PgConnection, message_row: i64) -> Result<Vec<u8>, InboxError> {
    let (raw, outcome, linked): (Vec<u8>, Outcome, Option<i64>) = inbound_messages::table
        .find(message_row)
        .select((
            inbound_messages::raw,
            inbound_messages::outcome,
            inbound_messages::submission_id,
        ))
        .first(conn)
        .optional()?
        .ok_or(InboxError::NotFound)?;
    if !INBOX_OUTCOMES.contains(&outcome) || linked.is_some() {
        return Err(InboxError::NotInInbox);
    }
    Ok(raw)
}

/// The draft a message prepared by `prepare_promotion` or `prepare_filing` carries.
fn drafted_mail(prepared: Prepared) -> Result<(Box<MailAnalysis>, Box<Drafted>), InboxError> {
    match prepared.reading {
        Reading::Mail {
            analysis,
            prospect: Prospect::Draft(drafted),
        } => Ok((analysis, drafted)),
        _ => Err(InboxError::Unreadable(
            "the message was not prepared as a draft".into(),
        )),
    }
}

/// A message an editor made a piece of.
#[derive(Debug, Clone, Copy)]
pub struct Promoted {
    pub submission_id: i64,
    /// Whether its sender's acknowledgement was queued (not when they
    /// failed DMARC, or the acknowledgement limits were reached).
    pub acknowledged: bool,
}

/// Turns a message from the inbox into a new submission, as an editor
/// decided; `prepared` comes from [`crate::intake::prepare_promotion`], made with no
/// connection held. Its recorded intake outcome stays what it was; the link
/// to the submission takes it out of the inbox. It is received now, its
/// response window runs from now, and its sender is acknowledged as the
/// sender of any new submission is, in the same transaction.
pub fn promote(
    conn: &mut PgConnection,
    message_row: i64,
    prepared: Prepared,
    config: &IntakeConfig,
) -> Result<Promoted, InboxError> {
    let (analysis, drafted) = drafted_mail(prepared)?;
    conn.transaction(|conn| {
        // Another editor may have promoted or filed it meanwhile.
        super::in_inbox_locked(conn, message_row)?;
        let message_row = InboundMessageId(message_row);
        let received_at = Utc::now();
        let (submission_id, reference, _) = create_submission(
            conn,
            message_row,
            &analysis,
            &drafted.draft,
            received_at,
            config.window.respond_by(received_at),
        )?;
        if let Some(print) = &drafted.fingerprint {
            let found = near_duplicates::find(conn, print, received_at)?;
            near_duplicates::remember(conn, submission_id.0, received_at, print, &found)?;
        }
        let acknowledged = acknowledge(
            conn,
            message_row,
            submission_id,
            &analysis.mail.sender.email,
            &drafted.draft,
            config,
            received_at,
        )?;
        tracing::info!(message = message_row.0, %reference, acknowledged, "message promoted to a submission");
        Ok(Promoted {
            submission_id: submission_id.0,
            acknowledged,
        })
    })
}

/// A message an editor filed with a piece.
#[derive(Debug, Clone)]
pub struct Filed {
    pub submission_id: i64,
    pub reference: String,
}

/// Files an inbox message with the piece whose reference is `reference`,
/// as an editor decided: exactly as a reply of its author would be filed
/// (correspondence, attachments, its Message-ID in the piece's thread, a
/// new text applied or proposed), except that a text from anyone but the
/// author only ever waits as a proposal ([`decide::filed_text`]). The link
/// to the piece takes the message out of the inbox; its recorded outcome
/// stays what it was. `prepared` comes from [`crate::intake::prepare_filing`].
pub fn file_with(
    conn: &mut PgConnection,
    message_row: i64,
    reference: &str,
    prepared: Prepared,
) -> Result<Filed, InboxError> {
    let (analysis, drafted) = drafted_mail(prepared)?;
    conn.transaction(|conn| {
        super::in_inbox_locked(conn, message_row)?;
        let (submission_id, state, author_email): (SubmissionId, State, String) =
            submissions::table
                .filter(submissions::reference.eq(reference))
                .select((
                    submissions::id,
                    submissions::state,
                    submissions::author_email,
                ))
                .for_update()
                .first(conn)
                .optional()?
                .ok_or_else(|| InboxError::UnknownReference(reference.to_string()))?;
        let from_author = author_email.eq_ignore_ascii_case(&analysis.mail.sender.email);
        let thread = Thread {
            submission_id,
            state,
        };
        let text = decide::filed_text(state, &drafted.draft, from_author);
        let message_row = InboundMessageId(message_row);
        let (reference, _) = attach_reply(
            conn,
            message_row,
            thread,
            &analysis,
            &drafted.draft,
            text,
        )?;
        tracing::info!(message = message_row.0, %reference, from_author, "message filed with a piece");
        Ok(Filed {
            submission_id: submission_id.0,
            reference,
        })
    })
}
