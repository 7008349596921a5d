//! Making an earlier revision current again: its title and text become the
//! piece's through the same edit as any other (version-checked, a
//! publisher's once readers may see the piece, a new revision kept), so a
//! restore is itself undone by restoring the revision before it.

use diesel::dsl::max;
use diesel::prelude::*;

use super::edit::{EditedBody, ValidEdit};
use super::error::PieceError;
use super::history;
use super::store::{self, SubmissionRecord};
use crate::auth::Actor;
use crate::domain::{PieceEvent, SubmissionId, UserId};
use crate::publishing::Site;
use crate::schema::{submission_revisions, submissions};
use crate::text::word_count;

/// Restores revision `number` of piece `id`, last seen at
/// `expected_version`, as `editor` asked. A revision whose title and text
/// are the piece's already changes nothing.
pub fn restore(
    conn: &mut PgConnection,
    id: SubmissionId,
    number: i32,
    expected_version: i32,
    editor: Actor,
    site: &Site,
) -> Result<SubmissionRecord, PieceError> {
    conn.transaction(|conn| {
        let (title, body_text, body_html) = revision_text(conn, id, number)?;
        let current: (String, String) = submissions::table
            .find(id)
            .select((submissions::title, submissions::body_text))
            .first(conn)
            .optional()?
            .ok_or(PieceError::NotFound)?;
        if current == (title.clone(), body_text.clone()) {
            // Still checked: the caller must have seen the piece as it is.
            super::lock::lock_at(conn, id, expected_version)?;
            return store::find(conn, id.0)?.ok_or(PieceError::NotFound);
        }
        let edit = ValidEdit {
            title: Some(title),
            body: Some(EditedBody {
                word_count: word_count(&body_text),
                text: body_text,
                html: body_html,
            }),
            ..ValidEdit::default()
        };
        let record = store::edit(conn, id.0, expected_version, &edit, editor, site)?;
        let newest: Option<i32> = submission_revisions::table
            .filter(submission_revisions::submission_id.eq(id))
            .select(max(submission_revisions::number))
            .first(conn)?;
        let note = match newest {
            Some(newest) => format!("revision {number} restored as revision {newest}"),
            None => format!("revision {number} restored"),
        };
        history::record_event(
            conn,
            id,
            PieceEvent::RevisionRestored,
            record.row.state,
            Some(UserId(editor.user_id)),
            &note,
        )?;
        Ok(record)
    })
}

/// The title, text and HTML of revision `number`. Revision 1 of a piece
/// whose text never changed is held by the piece itself.
fn revision_text(
    conn: &mut PgConnection,
    id: SubmissionId,
    number: i32,
) -> Result<(String, String, String), PieceError> {
    let written: Option<(String, String, String)> = submission_revisions::table
        .filter(submission_revisions::submission_id.eq(id))
        .filter(submission_revisions::number.eq(number))
        .select((
            submission_revisions::title,
            submission_revisions::body_text,
            submission_revisions::body_html,
        ))
        .first(conn)
        .optional()?;
    if let Some(text) = written {
        return Ok(text);
    }
    let any_written: Option<i32> = submission_revisions::table
        .filter(submission_revisions::submission_id.eq(id))
        .select(max(submission_revisions::number))
        .first(conn)?;
    if number != 1 || any_written.is_some() {
        return Err(PieceError::NoSuchRevision);
    }
    submissions::table
        .find(id)
        .select((
            submissions::title,
            submissions::body_text,
            submissions::body_html,
        ))
        .first(conn)
        .optional()?
        .ok_or(PieceError::NotFound)
}
