//! Publishing's background jobs end to end: transitions and the scheduler
//! queue webhooks (and emails) in the outbox; the webhook worker delivers
//! them, signed, to a real HTTP receiver started here that verifies the
//! signature as the site would. Time moves by passing `now`, not by sleeping.
//!
//! reqwest's blocking client (inside `WebhookSender::http`) is only made and
//! dropped on plain threads: plain `#[test]`s, or a thread spawned for it.

use crate::common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use oped::auth::{Actor, Role};
use oped::db::models::Submission;
use oped::email::{Composer, Mailer, Templates};
use oped::outbox::JobOutcome;
use oped::outbox::webhook::{self, WebhookSender};
use oped::schema::{outbox, submission_history, submissions, users};
use oped::secret::Secret;
use oped::submissions::edit::{SubmissionPatch, validate};
use oped::workflow::scheduler::publish_due;
use oped::workflow::service::{Initiator, apply};
use oped::workflow::{Action, State, TransitionRequest};
use serde_json::{Value, json};

use common::TestDb;
use common::receiver::{WebhookReceiver, refused_url};

/// Shared with the receiver; strong enough for `OPED_WEBHOOK_SECRET`.
const SECRET: &str = "whsec-T3st-Kq8Zr2Lw9Xv4Nb7Hm1Fd6Sc0Gj5Yp";
const AUTHOR_EMAIL: &str = "amal.haddad@example.org";
const TITLE: &str = "Why Libya needs a unified budget";
const SLUG: &str = "why-libya-needs-a-unified-budget";

fn opinion_url(slug: &str) -> String {
    format!("{}/opinion/{slug}", common::SITE_URL)
}

fn http_sender(url: &str) -> WebhookSender {
    WebhookSender::http(url.parse().unwrap(), Secret::new(SECRET.to_string())).unwrap()
}

/// A publisher account (no password: these tests act through `apply`).
fn publisher(conn: &mut PgConnection) -> Actor {
    let n: i64 = users::table.count().get_result(conn).unwrap();
    let user_id = diesel::insert_into(users::table)
        .values((
            users::email.eq(format!("publisher{n}@desk.example")),
            users::name.eq(format!("Publisher {n}")),
            users::role.eq(Role::Publisher.as_str()),
            users::password_hash
                .eq("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
        ))
        .returning(users::id)
        .get_result(conn)
        .unwrap();
    Actor {
        user_id,
        role: Role::Publisher,
    }
}

fn act(
    conn: &mut PgConnection,
    id: i64,
    actor: Actor,
    action: Action,
    request: TransitionRequest,
    now: DateTime<Utc>,
) -> Submission {
    apply(
        conn,
        id,
        None,
        action,
        request,
        Initiator::User(actor),
        &common::site(),
        now,
    )
    .unwrap_or_else(|err| panic!("{action}: {err}"))
    .row
}

fn approve(conn: &mut PgConnection, id: i64, actor: Actor, now: DateTime<Utc>) {
    act(
        conn,
        id,
        actor,
        Action::StartReview,
        Default::default(),
        now,
    );
    act(conn, id, actor, Action::Approve, Default::default(), now);
}

/// The note a publisher gives for a piece whose author has not confirmed
/// exclusivity (none of these pieces has an answer).
fn exclusivity_note() -> Option<String> {
    Some("The author confirmed exclusivity by phone.".into())
}

fn publish(conn: &mut PgConnection, id: i64, actor: Actor, now: DateTime<Utc>) -> Submission {
    let request = TransitionRequest {
        note: exclusivity_note(),
        ..Default::default()
    };
    act(conn, id, actor, Action::Publish, request, now)
}

fn schedule(conn: &mut PgConnection, id: i64, actor: Actor, at: DateTime<Utc>, now: DateTime<Utc>) {
    let request = TransitionRequest {
        publish_at: Some(at),
        note: exclusivity_note(),
        ..Default::default()
    };
    let row = act(conn, id, actor, Action::Schedule, request, now);
    assert_eq!(row.state, State::Scheduled);
}

/// A submission from the plain corpus mail, approved by `actor`, with the
/// outbox emptied of its acknowledgement and `approved` email.
fn approved_piece(conn: &mut PgConnection, actor: Actor, now: DateTime<Utc>) -> i64 {
    let id = common::ingest_submission(conn, "01-plain.eml");
    approve(conn, id, actor, now);
    clear_outbox(conn);
    id
}

fn clear_outbox(conn: &mut PgConnection) {
    diesel::delete(outbox::table).execute(conn).unwrap();
}

fn submission(conn: &mut PgConnection, id: i64) -> Submission {
    submissions::table
        .find(id)
        .select(Submission::as_select())
        .first(conn)
        .unwrap()
}

#[derive(Debug, Clone, Queryable)]
struct Job {
    id: i64,
    kind: String,
    topic: String,
    submission_id: Option<i64>,
    payload: Value,
    state: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    sent_at: Option<DateTime<Utc>>,
}

fn jobs(conn: &mut PgConnection) -> Vec<Job> {
    outbox::table
        .order(outbox::id)
        .select((
            outbox::id,
            outbox::kind,
            outbox::topic,
            outbox::submission_id,
            outbox::payload,
            outbox::state,
            outbox::attempts,
            outbox::next_attempt_at,
            outbox::last_error,
            outbox::sent_at,
        ))
        .load(conn)
        .unwrap()
}

fn jobs_of(conn: &mut PgConnection, kind: &str, topic: &str) -> Vec<Job> {
    jobs(conn)
        .into_iter()
        .filter(|job| job.kind == kind && job.topic == topic)
        .collect()
}

/// The one job of `kind` and `topic`; panics unless there is exactly one.
fn the_job(conn: &mut PgConnection, kind: &str, topic: &str) -> Job {
    let found = jobs_of(conn, kind, topic);
    assert_eq!(found.len(), 1, "{kind} {topic}: {found:#?}");
    found.into_iter().next().unwrap()
}

/// `(actor_id)` of each history row of `action` on `id`.
fn history_actors(conn: &mut PgConnection, id: i64, action: &str) -> Vec<Option<i64>> {
    submission_history::table
        .filter(submission_history::submission_id.eq(id))
        .filter(submission_history::action.eq(action))
        .select(submission_history::actor_id)
        .load(conn)
        .unwrap()
}

fn assert_private(body: &[u8]) {
    let text = String::from_utf8_lossy(body).to_lowercase();
    assert!(!text.contains(AUTHOR_EMAIL), "the author's address: {text}");
    assert!(!text.contains("author_email"), "{text}");
}

fn assert_wait_between(from: DateTime<Utc>, to: DateTime<Utc>, seconds: i64) {
    // The backoff's base, spread by ±20 %.
    let wait = (to - from).num_milliseconds();
    let (low, high) = (seconds * 800, seconds * 1200);
    assert!(
        (low..=high).contains(&wait),
        "waited {wait} ms, expected {seconds} s ± 20 %"
    );
}

#[test]
fn a_published_piece_reaches_the_site_once_signed_and_without_the_authors_address() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let actor = publisher(&mut conn);
    let now = Utc::now();
    let id = approved_piece(&mut conn, actor, now);
    let row = publish(&mut conn, id, actor, now);
    assert_eq!(row.state, State::Published);
    assert_eq!(row.slug.as_deref(), Some(SLUG));

    let receiver = WebhookReceiver::start(SECRET);
    let sender = http_sender(&receiver.url());
    let outcomes = webhook::drain(&mut conn, &sender, now).unwrap();
    let hook = the_job(&mut conn, "webhook", "opinion.published");
    assert_eq!(
        outcomes,
        [JobOutcome::Sent {
            job_id: hook.id,
            receipt: "HTTP 204".into()
        }]
    );

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert!(request.verified(), "{:?}", request.signature);
    assert_eq!(request.status, 204);
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/hooks/oped?source=desk");
    assert_eq!(request.header("Oped-Event"), Some("opinion.published"));
    assert_eq!(
        request.header("Oped-Delivery"),
        Some(hook.id.to_string().as_str())
    );
    assert_eq!(request.header("Content-Type"), Some("application/json"));

    let body = request.json();
    assert_eq!(body, hook.payload, "the stored payload is what is sent");
    assert_eq!(body["event"], "opinion.published");
    assert!(body["occurred_at"].is_string(), "{body}");
    let opinion = &body["opinion"];
    assert_eq!(opinion["slug"], SLUG);
    assert_eq!(opinion["title"], TITLE);
    assert_eq!(opinion["url"], opinion_url(SLUG));
    let html = opinion["body_html"].as_str().unwrap();
    assert!(
        html.starts_with("<p>") && html.contains("central bank"),
        "{html}"
    );
    assert_eq!(opinion["author"]["name"], "Amal Haddad");
    assert!(opinion["published_at"].is_string(), "{opinion}");
    assert_private(&request.body);

    let hook = the_job(&mut conn, "webhook", "opinion.published");
    assert_eq!((hook.state.as_str(), hook.attempts), ("sent", 1));
    assert!(hook.sent_at.is_some());
    assert_eq!(hook.submission_id, Some(id));
    // The author's email is the email worker's: still waiting.
    assert_eq!(the_job(&mut conn, "email", "published").state, "pending");

    // Delivered once: nothing is due any more, at any time.
    assert!(
        webhook::drain(&mut conn, &sender, now + Duration::days(2))
            .unwrap()
            .is_empty()
    );
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn a_receiver_that_fails_three_times_gets_the_same_signed_event_on_the_fourth() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let actor = publisher(&mut conn);
    let now = Utc::now();
    let id = approved_piece(&mut conn, actor, now);
    publish(&mut conn, id, actor, now);
    let hook_id = the_job(&mut conn, "webhook", "opinion.published").id;

    let receiver = WebhookReceiver::start(SECRET);
    receiver.fail_next(3);
    let sender = http_sender(&receiver.url());

    let mut clock = now;
    for (attempt, base_seconds) in [(1, 30), (2, 60), (3, 120)] {
        let outcome = webhook::run_once(&mut conn, &sender, clock).unwrap();
        let Some(JobOutcome::Retry {
            job_id,
            attempts,
            next_attempt_at,
            error,
        }) = outcome
        else {
            panic!("attempt {attempt}: expected a retry, got {outcome:?}");
        };
        assert_eq!((job_id, attempts), (hook_id, attempt));
        assert!(error.contains("500"), "{error}");
        assert_wait_between(clock, next_attempt_at, base_seconds);
        // Not due before its time.
        assert_eq!(webhook::run_once(&mut conn, &sender, clock).unwrap(), None);
        assert_eq!(
            webhook::run_once(
                &mut conn,
                &sender,
                next_attempt_at - Duration::milliseconds(1)
            )
            .unwrap(),
            None
        );
        let row = the_job(&mut conn, "webhook", "opinion.published");
        assert_eq!((row.state.as_str(), row.attempts), ("pending", attempt));
        // Stored to the microsecond.
        let stored = (row.next_attempt_at - next_attempt_at).num_microseconds();
        assert!(stored.is_some_and(|us| us.abs() <= 1), "{row:?}");
        assert!(
            row.last_error.as_deref().unwrap().contains("500"),
            "{row:?}"
        );
        clock = next_attempt_at + Duration::seconds(1);
    }
    let outcome = webhook::run_once(&mut conn, &sender, clock).unwrap();
    assert_eq!(
        outcome,
        Some(JobOutcome::Sent {
            job_id: hook_id,
            receipt: "HTTP 204".into()
        })
    );

    let requests = receiver.requests();
    assert_eq!(requests.len(), 4, "{requests:#?}");
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 500, 204]);
    for request in &requests {
        assert!(request.verified(), "{:?}", request.signature);
        assert_eq!(
            request.body, requests[0].body,
            "every retry sends the same bytes"
        );
        assert_eq!(
            request.header("Oped-Delivery"),
            Some(hook_id.to_string().as_str())
        );
        assert_eq!(request.header("Oped-Event"), Some("opinion.published"));
    }
    let row = the_job(&mut conn, "webhook", "opinion.published");
    assert_eq!((row.state.as_str(), row.attempts), ("sent", 4));
    assert!(
        webhook::drain(&mut conn, &sender, clock + Duration::days(1))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_dead_receiver_never_blocks_publishing_nor_the_authors_email() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let actor = publisher(&mut conn);
    let now = Utc::now();
    let id = approved_piece(&mut conn, actor, now);
    let token = "s3cr3t-t0ken-in-the-url";
    let refused = format!("{}?token={token}", refused_url());
    let sender = http_sender(&refused);

    // Publishing does not wait for the site.
    let row = publish(&mut conn, id, actor, now);
    assert_eq!(row.state, State::Published);
    let published_at = row.published_at.expect("a publication date");
    assert!((published_at - now).num_milliseconds().abs() < 1);

    let outcome = webhook::run_once(&mut conn, &sender, now).unwrap();
    assert!(
        matches!(outcome, Some(JobOutcome::Retry { attempts: 1, .. })),
        "{outcome:?}"
    );
    let hook = the_job(&mut conn, "webhook", "opinion.published");
    assert_eq!((hook.state.as_str(), hook.attempts), ("pending", 1));
    let error = hook.last_error.clone().unwrap_or_default();
    assert!(!error.trim().is_empty(), "{hook:?}");
    assert!(!error.contains(token), "the URL's token leaked: {error}");
    assert!(hook.next_attempt_at > now);

    // The email goes out on its own.
    let mail_dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::files(mail_dir.path()).unwrap();
    let composer = Composer::new(
        Templates::built_in(),
        "Op-Ed Desk <oped@desk.example>".parse().unwrap(),
        "desk.example",
        common::SITE_URL,
    );
    // Email rows are stamped by the database clock, a moment after `now`.
    let soon = Utc::now() + Duration::seconds(1);
    let outcomes = oped::outbox::worker::drain(&mut conn, &mailer, &composer, soon).unwrap();
    assert!(
        matches!(outcomes[..], [JobOutcome::Sent { .. }]),
        "{outcomes:?}"
    );
    assert_eq!(the_job(&mut conn, "email", "published").state, "sent");
    let files: Vec<_> = std::fs::read_dir(mail_dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read(&files[0]).unwrap();
    let mail = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(mail.subject().unwrap().contains("Published"));
    assert!(mail.body_text(0).unwrap().contains(&opinion_url(SLUG)));
    // …while the webhook still waits for the site.
    let hook = the_job(&mut conn, "webhook", "opinion.published");
    assert_eq!((hook.state.as_str(), hook.attempts), ("pending", 1));

    // A site that hangs up without answering is a failure too; once it
    // answers again, the event arrives.
    let receiver = WebhookReceiver::start(SECRET);
    receiver.set_dead(true);
    let sender = http_sender(&receiver.url());
    let later = hook.next_attempt_at + Duration::seconds(1);
    let outcome = webhook::run_once(&mut conn, &sender, later).unwrap();
    assert!(
        matches!(outcome, Some(JobOutcome::Retry { attempts: 2, .. })),
        "{outcome:?}"
    );
    assert!(receiver.requests().is_empty());
    receiver.set_dead(false);
    let hook = the_job(&mut conn, "webhook", "opinion.published");
    let outcome = webhook::run_once(&mut conn, &sender, hook.next_attempt_at).unwrap();
    assert!(
        matches!(outcome, Some(JobOutcome::Sent { .. })),
        "{outcome:?}"
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].verified());
    let hook = the_job(&mut conn, "webhook", "opinion.published");
    assert_eq!((hook.state.as_str(), hook.attempts), ("sent", 3));
}

#[test]
fn edits_and_unpublishing_tell_the_site_in_order_with_the_public_representation() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let actor = publisher(&mut conn);
    let id = approved_piece(&mut conn, actor, Utc::now());
    publish(&mut conn, id, actor, Utc::now());

    // An edit of the published piece.
    let version = submission(&mut conn, id).version;
    let edit = validate(SubmissionPatch {
        title: Some("Libya needs one budget, now".into()),
        body_text: Some("A shorter text.\n\nWith a second paragraph.".into()),
        ..Default::default()
    })
    .unwrap();
    oped::submissions::store::edit(&mut conn, id, version, &edit, actor, &common::site()).unwrap();
    // Retracted.
    let unpublish = TransitionRequest {
        note: Some("Retracted at the author's request.".into()),
        ..Default::default()
    };
    let row = act(
        &mut conn,
        id,
        actor,
        Action::Unpublish,
        unpublish,
        Utc::now(),
    );
    assert_eq!(row.state, State::Approved);
    // Edits of a piece that is not published tell the site nothing.
    let edit = validate(SubmissionPatch {
        title: Some("A title the site never sees".into()),
        ..Default::default()
    })
    .unwrap();
    oped::submissions::store::edit(&mut conn, id, row.version, &edit, actor, &common::site())
        .unwrap();

    let hooks: Vec<Job> = jobs(&mut conn)
        .into_iter()
        .filter(|job| job.kind == "webhook")
        .collect();
    let topics: Vec<&str> = hooks.iter().map(|job| job.topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "opinion.published",
            "opinion.updated",
            "opinion.unpublished"
        ]
    );

    let receiver = WebhookReceiver::start(SECRET);
    let sender = http_sender(&receiver.url());
    let outcomes = webhook::drain(&mut conn, &sender, Utc::now() + Duration::seconds(1)).unwrap();
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    let requests = receiver.requests();
    let delivered: Vec<(String, String)> = requests
        .iter()
        .map(|r| {
            (
                r.header("Oped-Event").unwrap_or_default().to_string(),
                r.header("Oped-Delivery").unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = hooks
        .iter()
        .map(|job| (job.topic.clone(), job.id.to_string()))
        .collect();
    assert_eq!(delivered, expected, "delivered in the order they were made");
    for request in &requests {
        assert!(request.verified(), "{:?}", request.signature);
        assert_eq!(
            request.json()["event"],
            request.header("Oped-Event").unwrap()
        );
        assert_private(&request.body);
    }

    let updated = requests[1].json();
    assert_eq!(updated["opinion"]["title"], "Libya needs one budget, now");
    assert_eq!(updated["opinion"]["slug"], SLUG, "a published slug stays");
    assert_eq!(updated["opinion"]["url"], opinion_url(SLUG));
    let html = updated["opinion"]["body_html"].as_str().unwrap();
    assert!(html.contains("With a second paragraph."), "{html}");
    assert!(!html.contains("central bank"), "{html}");

    let unpublished = requests[2].json();
    assert_eq!(unpublished["opinion"]["slug"], SLUG);
    assert_eq!(
        unpublished["opinion"]["title"],
        "Libya needs one budget, now"
    );
    assert_eq!(
        unpublished["opinion"]["published_at"],
        requests[0].json()["opinion"]["published_at"],
        "the first publication date stays"
    );
    assert!(
        jobs(&mut conn)
            .iter()
            .filter(|job| job.kind == "webhook")
            .all(|job| job.state == "sent")
    );
}

#[test]
fn a_retried_publish_never_overtakes_the_unpublish_that_followed_it() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let actor = publisher(&mut conn);
    let now = Utc::now();
    let id = approved_piece(&mut conn, actor, now);
    // Another piece's event is not held back by this one.
    let other = common::ingest_submission(&mut conn, "09-en-dash.eml");
    approve(&mut conn, other, actor, now);
    clear_outbox(&mut conn);
    publish(&mut conn, id, actor, now);
    let receiver = WebhookReceiver::start(SECRET);
    let sender = http_sender(&receiver.url());
    receiver.fail_next(1);
    let outcome = webhook::run_once(&mut conn, &sender, now).unwrap();
    assert!(
        matches!(outcome, Some(JobOutcome::Retry { .. })),
        "{outcome:?}"
    );

    // Taken down while the site still has not heard it was put up.
    let unpublish = TransitionRequest {
        note: Some("Legal complaint.".into()),
        ..Default::default()
    };
    act(&mut conn, id, actor, Action::Unpublish, unpublish, now);
    publish(&mut conn, other, actor, now);
    let outcomes = webhook::drain(&mut conn, &sender, now + Duration::seconds(1)).unwrap();
    assert_eq!(
        outcomes.len(),
        1,
        "only the other piece's event: {outcomes:?}"
    );
    assert_eq!(
        the_job(&mut conn, "webhook", "opinion.unpublished").state,
        "pending",
        "the unpublish waits for the publish before it"
    );

    let later = now + Duration::minutes(5);
    let outcomes = webhook::drain(&mut conn, &sender, later).unwrap();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    let events: Vec<String> = receiver
        .requests()
        .iter()
        .filter(|request| request.json()["opinion"]["slug"] == SLUG)
        .map(|request| request.header("Oped-Event").unwrap().to_string())
        .collect();
    assert_eq!(
        events,
        [
            "opinion.published",
            "opinion.published",
            "opinion.unpublished"
        ],
        "the site's last word on the piece is the unpublish"
    );
}

#[test]
fn the_scheduler_publishes_on_time_exactly_once_when_two_race() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let actor = publisher(&mut conn);
    let now = Utc::now();
    let id = approved_piece(&mut conn, actor, now);
    let at = now + Duration::hours(1);
    schedule(&mut conn, id, actor, at, now);
    assert!(jobs(&mut conn).is_empty(), "scheduling tells no one yet");

    let site = common::site();
    assert_eq!(
        publish_due(&mut conn, &site, at - Duration::seconds(1)).unwrap(),
        None
    );
    assert_eq!(submission(&mut conn, id).state, State::Scheduled);

    let when = at + Duration::seconds(1);
    let start = Arc::new(Barrier::new(2));
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let url = db.url.clone();
            let start = Arc::clone(&start);
            let site = site.clone();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                start.wait();
                publish_due(&mut conn, &site, when).unwrap()
            })
        })
        .collect();
    let results: Vec<Option<i64>> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_some()).count(),
        1,
        "{results:?}"
    );
    assert!(results.contains(&Some(id)), "{results:?}");

    let row = submission(&mut conn, id);
    assert_eq!(row.state, State::Published);
    assert_eq!(row.slug.as_deref(), Some(SLUG));
    assert_eq!(row.publish_at, None);
    let published_at = row.published_at.expect("a publication date");
    assert!(
        (published_at - when).num_milliseconds().abs() < 1,
        "{published_at}"
    );
    assert_eq!(history_actors(&mut conn, id, "publish"), [None]);
    let hook = the_job(&mut conn, "webhook", "opinion.published");
    assert_eq!(hook.payload["opinion"]["slug"], SLUG);
    the_job(&mut conn, "email", "published");
    assert_eq!(jobs(&mut conn).len(), 2);
    // Nothing more to do, ever.
    assert_eq!(
        publish_due(&mut conn, &site, when + Duration::days(1)).unwrap(),
        None
    );
}

#[test]
fn twenty_scheduled_pieces_are_each_published_once_by_four_racing_schedulers() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let actor = publisher(&mut conn);
    let now = Utc::now();
    let plain = String::from_utf8(common::corpus_file("01-plain.eml")).unwrap();
    let mut ids = Vec::new();
    for n in 0..20 {
        // Twenty pieces with one title: their slugs are given in the race.
        let raw = plain.replace(
            "<p01.amal@example.org>",
            &format!("<race{n}.amal@example.org>"),
        );
        let report =
            oped::intake::ingest(&mut conn, raw.as_bytes(), &common::intake_config()).unwrap();
        let reference = report.reference.expect("a new submission");
        let id: i64 = submissions::table
            .filter(submissions::reference.eq(reference))
            .select(submissions::id)
            .first(&mut conn)
            .unwrap();
        approve(&mut conn, id, actor, now);
        schedule(
            &mut conn,
            id,
            actor,
            now + Duration::hours(1) + Duration::seconds(n),
            now,
        );
        ids.push(id);
    }
    clear_outbox(&mut conn);

    let when = now + Duration::hours(2);
    let start = Arc::new(Barrier::new(4));
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let site = common::site();
                start.wait();
                let mut published = Vec::new();
                while let Some(id) = publish_due(&mut conn, &site, when).unwrap() {
                    published.push(id);
                }
                published
            })
        })
        .collect();
    let mut published: Vec<i64> = racers.into_iter().flat_map(|r| r.join().unwrap()).collect();
    published.sort_unstable();
    let mut expected = ids.clone();
    expected.sort_unstable();
    assert_eq!(published, expected, "each piece published once");

    let mut slugs = HashSet::new();
    for &id in &ids {
        let row = submission(&mut conn, id);
        assert_eq!(row.state, State::Published);
        assert_eq!(history_actors(&mut conn, id, "publish"), [None]);
        let slug = row.slug.expect("a slug");
        assert!(
            slug == SLUG || slug.starts_with(&format!("{SLUG}-")),
            "{slug}"
        );
        slugs.insert(slug);
    }
    assert_eq!(slugs.len(), 20, "{slugs:?}");
    let hooks = jobs_of(&mut conn, "webhook", "opinion.published");
    let emails = jobs_of(&mut conn, "email", "published");
    assert_eq!(hooks.len(), 20);
    assert_eq!(emails.len(), 20);
    let hooked: HashSet<Option<i64>> = hooks.iter().map(|job| job.submission_id).collect();
    assert_eq!(hooked, ids.iter().copied().map(Some).collect());
    let history: i64 = submission_history::table
        .filter(submission_history::action.eq("publish"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(history, 20);
    // Every event names its own piece's slug.
    for hook in &hooks {
        let slug = submission(&mut conn, hook.submission_id.unwrap()).slug;
        assert_eq!(hook.payload["opinion"]["slug"], json!(slug));
    }
}

#[test]
fn the_worker_command_publishes_what_is_due_and_tells_the_site_and_the_author() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let actor = publisher(&mut conn);
    let now = Utc::now();
    let id = approved_piece(&mut conn, actor, now);
    schedule(&mut conn, id, actor, now + Duration::hours(1), now);
    // Its time has come.
    diesel::update(submissions::table.find(id))
        .set(submissions::publish_at.eq(now - Duration::minutes(1)))
        .execute(&mut conn)
        .unwrap();

    let receiver = WebhookReceiver::start(SECRET);
    let data_dir = tempfile::tempdir().unwrap();
    let output = common::oped_command(&db.url)
        .args(["worker", "--exit-when-idle"])
        .env("OPED_PUBLISH_WEBHOOK_URL", receiver.url())
        .env("OPED_WEBHOOK_SECRET", SECRET)
        .env("OPED_DATA_DIR", data_dir.path())
        .env("OPED_SITE_URL", common::SITE_URL)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains(SECRET));

    let row = submission(&mut conn, id);
    assert_eq!(row.state, State::Published);
    assert_eq!(history_actors(&mut conn, id, "publish"), [None]);

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert!(request.verified(), "{:?}", request.signature);
    assert_eq!(request.header("Oped-Event"), Some("opinion.published"));
    let body = request.json();
    assert_eq!(body["event"], "opinion.published");
    assert_eq!(body["opinion"]["slug"], SLUG);
    assert_eq!(body["opinion"]["url"], opinion_url(SLUG));
    assert_private(&request.body);

    let mail: Vec<_> = std::fs::read_dir(data_dir.path().join("mail"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    assert_eq!(mail.len(), 1, "{mail:?}");
    let raw = std::fs::read(&mail[0]).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(parsed.subject().unwrap().contains("Published"));
    assert!(parsed.body_text(0).unwrap().contains(&opinion_url(SLUG)));
    // With a URL, no webhook files.
    let files = std::fs::read_dir(data_dir.path().join("webhooks"))
        .map(|dir| dir.count())
        .unwrap_or(0);
    assert_eq!(files, 0);

    let all = jobs(&mut conn);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(all.iter().all(|job| job.state == "sent"), "{all:#?}");
}

#[test]
fn without_a_url_each_event_is_written_as_a_json_file() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let actor = publisher(&mut conn);
    let now = Utc::now();
    let id = approved_piece(&mut conn, actor, now);
    publish(&mut conn, id, actor, now);
    let hook = the_job(&mut conn, "webhook", "opinion.published");

    let data_dir = tempfile::tempdir().unwrap();
    let dir = data_dir.path().join("webhooks");
    let sender = WebhookSender::files(&dir).unwrap();
    let outcomes = webhook::drain(&mut conn, &sender, now).unwrap();
    assert!(
        matches!(&outcomes[..], [JobOutcome::Sent { job_id, .. }] if *job_id == hook.id),
        "{outcomes:?}"
    );
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected = format!("{}-opinion.published.json", hook.id);
    assert_eq!(names, std::slice::from_ref(&expected));
    let bytes = std::fs::read(dir.join(&expected)).unwrap();
    assert_eq!(bytes, serde_json::to_vec(&hook.payload).unwrap());
    let written: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(written["event"], "opinion.published");
    assert_eq!(written["opinion"]["slug"], SLUG);
    assert_private(&bytes);
    let hook = the_job(&mut conn, "webhook", "opinion.published");
    assert_eq!((hook.state.as_str(), hook.attempts), ("sent", 1));
}

#[actix_rt::test]
async fn deliveries_show_editors_the_webhook_a_transition_queued_and_its_failures() {
    use actix_web::http::StatusCode;
    let desk = common::desk::Desk::new().await;
    let (_, publisher_token) = desk.user(Role::Publisher);
    let (_, editor_token) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    desk.force_state(id, "approved");
    let version = desk.version(&publisher_token, id).await;
    let (status, body) = desk
        .transition(
            &publisher_token,
            id,
            Some(version),
            json!({ "action": "publish", "note": "The author confirmed exclusivity by phone." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let listing = |query: String| {
        let desk = &desk;
        let token = editor_token.clone();
        async move {
            let (status, body) = desk
                .get(&token, &format!("/api/v1/deliveries?{query}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body.as_array().expect("a list").clone()
        }
    };
    let webhook_of = |rows: &[Value]| -> Value {
        let found: Vec<&Value> = rows.iter().filter(|r| r["kind"] == "webhook").collect();
        assert_eq!(found.len(), 1, "{rows:#?}");
        found[0].clone()
    };

    let rows = listing(format!("submission_id={id}")).await;
    let hook = webhook_of(&rows);
    assert_eq!(hook["topic"], "opinion.published");
    assert_eq!(hook["state"], "pending");
    assert_eq!(hook["attempts"], 0);
    assert_eq!(hook["submission_id"], id);
    assert!(hook["last_error"].is_null(), "{hook}");
    assert!(
        rows.iter()
            .any(|r| r["kind"] == "email" && r["topic"] == "published"),
        "{rows:#?}"
    );
    let pending = listing(format!("submission_id={id}&state=pending")).await;
    assert_eq!(webhook_of(&pending)["id"], hook["id"]);
    let sent = listing(format!("submission_id={id}&state=sent")).await;
    assert!(sent.iter().all(|r| r["kind"] != "webhook"), "{sent:#?}");

    // A failed attempt, made on a plain thread: the blocking HTTP client
    // must not live inside this runtime.
    let url = desk.db.url.clone();
    let outcome = std::thread::spawn(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let sender = http_sender(&refused_url());
        webhook::run_once(&mut conn, &sender, Utc::now()).unwrap()
    })
    .join()
    .unwrap();
    assert!(
        matches!(outcome, Some(JobOutcome::Retry { attempts: 1, .. })),
        "{outcome:?}"
    );
    let hook = webhook_of(&listing(format!("submission_id={id}")).await);
    assert_eq!(hook["state"], "pending");
    assert_eq!(hook["attempts"], 1);
    assert!(
        hook["last_error"]
            .as_str()
            .is_some_and(|e| !e.trim().is_empty()),
        "{hook}"
    );
}

#[test]
fn the_receiver_verifies_signatures_as_a_site_would() {
    use common::receiver::verify;
    // The vector of `webhook::signature`'s unit test, computed with openssl.
    let body = br#"{"a":1}"#;
    let good = "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686";
    assert_eq!(
        verify(b"secret", Some(good), body, 1_700_000_000),
        Ok(1_700_000_000)
    );
    assert!(verify(b"secret", Some(good), body, 1_700_000_300).is_ok());
    // A replay, another body, another key, a loose or missing header.
    assert!(verify(b"secret", Some(good), body, 1_700_000_301).is_err());
    assert!(verify(b"secret", Some(good), body, 1_699_999_699).is_err());
    assert!(verify(b"secret", Some(good), br#"{"a":2}"#, 1_700_000_000).is_err());
    assert!(verify(b"other", Some(good), body, 1_700_000_000).is_err());
    assert!(verify(b"secret", None, body, 1_700_000_000).is_err());
    for loose in [
        good.replace(",", ", "),
        good.to_uppercase(),
        format!("{good},v0=00"),
        good.replace("t=", "t=+"),
        good.replace("v1=", "v2="),
        good.split(',').rev().collect::<Vec<_>>().join(","),
    ] {
        assert!(
            verify(b"secret", Some(&loose), body, 1_700_000_000).is_err(),
            "{loose}"
        );
    }
    // And what oped signs, it accepts.
    let now = Utc::now().timestamp();
    let signed = webhook::signature(SECRET.as_bytes(), now, body);
    assert_eq!(verify(SECRET.as_bytes(), Some(&signed), body, now), Ok(now));
}

/// The whole way of a publisher's click, through the app `oped serve` runs:
/// the API queues, the workers send, the author and the site hear of it.
/// Email and webhooks are kept in memory here: the tests above speak to a
/// real receiver, `outbox_email` to a real SMTP server.
#[actix_rt::test]
async fn a_publish_over_the_api_reaches_the_author_and_the_site_through_the_workers() {
    use actix_web::http::StatusCode;
    let desk = common::desk::Desk::new().await;
    let (_, publisher_token) = desk.user(Role::Publisher);
    let id = desk.ingest("01-plain.eml");
    desk.force_state(id, "approved");
    let version = desk.version(&publisher_token, id).await;
    let (status, body) = desk
        .transition(
            &publisher_token,
            id,
            Some(version),
            json!({ "action": "publish", "note": "The author confirmed exclusivity by phone." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    desk.app.run_pending_jobs();

    let hooks = desk.app.webhooks.sent();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0].event, "opinion.published");
    assert_eq!(hooks[0].body["opinion"]["url"], opinion_url(SLUG));
    assert_private(&serde_json::to_vec(&hooks[0].body).unwrap());
    let subjects: Vec<String> = desk
        .app
        .mail
        .sent()
        .iter()
        .map(|mail| {
            assert_eq!(mail.rcpt_to, [AUTHOR_EMAIL]);
            let parsed = mail_parser::MessageParser::default()
                .parse(&mail.data)
                .expect("a parseable message");
            parsed.subject().unwrap_or_default().to_string()
        })
        .collect();
    assert!(
        subjects
            .iter()
            .any(|subject| subject.ends_with(&format!("Published: {TITLE}"))),
        "{subjects:?}"
    );
    // Nothing is left to send.
    desk.app.run_pending_jobs();
    assert_eq!(desk.app.webhooks.sent().len(), 1);
    let pending: i64 = outbox::table
        .filter(outbox::state.eq("pending"))
        .count()
        .get_result(&mut desk.db.conn())
        .unwrap();
    assert_eq!(pending, 0);
}

/// Runs the webhook worker against `url` until nothing is due at `now`, on a
/// plain thread (the blocking HTTP client must not live inside a runtime).
fn drain_on_a_thread(database_url: &str, url: String, now: DateTime<Utc>) -> Vec<JobOutcome> {
    let database_url = database_url.to_string();
    std::thread::spawn(move || {
        let mut conn = PgConnection::establish(&database_url).unwrap();
        webhook::drain(&mut conn, &http_sender(&url), now).unwrap()
    })
    .join()
    .unwrap()
}

#[actix_rt::test]
async fn a_dead_publish_retried_after_the_unpublish_never_puts_the_piece_back() {
    use actix_web::http::StatusCode;
    let desk = common::desk::Desk::new().await;
    let (_, publisher) = desk.user(Role::Publisher);
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    desk.force_state(id, "approved");
    let act = |body: Value| {
        let desk = &desk;
        let publisher = publisher.clone();
        async move {
            let version = desk.version(&publisher, id).await;
            let (status, answer) = desk.transition(&publisher, id, Some(version), body).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
    };
    act(json!({"action": "publish", "note": "The author confirmed exclusivity by phone."})).await;
    // The site is down for as long as the outbox keeps trying.
    let mut now = Utc::now();
    for _ in 0..oped::outbox::MAX_ATTEMPTS {
        drain_on_a_thread(&desk.db.url, refused_url(), now);
        now += Duration::days(1);
    }
    let published = the_job(&mut desk.db.conn(), "webhook", "opinion.published");
    assert_eq!(published.state, "dead");
    // Taken down; the site, back up, hears of it.
    act(json!({"action": "unpublish", "note": "Legal complaint."})).await;
    let receiver = WebhookReceiver::start(SECRET);
    drain_on_a_thread(&desk.db.url, receiver.url(), now);
    let unpublished = the_job(&mut desk.db.conn(), "webhook", "opinion.unpublished");
    assert_eq!(unpublished.state, "sent");

    let retry = |token: &str| {
        actix_web::test::TestRequest::post()
            .uri(&format!("/api/v1/deliveries/{}/retry", published.id))
            .insert_header(common::bearer(token))
    };
    let (status, body, _) = desk.call(retry(&editor)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "publisher_only");
    let (status, body, _) = desk.call(retry(&publisher)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "superseded");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("opinion.unpublished"), "{detail}");
    assert!(detail.contains(&unpublished.id.to_string()), "{detail}");
    drain_on_a_thread(&desk.db.url, receiver.url(), now);

    // Revived by hand all the same: the worker does not send it either.
    diesel::update(outbox::table.find(published.id))
        .set((outbox::state.eq("pending"), outbox::attempts.eq(0)))
        .execute(&mut desk.db.conn())
        .unwrap();
    let outcomes = drain_on_a_thread(&desk.db.url, receiver.url(), now);
    assert!(
        matches!(outcomes.as_slice(), [JobOutcome::Dead { .. }]),
        "{outcomes:?}"
    );
    let events: Vec<String> = receiver
        .requests()
        .iter()
        .map(|request| request.header("Oped-Event").unwrap().to_string())
        .collect();
    assert_eq!(
        events,
        ["opinion.unpublished"],
        "the site's last word stands"
    );
    let revived = the_job(&mut desk.db.conn(), "webhook", "opinion.published");
    assert_eq!(revived.state, "dead");
    assert!(
        revived
            .last_error
            .as_deref()
            .is_some_and(|error| error.contains("superseded")),
        "{revived:?}"
    );
}
