//! The API's pooled connections: no statement holds one past
//! `STATEMENT_TIMEOUT`, and the request that asked for it hears "try again
//! later" (503 with `Retry-After`), not a server error.

use crate::common;

use actix_web::ResponseError;
use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use diesel::prelude::*;
use oped::api::error::ApiError;
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
