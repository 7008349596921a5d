//! What a failed statement means to its caller, decided here once: the
//! database away or busy (try again later), the statement past its timeout,
//! text the database cannot store, or something else.
//!
//! PostgreSQL names every error with a SQLSTATE. diesel 2 reads it but keeps
//! it to itself: it maps a few codes to a [`DatabaseErrorKind`] and gives the
//! rest only as `Unknown` with the message text, and that text is translated
//! into the server's `lc_messages`. So every connection this service makes
//! asks for untranslated messages ([`pin_messages`]), and the table below
//! reads each message as the SQLSTATE it is written for. When the role may
//! not set `lc_messages` (it is a superuser's setting; PostgreSQL 15 lets it
//! be granted) a warning says so once, and the messages are recognised only
//! if the server writes English anyway.

use std::sync::Once;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

/// What a database error means for whoever made the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFailure {
    /// The server is away, shutting down or refusing connections, or the
    /// connection was lost: nothing about the request is at fault.
    Away,
    /// The server is busy: a serialization failure, a deadlock, a lock not
    /// to be had, or it is out of connections, memory or disk.
    Busy,
    /// The statement ran past `statement_timeout`.
    Timeout,
    /// Text the database cannot store: a NUL character or a byte that is
    /// not UTF-8 (22021), a `\u0000` in JSON (22P05).
    BadText,
    /// Anything else: a constraint, a value too large for its index
    /// (54000), a bug. Trying the same statement again gives the same answer.
    Other,
}

impl DbFailure {
    /// True when the same statement may succeed later, unchanged: the
    /// database was away, busy or slow. A caller that retries (the MTA after
    /// a 503 or exit 75, the IMAP poller) should retry these, and treat any
    /// other failure as the input's own.
    pub fn is_transient(self) -> bool {
        matches!(self, DbFailure::Away | DbFailure::Busy | DbFailure::Timeout)
    }
}

/// What `err` means; see [`DbFailure`].
pub fn classify(err: &Error) -> DbFailure {
    match err {
        Error::DatabaseError(kind, info) => match kind {
            // A write refused as read-only: the primary became a standby
            // (a failover under way) while the connection stayed open.
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::ReadOnlyTransaction => {
                DbFailure::Away
            }
            DatabaseErrorKind::SerializationFailure => DbFailure::Busy,
            _ => by_message(info.message()),
        },
        // Left after a connection was lost inside a transaction.
        Error::BrokenTransactionManager => DbFailure::Away,
        Error::RollbackErrorOnCommit { commit_error, .. } => classify(commit_error),
        _ => DbFailure::Other,
    }
}

/// True when the statement that failed with `err` may succeed if tried again
/// unchanged (the database away, busy or slow); false when the failure is in
/// what was asked of it. See [`DbFailure::is_transient`].
pub fn is_transient(err: &Error) -> bool {
    classify(err).is_transient()
}

/// How the primary messages (untranslated) of the SQLSTATEs diesel does not
/// name begin, each under the code that writes it.
const MESSAGES: &[(&str, DbFailure)] = &[
    // 57014 query_canceled
    (
        "canceling statement due to statement timeout",
        DbFailure::Timeout,
    ),
    ("canceling statement due to user request", DbFailure::Busy),
    // 55P03 lock_not_available
    ("canceling statement due to lock timeout", DbFailure::Busy),
    ("could not obtain lock", DbFailure::Busy),
    // 40P01 deadlock_detected
    ("deadlock detected", DbFailure::Busy),
    // 53300 too_many_connections, 53200 out_of_memory, 53100 disk_full
    ("sorry, too many clients already", DbFailure::Busy),
    ("remaining connection slots are reserved", DbFailure::Busy),
    ("out of memory", DbFailure::Busy),
    ("could not extend file", DbFailure::Busy),
    // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now
    (
        "terminating connection due to administrator command",
        DbFailure::Away,
    ),
    (
        "terminating connection because of crash of another server process",
        DbFailure::Away,
    ),
    ("the database system is", DbFailure::Away),
    // 22021 character_not_in_repertoire
    ("invalid byte sequence for encoding", DbFailure::BadText),
    // 22P05 untranslatable_character
    ("unsupported Unicode escape sequence", DbFailure::BadText),
];

fn by_message(message: &str) -> DbFailure {
    MESSAGES
        .iter()
        .find(|(start, _)| message.starts_with(start))
        .map_or(DbFailure::Other, |&(_, failure)| failure)
}

/// Asks the server for untranslated messages on this connection, so that
/// [`classify`] reads them whatever the server's `lc_messages`. A role that
/// may not set it keeps its connection; a warning (once per process) says
/// how to allow it.
pub fn pin_messages(conn: &mut PgConnection) {
    static WARNED: Once = Once::new();
    if let Err(err) = diesel::sql_query("SET lc_messages = 'C'").execute(conn) {
        WARNED.call_once(|| {
            tracing::warn!(
                error = %err,
                "the database role may not set lc_messages: errors such as a query timeout are \
                 recognised only if the server writes English; let it with \
                 `GRANT SET ON PARAMETER lc_messages TO <role>` (PostgreSQL 15) or \
                 `ALTER ROLE <role> SET lc_messages = 'C'`"
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_string()))
    }

    #[test]
    fn each_message_is_read_as_its_sqlstate_s_failure() {
        let unknown = |message| classify(&failed(DatabaseErrorKind::Unknown, message));
        assert_eq!(
            unknown("canceling statement due to statement timeout"),
            DbFailure::Timeout
        );
        assert_eq!(
            unknown("invalid byte sequence for encoding \"UTF8\": 0x00"),
            DbFailure::BadText
        );
        assert_eq!(
            unknown("unsupported Unicode escape sequence"),
            DbFailure::BadText
        );
        assert_eq!(unknown("deadlock detected"), DbFailure::Busy);
        assert_eq!(
            unknown("the database system is shutting down"),
            DbFailure::Away
        );
        assert_eq!(
            unknown("index row requires 9624 bytes, maximum size is 8191"),
            DbFailure::Other
        );
        // A translated message is not guessed at.
        assert_eq!(
            unknown("storniere Anfrage wegen Zeitüberschreitung der Anfrage"),
            DbFailure::Other
        );
    }

    #[test]
    fn only_the_database_away_busy_or_slow_is_transient() {
        for (err, transient) in [
            (failed(DatabaseErrorKind::ClosedConnection, "gone"), true),
            (failed(DatabaseErrorKind::SerializationFailure, "x"), true),
            (failed(DatabaseErrorKind::ReadOnlyTransaction, "x"), true),
            (Error::BrokenTransactionManager, true),
            (failed(DatabaseErrorKind::UniqueViolation, "x"), false),
            (
                failed(DatabaseErrorKind::Unknown, "index row size 9000 exceeds"),
                false,
            ),
            (Error::NotFound, false),
        ] {
            assert_eq!(is_transient(&err), transient, "{err:?}");
        }
    }
}
