//! `GET /metrics` from a real `oped serve`: refused unless the scraper is
//! named, and, once mail has come in, Prometheus text that parses and counts
//! what happened.

mod common;

use std::collections::HashMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const METRICS_TOKEN: &str = "test-metrics-token-Qm4Xr8Lp2Vw6Ny1Kd5";

struct Server {
    child: Child,
    base: String,
    _data_dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &common::TestDb, extra: &[(&str, &str)]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = common::oped_command(&db.url);
    command
        .arg("serve")
        .env("OPED_BIND", format!("127.0.0.1:{port}"))
        .env("OPED_INBOUND_TOKEN", common::INBOUND_TOKEN)
        .env("OPED_DATA_DIR", data_dir.path())
        .stdout(Stdio::null());
    for (name, value) in extra {
        command.env(name, value);
    }
    let mut server = Server {
        child: command.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
        _data_dir: data_dir,
    };
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!("oped serve exited early with {status}");
        }
        if client
            .get(format!("{}/readyz", server.base))
            .send()
            .is_ok_and(|response| response.status().is_success())
        {
            return server;
        }
        assert!(Instant::now() < deadline, "oped serve never became ready");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The samples of a Prometheus text exposition: `name{labels}` → value.
/// Panics on a line that is neither a comment nor `series value`.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number in {line:?}"));
        samples.insert(series.to_string(), value);
    }
    samples
}

#[test]
fn metrics_are_refused_to_strangers_and_count_what_happened() {
    let db = common::TestDb::new();
    let server = serve(&db, &[("OPED_METRICS_TOKEN", METRICS_TOKEN)]);
    let client = reqwest::blocking::Client::new();
    let metrics = format!("{}/metrics", server.base);

    // Not named: no token, or the wrong one. Loopback alone is not enough.
    assert_eq!(client.get(&metrics).send().unwrap().status().as_u16(), 403);
    let wrong = client
        .get(&metrics)
        .bearer_auth("not-the-token")
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 403);
    assert_eq!(
        wrong.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );

    for file in ["01-plain.eml", "01-plain.eml"] {
        let response = client
            .post(format!("{}/api/v1/inbound/messages", server.base))
            .bearer_auth(common::INBOUND_TOKEN)
            .header("Content-Type", "message/rfc822")
            .body(common::corpus_file(file))
            .send()
            .unwrap();
        assert!(response.status().is_success());
    }
    let login = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({"email": "nobody@example.net", "password": "wrong password"}))
        .send()
        .unwrap();
    assert_eq!(login.status().as_u16(), 401);

    let response = client
        .get(&metrics)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let samples = parse(&response.text().unwrap());
    let value = |series: &str| {
        *samples
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in {:?}", samples.keys().collect::<Vec<_>>()))
    };
    assert_eq!(
        value(r#"oped_messages_total{door="http",outcome="submission"}"#),
        1.0
    );
    assert_eq!(
        value(r#"oped_messages_total{door="http",outcome="duplicate"}"#),
        1.0
    );
    assert_eq!(value(r#"oped_intake_seconds_count{door="http"}"#), 2.0);
    assert_eq!(
        value(
            r#"http_requests_total{route="/api/v1/inbound/messages",method="POST",status="201"}"#
        ),
        1.0
    );
    assert_eq!(
        value(r#"http_requests_total{route="/metrics",method="GET",status="403"}"#),
        2.0
    );
    assert!(value(r#"http_request_duration_seconds_count{route="/readyz",method="GET"}"#) >= 1.0);
    assert_eq!(value("oped_login_failures_total"), 1.0);
    // The acknowledgement was queued; a worker may have written it already.
    assert!(samples.contains_key(r#"oped_outbox_pending{kind="email"}"#));
    assert!(samples.contains_key(r#"oped_outbox_oldest_pending_seconds{kind="webhook"}"#));
    assert_eq!(value("oped_scheduler_lag_seconds"), 0.0);
    let connections = value(r#"oped_db_pool_connections{state="in_use"}"#)
        + value(r#"oped_db_pool_connections{state="idle"}"#);
    assert!(connections >= 1.0, "the pool keeps a connection open");
}

#[test]
fn an_allowed_address_scrapes_without_the_token() {
    let db = common::TestDb::new();
    let server = serve(&db, &[("OPED_METRICS_ALLOW", "127.0.0.0/8")]);
    let response = reqwest::blocking::get(format!("{}/metrics", server.base)).unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(parse(&response.text().unwrap()).contains_key("oped_scheduler_lag_seconds"));
}
