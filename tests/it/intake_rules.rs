//! Intake decisions that need the database: replies, revisions, duplicates,
//! references, authentication, and hostile mail, through `intake::ingest`.

use crate::common;
use crate::common::ingest;

use diesel::prelude::*;
use oped::intake::{self, Outcome};
use oped::schema::{
    attachments, correspondence, inbound_messages, submission_revisions, submissions,
};

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn mail(from: &str, subject: &str, message_id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: oped@desk.example\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n{extra}\r\n{body}\r\n")
        .into_bytes()
}

#[test]
fn references_carry_the_year_and_count_up() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let first = ingest(
        &mut conn,
        &mail("a@example.org", "Op-Ed: One", "1@a", "", "Text one."),
    );
    let second = ingest(
        &mut conn,
        &mail("b@example.org", "Op-Ed: Two", "2@b", "", "Text two."),
    );
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(
        first.reference.as_deref(),
        Some(format!("OE-{year}-0001").as_str())
    );
    assert_eq!(
        second.reference.as_deref(),
        Some(format!("OE-{year}-0002").as_str())
    );
}

#[test]
fn words_that_merely_contain_the_marker_are_unmatched() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    for (n, subject) in [
        "A developed argument",
        "Scoped budgets",
        "Hoped-for peace",
        "Op-Eds I liked",
    ]
    .iter()
    .enumerate()
    {
        let report = ingest(
            &mut conn,
            &mail("a@example.org", subject, &format!("{n}@m"), "", "Body."),
        );
        assert_eq!(report.outcome, Outcome::Unmatched, "{subject}");
    }
    let report = ingest(
        &mut conn,
        &mail("a@example.org", "op_ed — Ports", "9@m", "", "Body."),
    );
    assert_eq!(report.outcome, Outcome::Submission);
    assert_eq!(report.title.as_deref(), Some("Ports"));
}

#[test]
fn a_reply_by_reference_from_the_author_attaches_and_from_anyone_else_does_not() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let original = ingest(
        &mut conn,
        &mail(
            "Writer <writer@example.org>",
            "Op-Ed: Ports",
            "orig@w",
            "",
            "The piece.",
        ),
    );
    let reference = original.reference.unwrap();

    // A client that dropped the threading headers but kept the tag, upper-case sender.
    let reply = ingest(
        &mut conn,
        &mail(
            "WRITER@Example.org",
            &format!("Re: We received your Op-Ed [{reference}]"),
            "r1@w",
            "",
            "Thanks!",
        ),
    );
    assert_eq!(reply.outcome, Outcome::Reply);
    assert_eq!(reply.reference.as_deref(), Some(reference.as_str()));

    let stranger = ingest(
        &mut conn,
        &mail(
            "someone@else.example",
            &format!("Re: [{reference}]"),
            "r2@s",
            "In-Reply-To: <orig@w>\r\n",
            "Me too",
        ),
    );
    assert_eq!(
        stranger.outcome,
        Outcome::Unmatched,
        "a stranger's reply never attaches"
    );

    let letters: Vec<String> = correspondence::table
        .select(correspondence::body_text)
        .load(&mut conn)
        .unwrap();
    assert_eq!(letters, vec!["Thanks!".to_string()]);
}

#[test]
fn a_reply_is_filed_whole_and_a_new_piece_answering_a_mail_keeps_only_its_cover_note() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    ingest(
        &mut conn,
        &mail("w@example.org", "Op-Ed: Ports", "orig@w", "", "The piece."),
    );
    let reply = ingest(
        &mut conn,
        &mail(
            "w@example.org",
            "Re: Op-Ed: Ports",
            "r1@w",
            "In-Reply-To: <orig@w>\r\n",
            "Thanks, one fix: Misrata, not Misurata.\r\n\r\n-- \r\nW\r\n\r\nOn Mon, Desk wrote:\r\n> We received your piece.",
        ),
    );
    assert_eq!(reply.outcome, Outcome::Reply);
    let letter: String = correspondence::table
        .select(correspondence::body_text)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        letter,
        "Thanks, one fix: Misrata, not Misurata.\n\n--\nW\n\nOn Mon, Desk wrote:\n> We received your piece.",
        "the correspondence keeps every word of the letter"
    );

    // Another author answers an editor's call for pieces with their piece:
    // it names a thread the desk does not know, so it is a new submission.
    let answer = ingest(
        &mut conn,
        &mail(
            "x@example.org",
            "Re: Op-Ed: Roads",
            "a1@x",
            "In-Reply-To: <call@paper.example>\r\n",
            "The road south is broken.\r\n\r\nIt needs a budget.\r\n\r\n-- \r\nXavier\r\n\r\nOn Fri, Sara wrote:\r\n> Send us 800 words.",
        ),
    );
    assert_eq!(answer.outcome, Outcome::Submission);
    let (body, cover): (String, Option<String>) = submissions::table
        .filter(submissions::reference.eq(answer.reference.unwrap()))
        .select((submissions::body_text, submissions::cover_note))
        .first(&mut conn)
        .unwrap();
    assert_eq!(body, "The road south is broken.\n\nIt needs a budget.");
    assert_eq!(
        cover.as_deref(),
        Some("--\nXavier\n\nOn Fri, Sara wrote:\n> Send us 800 words."),
        "the cover note holds none of the article"
    );
}

#[test]
fn a_reply_to_a_reply_stays_in_the_thread() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    ingest(
        &mut conn,
        &mail("w@example.org", "Op-Ed: Ports", "orig@w", "", "The piece."),
    );
    let first = ingest(
        &mut conn,
        &mail(
            "w@example.org",
            "Re: Ports",
            "r1@w",
            "In-Reply-To: <orig@w>\r\n",
            "One",
        ),
    );
    let second = ingest(
        &mut conn,
        &mail(
            "w@example.org",
            "Re: Re: Ports",
            "r2@w",
            "In-Reply-To: <r1@w>\r\n",
            "Two",
        ),
    );
    assert_eq!(first.outcome, Outcome::Reply);
    assert_eq!(second.outcome, Outcome::Reply);
}

#[test]
fn an_authenticated_reply_with_a_document_becomes_a_new_revision() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let original = ingest(
        &mut conn,
        &mail(
            "w@example.org",
            "Op-Ed: Ports",
            "orig@w",
            "",
            "First draft.",
        ),
    );
    let revised = common::mail_with_attachment(
        "From: w@example.org\r\nSubject: Re: Op-Ed: Ports\r\nMessage-ID: <rev@w>\r\nIn-Reply-To: <orig@w>\r\n\
         Authentication-Results: mx.desk.example; spf=pass smtp.mailfrom=w@example.org\r\n",
        "Here is the revised version.",
        "ports-v2.docx",
        DOCX,
        &common::docx(&["Ports, revised.", "A second paragraph."]),
    );
    let reply = ingest(&mut conn, &revised);
    assert_eq!(reply.outcome, Outcome::Reply);
    assert_eq!(reply.reference, original.reference);

    let (body, version): (String, i32) = submissions::table
        .select((submissions::body_text, submissions::version))
        .first(&mut conn)
        .unwrap();
    assert_eq!(body, "Ports, revised.\n\nA second paragraph.");
    assert_eq!(version, 2);
    let revisions: Vec<(i32, String, String)> = submission_revisions::table
        .order(submission_revisions::number)
        .select((
            submission_revisions::number,
            submission_revisions::source,
            submission_revisions::body_text,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        revisions,
        vec![
            (1, "email".into(), "First draft.".into()),
            (
                2,
                "reply".into(),
                "Ports, revised.\n\nA second paragraph.".into()
            )
        ]
    );
    let cover: String = correspondence::table
        .select(correspondence::body_text)
        .first(&mut conn)
        .unwrap();
    assert_eq!(cover, "Here is the revised version.");
    let files: Vec<(i32, Option<String>, bool)> = attachments::table
        .select((
            attachments::n,
            attachments::filename,
            attachments::is_article,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(files, vec![(1, Some("ports-v2.docx".into()), true)]);
}

#[test]
fn mail_without_message_id_is_deduplicated_by_its_bytes() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let raw = b"From: a@example.org\r\nSubject: Op-Ed: No id\r\n\r\nText.\r\n";
    assert_eq!(ingest(&mut conn, raw).outcome, Outcome::Submission);
    assert_eq!(ingest(&mut conn, raw).outcome, Outcome::Duplicate);
    let other = b"From: a@example.org\r\nSubject: Op-Ed: No id\r\n\r\nText, changed.\r\n";
    assert_eq!(ingest(&mut conn, other).outcome, Outcome::Submission);
}

#[test]
fn a_duplicate_of_automatic_mail_is_still_a_duplicate() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let raw = mail(
        "a@example.org",
        "Out of office",
        "oof@a",
        "Auto-Submitted: auto-replied\r\n",
        "Away.",
    );
    assert_eq!(ingest(&mut conn, &raw).outcome, Outcome::IgnoredAuto);
    assert_eq!(ingest(&mut conn, &raw).outcome, Outcome::Duplicate);
}

#[test]
fn our_own_mail_coming_back_is_ignored() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let looped = mail(
        "oped@desk.example",
        "Re: Op-Ed: Ports",
        "x@elsewhere",
        "X-Oped-Loop: desk.example\r\n",
        "Fwd",
    );
    assert_eq!(ingest(&mut conn, &looped).outcome, Outcome::IgnoredAuto);
    let ours = mail(
        "w@example.org",
        "Op-Ed: We received your piece",
        "oped.ack.1@desk.example",
        "",
        "Copy",
    );
    assert_eq!(ingest(&mut conn, &ours).outcome, Outcome::IgnoredAuto);
}

#[test]
fn dmarc_failure_from_our_server_flags_the_submission() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let failing = mail(
        "a@example.org",
        "Op-Ed: Spoofed?",
        "s@a",
        "Authentication-Results: mx.desk.example; spf=fail; dkim=none; dmarc=fail (p=none) header.from=example.org\r\n",
        "Text.",
    );
    let forged = mail(
        "b@example.org",
        "Op-Ed: Forged pass",
        "f@b",
        "Authentication-Results: mx.evil.example; dmarc=pass header.from=example.org\r\n",
        "Text.",
    );
    ingest(&mut conn, &failing);
    ingest(&mut conn, &forged);
    let rows: Vec<(String, String, bool)> = submissions::table
        .order(submissions::id)
        .select((
            submissions::author_email,
            submissions::auth_verdict,
            submissions::suspicious,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        rows,
        vec![
            ("a@example.org".into(), "fail".into(), true),
            ("b@example.org".into(), "none".into(), false)
        ]
    );
}

#[test]
fn a_zip_bomb_docx_is_refused_and_the_mail_still_becomes_a_submission() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    // 200 MiB of one character deflates to a few hundred kilobytes.
    let bomb_xml = vec![b'a'; 200 * 1024 * 1024];
    let bomb = common::zip_of(&[("word/document.xml", bomb_xml)]);
    assert!(bomb.len() < 1024 * 1024);
    let raw = common::mail_with_attachment(
        "From: a@example.org\r\nSubject: Op-Ed: Bomb\r\nMessage-ID: <bomb@a>\r\n",
        "My piece is in the attachment.",
        "piece.docx",
        DOCX,
        &bomb,
    );
    let report = ingest(&mut conn, &raw);
    assert_eq!(report.outcome, Outcome::Submission);
    let (is_article, error): (bool, Option<String>) = attachments::table
        .select((attachments::is_article, attachments::extraction_error))
        .first(&mut conn)
        .unwrap();
    assert!(!is_article);
    assert!(error.is_some(), "the refusal is recorded for the editors");
    let body: String = submissions::table
        .select(submissions::body_text)
        .first(&mut conn)
        .unwrap();
    assert_eq!(body, "My piece is in the attachment.");
}

#[test]
fn thousands_of_mime_parts_are_quarantined() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let mut raw = String::from(
        "From: a@example.org\r\nSubject: Op-Ed: Parts\r\nMessage-ID: <parts@a>\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n",
    );
    for i in 0..5000 {
        raw.push_str(&format!("--p\r\nContent-Type: text/plain\r\n\r\n{i}\r\n"));
    }
    raw.push_str("--p--\r\n");
    let report = ingest(&mut conn, raw.as_bytes());
    assert_eq!(report.outcome, Outcome::Quarantined);
    assert!(report.detail.unwrap().contains("MIME parts"));
    let kept: i64 = inbound_messages::table
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "octet_length(raw)::bigint",
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        kept as usize,
        raw.len(),
        "the quarantined message is kept whole"
    );
}

/// A Message-ID of about 9,600 characters that no compression shortens:
/// longer than any index row PostgreSQL takes (8,191 bytes).
pub(crate) fn long_message_id(tag: &str) -> String {
    let noise: String = (0u32..150)
        .map(|n| intake::sha256_hex(format!("{tag}{n}").as_bytes()))
        .collect();
    format!("{tag}.{noise}@example.org")
}

/// A new piece whose Message-ID is [`long_message_id`].
pub(crate) fn long_message_id_mail(tag: &str) -> Vec<u8> {
    mail(
        &format!("{tag}@example.org"),
        &format!("Op-Ed: A piece called {tag}"),
        &long_message_id(tag),
        "",
        "A piece whose mail program wrote a very long Message-ID.",
    )
}

/// A piece of 40,000 distinct words: every value it gives an index is
/// short, but PostgreSQL refuses its search column (a tsvector holds at most
/// 1 MB), so it can never be stored as a submission.
pub(crate) fn mail_the_database_refuses(tag: &str) -> Vec<u8> {
    let words: Vec<String> = (0u32..40_000)
        .map(|n| intake::sha256_hex(format!("{tag}{n}").as_bytes())[..32].to_string())
        .collect();
    mail(
        &format!("{tag}@example.org"),
        "Op-Ed: Too many words",
        &format!("{tag}@example.org"),
        "",
        &words.join(" "),
    )
}

#[test]
fn a_message_id_too_long_to_index_is_stored_deduplicated_and_replied_to() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let raw = long_message_id_mail("amal");
    let first = ingest(&mut conn, &raw);
    assert_eq!(first.outcome, Outcome::Submission);
    assert_eq!(ingest(&mut conn, &raw).outcome, Outcome::Duplicate);

    let id = long_message_id("amal");
    let threading = format!(
        "In-Reply-To: <{id}>\r\nReferences: <{}> <{id}>\r\n",
        long_message_id("earlier")
    );
    let reply = ingest(
        &mut conn,
        &mail(
            "amal@example.org",
            "Re: A piece called amal",
            &long_message_id("reply"),
            &threading,
            "Thanks, here is a thought.",
        ),
    );
    assert_eq!(reply.outcome, Outcome::Reply, "{reply:?}");
    assert_eq!(reply.reference, first.reference);

    let kept: Option<String> = inbound_messages::table
        .find(first.message)
        .select(inbound_messages::message_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(kept.as_deref(), Some(id.as_str()), "the original is kept");
}

#[test]
fn a_sender_address_too_long_to_write_back_is_quarantined() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let from = format!("{}@example.org", long_message_id("local").replace('@', "."));
    let report = ingest(
        &mut conn,
        &mail(
            &from,
            "Op-Ed: From far away",
            "far@example.org",
            "",
            "Text.",
        ),
    );
    assert_eq!(report.outcome, Outcome::Quarantined);
    assert!(
        report.detail.as_deref().unwrap().contains("sender address"),
        "{report:?}"
    );
}

#[test]
fn mail_the_database_refuses_is_quarantined_whole_and_the_next_recorded() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    let raw = mail_the_database_refuses("words");
    let report = ingest(&mut conn, &raw);
    assert_eq!(report.outcome, Outcome::Quarantined);
    assert!(
        report
            .detail
            .as_deref()
            .unwrap()
            .contains("refused to record"),
        "{report:?}"
    );
    let kept: Vec<u8> = inbound_messages::table
        .find(report.message)
        .select(inbound_messages::raw)
        .first(&mut conn)
        .unwrap();
    assert_eq!(kept, raw, "the quarantined message is kept whole");
    let next = ingest(
        &mut conn,
        &mail("next@example.org", "Op-Ed: Next", "next@a", "", "Text."),
    );
    assert_eq!(next.outcome, Outcome::Submission);
}
