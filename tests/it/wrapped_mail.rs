//! Mail whose piece arrives inside a wrapper a mail program added: Outlook's
//! winmail.dat, S/MIME opaque signing. Each fixture is made the way that
//! program makes it (tests/data/wrapped/make_fixtures.py) and goes through
//! `oped ingest`; the stored submission is what an editor would want.

use crate::common;

use diesel::prelude::*;
use oped::schema::{attachments, submissions};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/wrapped")
            .join(name),
    )
    .unwrap()
}

#[derive(Debug, Queryable)]
struct Stored {
    title: String,
    author_name: Option<String>,
    author_email: String,
    body_text: String,
    cover_note: Option<String>,
    auth_verdict: String,
}

/// A stored attachment as (file name, is the article, why it was not read).
type StoredFile = (Option<String>, bool, Option<String>);

/// Ingests `raw` through `oped ingest`; the submission it made, and its
/// attachments.
fn ingest_submission(db: &common::TestDb, raw: &[u8]) -> (Stored, Vec<StoredFile>) {
    let (code, report, stderr) = common::run_ingest(&db.url, raw);
    assert_eq!(code, 0, "stderr: {stderr}");
    let report = report.expect("one JSON line");
    assert_eq!(report["outcome"], "submission", "{report}");
    let reference = report["reference"].as_str().unwrap();
    let mut conn = db.conn();
    let (id, stored) = submissions::table
        .filter(submissions::reference.eq(reference))
        .select((
            submissions::id,
            (
                submissions::title,
                submissions::author_name,
                submissions::author_email,
                submissions::body_text,
                submissions::cover_note,
                submissions::auth_verdict,
            ),
        ))
        .first::<(i64, Stored)>(&mut conn)
        .unwrap();
    let files = attachments::table
        .filter(attachments::submission_id.eq(id))
        .order(attachments::n)
        .select((
            attachments::filename,
            attachments::is_article,
            attachments::extraction_error,
        ))
        .load(&mut conn)
        .unwrap();
    (stored, files)
}

fn first_and_last_paragraphs(text: &str) -> (&str, &str) {
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    (paragraphs[0], paragraphs[paragraphs.len() - 1])
}

#[test]
fn the_docx_inside_outlook_s_winmail_dat_is_the_article() {
    let db = common::TestDb::new();
    let (stored, files) = ingest_submission(&db, &fixture("outlook-winmail.eml"));
    assert_eq!(stored.title, "The harbour we lost");
    assert_eq!(stored.author_name.as_deref(), Some("Farah, Nadia"));
    assert_eq!(stored.author_email, "nadia.farah@example.com");
    assert_eq!(
        first_and_last_paragraphs(&stored.body_text),
        (
            "The harbour at Saida used to wake before the town did.",
            "We can still choose to give the harbour back to the people who made it live."
        )
    );
    let cover = stored.cover_note.expect("the email body is the cover note");
    assert!(cover.starts_with("Dear editors,"), "{cover}");
    assert!(cover.ends_with("Nadia Farah"), "{cover}");
    assert_eq!(
        files,
        [(
            Some("The harbour we lost – final.docx".to_string()),
            true,
            None
        )],
        "the file is stored under its long name, unpacked from winmail.dat"
    );
}

#[test]
fn a_winmail_dat_that_cannot_be_unpacked_is_kept_with_the_reason() {
    let db = common::TestDb::new();
    let raw = common::mail_with_attachment(
        "From: Writer <writer@example.org>\r\nSubject: Op-Ed: Ports\r\nMessage-ID: <bad-tnef@example.org>\r\n",
        "The body is the piece.",
        "winmail.dat",
        "application/ms-tnef",
        b"\x78\x9f\x3e\x22\x00\x00\x02\x02\x90\x06\x00\xff\xff\xff\x7f",
    );
    let (stored, files) = ingest_submission(&db, &raw);
    assert_eq!(stored.body_text, "The body is the piece.");
    assert_eq!(
        files,
        [(
            Some("winmail.dat".to_string()),
            false,
            Some("not read: Outlook's winmail.dat holds no file that could be unpacked".into())
        )]
    );
}

#[test]
fn opaque_signed_s_mime_is_opened_and_its_document_read() {
    let db = common::TestDb::new();
    let (stored, files) = ingest_submission(&db, &fixture("smime-opaque.eml"));
    assert_eq!(stored.title, "Keep the night buses");
    assert_eq!(stored.author_name.as_deref(), Some("Yusuf Demir"));
    assert_eq!(stored.author_email, "yusuf.demir@example.org");
    assert_eq!(
        first_and_last_paragraphs(&stored.body_text),
        (
            "Night buses are the city's quiet promise to its workers.",
            "The council should restore every route before the winter timetable starts."
        )
    );
    assert_eq!(
        stored.cover_note.as_deref(),
        Some("Hello desk,\n\nMy op-ed on night buses is attached.\n\nYusuf")
    );
    assert_eq!(stored.auth_verdict, "none", "a signature is not verified");
    assert_eq!(files, [(Some("night-buses.docx".to_string()), true, None)]);
}

/// A Word 97-2003 file as it starts: the OLE compound-file signature and
/// header. The desk never reads further, so the rest is not needed.
fn legacy_doc() -> Vec<u8> {
    let mut doc = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    doc.resize(512, 0);
    doc
}

#[test]
fn a_legacy_doc_is_kept_with_the_reason_and_the_author_asked_for_a_docx() {
    let db = common::TestDb::new();
    let raw = common::mail_with_attachment(
        "From: Hamid Rahimi <hamid@example.org>\r\nTo: oped@desk.example\r\nSubject: Op-Ed: Water first\r\nMessage-ID: <doc-1@example.org>\r\n",
        "Dear editor,\r\n\r\nMy article is attached.\r\n\r\nHamid",
        "Water first.doc",
        "application/msword",
        &legacy_doc(),
    );
    let (stored, files) = ingest_submission(&db, &raw);
    assert_eq!(stored.title, "Water first");
    assert_eq!(stored.author_name.as_deref(), Some("Hamid Rahimi"));
    assert_eq!(
        stored.body_text, "Dear editor,\n\nMy article is attached.\n\nHamid",
        "no document became the article"
    );
    assert_eq!(stored.cover_note, None);
    assert_eq!(
        files,
        [(
            Some("Water first.doc".to_string()),
            false,
            Some(oped::intake::documents::unread::LEGACY_WORD.to_string())
        )]
    );

    let received = common::smtp::mail_through_smtp(&db.url);
    assert_eq!(received.len(), 1, "the acknowledgement");
    let ack = received[0].parsed();
    let body = ack.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(
        body.contains("We could not read the text of Water first.doc"),
        "{body}"
    );
    assert!(body.contains("as a .docx"), "{body}");
}

#[test]
fn the_acknowledgement_asks_nothing_when_a_document_was_read() {
    let db = common::TestDb::new();
    ingest_submission(&db, &fixture("outlook-winmail.eml"));
    let received = common::smtp::mail_through_smtp(&db.url);
    assert_eq!(received.len(), 1, "the acknowledgement");
    let body = received[0].parsed().body_text(0).unwrap().into_owned();
    assert!(body.contains("The harbour we lost"), "{body}");
    assert!(!body.contains("could not read"), "{body}");
}

#[test]
fn mail_relayed_by_the_desk_s_google_group_is_the_author_s_submission() {
    let db = common::TestDb::new();
    let mut conn = db.conn();
    // As Google Groups relays a DMARC-strict sender's mail.
    let raw = "From: \"'Amal Haddad' via Op-Ed Submissions\" <oped@news.example>\r\n\
        To: Op-Ed Submissions <oped@news.example>\r\n\
        Reply-To: Amal Haddad <amal@example.org>\r\n\
        X-Original-From: Amal Haddad <amal@example.org>\r\n\
        X-Original-Sender: amal@example.org\r\n\
        Subject: [Op-Ed Submissions] Op-Ed: Libya's budget\r\n\
        Message-ID: <CAF=group1@mail.gmail.com>\r\n\
        Precedence: list\r\n\
        Mailing-list: list oped@news.example; contact oped+owners@news.example\r\n\
        List-ID: <oped.news.example>\r\n\
        List-Post: <https://groups.google.com/a/news.example/group/oped/post>, <mailto:oped@news.example>\r\n\
        Authentication-Results: mx.desk.example; dmarc=pass header.from=news.example; dkim=pass header.d=news.example\r\n\
        Content-Type: text/plain; charset=\"UTF-8\"\r\n\r\n\
        Libya needs one budget.\r\n\r\nOnly then can salaries be paid on time.\r\n\r\n\
        -- \r\nYou received this message because you are subscribed to the Google Groups \"Op-Ed Submissions\" group.\r\n\
        To unsubscribe from this group and stop receiving emails from it, send an email to oped+unsubscribe@news.example.\r\n";
    let mut config = common::intake_config();
    let ignored = oped::intake::ingest(&mut conn, raw.as_bytes(), &config).unwrap();
    assert_eq!(
        ignored.outcome,
        oped::intake::Outcome::IgnoredAuto,
        "without the setting it is list mail"
    );

    config.desk_lists = vec!["oped.news.example".into()];
    let relayed = raw.replace("group1@", "group2@");
    let report = oped::intake::ingest(&mut conn, relayed.as_bytes(), &config).unwrap();
    assert_eq!(
        report.outcome,
        oped::intake::Outcome::Submission,
        "{report:?}"
    );
    let stored: Stored = submissions::table
        .filter(submissions::reference.eq(report.reference.unwrap()))
        .select((
            submissions::title,
            submissions::author_name,
            submissions::author_email,
            submissions::body_text,
            submissions::cover_note,
            submissions::auth_verdict,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(stored.author_email, "amal@example.org");
    assert_eq!(stored.author_name.as_deref(), Some("Amal Haddad"));
    assert_eq!(
        first_and_last_paragraphs(&stored.body_text),
        (
            "Libya needs one budget.",
            "Only then can salaries be paid on time."
        ),
        "the group's footer is dropped"
    );
    assert_eq!(stored.cover_note, None);
    assert_eq!(
        stored.auth_verdict, "none",
        "the group's signature is not the author's"
    );
    assert!(stored.title.ends_with("Libya's budget"), "{}", stored.title);
}
