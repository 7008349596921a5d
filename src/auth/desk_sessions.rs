//! The desk's signed-in sessions, kept in `desk_sessions` so that the server
//! can end one at once: signing out deletes its row; a new password and a
//! deactivation delete the account's rows (and raise its epoch, which ends
//! its API tokens too). The browser's cookie carries the session's random
//! token; only its SHA-256 is stored, so a copy of the database signs nobody
//! in.
//!
//! Each request of the desk reads its row joined to the account
//! ([`standing`]): one primary-key lookup, in place of the account read an
//! API request makes, on the same connection as the request's work.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::models::AccountStanding;
use crate::schema::{desk_sessions, users};

/// The SHA-256 of a session's token: what the table stores and what a
/// request is checked by. `Copy`, so the desk's caller stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    pub fn of_token(token: &str) -> SessionKey {
        SessionKey(Sha256::digest(token.as_bytes()).into())
    }

    fn hex(self) -> String {
        hex::encode(self.0)
    }
}

/// Never the key itself in a log, though it is only a hash.
impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

/// Keeps a new session of `user_id` until `expires_at`; sweeps the sessions
/// that have run out (an index keeps that cheap), so the table holds about
/// the sessions of the last day. The session remembers when its account
/// last looked at the queue: what came in since is new to this visit.
pub fn start(
    conn: &mut PgConnection,
    user_id: i64,
    key: SessionKey,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::delete(desk_sessions::table.filter(desk_sessions::expires_at.le(now)))
            .execute(conn)?;
        let last_visit_at: Option<DateTime<Utc>> = users::table
            .find(user_id)
            .select(users::queue_seen_at)
            .first(conn)
            .optional()?
            .flatten();
        diesel::insert_into(desk_sessions::table)
            .values((
                desk_sessions::token_sha256.eq(key.hex()),
                desk_sessions::user_id.eq(user_id),
                desk_sessions::created_at.eq(now),
                desk_sessions::expires_at.eq(expires_at),
                desk_sessions::last_visit_at.eq(last_visit_at),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// The account behind a session of `user_id` that has not ended (`None`: no
/// such session, or no longer; the caller checks the account's own
/// standing as for an API token).
pub fn standing(
    conn: &mut PgConnection,
    user_id: i64,
    key: SessionKey,
) -> QueryResult<Option<AccountStanding>> {
    desk_sessions::table
        .inner_join(users::table)
        .filter(desk_sessions::token_sha256.eq(key.hex()))
        .filter(desk_sessions::user_id.eq(user_id))
        .filter(desk_sessions::expires_at.gt(diesel::dsl::now))
        .select(AccountStanding::as_select())
        .first(conn)
        .optional()
}

/// When the account of session `key` had last looked at the queue before
/// the session began (`None`: never, so everything is new).
pub fn last_visit(conn: &mut PgConnection, key: SessionKey) -> QueryResult<Option<DateTime<Utc>>> {
    Ok(desk_sessions::table
        .filter(desk_sessions::token_sha256.eq(key.hex()))
        .select(desk_sessions::last_visit_at)
        .first(conn)
        .optional()?
        .flatten())
}

/// Notes that `user_id` looked at the queue `now`: the next session's
/// "new since my last visit" starts here.
pub fn saw_queue(conn: &mut PgConnection, user_id: i64, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::queue_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends one session (signing out); ending one already ended is no error.
pub fn end(conn: &mut PgConnection, key: SessionKey) -> QueryResult<()> {
    diesel::delete(desk_sessions::table.filter(desk_sessions::token_sha256.eq(key.hex())))
        .execute(conn)?;
    Ok(())
}

/// Ends every desk session of an account, in the transaction that changes
/// its password or deactivates it.
pub fn end_all(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(desk_sessions::table.filter(desk_sessions::user_id.eq(user_id))).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_tokens_sha256() {
        let key = SessionKey::of_token("abc");
        assert_eq!(
            key.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(key, SessionKey::of_token("abd"));
        assert_eq!(format!("{key:?}"), "SessionKey(..)");
    }
}
