//! The HTTP surface. Handlers are thin: extract, authorise, call the domain
//! off the worker threads, map the result.

pub(crate) mod auth;
pub mod author;
mod conditional;
mod deliveries;
pub mod error;
pub(crate) mod extract;
pub mod gates;
mod health;
mod inbound;
pub(crate) mod inbox;
mod mailbox;
pub mod metrics;
pub mod openapi;
pub(crate) mod paging;
mod preconditions;
pub mod public;
pub(crate) mod submissions;
mod turns;
pub(crate) mod users;

use std::sync::Arc;

use actix_web::{HttpRequest, web};
use diesel::PgConnection;

use crate::auth::tokens::TokenKeys;
use crate::config::IntakeConfig;
use crate::db::PgPool;
use crate::publishing::Site;
use error::ApiError;

/// JSON bodies of the editor API are small; mail comes through its own door.
pub(crate) const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// What every handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub intake: Arc<IntakeConfig>,
    pub tokens: Arc<TokenKeys>,
    pub site: Arc<Site>,
    /// The last Atom feed made, shared by the workers of one process.
    pub feed: Arc<public::FeedCache>,
    /// Fair, bounded admission to connections, searches and hashing.
    pub gates: Arc<gates::Gates>,
    /// `OPED_TRUSTED_PROXIES`: whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// `OPED_READ_DATABASE_URL`: where public reads go when it is usable.
    pub replica: Option<Arc<crate::db::replica::ReadReplica>>,
    /// Who may read `GET /metrics` (nobody by default).
    pub metrics_access: Arc<metrics::MetricsAccess>,
    /// Each client address's share of status-link requests.
    pub author_lookups: Arc<author::limiter::LookupLimiter>,
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
            metrics_access: Arc::default(),
            author_lookups: Arc::default(),
            search_statistics: Arc::default(),
            replica: None,
        })
    }
}

/// Mounts every route; `App::new().configure(api::routes(state))`.
pub fn routes(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state))
            .app_data(
                web::JsonConfig::default()
                    .limit(JSON_BODY_LIMIT)
                    .error_handler(|err, _| ApiError::from(err).into()),
            )
            .app_data(
                web::QueryConfig::default().error_handler(|err, _| ApiError::from(err).into()),
            )
            .app_data(web::PathConfig::default().error_handler(|err, _| ApiError::from(err).into()))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(metrics::show))
            .route("/api/openapi.json", web::get().to(openapi::document))
            .route("/feed.atom", web::get().to(public::feed))
            .configure(author::page_routes)
            .service(
                web::scope("/api/v1")
                    .route("/inbound/messages", web::post().to(inbound::receive))
                    .configure(auth::routes)
                    .configure(users::routes)
                    .configure(submissions::routes)
                    .configure(inbox::routes)
                    .configure(deliveries::routes)
                    .route("/mailbox", web::get().to(mailbox::show))
                    .configure(author::api_routes)
                    .configure(public::routes),
            )
            .default_service(web::to(not_found));
    }
}

/// Headers every response carries: the API serves JSON only, so nothing it
/// sends may be framed, sniffed into HTML, or leak the referrer.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .add(("Cache-Control", "no-store"))
}

/// Cross-origin access for the configured origins only (`OPED_CORS_ORIGINS`):
/// the editors' front end and the site's pages. Others get no CORS headers,
/// so browsers keep their pages out; without origins nothing changes.
pub fn cors(origins: &[String]) -> actix_web::middleware::Condition<actix_cors::Cors> {
    use actix_web::http::{Method, header};
    let mut cors = actix_cors::Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PATCH])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
        ])
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            header::RETRY_AFTER,
            header::LOCATION,
        ])
        .max_age(3600)
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    actix_web::middleware::Condition::new(!origins.is_empty(), cors)
}

/// Runs database work with a pooled connection when its turn comes, on the
/// database threads (`api::turns`): diesel is synchronous, and an actix
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

async fn not_found(request: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {} {}", request.method(), request.path()),
    ))
}
