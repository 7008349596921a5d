//! Poison mail: a message the database refuses is recorded as quarantined,
//! never retried for ever.
//!
//! A refusal lies in the message's own bytes (a value too long to index, a
//! text too large to search); the database being away, busy or past its
//! statement timeout is no refusal ([`crate::db::errors::is_transient`]):
//! nothing is written and the door says "try again later". A refusal is
//! tried a few times within this one delivery, a little apart (a lock or a
//! conflict diesel cannot name may pass), and after the last try the message
//! is kept as quarantined (its raw bytes, the reason) in a fresh transaction
//! that writes nothing read from it. Tries within the delivery need no count
//! kept between deliveries, and every door answers at once: the MTA and the
//! HTTP client get "accepted", and the mailbox poller goes on to the next
//! message.

use std::time::Duration;

use diesel::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::parse::QuarantineReason;
use super::store::{self, RawMessage};
use super::{IngestReport, IntakeError, Prepared};
use crate::config::IntakeConfig;

/// Tries before a refused message is quarantined.
const TRIES: usize = 3;
/// The pause before each try after the first.
const PAUSES: [Duration; TRIES - 1] = [Duration::from_millis(100), Duration::from_millis(500)];
/// The database's words kept with the quarantined message, at most.
const REASON_CHARS: usize = 500;

/// Records the message with `also` (given what was recorded) in one
/// transaction; a message the database keeps refusing is recorded as
/// quarantined, with `also`.
pub(super) fn record(
    conn: &mut PgConnection,
    raw: RawMessage<'_>,
    prepared: &Prepared,
    config: &IntakeConfig,
    mut also: impl FnMut(&mut PgConnection, &IngestReport) -> QueryResult<()>,
) -> Result<IngestReport, IntakeError> {
    let mut pauses = PAUSES.iter();
    let refusal = loop {
        let attempt = conn.transaction(|conn| {
            let report = store::record(conn, raw, prepared, config)?;
            also(conn, &report)?;
            Ok(report)
        });
        match attempt {
            Ok(report) => return Ok(report),
            Err(err) if !is_refusal(&err) => return Err(IntakeError::Unavailable(err)),
            Err(err) => match pauses.next() {
                Some(pause) => {
                    tracing::warn!(error = %err, "the database refused a message; trying again");
                    std::thread::sleep(*pause);
                }
                None => break err,
            },
        }
    };
    let reason = QuarantineReason::Refused {
        error: refusal.to_string().chars().take(REASON_CHARS).collect(),
    };
    conn.transaction(|conn| {
        let report = store::record_quarantined(conn, raw, &reason)?;
        also(conn, &report)?;
        Ok(report)
    })
    .map_err(|err| match is_refusal(&err) {
        true => IntakeError::Refused(err),
        false => IntakeError::Unavailable(err),
    })
}

/// Whether the database answered and refused what was written, rather than
/// being away, busy or slow.
fn is_refusal(err: &Error) -> bool {
    match err {
        Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => false,
        Error::DatabaseError(..) => !crate::db::errors::is_transient(err),
        // A value from the message that cannot even be sent.
        Error::SerializationError(_) | Error::InvalidCString(_) | Error::QueryBuilderError(_) => {
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(kind: DatabaseErrorKind) -> Error {
        Error::DatabaseError(kind, Box::new("what the server said".to_string()))
    }

    #[test]
    fn a_database_away_or_busy_is_no_refusal() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
            DatabaseErrorKind::ReadOnlyTransaction,
            DatabaseErrorKind::SerializationFailure,
        ] {
            assert!(!is_refusal(&database(kind)), "{kind:?}");
        }
        assert!(!is_refusal(&Error::BrokenTransactionManager));
        let timeout = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("canceling statement due to statement timeout".to_string()),
        );
        assert!(!is_refusal(&timeout));
        assert!(!is_refusal(&Error::NotFound));
    }

    #[test]
    fn what_the_database_refuses_to_store_is_a_refusal() {
        for kind in [
            DatabaseErrorKind::UniqueViolation,
            DatabaseErrorKind::CheckViolation,
            DatabaseErrorKind::NotNullViolation,
            // Index rows too large, strings PostgreSQL will not take, ...
            DatabaseErrorKind::Unknown,
        ] {
            assert!(is_refusal(&database(kind)), "{kind:?}");
        }
    }
}
