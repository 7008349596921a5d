//! Corrections to published pieces. A publisher appends one; readers see it
//! under the piece and in its feed entry; it is never edited or removed
//! (the table refuses updates), so what readers were told stays on record.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::error::PieceError;
use super::store::UserRef;
use super::{lock, revision};
use crate::domain::{State, SubmissionId, UserId, WebhookEvent};
use crate::publishing::Site;
use crate::schema::{submission_corrections, submissions, users};

/// The longest correction, in characters: a note under a piece, not a piece.
pub const MAX_CORRECTION_CHARS: usize = 2_000;

#[derive(Debug, Clone, Queryable)]
pub struct CorrectionRow {
    pub id: i64,
    pub text: String,
    pub author: UserRef,
    pub created_at: DateTime<Utc>,
}

/// A correction's text as it will be stored: cleaned of control characters
/// and trimmed; `None` when nothing is left or it is too long.
pub fn valid_text(text: &str) -> Option<String> {
    let text = crate::text::clean(text).trim().to_string();
    let length = text.chars().count();
    (1..=MAX_CORRECTION_CHARS).contains(&length).then_some(text)
}

/// Appends `text` (from [`valid_text`]) to published piece `id`, checked
/// against `expected_version`. The piece's version and `updated_at` move on,
/// so caches and the feed see the change, and the site is told
/// (`opinion.updated`, carrying the corrections). Returns the new version.
pub fn add(
    conn: &mut PgConnection,
    id: SubmissionId,
    expected_version: i32,
    text: &str,
    publisher: UserId,
    site: &Site,
) -> Result<i32, PieceError> {
    conn.transaction(|conn| {
        let state = lock::lock_at(conn, id, expected_version)?.state;
        if state != State::Published {
            return Err(PieceError::NotPublished { state });
        }
        let now = Utc::now();
        diesel::insert_into(submission_corrections::table)
            .values((
                submission_corrections::submission_id.eq(id),
                submission_corrections::body.eq(text),
                submission_corrections::author_id.eq(publisher),
                submission_corrections::created_at.eq(now),
            ))
            .execute(conn)?;
        let version = diesel::update(submissions::table.find(id))
            .set(revision::next_version(now))
            .returning(submissions::version)
            .get_result(conn)?;
        crate::outbox::enqueue_webhook(conn, id.0, WebhookEvent::Updated, site, now)?;
        Ok(version)
    })
}

/// The piece's corrections with who added them, oldest first.
pub fn list(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<CorrectionRow>> {
    submission_corrections::table
        .inner_join(users::table)
        .filter(submission_corrections::submission_id.eq(id))
        .order(submission_corrections::id)
        .select((
            submission_corrections::id,
            submission_corrections::body,
            (users::id, users::name),
            submission_corrections::created_at,
        ))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correction_is_cleaned_trimmed_and_bounded() {
        assert_eq!(
            valid_text("  The figure was 4%.\u{1b}\r\n").as_deref(),
            Some("The figure was 4%.")
        );
        assert_eq!(valid_text(" \n\t "), None);
        assert!(valid_text(&"x".repeat(MAX_CORRECTION_CHARS)).is_some());
        assert_eq!(valid_text(&"é".repeat(MAX_CORRECTION_CHARS + 1)), None);
    }
}
