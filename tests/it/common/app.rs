//! The application under test, built by `oped::startup` exactly as `oped
//! serve` builds it (middleware, app data, routes, the background tasks),
//! over a test database. Email and webhooks are kept in memory, where a test
//! reads them back; the tests of the real transports use `smtp` and
//! `receiver` instead.
//!
//! ```ignore
//! let app = TestApp::builder(&db.url)
//!     .with_config(|config| config.http.cors_origins = vec![origin.into()])
//!     .build()
//!     .await;
//! let response = test::call_service(&app, request).await;
//! app.run_pending_jobs();
//! assert_eq!(app.mail.sent().len(), 1);
//! ```

use actix_service::{Service, ServiceExt, boxed::BoxService};
use actix_web::dev::ServiceResponse;
use actix_web::test;
use oped::config::Config;
use oped::db::PgPool;
use oped::email::{Mailer, MemoryMailbox};
use oped::jobs::{RunUntil, Stop};
use oped::outbox::webhook::{MemoryWebhooks, WebhookSender};
use oped::outbox::wordpress::WordpressPublisher;
use oped::secret::Secret;
use oped::startup::{self, Outlets, Workers};

type Inner = BoxService<actix_http::Request, ServiceResponse, actix_web::Error>;

pub struct TestApp {
    service: Inner,
    pub config: Config,
    database_url: Secret<String>,
    /// Every email the workers have sent.
    pub mail: MemoryMailbox,
    /// Every webhook the workers have delivered.
    pub webhooks: MemoryWebhooks,
}

pub struct TestAppBuilder {
    config: Config,
    database_url: Secret<String>,
    pool: Option<PgPool>,
}

impl TestApp {
    /// The app over the database at `database_url`, configured as the test
    /// desk (`common::config`).
    pub fn builder(database_url: &str) -> TestAppBuilder {
        TestAppBuilder {
            config: super::config(),
            database_url: Secret::new(database_url.to_string()),
            pool: None,
        }
    }

    /// Publishes what is due, then sends every due email and webhook, on
    /// this thread, through the tasks `oped worker` runs: deterministic, no
    /// sleeping.
    pub fn run_pending_jobs(&self) {
        let outlets = Outlets {
            mailer: Mailer::Memory(self.mail.clone()),
            webhooks: WebhookSender::Memory(self.webhooks.clone()),
            wordpress: self
                .config
                .wordpress
                .as_ref()
                .map(|config| WordpressPublisher::new(config).expect("the WordPress client")),
        };
        let workers = Workers::new(
            &self.config,
            &self.database_url,
            outlets,
            Stop::new(),
            RunUntil::Idle,
        )
        .expect("the test workers start");
        workers.scheduler.run();
        for task in &workers.tasks {
            task.run();
        }
    }
}

impl TestAppBuilder {
    /// Changes the configuration before the app is built.
    pub fn with_config(mut self, edit: impl FnOnce(&mut Config)) -> Self {
        edit(&mut self.config);
        self
    }

    /// Serves from `pool` (a database that is away, say) instead of a pool
    /// over the test database.
    pub fn with_pool(mut self, pool: PgPool) -> Self {
        self.pool = Some(pool);
        self
    }

    pub async fn build(self) -> TestApp {
        let pool = self.pool.unwrap_or_else(|| {
            oped::db::pool(
                &self.database_url,
                self.config.database.pool_size,
                startup::POOL_TIMEOUT,
            )
        });
        let state = startup::app_state(&self.config, pool).expect("the test app state");
        let service = test::init_service(startup::app(state, &self.config.http)).await;
        TestApp {
            service: actix_service::boxed::service(
                service.map(|response| response.map_into_boxed_body()),
            ),
            config: self.config,
            database_url: self.database_url,
            mail: MemoryMailbox::default(),
            webhooks: MemoryWebhooks::default(),
        }
    }
}

/// A `TestApp` is called like the service `test::init_service` returns:
/// `test::call_service(&app, request)`.
impl Service<actix_http::Request> for TestApp {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future = <Inner as Service<actix_http::Request>>::Future;

    actix_service::forward_ready!(service);

    fn call(&self, request: actix_http::Request) -> Self::Future {
        self.service.call(request)
    }
}
