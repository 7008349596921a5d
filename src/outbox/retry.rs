//! When a delivery fails: try again later, a little later each time, and
//! give up after `MAX_ATTEMPTS`; and when one reaches its receiver. Shared by
//! emails, webhooks and WordPress posts.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::Rng;

use super::{JobOutcome, OutboxJob};
use crate::domain::DeliveryState;
use crate::schema::outbox;

/// A job that failed this many times is dead: with the backoff below that is
/// about 14 hours of retries, long enough to ride out an SMTP outage overnight.
/// An editor can retry a dead job.
pub const MAX_ATTEMPTS: i32 = 12;
/// The wait after the first failure; it doubles with each further one.
const FIRST_RETRY: Duration = Duration::from_secs(30);
const MAX_RETRY: Duration = Duration::from_secs(6 * 3600);
/// `last_error` keeps this much of an error: enough to diagnose, bounded.
const MAX_ERROR_CHARS: usize = 1000;

/// The wait before the next attempt after `attempts` failures: 30 s doubling
/// to at most 6 h, then spread by ±20 % so jobs that failed together (an SMTP
/// or site outage) do not all come back in the same second.
pub fn backoff(attempts: i32) -> chrono::Duration {
    backoff_with_jitter(attempts, rand::rng().random_range(-0.2..=0.2))
}

fn backoff_with_jitter(attempts: i32, jitter: f64) -> chrono::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let base = FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_RETRY);
    let spread = base.mul_f64(1.0 + jitter.clamp(-0.2, 0.2));
    chrono::Duration::from_std(spread).unwrap_or(chrono::Duration::hours(6))
}

pub(super) fn record_failure(
    conn: &mut PgConnection,
    job: &OutboxJob,
    error: &str,
    now: DateTime<Utc>,
) -> QueryResult<JobOutcome> {
    let attempts = job.attempts + 1;
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    if attempts >= MAX_ATTEMPTS {
        diesel::update(outbox::table.find(job.id))
            .set((
                outbox::state.eq(DeliveryState::Dead),
                outbox::attempts.eq(attempts),
                outbox::last_error.eq(&error),
            ))
            .execute(conn)?;
        tracing::error!(job = job.id, kind = %job.kind, topic = %job.topic, attempts, %error, "delivery given up");
        return Ok(JobOutcome::Dead {
            job_id: job.id,
            reason: error,
        });
    }
    let next_attempt_at = now + backoff(attempts);
    diesel::update(outbox::table.find(job.id))
        .set((
            outbox::attempts.eq(attempts),
            outbox::last_error.eq(&error),
            outbox::next_attempt_at.eq(next_attempt_at),
        ))
        .execute(conn)?;
    tracing::warn!(job = job.id, kind = %job.kind, topic = %job.topic, attempts, %next_attempt_at, %error, "delivery failed, will retry");
    Ok(JobOutcome::Retry {
        job_id: job.id,
        attempts,
        next_attempt_at,
        error,
    })
}

pub(super) fn mark_dead(
    conn: &mut PgConnection,
    job: &OutboxJob,
    reason: &str,
) -> QueryResult<JobOutcome> {
    diesel::update(outbox::table.find(job.id))
        .set((
            outbox::state.eq(DeliveryState::Dead),
            outbox::attempts.eq(job.attempts + 1),
            outbox::last_error.eq(reason),
        ))
        .execute(conn)?;
    tracing::error!(job = job.id, kind = %job.kind, topic = %job.topic, %reason, "delivery impossible");
    Ok(JobOutcome::Dead {
        job_id: job.id,
        reason: reason.to_string(),
    })
}

/// A site delivery (webhook, WordPress post) that reached its receiver.
pub(super) fn mark_delivered(
    conn: &mut PgConnection,
    job: &OutboxJob,
    receipt: String,
    now: DateTime<Utc>,
) -> QueryResult<JobOutcome> {
    diesel::update(outbox::table.find(job.id))
        .set((
            outbox::state.eq(DeliveryState::Sent),
            outbox::attempts.eq(job.attempts + 1),
            outbox::sent_at.eq(now),
        ))
        .execute(conn)?;
    Ok(JobOutcome::Sent {
        job_id: job.id,
        receipt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_six_hours() {
        assert_eq!(backoff_with_jitter(1, 0.0).num_seconds(), 30);
        assert_eq!(backoff_with_jitter(2, 0.0).num_seconds(), 60);
        assert_eq!(backoff_with_jitter(5, 0.0).num_seconds(), 480);
        assert_eq!(backoff_with_jitter(11, 0.0).num_hours(), 6);
        assert_eq!(backoff_with_jitter(1000, 0.0).num_hours(), 6);
        assert_eq!(backoff_with_jitter(0, 0.0).num_seconds(), 30);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        assert_eq!(backoff_with_jitter(1, 0.2).num_seconds(), 36);
        assert_eq!(backoff_with_jitter(1, -0.2).num_seconds(), 24);
        assert_eq!(backoff_with_jitter(1, 5.0).num_seconds(), 36);
        for _ in 0..100 {
            let seconds = backoff(3).num_seconds();
            assert!((96..=144).contains(&seconds), "{seconds}");
        }
    }
}
