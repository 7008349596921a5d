//! The inbox through the API, as an editor meets it: reading a message,
//! dismissing and restoring it, filing it with a piece by reference, and
//! making a piece of it that acknowledges its author.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test;
use common::bearer;
use common::desk::Desk;
use diesel::prelude::*;
use oped::auth::Role;
use oped::schema::{inbound_messages, submissions};
use serde_json::{Value, json};

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// A reader's letter with no marker and no reference: unmatched.
const LETTER: &str = "From: Nadia Farouk <nadia@example.com>\r\n\
    Subject: About your budget piece\r\n\
    Message-ID: <letter-1@example.com>\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\r\n\
    The figures in the third paragraph are from 2024, not 2025.\r\n";

fn unmatched(desk: &Desk, raw: &str) -> i64 {
    let report = desk.ingest_raw(raw);
    assert_eq!(report.outcome, oped::intake::Outcome::Unmatched);
    report.message
}

async fn post(desk: &Desk, token: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = test::TestRequest::post()
        .uri(uri)
        .insert_header(bearer(token));
    if let Some(body) = body {
        request = request.set_json(body);
    }
    let (status, body, _) = desk.call(request).await;
    (status, body)
}

fn inbox_ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

fn reference_of(desk: &Desk, id: i64) -> String {
    submissions::table
        .find(id)
        .select(submissions::reference)
        .first(&mut desk.db.conn())
        .unwrap()
}

#[actix_web::test]
async fn a_message_reads_as_its_sender_text_and_attachments() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let raw = common::mail_with_attachment(
        "From: Nadia Farouk <nadia@example.com>\r\nSubject: Photos for you\r\nMessage-ID: <photos@example.com>\r\n",
        "Two photos of the port, if you want them.",
        "port.jpg",
        "image/jpeg",
        b"\xff\xd8\xff\xe0fake jpeg",
    );
    let report = common::ingest(&mut desk.db.conn(), &raw);
    assert_eq!(report.outcome, oped::intake::Outcome::Unmatched);

    let (status, message) = desk
        .get(&editor, &format!("/api/v1/inbox/{}", report.message))
        .await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["id"], report.message);
    assert_eq!(message["sender_name"], "Nadia Farouk");
    assert_eq!(message["sender_email"], "nadia@example.com");
    assert_eq!(message["subject"], "Photos for you");
    assert_eq!(message["outcome"], "unmatched");
    assert!(message["received_at"].is_string());
    assert_eq!(message["dismissed_at"], Value::Null);
    assert_eq!(message["text"], "Two photos of the port, if you want them.");
    assert_eq!(message["text_truncated"], false);
    assert_eq!(
        message["attachments"],
        json!([{"filename": "port.jpg", "content_type": "image/jpeg", "size": 13}])
    );

    // Only the inbox's mail is read here; a submission's message is not.
    let piece = desk.ingest("01-plain.eml");
    let piece_message: i64 = submissions::table
        .find(piece)
        .select(submissions::inbound_message_id)
        .first(&mut desk.db.conn())
        .unwrap();
    for id in [piece_message, 999_999] {
        let (status, body) = desk.get(&editor, &format!("/api/v1/inbox/{id}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
    }
}

#[actix_web::test]
async fn a_quarantined_message_reads_with_the_reason_it_cannot_be_read() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let report = common::ingest(
        &mut desk.db.conn(),
        &common::corpus_file("14-no-sender.eml"),
    );
    assert_eq!(report.outcome, oped::intake::Outcome::Quarantined);
    let (status, message) = desk
        .get(&editor, &format!("/api/v1/inbox/{}", report.message))
        .await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["outcome"], "quarantined");
    assert_eq!(message["text"], Value::Null);
    assert!(
        message["unreadable"]
            .as_str()
            .unwrap()
            .contains("no sender"),
        "{message}"
    );
}

#[actix_web::test]
async fn a_dismissed_message_leaves_the_list_is_kept_and_can_be_restored() {
    let desk = Desk::new().await;
    let (editor_id, editor) = desk.user(Role::Editor);
    let id = unmatched(&desk, LETTER);

    let (status, item) = post(&desk, &editor, &format!("/api/v1/inbox/{id}/dismiss"), None).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert!(item["dismissed_at"].is_string());
    let (_, waiting) = desk.get(&editor, "/api/v1/inbox").await;
    assert!(inbox_ids(&waiting).is_empty(), "{waiting}");
    let (_, dismissed) = desk.get(&editor, "/api/v1/inbox?dismissed=true").await;
    assert_eq!(inbox_ids(&dismissed), [id]);

    // Kept whole, with who set it aside; still readable.
    let (raw, dismissed_by): (Vec<u8>, Option<i64>) = inbound_messages::table
        .find(id)
        .select((inbound_messages::raw, inbound_messages::dismissed_by))
        .first(&mut desk.db.conn())
        .unwrap();
    assert_eq!(raw, LETTER.as_bytes());
    assert_eq!(dismissed_by, Some(editor_id));
    let (status, _) = desk.get(&editor, &format!("/api/v1/inbox/{id}")).await;
    assert_eq!(status, StatusCode::OK);

    let (status, item) = post(&desk, &editor, &format!("/api/v1/inbox/{id}/restore"), None).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["dismissed_at"], Value::Null);
    let (_, waiting) = desk.get(&editor, "/api/v1/inbox").await;
    assert_eq!(inbox_ids(&waiting), [id]);
    let (_, dismissed) = desk.get(&editor, "/api/v1/inbox?dismissed=true").await;
    assert!(inbox_ids(&dismissed).is_empty());

    let (status, body) = post(&desk, &editor, "/api/v1/inbox/999999/dismiss", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[actix_web::test]
async fn a_message_attached_by_reference_is_on_the_pieces_correspondence() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let piece = desk.ingest("01-plain.eml");
    let reference = reference_of(&desk, piece);
    let id = unmatched(&desk, LETTER);

    // Typed as an editor might: lower case.
    let (status, attached) = post(
        &desk,
        &editor,
        &format!("/api/v1/inbox/{id}/attach"),
        Some(json!({"reference": reference.to_lowercase()})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{attached}");
    assert_eq!(
        attached,
        json!({"submission_id": piece, "reference": reference})
    );

    let (status, letters) = desk
        .get(
            &editor,
            &format!("/api/v1/submissions/{piece}/correspondence"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let letter = letters
        .as_array()
        .unwrap()
        .iter()
        .find(|letter| letter["sender_email"] == "nadia@example.com")
        .unwrap_or_else(|| panic!("the letter is filed: {letters}"));
    assert_eq!(letter["direction"], "inbound");
    assert_eq!(letter["subject"], "About your budget piece");
    assert!(
        letter["body_text"]
            .as_str()
            .unwrap()
            .contains("from 2024, not 2025"),
        "{letter}"
    );

    let (_, waiting) = desk.get(&editor, "/api/v1/inbox").await;
    assert!(
        inbox_ids(&waiting).is_empty(),
        "it left the inbox: {waiting}"
    );
    let (status, body) = post(
        &desk,
        &editor,
        &format!("/api/v1/inbox/{id}/attach"),
        Some(json!({"reference": reference})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_in_inbox"))
    );
}

#[actix_web::test]
async fn a_new_text_from_anyone_but_the_author_waits_as_a_proposal() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let piece = desk.ingest("01-plain.eml");
    let reference = reference_of(&desk, piece);
    let (_, before) = desk
        .get(&editor, &format!("/api/v1/submissions/{piece}"))
        .await;
    // A translator sends a new version, with the desk's MTA vouching for
    // the address: from the author it would replace the text at once.
    let raw = common::mail_with_attachment(
        "From: Translator <translator@example.com>\r\n\
         Authentication-Results: mx.desk.example; dmarc=pass header.from=example.com\r\n\
         Subject: New version\r\nMessage-ID: <translation@example.com>\r\n",
        "Here is the revised text.",
        "budget.docx",
        DOCX,
        &common::docx(&[
            "A rewritten budget piece, paragraph one.",
            "And paragraph two.",
        ]),
    );
    let report = common::ingest(&mut desk.db.conn(), &raw);
    assert_eq!(report.outcome, oped::intake::Outcome::Unmatched);

    let (status, attached) = post(
        &desk,
        &editor,
        &format!("/api/v1/inbox/{}/attach", report.message),
        Some(json!({"reference": reference})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{attached}");
    let (_, after) = desk
        .get(&editor, &format!("/api/v1/submissions/{piece}"))
        .await;
    assert_eq!(
        after["body_text"], before["body_text"],
        "the text is unchanged"
    );
    let (_, proposals) = desk
        .get(&editor, &format!("/api/v1/submissions/{piece}/proposals"))
        .await;
    assert_eq!(proposals.as_array().unwrap().len(), 1, "{proposals}");
    assert_eq!(proposals[0]["status"], "pending");
    assert!(
        proposals[0]["body_text"]
            .as_str()
            .unwrap()
            .contains("A rewritten budget piece"),
        "{proposals}"
    );
}

#[actix_web::test]
async fn an_unknown_reference_is_a_404_problem_naming_it() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = unmatched(&desk, LETTER);
    let (status, body, headers) = desk
        .call(
            test::TestRequest::post()
                .uri(&format!("/api/v1/inbox/{id}/attach"))
                .insert_header(bearer(&editor))
                .set_json(json!({"reference": "OE-2099-9999"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/problem+json"
    );
    assert_eq!(body["code"], "unknown_reference");
    assert_eq!(body["field"], "reference");
    assert!(
        body["detail"].as_str().unwrap().contains("OE-2099-9999"),
        "{body}"
    );
    let (status, body) = post(
        &desk,
        &editor,
        &format!("/api/v1/inbox/{id}/attach"),
        Some(json!({"reference": "the budget one"})),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reference"))
    );
    let (_, waiting) = desk.get(&editor, "/api/v1/inbox").await;
    assert_eq!(inbox_ids(&waiting), [id], "still in the inbox");
}

#[actix_web::test]
async fn a_promoted_message_acknowledges_its_author_through_smtp() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = unmatched(&desk, LETTER);
    let (status, piece) = post(&desk, &editor, &format!("/api/v1/inbox/{id}/promote"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{piece}");
    let reference = piece["reference"].as_str().unwrap().to_string();

    let arrived = common::smtp::mail_through_smtp(&desk.db.url);
    assert_eq!(arrived.len(), 1, "{arrived:?}");
    assert_eq!(arrived[0].rcpt_to, ["nadia@example.com"]);
    let parsed = arrived[0].parsed();
    let subject = parsed.subject().unwrap().to_string();
    assert!(
        subject.contains(&reference) && subject.contains("Received"),
        "{subject}"
    );
    let text = parsed.body_text(0).unwrap().into_owned();
    assert!(text.contains("About your budget piece"), "{text}");
    // The author's status link went with it: its digest is kept for the piece.
    let links: i64 = oped::schema::author_links::table
        .filter(oped::schema::author_links::submission_id.eq(piece["id"].as_i64().unwrap()))
        .count()
        .get_result(&mut desk.db.conn())
        .unwrap();
    assert_eq!(links, 1);
}

#[actix_web::test]
async fn without_an_editor_every_inbox_route_is_401() {
    let desk = Desk::new().await;
    let id = unmatched(&desk, LETTER);
    let gets = ["/api/v1/inbox".to_string(), format!("/api/v1/inbox/{id}")];
    for uri in &gets {
        let (status, body, _) = desk.call(test::TestRequest::get().uri(uri)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized")),
            "{uri}"
        );
    }
    for act in ["promote", "attach", "dismiss", "restore"] {
        let uri = format!("/api/v1/inbox/{id}/{act}");
        let (status, body, _) = desk
            .call(
                test::TestRequest::post()
                    .uri(&uri)
                    .set_json(json!({"reference": "OE-2026-0001"})),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized")),
            "{uri}"
        );
    }
    let (_, waiting_token) = desk.user(Role::Editor);
    let (_, waiting) = desk.get(&waiting_token, "/api/v1/inbox").await;
    assert_eq!(inbox_ids(&waiting), [id], "nothing was done");
}
