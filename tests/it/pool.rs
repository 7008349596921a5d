//! The API's pooled connections: no statement holds one past
//! `STATEMENT_TIMEOUT`, and the request that asked for it hears "try again
//! later" (503 with `Retry-After`), not a server error.

use crate::common;

use actix_web::ResponseError;
use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use diesel::prelude::*;
use oped::app::error::ApiError;
use oped::db::STATEMENT_TIMEOUT;

#[test]
fn a_statement_past_the_timeout_is_stopped_and_answered_with_503() {
    let db = common::TestDb::empty();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();

    let too_long = STATEMENT_TIMEOUT.as_secs() + 10;
    let started = std::time::Instant::now();
    let err = diesel::sql_query(format!("SELECT pg_sleep({too_long})"))
        .execute(&mut conn)
        .unwrap_err();
    assert!(
        started.elapsed().as_secs() < too_long,
        "the statement ran to its end: {err}"
    );

    let response = ApiError::from(err).error_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let body = response.into_body().try_into_bytes().unwrap();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "query_timeout", "{problem}");

    // The connection goes on serving once the statement is stopped.
    diesel::sql_query("SELECT 1").execute(&mut conn).unwrap();
}

/// A server that writes its messages in German (`lc_messages` of the
/// database; the machine needs the de_DE.UTF-8 locale, which `.ci/run`
/// makes): the pool's connections still tell a timeout from text the
/// database refuses, and the API answers each as it should.
#[test]
fn errors_are_recognised_whatever_language_the_server_writes() {
    let db = common::TestDb::empty();
    let mut admin = PgConnection::establish(&format!("{}/postgres", common::server_url())).unwrap();
    diesel::sql_query(format!(
        "ALTER DATABASE {} SET lc_messages = 'de_DE.UTF-8'",
        db.name
    ))
    .execute(&mut admin)
    .expect("the server accepts lc_messages = 'de_DE.UTF-8' (a de_DE.UTF-8 locale it can load)");
    // A connection of its own hears German, so the test is what it says.
    let german = diesel::sql_query("SELECT 1/0")
        .execute(&mut db.conn())
        .unwrap_err();
    assert!(
        german.to_string().contains("Division durch Null"),
        "{german}"
    );

    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let too_long = STATEMENT_TIMEOUT.as_secs() + 10;
    let timeout = diesel::sql_query(format!("SELECT pg_sleep({too_long})"))
        .execute(&mut conn)
        .unwrap_err();
    let (status, problem) = answer(timeout);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["code"], "query_timeout", "{problem}");

    let nul = diesel::sql_query("SELECT $1::text")
        .bind::<diesel::sql_types::Text, _>("before\0after")
        .execute(&mut conn)
        .unwrap_err();
    let (status, problem) = answer(nul);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "invalid_text", "{problem}");

    let escaped_nul = diesel::sql_query(r#"SELECT '"before\u0000after"'::jsonb ->> 0"#)
        .execute(&mut conn)
        .unwrap_err();
    let (status, problem) = answer(escaped_nul);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "invalid_text", "{problem}");
}

fn answer(err: diesel::result::Error) -> (StatusCode, serde_json::Value) {
    let response = ApiError::from(err).error_response();
    let status = response.status();
    let body = response.into_body().try_into_bytes().unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}
