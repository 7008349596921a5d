//! Public reads from a streaming replica (`OPED_READ_DATABASE_URL`), with the
//! primary as the fallback: a replica that is down, not streaming, or more
//! than [`MAX_LAG`] behind is passed over, and readers never see an error
//! for it. Its state is checked at most once a second (and, once found
//! unusable, left alone for [`RETRY_AFTER`]), not on every request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use diesel::sql_types::Bool;

use super::PgPool;
use crate::secret::Secret;

/// How far behind the primary the replica may be and still serve readers.
pub const MAX_LAG: Duration = Duration::from_secs(10);
/// How long a verdict holds before the replica is asked again.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long an unusable replica is left alone.
const RETRY_AFTER: Duration = Duration::from_secs(5);

pub type Connection = PooledConnection<ConnectionManager<PgConnection>>;

pub struct ReadReplica {
    pool: PgPool,
    /// The last verdict and when it was reached.
    verdict: Mutex<Option<(Instant, bool)>>,
}

#[derive(QueryableByName)]
struct Usable {
    #[diesel(sql_type = Bool)]
    usable: bool,
}

impl ReadReplica {
    /// A replica reached through `url`; connecting is lazy and gives up
    /// after a second, so a dead replica costs readers little.
    pub fn new(url: &Secret<String>, max_size: u32) -> ReadReplica {
        ReadReplica {
            pool: super::pool(url, max_size, Duration::from_secs(1)),
            verdict: Mutex::new(None),
        }
    }

    /// A connection to the replica when it is usable now; `None` sends the
    /// read to the primary.
    pub fn connection(&self) -> Option<Connection> {
        let now = Instant::now();
        let known = *self.verdict.lock().ok()?;
        if let Some((at, false)) = known
            && now.duration_since(at) < RETRY_AFTER
        {
            return None;
        }
        let mut conn = self.pool.get().ok();
        let fresh = matches!(known, Some((at, true)) if now.duration_since(at) < CHECK_EVERY);
        if !fresh {
            let usable = conn
                .as_mut()
                .is_some_and(|conn| check(conn).unwrap_or(false));
            if let Ok(mut verdict) = self.verdict.lock() {
                *verdict = Some((now, usable));
            }
            if !usable {
                tracing::warn!(
                    "the read replica is down or behind; public reads go to the primary"
                );
                return None;
            }
        }
        conn
    }

    /// Marks the replica unusable for [`RETRY_AFTER`]: a read on it failed.
    pub fn pass_over(&self) {
        if let Ok(mut verdict) = self.verdict.lock() {
            *verdict = Some((Instant::now(), false));
        }
    }
}

/// In recovery, streaming from the primary, and either caught up or within
/// [`MAX_LAG`] of it.
fn check(conn: &mut PgConnection) -> QueryResult<bool> {
    let query = format!(
        "SELECT pg_is_in_recovery() \
             AND coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false) \
             AND (pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() \
                  OR now() - pg_last_xact_replay_timestamp() <= interval '{} seconds') AS usable",
        MAX_LAG.as_secs()
    );
    Ok(diesel::sql_query(query).get_result::<Usable>(conn)?.usable)
}
