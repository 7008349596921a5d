//! Replies that cannot rewrite what readers see: a reply's new text applies
//! at once only to an open piece (draft, in review) from an authenticated
//! author; anything else waits as a proposed revision for an editor.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test;
use common::bearer;
use common::desk::Desk;
use diesel::prelude::*;
use oped::auth::Role;
use oped::intake::Outcome;
use oped::schema::outbox;
use serde_json::{Value, json};

const AUTHOR: &str = "Amal Haddad <amal.haddad@example.org>";
const ORIGINAL_FIRST_LINE: &str = "Libya's two rival administrations";

/// A reply by `from` naming `subject`, with `headers`, carrying `text` as a
/// `.txt` attachment (the document that is its new version).
fn reply(from: &str, subject: &str, headers: &str, text: &str) -> Vec<u8> {
    common::mail_with_attachment(
        &format!(
            "From: {from}\r\nSubject: {subject}\r\nMessage-ID: <{}@example.org>\r\n{headers}",
            rand_id()
        ),
        "Here is my new version.",
        "piece-v2.txt",
        "text/plain; charset=utf-8",
        text.as_bytes(),
    )
}

fn rand_id() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

async fn step(desk: &Desk, token: &str, id: i64, body: Value) {
    let version = desk.version(token, id).await;
    let (status, answer) = desk.transition(token, id, Some(version), body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// 01-plain taken all the way to published; returns (id, reference, slug).
async fn published_piece(desk: &Desk, publisher: &str) -> (i64, String, String) {
    let id = desk.ingest("01-plain.eml");
    step(desk, publisher, id, json!({"action": "start_review"})).await;
    step(desk, publisher, id, json!({"action": "approve"})).await;
    step(
        desk,
        publisher,
        id,
        json!({"action": "publish", "note": "The author confirmed exclusivity by phone."}),
    )
    .await;
    let (_, piece) = desk
        .get(publisher, &format!("/api/v1/submissions/{id}"))
        .await;
    assert_eq!(piece["state"], "published");
    (
        id,
        piece["reference"].as_str().unwrap().to_string(),
        piece["slug"].as_str().unwrap().to_string(),
    )
}

async fn public_body(desk: &Desk, slug: &str) -> String {
    let (status, body, _) = desk
        .call(test::TestRequest::get().uri(&format!("/api/v1/public/opeds/{slug}")))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["body_html"].as_str().unwrap().to_string()
}

async fn feed(desk: &Desk) -> String {
    let request = test::TestRequest::get().uri("/feed.atom").to_request();
    let response = test::call_service(&desk.app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
}

fn webhooks(desk: &Desk) -> Vec<String> {
    outbox::table
        .filter(outbox::kind.eq("webhook"))
        .order(outbox::id)
        .select(outbox::topic)
        .load(&mut desk.db.conn())
        .unwrap()
}

async fn post(desk: &Desk, token: &str, uri: &str, version: Option<i64>) -> (StatusCode, Value) {
    let mut request = test::TestRequest::post()
        .uri(uri)
        .insert_header(bearer(token));
    if let Some(version) = version {
        request = request.insert_header(("If-Match", format!("\"{version}\"")));
    }
    let (status, body, _) = desk.call(request).await;
    (status, body)
}

#[actix_web::test]
async fn a_forged_reply_leaves_the_published_piece_and_waits_for_an_editor() {
    let desk = Desk::new().await;
    let (_, publisher) = desk.user(Role::Publisher);
    let (_, editor) = desk.user(Role::Editor);
    let (id, reference, slug) = published_piece(&desk, &publisher).await;
    let uri = format!("/api/v1/submissions/{id}");
    let before_public = public_body(&desk, &slug).await;
    let before_feed = feed(&desk).await;
    let (_, before) = desk.get(&editor, &uri).await;
    let webhooks_before = webhooks(&desk);

    // From: the author, the reference in the subject, our own server saying
    // DMARC failed: a forgery.
    let forged = reply(
        AUTHOR,
        &format!("Re: [{reference}] Why Libya needs a unified budget"),
        "Authentication-Results: mx.desk.example; dmarc=fail (p=none) header.from=example.org\r\n",
        "Libya should abolish its central bank.\n\nSigned, nobody.",
    );
    let report = common::ingest(&mut desk.db.conn(), &forged);
    assert_eq!(report.outcome, Outcome::Reply);
    assert_eq!(report.reference.as_deref(), Some(reference.as_str()));

    // Readers and the site see nothing new.
    assert_eq!(public_body(&desk, &slug).await, before_public);
    assert_eq!(feed(&desk).await, before_feed);
    assert!(!feed(&desk).await.contains("abolish"));
    assert_eq!(
        webhooks(&desk),
        webhooks_before,
        "no webhook for a proposal"
    );
    // Nor do the editors' text and version change.
    let (_, after) = desk.get(&editor, &uri).await;
    assert_eq!(after["body_text"], before["body_text"]);
    assert_eq!(after["version"], before["version"]);
    assert!(
        after["body_text"]
            .as_str()
            .unwrap()
            .contains(ORIGINAL_FIRST_LINE)
    );
    assert_eq!(after["pending_proposals"], 1);

    // It waits as a proposal, with the verdict of the reply, and in history.
    let (status, proposals) = desk.get(&editor, &format!("{uri}/proposals")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(proposals.as_array().unwrap().len(), 1);
    assert_eq!(proposals[0]["status"], "pending");
    assert_eq!(proposals[0]["sender_verdict"], "fail");
    assert!(
        proposals[0]["body_text"]
            .as_str()
            .unwrap()
            .contains("abolish")
    );
    let (_, history) = desk.get(&editor, &format!("{uri}/history")).await;
    let last = history.as_array().unwrap().last().unwrap();
    assert_eq!(last["action"], "revision_proposed");
    assert_eq!(last["from"], "published");
    assert_eq!(last["to"], "published");
    assert!(last["note"].as_str().unwrap().contains("fail"), "{last}");
}

#[actix_web::test]
async fn accepting_a_proposal_on_a_published_piece_is_a_publishers_act() {
    let desk = Desk::new().await;
    let (_, publisher) = desk.user(Role::Publisher);
    let (_, editor) = desk.user(Role::Editor);
    let (id, reference, slug) = published_piece(&desk, &publisher).await;
    let uri = format!("/api/v1/submissions/{id}");
    // A genuine correction from the author, authenticated: still a proposal,
    // because the piece is public.
    let correction = reply(
        AUTHOR,
        &format!("Re: [{reference}] correction"),
        "Authentication-Results: mx.desk.example; dmarc=pass header.from=example.org\r\n",
        "Libya has two governments and one corrected paragraph.",
    );
    assert_eq!(
        common::ingest(&mut desk.db.conn(), &correction).outcome,
        Outcome::Reply
    );
    let (_, proposals) = desk.get(&editor, &format!("{uri}/proposals")).await;
    assert_eq!(proposals[0]["sender_verdict"], "pass");
    let proposal = proposals[0]["id"].as_i64().unwrap();
    let accept = format!("{uri}/proposals/{proposal}/accept");
    let version = desk.version(&editor, id).await;

    let (status, body) = post(&desk, &editor, &accept, Some(version)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = post(&desk, &publisher, &accept, None).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{body}");
    let (status, body) = post(&desk, &publisher, &accept, Some(version - 1)).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    assert!(!public_body(&desk, &slug).await.contains("corrected"));

    let (status, accepted) = post(&desk, &publisher, &accept, Some(version)).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(
        accepted["body_text"],
        "Libya has two governments and one corrected paragraph."
    );
    assert_eq!(accepted["version"], version + 1);
    assert_eq!(accepted["pending_proposals"], 0);
    assert!(public_body(&desk, &slug).await.contains("corrected"));
    assert_eq!(webhooks(&desk).last().unwrap(), "opinion.updated");

    let (_, revisions) = desk.get(&editor, &format!("{uri}/revisions")).await;
    assert_eq!(revisions[0]["source"], "reply");
    assert_eq!(revisions[0]["sender_verdict"], "pass");
    let (_, proposals) = desk.get(&editor, &format!("{uri}/proposals")).await;
    assert_eq!(proposals[0]["status"], "accepted");
    assert_eq!(proposals[0]["revision"], revisions[0]["number"]);
    assert!(proposals[0]["decided_by"]["name"].is_string());
    let (_, history) = desk.get(&editor, &format!("{uri}/history")).await;
    assert_eq!(
        history.as_array().unwrap().last().unwrap()["action"],
        "revision_accepted"
    );

    // Decided once.
    let (status, body) = post(&desk, &publisher, &accept, Some(version + 1)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "proposal_decided");
    let (status, _) = post(
        &desk,
        &publisher,
        &format!("{uri}/proposals/999999/accept"),
        Some(1),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn an_unauthenticated_reply_to_a_draft_is_a_proposal_an_editor_can_discard() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let uri = format!("/api/v1/submissions/{id}");
    let (_, before) = desk.get(&editor, &uri).await;
    // The text it arrived with is its one revision.
    let (_, revisions) = desk.get(&editor, &format!("{uri}/revisions")).await;
    assert_eq!(revisions.as_array().unwrap().len(), 1, "{revisions}");
    assert_eq!(revisions[0]["number"], 1);
    assert_eq!(revisions[0]["source"], "email");
    assert_eq!(revisions[0]["body_text"], before["body_text"]);
    // No Authentication-Results from our server: nobody vouches for From:.
    let unverified = reply(
        AUTHOR,
        "Re: Op-Ed: Why Libya needs a unified budget",
        "In-Reply-To: <p01.amal@example.org>\r\n",
        "A text nobody vouched for.",
    );
    assert_eq!(
        common::ingest(&mut desk.db.conn(), &unverified).outcome,
        Outcome::Reply
    );
    let (_, after) = desk.get(&editor, &uri).await;
    assert_eq!(after["body_text"], before["body_text"]);
    assert_eq!(after["pending_proposals"], 1);

    let (_, proposals) = desk.get(&editor, &format!("{uri}/proposals")).await;
    assert_eq!(proposals[0]["sender_verdict"], "none");
    let proposal = proposals[0]["id"].as_i64().unwrap();
    let (status, discarded) = post(
        &desk,
        &editor,
        &format!("{uri}/proposals/{proposal}/discard"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{discarded}");
    assert_eq!(discarded["status"], "discarded");
    let (_, after) = desk.get(&editor, &uri).await;
    assert_eq!(after["body_text"], before["body_text"]);
    assert_eq!(after["pending_proposals"], 0);
    let (_, history) = desk.get(&editor, &format!("{uri}/history")).await;
    assert_eq!(
        history.as_array().unwrap().last().unwrap()["action"],
        "revision_discarded"
    );
    // A proposal of another piece is not found through this one.
    let other = desk.ingest("09-en-dash.eml");
    let (status, _) = post(
        &desk,
        &editor,
        &format!("/api/v1/submissions/{other}/proposals/{proposal}/discard"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_signature_for_another_domain_does_not_authenticate_the_author() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let uri = format!("/api/v1/submissions/{id}");
    let (_, before) = desk.get(&editor, &uri).await;
    let unaligned = reply(
        AUTHOR,
        "Re: Op-Ed: Why Libya needs a unified budget",
        "In-Reply-To: <p01.amal@example.org>\r\n\
         Authentication-Results: mx.desk.example; dkim=pass header.d=attacker.example; spf=pass smtp.mailfrom=x@attacker.example\r\n",
        "Text signed by somebody else's domain.",
    );
    assert_eq!(
        common::ingest(&mut desk.db.conn(), &unaligned).outcome,
        Outcome::Reply
    );
    let (_, after) = desk.get(&editor, &uri).await;
    assert_eq!(after["body_text"], before["body_text"]);
    assert_eq!(after["pending_proposals"], 1);
}

/// Only the topmost `Authentication-Results` is our server's: a sender's
/// own header naming our authserv-id, below another hop's, vouches for
/// nothing, and the reply's text waits for an editor.
#[actix_web::test]
async fn a_forged_header_below_another_servers_is_no_authentication() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let uri = format!("/api/v1/submissions/{id}");
    let (_, before) = desk.get(&editor, &uri).await;
    let forged = reply(
        AUTHOR,
        "Re: Op-Ed: Why Libya needs a unified budget",
        "Authentication-Results: relay.example.net; none\r\n\
         In-Reply-To: <p01.amal@example.org>\r\n\
         Authentication-Results: mx.desk.example; dmarc=pass header.from=example.org\r\n",
        "A text the sender vouched for themself.",
    );
    assert_eq!(
        common::ingest(&mut desk.db.conn(), &forged).outcome,
        Outcome::Reply
    );
    let (_, after) = desk.get(&editor, &uri).await;
    assert_eq!(after["body_text"], before["body_text"]);
    assert_eq!(after["pending_proposals"], 1);
    let (_, proposals) = desk.get(&editor, &format!("{uri}/proposals")).await;
    assert_eq!(proposals[0]["sender_verdict"], "none");

    // The same reply with our server's header on top applies at once.
    let vouched = reply(
        AUTHOR,
        "Re: Op-Ed: Why Libya needs a unified budget",
        "Authentication-Results: mx.desk.example; dmarc=pass header.from=example.org\r\n\
         In-Reply-To: <p01.amal@example.org>\r\n",
        "A text our server vouched for.",
    );
    assert_eq!(
        common::ingest(&mut desk.db.conn(), &vouched).outcome,
        Outcome::Reply
    );
    let (_, after) = desk.get(&editor, &uri).await;
    assert_eq!(after["body_text"], "A text our server vouched for.");
    assert_eq!(after["pending_proposals"], 1);
}

#[actix_web::test]
async fn a_subject_naming_two_pieces_threads_by_neither() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let first = desk.ingest("01-plain.eml");
    let (_, piece) = desk
        .get(&editor, &format!("/api/v1/submissions/{first}"))
        .await;
    let reference = piece["reference"].as_str().unwrap().to_string();
    let (_, body) = desk
        .get(
            &editor,
            &format!("/api/v1/submissions/{first}/correspondence"),
        )
        .await;
    let letters_before = body.as_array().unwrap().len();
    let both = reply(
        AUTHOR,
        &format!("Re: [{reference}] and [OE-2026-9999]"),
        "",
        "Which piece is this?",
    );
    assert_eq!(
        common::ingest(&mut desk.db.conn(), &both).outcome,
        Outcome::Unmatched
    );
    let (_, body) = desk
        .get(
            &editor,
            &format!("/api/v1/submissions/{first}/correspondence"),
        )
        .await;
    assert_eq!(body.as_array().unwrap().len(), letters_before);
}

#[actix_web::test]
async fn no_acknowledgement_goes_to_a_sender_that_failed_dmarc() {
    let desk = Desk::new().await;
    let forged = "From: Victim <victim@example.org>\r\nSubject: Op-Ed: Spoofed\r\n\
                  Authentication-Results: mx.desk.example; dmarc=fail header.from=example.org\r\n\
                  Message-ID: <forged-1@example.org>\r\n\r\nA piece under somebody else's name.\r\n";
    let report = desk.ingest_raw(forged);
    assert_eq!(report.outcome, Outcome::Submission, "kept for editors");
    let genuine = "From: Author <author@example.org>\r\nSubject: Op-Ed: Genuine\r\n\
                   Message-ID: <genuine-1@example.org>\r\n\r\nA piece.\r\n";
    assert_eq!(desk.ingest_raw(genuine).outcome, Outcome::Submission);
    let acknowledged: Vec<Option<String>> = outbox::table
        .filter(outbox::topic.eq("acknowledgement"))
        .select(outbox::recipient)
        .load(&mut desk.db.conn())
        .unwrap();
    assert_eq!(acknowledged, vec![Some("author@example.org".to_string())]);
}

#[actix_web::test]
async fn control_characters_never_reach_the_feed() {
    let desk = Desk::new().await;
    let (_, publisher) = desk.user(Role::Publisher);
    // An escape and a bell in the encoded subject, a form feed and a vertical
    // tab in the text: each would make the Atom feed ill-formed XML.
    let hostile = "From: =?utf-8?Q?Ctrl=07_Writer?= <ctrl@example.org>\r\n\
                   Subject: =?utf-8?Q?Op-Ed:_Bells=07_and_escapes=1B[31m?=\r\n\
                   Message-ID: <ctrl-1@example.org>\r\n\
                   Content-Type: text/plain; charset=utf-8\r\n\r\n\
                   First\x0c paragraph.\r\n\r\nSecond\x0b one\x01.\r\n";
    let report = desk.ingest_raw(hostile);
    assert_eq!(report.outcome, Outcome::Submission);
    assert_eq!(report.title.as_deref(), Some("Bells and escapes[31m"));
    let id: i64 = oped::schema::submissions::table
        .filter(oped::schema::submissions::reference.eq(report.reference.unwrap()))
        .select(oped::schema::submissions::id)
        .first(&mut desk.db.conn())
        .unwrap();
    let (_, piece) = desk
        .get(&publisher, &format!("/api/v1/submissions/{id}"))
        .await;
    assert_eq!(piece["body_text"], "First paragraph.\n\nSecond one.");
    assert_eq!(piece["author"]["name"], "Ctrl Writer");

    step(&desk, &publisher, id, json!({"action": "start_review"})).await;
    step(&desk, &publisher, id, json!({"action": "approve"})).await;
    step(
        &desk,
        &publisher,
        id,
        json!({"action": "publish", "note": "The author confirmed exclusivity by phone."}),
    )
    .await;
    let xml = feed(&desk).await;
    roxmltree::Document::parse(&xml).expect("the feed is well-formed XML");
    assert!(xml.contains("Bells and escapes"));
}

#[actix_web::test]
async fn accepting_a_proposal_on_a_scheduled_piece_is_a_publishers_act() {
    let desk = Desk::new().await;
    let (_, publisher) = desk.user(Role::Publisher);
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    step(&desk, &publisher, id, json!({"action": "start_review"})).await;
    step(&desk, &publisher, id, json!({"action": "approve"})).await;
    let at = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    step(
        &desk,
        &publisher,
        id,
        json!({"action": "schedule", "publish_at": at, "note": "The author confirmed exclusivity by phone."}),
    )
    .await;
    let uri = format!("/api/v1/submissions/{id}");
    let (_, piece) = desk.get(&editor, &uri).await;
    assert_eq!(piece["state"], "scheduled");
    let reference = piece["reference"].as_str().unwrap();
    let late = reply(
        AUTHOR,
        &format!("Re: [{reference}] one more change"),
        "Authentication-Results: mx.desk.example; dmarc=pass header.from=example.org\r\n",
        "A text the scheduler would publish as it stands.",
    );
    assert_eq!(
        common::ingest(&mut desk.db.conn(), &late).outcome,
        Outcome::Reply
    );
    let (_, proposals) = desk.get(&editor, &format!("{uri}/proposals")).await;
    let proposal = proposals[0]["id"].as_i64().unwrap();
    let accept = format!("{uri}/proposals/{proposal}/accept");
    let version = desk.version(&editor, id).await;

    let (status, body) = post(&desk, &editor, &accept, Some(version)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "publisher_only");
    let (_, unchanged) = desk.get(&editor, &uri).await;
    assert_eq!(unchanged["version"], version);
    assert_eq!(unchanged["body_text"], piece["body_text"]);
    assert_eq!(unchanged["pending_proposals"], 1);

    let (status, accepted) = post(&desk, &publisher, &accept, Some(version)).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(
        accepted["body_text"],
        "A text the scheduler would publish as it stands."
    );
    assert_eq!(accepted["state"], "scheduled");
}
