//! What the service tells those who should not know: the unauthenticated
//! `/readyz`, and the logs (a URL's credentials, the client address a
//! client wrote itself).

use crate::common;

use serde_json::{Value, json};

#[actix_web::test]
async fn readyz_names_no_mailbox_login_or_server_error() {
    let desk = common::desk::Desk::new().await;
    common::failing_mailbox(
        &mut desk.db.conn(),
        "imap.example.net:993 refused the login of desk@news.example: \
         [AUTHENTICATIONFAILED] Authentication failed.",
    );
    let response = actix_web::test::call_service(
        &desk.app,
        actix_web::test::TestRequest::get()
            .uri("/readyz")
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body = actix_web::test::read_body(response).await;
    let text = String::from_utf8_lossy(&body);
    for secret in [
        "desk@news.example",
        "imap.example.net",
        "AUTHENTICATIONFAILED",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body, json!({ "status": "ready" }));

    // Editors still read the whole story.
    let (_, token) = desk.user(oped::auth::Role::Editor);
    let (status, mailboxes) = desk.get(&token, "/api/v1/mailbox").await;
    assert_eq!(status, 200);
    assert_eq!(mailboxes[0]["state"], "failing");
    assert!(
        mailboxes[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("AUTHENTICATIONFAILED")
    );
}

/// The log line of a refused `GET /api/v1/me` that claims to come from
/// `forwarded_for`.
fn refused_request_line(serve: &common::Serve, forwarded_for: &str) -> String {
    let response = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/me", serve.base))
        .header("X-Forwarded-For", forwarded_for)
        .send()
        .unwrap();
    assert_eq!(response.status(), 401);
    serve
        .log_once("http.route=/api/v1/me")
        .lines()
        .find(|line| line.contains("http.route=/api/v1/me"))
        .unwrap()
        .to_string()
}

const WEBHOOK_SECRET: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0-webhooks";

#[test]
fn the_start_up_log_shows_no_credentials_or_query_of_the_webhook_url() {
    let db = common::TestDb::new();
    let serve = common::Serve::logged(
        &db.url,
        &[],
        &[
            (
                "OPED_PUBLISH_WEBHOOK_URL",
                "https://site-user:hunter2-pass@hooks.news.example/oped?token=query-s3cr3t&x=1",
            ),
            ("OPED_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ],
    );
    let log = serve.log_once("workers ready");
    assert!(log.contains("hooks.news.example/oped"), "{log}");
    for secret in ["site-user", "hunter2-pass", "query-s3cr3t", WEBHOOK_SECRET] {
        assert!(!log.contains(secret), "{secret} in:\n{log}");
    }
}

/// The request log names the address the login throttle counts: the TCP
/// peer, unless the peer is a trusted proxy and says whom it forwards for.
#[test]
fn the_request_log_names_the_client_the_throttle_counts() {
    let db = common::TestDb::new();
    let direct = common::Serve::logged(&db.url, &[], &[]);
    let line = refused_request_line(&direct, "203.0.113.9");
    assert!(line.contains("http.client_ip=127.0.0.1"), "{line}");
    assert!(!line.contains("203.0.113.9"), "{line}");
    drop(direct);

    let proxied = common::Serve::logged(&db.url, &[], &[("OPED_TRUSTED_PROXIES", "127.0.0.1")]);
    let line = refused_request_line(&proxied, "198.51.100.7, 203.0.113.9");
    assert!(line.contains("http.client_ip=203.0.113.9"), "{line}");
}
