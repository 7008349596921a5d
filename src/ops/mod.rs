//! The operators' routes: liveness and readiness for orchestrators and load
//! balancers (`health`), and the Prometheus metrics for the scraper the
//! operator names (`metrics`).

pub mod health;
pub mod metrics;

use actix_web::web;

/// Mounts `/healthz`, `/readyz` and `/metrics`; the metrics route reads who
/// may scrape from the [`metrics::MetricsAccess`] registered beside it.
pub fn routes(access: metrics::MetricsAccess) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(access))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(metrics::show));
    }
}
