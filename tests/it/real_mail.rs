//! Mail as the real mail programs send it (tests/data/real_mail, made by its
//! `make.py`): each file through `oped ingest`, then read back as an editor
//! reads it, `GET /api/v1/submissions/{id}`: the article's first and last
//! sentences, the cover note, the title, the author, the byline suggested
//! (by a forward, or the piece's own byline line), the attachments kept.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use actix_web::http::StatusCode;
use common::desk::Desk;
use diesel::prelude::*;
use oped::auth::Role;
use oped::schema::submissions;
use serde_json::Value;

fn real_mail(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real_mail");
    std::fs::read(dir.join(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// Ingests `file` on an empty desk (most files carry the same piece: one
/// desk would file the second as a resend of the first) and checks what an
/// editor sees against `expected.json`.
async fn ingest_and_check(file: &str) {
    let expected: BTreeMap<String, Value> =
        serde_json::from_slice(&real_mail("expected.json")).unwrap();
    let facts = &expected[file];
    let desk = Desk::new().await;
    let (_, editor) = desk.user(Role::Editor);

    let (code, report, stderr) = common::run_ingest(&desk.db.url, &real_mail(file));
    assert_eq!(code, 0, "{file}: exit code; stderr: {stderr}");
    let report = report.unwrap_or_else(|| panic!("{file}: no JSON line; stderr: {stderr}"));
    assert_eq!(report["outcome"], facts["outcome"], "{file}: {report}");
    assert_eq!(report["title"], facts["title"], "{file}: reported title");

    let id: i64 = submissions::table
        .filter(submissions::reference.eq(report["reference"].as_str().unwrap()))
        .select(submissions::id)
        .first(&mut desk.db.conn())
        .unwrap();
    let (status, piece) = desk
        .get(&editor, &format!("/api/v1/submissions/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{file}: {piece}");
    check_piece(file, facts, &piece);
}

macro_rules! real_mail_tests {
    ($($name:ident: $file:literal,)*) => {
        $(
            #[actix_web::test]
            async fn $name() {
                ingest_and_check($file).await;
            }
        )*

        #[test]
        fn every_file_has_its_test() {
            let expected: BTreeMap<String, Value> =
                serde_json::from_slice(&real_mail("expected.json")).unwrap();
            let tested: Vec<&str> = vec![$($file),*];
            assert_eq!(expected.keys().map(String::as_str).collect::<Vec<_>>(), tested);
        }
    };
}

real_mail_tests! {
    thunderbird_flowed_text_is_joined_into_paragraphs: "01-thunderbird-flowed.eml",
    apple_mail_flowed_delsp_text_is_joined_without_the_marking_space: "02-apple-flowed-delsp.eml",
    flowed_text_inside_openpgp_signed_mail_is_joined: "03-thunderbird-pgp-signed-flowed.eml",
    an_iphone_body_split_around_photos_is_whole: "04-iphone-photos.eml",
    a_gmail_forward_gives_the_forwarded_piece: "05-gmail-forward.eml",
    an_outlook_forward_gives_the_forwarded_piece: "06-outlook-forward.eml",
    an_apple_mail_forward_gives_the_forwarded_piece: "07-apple-forward.eml",
    outlook_forward_as_attachment_gives_the_document_inside: "08-outlook-forward-as-attachment.eml",
    undeclared_8bit_text_is_read_as_windows_1252: "09-undeclared-8bit.eml",
    a_cjk_subject_tag_is_not_the_title: "10-cjk-subject.eml",
    a_new_piece_answering_an_editor_leaves_the_quote_and_signature_out: "11-reply-gmail-quote.eml",
    an_outlook_answer_leaves_the_quoted_header_block_and_logo_out: "12-reply-outlook-quote.eml",
    gmail_div_lines_become_html_paragraphs: "13-gmail-div-paragraphs.eml",
    yahoo_div_lines_become_html_paragraphs: "14-yahoo-div-paragraphs.eml",
    a_libreoffice_pdf_keeps_its_paragraphs: "15-libreoffice-pdf.eml",
    a_word_document_s_arabic_title_and_byline_leave_the_article: "16-word-arabic-title-byline.eml",
    a_pasted_title_and_byline_leave_the_article: "17-gmail-pasted-title-byline.eml",
}

fn check_piece(file: &str, facts: &Value, piece: &Value) {
    assert_eq!(piece["title"], facts["title"], "{file}: title");
    assert_eq!(
        piece["author"]["email"], facts["author_email"],
        "{file}: the author is the sender"
    );
    if let Some(name) = facts.get("author_name") {
        assert_eq!(&piece["author"]["name"], name, "{file}: author name");
    }

    assert_eq!(
        piece["byline_suggestion"],
        facts.get("byline").cloned().unwrap_or(Value::Null),
        "{file}: the byline suggested"
    );

    let article = piece["body_text"].as_str().unwrap();
    let first = facts["article_first"].as_str().unwrap();
    let last = facts["article_last"].as_str().unwrap();
    assert!(
        article.starts_with(first),
        "{file}: the article starts with {first:?}: {article:?}"
    );
    assert!(
        article.ends_with(last),
        "{file}: the article ends with {last:?}: {article:?}"
    );
    for phrase in strings(facts, "article_contains") {
        assert!(
            article.contains(phrase),
            "{file}: article lacks {phrase:?}: {article:?}"
        );
    }
    for phrase in strings(facts, "article_excludes") {
        assert!(
            !article.contains(phrase),
            "{file}: article holds {phrase:?}: {article:?}"
        );
    }

    let cover = piece["cover_note"].as_str();
    if facts.get("cover").is_some_and(Value::is_null) {
        assert_eq!(cover, None, "{file}: no cover note");
    }
    for phrase in strings(facts, "cover_contains") {
        let cover = cover.unwrap_or_else(|| panic!("{file}: no cover note"));
        assert!(
            cover.contains(phrase),
            "{file}: cover note lacks {phrase:?}: {cover:?}"
        );
    }
    for phrase in strings(facts, "cover_excludes") {
        let cover = cover.unwrap_or_default();
        assert!(
            !cover.contains(phrase),
            "{file}: cover note holds {phrase:?}: {cover:?}"
        );
    }

    let html = piece["body_html"].as_str().unwrap();
    if let Some(paragraphs) = facts.get("paragraphs") {
        let paragraphs = paragraphs.as_u64().unwrap() as usize;
        assert_eq!(
            article.split("\n\n").count(),
            paragraphs,
            "{file}: paragraphs of the article: {article:?}"
        );
        assert_eq!(
            html.matches("<p").count(),
            paragraphs,
            "{file}: paragraphs of the HTML: {html}"
        );
    }
    for phrase in strings(facts, "html_contains") {
        assert!(
            html.contains(phrase),
            "{file}: HTML lacks {phrase:?}: {html}"
        );
    }
    for phrase in strings(facts, "html_excludes") {
        assert!(
            !html.contains(phrase),
            "{file}: HTML holds {phrase:?}: {html}"
        );
    }

    if let Some(names) = facts.get("attachments") {
        let kept: Vec<&Value> = piece["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|attachment| &attachment["filename"])
            .collect();
        let names: Vec<&Value> = names.as_array().unwrap().iter().collect();
        assert_eq!(kept, names, "{file}: attachments kept");
    }
    if let Some(source) = facts.get("article_from") {
        let article_from: Vec<&Value> = piece["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|attachment| attachment["is_article"] == true)
            .map(|attachment| &attachment["filename"])
            .collect();
        assert_eq!(article_from, [source], "{file}: the article's document");
    }
}

fn strings<'a>(facts: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    facts
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|phrase| phrase.as_str().unwrap())
}
