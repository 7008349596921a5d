//! Sessions: a short-lived access token (a JWT, see `tokens`) and an opaque
//! refresh token to get the next one.
//!
//! A refresh token is 32 random bytes in base64url, stored only as its
//! SHA-256, so a copy of the database logs nobody in. Each is good for one
//! refresh: using it marks it used and issues a new one in the same
//! `family` (one login on one device). A used token presented again means
//! two parties hold the family's tokens (one stole them), so the whole family
//! is revoked and both must log in again. Each new token lives the full
//! refresh TTL, so a session in daily use goes on until it is logged out,
//! its password changes or its account is deactivated.
//!
//! Tokens carry the user's session epoch: raising the epoch (a password
//! change, a deactivation) refuses every older token even if one was issued
//! concurrently with the revocation.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::models::{NewRefreshToken, RefreshToken, User};
use super::tokens::TokenKeys;
use crate::schema::{refresh_tokens, users};

/// 256 bits: far beyond guessing.
const TOKEN_BYTES: usize = 32;
const FAMILY_BYTES: usize = 16;

/// What a login, a refresh or a password change hands the client. No
/// `Debug`: both tokens are secrets.
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    /// The lifetime of the access token.
    pub expires_in: Duration,
}

/// A new session (a new family) for `user`.
pub fn start(
    conn: &mut PgConnection,
    keys: &TokenKeys,
    user: &User,
    now: DateTime<Utc>,
) -> QueryResult<Session> {
    // Expired rows can no longer be used or replayed to any effect; clearing
    // them now and then keeps the table small without a scheduled job.
    if rand::random_ratio(1, 64) {
        prune(conn, now)?;
    }
    issue(conn, keys, user, &random_base64url(FAMILY_BYTES), now)
}

fn issue(
    conn: &mut PgConnection,
    keys: &TokenKeys,
    user: &User,
    family: &str,
    now: DateTime<Utc>,
) -> QueryResult<Session> {
    let refresh_token = random_base64url(TOKEN_BYTES);
    let refresh_ttl = TimeDelta::from_std(keys.refresh_ttl).unwrap_or(TimeDelta::days(30));
    diesel::insert_into(refresh_tokens::table)
        .values(NewRefreshToken {
            user_id: user.id,
            token_hash: &token_hash(&refresh_token),
            family,
            session_epoch: user.session_epoch,
            expires_at: now + refresh_ttl,
        })
        .execute(conn)?;
    Ok(Session {
        access_token: keys.issue(user.id, user.role, user.session_epoch, now),
        refresh_token,
        expires_in: keys.access_ttl,
    })
}

/// Exchanges a refresh token for a new session of the same family; `None`
/// when the token is unknown, expired, revoked, already used (which revokes
/// its family), older than the user's epoch or the user's account is off.
pub fn rotate(
    conn: &mut PgConnection,
    keys: &TokenKeys,
    presented: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<Session>> {
    let presented_hash = token_hash(presented);
    // Committed even when the answer is a refusal: a replay's revocation
    // must stick.
    conn.transaction(|conn| {
        // Locked, so that two refreshes with one token are serialised and
        // the second is seen as the replay it is.
        let Some(token) = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&presented_hash))
            .select(RefreshToken::as_select())
            .for_update()
            .first(conn)
            .optional()?
        else {
            return Ok(None);
        };
        if token.revoked_at.is_some() || token.expires_at <= now {
            return Ok(None);
        }
        if token.used_at.is_some() {
            tracing::warn!(
                user_id = token.user_id,
                "a used refresh token was presented again; its session is revoked"
            );
            revoke_family(conn, &token.family, now)?;
            return Ok(None);
        }
        let user = users::table
            .find(token.user_id)
            .select(User::as_select())
            .first(conn)?;
        if !user.active || user.session_epoch != token.session_epoch {
            revoke_family(conn, &token.family, now)?;
            return Ok(None);
        }
        diesel::update(refresh_tokens::table.find(token.id))
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)?;
        issue(conn, keys, &user, &token.family, now).map(Some)
    })
}

/// Ends the session a refresh token belongs to; unknown tokens are ignored,
/// so logging out twice is harmless.
pub fn revoke_session_of(
    conn: &mut PgConnection,
    presented: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let family: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash(presented)))
        .select(refresh_tokens::family)
        .first(conn)
        .optional()?;
    if let Some(family) = family {
        revoke_family(conn, &family, now)?;
    }
    Ok(())
}

/// Ends every session of a user (a password change, a deactivation).
pub fn revoke_all(conn: &mut PgConnection, user_id: i64, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

fn revoke_family(conn: &mut PgConnection, family: &str, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// Deletes tokens past their expiry.
pub fn prune(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.le(now))).execute(conn)
}

/// How a refresh token is stored and looked up.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `n` bytes from the thread-local CSPRNG (ChaCha, seeded and reseeded from
/// the operating system), in unpadded base64url.
fn random_base64url(n: usize) -> String {
    let mut bytes = vec![0_u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let one = random_base64url(TOKEN_BYTES);
        let two = random_base64url(TOKEN_BYTES);
        assert_eq!(one.len(), 43);
        assert!(
            one.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(one, two);
    }

    #[test]
    fn tokens_are_stored_as_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
