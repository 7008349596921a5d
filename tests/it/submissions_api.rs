//! The editors' submissions API, in-process against a real database: the
//! workflow table over HTTP, preconditions, edits and revisions, lists,
//! notes, attachments and the inbox.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test;
use common::bearer;
use common::desk::Desk;
use diesel::prelude::*;
use oped::auth::Role;
use oped::schema::{outbox, submission_history, submissions};
use oped::submissions::search::{self, SearchStatistics};
use serde_json::{Value, json};

/// The spec's table: (action, from states, to, role needed).
const TABLE: &[(&str, &[&str], &str, Role)] = &[
    ("start_review", &["draft"], "in_review", Role::Editor),
    ("request_changes", &["in_review"], "draft", Role::Editor),
    ("approve", &["in_review"], "approved", Role::Editor),
    ("reject", &["draft", "in_review"], "rejected", Role::Editor),
    (
        "return_to_review",
        &["approved", "scheduled"],
        "in_review",
        Role::Editor,
    ),
    ("schedule", &["approved"], "scheduled", Role::Publisher),
    ("unschedule", &["scheduled"], "approved", Role::Publisher),
    (
        "publish",
        &["approved", "scheduled"],
        "published",
        Role::Publisher,
    ),
    ("unpublish", &["published"], "approved", Role::Publisher),
    (
        "withdraw",
        &["draft", "in_review", "approved", "scheduled"],
        "withdrawn",
        Role::Editor,
    ),
    ("reopen", &["rejected", "withdrawn"], "draft", Role::Editor),
];

const STATES: &[&str] = &[
    "draft",
    "in_review",
    "approved",
    "scheduled",
    "published",
    "rejected",
    "withdrawn",
];

fn transition_body(action: &str) -> Value {
    json!({
        "action": action,
        "note": "Please tighten the second paragraph.",
        "publish_at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
    })
}

#[actix_web::test]
async fn every_row_of_the_state_table_over_http() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let (_, publisher) = desk.user(Role::Publisher);
    let id = desk.ingest("01-plain.eml");

    for &(action, from, to, needed) in TABLE {
        for &state in STATES {
            desk.force_state(id, state);
            let version = desk.version(&editor, id).await;
            // The lowest role that may act, and (when there is one) a role below it.
            let allowed = if needed == Role::Editor {
                &editor
            } else {
                &publisher
            };
            let (status, body) = desk
                .transition(allowed, id, Some(version), transition_body(action))
                .await;
            if from.contains(&state) {
                assert_eq!(status, StatusCode::OK, "{action} from {state}: {body}");
                assert_eq!(body["state"], to, "{action} from {state}");
                assert_eq!(body["version"], version + 1);
            } else {
                assert_eq!(
                    status,
                    StatusCode::CONFLICT,
                    "{action} from {state}: {body}"
                );
                assert_eq!(body["code"], "invalid_transition");
            }
            if needed == Role::Publisher && from.contains(&state) {
                desk.force_state(id, state);
                let version = desk.version(&editor, id).await;
                let (status, body) = desk
                    .transition(&editor, id, Some(version), transition_body(action))
                    .await;
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{action} by an editor: {body}"
                );
                assert_eq!(body["code"], "forbidden");
            }
        }
    }
}

#[actix_web::test]
async fn transitions_need_a_current_if_match_and_write_history_and_outbox() {
    let desk = Desk::new().await;
    let (editor_id, editor) = desk.user(Role::Editor);
    let (other_id, other) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let (_, detail) = desk.get(&other, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(detail["assignee"], Value::Null, "nobody is assigned yet");

    let (status, body) = desk
        .transition(&editor, id, None, json!({"action": "start_review"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::PRECONDITION_REQUIRED,
            Some("precondition_required")
        )
    );
    let (status, body) = desk
        .transition(&editor, id, Some(99), json!({"action": "start_review"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("precondition_failed"))
    );

    let (status, body) = desk
        .transition(&editor, id, Some(1), json!({"action": "start_review"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["assignee"]["id"], editor_id,
        "start_review assigns the actor"
    );
    // Another editor's view of the piece names the assignee, not the reader.
    let (status, detail) = desk.get(&other, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        detail["assignee"],
        json!({"id": editor_id, "name": "editor0"})
    );
    assert_ne!(editor_id, other_id);
    assert_eq!(
        body["allowed_actions"],
        json!(["request_changes", "approve", "reject", "withdraw"])
    );

    // The same stale version again: someone else already moved it.
    let (status, _) = desk
        .transition(&editor, id, Some(1), json!({"action": "approve"}))
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);

    let (status, body) = desk
        .transition(&editor, id, Some(2), json!({"action": "request_changes"}))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note"))
    );
    let (status, body) = desk
        .transition(&editor, id, Some(2), json!({"action": "fly"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, _) = desk
        .transition(
            &editor,
            id,
            Some(2),
            json!({"action": "reject", "note": "Not for us."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, history) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}/history"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[1]["action"], "reject");
    assert_eq!(history[1]["from"], "in_review");
    assert_eq!(history[1]["to"], "rejected");
    assert_eq!(history[1]["note"], "Not for us.");
    assert_eq!(history[1]["actor"]["id"], editor_id);

    let mut conn = desk.db.conn();
    let queued: Vec<(String, String, Value)> = outbox::table
        .filter(outbox::submission_id.eq(id))
        .filter(outbox::topic.ne("acknowledgement"))
        .select((outbox::kind, outbox::topic, outbox::payload))
        .load(&mut conn)
        .unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(
        (queued[0].0.as_str(), queued[0].1.as_str()),
        ("email", "rejected")
    );
    assert_eq!(queued[0].2["note"], "Not for us.");
}

#[actix_web::test]
async fn a_failed_transition_changes_nothing() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let (status, _) = desk
        .transition(
            &editor,
            id,
            Some(1),
            json!({"action": "start_review", "assignee": 999999}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut conn = desk.db.conn();
    let (state, version): (String, i32) = submissions::table
        .find(id)
        .select((submissions::state, submissions::version))
        .first(&mut conn)
        .unwrap();
    assert_eq!((state.as_str(), version), ("draft", 1));
    let rows: i64 = submission_history::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(rows, 0);
}

#[actix_web::test]
async fn edits_need_if_match_keep_revisions_and_name_bad_fields() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let other = desk.ingest("09-en-dash.eml");
    let uri = format!("/api/v1/submissions/{id}");
    let patch = |version: Option<&str>, body: Value| {
        let mut request = test::TestRequest::patch()
            .uri(&uri)
            .insert_header(bearer(&editor))
            .set_json(body);
        if let Some(tag) = version {
            request = request.insert_header(("If-Match", tag.to_string()));
        }
        request
    };

    let (status, _, _) = desk.call(patch(None, json!({"title": "New"}))).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (status, _, _) = desk.call(patch(Some("*"), json!({"title": "New"}))).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);

    let (status, body, headers) = desk
        .call(patch(
            Some("\"1\""),
            json!({"title": "A unified budget", "body": "First.\n\nSecond.", "slug": "unified-budget", "tags": ["economy"]}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers.get("etag").unwrap(), "\"2\"");
    assert_eq!(body["title"], "A unified budget");
    assert_eq!(body["body_html"], "<p>First.</p>\n<p>Second.</p>\n");
    assert_eq!(body["word_count"], 2);
    assert_eq!(body["slug"], "unified-budget");

    let (status, _, _) = desk
        .call(patch(Some("\"1\""), json!({"title": "Lost update"})))
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);

    let (status, body, _) = desk
        .call(patch(Some("\"2\""), json!({"slug": "Not A Slug"})))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("slug"))
    );
    let (status, body, _) = desk
        .call(patch(Some("\"2\""), json!({"state": "published"})))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused: {body}"
    );

    let taken = test::TestRequest::patch()
        .uri(&format!("/api/v1/submissions/{other}"))
        .insert_header(bearer(&editor))
        .insert_header(("If-Match", "\"1\""))
        .set_json(json!({"slug": "unified-budget"}));
    let (status, body, _) = desk.call(taken).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("slug_taken"))
    );

    let (status, revisions) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}/revisions"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let numbers: Vec<(i64, &str)> = revisions
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["number"].as_i64().unwrap(), r["source"].as_str().unwrap()))
        .collect();
    assert_eq!(numbers, vec![(2, "editor"), (1, "email")]);
}

#[actix_web::test]
async fn detail_has_an_etag_304_and_actions_by_role() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let (_, publisher) = desk.user(Role::Publisher);
    let id = desk.ingest("02-gmail-docx.eml");
    let uri = format!("/api/v1/submissions/{id}");

    let (status, body, headers) = desk
        .call(
            test::TestRequest::get()
                .uri(&uri)
                .insert_header(bearer(&editor)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("etag").unwrap(), "\"1\"");
    assert_eq!(body["author"]["email"], "omar.salem@example.com");
    assert!(
        body["cover_note"]
            .as_str()
            .unwrap()
            .contains("Please find my op-ed attached")
    );
    assert_eq!(body["attachments"][0]["n"], 1);
    assert_eq!(body["attachments"][0]["is_article"], true);
    assert_eq!(
        body["allowed_actions"],
        json!(["start_review", "reject", "withdraw"])
    );

    let (status, _, _) = desk
        .call(
            test::TestRequest::get()
                .uri(&uri)
                .insert_header(bearer(&editor))
                .insert_header(("If-None-Match", "\"1\"")),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    desk.force_state(id, "approved");
    let (_, body) = desk.get(&publisher, &uri).await;
    assert_eq!(
        body["allowed_actions"],
        json!(["return_to_review", "schedule", "publish", "withdraw"])
    );
    let (_, body) = desk.get(&editor, &uri).await;
    assert_eq!(
        body["allowed_actions"],
        json!(["return_to_review", "withdraw"])
    );

    let (status, body) = desk.get(&editor, "/api/v1/submissions/999999").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = desk.get(&editor, "/api/v1/submissions/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn every_route_needs_a_valid_token() {
    let desk = Desk::new().await;
    let id = desk.ingest("01-plain.eml");
    for uri in [
        "/api/v1/submissions".to_string(),
        format!("/api/v1/submissions/{id}"),
        format!("/api/v1/submissions/{id}/history"),
        format!("/api/v1/submissions/{id}/revisions"),
        format!("/api/v1/submissions/{id}/notes"),
        format!("/api/v1/submissions/{id}/attachments/1"),
        "/api/v1/inbox".to_string(),
    ] {
        let (status, body, _) = desk.call(test::TestRequest::get().uri(&uri)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(body["code"], "unauthorized", "{uri}");
        let (status, _, _) = desk
            .call(
                test::TestRequest::get()
                    .uri(&uri)
                    .insert_header(("Authorization", "Bearer not.a.token")),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let (status, _, _) = desk
        .call(
            test::TestRequest::post()
                .uri(&format!("/api/v1/submissions/{id}/transitions"))
                .set_json(json!({"action": "approve"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_corpus_reads_back_through_the_api_with_safe_html() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    for file in [
        "01-plain.eml",
        "02-gmail-docx.eml",
        "03-arabic-1256.eml",
        "04-html-hostile.eml",
        "12-odt.eml",
    ] {
        let id = desk.ingest(file);
        let (status, body) = desk
            .get(&editor, &format!("/api/v1/submissions/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{file}");
        let html = body["body_html"].as_str().unwrap();
        for banned in [
            "<script",
            "onload",
            "onclick",
            "javascript:",
            "tracker.example.com",
            "<img",
            "<style",
        ] {
            assert!(!html.contains(banned), "{file}: {banned} in {html}");
        }
        assert!(!body["body_text"].as_str().unwrap().is_empty(), "{file}");
    }
    let query: String = url::form_urlencoded::byte_serialize("الميزانية".as_bytes()).collect();
    let (_, page) = desk
        .get(&editor, &format!("/api/v1/submissions?q={query}"))
        .await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "Arabic full-text search: {page}"
    );
    assert_eq!(page["items"][0]["author"]["name"], "خالد المبروك");
}

/// What differs between the copies [`insert_copies`] makes: SQL of `g`, the
/// copy's number, and `s`, the template's row.
struct Copies {
    state: &'static str,
    received_at: &'static str,
    body_text: &'static str,
}

/// `count` copies of the submission `template` made by SQL (titled "Copy
/// <g>"), then `ANALYZE`, as searches at scale see a table.
fn insert_copies(conn: &mut PgConnection, template: &str, count: u32, copies: Copies) {
    let Copies {
        state,
        received_at,
        body_text,
    } = copies;
    diesel::sql_query(format!(
        "INSERT INTO submissions (reference, state, title, author_email, received_at, \
             body_text, body_html, word_count, auth_verdict, suspicious, inbound_message_id, \
             version, created_at, updated_at, tags, respond_by) \
         SELECT 'OE-C-' || g, {state}, 'Copy ' || g, s.author_email, {received_at}, {body_text}, \
             '<p>Notes</p>', 7, s.auth_verdict, false, s.inbound_message_id, 1, \
             s.created_at, s.updated_at, '{{}}', s.respond_by \
         FROM submissions AS s, generate_series(1, {count}) AS g WHERE s.id = {template}"
    ))
    .execute(conn)
    .unwrap();
    diesel::sql_query("ANALYZE submissions")
        .execute(conn)
        .unwrap();
}

/// The titles of a list's items, in order.
fn titles(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["title"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn search_pages_newest_first_and_follows_edits() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    for n in 0..15 {
        let topic = if n % 5 == 4 { "railways" } else { "harbours" };
        desk.ingest_raw(&format!(
            "From: s{n}@example.org\r\nSubject: Op-Ed: Search {n}\r\nMessage-ID: <search-{n}@example.org>\r\n\r\nA piece about {topic}, number {n}.\r\n"
        ));
    }
    let search = |query: &str| format!("/api/v1/submissions?{query}&limit=4");

    let harbours = desk.every_item(&editor, &search("q=harbours")).await;
    let expected: Vec<String> = (0..15)
        .rev()
        .filter(|n| n % 5 != 4)
        .map(|n| format!("Search {n}"))
        .collect();
    assert_eq!(
        titles(&harbours),
        expected,
        "every match once, newest first"
    );

    // A new text is found at once; a state change leaves the words alone.
    let id = harbours
        .iter()
        .find(|item| item["title"] == "Search 3")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let version = desk.version(&editor, id).await;
    let (status, body, _) = desk
        .call(
            test::TestRequest::patch()
                .uri(&format!("/api/v1/submissions/{id}"))
                .insert_header(bearer(&editor))
                .insert_header(("If-Match", format!("\"{version}\"")))
                .set_json(json!({"body": "A piece about canals."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    desk.force_state(id, "in_review");
    for query in ["q=canals", "q=canals&state=in_review"] {
        let found = desk.every_item(&editor, &search(query)).await;
        assert_eq!(titles(&found), ["Search 3"], "{query}");
    }
    let harbours = desk.every_item(&editor, &search("q=harbours")).await;
    assert_eq!(harbours.len(), expected.len() - 1);
}

/// A word in thousands of pieces is looked for first among the newest ones
/// (`submissions::search`); the pages must be what a search of everything
/// gives, whether the recent slice holds the matches, holds none of them, or holds
/// too few once a state is asked for too.
#[actix_web::test]
async fn searches_for_common_words_page_through_every_match_newest_first() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let template = desk.ingest("01-plain.eml").to_string();
    // 6,000 copies, three to a minute (so pages and slices end inside a tie
    // of received_at): "tide" in every second one; "quay" in the older half
    // and three of the newest (a slice with too few); "pier" in every second
    // one, in review only among the older half.
    let mut conn = desk.db.conn();
    insert_copies(
        &mut conn,
        &template,
        6000,
        Copies {
            state: "CASE WHEN g > 3000 AND g % 2 = 0 THEN 'in_review' ELSE 'draft' END",
            received_at: "s.received_at - (g / 3) * interval '1 minute'",
            body_text: "'Notes' || CASE WHEN g % 2 = 0 THEN ' on the tide' ELSE '' END \
                     || CASE WHEN g > 3000 OR g IN (20, 40, 60) THEN ' by the quay' ELSE '' END \
                     || CASE WHEN g % 2 = 0 THEN ' at the pier' ELSE '' END",
        },
    );
    let statistics = SearchStatistics::default();
    assert!(
        search::recent_slice_start(&mut conn, &statistics, "tide", None, 101)
            .unwrap()
            .is_some(),
        "3,000 matches of 6,000: the search looks in a recent slice first"
    );

    for (query, sql_filter) in [
        ("q=tide", "search @@ search_query('tide')"),
        ("q=quay", "search @@ search_query('quay')"),
        (
            "q=pier&state=in_review",
            "search @@ search_query('pier') AND state = 'in_review'",
        ),
    ] {
        #[derive(QueryableByName)]
        struct Title {
            #[diesel(sql_type = diesel::sql_types::Text)]
            title: String,
        }
        let expected: Vec<String> = diesel::sql_query(format!(
            "SELECT title FROM submissions WHERE {sql_filter} ORDER BY received_at DESC, id DESC"
        ))
        .load::<Title>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|row| row.title)
        .collect();
        assert!(expected.len() >= 1_500, "{query}: {}", expected.len());
        let found = titles(
            &desk
                .every_item(&editor, &format!("/api/v1/submissions?{query}&limit=100"))
                .await,
        );
        assert_eq!(found.len(), expected.len(), "{query}");
        assert!(
            found == expected,
            "{query}: the pages differ from the search of everything"
        );
    }
}

/// The service reckons a search's matches from a snapshot of the column's
/// statistics; the figures are the planner's own.
#[actix_web::test]
async fn expected_matches_are_those_the_planner_expects() {
    let desk = Desk::new().await;
    let template = desk.ingest("01-plain.eml").to_string();
    let mut conn = desk.db.conn();
    let statistics = SearchStatistics::default();
    assert_eq!(
        search::expected_matches(&mut conn, &statistics, "tide").unwrap(),
        None,
        "no statistics before the table is analysed"
    );
    // Words in 1/2, 1/5, 1/7 and 2/3 of 3,000 pieces, and in none.
    insert_copies(
        &mut conn,
        &template,
        3000,
        Copies {
            state: "'draft'",
            received_at: "s.received_at",
            body_text: "concat_ws(' ', CASE WHEN g % 2 = 0 THEN 'tide' END, \
                CASE WHEN g % 5 = 0 THEN 'quay' END, CASE WHEN g % 7 = 0 THEN 'pier' END, \
                CASE WHEN g % 3 > 0 THEN 'mooring' END)",
        },
    );
    // The snapshot read before ANALYZE serves a while yet: a fresh one sees it.
    let statistics = SearchStatistics::default();

    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = diesel::sql_types::Json, column_name = "QUERY PLAN")]
        plan: serde_json::Value,
    }
    for query in [
        "tide",
        "quay",
        "TIDE quay",
        "tide or pier",
        "-mooring",
        "\"tide quay\"",
        "tide -pier or quay",
        "nowhere",
    ] {
        let (matches, pieces) = search::expected_matches(&mut conn, &statistics, query)
            .unwrap()
            .unwrap_or_else(|| panic!("{query}: no estimate"));
        let explained: Plan = diesel::sql_query(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM submissions \
             WHERE search @@ search_query($1)",
        )
        .bind::<diesel::sql_types::Text, _>(query)
        .get_result(&mut conn)
        .unwrap();
        let planned = explained.plan[0]["Plan"]["Plan Rows"].as_f64().unwrap();
        assert!(pieces >= 3_000.0, "{query}: {pieces} pieces");
        assert!(
            (matches.round().max(1.0) - planned).abs() <= 1.0,
            "{query}: reckoned {matches}, planned {planned}"
        );
    }
}

#[actix_web::test]
async fn pages_neither_repeat_nor_skip_while_mail_arrives() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let piece = |n: usize| {
        format!(
            "From: w{n}@example.org\r\nSubject: Op-Ed: Piece {n}\r\nMessage-ID: <page-{n}@example.org>\r\n\r\nText about ports {n}.\r\n"
        )
    };
    for n in 0..25 {
        desk.ingest_raw(&piece(n));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut arrivals = 100;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/submissions?state=draft&limit=7&cursor={c}"),
            None => "/api/v1/submissions?state=draft&limit=7".to_string(),
        };
        let (status, page) = desk.get(&editor, &uri).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for item in page["items"].as_array().unwrap() {
            seen.push(item["title"].as_str().unwrap().to_string());
        }
        // New mail lands between page requests.
        desk.ingest_raw(&piece(arrivals));
        arrivals += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).rev().map(|n| format!("Piece {n}")).collect();
    assert_eq!(
        seen, expected,
        "each of the first 25 exactly once, newest first"
    );

    let (_, searched) = desk.get(&editor, "/api/v1/submissions?q=ports%2024").await;
    assert_eq!(searched["items"][0]["title"], "Piece 24");
    let (status, body) = desk.get(&editor, "/api/v1/submissions?limit=101").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
    let (status, body) = desk.get(&editor, "/api/v1/submissions?cursor=bogus").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("cursor"))
    );
    let (status, body) = desk.get(&editor, "/api/v1/submissions?state=lost").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("state"))
    );
    // RFC 3339 times that chrono reads but no timestamp column can hold.
    for field in ["received_after", "received_before", "respond_before"] {
        for at in ["-200000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"] {
            let (status, body) = desk
                .get(&editor, &format!("/api/v1/submissions?{field}={at}"))
                .await;
            assert_eq!(
                (status, body["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{field}={at}: {body}"
            );
        }
    }
    let (status, _) = desk
        .get(
            &editor,
            "/api/v1/submissions?received_after=2026-01-01T00:00:00Z&received_before=9999-12-31T23:59:59Z",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn notes_attachments_and_the_inbox() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("02-gmail-docx.eml");

    let add = test::TestRequest::post()
        .uri(&format!("/api/v1/submissions/{id}/notes"))
        .insert_header(bearer(&editor))
        .set_json(json!({"body": "Check the figures with the ministry."}));
    let (status, note, _) = desk.call(add).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(note["body"], "Check the figures with the ministry.");
    let (_, notes) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}/notes"))
        .await;
    assert_eq!(notes.as_array().unwrap().len(), 1);

    let response = test::call_service(
        &desk.app,
        test::TestRequest::get()
            .uri(&format!("/api/v1/submissions/{id}/attachments/1"))
            .insert_header(bearer(&editor))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment")
            && disposition.contains("filename=\"water-crisis.docx\""),
        "{disposition}"
    );
    assert_eq!(
        response.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let bytes = test::read_body(response).await;
    assert_eq!(&bytes[..2], b"PK", "the original .docx");

    desk.ingest_raw("From: reader@example.com\r\nSubject: Opinion piece for your site\r\nMessage-ID: <u1@e>\r\n\r\nWould you publish this?\r\n");
    let (status, inbox) = desk.get(&editor, "/api/v1/inbox").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
    let message = inbox["items"][0]["id"].as_i64().unwrap();
    assert_eq!(inbox["items"][0]["outcome"], "unmatched");

    let promote = |m: i64| {
        test::TestRequest::post()
            .uri(&format!("/api/v1/inbox/{m}/promote"))
            .insert_header(bearer(&editor))
    };
    let (status, promoted, _) = desk.call(promote(message)).await;
    assert_eq!(status, StatusCode::CREATED, "{promoted}");
    assert_eq!(promoted["state"], "draft");
    assert_eq!(promoted["title"], "Opinion piece for your site");
    let (status, body, _) = desk.call(promote(message)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_in_inbox"))
    );
    let (_, inbox) = desk.get(&editor, "/api/v1/inbox").await;
    assert!(
        inbox["items"].as_array().unwrap().is_empty(),
        "a promoted message leaves the inbox"
    );
}

#[actix_web::test]
async fn nul_characters_and_impossible_cursors_are_client_errors() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let id = desk.ingest("01-plain.eml");
    let note = test::TestRequest::post()
        .uri(&format!("/api/v1/submissions/{id}/notes"))
        .insert_header(bearer(&editor))
        .set_json(json!({"body": "a\u{0}b"}));
    let (status, body, _) = desk.call(note).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_text"))
    );
    let (status, _) = desk.get(&editor, "/api/v1/submissions?q=a%00b").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for uri in ["/api/v1/submissions", "/api/v1/inbox"] {
        let (status, body) = desk
            .get(
                &editor,
                &format!("{uri}?cursor=LTQwMDAwMDAwMDAwMDAwMDAwMC4x"),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("cursor")),
            "{uri}"
        );
    }
    // A search is at most 200 characters, counted as characters, not bytes
    // (`+` is a space in a query string, `%C3%A9` an é).
    let words = "tide+".repeat(40);
    let (status, page) = desk
        .get(&editor, &format!("/api/v1/submissions?q={words}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for long in [format!("{words}x"), "%C3%A9".repeat(201)] {
        let (status, body) = desk
            .get(&editor, &format!("/api/v1/submissions?q={long}"))
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("q")),
            "{body}"
        );
    }
    let (status, page) = desk
        .get(
            &editor,
            &format!("/api/v1/submissions?q={}", "%C3%A9".repeat(200)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // More "not"s in a row than PostgreSQL's search syntax takes: named, not
    // a server error; as many as it takes are searched.
    for (nots, expected) in [(33, StatusCode::UNPROCESSABLE_ENTITY), (32, StatusCode::OK)] {
        let (status, body) = desk
            .get(
                &editor,
                &format!("/api/v1/submissions?q={}tide", "-".repeat(nots)),
            )
            .await;
        assert_eq!(status, expected, "{nots}: {body}");
    }
    let (_, body) = desk
        .get(
            &editor,
            &format!("/api/v1/submissions?q={}tide", "-+".repeat(40)),
        )
        .await;
    assert_eq!(body["field"].as_str(), Some("q"), "{body}");
}

/// Takes piece `id` from draft through `steps`, each by `token`.
async fn take(desk: &Desk, token: &str, id: i64, steps: &[Value]) {
    for step in steps {
        let version = desk.version(token, id).await;
        let (status, body) = desk
            .transition(token, id, Some(version), step.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{step}: {body}");
    }
}

#[actix_web::test]
async fn only_a_publisher_edits_a_scheduled_or_published_piece() {
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);
    let (_, publisher) = desk.user(Role::Publisher);
    let note = "The author confirmed exclusivity by phone.";
    let published = desk.ingest("01-plain.eml");
    let scheduled = desk.ingest("09-en-dash.eml");
    let reviewed = [
        json!({"action": "start_review"}),
        json!({"action": "approve"}),
    ];
    take(&desk, &publisher, published, &reviewed).await;
    take(
        &desk,
        &publisher,
        published,
        &[json!({"action": "publish", "note": note})],
    )
    .await;
    take(&desk, &publisher, scheduled, &reviewed).await;
    let at = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    take(
        &desk,
        &publisher,
        scheduled,
        &[json!({"action": "schedule", "publish_at": at, "note": note})],
    )
    .await;
    let patch = |token: &str, id: i64, version: i64| {
        test::TestRequest::patch()
            .uri(&format!("/api/v1/submissions/{id}"))
            .insert_header(bearer(token))
            .insert_header(("If-Match", format!("\"{version}\"")))
            .set_json(json!({"title": "An editor's own title", "body": "Words nobody approved."}))
    };
    let (_, piece) = desk
        .get(&publisher, &format!("/api/v1/submissions/{published}"))
        .await;
    let slug = piece["slug"].as_str().unwrap().to_string();
    let public = || {
        let (desk, uri) = (&desk, format!("/api/v1/public/opeds/{slug}"));
        async move {
            let (status, body, _) = desk.call(test::TestRequest::get().uri(&uri)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    let before = public().await;

    for (id, state) in [(published, "published"), (scheduled, "scheduled")] {
        let uri = format!("/api/v1/submissions/{id}");
        let (_, seen) = desk.get(&editor, &uri).await;
        assert_eq!(seen["state"], state);
        let version = seen["version"].as_i64().unwrap();
        let (status, body, _) = desk.call(patch(&editor, id, version)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{state}: {body}");
        assert_eq!(body["code"], "publisher_only", "{body}");
        assert_eq!(seen["editable"], false, "{state}: not offered to an editor");
        let (_, after) = desk.get(&publisher, &uri).await;
        assert_eq!(after["version"], version, "{state}: nothing changed");
        assert_eq!(after["title"], seen["title"]);
        assert_eq!(after["editable"], true, "{state}: a publisher's to edit");
    }
    assert_eq!(public().await, before, "readers see what was published");
    let updates: i64 = outbox::table
        .filter(outbox::topic.eq("opinion.updated"))
        .count()
        .get_result(&mut desk.db.conn())
        .unwrap();
    assert_eq!(updates, 0, "the site is told nothing");

    // A publisher's edit goes through, and readers see it.
    let version = desk.version(&publisher, published).await;
    let (status, body, _) = desk.call(patch(&publisher, published, version)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(public().await["title"], "An editor's own title");
    // A piece before review stays the editors' to edit.
    let draft = desk.ingest("02-gmail-docx.eml");
    let (_, seen) = desk
        .get(&editor, &format!("/api/v1/submissions/{draft}"))
        .await;
    assert_eq!(seen["editable"], true);
    let (status, body, _) = desk.call(patch(&editor, draft, 1)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
