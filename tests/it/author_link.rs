//! The author's status link, in-process against a real database: the link
//! in the acknowledgement, what it shows and to whom, the author's
//! withdrawal and answers, the publisher's rule on exclusivity, and the
//! disclosure on the public side.

use crate::common::{self, TestApp, bearer};

use actix_web::http::StatusCode;
use actix_web::test;
use common::desk::Desk;
use diesel::prelude::*;
use oped::auth::Role;
use oped::schema::{author_links, correspondence, outbox, submissions};
use serde_json::{Value, json};

const PUBLIC_URL: &str = "https://desk.news.example";
const NOTE_TO_DESK: &str = "Internal: the second half reads like a press release.";

/// A new submission from `from`, as a mail server would deliver it.
fn mail(n: u32, from: &str, subject: &str) -> String {
    format!(
        "From: {from}\r\nTo: oped@desk.example\r\nSubject: {subject}\r\n\
         Message-ID: <author-link-{n}@example.org>\r\nDate: Tue, 01 Dec 2026 09:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         The piece itself, in a few words.\r\n"
    )
}

/// The text of every email sent so far to `address`.
fn mail_to(app: &TestApp, address: &str) -> Vec<String> {
    app.mail
        .sent()
        .iter()
        .filter(|sent| sent.rcpt_to.iter().any(|to| to == address))
        .map(|sent| {
            let parsed = mail_parser::MessageParser::default()
                .parse(&sent.data)
                .expect("our email parses");
            parsed.body_text(0).expect("a text body").into_owned()
        })
        .collect()
}

/// The token of the status link in `text`, if it has one.
fn token_in(text: &str) -> Option<String> {
    let start = text.find(&format!("{PUBLIC_URL}/a/"))? + PUBLIC_URL.len() + 3;
    Some(text[start..start + 43].to_string())
}

/// Submits a piece by mail, sends the acknowledgement, and returns the
/// submission's id and the token its acknowledgement carried.
fn submit(desk: &Desk, n: u32, from: &str, subject: &str) -> (i64, String) {
    let report = desk.ingest_raw(&mail(n, &format!("Writer {n} <{from}>"), subject));
    let reference = report.reference.expect("a submission");
    let id = submissions::table
        .filter(submissions::reference.eq(&reference))
        .select(submissions::id)
        .first(&mut desk.db.conn())
        .unwrap();
    desk.app.run_pending_jobs();
    let acknowledgement = mail_to(&desk.app, from)
        .into_iter()
        .find(|text| text.contains(&reference))
        .expect("the acknowledgement was sent");
    let token = token_in(&acknowledgement).expect("the acknowledgement carries the link");
    (id, token)
}

async fn author_get(desk: &Desk, token: &str) -> (StatusCode, Value) {
    let (status, body, _) = desk
        .call(test::TestRequest::get().uri(&format!("/api/v1/author/{token}")))
        .await;
    (status, body)
}

async fn declare(desk: &Desk, token: &str, body: Value) -> (StatusCode, Value) {
    let (status, body, _) = desk
        .call(
            test::TestRequest::put()
                .uri(&format!("/api/v1/author/{token}/declaration"))
                .set_json(body),
        )
        .await;
    (status, body)
}

async fn author_withdraw(desk: &Desk, token: &str, body: Value) -> (StatusCode, Value) {
    let (status, body, _) = desk
        .call(
            test::TestRequest::post()
                .uri(&format!("/api/v1/author/{token}/withdraw"))
                .set_json(body),
        )
        .await;
    (status, body)
}

/// The author's page: status, headers and HTML.
async fn page(
    desk: &Desk,
    request: test::TestRequest,
) -> (StatusCode, actix_web::http::header::HeaderMap, String) {
    let response = test::call_service(&desk.app, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = test::read_body(response).await;
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

async fn step(desk: &Desk, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    let version = desk.version(token, id).await;
    desk.transition(token, id, Some(version), body).await
}

#[actix_web::test]
async fn the_acknowledgement_carries_a_link_that_opens_its_piece_only() {
    let desk = Desk::new().await;
    let (amal_id, amal_token) = submit(
        &desk,
        1,
        "amal@example.org",
        "Op-Ed: Why Libya needs a budget",
    );
    let (_, omar_token) = submit(&desk, 2, "omar@example.net", "Op-Ed: Ports and power");

    let (status, amal) = author_get(&desk, &amal_token).await;
    assert_eq!(status, StatusCode::OK, "{amal}");
    assert_eq!(amal["title"], "Why Libya needs a budget");
    assert_eq!(amal["status"], "received");
    assert!(amal["reference"].as_str().unwrap().starts_with("OE-"));
    assert!(amal["received_at"].is_string());
    // The author sees by when the desk answers, as editors do.
    let (_, editor) = desk.user(Role::Editor);
    let (_, detail) = desk
        .get(&editor, &format!("/api/v1/submissions/{amal_id}"))
        .await;
    assert_eq!(amal["respond_by"], detail["respond_by"]);
    assert!(amal["respond_by"].is_string(), "{amal}");
    let (_, omar) = author_get(&desk, &omar_token).await;
    assert_eq!(omar["title"], "Ports and power");
    assert_ne!(amal_token, omar_token);

    // Only a digest is kept, and nothing queued still holds the token once
    // the email left; the sent copy editors read withholds it.
    let mut conn = desk.db.conn();
    let digests: Vec<String> = author_links::table
        .select(author_links::token_sha256)
        .load(&mut conn)
        .unwrap();
    assert_eq!(digests.len(), 2);
    assert!(!digests.contains(&amal_token));
    let payloads: Vec<Value> = outbox::table
        .select(outbox::payload)
        .load(&mut conn)
        .unwrap();
    let copies: Vec<String> = correspondence::table
        .select(correspondence::body_text)
        .load(&mut conn)
        .unwrap();
    for kept in payloads
        .iter()
        .map(Value::to_string)
        .chain(copies.iter().cloned())
    {
        assert!(
            !kept.contains(&amal_token) && !kept.contains(&omar_token),
            "{kept}"
        );
    }

    // Amal's link acts on Amal's piece only.
    let (status, body) = author_withdraw(&desk, &amal_token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["title"], "Why Libya needs a budget");
    let states: Vec<String> = submissions::table
        .order(submissions::id)
        .select(submissions::state)
        .load(&mut conn)
        .unwrap();
    assert_eq!(states, ["withdrawn", "draft"]);
    let (_, omar) = author_get(&desk, &omar_token).await;
    assert_eq!(omar["status"], "received");

    // A token of someone else's piece, altered by one character, too short,
    // or of another shape: all 404 alike.
    let mut altered = amal_token.clone().into_bytes();
    altered[0] = if altered[0] == b'A' { b'B' } else { b'A' };
    for wrong in [
        String::from_utf8(altered).unwrap(),
        amal_token[..42].to_string(),
        format!("{amal_token}x"),
        "../../etc/passwd".replace('/', "%2F"),
    ] {
        let (status, body) = author_get(&desk, &wrong).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{wrong}: {body}");
        assert_eq!(body["code"], "not_found");
    }
}

#[actix_web::test]
async fn a_revoked_link_reads_nothing_and_a_reissued_one_arrives_by_mail() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let (id, old) = submit(&desk, 1, "amal@example.org", "Op-Ed: Budgets");
    let (other_id, other) = submit(&desk, 2, "omar@example.net", "Op-Ed: Ports");

    let revoke = |body: Value| {
        test::TestRequest::post()
            .uri(&format!("/api/v1/submissions/{id}/author-link/revoke"))
            .insert_header(bearer(&editor))
            .set_json(body)
    };
    let (status, body, _) = desk.call(revoke(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"revoked": 1, "reissued": false}));
    let (status, _) = author_get(&desk, &old).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, html) = page(&desk, test::TestRequest::get().uri(&format!("/a/{old}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("Budgets"), "{html}");
    let (status, _) = declare(
        &desk,
        &old,
        json!({"exclusive": true, "disclosure": "none"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Another piece's link is untouched.
    let (status, _) = author_get(&desk, &other).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body, _) = desk.call(revoke(json!({"reissue": "yes"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_body");
    let (status, body, _) = desk
        .call(
            test::TestRequest::post()
                .uri(&format!("/api/v1/submissions/{id}/author-link/revoke"))
                .insert_header(bearer(&editor)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"revoked": 0, "reissued": false}));
    let (status, body, _) = desk.call(revoke(json!({"reissue": true}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"revoked": 0, "reissued": true}));
    desk.app.run_pending_jobs();
    let mails = mail_to(&desk.app, "amal@example.org");
    assert_eq!(mails.len(), 2, "{mails:?}");
    let new = token_in(&mails[1]).expect("the new link is in the email");
    assert_ne!(new, old);
    let (status, piece) = author_get(&desk, &new).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(piece["title"], "Budgets");

    // Editors only; and only for a piece that exists.
    let (status, _, _) = desk
        .call(
            test::TestRequest::post()
                .uri(&format!(
                    "/api/v1/submissions/{other_id}/author-link/revoke"
                ))
                .set_json(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = desk
        .call(
            test::TestRequest::post()
                .uri("/api/v1/submissions/999999/author-link/revoke")
                .insert_header(bearer(&editor))
                .set_json(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn without_a_public_url_the_acknowledgement_has_no_link() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url)
        .with_config(|config| config.publishing.author_link_base = None)
        .build()
        .await;
    let report = oped::intake::ingest(
        &mut db.conn(),
        mail(1, "Amal <amal@example.org>", "Op-Ed: Budgets").as_bytes(),
        &common::intake_config(),
    )
    .unwrap();
    assert!(report.reference.is_some());
    app.run_pending_jobs();
    let mails = mail_to(&app, "amal@example.org");
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("Thank you for sending us"),
        "{}",
        mails[0]
    );
    assert!(!mails[0].contains("/a/"), "{}", mails[0]);
    assert!(!mails[0].contains("private page"), "{}", mails[0]);
}

#[actix_web::test]
async fn the_author_sees_a_coarse_status_through_the_life_of_the_piece() {
    let desk = Desk::new().await;
    let (editor_id, editor) = desk.user(Role::Editor);
    let (_, publisher) = desk.user(Role::Publisher);
    let (id, token) = submit(&desk, 1, "amal@example.org", "Op-Ed: Budgets");
    let status_of = |token: String| {
        let desk = &desk;
        async move { author_get(desk, &token).await.1 }
    };

    let notes = test::TestRequest::post()
        .uri(&format!("/api/v1/submissions/{id}/notes"))
        .insert_header(bearer(&editor))
        .set_json(json!({"body": NOTE_TO_DESK}));
    assert_eq!(desk.call(notes).await.0, StatusCode::CREATED);

    assert_eq!(status_of(token.clone()).await["status"], "received");
    step(
        &desk,
        &editor,
        id,
        json!({"action": "start_review", "note": NOTE_TO_DESK}),
    )
    .await;
    let reviewing = status_of(token.clone()).await;
    assert_eq!(reviewing["status"], "under_review");
    assert!(reviewing["respond_by"].is_string(), "{reviewing}");
    step(&desk, &editor, id, json!({"action": "approve"})).await;
    let accepted = status_of(token.clone()).await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["respond_by"], Value::Null, "answered: no deadline");

    let at = "2030-03-01T08:00:00Z";
    let (status, body) = step(
        &desk,
        &publisher,
        id,
        json!({"action": "schedule", "publish_at": at, "note": "Agreed by phone."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let scheduled = status_of(token.clone()).await;
    assert_eq!(scheduled["status"], "scheduled");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(scheduled["scheduled_for"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(at).unwrap()
    );
    assert_eq!(scheduled["public_url"], Value::Null);

    step(
        &desk,
        &publisher,
        id,
        json!({"action": "publish", "note": "Agreed by phone."}),
    )
    .await;
    let published = status_of(token.clone()).await;
    assert_eq!(published["status"], "published");
    assert_eq!(
        published["public_url"],
        format!("{}/opinion/budgets", common::SITE_URL)
    );
    assert_eq!(published["can_withdraw"], false);
    assert_eq!(published["can_declare"], false);

    // Declined by an editor, released by nobody (the response window).
    desk.force_state(id, "in_review");
    step(
        &desk,
        &editor,
        id,
        json!({"action": "reject", "note": NOTE_TO_DESK}),
    )
    .await;
    let declined = status_of(token.clone()).await;
    assert_eq!(declined["status"], "declined");
    diesel::update(
        oped::schema::submission_history::table
            .filter(oped::schema::submission_history::submission_id.eq(id))
            .filter(oped::schema::submission_history::action.eq("reject")),
    )
    .set(oped::schema::submission_history::actor_id.eq(None::<i64>))
    .execute(&mut desk.db.conn())
    .unwrap();
    assert_eq!(status_of(token.clone()).await["status"], "released");

    desk.force_state(id, "withdrawn");
    assert_eq!(status_of(token.clone()).await["status"], "withdrawn");

    // Never the desk's notes or people, in JSON or on the page.
    let (editor_name, editor_email): (String, String) = oped::schema::users::table
        .find(editor_id)
        .select((oped::schema::users::name, oped::schema::users::email))
        .first(&mut desk.db.conn())
        .unwrap();
    let (_, _, html) = page(&desk, test::TestRequest::get().uri(&format!("/a/{token}"))).await;
    for shown in [
        reviewing.to_string(),
        declined.to_string(),
        published.to_string(),
        html,
    ] {
        assert!(!shown.contains("press release"), "{shown}");
        assert!(!shown.contains("Agreed by phone"), "{shown}");
        assert!(!shown.contains(&editor_name), "{shown}");
        assert!(!shown.contains(&editor_email), "{shown}");
        assert!(!shown.contains("amal@example.org"), "{shown}");
        assert!(!shown.contains("assignee"), "{shown}");
    }
}

#[actix_web::test]
async fn the_author_withdraws_through_the_workflow_with_a_reason() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let (id, token) = submit(&desk, 1, "amal@example.org", "Op-Ed: Budgets");
    step(&desk, &editor, id, json!({"action": "start_review"})).await;

    let (status, body) = author_withdraw(&desk, &token, json!({"reason": "x".repeat(1001)})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "reason");

    let (status, body) = author_withdraw(
        &desk,
        &token,
        json!({"reason": "  Another paper took it.  "}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "withdrawn");
    assert_eq!(body["can_withdraw"], false);

    let (_, piece) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}"))
        .await;
    assert_eq!(piece["state"], "withdrawn");
    let (_, history) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}/history"))
        .await;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "author_withdraw");
    assert_eq!(last["from"], "in_review");
    assert_eq!(last["to"], "withdrawn");
    assert_eq!(last["note"], "Another paper took it.");
    assert_eq!(last["actor"], Value::Null);

    // Once closed it stays so; an editor cannot act as the author.
    let (status, body) = author_withdraw(&desk, &token, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "not_withdrawable");
    // Reopened once the author consents again (see below).
    let (status, body) = author_consent(&desk, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = step(&desk, &editor, id, json!({"action": "reopen"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = step(&desk, &editor, id, json!({"action": "author_withdraw"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The page's form, confirmed, does the same and redirects back.
    let (status, _, html) = page(
        &desk,
        test::TestRequest::post()
            .uri(&format!("/a/{token}"))
            .set_form([("intent", "withdraw"), ("reason", "")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("role=\"alert\""), "{html}");
    let (status, headers, _) = page(
        &desk,
        test::TestRequest::post()
            .uri(&format!("/a/{token}"))
            .set_form([("intent", "withdraw"), ("reason", ""), ("confirm", "yes")]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers.get("location").unwrap(),
        &format!("{token}?done=withdrawn")
    );
    let (_, piece) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}"))
        .await;
    assert_eq!(piece["state"], "withdrawn");
}

#[actix_web::test]
async fn the_declaration_reaches_the_editors_until_the_piece_is_scheduled() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let (_, publisher) = desk.user(Role::Publisher);
    let (id, token) = submit(&desk, 1, "amal@example.org", "Op-Ed: Budgets");

    let (_, before) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}"))
        .await;
    assert_eq!(before["exclusive_confirmed"], Value::Null);
    assert_eq!(before["disclosure"], Value::Null);

    for (body, field) in [
        (
            json!({"exclusive": true, "disclosure": "   "}),
            "disclosure",
        ),
        (
            json!({"exclusive": true, "disclosure": "x".repeat(2001)}),
            "disclosure",
        ),
    ] {
        let (status, answer) = declare(&desk, &token, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["field"], field);
    }
    let (status, answer) = declare(&desk, &token, json!({"exclusive": "yes"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");

    let (status, answer) = declare(
        &desk,
        &token,
        json!({"exclusive": true, "disclosure": "I advise the central bank."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["exclusive_confirmed"], true);
    assert_eq!(answer["disclosure"], "I advise the central bank.");
    let (_, after) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}"))
        .await;
    assert_eq!(after["exclusive_confirmed"], true);
    assert_eq!(after["disclosure"], "I advise the central bank.");
    assert!(after["declared_at"].is_string());
    assert!(after["version"].as_i64() > before["version"].as_i64());
    let (status, history) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}/history"))
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let last = history.as_array().unwrap().last().unwrap();
    assert_eq!(last["action"], "author_declared");
    assert_eq!(last["actor"], Value::Null);

    // Changed through the page's form: an unticked box is a "no", and
    // "None." is kept as none.
    let (status, headers, _) = page(
        &desk,
        test::TestRequest::post()
            .uri(&format!("/a/{token}"))
            .set_form([("intent", "declare"), ("disclosure", "None.")]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers.get("location").unwrap(),
        &format!("{token}?done=declared")
    );
    let (_, after) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}"))
        .await;
    assert_eq!(after["exclusive_confirmed"], false);
    assert_eq!(after["disclosure"], "none");

    // Scheduled on the strength of the answers: they no longer change.
    desk.force_state(id, "approved");
    let (status, body) = step(
        &desk,
        &publisher,
        id,
        json!({"action": "schedule", "publish_at": "2030-01-01T00:00:00Z", "note": "Checked."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, answer) = declare(
        &desk,
        &token,
        json!({"exclusive": true, "disclosure": "none"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["code"], "declaration_closed");
}

#[actix_web::test]
async fn publishing_without_confirmed_exclusivity_needs_a_publishers_note() {
    let desk = Desk::new().await;
    let (_, publisher) = desk.user(Role::Publisher);
    let (id, token) = submit(&desk, 1, "amal@example.org", "Op-Ed: Budgets");
    desk.force_state(id, "approved");

    for action in [
        json!({"action": "publish"}),
        json!({"action": "publish", "note": "  "}),
        json!({"action": "schedule", "publish_at": "2030-01-01T00:00:00Z"}),
    ] {
        let (status, body) = step(&desk, &publisher, id, action.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {body}");
        assert_eq!(body["code"], "exclusivity_unconfirmed");
        assert_eq!(body["field"], "note");
        assert!(
            body["detail"].as_str().unwrap().contains("exclusive"),
            "{body}"
        );
    }
    // The author said no: a note is still needed.
    declare(
        &desk,
        &token,
        json!({"exclusive": false, "disclosure": "none"}),
    )
    .await;
    let (status, _) = step(&desk, &publisher, id, json!({"action": "publish"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) = step(
        &desk,
        &publisher,
        id,
        json!({"action": "publish", "note": "Offered elsewhere only in translation."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "published");

    // With the author's confirmation no note is needed.
    let (other, other_token) = submit(&desk, 2, "omar@example.net", "Op-Ed: Ports");
    declare(
        &desk,
        &other_token,
        json!({"exclusive": true, "disclosure": "none"}),
    )
    .await;
    desk.force_state(other, "approved");
    let (status, body) = step(&desk, &publisher, other, json!({"action": "publish"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[actix_web::test]
async fn a_disclosure_other_than_none_is_published_with_the_piece() {
    let desk = Desk::new().await;
    let (_, publisher) = desk.user(Role::Publisher);
    let (disclosed, disclosed_token) = submit(&desk, 1, "amal@example.org", "Op-Ed: Budgets");
    let (plain, plain_token) = submit(&desk, 2, "omar@example.net", "Op-Ed: Ports");
    declare(
        &desk,
        &disclosed_token,
        json!({"exclusive": true, "disclosure": "I advise the central bank <pro bono> & own no bonds."}),
    )
    .await;
    declare(
        &desk,
        &plain_token,
        json!({"exclusive": true, "disclosure": "none"}),
    )
    .await;
    for id in [disclosed, plain] {
        desk.force_state(id, "approved");
        let (status, body) = step(&desk, &publisher, id, json!({"action": "publish"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let (status, piece, _) = desk
        .call(test::TestRequest::get().uri("/api/v1/public/opeds/budgets"))
        .await;
    assert_eq!(status, StatusCode::OK, "{piece}");
    assert_eq!(
        piece["disclosure"],
        "I advise the central bank <pro bono> & own no bonds."
    );
    let (_, piece, _) = desk
        .call(test::TestRequest::get().uri("/api/v1/public/opeds/ports"))
        .await;
    assert_eq!(piece["disclosure"], Value::Null);

    let (status, _, xml) = page(&desk, test::TestRequest::get().uri("/feed.atom")).await;
    assert_eq!(status, StatusCode::OK);
    let feed = roxmltree::Document::parse(&xml).expect("the feed is well-formed XML");
    let contents: Vec<String> = feed
        .descendants()
        .filter(|node| node.has_tag_name("content"))
        .map(|node| node.text().unwrap_or_default().to_string())
        .collect();
    assert_eq!(contents.len(), 2);
    let with: Vec<&String> = contents
        .iter()
        .filter(|html| {
            html.contains(
                "Disclosure: I advise the central bank &lt;pro bono&gt; &amp; own no bonds.",
            )
        })
        .collect();
    assert_eq!(with.len(), 1, "{contents:?}");
    assert_eq!(
        contents
            .iter()
            .filter(|html| html.contains("Disclosure"))
            .count(),
        1
    );
}

#[actix_web::test]
async fn the_page_escapes_the_title_and_keeps_the_token_to_itself() {
    let desk = Desk::new().await;
    let (_, token) = submit(
        &desk,
        1,
        "amal@example.org",
        "Op-Ed: Budgets <script>alert(1)</script> & \"bombs\"",
    );
    let (status, headers, html) =
        page(&desk, test::TestRequest::get().uri(&format!("/a/{token}"))).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(
        headers.get("content-type").unwrap(),
        "text/html; charset=utf-8"
    );
    assert_eq!(headers.get("referrer-policy").unwrap(), "no-referrer");
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    let csp = headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );

    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("Budgets &lt;script&gt;alert(1)&lt;"),
        "{html}"
    );
    assert!(html.contains("&amp; &quot;bombs&quot;"), "{html}");
    // Every control has its label; the forms post to the page itself.
    for control in ["exclusive", "disclosure", "reason", "confirm"] {
        assert!(html.contains(&format!("id=\"{control}\"")), "{control}");
        assert!(
            html.contains(&format!("<label for=\"{control}\"")),
            "{control}"
        );
    }
    assert_eq!(html.matches(&format!("action=\"{token}\"")).count(), 2);
    assert!(html.contains("Received: it is waiting for an editor."));

    let (_, _, saved) = page(
        &desk,
        test::TestRequest::get().uri(&format!("/a/{token}?done=declared")),
    )
    .await;
    assert!(saved.contains("role=\"status\""), "{saved}");
}

#[actix_web::test]
async fn one_address_gets_a_bounded_share_of_status_link_requests() {
    let desk = Desk::new().await;
    let from = |ip: &str| -> std::net::SocketAddr { format!("{ip}:40000").parse().unwrap() };
    let unknown = "A".repeat(43);
    for _ in 0..60 {
        let (status, _, _) = desk
            .call(
                test::TestRequest::get()
                    .uri(&format!("/api/v1/author/{unknown}"))
                    .peer_addr(from("192.0.2.9")),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, body, headers) = desk
        .call(
            test::TestRequest::get()
                .uri(&format!("/a/{unknown}"))
                .peer_addr(from("192.0.2.9")),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_requests");
    assert!(headers.contains_key("retry-after"));
    let (status, _, _) = desk
        .call(
            test::TestRequest::get()
                .uri(&format!("/api/v1/author/{unknown}"))
                .peer_addr(from("192.0.2.10")),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn author_consent(desk: &Desk, token: &str) -> (StatusCode, Value) {
    let (status, body, _) = desk
        .call(test::TestRequest::post().uri(&format!("/api/v1/author/{token}/consent")))
        .await;
    (status, body)
}

#[actix_web::test]
async fn a_piece_the_author_withdrew_is_reopened_only_with_their_consent_and_they_are_told() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let (id, token) = submit(&desk, 1, "amal@example.org", "Op-Ed: Budgets");
    let uri = format!("/api/v1/submissions/{id}");
    let (status, body) = author_withdraw(&desk, &token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["can_consent"], true);

    // Final for the desk: not offered, and refused.
    let (_, piece) = desk.get(&editor, &uri).await;
    assert_eq!(piece["allowed_actions"], json!([]));
    let (status, body) = step(&desk, &editor, id, json!({"action": "reopen"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "withdrawn_by_author");
    let (_, piece) = desk.get(&editor, &uri).await;
    assert_eq!(piece["state"], "withdrawn");

    // The author says the desk may consider it again, on their page.
    let form = |fields: &'static [(&'static str, &'static str)]| {
        test::TestRequest::post()
            .uri(&format!("/a/{token}"))
            .set_form(fields)
    };
    let (status, _, html) = page(&desk, form(&[("intent", "consent")])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let (status, headers, _) =
        page(&desk, form(&[("intent", "consent"), ("confirm", "yes")])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers.get("location").unwrap(),
        &format!("{token}?done=consented")
    );
    let (_, status_now) = author_get(&desk, &token).await;
    assert_eq!(status_now["status"], "withdrawn");
    assert_eq!(status_now["can_consent"], false);
    assert_eq!(status_now["consented_again"], true);
    let (status, body) = author_consent(&desk, &token).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "nothing_to_consent");

    let (_, piece) = desk.get(&editor, &uri).await;
    assert_eq!(piece["allowed_actions"], json!(["reopen"]));
    let (status, body) = step(&desk, &editor, id, json!({"action": "reopen"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "draft");
    let (_, history) = desk.get(&editor, &format!("{uri}/history")).await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["author_withdraw", "author_consented", "reopen"]);

    // And the author hears of it.
    let arrived = common::smtp::mail_through_smtp(&desk.db.url);
    assert_eq!(arrived.len(), 1, "{arrived:?}");
    assert_eq!(arrived[0].rcpt_to, ["amal@example.org"]);
    let parsed = arrived[0].parsed();
    assert!(
        parsed
            .subject()
            .unwrap()
            .contains("Back with the desk: Budgets"),
        "{:?}",
        parsed.subject()
    );
    let text = parsed.body_text(0).unwrap().into_owned();
    assert!(text.contains("An editor has now reopened it"), "{text}");
}

#[actix_web::test]
async fn a_new_mail_from_the_author_is_consent_and_an_editors_withdrawal_reopens_as_before() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let (by_author, token) = submit(&desk, 1, "amal@example.org", "Op-Ed: Budgets");
    let (by_desk, _) = submit(&desk, 2, "omar@example.net", "Op-Ed: Ports and power");
    author_withdraw(&desk, &token, json!({})).await;
    let (status, body) = step(&desk, &editor, by_desk, json!({"action": "withdraw"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Withdrawn at the author's emailed request: reopened as before, quietly.
    let (status, body) = step(&desk, &editor, by_desk, json!({"action": "reopen"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = step(&desk, &editor, by_author, json!({"action": "reopen"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The author writes about the piece again: a reply on its thread.
    let reference: String = submissions::table
        .find(by_author)
        .select(submissions::reference)
        .first(&mut desk.db.conn())
        .unwrap();
    let report = desk.ingest_raw(&mail(
        3,
        "Writer 1 <amal@example.org>",
        &format!("Re: [{reference}] I would like it considered after all"),
    ));
    assert_eq!(report.outcome, oped::intake::Outcome::Reply);
    let (status, body) = step(&desk, &editor, by_author, json!({"action": "reopen"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let reopened: Vec<(Option<i64>, String)> = outbox::table
        .filter(outbox::topic.eq("reopened"))
        .select((outbox::submission_id, outbox::state))
        .load(&mut desk.db.conn())
        .unwrap();
    assert_eq!(reopened, [(Some(by_author), "pending".to_string())]);
}
