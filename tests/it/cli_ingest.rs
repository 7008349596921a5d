//! `oped ingest` as an MTA runs it: exit codes, the JSON line, what is stored.

use crate::common;

use std::process::Stdio;

use diesel::prelude::*;
use oped::schema::{inbound_messages, submissions};

#[test]
fn a_file_argument_prints_one_json_line_and_exits_0() {
    let db = common::TestDb::new();
    let output = common::oped_command(&db.url)
        .args([
            "ingest",
            common::corpus_dir()
                .join("09-en-dash.eml")
                .to_str()
                .unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "exactly one line: {stdout}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["outcome"], "submission");
    assert_eq!(report["title"], "Oil revenue and the south");
}

#[test]
fn usage_errors_exit_64_and_a_missing_file_66() {
    let db = common::TestDb::new();
    let status = common::oped_command(&db.url)
        .args(["ingest", "a", "b"])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(64));
    let status = common::oped_command(&db.url)
        .arg("frobnicate")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(64));
    let status = common::oped_command(&db.url)
        .args(["ingest", "/nonexistent/message.eml"])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(66));
}

#[test]
fn a_dead_database_exits_75_and_the_message_is_not_half_written() {
    let db = common::TestDb::new();
    let raw = common::corpus_file("01-plain.eml");
    let (code, report, stderr) = common::run_ingest("postgres://postgres@127.0.0.1:9/oped", &raw);
    assert_eq!(code, 75, "{stderr}");
    assert!(report.is_none(), "nothing is claimed on stdout");
    assert!(
        stderr.contains("later") || stderr.contains("database"),
        "{stderr}"
    );

    // When the MTA retries against the live database, the message is new:
    // the failed attempt left nothing behind that would make it a duplicate.
    let (code, report, stderr) = common::run_ingest(&db.url, &raw);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report.unwrap()["outcome"], "submission");
}

#[test]
fn an_oversized_message_is_quarantined_with_its_head_and_size() {
    let db = common::TestDb::new();
    let mut raw =
        b"From: big@example.org\r\nSubject: Op-Ed: Huge\r\nMessage-ID: <big@e>\r\n\r\n".to_vec();
    raw.extend(std::iter::repeat_n(b'x', 20_000));
    let output = {
        use std::io::Write;
        let mut child = common::oped_command(&db.url)
            .env("OPED_MAX_MESSAGE_BYTES", "4096")
            .arg("ingest")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&raw).unwrap();
        child.wait_with_output().unwrap()
    };
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["outcome"], "quarantined");
    assert!(
        report["detail"]
            .as_str()
            .unwrap()
            .contains("over the limit"),
        "{report}"
    );

    let (raw_size, sender): (i64, Option<String>) = inbound_messages::table
        .select((inbound_messages::raw_size, inbound_messages::sender_email))
        .first(&mut db.conn())
        .unwrap();
    assert_eq!(raw_size as usize, raw.len());
    assert_eq!(sender, None);
}

#[test]
fn concurrent_deliveries_of_one_message_make_one_submission() {
    let db = common::TestDb::new();
    let messages = 8;
    let copies = 4;
    let mut children = Vec::new();
    for n in 0..messages {
        let raw = format!(
            "From: w{n}@example.org\r\nSubject: Op-Ed: Piece {n}\r\nMessage-ID: <race-{n}@example.org>\r\n\r\nText {n}.\r\n"
        );
        for _ in 0..copies {
            let url = db.url.clone();
            let raw = raw.clone();
            children.push(std::thread::spawn(move || {
                common::run_ingest(&url, raw.as_bytes())
            }));
        }
    }
    let mut outcomes = Vec::new();
    for child in children {
        let (code, report, stderr) = child.join().unwrap();
        assert_eq!(code, 0, "{stderr}");
        outcomes.push(report.unwrap()["outcome"].as_str().unwrap().to_string());
    }
    let created = outcomes.iter().filter(|o| *o == "submission").count();
    let duplicates = outcomes.iter().filter(|o| *o == "duplicate").count();
    assert_eq!(
        (created, duplicates),
        (messages, messages * (copies - 1)),
        "{outcomes:?}"
    );

    let mut conn = db.conn();
    let stored: i64 = submissions::table.count().get_result(&mut conn).unwrap();
    assert_eq!(stored as usize, messages);
    let recorded: i64 = inbound_messages::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        recorded as usize,
        messages * copies,
        "every delivery is recorded"
    );
}

#[test]
fn a_message_id_of_9600_characters_exits_0_and_the_next_message_is_read() {
    let db = common::TestDb::new();
    let raw = crate::intake_rules::long_message_id_mail("piped");
    let (code, report, stderr) = common::run_ingest(&db.url, &raw);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report.unwrap()["outcome"], "submission");
    let (code, report, stderr) = common::run_ingest(&db.url, &raw);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report.unwrap()["outcome"], "duplicate");

    let (code, report, stderr) = common::run_ingest(&db.url, &common::corpus_file("01-plain.eml"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report.unwrap()["outcome"], "submission");
}

#[test]
fn mail_the_database_refuses_exits_0_quarantined_never_75() {
    let db = common::TestDb::new();
    let raw = crate::intake_rules::mail_the_database_refuses("piped");
    let (code, report, stderr) = common::run_ingest(&db.url, &raw);
    assert_eq!(code, 0, "{stderr}");
    let report = report.unwrap();
    assert_eq!(report["outcome"], "quarantined");
    let kept: Vec<u8> = inbound_messages::table
        .select(inbound_messages::raw)
        .first(&mut db.conn())
        .unwrap();
    assert_eq!(kept, raw, "kept whole, to be read or promoted");

    let (code, report, stderr) = common::run_ingest(&db.url, &common::corpus_file("01-plain.eml"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report.unwrap()["outcome"], "submission");
}
