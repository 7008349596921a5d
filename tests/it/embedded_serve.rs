//! The embedded default, end to end: `oped serve` with no DATABASE_URL runs a
//! private PostgreSQL cluster under OPED_DATA_DIR, `oped ingest` uses the same
//! cluster, and the cluster stops when the service stops.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

fn oped(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oped"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OPED_DATA_DIR", data_dir)
        .env("OPED_INBOUND_TOKEN", common::INBOUND_TOKEN)
        .env("OPED_JWT_SECRET", common::JWT_SECRET)
        .env("RUST_LOG", "warn");
    command
}

fn ingest(data_dir: &Path, file: &str) -> serde_json::Value {
    let output = oped(data_dir)
        .args(["ingest", common::corpus_dir().join(file).to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn cluster_running(data_dir: &Path) -> bool {
    data_dir.join("postgres/cluster/postmaster.pid").exists()
}

#[test]
fn serve_runs_and_stops_a_private_cluster_that_ingest_shares() {
    let dir = tempfile::Builder::new()
        .prefix("oped-embedded-")
        .tempdir_in("/tmp")
        .unwrap();
    // As root, the cluster runs as the postgres user, which must enter the directory.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = dir.path().join("data");
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");

    // No OPED_JWT_SECRET: the embedded default makes a key and keeps it.
    let mut server = oped(&data_dir)
        .arg("serve")
        .env_remove("OPED_JWT_SECRET")
        .env("OPED_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    common::wait_ready(&base, &mut server);
    assert!(cluster_running(&data_dir));
    let key = std::fs::metadata(data_dir.join("jwt-secret")).expect("the key is kept");
    assert_eq!(key.permissions().mode() & 0o777, 0o600);

    let response = reqwest::blocking::Client::new()
        .post(format!("{base}/api/v1/inbound/messages"))
        .bearer_auth(common::INBOUND_TOKEN)
        .header("Content-Type", "message/rfc822")
        .body(common::corpus_file("01-plain.eml"))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");

    // `ingest` finds the running cluster and records into the same database.
    assert_eq!(
        ingest(&data_dir, "02-gmail-docx.eml")["outcome"],
        "submission"
    );
    assert_eq!(
        ingest(&data_dir, "07-duplicate-of-01.eml")["outcome"],
        "duplicate"
    );
    assert!(
        cluster_running(&data_dir),
        "ingest leaves the service's cluster running"
    );

    kill(Pid::from_raw(server.id() as i32), Signal::SIGTERM).unwrap();
    let status = server.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        !cluster_running(&data_dir),
        "the cluster stops with the service"
    );

    // With the service down, ingest starts the cluster for its own run and
    // stops it again; what was stored before is still there.
    assert_eq!(ingest(&data_dir, "01-plain.eml")["outcome"], "duplicate");
    assert!(!cluster_running(&data_dir));
}

#[test]
fn serve_with_a_database_url_still_needs_a_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let output = oped(dir.path())
        .arg("serve")
        .env_remove("OPED_JWT_SECRET")
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&output.stderr).contains("OPED_JWT_SECRET"));
    assert!(!dir.path().join("jwt-secret").exists());
}
