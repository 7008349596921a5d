//! Test harness: each test gets its own database, copied from a template that
//! is migrated once per schema version, and dropped when the test ends.

pub mod app;
pub mod desk;
/// A real IMAP server (Dovecot) on a free local port.
pub mod dovecot;
/// Builders of mail and .docx, shared with the intake bench.
pub mod mail;
/// `oped serve` as a real process, ready when returned.
pub mod serve;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::prelude::*;
use diesel::{PgConnection, sql_query};
use oped::config::{Config, IntakeConfig};
use oped::db::embedded::EmbeddedCluster;
use oped::intake::IntakeLimits;
use oped::secret::Secret;

pub use app::TestApp;
pub use mail::zip_of;
pub use serve::{Serve, wait_ready};

pub const INBOUND_TOKEN: &str = "test-inbound-token-0123456789";
pub const JWT_SECRET: &str = "test-jwt-secret-Zr2LwXv9Tn4Kp7Yc1Hm6Fd3Sb0Ge5J";

/// The server tests run against: `OPED_TEST_DATABASE_URL`; else the
/// machine's PostgreSQL on 127.0.0.1:5432 when it answers; else a private
/// cluster from the local PostgreSQL installation (the service's own embedded
/// default), started once per test process and stopped when it exits.
pub fn server_url() -> String {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("OPED_TEST_DATABASE_URL") {
                return url;
            }
            let local = std::net::SocketAddr::from(([127, 0, 0, 1], 5432));
            if std::net::TcpStream::connect_timeout(&local, std::time::Duration::from_secs(2))
                .is_ok()
            {
                return "postgres://postgres@127.0.0.1:5432".into();
            }
            private_cluster()
        })
        .clone()
}

static PRIVATE_CLUSTER: std::sync::Mutex<Option<EmbeddedCluster>> = std::sync::Mutex::new(None);

fn private_cluster() -> String {
    let data_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-postgres");
    eprintln!(
        "nothing answers on 127.0.0.1:5432 and OPED_TEST_DATABASE_URL is unset: \
         running the tests on a private cluster under {}",
        data_dir.display()
    );
    let cluster = EmbeddedCluster::start(&data_dir).expect(
        "tests need PostgreSQL: set OPED_TEST_DATABASE_URL, start the local server or install it",
    );
    let url = cluster.database_url("postgres");
    let server = url.strip_suffix("/postgres").unwrap_or(&url).to_string();
    *PRIVATE_CLUSTER.lock().unwrap() = Some(cluster);
    // Statics are never dropped: stop the cluster (if this process started
    // it) when the test process exits.
    extern "C" fn stop_private_cluster() {
        if let Ok(mut cluster) = PRIVATE_CLUSTER.lock() {
            cluster.take();
        }
    }
    // SAFETY: registers a plain function with no arguments, as atexit expects.
    unsafe { libc::atexit(stop_private_cluster) };
    server
}

fn admin_connection() -> PgConnection {
    PgConnection::establish(&format!("{}/postgres", server_url()))
        .expect("tests need PostgreSQL: set OPED_TEST_DATABASE_URL or start the local server")
}

/// A name for the template that changes whenever a migration changes, so a
/// template left by an earlier run with another schema is never used.
fn template_name() -> String {
    let mut files: Vec<PathBuf> = walk(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"));
    files.sort();
    let mut all = Vec::new();
    for file in files {
        all.extend(file.to_string_lossy().as_bytes());
        all.extend(std::fs::read(&file).expect("migration readable"));
    }
    format!(
        "oped_test_template_{}",
        &oped::intake::sha256_hex(&all)[..16]
    )
}

fn walk(dir: PathBuf) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("migrations dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Creates (once per process, under an advisory lock across processes) the
/// migrated template database.
fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = template_name();
        let mut admin = admin_connection();
        sql_query("SELECT pg_advisory_lock(4242)")
            .execute(&mut admin)
            .unwrap();
        let ready: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "count(*) FROM pg_database WHERE datname = '{name}' AND datistemplate"
        )))
        .get_result(&mut admin)
        .unwrap();
        if ready == 0 {
            sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .unwrap();
            sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .unwrap();
            let mut conn = PgConnection::establish(&format!("{}/{name}", server_url())).unwrap();
            oped::db::run_migrations(&mut conn).expect("migrations apply");
            drop(conn);
            // Marked a template only once complete: a crash midway leaves it unmarked.
            sql_query(format!("ALTER DATABASE {name} WITH IS_TEMPLATE true"))
                .execute(&mut admin)
                .unwrap();
        }
        sql_query("SELECT pg_advisory_unlock(4242)")
            .execute(&mut admin)
            .unwrap();
        name
    })
}

/// A fresh, migrated database for one test; dropped with the value.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let template = template();
        let name = format!(
            "oped_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let mut admin = admin_connection();
        sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .unwrap();
        TestDb {
            url: format!("{}/{name}", server_url()),
            name,
        }
    }

    /// An empty database without the schema, for migration tests.
    pub fn empty() -> TestDb {
        let name = format!("oped_test_empty_{}_{}", std::process::id(), rand_suffix());
        let mut admin = admin_connection();
        sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap();
        TestDb {
            url: format!("{}/{name}", server_url()),
            name,
        }
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).unwrap()
    }

    pub fn pool(&self) -> oped::db::PgPool {
        oped::db::pool(
            &Secret::new(self.url.clone()),
            4,
            std::time::Duration::from_secs(5),
        )
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let mut admin = admin_connection();
        let _ = sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin);
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

pub const SITE_URL: &str = "https://news.example";

/// The test desk's configuration, read as `oped serve` reads its environment;
/// only the document extractor differs (`intake_limits`).
pub fn config() -> Config {
    let variables = [
        ("OPED_JWT_SECRET", JWT_SECRET),
        ("OPED_INBOUND_TOKEN", INBOUND_TOKEN),
        ("OPED_TRUSTED_AUTHSERV_ID", "mx.desk.example"),
        ("OPED_FROM", "Example Opinion <oped@desk.example>"),
        ("OPED_SITE_URL", SITE_URL),
        ("OPED_PUBLIC_URL", "https://desk.news.example"),
        ("OPED_DB_POOL_SIZE", "4"),
    ];
    let mut config = Config::from_lookup(|name| {
        variables
            .iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| value.to_string())
    })
    .expect("the test configuration is valid");
    config.intake.limits = intake_limits();
    config
}

pub fn intake_config() -> IntakeConfig {
    config().intake
}

/// The production limits, with documents read by the `oped` binary cargo
/// built for this run (the test binary itself, which production would start,
/// is not an extractor).
pub fn intake_limits() -> IntakeLimits {
    let mut limits = IntakeLimits::default();
    limits.extraction.runner = oped::intake::documents::Runner::Child(Some(PathBuf::from(env!(
        "CARGO_BIN_EXE_oped-extract"
    ))));
    limits
}

pub fn auth_config() -> oped::config::AuthConfig {
    config().auth
}

pub fn token_keys() -> oped::auth::tokens::TokenKeys {
    oped::auth::tokens::TokenKeys::new(&auth_config()).unwrap()
}

/// Where the test desk's pieces are public.
pub fn site() -> oped::publishing::Site {
    oped::publishing::Site::from_config(&config())
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus")
}

pub fn corpus_file(name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(name)).unwrap()
}

/// The `oped` binary built for this test run, with a clean environment
/// pointing at `database_url`.
pub fn oped_command(database_url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_oped"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("OPED_TRUSTED_AUTHSERV_ID", "mx.desk.example")
        .env("OPED_FROM", "Op-Ed Desk <oped@desk.example>")
        .env("OPED_JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn");
    command
}

/// Runs `oped ingest` with `raw` on stdin: (exit code, stdout JSON, stderr).
pub fn run_ingest(database_url: &str, raw: &[u8]) -> (i32, Option<serde_json::Value>, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = oped_command(database_url)
        .arg("ingest")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        // A process that exits early closes the pipe: that is its answer.
        let _ = stdin.write_all(raw);
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = stdout
        .lines()
        .next()
        .and_then(|line| serde_json::from_str(line).ok());
    (
        output.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A minimal .docx holding `paragraphs`, built the way Word lays one out.
pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>"))
        .collect();
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    zip_of(&[
        (
            "[Content_Types].xml",
            b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>".to_vec(),
        ),
        ("word/document.xml", document.into_bytes()),
    ])
}

/// A message with one base64 attachment after a plain-text body.
pub fn mail_with_attachment(
    headers: &str,
    body: &str,
    filename: &str,
    content_type: &str,
    content: &[u8],
) -> Vec<u8> {
    let mut raw = format!("{headers}MIME-Version: 1.0\r\n").into_bytes();
    mail::mixed(
        "b0undary",
        vec![
            mail::text_8bit(body),
            mail::attachment(filename, content_type, content.to_vec()),
        ],
    )
    .write_part(&mut raw);
    raw
}

// Accounts and logins, for any test that needs a real logged-in user.

/// A password that meets the policy (12 characters or more).
pub const PASSWORD: &str = "correct horse battery staple";

/// Adds an active account with `role`; returns its id. The name is the
/// email's local part. With a `password` it is made as `oped user add`
/// makes one (the accounts module, argon2 hash and all), to sign in with;
/// with `None` its hash matches no password, for tests that issue the
/// account's tokens themselves and need no argon2 run.
pub fn create_user(
    conn: &mut PgConnection,
    email: &str,
    role: oped::auth::Role,
    password: Option<&str>,
) -> i64 {
    use oped::schema::users;
    let name = email.split('@').next().unwrap_or(email);
    let Some(password) = password else {
        return diesel::insert_into(users::table)
            .values((
                users::email.eq(email),
                users::name.eq(name),
                users::role.eq(role.as_str()),
                users::password_hash
                    .eq("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
            ))
            .returning(users::id)
            .get_result(conn)
            .expect("the test account is created");
    };
    let account =
        oped::auth::accounts::NewAccount::new(email, name, role.as_str(), password.to_string())
            .expect("a valid test account");
    oped::auth::accounts::create_user(conn, &account)
        .expect("the test account is created")
        .id
}

/// `Authorization: Bearer <token>`, for `TestRequest::insert_header`.
pub fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// A `POST /api/v1/auth/login` request, to send as it is or from a chosen
/// `.peer_addr(...)`.
pub fn login_request(email: &str, password: &str) -> actix_web::test::TestRequest {
    actix_web::test::TestRequest::post()
        .uri("/api/v1/auth/login")
        .set_json(serde_json::json!({ "email": email, "password": password }))
}

/// Logs in through the API and returns the token response
/// (`access_token`, `refresh_token`, …); panics unless it is a 200.
pub async fn login_session<S, B>(app: &S, email: &str, password: &str) -> serde_json::Value
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let response =
        actix_web::test::call_service(app, login_request(email, password).to_request()).await;
    assert_eq!(
        response.status(),
        actix_web::http::StatusCode::OK,
        "login as {email}"
    );
    actix_web::test::read_body_json(response).await
}

/// Logs in through the API; returns the access token.
pub async fn login<S, B>(app: &S, email: &str, password: &str) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    login_session(app, email, password).await["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

// Email to authors.

pub mod receiver;
/// A real SMTP server on a free local port; see `smtp.rs`.
pub mod smtp;
/// A real WordPress served by `php -S`; see `wordpress.rs`.
pub mod wordpress;

/// Records `raw` through intake with the tests' configuration.
pub fn ingest(conn: &mut PgConnection, raw: &[u8]) -> oped::intake::IngestReport {
    ingest_with(conn, raw, &intake_config())
}

/// Records `raw` through intake with `config`.
pub fn ingest_with(
    conn: &mut PgConnection,
    raw: &[u8],
    config: &IntakeConfig,
) -> oped::intake::IngestReport {
    oped::intake::ingest(conn, raw, config).expect("the database records the message")
}

/// The id of the submission `report` made or attached a reply to.
pub fn submission_of(conn: &mut PgConnection, report: &oped::intake::IngestReport) -> i64 {
    use oped::schema::submissions;
    let reference = report
        .reference
        .as_deref()
        .expect("the message made a submission or attached to one");
    submissions::table
        .filter(submissions::reference.eq(reference))
        .select(submissions::id)
        .first(conn)
        .unwrap()
}

/// Records corpus mail `name` through intake; returns the submission's id.
pub fn ingest_submission(conn: &mut PgConnection, name: &str) -> i64 {
    let report = ingest(conn, &corpus_file(name));
    submission_of(conn, &report)
}

/// Fails the test whose prerequisite `what` is missing, naming it: a test
/// that returned early would pass having tested nothing. CI (`CI=true`)
/// installs every prerequisite (`.ci/run`), so there the machine is wrong;
/// elsewhere the failure says what to provide, and a run that means to do
/// without it says so itself (`cargo test -- --skip <name>`).
pub fn missing_prerequisite(what: &str) -> ! {
    if std::env::var("CI").is_ok_and(|value| value == "true") {
        panic!("missing in CI, where .ci/run provides it: {what}");
    }
    panic!(
        "this test needs {what}; provide it as .ci/run does, or leave the test out \
         knowingly with `cargo test -- --skip <its name>`"
    );
}

/// The mailbox a failing poller left behind, as editors see it listed.
pub const FAILING_MAILBOX: &str = "desk@news.example@imap.example.net:993/INBOX";

/// Registers [`FAILING_MAILBOX`] and marks it failing with `error`, as a
/// poller refused at login does.
pub fn failing_mailbox(conn: &mut PgConnection, error: &str) {
    let id = oped::imap::state::register(conn, FAILING_MAILBOX).unwrap();
    oped::imap::state::failed(conn, id, error).unwrap();
}

/// A free port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
