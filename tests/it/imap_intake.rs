//! The mailbox door against a real Dovecot: mail APPENDed to the folder is
//! recorded through the same intake as `oped ingest`, moved to the processed
//! folder only after the commit, exactly once through crashes, UIDVALIDITY
//! changes and a second poller.

use crate::common;
use crate::common::dovecot;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use dovecot::Dovecot;
use oped::config::{ImapConfig, IntakeConfig};
use oped::imap::state;
use oped::imap::{Failpoints, Poller};
use oped::jobs::Stop;
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
    start_with_intake(db, config, name, failpoints, common::intake_config())
}

fn start_with_intake(
    db: &common::TestDb,
    config: ImapConfig,
    name: &str,
    failpoints: Failpoints,
    intake: IntakeConfig,
) -> Running {
    let stop = Stop::new();
    let handle = Poller {
        config,
        intake,
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

/// Appends a piece once the poller, reading the folder through `proxy`
/// every `poll_interval`, idles on it (the server has answered its IDLE);
/// how long the piece then took to be recorded.
fn recorded_after_appending_while_idle(
    server: &Dovecot,
    proxy: &Proxy,
    poll_interval: Duration,
) -> Duration {
    let db = common::TestDb::new();
    let mut config = server.config("INBOX");
    config.port = proxy.port;
    config.poll_interval = poll_interval;
    let poller = start(&db, config, "idler", Failpoints::default());
    let mut conn = db.conn();
    wait_until("the first pass over the empty folder", || {
        mailbox_row(&mut conn).is_some_and(|row| row.last_success_at.is_some())
    });
    wait_until("the poller idles", || proxy.idling());

    server.append("INBOX", [op_ed(1).as_slice()]);
    let appended = Instant::now();
    wait_until("the appended mail recorded", || {
        submission_count(&mut conn) == 1
    });
    let took = appended.elapsed();
    wait_until("the mail moved", || server.count("Processed") == 1);
    poller.stop();
    assert_eq!(server.count("INBOX"), 0);
    took
}

#[test]
fn mail_appended_while_the_poller_idles_is_recorded_within_seconds() {
    let server = Dovecot::start();
    let proxy = Proxy::start(server.port, Lies::default());
    // Only IDLE can bring the mail in time: polling would take an hour.
    let took = recorded_after_appending_while_idle(&server, &proxy, Duration::from_secs(3600));
    assert!(took < Duration::from_secs(30), "recorded after {took:?}");
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

    // Down until the idling poller has noticed, failed to reconnect and
    // said so on the mailbox's row.
    server.stop();
    wait_until("the outage recorded", || {
        mailbox_row(&mut conn).is_some_and(|row| row.failing())
    });
    let error = mailbox_row(&mut conn).unwrap().last_error.unwrap();
    assert!(error.contains("127.0.0.1"), "{error}");
    server.start_again();

    server.append("INBOX", [op_ed(5).as_slice()]);
    wait_until("the mail recorded after the reconnection", || {
        submission_count(&mut conn) == 1 && server.count("INBOX") == 0
    });
    // The pass records its success once the mail is moved, a moment later.
    wait_until("the mailbox no longer failing", || {
        mailbox_row(&mut conn).is_some_and(|row| !row.failing())
    });
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

/// Pollers of this database that have asked for the mailbox's lock and
/// hold none: they stand by (`pg_stat_activity` keeps a session's last
/// statement).
fn standing_by(conn: &mut PgConnection) -> i64 {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "count(*) FROM pg_stat_activity AS a \
         WHERE a.datname = current_database() AND a.state = 'idle' \
         AND a.query LIKE 'SELECT pg_try_advisory_lock(%' \
         AND NOT EXISTS (SELECT 1 FROM pg_locks AS l \
                         WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted)",
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
    wait_until("the other poller refused the lock", || {
        standing_by(&mut conn) == 1
    });
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
    common::failing_mailbox(
        &mut desk.db.conn(),
        "imap.example.net:993 refused the login of desk@news.example",
    );
    let (_, token) = desk.user(oped::auth::Role::Editor);

    let anonymous = test::TestRequest::get().uri("/api/v1/mailbox").to_request();
    let response = test::call_service(&desk.app, anonymous).await;
    assert_eq!(response.status(), 401);

    let request = test::TestRequest::get()
        .uri("/api/v1/mailbox")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .to_request();
    let body: Value = test::call_and_read_body_json(&desk.app, request).await;
    assert_eq!(body[0]["mailbox"], common::FAILING_MAILBOX);
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

#[test]
fn a_message_id_of_9600_characters_does_not_hold_up_the_mail_behind_it() {
    let server = Dovecot::start();
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let long = crate::intake_rules::long_message_id_mail("imap");
    server.append("INBOX", [long.as_slice(), op_ed(2).as_slice()]);
    let poller = start(&db, server.config("INBOX"), "poller", Failpoints::default());
    wait_until("both recorded and moved", || {
        outcomes(&mut conn).len() == 2 && server.count("INBOX") == 0
    });
    poller.stop();
    assert_eq!(outcomes(&mut conn), ["submission", "submission"]);
    assert_eq!(server.count("Processed"), 2);
    assert!(!mailbox_row(&mut conn).unwrap().failing());
}

#[test]
fn mail_the_database_refuses_is_quarantined_and_the_next_message_read() {
    let server = Dovecot::start();
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let refused = crate::intake_rules::mail_the_database_refuses("imap");
    server.append("INBOX", [refused.as_slice(), op_ed(2).as_slice()]);
    let poller = start(&db, server.config("INBOX"), "poller", Failpoints::default());
    wait_until("both recorded and moved", || {
        outcomes(&mut conn).len() == 2 && server.count("INBOX") == 0
    });
    poller.stop();
    assert_eq!(outcomes(&mut conn), ["quarantined", "submission"]);
}

#[test]
fn a_database_that_refuses_every_message_marks_the_mailbox_failing_until_it_records_again() {
    let server = Dovecot::start();
    let db = common::TestDb::new();
    let mut conn = db.conn();
    // Stands for any refusal that even the quarantine record meets.
    conn.batch_execute(
        "CREATE FUNCTION refuse_mail() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'no mail today'; END $$; \
         CREATE TRIGGER refuse_mail BEFORE INSERT ON inbound_messages \
         FOR EACH ROW EXECUTE FUNCTION refuse_mail()",
    )
    .unwrap();
    server.append("INBOX", [op_ed(1).as_slice()]);
    let poller = start(&db, server.config("INBOX"), "poller", Failpoints::default());
    wait_until("the mailbox says it is failing", || {
        mailbox_row(&mut conn).is_some_and(|row| {
            row.failing()
                && row
                    .last_error
                    .as_deref()
                    .is_some_and(|error| error.contains("no mail today"))
        })
    });
    assert_eq!(server.count("INBOX"), 1, "the message waits in the folder");

    diesel::sql_query("DROP TRIGGER refuse_mail ON inbound_messages")
        .execute(&mut conn)
        .unwrap();
    wait_until("recorded once the database takes it", || {
        outcomes(&mut conn) == ["submission"] && server.count("INBOX") == 0
    });
    wait_until("the mailbox no longer failing", || {
        !mailbox_row(&mut conn).unwrap().failing()
    });
    poller.stop();
}

#[test]
fn a_server_that_understates_a_size_gets_no_more_than_the_limit_stored() {
    let server = Dovecot::start();
    let proxy = Proxy::start(
        server.port,
        Lies {
            claimed_size: Some(100),
            ..Lies::default()
        },
    );
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let limit = 10_000;
    let mut big = op_ed(1);
    big.extend(b"A long, long text.\r\n".repeat(3_000));
    server.append("INBOX", [big.as_slice(), op_ed(2).as_slice()]);

    let mut config = server.config("INBOX");
    config.port = proxy.port;
    let mut intake = common::intake_config();
    intake.limits.max_message_bytes = limit;
    let poller = start_with_intake(&db, config, "poller", Failpoints::default(), intake);
    wait_until("both recorded and moved", || {
        outcomes(&mut conn).len() == 2 && server.count("INBOX") == 0
    });
    poller.stop();
    assert_eq!(outcomes(&mut conn), ["quarantined", "submission"]);
    let (stored, detail): (i64, Option<String>) = inbound_messages::table
        .order(inbound_messages::id)
        .select((
            diesel::dsl::sql::<diesel::sql_types::BigInt>("octet_length(raw)::bigint"),
            inbound_messages::outcome_detail,
        ))
        .first(&mut conn)
        .unwrap();
    assert!(
        stored as usize <= limit + 1,
        "{stored} bytes stored of a {} byte message",
        big.len()
    );
    assert!(detail.unwrap().contains("over the limit"));
}

#[test]
fn a_server_that_never_pushes_during_idle_is_read_again_each_poll_interval() {
    let server = Dovecot::start();
    let proxy = Proxy::start(
        server.port,
        Lies {
            no_pushes_while_idle: true,
            ..Lies::default()
        },
    );
    let took = recorded_after_appending_while_idle(&server, &proxy, Duration::from_secs(2));
    assert!(
        took < Duration::from_secs(12),
        "recorded after {took:?} with a poll interval of 2 s"
    );
}

/// What a [`Proxy`] changes in the server's answers.
#[derive(Debug, Clone, Copy, Default)]
struct Lies {
    /// Drops the server's new-mail pushes (EXISTS, RECENT) while the client
    /// idles, as some proxies and hosted servers do.
    no_pushes_while_idle: bool,
    /// Announces every message as this many bytes (RFC822.SIZE).
    claimed_size: Option<usize>,
}

/// An IMAP proxy in front of Dovecot that tells the client what [`Lies`]
/// says; everything else passes through unchanged. It sees the client's
/// IDLE, so a test knows when the poller idles.
struct Proxy {
    port: u16,
    idle: Arc<IdleSeen>,
}

/// Where the proxied conversation stands with IDLE.
#[derive(Default)]
struct IdleSeen {
    /// The client sent IDLE, and the server has not answered it yet.
    asked: AtomicBool,
    /// The server accepted the IDLE (`+ idling`), and the client has not
    /// ended it (DONE).
    idling: AtomicBool,
}

impl Proxy {
    fn start(upstream: u16, lies: Lies) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let idle = Arc::new(IdleSeen::default());
        let seen = Arc::clone(&idle);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let server = std::net::TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                let (to_server, to_client) =
                    (server.try_clone().unwrap(), client.try_clone().unwrap());
                let from_client = Arc::clone(&seen);
                std::thread::spawn(move || {
                    relay(client, to_server, |line| {
                        from_client.client_says(line);
                        Some(line.to_vec())
                    })
                });
                let from_server = Arc::clone(&seen);
                std::thread::spawn(move || {
                    relay(server, to_client, |line| {
                        from_server.server_says(line, lies)
                    })
                });
            }
        });
        Proxy { port, idle }
    }

    /// Whether the poller idles now: it asked, and the server agreed.
    fn idling(&self) -> bool {
        self.idle.idling.load(Ordering::SeqCst)
    }
}

impl IdleSeen {
    fn client_says(&self, line: &[u8]) {
        let command = String::from_utf8_lossy(line)
            .trim_end()
            .to_ascii_uppercase();
        if command.ends_with(" IDLE") {
            self.asked.store(true, Ordering::SeqCst);
        } else if command == "DONE" {
            self.idling.store(false, Ordering::SeqCst);
        }
    }

    /// The server's `line` as the client gets it (`None`: dropped).
    fn server_says(&self, line: &[u8], lies: Lies) -> Option<Vec<u8>> {
        let text = String::from_utf8_lossy(line);
        if text.starts_with("+ ") && self.asked.swap(false, Ordering::SeqCst) {
            self.idling.store(true, Ordering::SeqCst);
        }
        let push = text.starts_with("* ")
            && (text.trim_end().ends_with(" EXISTS") || text.trim_end().ends_with(" RECENT"));
        if lies.no_pushes_while_idle && push && self.idling.load(Ordering::SeqCst) {
            return None;
        }
        match lies.claimed_size {
            Some(size) if text.starts_with("* ") && text.contains("RFC822.SIZE ") => {
                Some(claim_size(&text, size).into_bytes())
            }
            _ => Some(line.to_vec()),
        }
    }
}

/// Copies `from` to `to` line by line through `change` (None drops a line).
fn relay(
    from: std::net::TcpStream,
    mut to: std::net::TcpStream,
    mut change: impl FnMut(&[u8]) -> Option<Vec<u8>>,
) {
    use std::io::{BufRead, Write};
    let mut reader = std::io::BufReader::new(from);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if let Some(out) = change(&line)
            && to.write_all(&out).is_err()
        {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

/// `* 1 FETCH (UID 1 RFC822.SIZE 60123)` with the size replaced.
fn claim_size(line: &str, size: usize) -> String {
    let (before, after) = line.split_once("RFC822.SIZE ").unwrap();
    let rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
    format!("{before}RFC822.SIZE {size}{rest}")
}
