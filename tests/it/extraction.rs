//! Hostile documents cost only their own extractor child: the message is
//! recorded, the attachment kept with a reason, and the server and the next
//! mail are unaffected.

use crate::common::{self, TestApp, mail};

use std::process::{Command, Stdio};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test as web;
use diesel::prelude::*;
use lopdf::{Document, Object, Stream, dictionary};
use oped::schema::{attachments, inbound_messages, submissions};
use serde_json::Value;

/// The attack from the issue: one large object, and an xref table whose
/// entries all point at it. lopdf parses the object once per entry, so
/// ~900 KB keep a core busy for minutes. The object is a dictionary whose
/// one key repeats, so each parse costs time but keeps little memory: the
/// time limits end it, not the memory limit.
fn cpu_burning_pdf() -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let object_at = pdf.len();
    pdf.extend_from_slice(b"1 0 obj\n<<");
    pdf.extend(b"/A 0 ".repeat(90_000));
    pdf.extend_from_slice(b">>\nendobj\n");
    let xref_at = pdf.len();
    let entries = 22_500;
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", entries + 1).bytes());
    for _ in 0..entries {
        pdf.extend(format!("{object_at:010} 00000 n \n").bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
            entries + 1
        )
        .bytes(),
    );
    pdf
}

/// Nesting deep enough to overflow a recursive parser.
fn deeply_nested_pdf() -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let object_at = pdf.len();
    pdf.extend_from_slice(b"1 0 obj\n");
    pdf.extend(std::iter::repeat_n(b'[', 100_000));
    pdf.extend_from_slice(b"\nendobj\n");
    let xref_at = pdf.len();
    pdf.extend(
        format!(
            "xref\n0 2\n0000000000 65535 f \n{object_at:010} 00000 n \ntrailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        .bytes(),
    );
    pdf
}

/// An ordinary one-page PDF saying `text`.
fn plain_pdf(text: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let content = format!("BT /F1 12 Tf 72 712 Td ({text}) Tj ET");
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// An op-ed mail from `sender` with a cover note and `documents` attached.
fn oped_mail(sender: &str, subject: &str, documents: &[(String, &str, &[u8])]) -> Vec<u8> {
    let mut raw = format!(
        "From: {sender}\r\nTo: oped@desk.example\r\nSubject: Op-Ed: {subject}\r\n\
         Message-ID: <{}.{}@example.org>\r\nMIME-Version: 1.0\r\n",
        subject.replace(' ', "-"),
        std::process::id(),
    )
    .into_bytes();
    let mut parts = vec![mail::text_8bit("Dear editor, my piece is attached.\r\n")];
    parts.extend(documents.iter().map(|(filename, content_type, content)| {
        mail::attachment(filename, content_type, content.to_vec())
    }));
    mail::mixed("b0undary", parts).write_part(&mut raw);
    raw
}

#[derive(Debug, Queryable)]
struct StoredAttachment {
    filename: Option<String>,
    is_article: bool,
    extraction_error: Option<String>,
}

/// The attachments of the submission `reference`, in order, and its text.
fn stored(conn: &mut PgConnection, reference: &str) -> (String, Vec<StoredAttachment>) {
    let (id, body): (i64, String) = submissions::table
        .filter(submissions::reference.eq(reference))
        .select((submissions::id, submissions::body_text))
        .first(conn)
        .unwrap();
    let files = attachments::table
        .filter(attachments::submission_id.eq(id))
        .order(attachments::n)
        .select((
            attachments::filename,
            attachments::is_article,
            attachments::extraction_error,
        ))
        .load(conn)
        .unwrap();
    (body, files)
}

/// Processes whose parent is `pid`, zombies included.
fn children_of(pid: u32) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter(|stat| {
            // Fields after the command name: state, ppid, …
            stat.rsplit_once(") ")
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|ppid| ppid.parse::<u32>().ok())
                == Some(pid)
        })
        .collect()
}

/// `oped serve` on a free port over `db` (`common::Serve`).
struct Server(common::Serve);

impl Server {
    fn start(db: &common::TestDb) -> Server {
        Server(common::Serve::start(&db.url, &[]))
    }

    /// Posts `mail` to the inbound endpoint: (status, JSON body).
    fn post(&self, mail: Vec<u8>) -> (u16, Value) {
        let response = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap()
            .post(format!("{}/api/v1/inbound/messages", self.0.base))
            .bearer_auth(common::INBOUND_TOKEN)
            .header("Content-Type", "message/rfc822")
            .body(mail)
            .send()
            .unwrap();
        (response.status().as_u16(), response.json().unwrap())
    }
}

#[test]
fn four_cpu_burning_pdfs_at_once_leave_the_server_idle_and_the_next_pdf_read() {
    let db = common::TestDb::new();
    let server = Server::start(&db);
    let hostile = cpu_burning_pdf();
    assert!(
        (850_000..950_000).contains(&hostile.len()),
        "{} bytes",
        hostile.len()
    );

    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..4)
            .map(|n| {
                let mail = oped_mail(
                    &format!("Attacker {n} <attacker{n}@example.org>"),
                    &format!("Hostile {n}"),
                    &[(format!("piece{n}.pdf"), "application/pdf", &hostile)],
                );
                let server = &server;
                scope.spawn(move || server.post(mail))
            })
            .collect();
        posts.into_iter().map(|post| post.join().unwrap()).collect()
    });

    let mut conn = db.conn();
    for (status, body) in &answers {
        assert_eq!(*status, 201, "{body}");
        assert_eq!(body["outcome"], "submission");
        let (text, files) = stored(&mut conn, body["reference"].as_str().unwrap());
        assert_eq!(
            text, "Dear editor, my piece is attached.",
            "the body stands in"
        );
        assert_eq!(files.len(), 1, "the PDF is kept");
        assert!(!files[0].is_article);
        let reason = files[0].extraction_error.as_deref().unwrap();
        assert!(
            reason == "the extractor was stopped after 5 s"
                || reason == "the extractor used up its 5 s of CPU time",
            "{reason}"
        );
    }
    // Every child was killed and reaped before its request was answered.
    assert_eq!(children_of(server.0.child.id()), Vec::<String>::new());

    let (status, body) = server.post(oped_mail(
        "Author <author@example.org>",
        "Ports",
        &[(
            "ports.pdf".into(),
            "application/pdf",
            &plain_pdf("Ports need a plan."),
        )],
    ));
    assert_eq!(status, 201, "{body}");
    let (text, files) = stored(&mut conn, body["reference"].as_str().unwrap());
    assert_eq!(text, "Ports need a plan.");
    assert!(files[0].is_article);
    assert_eq!(files[0].extraction_error, None);
    assert_eq!(children_of(server.0.child.id()), Vec::<String>::new());
}

fn post(body: Vec<u8>) -> web::TestRequest {
    web::TestRequest::post()
        .uri("/api/v1/inbound/messages")
        .insert_header(("Authorization", format!("Bearer {}", common::INBOUND_TOKEN)))
        .insert_header(("Content-Type", "message/rfc822"))
        .set_payload(body)
}

#[actix_web::test]
async fn a_pdf_nested_a_hundred_thousand_deep_is_kept_unread_and_the_next_mail_served() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url).build().await;
    let mail = oped_mail(
        "Author <author@example.org>",
        "Deep",
        &[("deep.pdf".into(), "application/pdf", &deeply_nested_pdf())],
    );
    let response = web::call_service(&app, post(mail).to_request()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = web::read_body_json(response).await;
    let (text, files) = stored(&mut db.conn(), body["reference"].as_str().unwrap());
    assert_eq!(text, "Dear editor, my piece is attached.");
    // lopdf bounds its nesting; were it to overflow its stack, only the
    // child would end (`sandbox`'s tests name that death).
    assert_eq!(
        files[0].extraction_error.as_deref(),
        Some("the document holds no text")
    );
    // This test process, which ran the intake, serves the next mail.
    let response =
        web::call_service(&app, post(common::corpus_file("01-plain.eml")).to_request()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[actix_web::test]
async fn of_forty_hostile_documents_three_are_tried_and_the_rest_kept_unread() {
    let db = common::TestDb::new();
    let app = TestApp::builder(&db.url).build().await;
    // A .docx whose document part inflates to 60 MiB, over the 50 MiB limit.
    let bomb = {
        use std::io::Write;
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        writer
            .start_file(
                "word/document.xml",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..60 {
            writer.write_all(&zeros).unwrap();
        }
        writer.finish().unwrap().into_inner()
    };
    let garbage: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let documents: Vec<(String, &str, &[u8])> = (0..40)
        .map(|n| {
            if n % 2 == 0 {
                (
                    format!("bomb{n}.docx"),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    &bomb[..],
                )
            } else {
                (format!("garbage{n}.pdf"), "application/pdf", &garbage[..])
            }
        })
        .collect();
    let mail = oped_mail("Author <author@example.org>", "Forty", &documents);
    let response = web::call_service(&app, post(mail).to_request()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = web::read_body_json(response).await;

    let mut conn = db.conn();
    let (text, files) = stored(&mut conn, body["reference"].as_str().unwrap());
    assert_eq!(text, "Dear editor, my piece is attached.");
    assert_eq!(files.len(), 40, "every attachment is kept");
    let reasons: Vec<&str> = files
        .iter()
        .map(|file| file.extraction_error.as_deref().unwrap())
        .collect();
    assert_eq!(
        &reasons[..3],
        [
            "document is too large",
            "malformed document: missing %PDF- header",
            "document is too large"
        ],
        "the first three were tried"
    );
    for (file, reason) in files.iter().zip(&reasons).skip(3) {
        assert_eq!(
            *reason, "not read: at most 3 documents are read per message",
            "{:?}",
            file.filename
        );
    }
    let recorded: i64 = inbound_messages::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(recorded, 1);
}

/// A flate stream that inflates past the memory limit ends the child, and
/// the reason names the limit.
#[test]
fn a_pdf_stream_inflating_past_the_memory_limit_is_reported_as_such() {
    use std::io::Write;
    let mut deflate = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    deflate
        .start_file(
            "x",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        deflate.write_all(&zeros).unwrap();
    }
    let zip = deflate.finish().unwrap().into_inner();
    // The entry's raw deflate data, behind a zlib header: a FlateDecode stream.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip[..])).unwrap();
    let entry = archive.by_index_raw(0).unwrap();
    let start = usize::try_from(entry.data_start()).unwrap();
    let len = usize::try_from(entry.compressed_size()).unwrap();
    drop(entry);
    let mut stream = vec![0x78, 0x9C];
    stream.extend_from_slice(&zip[start..start + len]);
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content_id = doc.add_object(Stream::new(
        dictionary! { "Filter" => "FlateDecode" },
        stream,
    ));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut pdf = Vec::new();
    doc.save_to(&mut pdf).unwrap();

    let error = oped::intake::documents::sandbox::extract_in_child(
        std::path::Path::new(env!("CARGO_BIN_EXE_oped")),
        oped::intake::documents::DocumentKind::Pdf,
        &pdf,
        oped::intake::documents::sandbox::ChildLimits {
            wall: Duration::from_secs(60),
            cpu: Duration::from_secs(60),
            // Room for the extractor itself (about 64 MiB of address
            // space), not for the document's 50 MiB budget as well.
            memory_bytes: 80 << 20,
            user: oped::intake::documents::sandbox::child_user(None).unwrap(),
        },
    )
    .unwrap_err();
    assert_eq!(error, "the extractor ran out of memory (limit 80 MiB)");
}

/// `oped extract` itself: the JSON it prints, and that it needs no configuration.
#[test]
fn oped_extract_answers_in_json_without_configuration() {
    use std::io::Write;
    let run = |kind: &str, input: &[u8]| -> Value {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oped"))
            .args(["extract", "--kind", kind])
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{:?}", output.status);
        serde_json::from_slice(&output.stdout).unwrap()
    };
    assert_eq!(
        run("pdf", &plain_pdf("Hello")),
        serde_json::json!({ "text": "Hello", "title": null })
    );
    assert_eq!(
        run("docx", b"not a zip"),
        serde_json::json!({ "error": "malformed document: not a zip archive" })
    );
}

// The extractor as an attacker who has taken it over would run it: stand-in
// programs, named by OPED_EXTRACTOR, started by a real `oped ingest` whose
// environment holds the JWT secret and the database URL, as the MTA runs it.
// Each reads the document first, as a parser would before being subverted
// by it: the child's limits are on by then.

/// Stand-in extractors in a directory the unprivileged user can read.
struct StandIns(tempfile::TempDir);

impl StandIns {
    fn new() -> StandIns {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        StandIns(dir)
    }

    /// A shell script `name` running `body`; its path.
    fn script(&self, name: &str, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.0.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\ncat >/dev/null\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
}

/// What `oped ingest` answered: its exit code and JSON line.
struct Ingested {
    code: i32,
    report: Value,
}

/// Runs `oped ingest` on `mail` with `extractor` as its document reader, as
/// the server's own `user` when given (else as this test's user); gives up
/// after a minute, far past the 5 s a document may take, and says so.
fn ingest_with(
    db: &common::TestDb,
    extractor: &std::path::Path,
    user: Option<oped::intake::documents::sandbox::ChildUser>,
    mail: &[u8],
) -> Option<Ingested> {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let mut command = common::oped_command(&db.url);
    command
        .arg("ingest")
        .env("OPED_EXTRACTOR", extractor)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(user) = user {
        command.uid(user.uid).gid(user.gid);
    }
    let mut ingest = command.spawn().unwrap();
    ingest.stdin.take().unwrap().write_all(mail).unwrap();
    let given_up = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = ingest.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > given_up {
            let _ = ingest.kill();
            let _ = ingest.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut ingest.stdout.take().unwrap(), &mut stdout).unwrap();
    Some(Ingested {
        code: status.code().unwrap_or(-1),
        report: serde_json::from_str(stdout.trim()).unwrap_or(Value::Null),
    })
}

/// The processes whose command line holds `marker` that are still there
/// after 10 s: a SIGKILL is certain, but its delivery is the kernel's.
fn left_running(marker: &str) -> Vec<i32> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = processes_with(marker);
        if left.is_empty() || std::time::Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Live processes whose command line holds `marker` (zombies have none).
fn processes_with(marker: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(marker))
        })
        .collect()
}

/// Ends the processes `pids` this test's extractor left behind, so that a
/// failing test leaves nothing running.
fn kill_leftovers(pids: &[i32]) {
    for pid in pids {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// The user an ordinary server would run as, when this test runs as root.
fn unprivileged_user() -> Option<oped::intake::documents::sandbox::ChildUser> {
    nix::unistd::geteuid().is_root().then(|| {
        oped::intake::documents::sandbox::resolve_user(
            oped::intake::documents::sandbox::DEFAULT_CHILD_USER,
        )
        .unwrap()
    })
}

#[test]
fn an_extractor_reading_the_servers_environment_and_files_finds_no_secret() {
    use std::os::unix::fs::PermissionsExt;
    let db = common::TestDb::new();
    let stand_ins = StandIns::new();
    // A file only the server's user may read, as its secret files are.
    let secret_file = stand_ins.0.path().join("jwt-secret");
    let file_secret = "file-secret-Qm8Vt2Xw5Rz1Lp4Nk7Hd0Gs3Fb6Jc9";
    std::fs::write(&secret_file, file_secret).unwrap();
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let extractor = stand_ins.script(
        "read-the-server",
        &format!(
            r#"environ=$(tr '\0' ' ' </proc/$PPID/environ) || environ=unreadable
file=$(cat {}) || file=unreadable
printf '{{"text":"The server has %s and %s","title":null}}' "$environ" "$file""#,
            secret_file.display()
        ),
    );

    // Run as this test's user (root in CI: the child runs as nobody), and as
    // an ordinary user, whose child is that same user.
    let mut servers = vec![None];
    servers.extend(unprivileged_user().map(Some));
    for (n, user) in servers.into_iter().enumerate() {
        let mail = oped_mail(
            "Author <author@example.org>",
            &format!("Secrets {n}"),
            &[("piece.txt".into(), "text/plain", b"An ordinary piece.")],
        );
        let ingested = ingest_with(&db, &extractor, user, &mail).unwrap();
        assert_eq!(ingested.code, 0, "{}", ingested.report);
        let reference = ingested.report["reference"].as_str().unwrap();
        let (article, files) = stored(&mut db.conn(), reference);
        assert!(files[0].is_article, "{:?}", files[0].extraction_error);
        assert!(
            article.starts_with("The server has unreadable and unreadable"),
            "as {user:?}: {article}"
        );
        for secret in [common::JWT_SECRET, db.url.as_str(), file_secret] {
            assert!(!article.contains(secret), "as {user:?}: {article}");
        }
    }
}

#[test]
fn a_grandchild_holding_the_extractors_stdout_dies_with_it_at_the_deadline() {
    let db = common::TestDb::new();
    let stand_ins = StandIns::new();
    // Unique to this test process: the grandchild is found by it.
    let marker = format!("3601.{}", std::process::id());
    let extractor = stand_ins.script("grandchild", &format!("sleep {marker} &\nexec sleep 3600"));
    let mail = oped_mail(
        "Author <author@example.org>",
        "Held pipe",
        &[("piece.txt".into(), "text/plain", b"An ordinary piece.")],
    );

    let ingested = std::thread::scope(|scope| {
        let ingest = scope.spawn(|| ingest_with(&db, &extractor, None, &mail));
        // The grandchild exists while the ingest runs.
        let mut grandchild = Vec::new();
        while grandchild.is_empty() && !ingest.is_finished() {
            grandchild = processes_with(&marker);
            std::thread::sleep(Duration::from_millis(20));
        }
        let ingested = ingest.join().unwrap();
        let left = left_running(&marker);
        kill_leftovers(&left);
        assert_eq!(grandchild.len(), 1, "the grandchild was started");
        assert!(
            ingested.is_some(),
            "the ingest was still waiting on the grandchild after a minute"
        );
        assert_eq!(
            left,
            Vec::<i32>::new(),
            "the grandchild outlived the ingest"
        );
        ingested.unwrap()
    });

    assert_eq!(ingested.code, 0, "{}", ingested.report);
    assert_eq!(ingested.report["outcome"], "submission");
    let (text, files) = stored(
        &mut db.conn(),
        ingested.report["reference"].as_str().unwrap(),
    );
    assert_eq!(
        text, "Dear editor, my piece is attached.",
        "the body stands in"
    );
    assert!(!files[0].is_article);
    assert_eq!(
        files[0].extraction_error.as_deref(),
        Some("the extractor was stopped after 5 s"),
        "the document is kept with the reason"
    );
}

#[test]
fn a_fork_bomb_in_the_extractor_is_bounded_and_ends_with_it() {
    let db = common::TestDb::new();
    let stand_ins = StandIns::new();
    let marker = format!("3602.{}", std::process::id());
    // Up to 200 sleepers, an `x` for each; a refused fork ends the subshell
    // only, and the count is the answer.
    let extractor = stand_ins.script(
        "fork-bomb",
        &format!(
            r#"printf '{{"text":"'
(i=0; while [ $i -lt 200 ]; do sleep {marker} </dev/null >/dev/null 2>&1 & printf x; i=$((i+1)); done)
printf '","title":null}}'"#
        ),
    );
    let mail = oped_mail(
        "Author <author@example.org>",
        "Fork bomb",
        &[("piece.txt".into(), "text/plain", b"An ordinary piece.")],
    );
    let ingested = ingest_with(&db, &extractor, None, &mail);
    let left = left_running(&marker);
    kill_leftovers(&left);
    let ingested = ingested.expect("the ingest returned");
    assert_eq!(left, Vec::<i32>::new(), "the sleepers outlived the ingest");

    assert_eq!(ingested.code, 0, "{}", ingested.report);
    let (started, _) = stored(
        &mut db.conn(),
        ingested.report["reference"].as_str().unwrap(),
    );
    assert!(started.chars().all(|c| c == 'x'), "{started}");
    assert!(
        started.len() <= 32,
        "{} processes started; the limit is 32",
        started.len()
    );
}
