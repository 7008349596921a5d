//! `POST /api/v1/inbound/messages` and the health endpoints, in-process.

use crate::common::{self, TestApp};

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test;
use diesel::prelude::*;
use oped::schema::inbound_messages;
use oped::secret::Secret;
use serde_json::Value;

fn post(body: &[u8]) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/api/v1/inbound/messages")
        .insert_header(("Authorization", format!("Bearer {}", common::INBOUND_TOKEN)))
        .insert_header(("Content-Type", "message/rfc822"))
        .set_payload(body.to_vec())
}

async fn problem(response: actix_web::dev::ServiceResponse) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["status"], status.as_u16());
    (status, body)
}

#[actix_web::test]
async fn new_submission_is_201_and_a_redelivery_200_duplicate() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url).build().await;
    let raw = common::corpus_file("01-plain.eml");

    let response = test::call_service(&app, post(&raw).to_request()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["outcome"], "submission");
    assert_eq!(body["title"], "Why Libya needs a unified budget");
    assert!(body["reference"].as_str().unwrap().starts_with("OE-"));

    let response = test::call_service(&app, post(&raw).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["outcome"], "duplicate");

    let response = test::call_service(
        &app,
        post(&common::corpus_file("05-autoreply.eml")).to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["outcome"], "ignored_auto");
}

#[actix_web::test]
async fn requests_without_the_right_token_are_refused_and_store_nothing() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url).build().await;
    let raw = common::corpus_file("01-plain.eml");

    let missing = test::TestRequest::post()
        .uri("/api/v1/inbound/messages")
        .insert_header(("Content-Type", "message/rfc822"))
        .set_payload(raw.clone())
        .to_request();
    let response = test::call_service(&app, missing).await;
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        "Bearer"
    );
    let (status, body) = problem(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");

    let wrong = post(&raw)
        .insert_header(("Authorization", "Bearer test-inbound-token-0123456780"))
        .to_request();
    let (status, _) = problem(test::call_service(&app, wrong).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let rows: i64 = inbound_messages::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(rows, 0);
}

#[actix_web::test]
async fn the_wrong_media_type_an_empty_body_and_an_oversized_one_are_named() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url)
        .with_config(|config| config.intake.limits.max_message_bytes = 4096)
        .build()
        .await;

    let json = post(b"{}")
        .insert_header(("Content-Type", "application/json"))
        .to_request();
    let (status, body) = problem(test::call_service(&app, json).await).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["code"], "unsupported_media_type");

    let (status, body) = problem(test::call_service(&app, post(b"").to_request()).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "empty_body");

    let big = vec![b'x'; 5000];
    let (status, body) = problem(test::call_service(&app, post(&big).to_request()).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "message_too_large");
    assert!(body["detail"].as_str().unwrap().contains("4096"));
}

#[actix_web::test]
async fn a_dead_database_answers_503_with_retry_after() {
    // Nothing listens on port 9: the pool cannot connect.
    let dead = oped::db::pool(
        &Secret::new("postgres://postgres@127.0.0.1:9/oped".to_string()),
        1,
        Duration::from_millis(500),
    );
    let app = TestApp::builder("postgres://postgres@127.0.0.1:9/oped")
        .with_pool(dead)
        .build()
        .await;

    let response = test::call_service(
        &app,
        post(&common::corpus_file("01-plain.eml")).to_request(),
    )
    .await;
    assert_eq!(response.headers().get("retry-after").unwrap(), "30");
    let (status, body) = problem(response).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "temporarily_unavailable");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        !detail.contains("127.0.0.1") && !detail.contains("postgres"),
        "no internals: {detail}"
    );

    let ready =
        test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let live =
        test::call_service(&app, test::TestRequest::get().uri("/healthz").to_request()).await;
    assert_eq!(live.status(), StatusCode::OK);
}

#[actix_web::test]
async fn readyz_is_ok_with_a_migrated_database() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url).build().await;
    let response =
        test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_nul_character_in_a_mail_is_stripped_and_the_mail_recorded() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url).build().await;
    let raw = b"From: A\0B <a@x.example>\r\nSubject: Op-Ed: Nul\0s\r\nMessage-ID: <n\0ul@x.example>\r\n\r\nbody\0text\r\n";
    let response = test::call_service(&app, post(raw).to_request()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["title"], "Nuls");
}

#[actix_web::test]
async fn a_message_id_of_9600_characters_is_201_and_the_next_message_read() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url).build().await;
    let raw = crate::intake_rules::long_message_id_mail("long");
    let response = test::call_service(&app, post(&raw).to_request()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["outcome"], "submission");

    let response = test::call_service(&app, post(&raw).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["outcome"], "duplicate");

    let next = common::corpus_file("01-plain.eml");
    let response = test::call_service(&app, post(&next).to_request()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[actix_web::test]
async fn mail_the_database_refuses_is_200_quarantined_never_503() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url).build().await;
    let raw = crate::intake_rules::mail_the_database_refuses("http");
    let response = test::call_service(&app, post(&raw).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["outcome"], "quarantined");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("refused to record"),
        "{body}"
    );
    let kept: i64 = inbound_messages::table
        .filter(inbound_messages::outcome.eq("quarantined"))
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(kept, 1);

    let next = common::corpus_file("01-plain.eml");
    let response = test::call_service(&app, post(&next).to_request()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}
