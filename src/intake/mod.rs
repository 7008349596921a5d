//! Intake: from an email to exactly one recorded outcome.
//!
//! Every door (`oped ingest`, `POST /api/v1/inbound/messages`, the IMAP
//! poller in `imap`) runs the same pipeline: [`prepare`] (parse,
//! classify, extract documents: no database connection held), then
//! [`record`] (look up the few facts the database holds, [`decide`] the
//! outcome, write it: one transaction). A message the
//! database refuses is tried a few times, then kept as quarantined
//! ([`poison`]): only a database that is away or busy makes a door answer
//! "try again later".

mod article_head;
mod attachment;
pub mod auth_results;
mod body;
mod byline;
pub mod byline_suggestion;
pub mod classify;
pub mod decide;
pub mod desk_list;
pub mod documents;
pub mod draft;
mod flowed;
mod forward;
pub mod inbox;
pub mod keys;
mod letter;
pub mod parse;
mod poison;
mod quoted;
mod signature;
mod store;

pub use inbox::InboxError;
pub mod subject;
pub mod wrappers;

use diesel::PgConnection;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::IntakeConfig;
use crate::text::fingerprint::fingerprint;
use decide::{Drafted, Prospect};
use draft::{SubmissionDraft, build_draft};
use parse::{ParsedMail, QuarantineReason};

pub use crate::config::IntakeLimits;
pub use crate::domain::Outcome;

/// What became of a message: printed by `oped ingest`, returned by the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    pub outcome: Outcome,
    /// The submission created, or the one a reply was attached to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The id of the recorded message (`GET /inbox` lists the unmatched and quarantined).
    pub message: i64,
    /// Why: the quarantine reason, the automatic-mail signal, the original of a duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Intake could not record the message now; nothing was written, and the
/// sender (an MTA, the HTTP client, the poller's next pass) should try again
/// later.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The database is away or busy: the connection is gone, a standby
    /// answered, or a conflict with another transaction.
    #[error("database unavailable: {0}")]
    Unavailable(diesel::result::Error),
    /// The database answered, but refused the message every try and then
    /// its quarantine record too: it refuses more than this message.
    #[error("the database refused the message and its quarantine record: {0}")]
    Refused(diesel::result::Error),
}

/// The pure verdict on a message, before the database is consulted.
#[derive(Debug)]
pub enum Analysis {
    Quarantine(QuarantineReason),
    Mail(Box<MailAnalysis>),
}

#[derive(Debug)]
pub struct MailAnalysis {
    pub mail: ParsedMail,
    /// The Message-ID (bounded: [`keys`]), or the SHA-256 of the raw bytes
    /// when there is none.
    pub dedup_key: String,
    /// Why this is machine mail, if it is.
    pub automatic: Option<String>,
    /// The one submission reference the subject names, if it names one.
    pub subject_reference: Option<String>,
    pub has_marker: bool,
}

impl MailAnalysis {
    /// Could this mail attach to an earlier submission as a reply?
    pub fn may_be_reply(&self) -> bool {
        !self.mail.thread_ids.is_empty() || self.subject_reference.is_some()
    }
}

/// Decides everything that can be decided from the bytes alone.
pub fn analyse(raw: &[u8], config: &IntakeConfig) -> Analysis {
    let mut mail = match parse::parse_mail(raw, &config.limits) {
        Ok(mail) => mail,
        Err(reason) => return Analysis::Quarantine(reason),
    };
    desk_list::read_as_sent_directly(&mut mail, &config.desk_lists);
    let dedup_key = keys::dedup_key(mail.message_id.as_deref(), raw);
    Analysis::Mail(Box::new(MailAnalysis {
        automatic: classify::automatic_reason(&mail, &config.own_domain),
        subject_reference: subject::reference_in(&mail.subject),
        has_marker: subject::has_marker(&mail.subject),
        dedup_key,
        mail,
    }))
}

/// A message made ready to record: parsed, classified and its documents
/// extracted, with no database connection held. See [`prepare`] and [`record`].
#[derive(Debug)]
pub struct Prepared {
    reading: Reading,
    /// The size the message had on arrival, when only its head is recorded.
    arrived_size: Option<usize>,
}

/// A prepared message: quarantined, or mail with what it can become.
#[derive(Debug)]
enum Reading {
    Quarantine(QuarantineReason),
    Mail {
        analysis: Box<MailAnalysis>,
        prospect: Prospect,
    },
}

impl Prepared {
    /// The draft the mail carries, if it carries one.
    fn draft(&self) -> Option<&SubmissionDraft> {
        match &self.reading {
            Reading::Mail {
                prospect: Prospect::Draft(drafted),
                ..
            } => Some(&drafted.draft),
            _ => None,
        }
    }
}

/// Prepares a message for recording: everything that needs no database
/// (parsing, classification, document extraction in a child process).
pub fn prepare(raw: &[u8], config: &IntakeConfig) -> Prepared {
    let reading = match analyse(raw, config) {
        Analysis::Quarantine(reason) => Reading::Quarantine(reason),
        Analysis::Mail(mail) => {
            // Only mail that can become a piece or a revision is drafted:
            // not machine mail, and only with the marker or a thread.
            let prospect = match &mail.automatic {
                Some(reason) => Prospect::Automatic(reason.clone()),
                None if mail.has_marker || mail.may_be_reply() => {
                    let new_piece = mail.has_marker;
                    Prospect::Draft(Box::new(drafted(&mail, config, new_piece)))
                }
                None => Prospect::Unaddressed,
            };
            Reading::Mail {
                analysis: mail,
                prospect,
            }
        }
    };
    Prepared {
        reading,
        arrived_size: None,
    }
}

/// The draft of `mail`, fingerprinted when it may become a new piece.
fn drafted(mail: &MailAnalysis, config: &IntakeConfig, new_piece: bool) -> Drafted {
    let draft = build_draft(
        &mail.mail,
        &config.limits,
        config.trusted_authserv_id.as_deref(),
    );
    Drafted {
        fingerprint: new_piece.then(|| fingerprint(&draft.body_text)).flatten(),
        draft,
    }
}

/// Prepares a message that arrived larger than `OPED_MAX_MESSAGE_BYTES`: it
/// is recorded as quarantined with its first bytes (the headers, the start
/// of the body) and its size on arrival, so editors can see who sent what.
pub fn prepare_oversized(size: usize, config: &IntakeConfig) -> Prepared {
    Prepared {
        reading: Reading::Quarantine(QuarantineReason::TooLarge {
            size,
            limit: config.limits.max_message_bytes,
        }),
        arrived_size: Some(size),
    }
}

/// Records a prepared message in one transaction: `raw` is what is kept
/// (the head of an oversized message, see [`prepare_oversized`]).
pub fn record(
    conn: &mut PgConnection,
    raw: &[u8],
    prepared: Prepared,
    config: &IntakeConfig,
) -> Result<IngestReport, IntakeError> {
    record_with(conn, raw, prepared, config, |_| Ok(()))
}

/// [`record`], with `also` written in the same transaction, so that a
/// mailbox poller advances its own state in the commit that records the
/// message (or its quarantine).
pub fn record_with(
    conn: &mut PgConnection,
    raw: &[u8],
    prepared: Prepared,
    config: &IntakeConfig,
    mut also: impl FnMut(&mut PgConnection) -> diesel::QueryResult<()>,
) -> Result<IngestReport, IntakeError> {
    let raw = store::RawMessage {
        bytes: raw,
        size: prepared.arrived_size.unwrap_or(raw.len()),
    };
    let byline = prepared
        .draft()
        .and_then(|draft| draft.byline_suggestion.clone());
    poison::record(conn, raw, &prepared, config, |conn, report| {
        // A duplicate's row is the original's business, and a quarantined
        // message keeps nothing read from it; any other message that names
        // whom its piece is by says so.
        let recorded = !matches!(report.outcome, Outcome::Duplicate | Outcome::Quarantined);
        if let Some(byline) = byline.as_ref().filter(|_| recorded) {
            byline::record(conn, report.message, byline)?;
        }
        also(conn)
    })
}

/// Prepares an inbox message that an editor promotes: unlike [`prepare`],
/// it reads the mail as a submission whatever its subject says.
pub fn prepare_promotion(raw: &[u8], config: &IntakeConfig) -> Result<Prepared, InboxError> {
    prepare_draft(raw, config, true)
}

/// Prepares an inbox message that an editor files with a piece: read as a
/// reply is, whatever its subject says.
pub fn prepare_filing(raw: &[u8], config: &IntakeConfig) -> Result<Prepared, InboxError> {
    prepare_draft(raw, config, false)
}

fn prepare_draft(
    raw: &[u8],
    config: &IntakeConfig,
    new_piece: bool,
) -> Result<Prepared, InboxError> {
    match analyse(raw, config) {
        Analysis::Mail(mail) => {
            let prospect = Prospect::Draft(Box::new(drafted(&mail, config, new_piece)));
            Ok(Prepared {
                reading: Reading::Mail {
                    analysis: mail,
                    prospect,
                },
                arrived_size: None,
            })
        }
        Analysis::Quarantine(reason) => Err(InboxError::Unreadable(reason.to_string())),
    }
}

/// Prepares and records one message on a connection the caller holds
/// throughout. The doors that share a pool prepare first and take a
/// connection only to record.
pub fn ingest(
    conn: &mut PgConnection,
    raw: &[u8],
    config: &IntakeConfig,
) -> Result<IngestReport, IntakeError> {
    let prepared = prepare(raw, config);
    record(conn, raw, prepared, config)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
