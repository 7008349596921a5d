//! Admission to what is scarce, so that no request pattern can take it all:
//! database connections, the share of them that searches may hold, and the
//! cores that argon2 may use.
//!
//! Database work waits its turn in one queue served by threads of its own
//! ([`Turns`]), as many as the pool has connections. The other gates are
//! tokio semaphores taken *before* the work goes to the blocking pool.
//! Both serve waiters in arrival order, so a request waits its turn instead
//! of being overtaken again and again on the pool's condition variable, and
//! a waiting request holds no thread. The search and hashing gates also
//! bound how many may wait: beyond that the answer is 429 with
//! `Retry-After`, not an ever longer queue.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::error::ApiError;
use super::turns::{Panicked, Turns};

pub struct Gates {
    database: Turns,
    search: Bounded,
    hashing: Bounded,
    intake: Bounded,
    /// Blocking threads that every admitted request together may need.
    blocking_threads: usize,
}

/// A semaphore with a cap on how many may wait for it.
struct Bounded {
    permits: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    /// Named in the refusal.
    what: &'static str,
}

impl Gates {
    /// Gates for an API whose pool holds `pool_size` connections, on a
    /// machine with `cores` cores. Fails when the database threads cannot
    /// be started.
    pub fn new(pool_size: u32, cores: usize) -> std::io::Result<Gates> {
        let pool_size = usize::try_from(pool_size).unwrap_or(1).max(1);
        // Half the cores: reads keep the other half while logins hash.
        let hashing = cores.div_ceil(2).max(1);
        // Mail being prepared mostly waits on its extractor child; a few at
        // once keep the cores busy without crowding out the editors.
        let intake = cores.max(2);
        Ok(Gates {
            database: Turns::new(pool_size)?,
            // A quarter of the connections (two on a small pool, never all
            // of them): a burst of slow searches leaves the rest of the desk
            // its connections.
            search: Bounded::new(
                pool_size
                    .div_ceil(4)
                    .max(2)
                    .min(pool_size.saturating_sub(1).max(1)),
                (pool_size * 4).max(64),
                "searches",
            ),
            hashing: Bounded::new(hashing, 32, "logins"),
            intake: Bounded::new(intake, 64, "messages"),
            blocking_threads: pool_size + hashing + intake,
        })
    }

    /// For this machine.
    pub fn for_pool(pool_size: u32) -> std::io::Result<Gates> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Gates::new(pool_size, cores)
    }

    /// Runs `work` (which takes its own connection) when its turn on the
    /// database comes, in arrival order.
    pub async fn database<T, F>(&self, work: F) -> Result<T, Panicked>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.database.run(work).await
    }

    /// How many requests wait for a database turn now.
    pub fn database_waiting(&self) -> usize {
        self.database.waiting()
    }

    /// One of the connections searches may hold; 429 when too many wait.
    pub async fn search(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        self.search.enter().await
    }

    /// A core for argon2 (a login, a new password); 429 when too many wait.
    pub async fn hashing(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        self.hashing.enter().await
    }

    /// A turn to prepare an inbound message (parse, extract); when too many
    /// wait, the gateway is told to deliver again later (503).
    pub async fn intake(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        self.intake.enter().await.map_err(|_| {
            ApiError::unavailable("too many messages are being read; deliver this one again later")
        })
    }

    /// The blocking threads a worker needs so that every login and message
    /// the gates admit finds one (beyond that a request would wait for a
    /// thread while holding its turn), and one per pooled connection for the
    /// routes that still query from there (sessions, accounts, health,
    /// metrics); database work through [`Gates::database`] needs none.
    pub fn blocking_threads(&self) -> usize {
        self.blocking_threads
    }
}

impl Bounded {
    fn new(permits: usize, max_waiting: usize, what: &'static str) -> Bounded {
        Bounded {
            permits: Semaphore::new(permits),
            waiting: AtomicUsize::new(0),
            max_waiting,
            what,
        }
    }

    async fn enter(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _leave = Leave(&self.waiting);
        if queued >= self.max_waiting {
            return Err(ApiError::too_many(
                "busy",
                format!("too many {} are waiting; try again in a moment", self.what),
                1,
            ));
        }
        Ok(acquire(&self.permits).await)
    }
}

/// Takes the caller off the waiting count however its wait ends (a
/// permit, or the client going away and the future being dropped).
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

async fn acquire(semaphore: &Semaphore) -> SemaphorePermit<'_> {
    semaphore
        .acquire()
        .await
        .expect("the gates' semaphores are never closed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use std::future::Future;
    use std::time::Duration;

    /// True while `wait` cannot go on (it holds no timing assumption: a
    /// waiter that could go on would be ready at once).
    async fn blocked<F: Future + Unpin>(wait: &mut F) -> bool {
        tokio::time::timeout(Duration::from_millis(10), wait)
            .await
            .is_err()
    }

    #[actix_web::test]
    async fn waiting_beyond_the_bound_is_refused_with_retry_after() {
        let gates = Gates::new(4, 2).unwrap();
        let held = gates.hashing().await.unwrap();
        // 32 may wait; the 33rd is told to come back.
        let waiting: Vec<_> = (0..32).map(|_| Box::pin(gates.hashing())).collect();
        let mut polled = Vec::new();
        for mut wait in waiting {
            assert!(blocked(&mut wait).await);
            polled.push(wait);
        }
        let refused = gates.hashing().await.unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.retry_after, Some(1));
        // Waiters that give up free their places.
        drop(polled);
        drop(held);
        assert!(gates.hashing().await.is_ok());
    }

    #[actix_web::test]
    async fn searches_get_a_share_of_the_connections() {
        let gates = Gates::new(8, 2).unwrap();
        let a = gates.search().await.unwrap();
        let b = gates.search().await.unwrap();
        let mut third = Box::pin(gates.search());
        assert!(blocked(&mut third).await);
        drop(a);
        assert!(third.await.is_ok());
        drop(b);
    }
}
