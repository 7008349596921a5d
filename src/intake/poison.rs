//! Poison mail: a message the database refuses is recorded as quarantined,
//! never retried for ever.
//!
//! A refusal may lie in the message's own bytes (a value too long to index,
//! a text too large to search) or be a passing conflict (a deadlock, a
//! statement timeout). PostgreSQL names each by its SQLSTATE, but diesel
//! 2.3 passes on only a few kinds of error and not the SQLSTATE itself, so
//! both look alike here. Hence a few tries, within this one delivery, a
//! little apart: a conflict passes, a value refused is refused each time,
//! and after the last try the message is kept as quarantined (its raw
//! bytes, the reason) in a fresh transaction that writes nothing read from
//! it. Tries within the delivery need no count kept between deliveries, and
//! every door answers at once: the MTA and the HTTP client get "accepted",
//! and the mailbox poller goes on to the next message.
//!
//! What diesel does name as the database being away or busy (the
//! connection lost, a standby, a serialisation conflict) is never counted
//! as a refusal: nothing is written and the door says "try again later".

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

/// Records the message with `also` in one transaction; a message the
/// database keeps refusing is recorded as quarantined, with `also`.
pub(super) fn record(
    conn: &mut PgConnection,
    raw: RawMessage<'_>,
    prepared: &Prepared,
    config: &IntakeConfig,
    mut also: impl FnMut(&mut PgConnection) -> QueryResult<()>,
) -> Result<IngestReport, IntakeError> {
    let mut pauses = PAUSES.iter();
    let refusal = loop {
        let attempt = conn.transaction(|conn| {
            let report = store::record(conn, raw, prepared, config)?;
            also(conn)?;
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
        also(conn)?;
        Ok(report)
    })
    .map_err(|err| match is_refusal(&err) {
        true => IntakeError::Refused(err),
        false => IntakeError::Unavailable(err),
    })
}

/// Whether the database answered and refused what was written, rather than
/// being away or busy as far as diesel can tell.
fn is_refusal(err: &Error) -> bool {
    match err {
        Error::DatabaseError(kind, _) => !matches!(
            kind,
            DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::ReadOnlyTransaction
                | DatabaseErrorKind::SerializationFailure
        ),
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
