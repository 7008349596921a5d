//! Email to authors, end to end: outbox rows → the worker → a real SMTP
//! server started here → what arrived, read back and parsed.

use crate::common;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use oped::db::models::Submission;
use oped::email::{Composer, Mailer, Templates};
use oped::outbox::worker;
use oped::outbox::{
    AcknowledgementLimits, enqueue_acknowledgement, enqueue_email, enqueue_message, enqueue_webhook,
};
use oped::outbox::{JobOutcome, MAX_ATTEMPTS};
use oped::schema::{correspondence, outbox, submission_thread_ids, submissions};

use common::TestDb;
use common::smtp::{ReceivedMail, SmtpSink};

const SITE: &str = "https://news.example";

fn composer() -> Composer {
    Composer::new(
        Templates::built_in(),
        "Op-Ed Desk <oped@desk.example>".parse().unwrap(),
        "desk.example",
        SITE,
    )
}

fn submission(conn: &mut PgConnection, id: i64) -> Submission {
    submissions::table
        .find(id)
        .select(Submission::as_select())
        .first(conn)
        .unwrap()
}

/// Intake queues an acknowledgement of every new submission; tests about
/// other emails start from an outbox without it.
fn clear_outbox(conn: &mut PgConnection) {
    diesel::delete(outbox::table).execute(conn).unwrap();
}

#[derive(Debug, Queryable)]
struct Row {
    topic: String,
    state: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    message_id: Option<String>,
    recipient: Option<String>,
}

fn rows(conn: &mut PgConnection) -> Vec<Row> {
    outbox::table
        .order(outbox::id)
        .select((
            outbox::topic,
            outbox::state,
            outbox::attempts,
            outbox::next_attempt_at,
            outbox::last_error,
            outbox::message_id,
            outbox::recipient,
        ))
        .load(conn)
        .unwrap()
}

fn header(mail: &ReceivedMail, name: &str) -> Option<String> {
    mail.parsed().header_raw(name).map(|v| v.trim().to_string())
}

fn subject(mail: &ReceivedMail) -> String {
    mail.parsed().subject().unwrap_or_default().to_string()
}

fn body(mail: &ReceivedMail) -> String {
    mail.parsed().body_text(0).unwrap_or_default().into_owned()
}

#[test]
fn each_decision_arrives_threaded_under_the_original_with_its_note() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    clear_outbox(&mut conn);
    let reference = submission(&mut conn, id).reference;
    enqueue_email(
        &mut conn,
        id,
        "changes_requested",
        Some("Please cut it to 800 words."),
    )
    .unwrap();
    enqueue_email(&mut conn, id, "approved", None).unwrap();
    enqueue_email(&mut conn, id, "rejected", Some("We ran a similar piece.")).unwrap();
    enqueue_email(&mut conn, id, "published", None).unwrap();
    enqueue_message(
        &mut conn,
        id,
        "A photo, please",
        "Could you send us a portrait?\n.\nThanks.",
    )
    .unwrap();

    let sink = SmtpSink::start();
    let mailer = Mailer::smtp(&sink.url()).unwrap();
    let outcomes = worker::drain(&mut conn, &mailer, &composer(), Utc::now()).unwrap();
    assert_eq!(outcomes.len(), 5, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, JobOutcome::Sent { .. }))
    );

    let received = sink.received();
    assert_eq!(received.len(), 5);
    for mail in &received {
        assert_eq!(mail.rcpt_to, ["amal.haddad@example.org"]);
        assert_eq!(mail.mail_from, "oped@desk.example");
        let parsed = mail.parsed();
        assert_eq!(
            parsed.in_reply_to().as_text(),
            Some("p01.amal@example.org"),
            "{}",
            subject(mail)
        );
        assert_eq!(parsed.references().as_text(), Some("p01.amal@example.org"));
        assert!(
            subject(mail).starts_with(&format!("[{reference}] ")),
            "{}",
            subject(mail)
        );
        assert_eq!(header(mail, "X-Oped-Loop").as_deref(), Some("desk.example"));
        let message_id = mail.message_id();
        assert!(
            message_id.starts_with("oped.") && message_id.ends_with("@desk.example"),
            "{message_id}"
        );
        // Decisions are an editor's, not an auto-reply.
        assert_eq!(header(mail, "Auto-Submitted"), None);
        assert_eq!(
            parsed.to().unwrap().first().unwrap().name(),
            Some("Amal Haddad")
        );
    }
    let by_subject = |part: &str| {
        received
            .iter()
            .find(|mail| subject(mail).contains(part))
            .unwrap_or_else(|| panic!("no email about {part:?}"))
    };
    assert!(body(by_subject("Changes requested")).contains("Please cut it to 800 words."));
    assert!(body(by_subject("Our decision")).contains("We ran a similar piece."));
    assert!(body(by_subject("Published")).contains(&format!("{SITE}/opinion/{reference}")));
    assert!(
        subject(by_subject("Accepted for publication"))
            .ends_with(": Why Libya needs a unified budget")
    );
    // A lone dot in an editor's text survives SMTP's dot-stuffing.
    let message = body(by_subject("A photo, please")).replace("\r\n", "\n");
    assert!(
        message.starts_with("Could you send us a portrait?\n.\nThanks."),
        "{message:?}"
    );

    // What the outbox, the thread and the correspondence now hold.
    let rows = rows(&mut conn);
    assert!(
        rows.iter()
            .all(|row| row.state == "sent" && row.attempts == 1)
    );
    let sent_ids: HashSet<String> = rows.iter().filter_map(|r| r.message_id.clone()).collect();
    let arrived_ids: HashSet<String> = received.iter().map(ReceivedMail::message_id).collect();
    assert_eq!(sent_ids, arrived_ids);
    assert!(
        rows.iter()
            .all(|r| r.recipient.as_deref() == Some("amal.haddad@example.org"))
    );
    let thread: HashSet<String> = submission_thread_ids::table
        .filter(submission_thread_ids::submission_id.eq(id))
        .select(submission_thread_ids::message_id)
        .load(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert!(thread.is_superset(&sent_ids), "{thread:?}");
    let outbound: Vec<(Option<String>, String)> = correspondence::table
        .filter(correspondence::submission_id.eq(id))
        .filter(correspondence::direction.eq("outbound"))
        .select((correspondence::subject, correspondence::body_text))
        .load(&mut conn)
        .unwrap();
    assert_eq!(outbound.len(), 5);
    assert!(
        outbound
            .iter()
            .any(|(_, body)| body.contains("We ran a similar piece."))
    );
}

#[test]
fn an_arabic_title_and_author_survive_the_headers() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "03-arabic-1256.eml");
    clear_outbox(&mut conn);
    let stored = submission(&mut conn, id);
    assert_eq!(stored.title, "مستقبل الانتخابات في ليبيا");
    enqueue_email(&mut conn, id, "approved", Some("مبروك")).unwrap();

    let sink = SmtpSink::start();
    let mailer = Mailer::smtp(&sink.url()).unwrap();
    worker::drain(&mut conn, &mailer, &composer(), Utc::now()).unwrap();
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    // Every header line is ASCII on the wire (RFC 2047 encoded words)…
    let head_end = mail.data.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    assert!(mail.data[..head_end].is_ascii());
    // …and decodes back to the original words.
    assert_eq!(
        subject(mail),
        format!(
            "[{}] Accepted for publication: مستقبل الانتخابات في ليبيا",
            stored.reference
        )
    );
    let parsed = mail.parsed();
    let to = parsed.to().unwrap().first().unwrap();
    assert_eq!(to.name(), Some("خالد المبروك"));
    assert_eq!(to.address(), Some("khaled@example.ly"));
    let text = body(mail);
    assert!(text.contains("Dear خالد المبروك,"), "{text}");
    assert!(text.contains("مبروك"));
    assert_eq!(
        parsed.in_reply_to().as_text(),
        Some("p03.khaled@example.ly")
    );
}

#[test]
fn the_acknowledgement_waits_out_an_smtp_outage_and_goes_out_once() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    let now = Utc::now() + chrono::Duration::seconds(1);
    // Intake queued the acknowledgement in the transaction that stored the submission.
    let queued = rows(&mut conn);
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].topic, "acknowledgement");
    assert_eq!(
        queued[0].recipient.as_deref(),
        Some("amal.haddad@example.org")
    );
    let _ = id;

    let sink = SmtpSink::start();
    sink.set_down(true);
    let mailer = Mailer::smtp(&sink.url()).unwrap();
    let composer = composer();
    let outcome = worker::run_once(&mut conn, &mailer, &composer, now)
        .unwrap()
        .unwrap();
    let JobOutcome::Retry {
        attempts,
        next_attempt_at,
        ..
    } = outcome
    else {
        panic!("expected a retry, got {outcome:?}");
    };
    assert_eq!(attempts, 1);
    // 30 s ± 20 %.
    let wait = (next_attempt_at - now).num_seconds();
    assert!((23..=37).contains(&wait), "{wait}");
    let row = &rows(&mut conn)[0];
    assert_eq!(row.state, "pending");
    assert_eq!(row.attempts, 1);
    assert!(
        row.last_error.as_deref().unwrap().contains("421"),
        "{row:?}"
    );
    assert!(row.next_attempt_at > now);

    // Not due yet: nothing is tried, even though the server is back.
    sink.set_down(false);
    assert_eq!(
        worker::run_once(&mut conn, &mailer, &composer, now).unwrap(),
        None
    );
    assert!(sink.received().is_empty());

    // Due again: it goes out, once.
    let later = now + chrono::Duration::minutes(5);
    let outcomes = worker::drain(&mut conn, &mailer, &composer, later).unwrap();
    assert!(
        matches!(outcomes[..], [JobOutcome::Sent { .. }]),
        "{outcomes:?}"
    );
    assert!(
        worker::drain(
            &mut conn,
            &mailer,
            &composer,
            later + chrono::Duration::hours(7)
        )
        .unwrap()
        .is_empty()
    );
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let ack = &received[0];
    assert_eq!(
        header(ack, "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert!(subject(ack).contains("Received, thank you"));
    assert_eq!(
        ack.parsed().in_reply_to().as_text(),
        Some("p01.amal@example.org")
    );
    let row = &rows(&mut conn)[0];
    assert_eq!((row.state.as_str(), row.attempts), ("sent", 2));
}

#[test]
fn a_job_past_the_attempt_limit_is_dead_with_its_last_error() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    clear_outbox(&mut conn);
    enqueue_email(&mut conn, id, "approved", None).unwrap();
    diesel::update(outbox::table)
        .set(outbox::attempts.eq(MAX_ATTEMPTS - 1))
        .execute(&mut conn)
        .unwrap();

    let sink = SmtpSink::start();
    sink.set_down(true);
    let mailer = Mailer::smtp(&sink.url()).unwrap();
    let now = Utc::now();
    let outcome = worker::run_once(&mut conn, &mailer, &composer(), now).unwrap();
    assert!(
        matches!(outcome, Some(JobOutcome::Dead { .. })),
        "{outcome:?}"
    );
    let row = &rows(&mut conn)[0];
    assert_eq!(row.state, "dead");
    assert_eq!(row.attempts, MAX_ATTEMPTS);
    assert!(row.last_error.as_deref().unwrap().contains("421"));

    // Dead stays dead, whatever the time and the server.
    sink.set_down(false);
    let outcomes = worker::drain(
        &mut conn,
        &mailer,
        &composer(),
        now + chrono::Duration::days(2),
    )
    .unwrap();
    assert!(outcomes.is_empty());
    assert!(sink.received().is_empty());
}

#[test]
fn jobs_that_can_never_be_sent_die_and_webhooks_are_left_alone() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    clear_outbox(&mut conn);
    enqueue_webhook(
        &mut conn,
        id,
        oped::domain::WebhookEvent::Published,
        &common::site(),
        Utc::now(),
    )
    .unwrap();
    // A job whose submission was deleted (the foreign key is set to NULL).
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq("email"),
            outbox::topic.eq("approved"),
            outbox::payload.eq(serde_json::json!({"template": "approved"})),
        ))
        .execute(&mut conn)
        .unwrap();

    let sink = SmtpSink::start();
    let mailer = Mailer::smtp(&sink.url()).unwrap();
    let outcomes = worker::drain(&mut conn, &mailer, &composer(), Utc::now()).unwrap();
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    let rows = rows(&mut conn);
    assert_eq!(rows[0].topic, "opinion.published");
    assert_eq!((rows[0].state.as_str(), rows[0].attempts), ("pending", 0));
    assert_eq!(rows[1].state, "dead");
    assert!(
        rows[1]
            .last_error
            .as_deref()
            .unwrap()
            .contains("no longer exists")
    );
    assert!(sink.received().is_empty());
}

fn limits(per_sender_per_hour: u32, total_per_hour: u32) -> AcknowledgementLimits {
    AcknowledgementLimits {
        per_sender_per_hour,
        total_per_hour,
    }
}

#[test]
fn all_senders_together_get_at_most_the_desk_wide_limit_per_hour() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    clear_outbox(&mut conn);
    let now = Utc::now();
    let queued: Vec<bool> = (0..7)
        .map(|n| {
            let to = format!("sender{n}@example.org");
            enqueue_acknowledgement(&mut conn, id, &to, "test-token", limits(3, 5), now).unwrap()
        })
        .collect();
    assert_eq!(queued, [true, true, true, true, true, false, false]);
    let later = now + chrono::Duration::minutes(61);
    assert!(
        enqueue_acknowledgement(
            &mut conn,
            id,
            "sender6@example.org",
            "test-token",
            limits(3, 5),
            later
        )
        .unwrap()
    );
}

#[test]
fn a_sender_gets_at_most_the_limit_of_acknowledgements_per_hour() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    clear_outbox(&mut conn);
    let now = Utc::now();
    let queued: Vec<bool> = [
        "a@example.org",
        "A@Example.org",
        "a@example.org",
        "a@example.org",
    ]
    .into_iter()
    .map(|to| {
        enqueue_acknowledgement(&mut conn, id, to, "test-token", limits(3, 100), now).unwrap()
    })
    .collect();
    assert_eq!(queued, [true, true, true, false]);
    // Another sender is counted apart; an hour later the first one again.
    assert!(
        enqueue_acknowledgement(
            &mut conn,
            id,
            "b@example.org",
            "test-token",
            limits(3, 100),
            now
        )
        .unwrap()
    );
    let later = now + chrono::Duration::minutes(61);
    assert!(
        enqueue_acknowledgement(
            &mut conn,
            id,
            "a@example.org",
            "test-token",
            limits(3, 100),
            later
        )
        .unwrap()
    );
    assert!(
        !enqueue_acknowledgement(
            &mut conn,
            id,
            "c@example.org",
            "test-token",
            limits(0, 100),
            now
        )
        .unwrap()
    );

    let sink = SmtpSink::start();
    let mailer = Mailer::smtp(&sink.url()).unwrap();
    worker::drain(&mut conn, &mailer, &composer(), later).unwrap();
    let received = sink.received();
    let to_a = received
        .iter()
        .filter(|mail| mail.rcpt_to == ["a@example.org"])
        .count();
    assert_eq!(to_a, 4);
    assert_eq!(received.len(), 5);
}

#[test]
fn two_worker_processes_deliver_500_emails_exactly_once() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    clear_outbox(&mut conn);
    diesel::sql_query(format!(
        "INSERT INTO outbox (kind, topic, submission_id, payload) \
         SELECT 'email', 'approved', {id}, '{{\"template\": \"approved\"}}' \
         FROM generate_series(1, 500)"
    ))
    .execute(&mut conn)
    .unwrap();

    let sink = SmtpSink::start();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            common::oped_command(&db.url)
                .args(["worker", "--exit-when-idle"])
                .env("OPED_SMTP_URL", sink.url())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in workers {
        assert!(child.wait().unwrap().success());
    }

    let received = sink.received();
    let ids: HashSet<String> = received.iter().map(ReceivedMail::message_id).collect();
    assert_eq!(received.len(), 500);
    assert_eq!(ids.len(), 500);
    let rows = rows(&mut conn);
    assert!(
        rows.iter()
            .all(|row| row.state == "sent" && row.attempts == 1)
    );
    let sent: HashSet<String> = rows.into_iter().filter_map(|r| r.message_id).collect();
    assert_eq!(sent, ids);
}

#[test]
fn without_an_smtp_url_email_is_written_as_eml_files() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    clear_outbox(&mut conn);
    enqueue_email(&mut conn, id, "rejected", Some("Not this time.")).unwrap();
    let data_dir = tempfile::tempdir().unwrap();

    let status = common::oped_command(&db.url)
        .args(["worker", "--exit-when-idle"])
        .env("OPED_DATA_DIR", data_dir.path())
        .status()
        .unwrap();
    assert!(status.success());

    let files: Vec<_> = std::fs::read_dir(data_dir.path().join("mail"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read(&files[0]).unwrap();
    let mail = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(mail.subject().unwrap().contains("Our decision"));
    assert!(mail.body_text(0).unwrap().contains("Not this time."));
    assert_eq!(mail.in_reply_to().as_text(), Some("p01.amal@example.org"));
    assert_eq!(rows(&mut conn)[0].state, "sent");
}

#[test]
fn a_stopped_worker_process_exits_cleanly_between_jobs() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    clear_outbox(&mut conn);
    enqueue_email(&mut conn, id, "approved", None).unwrap();

    let sink = SmtpSink::start();
    let mut child = common::oped_command(&db.url)
        .arg("worker")
        .env("OPED_SMTP_URL", sink.url())
        .spawn()
        .unwrap();
    assert_eq!(sink.wait_for(1, Duration::from_secs(10)).len(), 1);
    let status = common::serve::terminate(&mut child);
    assert!(status.success(), "{status:?}");
    assert_eq!(rows(&mut conn)[0].state, "sent");
}

#[test]
fn serve_delivers_email_unless_told_not_to() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let id = common::ingest_submission(&mut conn, "01-plain.eml");
    clear_outbox(&mut conn);
    enqueue_email(&mut conn, id, "approved", None).unwrap();
    let sink = SmtpSink::start();

    // An API-only replica leaves the email to the workers: up and ready,
    // it started none (the workers say they are ready before the server
    // listens), and it stops with the email still queued.
    let api_only = common::Serve::logged(
        &db.url,
        &["--no-workers"],
        &[("OPED_SMTP_URL", sink.url().as_str())],
    );
    let log = api_only.log_once("listening");
    assert!(!log.contains("workers ready"), "{log}");
    assert!(api_only.stop().success());
    assert!(sink.received().is_empty());
    assert_eq!(rows(&mut conn)[0].state, "pending");

    let serve = common::Serve::start(&db.url, &[("OPED_SMTP_URL", sink.url().as_str())]);
    assert_eq!(sink.wait_for(1, Duration::from_secs(15)).len(), 1);
    assert!(serve.stop().success());
    assert_eq!(rows(&mut conn)[0].state, "sent");
    assert_eq!(sink.received().len(), 1);
}

#[test]
fn only_new_submissions_are_acknowledged_and_a_reply_to_the_acknowledgement_attaches() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let mut files: Vec<String> = std::fs::read_dir(common::corpus_dir())
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".eml"))
        .collect();
    files.sort();
    let mut submissions_made = 0;
    for file in &files {
        let report = oped::intake::ingest(
            &mut conn,
            &common::corpus_file(file),
            &common::intake_config(),
        )
        .unwrap();
        if report.outcome == oped::intake::Outcome::Submission {
            submissions_made += 1;
        }
    }
    let sink = SmtpSink::start();
    let mailer = Mailer::smtp(&sink.url()).unwrap();
    worker::drain(
        &mut conn,
        &mailer,
        &composer(),
        Utc::now() + chrono::Duration::seconds(1),
    )
    .unwrap();
    let received = sink.received();
    assert_eq!(
        received.len(),
        submissions_made,
        "one acknowledgement per new submission, none for the rest"
    );
    let recipients: HashSet<String> = received
        .iter()
        .flat_map(|mail| mail.rcpt_to.clone())
        .collect();
    for silent in [
        "reader@example.com",
        "digest@news.example.com",
        "mailer-daemon@mx.example.net",
    ] {
        assert!(!recipients.contains(silent), "{silent} got mail");
    }

    // Amal answers the acknowledgement: her client drops the [OE-…] tag from
    // the subject, she writes above the quote, and the quote header is Arabic.
    let ack = received
        .iter()
        .find(|mail| {
            mail.rcpt_to
                .contains(&"amal.haddad@example.org".to_string())
        })
        .expect("Amal was acknowledged");
    let ack_id = ack.message_id();
    assert_eq!(
        header(ack, "In-Reply-To").as_deref(),
        Some("<p01.amal@example.org>")
    );
    assert!(subject(ack).contains("[OE-"), "{}", subject(ack));
    let reply = format!(
        "From: Amal Haddad <amal.haddad@example.org>\r\nSubject: Re: Received, thank you: Why Libya needs a unified budget\r\n\
         Message-ID: <ack-reply@example.org>\r\nIn-Reply-To: <{ack_id}>\r\nReferences: <p01.amal@example.org> <{ack_id}>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThank you! One correction to follow.\r\n\r\n\
         في 24 نوفمبر 2026، كتب Op-Ed Desk:\r\n> Received, thank you\r\n"
    );
    let report =
        oped::intake::ingest(&mut conn, reply.as_bytes(), &common::intake_config()).unwrap();
    assert_eq!(report.outcome, oped::intake::Outcome::Reply);
    assert_eq!(
        report.title.as_deref(),
        Some("Why Libya needs a unified budget")
    );

    let stranger = format!(
        "From: someone@else.example\r\nSubject: Re: Received, thank you: Why Libya needs a unified budget\r\nMessage-ID: <stranger@else.example>\r\n\
         In-Reply-To: <{ack_id}>\r\n\r\nNot mine.\r\n"
    );
    let report =
        oped::intake::ingest(&mut conn, stranger.as_bytes(), &common::intake_config()).unwrap();
    assert_eq!(
        report.outcome,
        oped::intake::Outcome::Unmatched,
        "a reply from another address does not attach"
    );
}

/// A title that names the marker ("my op-ed") does not carry it into our
/// subject: a colleague's "Re:" to the acknowledgement, copied to the desk,
/// is not filed as a new submission.
#[test]
fn a_reply_to_our_acknowledgement_is_never_a_new_submission() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let piece = String::from_utf8(common::corpus_file("01-plain.eml"))
        .unwrap()
        .replace(
            "Subject: Op-Ed: Why Libya needs a unified budget",
            "Subject: Op-Ed: My op-ed on why Libya needs a unified budget",
        );
    let report =
        oped::intake::ingest(&mut conn, piece.as_bytes(), &common::intake_config()).unwrap();
    assert_eq!(report.outcome, oped::intake::Outcome::Submission);
    assert_eq!(
        report.title.as_deref(),
        Some("My op-ed on why Libya needs a unified budget")
    );

    let sink = SmtpSink::start();
    let mailer = Mailer::smtp(&sink.url()).unwrap();
    let now = Utc::now() + chrono::Duration::seconds(1);
    worker::drain(&mut conn, &mailer, &composer(), now).unwrap();
    let received = sink.received();
    let [ack] = &received[..] else {
        panic!("one acknowledgement, got {}", received.len());
    };
    let ack_subject = subject(ack);
    assert!(
        ack_subject
            .ends_with("Received, thank you: My opinion piece on why Libya needs a unified budget"),
        "{ack_subject}"
    );
    assert!(
        !oped::intake::subject::has_marker(&ack_subject),
        "{ack_subject}"
    );

    let colleague = format!(
        "From: Sami Colleague <sami@example.org>\r\nTo: Op-Ed Desk <oped@example.net>\r\n\
         Subject: Re: {ack_subject}\r\nMessage-ID: <colleague-reply@example.org>\r\n\
         In-Reply-To: <{}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Congratulations, Amal!\r\n",
        ack.message_id()
    );
    let report =
        oped::intake::ingest(&mut conn, colleague.as_bytes(), &common::intake_config()).unwrap();
    assert_ne!(report.outcome, oped::intake::Outcome::Submission);
    let pieces: i64 = submissions::table.count().get_result(&mut conn).unwrap();
    assert_eq!(pieces, 1);
}
