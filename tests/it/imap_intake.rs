//! The mailbox door against a real Dovecot: mail APPENDed to the folder is
//! recorded through the same intake as `oped ingest`, moved to the processed
//! folder only after the commit, exactly once through crashes, UIDVALIDITY
//! changes and a second poller.

use crate::common;
use crate::common::dovecot;

use std::collections::HashMap;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use dovecot::Dovecot;
use oped::config::ImapConfig;
use oped::jobs::Stop;
use oped::mailbox::state;
use oped::mailbox::{Failpoints, Poller};
use oped::schema::{inbound_messages, submissions};
use oped::secret::Secret;
use serde_json::Value;

/// Generous: the machine is shared, and nothing here measures speed.
const PATIENCE: Duration = Duration::from_secs(60);

struct Running {
    stop: Stop,
    handle: JoinHandle<()>,
}

impl Running {
    fn stop(self) {
        self.stop.stop();
        self.handle.join().expect("the poller does not panic");
    }
}

fn start(db: &common::TestDb, config: ImapConfig, name: &str, failpoints: Failpoints) -> Running {
    let stop = Stop::new();
    let handle = Poller {
        config,
        intake: common::intake_config(),
        database_url: Secret::new(db.url.clone()),
        stop: stop.clone(),
        name: name.into(),
        standby_interval: Duration::from_millis(500),
        failpoints,
    }
    .spawn()
    .unwrap();
    Running { stop, handle }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PATIENCE, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn outcomes(conn: &mut PgConnection) -> Vec<String> {
    inbound_messages::table
        .order(inbound_messages::id)
        .select(inbound_messages::outcome)
        .load(conn)
        .unwrap()
}

fn submission_count(conn: &mut PgConnection) -> i64 {
    submissions::table.count().get_result(conn).unwrap()
}

fn mailbox_row(conn: &mut PgConnection) -> Option<state::MailboxRow> {
    state::list(conn).unwrap().into_iter().next()
}

/// A submission distinct from every corpus mail (its own Message-ID).
fn op_ed(n: u32) -> Vec<u8> {
    format!(
        "From: Writer {n} <writer{n}@example.org>\r\nTo: oped@news.example\r\n\
         Subject: Op-Ed: Piece number {n}\r\nMessage-ID: <piece-{n}@example.org>\r\n\
         Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nThe text of piece {n}.\r\n"
    )
    .into_bytes()
}

#[test]
fn the_corpus_through_the_mailbox_ends_as_through_oped_ingest() {
    let server = Dovecot::start();
    let expected: HashMap<String, Value> =
        serde_json::from_slice(&common::corpus_file("expected.json")).unwrap();
    let mut files: Vec<&String> = expected.keys().collect();
    files.sort();
    let mails: Vec<Vec<u8>> = files.iter().map(|f| common::corpus_file(f)).collect();

    // The same mail through the door `oped ingest` uses, in the same order.
    let piped = common::TestDb::new();
    let mut piped_conn = piped.conn();
    let config = common::intake_config();
    let piped_reports: Vec<_> = mails
        .iter()
        .map(|raw| oped::intake::ingest(&mut piped_conn, raw, &config).unwrap())
        .collect();

    server.append("INBOX", mails.iter().map(Vec::as_slice));
    let db = common::TestDb::new();
    let poller = start(&db, server.config("INBOX"), "corpus", Failpoints::default());
    let mut conn = db.conn();
    wait_until("every message recorded and moved", || {
        outcomes(&mut conn).len() == mails.len() && server.count("INBOX") == 0
    });
    poller.stop();

    let got = outcomes(&mut conn);
    for ((file, outcome), piped) in files.iter().zip(&got).zip(&piped_reports) {
        assert_eq!(
            outcome,
            expected[*file]["outcome"].as_str().unwrap(),
            "{file}"
        );
        assert_eq!(outcome, piped.outcome.as_str(), "{file}: as oped ingest");
    }
    let titles = |conn: &mut PgConnection| -> Vec<(String, String)> {
        submissions::table
            .order(submissions::id)
            .select((submissions::reference, submissions::title))
            .load(conn)
            .unwrap()
    };
    assert_eq!(titles(&mut conn), titles(&mut piped_conn));
    assert_eq!(server.count("Processed") as usize, mails.len());
    let row = mailbox_row(&mut conn).unwrap();
    assert_eq!(row.last_uid as usize, mails.len());
    assert_eq!(row.backlog, 0);
    assert!(row.last_success_at.is_some() && !row.failing());
}

#[test]
fn mail_appended_while_the_poller_idles_is_recorded_within_seconds() {
    let server = Dovecot::start();
    let db = common::TestDb::new();
    let mut config = server.config("INBOX");
    // Only IDLE can bring the mail in time: polling would take an hour.
    config.poll_interval = Duration::from_secs(3600);
    let poller = start(&db, config, "idler", Failpoints::default());
    let mut conn = db.conn();
    wait_until("the first pass over the empty folder", || {
        mailbox_row(&mut conn).is_some_and(|row| row.last_success_at.is_some())
    });
    // Let the poller enter IDLE.
    std::thread::sleep(Duration::from_millis(500));

    server.append("INBOX", [op_ed(1).as_slice()]);
    let appended = Instant::now();
    wait_until("the appended mail recorded", || {
        submission_count(&mut conn) == 1
    });
    assert!(
        appended.elapsed() < Duration::from_secs(30),
        "recorded after {:?}",
        appended.elapsed()
    );
    wait_until("the mail moved", || server.count("Processed") == 1);
    poller.stop();
    assert_eq!(server.count("INBOX"), 0);
}

#[test]
fn the_poller_reports_a_lost_server_and_reconnects_when_it_returns() {
    let mut server = Dovecot::start();
    let db = common::TestDb::new();
    let mut config = server.config("INBOX");
    config.poll_interval = Duration::from_secs(3600);
    let poller = start(&db, config, "reconnecting", Failpoints::default());
    let mut conn = db.conn();
    wait_until("the first pass", || {
        mailbox_row(&mut conn).is_some_and(|row| row.last_success_at.is_some())
    });

    // Down long enough for the idling poller to notice, fail to reconnect
    // and say so.
    let watcher = std::thread::spawn({
        let url = db.url.clone();
        move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            let started = Instant::now();
            while started.elapsed() < PATIENCE {
                if let Some(row) = mailbox_row(&mut conn)
                    && row.failing()
                {
                    return row.last_error;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            None
        }
    });
    server.restart_after(Duration::from_secs(3));
    let error = watcher.join().unwrap().expect("the outage is recorded");
    assert!(error.contains("127.0.0.1"), "{error}");

    server.append("INBOX", [op_ed(5).as_slice()]);
    wait_until("the mail recorded after the reconnection", || {
        submission_count(&mut conn) == 1 && server.count("INBOX") == 0
    });
    assert!(!mailbox_row(&mut conn).unwrap().failing());
    poller.stop();
}

#[test]
fn a_crash_between_commit_and_move_leaves_one_submission_and_a_duplicate() {
    let server = Dovecot::start();
    let db = common::TestDb::new();
    server.append("INBOX", [op_ed(7).as_slice()]);
    let crashing = start(
        &db,
        server.config("INBOX"),
        "crashing",
        Failpoints {
            crash_after_commit: true,
        },
    );
    // The failpoint ends the poller's thread right after the commit.
    crashing.handle.join().unwrap();
    let mut conn = db.conn();
    assert_eq!(outcomes(&mut conn), ["submission"]);
    assert_eq!(server.count("INBOX"), 1, "committed but not moved");
    assert_eq!(server.count("Processed"), 0);

    let poller = start(
        &db,
        server.config("INBOX"),
        "restarted",
        Failpoints::default(),
    );
    wait_until("the redelivery recorded and moved", || {
        server.count("INBOX") == 0 && outcomes(&mut conn).len() == 2
    });
    poller.stop();
    assert_eq!(outcomes(&mut conn), ["submission", "duplicate"]);
    assert_eq!(submission_count(&mut conn), 1);
    assert_eq!(server.count("Processed"), 1);
}

#[test]
fn a_changed_uidvalidity_resynchronises_without_a_second_submission() {
    let server = Dovecot::start();
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let folder = "Op-Eds";
    server.append(folder, [op_ed(1).as_slice(), op_ed(2).as_slice()]);
    let before = server.uid_validity(folder);
    let poller = start(&db, server.config(folder), "first", Failpoints::default());
    wait_until("both recorded and moved", || server.count("Processed") == 2);
    poller.stop();
    assert_eq!(submission_count(&mut conn), 2);

    // The provider rebuilt the folder (a migration, a restore): new
    // UIDVALIDITY, UIDs from 1 again, and the old mail back in it with a new one.
    server.recreate(folder);
    server.append(
        folder,
        [
            op_ed(1).as_slice(),
            op_ed(2).as_slice(),
            op_ed(3).as_slice(),
        ],
    );
    assert_ne!(server.uid_validity(folder), before);
    let poller = start(&db, server.config(folder), "second", Failpoints::default());
    wait_until("the folder read again", || server.count(folder) == 0);
    poller.stop();

    assert_eq!(
        outcomes(&mut conn),
        [
            "submission",
            "submission",
            "duplicate",
            "duplicate",
            "submission"
        ]
    );
    assert_eq!(submission_count(&mut conn), 3);
    let row = mailbox_row(&mut conn).unwrap();
    assert_eq!(row.resyncs, 1);
    assert_eq!(
        row.uid_validity,
        Some(i64::from(server.uid_validity(folder)))
    );
    assert_eq!(row.last_uid, 3);
    assert_eq!(server.count("Processed"), 5);
}

#[test]
fn a_server_without_idle_or_move_is_polled_and_mail_copied_then_expunged() {
    // What the server announces after login: no IDLE, no MOVE.
    let server = Dovecot::start_with("imap_capability = IMAP4rev1 LITERAL+ ID ENABLE UIDPLUS");
    let db = common::TestDb::new();
    let mut conn = db.conn();
    server.append("INBOX", [op_ed(1).as_slice(), op_ed(2).as_slice()]);
    let poller = start(&db, server.config("INBOX"), "poller", Failpoints::default());
    wait_until("both moved", || {
        server.count("Processed") == 2 && server.count("INBOX") == 0
    });
    server.append("INBOX", [op_ed(3).as_slice()]);
    wait_until("the next poll records the new mail", || {
        submission_count(&mut conn) == 3 && server.count("INBOX") == 0
    });
    poller.stop();
    assert_eq!(outcomes(&mut conn), ["submission"; 3]);
    assert_eq!(server.count("Processed"), 3);
}

/// Session advisory locks on the pollers' mailbox, held in this database.
fn poller_locks(conn: &mut PgConnection) -> i64 {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND classid::bigint = 1768776048",
    ))
    .get_result(conn)
    .unwrap()
}

#[test]
fn of_two_pollers_one_polls_and_the_other_takes_over_when_it_stops() {
    let server = Dovecot::start();
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let mut pollers = HashMap::from([
        (
            "alpha",
            start(&db, server.config("INBOX"), "alpha", Failpoints::default()),
        ),
        (
            "beta",
            start(&db, server.config("INBOX"), "beta", Failpoints::default()),
        ),
    ]);
    wait_until("one poller active", || {
        mailbox_row(&mut conn).is_some_and(|row| row.active_poller.is_some())
    });
    // Both have had time to try the lock.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        poller_locks(&mut conn),
        1,
        "exactly one poller holds the mailbox"
    );
    let active = mailbox_row(&mut conn).unwrap().active_poller.unwrap();
    let other = if active == "alpha" { "beta" } else { "alpha" };

    server.append("INBOX", [op_ed(1).as_slice()]);
    wait_until("the first mail recorded", || {
        submission_count(&mut conn) == 1
    });

    pollers.remove(active.as_str()).unwrap().stop();
    wait_until("the other poller takes over", || {
        mailbox_row(&mut conn)
            .and_then(|row| row.active_poller)
            .as_deref()
            == Some(other)
    });
    server.append("INBOX", [op_ed(2).as_slice()]);
    wait_until("the second mail recorded by the other", || {
        submission_count(&mut conn) == 2 && server.count("INBOX") == 0
    });
    assert_eq!(poller_locks(&mut conn), 1);
    pollers.remove(other).unwrap().stop();
    assert_eq!(outcomes(&mut conn), ["submission", "submission"]);
    assert_eq!(server.count("Processed"), 2);
}

#[test]
fn a_wrong_password_is_a_clear_error_without_the_password_and_nothing_moves() {
    let server = Dovecot::start();
    let db = common::TestDb::new();
    server.append("INBOX", [op_ed(1).as_slice()]);
    let wrong = "not-the-Password-913";

    let output = common::oped_command(&db.url)
        .args(["imap", "check"])
        .env("OPED_IMAP_URL", server.url_with("INBOX", wrong))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(
        stderr.contains("refused the login of desk@news.example"),
        "{stderr}"
    );
    assert!(!stderr.contains(wrong), "{stderr}");

    let good = common::oped_command(&db.url)
        .args(["imap", "check"])
        .env("OPED_IMAP_URL", server.url("INBOX"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&good.stdout);
    assert_eq!(
        good.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(stdout.contains("1 messages waiting"), "{stdout}");

    // imap:// without ?tls=none insists on STARTTLS, which this server lacks.
    let insecure = common::oped_command(&db.url)
        .args(["imap", "check"])
        .env(
            "OPED_IMAP_URL",
            server.url("INBOX").replace("?tls=none", ""),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&insecure.stderr);
    assert_eq!(insecure.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("refused STARTTLS"), "{stderr}");
    assert!(!stderr.contains(dovecot::PASSWORD), "{stderr}");

    let config = oped::config::parse_imap_url(&server.url_with("INBOX", wrong), None).unwrap();
    let poller = start(&db, config, "wrong", Failpoints::default());
    let mut conn = db.conn();
    wait_until("the login failure recorded", || {
        mailbox_row(&mut conn).is_some_and(|row| row.failing())
    });
    poller.stop();
    let error = mailbox_row(&mut conn).unwrap().last_error.unwrap();
    assert!(error.contains("refused the login"), "{error}");
    assert!(!error.contains(wrong), "{error}");
    assert!(outcomes(&mut conn).is_empty());
    assert_eq!(server.count("INBOX"), 1);
    assert_eq!(server.count("Processed"), 0);
}

#[actix_web::test]
async fn editors_read_the_mailbox_state_and_readyz_stays_ready() {
    use actix_web::test;
    let desk = common::desk::Desk::new().await;
    {
        let mut conn = desk.db.conn();
        let id =
            state::register(&mut conn, "desk@news.example@imap.example.net:993/INBOX").unwrap();
        state::failed(
            &mut conn,
            id,
            "imap.example.net:993 refused the login of desk@news.example",
        )
        .unwrap();
    }
    let (_, token) = desk.user(oped::auth::Role::Editor);

    let anonymous = test::TestRequest::get().uri("/api/v1/mailbox").to_request();
    let response = test::call_service(&desk.app, anonymous).await;
    assert_eq!(response.status(), 401);

    let request = test::TestRequest::get()
        .uri("/api/v1/mailbox")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .to_request();
    let body: Value = test::call_and_read_body_json(&desk.app, request).await;
    assert_eq!(
        body[0]["mailbox"],
        "desk@news.example@imap.example.net:993/INBOX"
    );
    assert_eq!(body[0]["state"], "failing");
    assert!(
        body[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("refused the login")
    );

    let ready = test::TestRequest::get().uri("/readyz").to_request();
    let response = test::call_service(&desk.app, ready).await;
    assert_eq!(response.status(), 200);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body, serde_json::json!({ "status": "ready" }));
}
