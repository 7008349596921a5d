//! What the bench database's backends wait on during the run, sampled from
//! `pg_stat_activity`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// What the bench database's backends were doing during the run, sampled
/// from `pg_stat_activity`: where the server waits inside PostgreSQL.
pub struct WaitSampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<anyhow::Result<WaitProfile>>,
}

pub struct WaitProfile {
    samples: u64,
    /// "state: wait event" → backends seen in it, summed over samples.
    seen: BTreeMap<String, u64>,
}

#[derive(QueryableByName)]
struct WaitRow {
    #[diesel(sql_type = Text)]
    activity: String,
    #[diesel(sql_type = BigInt)]
    backends: i64,
}

/// How often the sampler looks: often enough for a 10–30 s run to give
/// hundreds of samples, rarely enough to cost nothing measurable.
const WAIT_SAMPLE_INTERVAL: Duration = Duration::from_millis(20);

impl WaitSampler {
    pub fn start(database_url: &str) -> anyhow::Result<Self> {
        let mut conn = PgConnection::establish(database_url).context("sampler connection")?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut profile = WaitProfile {
                samples: 0,
                seen: BTreeMap::new(),
            };
            while !stopped.load(Ordering::Relaxed) {
                // An active backend with no wait event is on the CPU (or
                // waiting for one); "idle in transaction" waits for oped.
                let rows: Vec<WaitRow> = diesel::sql_query(
                    "SELECT coalesce(state, 'starting') || ': ' || coalesce(wait_event_type || '/' || wait_event, 'on cpu') AS activity, \
                            count(*) AS backends \
                     FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid() \
                       AND backend_type = 'client backend' \
                     GROUP BY 1",
                )
                .load(&mut conn)?;
                profile.samples += 1;
                for row in rows {
                    *profile.seen.entry(row.activity).or_insert(0) += row.backends as u64;
                }
                std::thread::sleep(WAIT_SAMPLE_INTERVAL);
            }
            Ok(profile)
        });
        Ok(WaitSampler { stop, handle })
    }

    pub fn finish(self) -> anyhow::Result<WaitProfile> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .join()
            .map_err(|_| anyhow::anyhow!("the wait sampler panicked"))?
    }
}

impl WaitProfile {
    pub fn print(&self) {
        println!(
            "  postgres backends of the bench database, on average over {} samples:",
            self.samples
        );
        let mut seen: Vec<(&String, &u64)> = self.seen.iter().collect();
        seen.sort_by(|a, b| b.1.cmp(a.1));
        for (activity, count) in seen {
            println!(
                "    {:>5.2}  {activity}",
                *count as f64 / self.samples.max(1) as f64
            );
        }
    }
}
