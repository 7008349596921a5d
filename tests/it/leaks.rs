//! What the service tells those who should not know: the unauthenticated
//! `/readyz`, and the logs (a URL's credentials, the client address a
//! client wrote itself).

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oped::mailbox::state;
use serde_json::{Value, json};

#[actix_web::test]
async fn readyz_names_no_mailbox_login_or_server_error() {
    let desk = common::desk::Desk::new().await;
    {
        let mut conn = desk.db.conn();
        let id =
            state::register(&mut conn, "desk@news.example@imap.example.net:993/INBOX").unwrap();
        state::failed(
            &mut conn,
            id,
            "imap.example.net:993 refused the login of desk@news.example: \
             [AUTHENTICATIONFAILED] Authentication failed.",
        )
        .unwrap();
    }
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

/// `oped serve` with its log read as it is written.
struct LoggedServe {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
    _data_dir: tempfile::TempDir,
}

impl LoggedServe {
    fn start(database_url: &str, env: &[(&str, &str)]) -> LoggedServe {
        let port = common::free_port();
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = common::oped_command(database_url);
        command
            .arg("serve")
            .env("OPED_BIND", format!("127.0.0.1:{port}"))
            .env("OPED_DATA_DIR", data_dir.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let written = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = written.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let base = format!("http://127.0.0.1:{port}");
        common::wait_ready(&base, &mut child);
        LoggedServe {
            child,
            base,
            log,
            _data_dir: data_dir,
        }
    }

    /// The log so far, once a line holds `needle`; panics after 30 s.
    fn log_once(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let log = self.log.lock().unwrap().clone();
            if log.contains(needle) {
                return log;
            }
            assert!(Instant::now() < deadline, "no {needle:?} in:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The log line of a refused `GET /api/v1/me` that claims to come from
    /// `forwarded_for`.
    fn refused_request_line(&self, forwarded_for: &str) -> String {
        let response = reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/me", self.base))
            .header("X-Forwarded-For", forwarded_for)
            .send()
            .unwrap();
        assert_eq!(response.status(), 401);
        self.log_once("http.route=/api/v1/me")
            .lines()
            .find(|line| line.contains("http.route=/api/v1/me"))
            .unwrap()
            .to_string()
    }
}

impl Drop for LoggedServe {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

const WEBHOOK_SECRET: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0-webhooks";

#[test]
fn the_start_up_log_shows_no_credentials_or_query_of_the_webhook_url() {
    let db = common::TestDb::new();
    let serve = LoggedServe::start(
        &db.url,
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
    let direct = LoggedServe::start(&db.url, &[]);
    let line = direct.refused_request_line("203.0.113.9");
    assert!(line.contains("http.client_ip=127.0.0.1"), "{line}");
    assert!(!line.contains("203.0.113.9"), "{line}");
    drop(direct);

    let proxied = LoggedServe::start(&db.url, &[("OPED_TRUSTED_PROXIES", "127.0.0.1")]);
    let line = proxied.refused_request_line("198.51.100.7, 203.0.113.9");
    assert!(line.contains("http.client_ip=203.0.113.9"), "{line}");
}
