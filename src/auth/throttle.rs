//! Login throttling, kept in `login_failures` so that every replica counts
//! the same failures.
//!
//! Two keys count each failed attempt: the account *from this client
//! address* (a few typos, then growing waits), and the client address
//! across all accounts (one address guessing at many accounts). Each key
//! gets some failures free; every failure after them makes the client wait
//! twice as long as the one before, up to `MAX_DELAY`. While a key must
//! wait, attempts are refused with 429 before the password is even checked
//! (a correct password does not get through, and the answer says nothing
//! about whether a guess was right); refused attempts are not counted. A
//! series ends when no failure came for `FAILURE_WINDOW`.
//!
//! There is deliberately no key for an account from every address: such a
//! lock is what lets an outsider keep an editor out by typing wrong
//! passwords at their address. Guessing a 12-character password at a few
//! tries an hour per address is hopeless anyway.
//!
//! A success forgives the account's failures from that address, not the
//! address's (or one valid account would let an address reset its count
//! between guesses at others). A password changed by its owner or reset by
//! an admin forgives all of the account's failures.

use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::dsl::max;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Timestamptz};

use super::models::LoginFailure;
use crate::schema::login_failures;

/// Failures of one client against one account before it must wait: enough
/// for a few typos.
pub const ACCOUNT_FREE_FAILURES: i32 = 5;

/// Failures of one client address, whatever accounts they were against,
/// before it must wait: more, because one office behind one address may
/// hold several editors.
pub const ADDRESS_FREE_FAILURES: i32 = 20;

/// The wait after the first failure beyond the free ones; each further
/// failure doubles it.
pub const FIRST_DELAY: TimeDelta = TimeDelta::seconds(15);

/// The longest wait.
pub const MAX_DELAY: TimeDelta = TimeDelta::minutes(15);

/// A series of failures ends when none came for this long.
pub const FAILURE_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// Account keys are built from at most this many characters of what was
/// typed, so that a huge "email" cannot bloat the table.
const MAX_KEY_EMAIL_CHARS: usize = 320;

/// The keys one attempt counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptKeys {
    /// The account as typed, from this address when it is known.
    account: String,
    /// None when the peer's address is unknown (a Unix socket, an in-process
    /// test): one shared bucket would let a single client slow everyone.
    address: Option<String>,
}

impl AttemptKeys {
    /// `email` as typed, already trimmed and lower-cased; `address` the
    /// client's address (see `app::client::client_address`).
    pub fn new(email: &str, address: Option<IpAddr>) -> AttemptKeys {
        let address = address.map(address_key);
        let account = account_key(email);
        AttemptKeys {
            account: match &address {
                Some(address) => format!("{account}|{address}"),
                None => account,
            },
            address,
        }
    }

    fn with_free_failures(&self) -> impl Iterator<Item = (&str, i32)> {
        std::iter::once((self.account.as_str(), ACCOUNT_FREE_FAILURES)).chain(
            self.address
                .as_deref()
                .map(|address| (address, ADDRESS_FREE_FAILURES)),
        )
    }
}

fn account_key(email: &str) -> String {
    let email: String = email.chars().take(MAX_KEY_EMAIL_CHARS).collect();
    format!("account:{email}")
}

/// How long a key must wait after its `failures`-th failure in a series.
pub fn delay_after(failures: i32, free: i32) -> Option<TimeDelta> {
    let beyond = failures.checked_sub(free)?;
    if beyond < 0 {
        return None;
    }
    // 15 s · 2^beyond, without overflowing on a long series.
    let doublings = u32::try_from(beyond).unwrap_or(u32::MAX).min(16);
    let delay = FIRST_DELAY * (1_i32 << doublings);
    Some(delay.min(MAX_DELAY))
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

/// The wait that refuses this attempt now, if any.
pub fn check(
    conn: &mut PgConnection,
    keys: &AttemptKeys,
    now: DateTime<Utc>,
) -> QueryResult<Option<Locked>> {
    let names: Vec<&str> = keys.with_free_failures().map(|(key, _)| key).collect();
    let until: Option<DateTime<Utc>> = login_failures::table
        .filter(login_failures::key.eq_any(names))
        .filter(login_failures::locked_until.gt(now))
        .select(max(login_failures::locked_until))
        .first(conn)?;
    Ok(until.map(|until| Locked::until(until, now)))
}

/// Counts a failed attempt against every key; a key past its free failures
/// must wait, longer with each failure.
pub fn record_failure(
    conn: &mut PgConnection,
    keys: &AttemptKeys,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    for (key, free) in keys.with_free_failures() {
        // One atomic upsert, so failures racing on several replicas are all
        // counted. A quiet window ends the series.
        let row: LoginFailure = diesel::sql_query(
            "INSERT INTO login_failures AS f (key, failures, last_failure_at) \
             VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN f.last_failure_at <= $3 THEN 1 ELSE f.failures + 1 END, \
               last_failure_at = $2, \
               locked_until = CASE WHEN f.last_failure_at <= $3 THEN NULL ELSE f.locked_until END \
             RETURNING f.key, f.failures, f.last_failure_at, f.locked_until",
        )
        .bind::<Text, _>(key)
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(now - FAILURE_WINDOW)
        .get_result(conn)?;
        if let Some(delay) = delay_after(row.failures, free) {
            diesel::update(login_failures::table.find(key))
                .set(login_failures::locked_until.eq(now + delay))
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

/// A successful login: the account's failures from this client are forgiven.
pub fn record_success(conn: &mut PgConnection, keys: &AttemptKeys) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(&keys.account)).execute(conn)?;
    Ok(())
}

/// A new password (changed by its owner, or reset by an admin): every
/// failure counted against the account, from any address, is forgiven.
pub fn forgive_account(conn: &mut PgConnection, email: &str) -> QueryResult<usize> {
    let key = account_key(email);
    diesel::delete(
        login_failures::table.filter(
            login_failures::key
                .eq(&key)
                .or(diesel::dsl::sql::<Bool>("starts_with(key, ")
                    .bind::<Text, _>(format!("{key}|"))
                    .sql(")")),
        ),
    )
    .execute(conn)
}

/// Deletes the rows whose series and wait have both ended.
pub fn prune(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::last_failure_at.le(now - FAILURE_WINDOW))
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
    fn keys_name_the_account_from_the_address_and_the_address() {
        let keys = AttemptKeys::new("ed@desk.example", Some("198.51.100.1".parse().unwrap()));
        let all: Vec<_> = keys.with_free_failures().collect();
        assert_eq!(
            all,
            [
                (
                    "account:ed@desk.example|address:198.51.100.1",
                    ACCOUNT_FREE_FAILURES
                ),
                ("address:198.51.100.1", ADDRESS_FREE_FAILURES)
            ]
        );
        assert_eq!(
            AttemptKeys::new("ed@desk.example", None)
                .with_free_failures()
                .collect::<Vec<_>>(),
            [("account:ed@desk.example", ACCOUNT_FREE_FAILURES)]
        );
        let huge = AttemptKeys::new(&"a".repeat(10_000), None);
        assert!(huge.account.len() < 400);
    }

    #[test]
    fn waits_double_after_the_free_failures_up_to_the_longest() {
        assert_eq!(delay_after(4, 5), None);
        assert_eq!(delay_after(5, 5), Some(TimeDelta::seconds(15)));
        assert_eq!(delay_after(6, 5), Some(TimeDelta::seconds(30)));
        assert_eq!(delay_after(8, 5), Some(TimeDelta::seconds(120)));
        assert_eq!(delay_after(11, 5), Some(MAX_DELAY));
        assert_eq!(delay_after(i32::MAX, 5), Some(MAX_DELAY));
        assert_eq!(delay_after(i32::MIN, 5), None);
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
