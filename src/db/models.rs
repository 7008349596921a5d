//! Rows as stored. API representations live with the API, so a column never
//! reaches a client by accident.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::domain::{
    AuthVerdict, Direction, InboundMessageId, OutboxKind, Outcome, RevisionSource, State,
    SubmissionId, UserId,
};
use crate::schema::{
    attachments, correspondence, inbound_messages, outbox, submission_revisions,
    submission_thread_ids, submissions,
};

#[derive(Debug, Insertable)]
#[diesel(table_name = inbound_messages)]
pub struct NewInboundMessage<'a> {
    pub received_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub outcome_detail: Option<&'a str>,
    pub dedup_key: Option<&'a str>,
    pub duplicate_of: Option<InboundMessageId>,
    pub message_id: Option<&'a str>,
    pub sender_email: Option<&'a str>,
    pub sender_name: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub raw: &'a [u8],
    pub raw_size: i64,
    pub raw_sha256: &'a str,
}

#[derive(Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = inbound_messages)]
pub struct InboundMessage {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub outcome_detail: Option<String>,
    pub dedup_key: Option<String>,
    pub duplicate_of: Option<i64>,
    pub message_id: Option<String>,
    pub sender_email: Option<String>,
    pub sender_name: Option<String>,
    pub subject: Option<String>,
    pub raw_size: i64,
    pub submission_id: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = submissions)]
pub struct NewSubmission<'a> {
    pub title: &'a str,
    pub author_name: Option<&'a str>,
    pub author_email: &'a str,
    pub received_at: DateTime<Utc>,
    /// When the desk owes an answer (`calendar::ResponseWindow::respond_by`).
    pub respond_by: DateTime<Utc>,
    pub message_id: Option<&'a str>,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub cover_note: Option<&'a str>,
    pub word_count: i32,
    pub auth_verdict: AuthVerdict,
    pub suspicious: bool,
    pub inbound_message_id: InboundMessageId,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = submissions)]
pub struct Submission {
    pub id: i64,
    pub reference: String,
    pub state: State,
    pub title: String,
    pub author_name: Option<String>,
    pub author_email: String,
    pub received_at: DateTime<Utc>,
    pub message_id: Option<String>,
    pub body_text: String,
    pub body_html: String,
    pub cover_note: Option<String>,
    pub word_count: i32,
    pub auth_verdict: AuthVerdict,
    pub suspicious: bool,
    pub inbound_message_id: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub standfirst: Option<String>,
    pub slug: Option<String>,
    pub author_bio: Option<String>,
    pub tags: Vec<Option<String>>,
    pub assignee_id: Option<i64>,
    pub publish_at: Option<DateTime<Utc>>,
    pub revised_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub retracted_at: Option<DateTime<Utc>>,
    /// The author's answers through their status link; `None` until given.
    pub exclusive_confirmed: Option<bool>,
    pub disclosure: Option<String>,
    pub declared_at: Option<DateTime<Utc>>,
    /// When the desk owes the author an answer; released when it passes in
    /// `draft` or `in_review`.
    pub respond_by: DateTime<Utc>,
    /// When an editor extended the window (once at most).
    pub held_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = submission_thread_ids)]
pub struct NewThreadId<'a> {
    pub message_id: &'a str,
    pub submission_id: SubmissionId,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = attachments)]
pub struct NewAttachment<'a> {
    pub inbound_message_id: InboundMessageId,
    pub submission_id: SubmissionId,
    pub n: i32,
    pub filename: Option<&'a str>,
    pub content_type: &'a str,
    pub size: i64,
    pub content: &'a [u8],
    pub is_article: bool,
    pub extraction_error: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Deserialize)]
#[diesel(table_name = attachments)]
pub struct AttachmentInfo {
    pub n: i32,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub is_article: bool,
    pub extraction_error: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = submission_revisions)]
pub struct NewRevision<'a> {
    pub submission_id: SubmissionId,
    pub number: i32,
    pub title: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub source: RevisionSource,
    pub inbound_message_id: Option<InboundMessageId>,
    pub editor_id: Option<UserId>,
    pub sender_verdict: Option<AuthVerdict>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = correspondence)]
pub struct NewCorrespondence<'a> {
    pub submission_id: SubmissionId,
    pub direction: Direction,
    pub inbound_message_id: Option<InboundMessageId>,
    pub subject: Option<&'a str>,
    pub body_text: &'a str,
}

/// The part of an outbox row a worker needs to deliver it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct OutboxJob {
    pub id: i64,
    pub kind: OutboxKind,
    pub topic: String,
    pub submission_id: Option<i64>,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// Set when queued for acknowledgements (their rate limit counts it);
    /// set for every email once sent.
    pub recipient: Option<String>,
}
