//! Intake: from an email to exactly one recorded outcome.
//!
//! Every door (`oped ingest`, `POST /api/v1/inbound/messages`) calls
//! [`ingest`]. The decision is made in the pure modules (`parse`, `classify`,
//! `subject`, `draft`); `store` writes it in one transaction.

pub mod auth_results;
pub mod classify;
pub mod documents;
pub mod draft;
pub mod html;
pub mod parse;
mod store;

pub use store::{PromoteError, promote};
pub mod subject;

use std::fmt;

use diesel::PgConnection;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::IntakeConfig;
use documents::ExtractionLimits;
use parse::{ParsedMail, QuarantineReason};

/// Bounds that keep a hostile message from hurting the server.
#[derive(Debug, Clone)]
pub struct IntakeLimits {
    /// `OPED_MAX_MESSAGE_BYTES`: larger messages are quarantined (CLI) or
    /// refused with 413 (HTTP).
    pub max_message_bytes: usize,
    /// No real submission has hundreds of parts; a message that does is built to hurt.
    pub max_mime_parts: usize,
    pub max_mime_depth: usize,
    /// HTML bodies above this are not sanitised; their text rendering is used.
    pub max_html_bytes: usize,
    /// How attachments are read: in a child process under OS limits, at
    /// most 3 per message, 15 s per message (see `documents::budget`).
    pub extraction: ExtractionLimits,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        IntakeLimits {
            max_message_bytes: 25 * 1024 * 1024,
            max_mime_parts: 500,
            max_mime_depth: 16,
            max_html_bytes: 2 * 1024 * 1024,
            extraction: ExtractionLimits::default(),
        }
    }
}

/// The one outcome every message gets, in the order they are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Quarantined,
    Duplicate,
    IgnoredAuto,
    Reply,
    Submission,
    Unmatched,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Quarantined => "quarantined",
            Outcome::Duplicate => "duplicate",
            Outcome::IgnoredAuto => "ignored_auto",
            Outcome::Reply => "reply",
            Outcome::Submission => "submission",
            Outcome::Unmatched => "unmatched",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
/// sender (an MTA, the HTTP client) should try again later.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
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
    /// The Message-ID, or the SHA-256 of the raw bytes when there is none.
    pub dedup_key: String,
    /// Why this is machine mail, if it is.
    pub automatic: Option<String>,
    /// Submission references quoted in the subject.
    pub subject_references: Vec<String>,
    pub has_marker: bool,
}

impl MailAnalysis {
    /// Could this mail attach to an earlier submission as a reply?
    pub fn may_be_reply(&self) -> bool {
        !self.mail.thread_ids.is_empty() || !self.subject_references.is_empty()
    }
}

/// Decides everything that can be decided from the bytes alone.
pub fn analyse(raw: &[u8], config: &IntakeConfig) -> Analysis {
    let mail = match parse::parse_mail(raw, &config.limits) {
        Ok(mail) => mail,
        Err(reason) => return Analysis::Quarantine(reason),
    };
    let dedup_key = match &mail.message_id {
        Some(id) => format!("mid:{id}"),
        None => format!("sha256:{}", sha256_hex(raw)),
    };
    Analysis::Mail(Box::new(MailAnalysis {
        automatic: classify::automatic_reason(&mail, &config.own_domain),
        subject_references: subject::references_in(&mail.subject),
        has_marker: subject::has_marker(&mail.subject),
        dedup_key,
        mail,
    }))
}

/// A message made ready to record: parsed, classified and its documents
/// extracted, with no database connection held. See [`prepare`] and [`record`].
#[derive(Debug)]
pub struct Prepared {
    analysis: Analysis,
}

/// Prepares a message for recording: everything that needs no database
/// (parsing, classification, document extraction in a child process).
pub fn prepare(raw: &[u8], config: &IntakeConfig) -> Prepared {
    Prepared {
        analysis: analyse(raw, config),
    }
}

/// Records a prepared message in one transaction (a savepoint when the
/// caller already holds one, so a mailbox poller can advance its own state
/// in the same commit).
pub fn record(
    conn: &mut PgConnection,
    raw: &[u8],
    prepared: Prepared,
    config: &IntakeConfig,
) -> Result<IngestReport, IntakeError> {
    store::record(
        conn,
        store::RawMessage {
            bytes: raw,
            size: raw.len(),
        },
        prepared.analysis,
        config,
    )
}

/// Prepares and records one message.
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

/// Records a message that arrived larger than `OPED_MAX_MESSAGE_BYTES`: it
/// is quarantined with its first bytes (the headers, the start of the body)
/// and its full size, so editors can see who sent what.
pub fn ingest_oversized(
    conn: &mut PgConnection,
    head: &[u8],
    size: usize,
    config: &IntakeConfig,
) -> Result<IngestReport, IntakeError> {
    let reason = QuarantineReason::TooLarge {
        size,
        limit: config.limits.max_message_bytes,
    };
    store::record(
        conn,
        store::RawMessage { bytes: head, size },
        Analysis::Quarantine(reason),
        config,
    )
}
