//! Mail around a submission through the API: the author's replies and
//! revisions, the editor's own messages, and the deliveries list.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test;
use common::bearer;
use common::desk::Desk;
use diesel::prelude::*;
use oped::auth::Role;
use oped::schema::outbox;
use serde_json::json;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

#[actix_web::test]
async fn a_revision_after_requested_changes_shows_as_revised() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let uri = format!("/api/v1/submissions/{id}");

    let (status, _) = desk
        .transition(&editor, id, Some(1), json!({"action": "start_review"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = desk
        .transition(
            &editor,
            id,
            Some(2),
            json!({"action": "request_changes", "note": "Shorter, please."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, before) = desk.get(&editor, &uri).await;
    assert_eq!(before["revised_at"], serde_json::Value::Null);
    // Another piece, new and not sent back: never waiting for its author.
    desk.ingest("03-arabic-1256.eml");
    let waiting = "/api/v1/submissions?waiting_for_author=true";
    let listed = |page: &serde_json::Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_i64().unwrap())
            .collect()
    };
    let (status, page) = desk.get(&editor, waiting).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        listed(&page),
        [id],
        "sent back for changes: it waits for its author"
    );

    // The author answers the thread of their original with a new document,
    // authenticated by our receiving server: it applies at once.
    let reply = common::mail_with_attachment(
        "From: Amal Haddad <amal.haddad@example.org>\r\nSubject: Re: Op-Ed: Why Libya needs a unified budget\r\n\
         Authentication-Results: mx.desk.example; dkim=pass header.d=example.org; dmarc=pass header.from=example.org\r\n\
         Message-ID: <p01-v2.amal@example.org>\r\nIn-Reply-To: <p01.amal@example.org>\r\n",
        "Here is the shorter version.",
        "budget-v2.docx",
        DOCX,
        &common::docx(&["A unified budget, shorter.", "One more paragraph."]),
    );
    let report =
        oped::intake::ingest(&mut desk.db.conn(), &reply, &common::intake_config()).unwrap();
    assert_eq!(report.outcome, oped::intake::Outcome::Reply);

    let (_, after) = desk.get(&editor, &uri).await;
    assert!(after["revised_at"].is_string(), "{after}");
    let (_, page) = desk.get(&editor, waiting).await;
    assert_eq!(
        listed(&page),
        Vec::<i64>::new(),
        "answered: it waits no more"
    );
    assert_eq!(after["state"], "draft");
    assert_eq!(
        after["body_text"],
        "A unified budget, shorter.\n\nOne more paragraph."
    );
    assert_eq!(after["pending_proposals"], 0);
    let (_, revisions) = desk.get(&editor, &format!("{uri}/revisions")).await;
    assert_eq!(revisions[0]["source"], "reply");
    assert_eq!(revisions[0]["sender_verdict"], "pass");

    let (status, letters) = desk.get(&editor, &format!("{uri}/correspondence")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(letters[0]["direction"], "inbound");
    assert_eq!(letters[0]["body_text"], "Here is the shorter version.");

    // Reading it again clears the flag.
    let version = after["version"].as_i64().unwrap();
    let (_, reviewed) = desk
        .transition(
            &editor,
            id,
            Some(version),
            json!({"action": "start_review"}),
        )
        .await;
    assert_eq!(reviewed["revised_at"], serde_json::Value::Null);
}

#[actix_web::test]
async fn an_editor_message_is_queued_and_listed_with_the_deliveries() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");

    let send = |body: serde_json::Value| {
        test::TestRequest::post()
            .uri(&format!("/api/v1/submissions/{id}/messages"))
            .insert_header(bearer(&editor))
            .set_json(body)
    };
    let (status, queued, _) = desk
        .call(send(
            json!({"subject": "A question", "body": "Could you send a photo?"}),
        ))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let delivery = queued["delivery_id"].as_i64().unwrap();
    let (status, body, _) = desk.call(send(json!({"subject": "", "body": "x"}))).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("subject"))
    );

    let (status, list) = desk
        .get(&editor, &format!("/api/v1/deliveries?submission_id={id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mine: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["id"] == delivery)
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["topic"], "message");
    assert_eq!(mine[0]["state"], "pending");

    let retry = |delivery: i64| {
        test::TestRequest::post()
            .uri(&format!("/api/v1/deliveries/{delivery}/retry"))
            .insert_header(bearer(&editor))
    };
    let (status, body, _) = desk.call(retry(delivery)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_dead"))
    );

    diesel::update(outbox::table.find(delivery))
        .set((
            outbox::state.eq("dead"),
            outbox::attempts.eq(8),
            outbox::last_error.eq("550 mailbox unavailable"),
        ))
        .execute(&mut desk.db.conn())
        .unwrap();
    let (status, revived, _) = desk.call(retry(delivery)).await;
    assert_eq!(status, StatusCode::OK, "{revived}");
    assert_eq!(
        (revived["state"].as_str(), revived["attempts"].as_i64()),
        (Some("pending"), Some(0))
    );
    let (status, _, _) = desk.call(retry(999_999)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
