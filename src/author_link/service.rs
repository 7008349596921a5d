//! What the author's page and the editors' revocation do.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::store;
use super::token::RawToken;
use crate::domain::Action;
use crate::outbox;
use crate::publishing::Site;
use crate::workflow::TransitionRequest;
use crate::workflow::service::{self, Initiator, TransitionError};

/// The author withdraws the piece, through the workflow (`author_withdraw`,
/// no editor named; the reason, if any, is the history's note).
pub fn withdraw(
    conn: &mut PgConnection,
    submission_id: i64,
    reason: Option<String>,
    site: &Site,
    now: DateTime<Utc>,
) -> Result<(), TransitionError> {
    let request = TransitionRequest {
        note: reason,
        ..TransitionRequest::default()
    };
    service::apply(
        conn,
        submission_id,
        None,
        Action::AuthorWithdraw,
        request,
        Initiator::Author,
        site,
        now,
    )?;
    Ok(())
}

/// What an editor's revocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaced {
    /// Live links revoked.
    pub revoked: usize,
    /// Whether a new link is on its way to the author.
    pub reissued: bool,
}

/// Revokes every link of the submission and, when `reissue`, makes a new
/// one and queues the email that carries it, in one transaction: the
/// author never holds a link the database does not know, nor the database
/// one the author will not get.
pub fn replace(
    conn: &mut PgConnection,
    submission_id: i64,
    reissue: bool,
    now: DateTime<Utc>,
) -> QueryResult<Replaced> {
    conn.transaction(|conn| {
        let revoked = store::revoke_all(conn, submission_id, now)?;
        if reissue {
            let token = RawToken::generate();
            store::keep(conn, submission_id, &token, now)?;
            outbox::enqueue_author_link(conn, submission_id, token.expose())?;
        }
        Ok(Replaced {
            revoked,
            reissued: reissue,
        })
    })
}
