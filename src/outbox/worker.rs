//! The email worker: claims one due email job at a time with `FOR UPDATE SKIP
//! LOCKED`, sends it while holding the row lock, and records the outcome in
//! the same transaction.
//!
//! Why this shape: the row lock is the claim. Another worker (thread or
//! process) skips a locked row, so no two send the same email; a worker that
//! dies mid-send loses its connection, the transaction rolls back, and the job
//! is simply due again, never stranded in a "claimed" state. The one window
//! left is a crash after the SMTP server accepted the message and before the
//! commit: that job is sent again, with the same Message-ID (see
//! `mail::compose::message_id_for`). Exactly once is not possible across two
//! systems; this is at least once with the duplicate recognisable.
//!
//! Webhook jobs share the table but are not this worker's: it never claims them.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::Rng;

use super::OutboxJob;
use crate::db::PgPool;
use crate::db::models::{NewCorrespondence, Submission};
use crate::mail::{Composed, Composer, Mailer};
use crate::schema::{correspondence, outbox, submission_thread_ids, submissions};

/// A job that failed this many times is dead: with the backoff below that is
/// about 14 hours of retries, long enough to ride out an SMTP outage overnight.
/// An editor can retry a dead job.
pub const MAX_ATTEMPTS: i32 = 12;
/// The wait after the first failure; it doubles with each further one.
const FIRST_RETRY: Duration = Duration::from_secs(30);
const MAX_RETRY: Duration = Duration::from_secs(6 * 3600);
/// `last_error` keeps this much of an error: enough to diagnose, bounded.
const MAX_ERROR_CHARS: usize = 1000;

/// What `run_once` did with the job it claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Sent {
        job_id: i64,
        message_id: String,
    },
    /// Sending failed; the job is due again at `next_attempt_at`.
    Retry {
        job_id: i64,
        attempts: i32,
        next_attempt_at: DateTime<Utc>,
        error: String,
    },
    /// The job will not be tried again: it failed `MAX_ATTEMPTS` times, or it
    /// can never become an email (its submission is gone, a bad address).
    Dead {
        job_id: i64,
        reason: String,
    },
}

/// Claims the first due email job and delivers it. `Ok(None)`: nothing is due
/// (or every due job is in another worker's hands). `now` decides what is due
/// and stamps the outcome, so tests can move time forward instead of sleeping.
/// An `Err` is a database failure: the transaction rolled back and the job,
/// if any, is due again.
pub fn run_once(
    conn: &mut PgConnection,
    mailer: &Mailer,
    composer: &Composer,
    now: DateTime<Utc>,
) -> QueryResult<Option<JobOutcome>> {
    conn.transaction(|conn| {
        let Some(job) = outbox::table
            .filter(outbox::kind.eq("email"))
            .filter(outbox::state.eq("pending"))
            .filter(outbox::next_attempt_at.le(now))
            .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
            .limit(1)
            .for_update()
            .skip_locked()
            .select(OutboxJob::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(None);
        };

        let submission = match job.submission_id {
            Some(id) => submissions::table
                .find(id)
                .select(Submission::as_select())
                .first(conn)
                .optional()?,
            None => None,
        };
        let Some(submission) = submission else {
            return mark_dead(conn, &job, "the submission no longer exists").map(Some);
        };
        let composed = match composer.compose(&job, &submission, now) {
            Ok(composed) => composed,
            Err(err) => return mark_dead(conn, &job, &err.to_string()).map(Some),
        };
        match mailer.send(&composed.message) {
            Ok(()) => mark_sent(conn, &job, &composed, now).map(Some),
            Err(err) => record_failure(conn, &job, &err.to_string(), now).map(Some),
        }
    })
}

/// Runs `run_once` until nothing is due at `now`; returns what each job did.
pub fn drain(
    conn: &mut PgConnection,
    mailer: &Mailer,
    composer: &Composer,
    now: DateTime<Utc>,
) -> QueryResult<Vec<JobOutcome>> {
    let mut outcomes = Vec::new();
    while let Some(outcome) = run_once(conn, mailer, composer, now)? {
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The wait before the next attempt after `attempts` failures: 30 s doubling
/// to at most 6 h, then spread by ±20 % so jobs that failed together (an SMTP
/// outage) do not all come back in the same second.
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

fn mark_sent(
    conn: &mut PgConnection,
    job: &OutboxJob,
    composed: &Composed,
    now: DateTime<Utc>,
) -> QueryResult<JobOutcome> {
    diesel::update(outbox::table.find(job.id))
        .set((
            outbox::state.eq("sent"),
            outbox::attempts.eq(job.attempts + 1),
            outbox::sent_at.eq(now),
            outbox::message_id.eq(&composed.message_id),
            outbox::recipient.eq(&composed.recipient),
        ))
        .execute(conn)?;
    if let Some(submission_id) = job.submission_id {
        // The author's reply names this Message-ID: it attaches to the submission.
        diesel::insert_into(submission_thread_ids::table)
            .values((
                submission_thread_ids::message_id.eq(&composed.message_id),
                submission_thread_ids::submission_id.eq(submission_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        diesel::insert_into(correspondence::table)
            .values(NewCorrespondence {
                submission_id,
                direction: "outbound",
                inbound_message_id: None,
                subject: Some(&composed.subject),
                body_text: &composed.body,
            })
            .execute(conn)?;
    }
    tracing::info!(
        job = job.id,
        topic = %job.topic,
        submission = job.submission_id,
        message_id = %composed.message_id,
        "email sent"
    );
    Ok(JobOutcome::Sent {
        job_id: job.id,
        message_id: composed.message_id.clone(),
    })
}

fn record_failure(
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
                outbox::state.eq("dead"),
                outbox::attempts.eq(attempts),
                outbox::last_error.eq(&error),
            ))
            .execute(conn)?;
        tracing::error!(job = job.id, topic = %job.topic, attempts, %error, "email given up");
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
    tracing::warn!(job = job.id, topic = %job.topic, attempts, %next_attempt_at, %error, "email not sent, will retry");
    Ok(JobOutcome::Retry {
        job_id: job.id,
        attempts,
        next_attempt_at,
        error,
    })
}

fn mark_dead(conn: &mut PgConnection, job: &OutboxJob, reason: &str) -> QueryResult<JobOutcome> {
    diesel::update(outbox::table.find(job.id))
        .set((
            outbox::state.eq("dead"),
            outbox::attempts.eq(job.attempts + 1),
            outbox::last_error.eq(reason),
        ))
        .execute(conn)?;
    tracing::error!(job = job.id, topic = %job.topic, %reason, "email cannot be sent");
    Ok(JobOutcome::Dead {
        job_id: job.id,
        reason: reason.to_string(),
    })
}

/// Tells workers to stop claiming jobs; wakes them from their idle wait.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<(Mutex<bool>, Condvar)>);

impl Stop {
    pub fn new() -> Stop {
        Stop::default()
    }

    pub fn stop(&self) {
        let (stopped, wake) = &*self.0;
        *stopped.lock().unwrap_or_else(|poison| poison.into_inner()) = true;
        wake.notify_all();
    }

    pub fn is_stopped(&self) -> bool {
        *self.0.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Sleeps `duration` unless stopped first; true when stopped.
    fn sleep(&self, duration: Duration) -> bool {
        let (stopped, wake) = &*self.0;
        let guard = stopped.lock().unwrap_or_else(|poison| poison.into_inner());
        let (guard, _) = wake
            .wait_timeout_while(guard, duration, |stopped| !*stopped)
            .unwrap_or_else(|poison| poison.into_inner());
        *guard
    }
}

/// A worker loop on its own thread, with its own database connections.
pub struct Worker {
    pub pool: PgPool,
    pub mailer: Arc<Mailer>,
    pub composer: Arc<Composer>,
    pub stop: Stop,
    /// Return once nothing is due instead of waiting for more (`oped worker
    /// --exit-when-idle`: drain the queue from cron or a test, then exit).
    pub exit_when_idle: bool,
    /// How often an idle worker looks for due jobs.
    pub poll_interval: Duration,
}

impl Worker {
    /// Delivers jobs until stopped. A stop request is honoured between jobs:
    /// the one in hand is finished and committed (or rolled back), so nothing
    /// claimed is left behind.
    pub fn run(&self) {
        let mut database_failures: u32 = 0;
        while !self.stop.is_stopped() {
            let result = self
                .pool
                .get()
                .map_err(|err| err.to_string())
                .and_then(|mut conn| {
                    run_once(&mut conn, &self.mailer, &self.composer, Utc::now())
                        .map_err(|err| err.to_string())
                });
            match result {
                Ok(Some(_)) => database_failures = 0,
                Ok(None) => {
                    database_failures = 0;
                    if self.exit_when_idle || self.stop.sleep(self.poll_interval) {
                        break;
                    }
                }
                Err(error) => {
                    // The job, if one was claimed, rolled back and is due again.
                    database_failures = database_failures.saturating_add(1);
                    let wait = self.poll_interval.saturating_mul(database_failures.min(30));
                    tracing::warn!(%error, wait_seconds = wait.as_secs(), "outbox worker: database unavailable");
                    if self.stop.sleep(wait) {
                        break;
                    }
                }
            }
        }
    }

    /// Runs `run` on a new named thread.
    pub fn spawn(self, name: String) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name(name)
            .spawn(move || self.run())
    }
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

    #[test]
    fn stop_wakes_a_sleeping_worker() {
        let stop = Stop::new();
        let waiter = stop.clone();
        let started = std::time::Instant::now();
        let handle = std::thread::spawn(move || waiter.sleep(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(20));
        stop.stop();
        assert!(handle.join().unwrap());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(stop.is_stopped());
    }
}
