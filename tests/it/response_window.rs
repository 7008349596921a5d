//! The response window and the word limit as editors and authors meet them:
//! the deadline fixed when a piece arrives, the release by the scheduler
//! (exactly once, however many workers race), the editor's one hold, the
//! list's filter and order by deadline, and the flag and the sentence for a
//! piece over the word limit. Time moves by passing `now`, not by sleeping.

use crate::common;

use std::sync::{Arc, Barrier};

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use oped::auth::Role;
use oped::calendar::ResponseWindow;
use oped::jobs::Task;
use oped::schema::{outbox, submission_history, submissions};
use oped::workflow::State;
use oped::workflow::scheduler::SchedulerTask;
use oped::workflow::window::release_due;
use serde_json::{Value, json};

use common::desk::Desk;
use common::{TestApp, TestDb, bearer};

/// An op-ed of `words` words from author `n`, with its own Message-ID.
fn piece(n: usize, words: usize) -> String {
    let text: Vec<String> = (0..words).map(|i| format!("word{i}")).collect();
    format!(
        "From: Author {n} <author{n}@example.org>\r\n\
         To: Op-Ed Desk <oped@example.net>\r\n\
         Subject: Op-Ed: Piece number {n}\r\n\
         Date: Tue, 24 Nov 2026 09:15:00 +0200\r\n\
         Message-ID: <window-{n}@example.org>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         {}\r\n",
        text.join(" ")
    )
}

/// Records `raw` with `config`; the submission it made.
fn ingest(conn: &mut PgConnection, raw: &str, config: &oped::config::IntakeConfig) -> i64 {
    let report = common::ingest_with(conn, raw.as_bytes(), config);
    common::submission_of(conn, &report)
}

fn deadline(conn: &mut PgConnection, id: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    submissions::table
        .find(id)
        .select((submissions::received_at, submissions::respond_by))
        .first(conn)
        .unwrap()
}

fn set_deadline(conn: &mut PgConnection, id: i64, at: DateTime<Utc>) {
    diesel::update(submissions::table.find(id))
        .set(submissions::respond_by.eq(at))
        .execute(conn)
        .unwrap();
}

fn state_of(conn: &mut PgConnection, id: i64) -> State {
    submissions::table
        .find(id)
        .select(submissions::state)
        .first(conn)
        .unwrap()
}

/// `(action, note, actor)` of each history row of `id`, oldest first.
fn history(conn: &mut PgConnection, id: i64) -> Vec<(String, Option<String>, Option<i64>)> {
    submission_history::table
        .filter(submission_history::submission_id.eq(id))
        .order(submission_history::id)
        .select((
            submission_history::action,
            submission_history::note,
            submission_history::actor_id,
        ))
        .load(conn)
        .unwrap()
}

/// The topics of the emails queued for `id`, oldest first.
fn emails(conn: &mut PgConnection, id: i64) -> Vec<String> {
    outbox::table
        .filter(outbox::submission_id.eq(id))
        .filter(outbox::kind.eq("email"))
        .order(outbox::id)
        .select(outbox::topic)
        .load(conn)
        .unwrap()
}

/// The text of every email sent to `address`, oldest first.
fn mail_to(app: &TestApp, address: &str) -> Vec<(String, String)> {
    app.mail
        .sent()
        .into_iter()
        .filter(|mail| mail.rcpt_to.iter().any(|to| to == address))
        .map(|mail| {
            let parsed = mail_parser::MessageParser::default()
                .parse(&mail.data)
                .unwrap();
            (
                parsed.subject().unwrap_or_default().to_string(),
                parsed.body_text(0).unwrap_or_default().into_owned(),
            )
        })
        .collect()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        .replace('+', "%2B")
}

#[test]
fn the_deadline_is_fixed_on_arrival_and_a_later_setting_does_not_move_it() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let mut config = common::intake_config();
    config.window = ResponseWindow {
        business_days: 3,
        working_days: "sun-thu".parse().unwrap(),
        timezone: chrono_tz::Asia::Jerusalem,
    };
    let first = ingest(&mut conn, &piece(1, 50), &config);
    let (received_at, respond_by) = deadline(&mut conn, first);
    assert_eq!(respond_by, config.window.respond_by(received_at));
    assert!(
        respond_by >= received_at + Duration::days(3),
        "{respond_by}"
    );

    // The desk changes its rule: new pieces get the new one, the promise
    // already made stays.
    let mut changed = config.clone();
    changed.window.business_days = 10;
    let second = ingest(&mut conn, &piece(2, 50), &changed);
    let (second_received, second_deadline) = deadline(&mut conn, second);
    assert_eq!(second_deadline, changed.window.respond_by(second_received));
    assert!(second_deadline >= second_received + Duration::days(12));
    assert_eq!(deadline(&mut conn, first).1, respond_by);
}

#[test]
fn pieces_already_here_get_the_default_window_from_when_they_arrived_or_from_the_upgrade() {
    use chrono::{Datelike, Timelike, Weekday};
    use diesel_migrations::MigrationHarness;

    let db = TestDb::new();
    let mut conn = db.conn();
    let config = common::intake_config();
    let later = ingest(&mut conn, &piece(1, 50), &config);
    let on_saturday = ingest(&mut conn, &piece(2, 50), &config);
    let long_ago = ingest(&mut conn, &piece(3, 50), &config);
    // A Friday afternoon and the Saturday after it, a few weeks ahead (as a
    // piece whose clock runs from its arrival), and a piece from last year.
    let mut friday = Utc::now() + Duration::days(21);
    while friday.weekday() != Weekday::Fri {
        friday += Duration::days(1);
    }
    let friday = friday.with_hour(15).unwrap().with_minute(30).unwrap();
    for (id, received_at) in [
        (later, friday),
        (on_saturday, friday + Duration::hours(18)),
        (long_ago, Utc::now() - Duration::days(400)),
    ] {
        diesel::update(submissions::table.find(id))
            .set(submissions::received_at.eq(received_at))
            .execute(&mut conn)
            .unwrap();
    }
    // Back to before the window (and whatever came after it), then up again.
    let window_migration = "20261201200001";
    while conn
        .applied_migrations()
        .unwrap()
        .iter()
        .any(|version| version.to_string().replace('-', "") == window_migration)
    {
        conn.revert_last_migration(oped::db::MIGRATIONS).unwrap();
    }
    let upgraded_at = Utc::now();
    conn.run_pending_migrations(oped::db::MIGRATIONS).unwrap();

    for id in [later, on_saturday] {
        let (received_at, stored) = deadline(&mut conn, id);
        assert_eq!(
            stored,
            ResponseWindow::default().respond_by(received_at),
            "{id}"
        );
    }
    let (_, saturday_deadline) = deadline(&mut conn, on_saturday);
    assert_eq!(
        saturday_deadline.hour(),
        0,
        "a weekend piece starts on Monday"
    );
    // The old piece's clock starts at the upgrade: it is not released at once.
    let (_, stored) = deadline(&mut conn, long_ago);
    assert!(
        stored >= ResponseWindow::default().respond_by(upgraded_at),
        "{stored}"
    );
    assert!(
        stored <= ResponseWindow::default().respond_by(Utc::now()),
        "{stored}"
    );
}

#[actix_web::test]
async fn editors_see_the_deadline_on_the_detail_and_the_list() {
    let desk = Desk::new().await;
    let (_, token) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let (received_at, respond_by) = deadline(&mut desk.db.conn(), id);
    assert_eq!(
        respond_by,
        ResponseWindow::default().respond_by(received_at)
    );

    let (status, detail) = desk.get(&token, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let shown: DateTime<Utc> = detail["respond_by"].as_str().unwrap().parse().unwrap();
    assert_eq!(shown, respond_by);
    assert_eq!(detail["held_at"], Value::Null);
    let (_, list) = desk.get(&token, "/api/v1/submissions").await;
    let shown: DateTime<Utc> = list["items"][0]["respond_by"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(shown, respond_by);
}

#[test]
fn two_workers_racing_release_each_expired_piece_exactly_once() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let config = common::intake_config();
    let ids: Vec<i64> = (0..3)
        .map(|n| ingest(&mut conn, &piece(n, 60), &config))
        .collect();
    // One is accepted in time: an answered piece is never released.
    let answered = ingest(&mut conn, &piece(9, 60), &config);
    diesel::update(submissions::table.find(answered))
        .set(submissions::state.eq(State::Approved))
        .execute(&mut conn)
        .unwrap();
    diesel::update(submissions::table.find(ids[1]))
        .set(submissions::state.eq(State::InReview))
        .execute(&mut conn)
        .unwrap();
    // Its sender failed DMARC: released, but no email to a maybe-forged address.
    let forged = ids[2];
    diesel::update(submissions::table.find(forged))
        .set(submissions::suspicious.eq(true))
        .execute(&mut conn)
        .unwrap();
    diesel::delete(outbox::table).execute(&mut conn).unwrap();

    let latest = ids
        .iter()
        .chain([&answered])
        .map(|id| deadline(&mut conn, *id).1)
        .max()
        .unwrap();
    let site = common::site();
    assert_eq!(
        release_due(&mut conn, &site, Utc::now()).unwrap(),
        None,
        "no window has closed yet"
    );

    let when = latest + Duration::seconds(1);
    let start = Arc::new(Barrier::new(2));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let url = db.url.clone();
            let start = Arc::clone(&start);
            let task = SchedulerTask { site: site.clone() };
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                start.wait();
                let mut done = 0;
                while task.run_once(&mut conn, when).unwrap() {
                    done += 1;
                }
                done
            })
        })
        .collect();
    let done: Vec<usize> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(done.iter().sum::<usize>(), 3, "{done:?}");

    for id in &ids {
        assert_eq!(state_of(&mut conn, *id), State::Rejected);
        let history = history(&mut conn, *id);
        assert_eq!(
            history,
            [("reject".to_string(), Some("released".to_string()), None)],
            "piece {id}"
        );
        let expected: &[&str] = if *id == forged { &[] } else { &["released"] };
        assert_eq!(emails(&mut conn, *id), expected, "piece {id}");
    }
    assert_eq!(state_of(&mut conn, answered), State::Approved);
    assert!(emails(&mut conn, answered).is_empty());
    assert_eq!(
        release_due(&mut conn, &site, when + Duration::days(30)).unwrap(),
        None
    );
}

#[actix_web::test]
async fn a_released_author_is_told_politely_and_a_piece_back_from_a_decision_gets_a_new_window() {
    let desk = Desk::new().await;
    let (_, token) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    desk.app.run_pending_jobs();
    let closed = Utc::now() - Duration::minutes(1);
    set_deadline(&mut desk.db.conn(), id, closed);

    desk.app.run_pending_jobs();
    let (status, detail) = desk.get(&token, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["state"], "rejected");
    let (_, history) = desk
        .get(&token, &format!("/api/v1/submissions/{id}/history"))
        .await;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "reject");
    assert_eq!(last["note"], "released");

    let mails = mail_to(&desk.app, "amal.haddad@example.org");
    assert_eq!(mails.len(), 2, "the acknowledgement, then the release");
    let (subject, body) = &mails[1];
    assert!(subject.contains("free to offer it elsewhere"), "{subject}");
    assert!(body.contains("you are free to offer it to other publications"));
    assert!(!body.contains("We are sorry that\nwe cannot publish it"));
    assert!(
        body.contains(&ResponseWindow::default().describe(closed)),
        "{body}"
    );

    // Reopened, the piece has a new window from now: not released again.
    let version = desk.version(&token, id).await;
    let (status, reopened) = desk
        .transition(&token, id, Some(version), json!({"action": "reopen"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    let respond_by: DateTime<Utc> = reopened["respond_by"].as_str().unwrap().parse().unwrap();
    assert!(respond_by > Utc::now() + Duration::days(4), "{respond_by}");
    desk.app.run_pending_jobs();
    assert_eq!(state_of(&mut desk.db.conn(), id), State::Draft);
    assert_eq!(mail_to(&desk.app, "amal.haddad@example.org").len(), 2);

    // So does an approved piece sent back to review after its old deadline.
    let approved = desk.ingest("09-en-dash.eml");
    desk.force_state(approved, "approved");
    set_deadline(&mut desk.db.conn(), approved, closed);
    let version = desk.version(&token, approved).await;
    let (status, returned) = desk
        .transition(
            &token,
            approved,
            Some(version),
            json!({"action": "return_to_review"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    let respond_by: DateTime<Utc> = returned["respond_by"].as_str().unwrap().parse().unwrap();
    assert!(respond_by > Utc::now() + Duration::days(4), "{respond_by}");
    desk.app.run_pending_jobs();
    assert_eq!(state_of(&mut desk.db.conn(), approved), State::InReview);
}

#[actix_web::test]
async fn a_hold_extends_the_window_once_and_tells_the_author_the_new_date() {
    let desk = Desk::new().await;
    let (editor, token) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    desk.app.run_pending_jobs();
    let (_, first_deadline) = deadline(&mut desk.db.conn(), id);
    let uri = format!("/api/v1/submissions/{id}/hold");
    let hold = |version: Option<i64>, body: Value| {
        let mut request = TestRequest::post()
            .uri(&uri)
            .insert_header(bearer(&token))
            .set_json(body);
        if let Some(version) = version {
            request = request.insert_header(("If-Match", format!("\"{version}\"")));
        }
        request
    };

    let (status, _, _) = desk
        .call(hold(None, json!({"note": "Waiting for the legal read"})))
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let version = desk.version(&token, id).await;
    let (status, problem, _) = desk.call(hold(Some(version), json!({"note": "  "}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "note");
    let (status, _, _) = desk.call(hold(Some(version), json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, held, _) = desk
        .call(hold(
            Some(version),
            json!({"note": "Waiting for the legal read"}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{held}");
    let window = ResponseWindow::default();
    let respond_by: DateTime<Utc> = held["respond_by"].as_str().unwrap().parse().unwrap();
    assert_eq!(respond_by, window.extended(first_deadline));
    assert!(held["held_at"].is_string());
    assert_eq!(held["version"], version + 1);
    assert_eq!(
        history(&mut desk.db.conn(), id),
        [(
            "hold".to_string(),
            Some("Waiting for the legal read".to_string()),
            Some(editor)
        )]
    );

    let (status, problem, _) = desk
        .call(hold(Some(version + 1), json!({"note": "Still waiting"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "already_held");
    assert_eq!(deadline(&mut desk.db.conn(), id).1, respond_by);

    // The OpenAPI document describes the hold and the new fields.
    let (status, document, _) = desk.call(TestRequest::get().uri("/api/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(document["paths"]["/api/v1/submissions/{id}/hold"]["post"].is_object());
    let view = &document["components"]["schemas"]["SubmissionView"]["properties"];
    for field in ["respond_by", "held_at", "word_limit", "over_word_limit"] {
        assert!(view[field].is_object(), "{field}");
    }
    let list_parameters = document["paths"]["/api/v1/submissions"]["get"]["parameters"].to_string();
    for name in ["due_within", "respond_before", "sort"] {
        assert!(list_parameters.contains(&format!("\"{name}\"")), "{name}");
    }

    // `hold` is not one of the table's transitions.
    let (status, problem) = desk
        .transition(&token, id, Some(version + 1), json!({"action": "hold"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // The old deadline passes: the held piece stays.
    let site = common::site();
    let mut conn = desk.db.conn();
    assert_eq!(
        release_due(&mut conn, &site, first_deadline + Duration::hours(1)).unwrap(),
        None
    );
    assert_eq!(state_of(&mut conn, id), State::Draft);

    desk.app.run_pending_jobs();
    let mails = mail_to(&desk.app, "amal.haddad@example.org");
    assert_eq!(mails.len(), 2, "the acknowledgement, then the hold");
    let (subject, body) = &mails[1];
    assert!(subject.contains("more time"), "{subject}");
    assert!(body.contains(&window.describe(respond_by)), "{body}");
    assert!(!body.contains("legal read"), "the note stays with editors");

    // A decided piece cannot be held.
    let other = desk.ingest("09-en-dash.eml");
    desk.force_state(other, "approved");
    let version = desk.version(&token, other).await;
    let (status, problem, _) = desk
        .call(
            TestRequest::post()
                .uri(&format!("/api/v1/submissions/{other}/hold"))
                .insert_header(bearer(&token))
                .insert_header(("If-Match", format!("\"{version}\"")))
                .set_json(json!({"note": "Why not"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "invalid_transition");
}

#[actix_web::test]
async fn the_list_shows_what_expires_soon_soonest_first_a_page_at_a_time() {
    let desk = Desk::new().await;
    let (_, token) = desk.user(Role::Editor);
    let config = common::intake_config();
    let now = Utc::now();
    let mut conn = desk.db.conn();
    let hours = [30, 1, 100, 5, 2];
    let ids: Vec<i64> = hours
        .iter()
        .enumerate()
        .map(|(n, h)| {
            let id = ingest(&mut conn, &piece(n, 40), &config);
            set_deadline(&mut conn, id, now + Duration::hours(*h));
            id
        })
        .collect();
    // The two-hour one has been answered: it no longer expires.
    diesel::update(submissions::table.find(ids[4]))
        .set(submissions::state.eq(State::Approved))
        .execute(&mut conn)
        .unwrap();
    diesel::update(submissions::table.find(ids[3]))
        .set(submissions::state.eq(State::InReview))
        .execute(&mut conn)
        .unwrap();

    let listed = |body: &Value| -> Vec<i64> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_i64().unwrap())
            .collect()
    };
    let (status, due) = desk
        .get(&token, "/api/v1/submissions?due_within=24&sort=deadline")
        .await;
    assert_eq!(status, StatusCode::OK, "{due}");
    assert_eq!(listed(&due), [ids[1], ids[3]]);
    let (_, due) = desk.get(&token, "/api/v1/submissions?due_within=24").await;
    assert_eq!(listed(&due), [ids[3], ids[1]], "newest first by default");
    let before = rfc3339(now + Duration::hours(50));
    let (_, due) = desk
        .get(
            &token,
            &format!("/api/v1/submissions?respond_before={before}&sort=deadline"),
        )
        .await;
    assert_eq!(listed(&due), [ids[1], ids[3], ids[0]]);
    // Both: the earlier bound wins.
    let (_, due) = desk
        .get(
            &token,
            &format!("/api/v1/submissions?respond_before={before}&due_within=3&sort=deadline"),
        )
        .await;
    assert_eq!(listed(&due), [ids[1]]);

    // Every piece, soonest deadline first, two at a time.
    let seen: Vec<i64> = desk
        .every_item(&token, "/api/v1/submissions?sort=deadline&limit=2")
        .await
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect();
    assert_eq!(seen, [ids[1], ids[4], ids[3], ids[0], ids[2]]);

    // A cursor belongs to its order; bad values are refused by name.
    let (_, newest) = desk.get(&token, "/api/v1/submissions?limit=2").await;
    let cursor = newest["next_cursor"].as_str().unwrap();
    for (query, field) in [
        (format!("sort=deadline&cursor={cursor}"), "cursor"),
        ("sort=soonest".to_string(), "sort"),
        ("due_within=-1".to_string(), "due_within"),
        ("due_within=100000".to_string(), "due_within"),
    ] {
        let (status, problem) = desk
            .get(&token, &format!("/api/v1/submissions?{query}"))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(problem["field"], field, "{query}: {problem}");
    }
}

#[actix_web::test]
async fn a_long_piece_is_flagged_and_its_acknowledgement_asks_for_fewer_words() {
    let db = TestDb::new();
    let app = TestApp::builder(&db.url)
        .with_config(|config| config.intake.word_limit = 100)
        .build()
        .await;
    let desk = Desk { db, app };
    let (_, token) = desk.user(Role::Editor);
    let mut conn = desk.db.conn();
    let config = desk.app.config.intake.clone();
    let long = ingest(&mut conn, &piece(1, 150), &config);
    let short = ingest(&mut conn, &piece(2, 80), &config);

    let (_, detail) = desk
        .get(&token, &format!("/api/v1/submissions/{long}"))
        .await;
    assert_eq!(detail["word_count"], 150);
    assert_eq!(detail["word_limit"], 100);
    assert_eq!(detail["over_word_limit"], true);
    let (_, detail) = desk
        .get(&token, &format!("/api/v1/submissions/{short}"))
        .await;
    assert_eq!(detail["over_word_limit"], false);
    let (_, list) = desk.get(&token, "/api/v1/submissions").await;
    let flags: Vec<(i64, bool)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            assert_eq!(item["word_limit"], 100);
            (
                item["id"].as_i64().unwrap(),
                item["over_word_limit"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(flags, [(short, false), (long, true)]);

    desk.app.run_pending_jobs();
    let sentence = "The desk prefers pieces under 100 words; yours has 150.";
    let long_ack = mail_to(&desk.app, "author1@example.org");
    assert_eq!(long_ack.len(), 1);
    assert!(
        long_ack[0].1.replace('\n', " ").contains(sentence),
        "{}",
        long_ack[0].1
    );
    let short_ack = mail_to(&desk.app, "author2@example.org");
    assert_eq!(short_ack.len(), 1);
    assert!(!short_ack[0].1.contains("prefers"), "{}", short_ack[0].1);
    // Both say when the desk will answer.
    let (received_at, respond_by) = deadline(&mut conn, short);
    assert!(respond_by > received_at);
    assert!(
        short_ack[0]
            .1
            .replace('\n', " ")
            .contains(&ResponseWindow::default().describe(respond_by)),
        "{}",
        short_ack[0].1
    );
}
