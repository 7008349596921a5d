//! Background work: each kind (emails, webhooks, the scheduler) is a `Task`
//! that does one unit at a time, run in a loop on its own thread by a
//! `Worker` until stopped.
//!
//! Why threads and not async tasks: diesel, lettre's SMTP transport and the
//! webhook client all block. A thread per kind keeps a slow SMTP server from
//! delaying webhooks and the other way round, and never touches an actix
//! worker thread.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use diesel::result::QueryResult;

use crate::db::PgPool;

/// One kind of background work.
pub trait Task: Send + Sync {
    /// For logs and thread names: `email`, `webhook`, `scheduler`.
    fn name(&self) -> &'static str;

    /// Does one unit of work that is due at `now`, in its own transaction.
    /// `Ok(true)`: it did something (more may be due); `Ok(false)`: nothing
    /// is due. An `Err` rolled back: the unit is due again.
    fn run_once(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<bool>;
}

/// Tells workers to stop claiming work; wakes them from their idle wait.
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

/// How long a worker works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunUntil {
    /// Until the process is stopped, waiting for more when nothing is due
    /// (`oped serve`, `oped worker`).
    Stopped,
    /// Until nothing is due (`oped worker --exit-when-idle`: drain the queue
    /// from cron or a test, then exit).
    Idle,
}

/// A task's loop, with its own database connections.
pub struct Worker {
    pub pool: PgPool,
    pub task: Arc<dyn Task>,
    pub stop: Stop,
    pub run_until: RunUntil,
    /// How often an idle worker looks for due work.
    pub poll_interval: Duration,
}

impl Worker {
    /// Works until stopped. A stop request is honoured between units: the
    /// one in hand is finished and committed (or rolled back), so nothing
    /// claimed is left behind.
    pub fn run(&self) {
        let name = self.task.name();
        let mut database_failures: u32 = 0;
        while !self.stop.is_stopped() {
            let result = self
                .pool
                .get()
                .map_err(|err| err.to_string())
                .and_then(|mut conn| {
                    self.task
                        .run_once(&mut conn, Utc::now())
                        .map_err(|err| err.to_string())
                });
            match result {
                Ok(true) => database_failures = 0,
                Ok(false) => {
                    database_failures = 0;
                    if self.run_until == RunUntil::Idle || self.stop.sleep(self.poll_interval) {
                        break;
                    }
                }
                Err(error) => {
                    database_failures = database_failures.saturating_add(1);
                    let wait = self.poll_interval.saturating_mul(database_failures.min(30));
                    tracing::warn!(task = name, %error, wait_seconds = wait.as_secs(), "worker: database unavailable");
                    if self.stop.sleep(wait) {
                        break;
                    }
                }
            }
        }
    }

    /// Runs `run` on a new thread named after the task.
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name(format!("oped-{}", self.task.name()))
            .spawn(move || self.run())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
