//! What operators watch, in the Prometheus text format (`GET /metrics`,
//! `ops::metrics`): counters and histograms recorded where things happen
//! (requests, mail taken in, documents read, deliveries, logins), and gauges
//! read from the database when scraped (outbox backlog, scheduler lag, the
//! mailbox poller) or from the pool.
//!
//! Recorded through the `metrics` facade into one process-wide
//! `metrics-exporter-prometheus` recorder; nothing here listens on a port of
//! its own.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::db::PgPool;
use crate::domain::{DeliveryState, OutboxKind, State};
use crate::schema::{imap_mailboxes, outbox, submissions};

/// Seconds: from a fast API read to a slow extraction.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The recorder, installed on first use (a second install would fail: the
/// `metrics` facade takes one recorder per process).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("the bucket list is not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed");
        describe();
        handle
    })
}

fn describe() {
    describe_counter!(
        "oped_messages_total",
        "Messages taken in, by door (http, imap) and outcome"
    );
    describe_histogram!(
        "oped_intake_seconds",
        "Time to read and record one message, by door"
    );
    describe_histogram!(
        "oped_extraction_seconds",
        "Time to turn one attachment into text, by format and result"
    );
    describe_counter!(
        "http_requests_total",
        "HTTP requests, by route template, method and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        "HTTP request latency, by route template and method"
    );
    describe_counter!(
        "oped_deliveries_total",
        "Outbox jobs tried, by kind (email, webhook) and result (sent, retried, dead)"
    );
    describe_gauge!("oped_outbox_pending", "Outbox jobs waiting, by kind");
    describe_gauge!(
        "oped_outbox_oldest_pending_seconds",
        "Age of the oldest waiting outbox job, by kind"
    );
    describe_gauge!(
        "oped_scheduler_lag_seconds",
        "How long the most overdue scheduled piece has waited past its time"
    );
    describe_counter!(
        "oped_login_failures_total",
        "Logins refused for a wrong email or password"
    );
    describe_counter!(
        "oped_login_throttled_total",
        "Logins refused without a check because of earlier failures"
    );
    describe_gauge!(
        "oped_db_pool_connections",
        "Database connections of this process's pool, by state (idle, in_use)"
    );
    describe_gauge!(
        "oped_mailbox_backlog",
        "Messages waiting in the polled mailbox, by mailbox"
    );
    describe_gauge!(
        "oped_mailbox_up",
        "1 when the mailbox's last poll succeeded, by mailbox"
    );
    describe_gauge!(
        "oped_db_waiting_requests",
        "Requests waiting for a turn at a database connection"
    );
    describe_counter!(
        "oped_public_reads_total",
        "Public reads (opinions, feed), by source: replica, or primary (no replica, or it was passed over)"
    );
    describe_gauge!(
        "oped_replica_usable",
        "1 when the read replica was last found streaming and close enough behind"
    );
}

/// Requests waiting for a turn at the database gate (`app::gates`).
pub fn database_waiting(waiting: usize) {
    gauge!("oped_db_waiting_requests").set(waiting as f64);
}

/// A public read served by `source` (`replica` or `primary`).
pub fn public_read(source: &'static str) {
    counter!("oped_public_reads_total", "source" => source).increment(1);
}

/// Notes whether the read replica gave a connection; passes it on.
pub fn replica_usable<T>(connection: Option<T>) -> Option<T> {
    gauge!("oped_replica_usable").set(if connection.is_some() { 1.0 } else { 0.0 });
    connection
}

/// A message recorded through `door` with `outcome`, `started` when it arrived.
pub fn message_recorded(door: &'static str, outcome: &'static str, started: Instant) {
    counter!("oped_messages_total", "door" => door, "outcome" => outcome).increment(1);
    histogram!("oped_intake_seconds", "door" => door).record(started.elapsed().as_secs_f64());
}

/// One document read (or given up on) in the extractor.
pub fn document_read(format: &'static str, ok: bool, seconds: f64) {
    let result = if ok { "ok" } else { "kept" };
    histogram!("oped_extraction_seconds", "format" => format, "result" => result).record(seconds);
}

/// An outbox job tried: `sent`, `retried` or `dead`.
pub fn delivery(kind: &'static str, result: &'static str) {
    counter!("oped_deliveries_total", "kind" => kind, "result" => result).increment(1);
}

pub fn login_failed() {
    counter!("oped_login_failures_total").increment(1);
}

pub fn login_throttled() {
    counter!("oped_login_throttled_total").increment(1);
}

/// Request counts and latency by route template (`/api/v1/submissions/{id}`,
/// never the concrete path, so ids do not make new series).
pub async fn track_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = method_label(request.method());
    let response = next.call(request).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let status = response.status().as_u16().to_string();
    histogram!("http_request_duration_seconds", "route" => route.clone(), "method" => method)
        .record(started.elapsed().as_secs_f64());
    counter!("http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    Ok(response)
}

/// The method as a label: a client may send any token as a method (`FOO1`,
/// `FOO2`, …), and each would be a new series kept for the life of the
/// process; methods we do not serve count as `other`.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Reads the gauges that live in the database and the pool, then renders
/// everything. Runs on the blocking pool (it queries).
pub fn render(pool: &PgPool) -> QueryResult<String> {
    let handle = handle();
    let state = pool.state();
    gauge!("oped_db_pool_connections", "state" => "idle").set(f64::from(state.idle_connections));
    gauge!("oped_db_pool_connections", "state" => "in_use")
        .set(f64::from(state.connections - state.idle_connections));

    let mut conn = pool
        .get()
        .map_err(|err| diesel::result::Error::QueryBuilderError(err.into()))?;
    let now = Utc::now();
    for kind in OutboxKind::ALL {
        let (pending, oldest): (i64, Option<DateTime<Utc>>) = outbox::table
            .filter(outbox::kind.eq(kind))
            .filter(outbox::state.eq(DeliveryState::Pending))
            .select((
                diesel::dsl::count_star(),
                diesel::dsl::min(outbox::created_at),
            ))
            .first(&mut conn)?;
        gauge!("oped_outbox_pending", "kind" => kind.as_str()).set(pending as f64);
        gauge!("oped_outbox_oldest_pending_seconds", "kind" => kind.as_str()).set(age(now, oldest));
    }
    let overdue: Option<DateTime<Utc>> = submissions::table
        .filter(submissions::state.eq(State::Scheduled))
        .filter(submissions::publish_at.le(now))
        .select(diesel::dsl::min(submissions::publish_at))
        .first(&mut conn)?;
    gauge!("oped_scheduler_lag_seconds").set(age(now, overdue));
    let mailboxes: Vec<MailboxRow> = imap_mailboxes::table
        .select((
            imap_mailboxes::mailbox,
            imap_mailboxes::backlog,
            imap_mailboxes::last_success_at,
            imap_mailboxes::last_error_at,
        ))
        .load(&mut conn)?;
    for (mailbox, backlog, success, error) in mailboxes {
        let up = match (success, error) {
            (Some(success), Some(error)) => success >= error,
            (Some(_), None) => true,
            _ => false,
        };
        gauge!("oped_mailbox_backlog", "mailbox" => mailbox.clone()).set(f64::from(backlog));
        gauge!("oped_mailbox_up", "mailbox" => mailbox).set(if up { 1.0 } else { 0.0 });
    }
    Ok(handle.render())
}

/// A polled mailbox: name, backlog, last success, last error.
type MailboxRow = (String, i32, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn age(now: DateTime<Utc>, since: Option<DateTime<Utc>>) -> f64 {
    since.map_or(0.0, |since| (now - since).as_seconds_f64().max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Method;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for invented in ["FOO1", "FOO2", "PROPFIND"] {
            assert_eq!(
                method_label(&Method::from_bytes(invented.as_bytes()).unwrap()),
                "other"
            );
        }
    }
}
