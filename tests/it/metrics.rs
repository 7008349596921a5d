//! `GET /metrics` from a real `oped serve`: refused unless the scraper is
//! named, and, once mail has come in, Prometheus text that parses and counts
//! what happened.

use crate::common;

use std::collections::HashMap;

const METRICS_TOKEN: &str = "test-metrics-token-Qm4Xr8Lp2Vw6Ny1Kd5";

fn serve(db: &common::TestDb, env: &[(&str, &str)]) -> common::Serve {
    common::Serve::start(&db.url, env)
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

    // Methods a client invents must not each become a series of their own.
    for invented in ["FOO1", "FOO2"] {
        let method = reqwest::Method::from_bytes(invented.as_bytes()).unwrap();
        client
            .request(method, format!("{}/healthz", server.base))
            .send()
            .unwrap();
    }

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
    assert!(samples.keys().all(|series| !series.contains("FOO")));
    assert!(
        samples
            .keys()
            .any(|series| series.contains(r#"method="other""#))
    );
    // The acknowledgement was queued; a worker may have written it already.
    assert!(samples.contains_key(r#"oped_outbox_pending{kind="email"}"#));
    assert!(samples.contains_key(r#"oped_outbox_oldest_pending_seconds{kind="webhook"}"#));
    assert_eq!(value("oped_scheduler_lag_seconds"), 0.0);
    let connections = value(r#"oped_db_pool_connections{state="in_use"}"#)
        + value(r#"oped_db_pool_connections{state="idle"}"#);
    assert!(connections >= 1.0, "the pool keeps a connection open");
    assert_eq!(value("oped_db_waiting_requests"), 0.0);
}

#[test]
fn an_allowed_address_scrapes_without_the_token() {
    let db = common::TestDb::new();
    let server = serve(&db, &[("OPED_METRICS_ALLOW", "127.0.0.0/8")]);
    let response = reqwest::blocking::get(format!("{}/metrics", server.base)).unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(parse(&response.text().unwrap()).contains_key("oped_scheduler_lag_seconds"));
}
