//! Public reads from a real streaming replica: a second cluster made with
//! `pg_basebackup -R` of the test server, on another 127.0.0.1 port. A piece
//! published on the primary is read through the replica; with the replica
//! stopped, public reads fall back to the primary and still answer, and the
//! metrics say which served them.
//!
//! Needs the test server to accept replication connections from 127.0.0.1
//! (`.ci/run` adds the pg_hba line); fails, saying so, when the harness runs
//! its own private cluster, which has no TCP listener to stream from.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use oped::schema::submissions;

const METRICS_TOKEN: &str = "test-metrics-token-Qm4Xr8Lp2Vw6Ny1Kd5";
const LOCAL_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// The directory holding pg_basebackup and pg_ctl.
fn bindir() -> PathBuf {
    let out = Command::new("pg_config").arg("--bindir").output();
    if let Ok(out) = out
        && out.status.success()
    {
        return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries")
        .map(|entry| entry.unwrap().path().join("bin"))
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL version")
}

/// A command run as the `postgres` user when we are root (PostgreSQL
/// refuses to run as root, and the replica's files must be its own).
fn as_postgres(program: PathBuf) -> Command {
    let mut command = Command::new(program);
    if nix::unistd::geteuid().is_root() {
        let user = nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("a postgres user");
        command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    command
}

struct Replica {
    dir: tempfile::TempDir,
    port: u16,
    running: bool,
    /// The replication slot that keeps the primary's WAL until the replica
    /// has it; dropped with the replica, or the primary would keep WAL forever.
    slot: String,
}

/// On the test server itself.
fn primary_sql(sql: &str) {
    let mut conn = PgConnection::establish(&format!("{LOCAL_SERVER}/postgres")).unwrap();
    diesel::sql_query(sql).execute(&mut conn).unwrap();
}

impl Replica {
    fn start() -> Replica {
        let dir = tempfile::Builder::new()
            .prefix("oped-replica-")
            .tempdir_in("/tmp")
            .unwrap();
        let data = dir.path().join("data");
        if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres").unwrap().unwrap();
            std::os::unix::fs::chown(dir.path(), Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                .unwrap();
        }
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        // Slots an earlier, killed run left behind.
        primary_sql(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
             WHERE slot_name LIKE 'oped_test_replica_%' AND NOT active",
        );
        // A checkpoint that runs while the slot is made (other tests create
        // and drop databases meanwhile) can invalidate the new slot at once:
        // PostgreSQL then ends the backup, and a second try succeeds.
        let mut tries = 0;
        let slot = loop {
            tries += 1;
            let slot = format!("oped_test_replica_{}_{tries}", std::process::id());
            let backup = as_postgres(bindir().join("pg_basebackup"))
                .args(["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"])
                .args(["-X", "stream", "-R", "-C", "-S", &slot, "-D"])
                .arg(&data)
                .output()
                .unwrap();
            if backup.status.success() {
                break slot;
            }
            let stderr = String::from_utf8_lossy(&backup.stderr);
            assert!(
                tries < 3 && stderr.contains("terminating connection due to administrator command"),
                "pg_basebackup of the test server failed (does its pg_hba.conf allow \
                 `host replication all 127.0.0.1/32`?): {stderr}"
            );
            primary_sql(&format!(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                 WHERE slot_name = '{slot}' AND NOT active"
            ));
            let _ = std::fs::remove_dir_all(&data);
        };
        // Debian keeps the server's configuration outside its data directory,
        // so the copy has none: the replica gets its own, minimal.
        for (file, text) in [
            (
                "postgresql.conf",
                "# options are given on the command line\n",
            ),
            (
                "pg_hba.conf",
                "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            ),
        ] {
            let path = data.join(file);
            if !path.exists() {
                std::fs::write(&path, text).unwrap();
                if nix::unistd::geteuid().is_root() {
                    let user = nix::unistd::User::from_name("postgres").unwrap().unwrap();
                    std::os::unix::fs::chown(
                        &path,
                        Some(user.uid.as_raw()),
                        Some(user.gid.as_raw()),
                    )
                    .unwrap();
                }
            }
        }
        let port = common::free_port();
        let mut replica = Replica {
            dir,
            port,
            running: false,
            slot,
        };
        replica.pg_ctl("start");
        replica.running = true;
        replica
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c hot_standby=on \
             -c shared_buffers=32MB",
            self.port,
            self.dir.path().display()
        );
        let status = as_postgres(bindir().join("pg_ctl"))
            .args(["-w", "-t", "60", "-D"])
            .arg(&data)
            .args(["-l"])
            .arg(self.dir.path().join("log"))
            .args(["-o", &options, "-m", "fast", action])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "pg_ctl {action} of the replica failed: {}",
            log(self.dir.path())
        );
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn stop(&mut self) {
        if self.running {
            self.pg_ctl("stop");
            self.running = false;
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.stop();
            primary_sql(&format!("SELECT pg_drop_replication_slot('{}')", self.slot));
        }));
    }
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("log")).unwrap_or_default()
}

fn serve(primary: &str, replica: &str) -> common::Serve {
    common::Serve::start(
        primary,
        &[
            ("OPED_READ_DATABASE_URL", replica),
            ("OPED_METRICS_TOKEN", METRICS_TOKEN),
        ],
    )
}

fn reads_by(server: &common::Serve, source: &str) -> f64 {
    let text = reqwest::blocking::Client::new()
        .get(format!("{}/metrics", server.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let series = format!("oped_public_reads_total{{source=\"{source}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0.0, |value| value.parse().unwrap())
}

#[test]
fn public_reads_go_to_the_replica_and_fall_back_to_the_primary() {
    if common::server_url() != LOCAL_SERVER {
        common::missing_prerequisite(
            "the PostgreSQL server on 127.0.0.1:5432, accepting replication connections \
             (the tests run elsewhere: OPED_TEST_DATABASE_URL, or a private cluster, \
             which has nothing to stream from)",
        );
    }
    let mut replica = Replica::start();
    // Made after the base backup: the replica learns of it by streaming.
    let db = common::TestDb::new();
    let report = oped::intake::ingest(
        &mut db.conn(),
        &common::corpus_file("01-plain.eml"),
        &common::intake_config(),
    )
    .unwrap();
    let reference = report.reference.expect("a submission");
    diesel::update(submissions::table.filter(submissions::reference.eq(&reference)))
        .set((
            submissions::state.eq("published"),
            submissions::slug.eq("read-from-the-replica"),
            submissions::published_at.eq(diesel::dsl::now),
        ))
        .execute(&mut db.conn())
        .unwrap();

    // The replica has it once it has replayed that far.
    let on_replica = replica.url(&db.name);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = PgConnection::establish(&on_replica)
            .ok()
            .and_then(|mut conn| {
                submissions::table
                    .filter(submissions::slug.eq("read-from-the-replica"))
                    .count()
                    .get_result::<i64>(&mut conn)
                    .ok()
            });
        if seen == Some(1) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica never caught up: {}",
            log(replica.dir.path())
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let server = serve(&db.url, &on_replica);
    let opinion = format!("{}/api/v1/public/opeds/read-from-the-replica", server.base);
    let response = reqwest::blocking::get(&opinion).unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["slug"], "read-from-the-replica");
    let from_replica = reads_by(&server, "replica");
    assert!(from_replica >= 1.0);
    assert_eq!(reads_by(&server, "primary"), 0.0);

    // The replica goes away: readers notice nothing, the metrics do.
    replica.stop();
    for _ in 0..3 {
        let response = reqwest::blocking::get(&opinion).unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let feed = reqwest::blocking::get(format!("{}/feed.atom", server.base)).unwrap();
    assert_eq!(feed.status().as_u16(), 200);
    assert!(feed.text().unwrap().contains("read-from-the-replica"));
    assert!(reads_by(&server, "primary") >= 4.0);
    assert_eq!(reads_by(&server, "replica"), from_replica);
}
