//! End-to-end mode: `oped serve` over a database of the bench's own, every
//! mail posted to `/api/v1/inbound/messages`, then what was stored.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::Options;
use crate::cpu::{CpuSample, load_average, print_cpu};
use crate::mix::Mail;
use crate::parse_mode::{ParseFigures, Settings};
use crate::report::EndToEndReport;
use crate::waits::WaitSampler;

pub fn end_to_end(
    options: &Options,
    settings: &Settings,
    mails: &[Mail],
    parse: Option<ParseFigures>,
) -> anyhow::Result<()> {
    require_loopback(&options.postgres)?;
    let server_binary = options
        .server
        .canonicalize()
        .with_context(|| format!("no server binary at {}", options.server.display()))?;
    let token = settings
        .get("OPED_INBOUND_TOKEN")
        .context("no OPED_INBOUND_TOKEN")?;
    let pid = std::process::id();
    println!(
        "\n== end to end: POST /api/v1/inbound/messages, {} mails, {} clients",
        mails.len(),
        options.concurrency
    );
    println!("  load average before: {}", load_average());

    // Declared before the server so it is dropped after it: the server stops
    // first, then its database goes.
    let database = BenchDatabase::create(&options.postgres, &format!("oped_bench_{pid}"))?;
    let port = free_port()?;
    let log_path = std::env::temp_dir().join(format!("oped_bench_{pid}.log"));
    // A clean environment: a developer's OPED_* variables must not change
    // what is measured; --server-env adds to it on purpose.
    let mut environment: Vec<(String, String)> = vec![
        ("DATABASE_URL".to_string(), database.url.clone()),
        ("OPED_BIND".to_string(), format!("127.0.0.1:{port}")),
        ("RUST_LOG".to_string(), "warn".to_string()),
    ];
    environment.extend(settings.0.iter().cloned());
    if !options.server_env.is_empty() {
        println!(
            "  server environment added: {}",
            options
                .server_env
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    let mut server = Server::start(&server_binary, &environment, &log_path)?;
    let base = format!("http://127.0.0.1:{port}");
    server.wait_ready(&base, Duration::from_secs(60))?;
    println!(
        "  server pid {} on 127.0.0.1:{port}, database {}, log {}",
        server.pid(),
        database.name,
        log_path.display()
    );

    let sampler = WaitSampler::start(&database.url)?;
    let cpu_before = CpuSample::take(server.pid(), &database.name);
    let started = Instant::now();
    let exchanges = send_all(
        &format!("{base}/api/v1/inbound/messages"),
        &token,
        mails,
        options.concurrency,
        started + Duration::from_secs(options.time_limit_secs),
    );
    let wall = started.elapsed();
    let cpu_after = CpuSample::take(server.pid(), &database.name);
    // The wait profile explains the figures; it is not worth failing the run over.
    let waits = sampler
        .finish()
        .inspect_err(|err| eprintln!("  the wait sampler failed: {err:#}"))
        .ok();

    let stored = database.stored()?;
    let report = EndToEndReport::new(mails, &exchanges, wall, &stored);
    report.print(options.concurrency);
    print_cpu(&cpu_before, &cpu_after, wall, mails.len(), parse.as_ref());
    if let Some(waits) = waits {
        waits.print();
    }

    let failures = report.failures();
    if !failures.is_empty() {
        server.print_log_tail(20);
        bail!("end-to-end run failed:\n  {}", failures.join("\n  "));
    }
    drop(server);
    drop(database);
    Ok(())
}

/// Everything stays on this machine: a PostgreSQL URL naming another host is refused.
fn require_loopback(postgres: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(postgres).context("--postgres is not a URL")?;
    match parsed.host_str() {
        Some("127.0.0.1" | "localhost" | "[::1]") => Ok(()),
        other => bail!("--postgres must be on loopback (127.0.0.1), not {other:?}"),
    }
}

fn free_port() -> anyhow::Result<u16> {
    // The port is free when we close the listener; `oped serve` binds it a
    // moment later. Another process taking it in between would make the
    // server fail to start, loudly.
    let listener = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A database of the bench's own, dropped on every way out.
struct BenchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl BenchDatabase {
    /// Drops a leftover of the same name (a killed earlier run with the same
    /// pid); `oped serve` creates and migrates the database itself.
    fn create(postgres: &str, name: &str) -> anyhow::Result<Self> {
        // The database name goes in the path; query parameters such as
        // `?sslmode=disable` are kept.
        let with_path = |path: &str| -> anyhow::Result<String> {
            let mut url = url::Url::parse(postgres).context("--postgres is not a URL")?;
            url.set_path(path);
            Ok(url.into())
        };
        let database = BenchDatabase {
            admin_url: with_path("/postgres")?,
            name: name.to_string(),
            url: with_path(&format!("/{name}"))?,
        };
        database.drop_now()?;
        Ok(database)
    }

    fn drop_now(&self) -> anyhow::Result<()> {
        let mut admin = PgConnection::establish(&self.admin_url)
            .with_context(|| format!("connecting to {}", self.admin_url))?;
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .with_context(|| format!("dropping database {}", self.name))?;
        Ok(())
    }

    fn stored(&self) -> anyhow::Result<Stored> {
        let mut conn = PgConnection::establish(&self.url)
            .with_context(|| format!("connecting to {}", self.name))?;
        let outcomes: Vec<OutcomeCount> = diesel::sql_query(
            "SELECT outcome, count(*) AS count FROM inbound_messages GROUP BY outcome ORDER BY outcome",
        )
        .load(&mut conn)?;
        let tables: TableCounts = diesel::sql_query(
            "SELECT (SELECT count(*) FROM inbound_messages) AS inbound_messages, \
                    (SELECT count(*) FROM submissions) AS submissions, \
                    (SELECT count(*) FROM submission_revisions) AS revisions, \
                    (SELECT count(*) FROM attachments) AS attachments, \
                    (SELECT count(*) FROM correspondence) AS correspondence, \
                    pg_database_size(current_database()) AS database_bytes",
        )
        .get_result(&mut conn)?;
        Ok(Stored {
            outcomes: outcomes
                .into_iter()
                .map(|row| (row.outcome, row.count))
                .collect(),
            tables,
        })
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        match self.drop_now() {
            Ok(()) => println!("  dropped database {}", self.name),
            Err(err) => eprintln!("  could not drop database {}: {err:#}", self.name),
        }
    }
}

#[derive(QueryableByName)]
struct OutcomeCount {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
pub struct TableCounts {
    #[diesel(sql_type = BigInt)]
    pub inbound_messages: i64,
    #[diesel(sql_type = BigInt)]
    pub submissions: i64,
    #[diesel(sql_type = BigInt)]
    pub revisions: i64,
    #[diesel(sql_type = BigInt)]
    pub attachments: i64,
    #[diesel(sql_type = BigInt)]
    pub correspondence: i64,
    #[diesel(sql_type = BigInt)]
    pub database_bytes: i64,
}

pub struct Stored {
    pub outcomes: BTreeMap<String, i64>,
    pub tables: TableCounts,
}

/// `oped serve` as a child process, stopped with SIGTERM on every way out.
struct Server {
    child: Child,
    log_path: PathBuf,
}

impl Server {
    fn start(
        binary: &Path,
        environment: &[(String, String)],
        log_path: &Path,
    ) -> anyhow::Result<Self> {
        let log =
            File::create(log_path).with_context(|| format!("creating {}", log_path.display()))?;
        // Run from the temp dir so that no `.env` file is picked up either.
        let child = Command::new(binary)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(environment.iter().map(|(name, value)| (name, value)))
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(Server {
            child,
            log_path: log_path.to_path_buf(),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_ready(&mut self, base: &str, limit: Duration) -> anyhow::Result<()> {
        let client = http_client(Duration::from_secs(2))?;
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(response) = client.get(format!("{base}/readyz")).send()
                && response.status().is_success()
            {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.print_log_tail(20);
                bail!("oped serve exited before it was ready ({status})");
            }
            if Instant::now() > deadline {
                self.print_log_tail(20);
                bail!("oped serve was not ready after {} s", limit.as_secs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn print_log_tail(&self, lines: usize) {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        eprintln!("  last lines of {}:", self.log_path.display());
        for line in &all[all.len().saturating_sub(lines)..] {
            eprintln!("    {line}");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    println!("  server stopped ({status})");
                    return;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    eprintln!("  server did not stop on SIGTERM within 10 s: killing it");
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return;
                }
            }
        }
    }
}

/// A blocking client that never uses a proxy: every byte goes to 127.0.0.1.
fn http_client(timeout: Duration) -> anyhow::Result<reqwest::blocking::Client> {
    Ok(reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()?)
}

/// One request and its answer.
pub struct Exchange {
    pub index: usize,
    pub status: Option<u16>,
    pub latency: Duration,
    pub outcome: Option<String>,
    pub error: Option<String>,
}

/// Sends every mail once, `concurrency` at a time, in list order (a shared
/// cursor, so a reply goes out well after its original), each client thread
/// keeping its connection alive. Stops taking new mails at `deadline`.
fn send_all(
    url: &str,
    token: &str,
    mails: &[Mail],
    concurrency: usize,
    deadline: Instant,
) -> Vec<Exchange> {
    let cursor = AtomicUsize::new(0);
    let authorization = format!("Bearer {token}");
    let mut exchanges: Vec<Exchange> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (cursor, authorization) = (&cursor, &authorization);
                scope.spawn(move || {
                    let client = http_client(Duration::from_secs(30)).expect("an HTTP client");
                    let mut mine = Vec::new();
                    loop {
                        let index = cursor.fetch_add(1, Ordering::Relaxed);
                        if index >= mails.len() || Instant::now() > deadline {
                            return mine;
                        }
                        let started = Instant::now();
                        let result = client
                            .post(url)
                            .header(reqwest::header::AUTHORIZATION, authorization.as_str())
                            .header(reqwest::header::CONTENT_TYPE, "message/rfc822")
                            .body(mails[index].raw.clone())
                            .send()
                            .and_then(|response| {
                                let status = response.status().as_u16();
                                response.bytes().map(|body| (status, body))
                            });
                        let latency = started.elapsed();
                        mine.push(match result {
                            Ok((status, body)) => {
                                let json: Option<serde_json::Value> =
                                    serde_json::from_slice(&body).ok();
                                let outcome = json
                                    .as_ref()
                                    .and_then(|json| json.get("outcome"))
                                    .and_then(|outcome| outcome.as_str())
                                    .map(str::to_string);
                                Exchange {
                                    index,
                                    status: Some(status),
                                    latency,
                                    outcome,
                                    error: (!matches!(status, 200 | 201)).then(|| {
                                        String::from_utf8_lossy(&body).chars().take(300).collect()
                                    }),
                                }
                            }
                            Err(err) => Exchange {
                                index,
                                status: None,
                                latency,
                                outcome: None,
                                error: Some(err.to_string()),
                            },
                        });
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("client thread panicked"))
            .collect()
    });
    exchanges.sort_by_key(|exchange| exchange.index);
    exchanges
}
