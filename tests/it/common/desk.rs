//! An in-process editor desk for API tests: a fresh database, the app, users
//! with tokens, and mail ingested straight through intake.

use actix_web::http::StatusCode;
use actix_web::test;
use diesel::prelude::*;
use oped::auth::Role;
use oped::schema::{submissions, users};
use serde_json::Value;

use super::{TestApp, bearer};

pub struct Desk {
    pub db: super::TestDb,
    pub app: TestApp,
}

impl Desk {
    pub async fn new() -> Desk {
        let db = super::TestDb::new();
        let app = TestApp::builder(&db.url).build().await;
        Desk { db, app }
    }

    /// A user with `role` (`editor0@desk.example`, named `editor0`, …), and
    /// an access token for them.
    pub fn user(&self, role: Role) -> (i64, String) {
        let mut conn = self.db.conn();
        let n: i64 = users::table.count().get_result(&mut conn).unwrap();
        let email = format!("{}{n}@desk.example", role.as_str());
        let id = super::create_user(&mut conn, &email, role, None);
        (
            id,
            super::token_keys().issue(id, role, 0, chrono::Utc::now()),
        )
    }

    /// Ingests a corpus file; returns the submission id.
    pub fn ingest(&self, file: &str) -> i64 {
        super::ingest_submission(&mut self.db.conn(), file)
    }

    /// Ingests `raw` mail; what became of it.
    pub fn ingest_raw(&self, raw: &str) -> oped::intake::IngestReport {
        super::ingest(&mut self.db.conn(), raw.as_bytes())
    }

    pub fn force_state(&self, id: i64, state: &str) {
        diesel::update(submissions::table.find(id))
            .set(submissions::state.eq(state))
            .execute(&mut self.db.conn())
            .unwrap();
    }

    pub async fn call(
        &self,
        request: test::TestRequest,
    ) -> (StatusCode, Value, actix_web::http::header::HeaderMap) {
        let response = test::call_service(&self.app, request.to_request()).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = test::read_body(response).await;
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, json, headers)
    }

    pub async fn get(&self, token: &str, uri: &str) -> (StatusCode, Value) {
        let (status, body, _) = self
            .call(
                test::TestRequest::get()
                    .uri(uri)
                    .insert_header(bearer(token)),
            )
            .await;
        (status, body)
    }

    /// Every item of a paged list, following `next_cursor` to the last page;
    /// each page must answer 200. `uri` has a query (`?…`) for the cursor
    /// to join.
    pub async fn every_item(&self, token: &str, uri: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut page_uri = uri.to_string();
        loop {
            let (status, page) = self.get(token, &page_uri).await;
            assert_eq!(status, StatusCode::OK, "{page_uri}: {page}");
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(cursor) => page_uri = format!("{uri}&cursor={cursor}"),
                None => return items,
            }
        }
    }

    pub async fn version(&self, token: &str, id: i64) -> i64 {
        self.get(token, &format!("/api/v1/submissions/{id}"))
            .await
            .1["version"]
            .as_i64()
            .unwrap()
    }

    pub async fn transition(
        &self,
        token: &str,
        id: i64,
        version: Option<i64>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut request = test::TestRequest::post()
            .uri(&format!("/api/v1/submissions/{id}/transitions"))
            .insert_header(bearer(token))
            .set_json(body);
        if let Some(version) = version {
            request = request.insert_header(("If-Match", format!("\"{version}\"")));
        }
        let (status, body, _) = self.call(request).await;
        (status, body)
    }
}
