//! The one way a piece's text changes: every change is a numbered revision,
//! and the piece's version moves with it, whoever made the change (the
//! author's reply, an editor, an accepted proposal).
//!
//! The text a piece arrived with is its revision 1. It is written out only
//! when the text first changes: until then the piece itself holds it, so
//! intake stores each article once, not twice.

use chrono::{DateTime, Utc};
use diesel::dsl::{Add, Eq, max};
use diesel::prelude::*;

use crate::db::models::{NewRevision, Submission};
use crate::domain::{AuthVerdict, InboundMessageId, RevisionSource, SubmissionId, UserId};
use crate::schema::{submission_revisions, submissions};

/// Who or what a revision came from.
#[derive(Debug, Clone, Copy)]
pub enum Origin {
    /// The author's reply, with the sender-authentication verdict it had.
    Reply {
        message: InboundMessageId,
        verdict: AuthVerdict,
    },
    Editor {
        user: UserId,
    },
}

impl Origin {
    fn source(&self) -> RevisionSource {
        match self {
            Origin::Reply { .. } => RevisionSource::Reply,
            Origin::Editor { .. } => RevisionSource::Editor,
        }
    }
}

/// A new article text with what is derived from it.
#[derive(Debug, Clone, Copy)]
pub struct NewText<'a> {
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub word_count: i32,
}

/// Records the piece's title and text as its next revision; returns its number.
fn record(
    conn: &mut PgConnection,
    submission_id: SubmissionId,
    title: &str,
    text: NewText<'_>,
    origin: Origin,
) -> QueryResult<i32> {
    let last: Option<i32> = submission_revisions::table
        .filter(submission_revisions::submission_id.eq(submission_id))
        .select(max(submission_revisions::number))
        .first(conn)?;
    let number = last.unwrap_or(0) + 1;
    let (inbound_message_id, editor_id, sender_verdict) = match origin {
        Origin::Reply { message, verdict } => (Some(message), None, Some(verdict)),
        Origin::Editor { user } => (None, Some(user), None),
    };
    diesel::insert_into(submission_revisions::table)
        .values(NewRevision {
            submission_id,
            number,
            title,
            body_text: text.body_text,
            body_html: text.body_html,
            source: origin.source(),
            inbound_message_id,
            editor_id,
            sender_verdict,
        })
        .execute(conn)?;
    Ok(number)
}

/// Writes out revision 1, the text the piece arrived with, unless the piece
/// has revisions already. Call it before the first change of the text.
fn keep_original(conn: &mut PgConnection, submission_id: SubmissionId) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO submission_revisions \
           (submission_id, number, title, body_text, body_html, source, inbound_message_id, created_at) \
         SELECT s.id, 1, s.title, s.body_text, s.body_html, $2, s.inbound_message_id, s.received_at \
         FROM submissions s \
         WHERE s.id = $1 \
           AND NOT EXISTS (SELECT 1 FROM submission_revisions r WHERE r.submission_id = s.id)",
    )
    .bind::<diesel::sql_types::BigInt, _>(submission_id)
    .bind::<diesel::sql_types::Text, _>(RevisionSource::Email)
    .execute(conn)?;
    Ok(())
}

/// What a change sets on the piece besides itself: its version moves on
/// (it is the ETag, so every cached copy is stale) and it is stamped `at`.
/// Every write to a piece takes it: text, fields, state.
pub fn next_version(at: DateTime<Utc>) -> NextVersion {
    (
        submissions::version.eq(submissions::version + 1),
        submissions::updated_at.eq(at),
    )
}

pub type NextVersion = (
    Eq<submissions::version, Add<submissions::version, i32>>,
    Eq<submissions::updated_at, DateTime<Utc>>,
);

/// Fields an edit may change; `None` leaves one as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = submissions)]
pub struct Changes<'a> {
    pub title: Option<&'a str>,
    pub standfirst: Option<Option<&'a str>>,
    pub body_text: Option<&'a str>,
    pub body_html: Option<&'a str>,
    pub word_count: Option<i32>,
    pub author_bio: Option<Option<&'a str>>,
    pub slug: Option<Option<&'a str>>,
    pub tags: Option<Vec<Option<String>>>,
}

/// Writes `changes` to the piece and moves its version on; with an
/// `origin` (the title or text changed), records the result as the next
/// revision, keeping the original first. Returns the piece as it now is,
/// with the revision's number. The caller holds the row lock and has checked
/// the version it was asked to change (`lock::lock_at`).
pub fn revise(
    conn: &mut PgConnection,
    submission_id: SubmissionId,
    changes: Changes<'_>,
    origin: Option<Origin>,
) -> QueryResult<(Submission, Option<i32>)> {
    if origin.is_some() {
        keep_original(conn, submission_id)?;
    }
    let updated: Submission = diesel::update(submissions::table.find(submission_id))
        .set((changes, next_version(Utc::now())))
        .returning(Submission::as_returning())
        .get_result(conn)?;
    let number = match origin {
        Some(origin) => {
            let text = NewText {
                body_text: &updated.body_text,
                body_html: &updated.body_html,
                word_count: updated.word_count,
            };
            Some(record(conn, submission_id, &updated.title, text, origin)?)
        }
        None => None,
    };
    Ok((updated, number))
}

/// Replaces the piece's text, moves its version on and records the
/// revision; returns the revision's number. The caller holds the row lock
/// and has checked the version it was asked to change.
pub fn replace_text(
    conn: &mut PgConnection,
    submission_id: SubmissionId,
    text: NewText<'_>,
    origin: Origin,
) -> QueryResult<i32> {
    let changes = Changes {
        body_text: Some(text.body_text),
        body_html: Some(text.body_html),
        word_count: Some(text.word_count),
        ..Changes::default()
    };
    let (_, number) = revise(conn, submission_id, changes, Some(origin))?;
    Ok(number.unwrap_or_default())
}
