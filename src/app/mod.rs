//! The application every door opens onto: the state every handler shares,
//! the caller behind a request, the hand-off of database work to threads of
//! its own, and the errors every door renders. The JSON API (`api`), the
//! desk's pages (`desk`), the public pages (`public`) and the operators'
//! routes (`ops`) are thin doors over it; none of them imports another.

pub mod accounts;
pub mod author_link;
pub mod caller;
pub mod client;
pub mod download;
pub mod error;
pub mod feed_cache;
pub mod freshness;
pub mod gates;
pub mod headers;
pub mod inbox;
pub mod note;
pub mod paging;
pub mod turns;
pub mod views;

use std::sync::Arc;

use diesel::PgConnection;

use crate::auth::tokens::TokenKeys;
use crate::config::IntakeConfig;
use crate::db::PgPool;
use crate::publishing::Site;
use error::ApiError;

/// What every handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub intake: Arc<IntakeConfig>,
    pub tokens: Arc<TokenKeys>,
    pub site: Arc<Site>,
    /// The last Atom feed made, shared by the workers of one process.
    pub feed: Arc<feed_cache::FeedCache>,
    /// Fair, bounded admission to connections, searches and hashing.
    pub gates: Arc<gates::Gates>,
    /// `OPED_TRUSTED_PROXIES`: whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// `OPED_READ_DATABASE_URL`: where public reads go when it is usable.
    pub replica: Option<Arc<crate::db::replica::ReadReplica>>,
    /// Each client address's share of status-link requests.
    pub author_lookups: Arc<author_link::limiter::LookupLimiter>,
    /// What the database knows of how common each word is, for searches.
    pub search_statistics: Arc<crate::submissions::search::SearchStatistics>,
}

impl AppState {
    /// Fails when the threads of its database turns cannot be started.
    pub fn new(
        pool: PgPool,
        intake: Arc<IntakeConfig>,
        tokens: Arc<TokenKeys>,
        site: Arc<Site>,
    ) -> std::io::Result<AppState> {
        Ok(AppState {
            gates: Arc::new(gates::Gates::for_pool(pool.max_size())?),
            pool,
            intake,
            tokens,
            site,
            feed: Arc::default(),
            trusted_proxies: Arc::default(),
            author_lookups: Arc::default(),
            search_statistics: Arc::default(),
            replica: None,
        })
    }
}

/// Runs database work with a pooled connection when its turn comes, on the
/// database threads (`turns`): diesel is synchronous, and an actix
/// worker thread must never wait on it.
pub(crate) async fn blocking_db<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    state
        .gates
        .database(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
}

/// [`blocking_db`] for the public side: on the read replica when there is
/// one and it is usable, else on the primary (`db::replica`). A read that
/// fails on the replica with a server error (it went away mid-request) is
/// read again from the primary, so `work` may run twice.
pub(crate) async fn public_db<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    let replica = state.replica.clone();
    let read = move || {
        if let Some(replica) = replica.as_deref()
            && let Some(mut conn) = crate::metrics::replica_usable(replica.connection())
        {
            match work(&mut conn) {
                Err(err) if err.status.is_server_error() => {
                    replica.pass_over();
                    crate::metrics::replica_usable(None::<()>);
                    tracing::warn!(
                        status = err.status.as_u16(),
                        "a read failed on the replica; reading from the primary"
                    );
                }
                read => {
                    crate::metrics::public_read("replica");
                    return read;
                }
            }
        }
        crate::metrics::public_read("primary");
        let mut conn = pool.get()?;
        work(&mut conn)
    };
    state.gates.database(read).await?
}
