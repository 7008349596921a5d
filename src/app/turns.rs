//! Database work served in arrival order by threads of its own.
//!
//! A request's database work goes into one queue, first come first served,
//! from which as many threads as the pool has connections take it: at most
//! that many run at once, the rest wait in order holding no thread, and a
//! waiter whose client went away is skipped. Under load a thread goes from
//! one request's work straight to the next. The other way to the same
//! fairness, a semaphore before actix's blocking pool, wakes a sleeping
//! thread twice for every request (the waiter's worker, then a blocking
//! thread): over a third of `oped`'s CPU for an editor's detail, as
//! measured (docs/benchmarks-history.md, "Database work on threads of its own").

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub struct Turns {
    queue: crossbeam_channel::Sender<Job>,
    /// Work queued and not yet started, for the metrics.
    waiting: Arc<AtomicUsize>,
}

/// The work panicked: its thread lives on, the request gets a 500.
#[derive(Debug, thiserror::Error)]
#[error("the database work of this request panicked")]
pub struct Panicked;

impl Turns {
    /// `threads` threads named `oped-db-N`; they end when the `Turns` is
    /// dropped and the work already queued is done.
    pub fn new(threads: usize) -> std::io::Result<Turns> {
        let (queue, work) = crossbeam_channel::unbounded::<Job>();
        for n in 0..threads.max(1) {
            let work = work.clone();
            std::thread::Builder::new()
                .name(format!("oped-db-{n}"))
                .spawn(move || {
                    for job in work {
                        job();
                    }
                })?;
        }
        Ok(Turns {
            queue,
            waiting: Arc::default(),
        })
    }

    /// Runs `work` on one of the threads when its turn comes.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Panicked>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let waiting = Arc::clone(&self.waiting);
        waiting.fetch_add(1, Ordering::AcqRel);
        let job: Job = Box::new(move || {
            waiting.fetch_sub(1, Ordering::AcqRel);
            // The client went away while this waited: nobody reads the answer.
            if done.is_closed() {
                return;
            }
            // A panic drops `done`, which the request reads as `Panicked`.
            if let Ok(value) = catch_unwind(AssertUnwindSafe(work)) {
                let _ = done.send(value);
            }
        });
        // The threads, which hold the receivers, end only when this sender
        // is dropped: sending cannot fail.
        if self.queue.send(job).is_err() {
            return Err(Panicked);
        }
        result.await.map_err(|_| Panicked)
    }

    /// How much work waits for a thread now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::mpsc;
    use std::time::Duration;

    #[actix_web::test]
    async fn work_runs_in_arrival_order_and_a_panic_is_an_error_not_a_lost_thread() {
        let turns = Turns::new(1).unwrap();
        // Hold the only thread until every other piece of work is queued.
        let (release, hold) = mpsc::channel::<()>();
        let held = turns.run(move || hold.recv_timeout(Duration::from_secs(5)).is_ok());
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut queued = Vec::new();
        for n in 0..5 {
            let order = Arc::clone(&order);
            queued.push(turns.run(move || order.lock().unwrap().push(n)));
        }
        let panicking = turns.run(|| -> u8 { panic!("a query went wrong") });
        release.send(()).unwrap();
        let (held, rest, panicked) =
            futures_util::future::join3(held, futures_util::future::join_all(queued), panicking)
                .await;
        assert!(held.unwrap());
        assert!(rest.iter().all(Result::is_ok));
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
        assert!(panicked.is_err());
        // The thread survived the panic.
        assert_eq!(turns.run(|| 7).await.unwrap(), 7);
        assert_eq!(turns.waiting(), 0);
    }

    #[actix_web::test]
    async fn work_whose_client_went_away_is_skipped() {
        let turns = Turns::new(1).unwrap();
        let (release, hold) = mpsc::channel::<()>();
        let held = turns.run(move || hold.recv_timeout(Duration::from_secs(5)).is_ok());
        let ran = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&ran);
        let mut abandoned = Box::pin(turns.run(move || counted.fetch_add(1, Ordering::SeqCst)));
        // Queued (polled once), then dropped as a request is when its client hangs up.
        assert!(futures_util::poll!(abandoned.as_mut()).is_pending());
        drop(abandoned);
        release.send(()).unwrap();
        assert!(held.await.unwrap());
        assert_eq!(turns.run(|| ()).await.ok(), Some(()));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }
}
