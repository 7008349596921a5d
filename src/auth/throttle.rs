//! Login throttling, per account and per client address, kept in
//! `login_failures` so that every replica counts the same failures.
//!
//! Each key counts failures in a window that opens at its first failure.
//! Reaching the key's limit locks it for `LOCKOUT`; while any key of an
//! attempt is locked the attempt is refused with 429 before the password is
//! even checked, so a correct password does not get through a lock and the
//! lock says nothing about whether the guess was right. Refused attempts are
//! not counted: the lock ends when `Retry-After` says it does.
//!
//! A success clears the account's counter but not the address's: otherwise
//! one valid account would let an address reset its count between guesses
//! at other accounts.
//!
//! Locking an account can be abused to keep its owner out for a while; that
//! is the usual price of stopping password guessing, and admins can still
//! reset the password.

use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::dsl::max;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz};

use super::models::LoginFailure;
use crate::schema::login_failures;

/// Failures per account within `FAILURE_WINDOW` that lock it: enough for
/// a few typos, far too few to guess a 12-character password.
pub const ACCOUNT_MAX_FAILURES: i32 = 5;

/// Failures per client address within `FAILURE_WINDOW`, whatever accounts
/// they were against: higher than the account limit because one office
/// behind one address may hold several editors.
pub const ADDRESS_MAX_FAILURES: i32 = 20;

/// How long failures are remembered after the first of a series.
pub const FAILURE_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// How long a key stays locked once it reaches its limit.
pub const LOCKOUT: TimeDelta = TimeDelta::minutes(15);

/// Account keys are built from at most this many characters of what was
/// typed, so that a huge "email" cannot bloat the table.
const MAX_KEY_EMAIL_CHARS: usize = 320;

/// The keys one attempt counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptKeys {
    account: String,
    /// None when the peer's address is unknown (a Unix socket, an in-process
    /// test): one shared bucket would let a single client lock out everyone.
    address: Option<String>,
}

impl AttemptKeys {
    /// `email` as typed, already trimmed and lower-cased; `address` the TCP
    /// peer of the request.
    pub fn new(email: &str, address: Option<IpAddr>) -> AttemptKeys {
        let email: String = email.chars().take(MAX_KEY_EMAIL_CHARS).collect();
        AttemptKeys {
            account: format!("account:{email}"),
            address: address.map(address_key),
        }
    }

    fn with_limits(&self) -> impl Iterator<Item = (&str, i32)> {
        std::iter::once((self.account.as_str(), ACCOUNT_MAX_FAILURES)).chain(
            self.address
                .as_deref()
                .map(|address| (address, ADDRESS_MAX_FAILURES)),
        )
    }
}

/// The key of a client address. An IPv6 client is keyed by its /64, the
/// block one subscriber usually gets, so that it cannot dodge the limit by
/// walking through its own addresses; an IPv4-mapped address is its IPv4.
fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("address:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("address:{v4}"),
            None => {
                let s = v6.segments();
                format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// An attempt refused because one of its keys is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// Whole seconds until the last of the locks ends, at least 1.
    pub retry_after_secs: u64,
}

impl Locked {
    fn until(until: DateTime<Utc>, now: DateTime<Utc>) -> Locked {
        let millis = (until - now).num_milliseconds().max(1);
        let secs = u64::try_from(millis).unwrap_or(1).div_ceil(1000);
        Locked {
            retry_after_secs: secs.max(1),
        }
    }
}

/// The lock that refuses this attempt now, if any.
pub fn check(
    conn: &mut PgConnection,
    keys: &AttemptKeys,
    now: DateTime<Utc>,
) -> QueryResult<Option<Locked>> {
    let names: Vec<&str> = keys.with_limits().map(|(key, _)| key).collect();
    let until: Option<DateTime<Utc>> = login_failures::table
        .filter(login_failures::key.eq_any(names))
        .filter(login_failures::locked_until.gt(now))
        .select(max(login_failures::locked_until))
        .first(conn)?;
    Ok(until.map(|until| Locked::until(until, now)))
}

/// Counts a failed attempt against every key, locking those that reach
/// their limit.
pub fn record_failure(
    conn: &mut PgConnection,
    keys: &AttemptKeys,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    for (key, limit) in keys.with_limits() {
        // One atomic upsert, so failures racing on several replicas are all
        // counted. A window that has run out, or a lock that has ended,
        // starts a new series.
        let row: LoginFailure = diesel::sql_query(
            "INSERT INTO login_failures AS f (key, failures, window_started_at) \
             VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN f.window_started_at <= $3 OR f.locked_until <= $2 \
                          THEN 1 ELSE f.failures + 1 END, \
               window_started_at = CASE WHEN f.window_started_at <= $3 OR f.locked_until <= $2 \
                          THEN $2 ELSE f.window_started_at END, \
               locked_until = CASE WHEN f.window_started_at <= $3 OR f.locked_until <= $2 \
                          THEN NULL ELSE f.locked_until END \
             RETURNING f.key, f.failures, f.window_started_at, f.locked_until",
        )
        .bind::<Text, _>(key)
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(now - FAILURE_WINDOW)
        .get_result(conn)?;
        if row.failures >= limit {
            // Racing failures may all get here; only the first sets the lock.
            diesel::update(
                login_failures::table
                    .find(key)
                    .filter(login_failures::locked_until.is_null()),
            )
            .set(login_failures::locked_until.eq(now + LOCKOUT))
            .execute(conn)?;
        }
    }
    // Rows of finished series are only clutter; clearing them now and then
    // keeps the table small without a scheduled job.
    if rand::random_ratio(1, 64) {
        prune(conn, now)?;
    }
    Ok(())
}

/// A successful login: the account's failures are forgiven.
pub fn record_success(conn: &mut PgConnection, keys: &AttemptKeys) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(&keys.account)).execute(conn)?;
    Ok(())
}

/// Deletes the rows whose window and lock have both ended.
pub fn prune(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::window_started_at.le(now - FAILURE_WINDOW))
            .filter(
                login_failures::locked_until
                    .is_null()
                    .or(login_failures::locked_until.le(now)),
            ),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_keyed_by_host_or_ipv6_block() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "address:203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "address:203.0.113.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "address:2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }

    #[test]
    fn keys_name_the_account_and_the_address_when_known() {
        let keys = AttemptKeys::new("ed@desk.example", Some("198.51.100.1".parse().unwrap()));
        let all: Vec<_> = keys.with_limits().collect();
        assert_eq!(
            all,
            [
                ("account:ed@desk.example", ACCOUNT_MAX_FAILURES),
                ("address:198.51.100.1", ADDRESS_MAX_FAILURES)
            ]
        );
        assert_eq!(
            AttemptKeys::new("ed@desk.example", None)
                .with_limits()
                .count(),
            1
        );
        let huge = AttemptKeys::new(&"a".repeat(10_000), None);
        assert!(huge.account.len() < 400);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let now = Utc::now();
        let secs =
            |millis| Locked::until(now + TimeDelta::milliseconds(millis), now).retry_after_secs;
        assert_eq!(secs(900_000), 900);
        assert_eq!(secs(899_001), 900);
        assert_eq!(secs(1), 1);
        assert_eq!(secs(0), 1);
    }
}
