//! The shared sample mail: every file ingested in name order through
//! `oped ingest` into a fresh database gives the outcome and the stored facts
//! that `expected.json` names.

use crate::common;

use std::collections::HashMap;

use diesel::prelude::*;
use oped::schema::{correspondence, inbound_messages, submission_revisions, submissions};
use serde_json::Value;

#[test]
fn every_corpus_mail_gets_its_expected_outcome_and_facts() {
    let db = common::TestDb::new();
    let expected: HashMap<String, Value> =
        serde_json::from_slice(&common::corpus_file("expected.json")).unwrap();
    let mut files: Vec<&String> = expected.keys().collect();
    files.sort();
    assert_eq!(files.len(), 16, "the whole corpus is checked");

    let mut conn = db.conn();
    // file name → inbound message row id
    let mut rows: HashMap<String, i64> = HashMap::new();
    for file in files {
        let facts = &expected[file];
        let (code, report, stderr) = common::run_ingest(&db.url, &common::corpus_file(file));
        assert_eq!(code, 0, "{file}: exit code; stderr: {stderr}");
        let report = report.unwrap_or_else(|| panic!("{file}: no JSON line; stderr: {stderr}"));
        let outcome = facts["outcome"].as_str().unwrap();
        assert_eq!(
            report["outcome"], outcome,
            "{file}: reported outcome {report}"
        );

        let message_id = report["message"].as_i64().unwrap();
        rows.insert(file.clone(), message_id);
        let (stored_outcome, duplicate_of, submission_id, raw_len): (
            String,
            Option<i64>,
            Option<i64>,
            i64,
        ) = inbound_messages::table
            .find(message_id)
            .select((
                inbound_messages::outcome,
                inbound_messages::duplicate_of,
                inbound_messages::submission_id,
                diesel::dsl::sql::<diesel::sql_types::BigInt>("octet_length(raw)::bigint"),
            ))
            .first(&mut conn)
            .unwrap();
        assert_eq!(stored_outcome, outcome, "{file}: stored outcome");
        assert_eq!(
            raw_len as usize,
            common::corpus_file(file).len(),
            "{file}: the raw bytes are kept whole"
        );

        match outcome {
            "submission" => check_submission(
                &mut conn,
                file,
                facts,
                submission_id.expect("linked"),
                &report,
            ),
            "duplicate" => {
                let original = rows[facts["after"].as_str().unwrap()];
                assert_eq!(duplicate_of, Some(original), "{file}: duplicate of");
            }
            "reply" => {
                let original_message = rows[facts["reply_to"].as_str().unwrap()];
                let original_submission: i64 = submissions::table
                    .filter(submissions::inbound_message_id.eq(original_message))
                    .select(submissions::id)
                    .first(&mut conn)
                    .unwrap();
                assert_eq!(
                    submission_id,
                    Some(original_submission),
                    "{file}: attached to"
                );
                let letters: i64 = correspondence::table
                    .filter(correspondence::submission_id.eq(original_submission))
                    .filter(correspondence::inbound_message_id.eq(message_id))
                    .count()
                    .get_result(&mut conn)
                    .unwrap();
                assert_eq!(letters, 1, "{file}: filed as correspondence");
            }
            _ => assert_eq!(submission_id, None, "{file}: no submission"),
        }
    }

    let total: i64 = submissions::table.count().get_result(&mut conn).unwrap();
    let expected_total = expected
        .values()
        .filter(|facts| facts["outcome"] == "submission")
        .count();
    assert_eq!(
        total as usize, expected_total,
        "one submission per submission mail, no more"
    );
}

fn check_submission(
    conn: &mut PgConnection,
    file: &str,
    facts: &Value,
    submission_id: i64,
    report: &Value,
) {
    let (
        reference,
        title,
        author_name,
        author_email,
        body_text,
        body_html,
        cover_note,
        word_count,
        state,
    ): (
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
        i32,
        String,
    ) = submissions::table
        .find(submission_id)
        .select((
            submissions::reference,
            submissions::title,
            submissions::author_name,
            submissions::author_email,
            submissions::body_text,
            submissions::body_html,
            submissions::cover_note,
            submissions::word_count,
            submissions::state,
        ))
        .first(conn)
        .unwrap();
    assert_eq!(state, "draft", "{file}");
    assert!(
        reference.starts_with("OE-") && reference.len() >= "OE-2026-0001".len(),
        "{file}: reference {reference}"
    );
    assert_eq!(
        report["reference"],
        reference.as_str(),
        "{file}: reported reference"
    );
    assert!(word_count > 0, "{file}: word count");
    if let Some(expected) = facts["title"].as_str() {
        assert_eq!(title, expected, "{file}: title");
        assert_eq!(report["title"], expected, "{file}: reported title");
    }
    if let Some(expected) = facts["author_email"].as_str() {
        assert_eq!(author_email, expected, "{file}: author email");
    }
    if let Some(expected) = facts["author_name"].as_str() {
        assert_eq!(
            author_name.as_deref(),
            Some(expected),
            "{file}: author name"
        );
    }
    for phrase in facts["text_contains"].as_array().into_iter().flatten() {
        let phrase = phrase.as_str().unwrap();
        assert!(
            body_text.contains(phrase),
            "{file}: text lacks {phrase:?}: {body_text:?}"
        );
    }
    for phrase in facts["cover_contains"].as_array().into_iter().flatten() {
        let phrase = phrase.as_str().unwrap();
        let cover = cover_note.as_deref().unwrap_or_default();
        assert!(
            cover.contains(phrase),
            "{file}: cover note lacks {phrase:?}: {cover:?}"
        );
    }
    let revision_html: Vec<String> = submission_revisions::table
        .filter(submission_revisions::submission_id.eq(submission_id))
        .select(submission_revisions::body_html)
        .load(conn)
        .unwrap();
    for banned in facts["html_excludes"].as_array().into_iter().flatten() {
        let banned = banned.as_str().unwrap();
        assert!(
            !body_html.contains(banned),
            "{file}: stored HTML keeps {banned:?}"
        );
        for html in &revision_html {
            assert!(
                !html.contains(banned),
                "{file}: revision HTML keeps {banned:?}"
            );
        }
    }
}
