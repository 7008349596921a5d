//! The composition root: the one place where the application is put together
//! from a `Config`: the HTTP app (middleware, app data, routes) and the
//! background workers (email, webhooks, the scheduler, the mailbox poller).
//! `oped serve`, `oped worker` and the integration tests all build from here,
//! so the tests run the stack that production runs.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::app::AppState;
use crate::auth::secret_file::{self, SecretFileError};
use crate::auth::tokens::{TokenError, TokenKeys};
use crate::config::{Config, HttpConfig};
use crate::db::replica::ReadReplica;
use crate::db::{self, Database, DbError, PgPool};
use crate::email::{Composer, Mailer, MailerError, TemplateError};
use crate::imap::{Failpoints, Poller};
use crate::jobs::{RunUntil, Stop, Task, Worker};
use crate::ops::metrics::MetricsAccess;
use crate::outbox::webhook::{WebhookSender, WebhookSetupError, WebhookTask};
use crate::outbox::wordpress::{WordpressPublisher, WordpressTask};
use crate::outbox::worker::EmailTask;
use crate::publishing::Site;
use crate::secret::Secret;
use crate::submissions::near_duplicates::BackfillTask;
use crate::workflow::scheduler::SchedulerTask;

/// How long a request (or a worker) waits for a connection before giving up.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// How often an idle worker looks for due work.
const WORKER_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Database connections shared by one process's workers.
const WORKER_POOL_SIZE: u32 = 4;
/// How often a process whose mailbox another process polls tries to take over.
const IMAP_STANDBY_INTERVAL: Duration = Duration::from_secs(10);

/// Why the application could not start; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}: set it to at least 32 random characters (e.g. `openssl rand -base64 48`)")]
    Tokens(#[from] TokenError),
    #[error(transparent)]
    Templates(#[from] TemplateError),
    #[error(transparent)]
    Mailer(#[from] MailerError),
    #[error(transparent)]
    Webhooks(#[from] WebhookSetupError),
    #[error(transparent)]
    Wordpress(#[from] crate::wordpress::client::ClientSetupError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot start the workers: {0}")]
    Threads(std::io::Error),
    #[error("cannot listen for signals: {0}")]
    Signals(std::io::Error),
    #[error(transparent)]
    SecretFile(#[from] SecretFileError),
    #[error("cannot serve on {bind}: {source}")]
    Serve {
        bind: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// What every handler shares: the pool, the intake and token settings, the
/// public site, the gates.
pub fn app_state(config: &Config, pool: PgPool) -> Result<AppState, StartupError> {
    let tokens = Arc::new(TokenKeys::new(&config.auth)?);
    Ok(AppState {
        trusted_proxies: Arc::new(config.http.trusted_proxies.clone()),
        replica: config.database.read_url.as_ref().map(|url| {
            tracing::info!(
                "public reads go to the read replica (OPED_READ_DATABASE_URL) while it is usable"
            );
            Arc::new(ReadReplica::new(url, config.database.pool_size))
        }),
        ..AppState::new(
            pool,
            Arc::new(config.intake.clone()),
            tokens,
            Arc::new(Site::from_config(config)),
        )
        .map_err(StartupError::Threads)?
    })
}

/// The whole HTTP application: CORS, the security headers, the request
/// logger (which logs each failed request once, a 5xx with its cause) and
/// the request metrics around every route; the app state they all share;
/// and the doors: the desk, the operators' routes, the public pages, the
/// OpenAPI document and the JSON API (which answers every other path).
pub fn app(
    state: AppState,
    http: &HttpConfig,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    let desk = crate::desk::DeskSettings::new(http.bind, &state.site.public_api_url);
    App::new()
        .wrap(crate::app::headers::cors(&http.cors_origins))
        .wrap(crate::app::headers::security_headers())
        .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
        .wrap(actix_web::middleware::from_fn(
            crate::metrics::track_requests,
        ))
        .app_data(web::Data::new(state))
        .configure(crate::desk::routes(desk))
        .configure(crate::ops::routes(MetricsAccess {
            token: http.metrics_token.clone(),
            allow: http.metrics_allow.clone(),
        }))
        .configure(crate::public::routes)
        .route("/api/openapi.json", web::get().to(crate::openapi::document))
        .configure(crate::api::routes)
}

/// Where the workers' side effects leave the process.
pub struct Outlets {
    pub mailer: Mailer,
    pub webhooks: WebhookSender,
    /// The site's WordPress (`OPED_WORDPRESS_URL`), when it has one.
    pub wordpress: Option<WordpressPublisher>,
}

impl Outlets {
    /// SMTP (`OPED_SMTP_URL`) or `.eml` files; the webhook URL or JSON
    /// files; the site's WordPress, when configured.
    pub fn from_config(config: &Config) -> Result<Outlets, StartupError> {
        let mailer = Mailer::from_config(&config.email, &config.database.data_dir)?;
        let webhooks = match (
            &config.publishing.webhook_url,
            &config.publishing.webhook_secret,
        ) {
            (Some(url), Some(secret)) => WebhookSender::http(url.expose().clone(), secret.clone()),
            _ => WebhookSender::files(&config.database.data_dir.join("webhooks")),
        }?;
        let wordpress = config
            .wordpress
            .as_ref()
            .map(WordpressPublisher::new)
            .transpose()?;
        Ok(Outlets {
            mailer,
            webhooks,
            wordpress,
        })
    }
}

/// The background work of one process: the scheduler, the deliveries
/// (emails, webhooks) it and the API queue, and the mailbox poller.
pub struct Workers {
    pub scheduler: Worker,
    /// What runs after the scheduler: the email, webhook and WordPress
    /// deliveries, and
    /// the fingerprinting of pieces older than near-duplicate detection.
    pub tasks: Vec<Worker>,
    /// The mailbox poller, when `OPED_IMAP_URL` is set.
    pub mailbox: Option<Poller>,
}

impl Workers {
    /// The workers over the database at `database_url`, with their own pool.
    /// Each works until `run_until`.
    pub fn new(
        config: &Config,
        database_url: &Secret<String>,
        outlets: Outlets,
        stop: Stop,
        run_until: RunUntil,
    ) -> Result<Workers, StartupError> {
        let composer = Composer::from_config(config)?;
        tracing::info!(email = %outlets.mailer.describe(), webhooks = %outlets.webhooks.describe(), "workers ready");
        if let Some(publisher) = &outlets.wordpress {
            tracing::info!(wordpress = %publisher.describe(), "posts go to the site's WordPress");
        }
        let pool = db::pool(database_url, WORKER_POOL_SIZE, POOL_TIMEOUT);
        let worker = |task: Arc<dyn Task>| Worker {
            pool: pool.clone(),
            task,
            stop: stop.clone(),
            run_until,
            poll_interval: WORKER_POLL_INTERVAL,
        };
        let mailbox = config.imap.clone().map(|imap| {
            tracing::info!(mailbox = %imap.describe(), processed = %imap.processed_folder, "mailbox poller ready");
            Poller {
                config: imap,
                intake: config.intake.clone(),
                database_url: database_url.clone(),
                stop: stop.clone(),
                name: Poller::default_name(),
                standby_interval: IMAP_STANDBY_INTERVAL,
                failpoints: Failpoints::default(),
            }
        });
        let mut tasks = vec![
            worker(Arc::new(EmailTask {
                mailer: outlets.mailer,
                composer,
            })),
            worker(Arc::new(WebhookTask {
                sender: outlets.webhooks,
            })),
        ];
        if let Some(publisher) = outlets.wordpress {
            tasks.push(worker(Arc::new(WordpressTask { publisher })));
        }
        tasks.push(worker(Arc::new(BackfillTask::default())));
        Ok(Workers {
            mailbox,
            scheduler: worker(Arc::new(SchedulerTask {
                site: Site::from_config(config),
            })),
            tasks,
        })
    }

    /// Every worker on its own thread.
    pub fn spawn(self) -> std::io::Result<Vec<JoinHandle<()>>> {
        let mut handles: Vec<_> = std::iter::once(self.scheduler)
            .chain(self.tasks)
            .map(Worker::spawn)
            .collect::<std::io::Result<_>>()?;
        if let Some(poller) = self.mailbox {
            handles.push(poller.spawn()?);
        }
        Ok(handles)
    }

    /// For workers made to run until idle ([`RunUntil::Idle`]): publishes what is due first (that
    /// queues emails and webhooks), then delivers everything due, each kind
    /// on its own thread.
    pub fn spawn_until_idle(self) -> std::io::Result<Vec<JoinHandle<()>>> {
        self.scheduler.run();
        self.tasks.into_iter().map(Worker::spawn).collect()
    }
}

/// `oped serve`: the HTTP API on `OPED_BIND` and, unless `no_workers`, the
/// workers on their own threads, until a signal stops the server. The work
/// in hand is finished before the database goes away.
pub fn serve(config: &Config, no_workers: bool) -> Result<(), StartupError> {
    let config = &with_kept_secret(config)?;
    // Installed before the first request or worker records anything.
    crate::metrics::handle();
    // Checked before the database opens: a missing secret is the operator's
    // to fix, and no private cluster need start for it.
    TokenKeys::new(&config.auth)?;
    let database = Database::open(&config.database).inspect_err(|err| {
        tracing::error!(error = %err, "database unavailable");
    })?;
    let stop_workers = Stop::new();
    if config.intake.inbound_token.is_none() {
        tracing::warn!(
            "OPED_INBOUND_TOKEN is not set: POST /api/v1/inbound/messages refuses every request"
        );
    }
    let workers = if no_workers {
        None
    } else {
        let outlets = Outlets::from_config(config)?;
        Some(Workers::new(
            config,
            &database.url,
            outlets,
            stop_workers.clone(),
            RunUntil::Stopped,
        )?)
    };
    let state = app_state(
        config,
        db::pool(&database.url, config.database.pool_size, POOL_TIMEOUT),
    )?;
    let http = config.http.clone();
    let bind = http.bind;
    // Requests wait their turn at the gates (app::gates), in order, before
    // they need a blocking thread; each worker has threads enough for all
    // that the gates admit, so none waits for a thread while holding a turn.
    let http_workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let blocking_threads = state.gates.blocking_threads();
    let mut handles = Vec::new();
    let result = actix_web::rt::System::new().block_on(async {
        // SIGTERM and SIGINT are ours before any work starts: one that comes
        // while the server is still starting (a worker may be sending
        // already) stops it cleanly instead of killing the process.
        let shutdown = shutdown_signal().map_err(StartupError::Signals)?;
        // Background work runs on its own threads, never on an actix worker:
        // diesel, SMTP and the webhook client block.
        if let Some(workers) = workers {
            handles = workers.spawn().map_err(StartupError::Threads)?;
        }
        let serve_error = |source| StartupError::Serve { bind, source };
        let server = HttpServer::new(move || app(state.clone(), &http))
            .workers(http_workers)
            .worker_max_blocking_threads(blocking_threads)
            .shutdown_signal(shutdown)
            .bind(bind)
            .map_err(serve_error)?;
        tracing::info!(%bind, "listening");
        server.run().await.map_err(serve_error)
    });
    // The HTTP server has shut down (a signal, or it failed): workers stop
    // claiming and finish the work in hand before the database goes away.
    stop_workers.stop();
    let panicked = handles
        .into_iter()
        .map(JoinHandle::join)
        .filter(Result::is_err)
        .count();
    if panicked > 0 {
        tracing::error!(panicked, "a worker panicked");
    }
    // `database` drops here, stopping a private cluster this process started.
    result.inspect_err(|err| {
        if let StartupError::Serve { source, .. } = err {
            tracing::error!(error = %source, %bind, "server failed");
        }
    })
}

/// With the embedded default and no `OPED_JWT_SECRET`, the key kept in the
/// data directory (made the first time). With `DATABASE_URL` set the secret
/// stays required: the servers sharing that database must share it too.
fn with_kept_secret(config: &Config) -> Result<Config, StartupError> {
    let mut config = config.clone();
    if config.auth.jwt_secret.is_some() || config.database.url.is_some() {
        return Ok(config);
    }
    let kept = secret_file::load_or_create(&config.database.data_dir)?;
    if kept.created {
        tracing::info!(path = %kept.path.display(), "made an access-token key for the embedded default");
    } else {
        tracing::info!(path = %kept.path.display(), "using the access-token key kept for the embedded default");
    }
    config.auth.jwt_secret = Some(kept.secret);
    Ok(config)
}

/// SIGTERM or SIGINT, listened for from the moment this is called.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        tracing::info!("stopping: finishing the requests and the work in hand");
    })
}
