//! The one way a piece's text changes: every change is a numbered revision,
//! and the piece's version moves with it, whoever made the change (the
//! author's reply, an editor, an accepted proposal).
//!
//! The text a piece arrived with is its revision 1. It is written out only
//! when the text first changes: until then the piece itself holds it, so
//! intake stores each article once, not twice.

use diesel::dsl::max;
use diesel::prelude::*;

use crate::db::models::NewRevision;
use crate::schema::{submission_revisions, submissions};

/// Who or what a revision came from.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// The author's reply, with the sender-authentication verdict it had.
    Reply {
        message: i64,
        verdict: &'a str,
    },
    Editor {
        user: i64,
    },
}

impl Origin<'_> {
    fn source(&self) -> &'static str {
        match self {
            Origin::Reply { .. } => "reply",
            Origin::Editor { .. } => "editor",
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
pub fn record(
    conn: &mut PgConnection,
    submission_id: i64,
    title: &str,
    text: NewText<'_>,
    origin: Origin<'_>,
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
pub fn keep_original(conn: &mut PgConnection, submission_id: i64) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO submission_revisions \
           (submission_id, number, title, body_text, body_html, source, inbound_message_id, created_at) \
         SELECT s.id, 1, s.title, s.body_text, s.body_html, 'email', s.inbound_message_id, s.received_at \
         FROM submissions s \
         WHERE s.id = $1 \
           AND NOT EXISTS (SELECT 1 FROM submission_revisions r WHERE r.submission_id = s.id)",
    )
    .bind::<diesel::sql_types::BigInt, _>(submission_id)
    .execute(conn)?;
    Ok(())
}

/// Replaces the piece's text, moves its version on and records the
/// revision; returns the revision's number. The caller holds the row lock
/// and has checked the version it was asked to change.
pub fn replace_text(
    conn: &mut PgConnection,
    submission_id: i64,
    text: NewText<'_>,
    origin: Origin<'_>,
) -> QueryResult<i32> {
    keep_original(conn, submission_id)?;
    let title: String = diesel::update(submissions::table.find(submission_id))
        .set((
            submissions::body_text.eq(text.body_text),
            submissions::body_html.eq(text.body_html),
            submissions::word_count.eq(text.word_count),
            submissions::version.eq(submissions::version + 1),
            submissions::updated_at.eq(diesel::dsl::now),
        ))
        .returning(submissions::title)
        .get_result(conn)?;
    record(conn, submission_id, &title, text, origin)
}
