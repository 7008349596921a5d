//! The `oped` command line. Exit codes follow sysexits(3), because `oped
//! ingest` is run by MTAs that read them: 75 means "keep the message and try
//! again later".

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::auth::accounts::{self, AuthError, NewAccount};
use crate::config::Config;
use crate::db::Database;
use crate::intake;
use crate::intake::documents::{DocumentKind, sandbox};
use crate::jobs::{RunUntil, Stop};
use crate::startup::{self, Outlets, StartupError, Workers};

pub const EX_OK: u8 = 0;
pub const EX_USAGE: u8 = 64;
pub const EX_DATAERR: u8 = 65;
pub const EX_NOINPUT: u8 = 66;
pub const EX_SOFTWARE: u8 = 70;
pub const EX_TEMPFAIL: u8 = 75;
pub const EX_CONFIG: u8 = 78;

/// How much of an oversized message is kept with its quarantine record.
const OVERSIZED_HEAD_BYTES: usize = 1024 * 1024;

#[derive(Debug, Parser)]
#[command(
    name = "oped",
    version,
    about = "Op-Ed Desk: the op-ed mailbox as an editorial workflow"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API on OPED_BIND, deliver queued emails and webhooks,
    /// and publish scheduled pieces when due.
    Serve {
        /// Serve the API only, with no background work (for API-only
        /// replicas next to separate `oped worker` processes).
        #[arg(long)]
        no_workers: bool,
    },
    /// Deliver queued emails and webhooks and publish scheduled pieces until
    /// SIGTERM or SIGINT; the work in hand is finished first. Any number may
    /// run at once.
    Worker {
        /// Exit as soon as nothing is due, instead of waiting for more.
        #[arg(long)]
        exit_when_idle: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Record one RFC 5322 message read from FILE, or from standard input.
    /// Prints one JSON line; exits 0 when the message is now ours, 75 when it
    /// must be delivered again later.
    Ingest {
        /// The message file; standard input when absent.
        file: Option<PathBuf>,
    },
    /// Extract the text of one document read from standard input and print
    /// it as one JSON line (`{"text", "title"}` or `{"error"}`). The server
    /// runs this as a child process under OS limits; it reads no
    /// configuration and opens no database.
    Extract {
        #[arg(long, value_parser = ["docx", "odt", "pdf", "rtf", "html", "text"])]
        kind: String,
    },
    /// Manage editor accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The mailbox of OPED_IMAP_URL.
    Imap {
        #[command(subcommand)]
        command: ImapCommand,
    },
    /// The site's WordPress (OPED_WORDPRESS_URL).
    Wordpress {
        #[command(subcommand)]
        command: WordpressCommand,
    },
}

#[derive(Debug, Subcommand)]
enum WordpressCommand {
    /// Logs in, checks that the user may publish and upload and looks for
    /// the category; says what is wrong and exits non-zero when something is.
    Check,
}

#[derive(Debug, Subcommand)]
enum ImapCommand {
    /// Logs in, opens the folder read and looks for the processed folder;
    /// says what is wrong and exits non-zero when something is.
    Check,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add an account; its password is the first line of standard input
    /// (never an argument, which `ps` and shell history would show). Prints
    /// the new user as one JSON line; exits 65 when the email address already
    /// has an account.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["editor", "publisher", "admin"])]
        role: String,
    },
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { EX_USAGE } else { EX_OK };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    // Before any configuration is read: the extractor needs none, and gets
    // a cleared environment.
    if let Command::Extract { kind } = &cli.command {
        return match DocumentKind::from_name(kind) {
            Some(kind) => sandbox::serve_child(kind),
            None => ExitCode::from(EX_USAGE),
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("oped: {err}");
            // For `ingest`, a temporary failure: the MTA keeps the message
            // until the operator has fixed the configuration.
            return ExitCode::from(match cli.command {
                Command::Ingest { .. } => EX_TEMPFAIL,
                _ => EX_CONFIG,
            });
        }
    };
    crate::telemetry::init(config.log_format);
    ExitCode::from(match cli.command {
        Command::Serve { no_workers } => serve(&config, no_workers),
        Command::Worker { exit_when_idle } => worker(&config, exit_when_idle),
        Command::Migrate => migrate(&config),
        Command::Ingest { file } => ingest(&config, file),
        Command::User {
            command: UserCommand::Add { email, name, role },
        } => user_add(&config, &email, &name, &role),
        Command::Imap {
            command: ImapCommand::Check,
        } => imap_check(&config),
        Command::Wordpress {
            command: WordpressCommand::Check,
        } => wordpress_check(&config),
        Command::Extract { .. } => unreachable!("handled before the configuration is read"),
    })
}

fn open_database(config: &Config) -> Option<Database> {
    match Database::open(&config.database) {
        Ok(database) => Some(database),
        Err(err) => {
            tracing::error!(error = %err, "database unavailable");
            eprintln!("oped: {err}");
            None
        }
    }
}

fn migrate(config: &Config) -> u8 {
    match open_database(config) {
        Some(_) => {
            println!("migrations are current");
            EX_OK
        }
        None => EX_TEMPFAIL,
    }
}

fn ingest(config: &Config, file: Option<PathBuf>) -> u8 {
    let limit = config.intake.limits.max_message_bytes;
    let input = match read_message(file, limit) {
        Ok(input) => input,
        Err((code, message)) => {
            eprintln!("oped: {message}");
            return code;
        }
    };
    // Prepared before the database is opened: no connection waits on the
    // parser or on document extraction.
    let prepared = if input.size <= limit {
        intake::prepare(&input.bytes, &config.intake)
    } else {
        intake::prepare_oversized(input.size, &config.intake)
    };
    let Some(database) = open_database(config) else {
        return EX_TEMPFAIL;
    };
    let result = database
        .connect()
        .map_err(|err| err.to_string())
        .and_then(|mut conn| {
            intake::record(&mut conn, &input.bytes, prepared, &config.intake)
                .map_err(|err| err.to_string())
        });
    match result {
        Ok(report) => match serde_json::to_string(&report) {
            Ok(line) => {
                println!("{line}");
                EX_OK
            }
            Err(err) => {
                eprintln!("oped: {err}");
                EX_SOFTWARE
            }
        },
        Err(err) => {
            eprintln!("oped: the message was not stored, deliver it again later: {err}");
            EX_TEMPFAIL
        }
    }
}

/// `oped user add`: how the first admin comes to exist.
fn user_add(config: &Config, email: &str, name: &str, role: &str) -> u8 {
    let mut password = String::new();
    if let Err(err) = std::io::stdin().lock().read_line(&mut password) {
        eprintln!("oped: cannot read the password from standard input: {err}");
        return EX_USAGE;
    }
    // Only the line break goes: spaces may be part of the password.
    let password = password
        .strip_suffix('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .unwrap_or(&password)
        .to_string();
    let account = match NewAccount::new(email, name, role, password) {
        Ok(account) => account,
        Err(AuthError::InvalidField { field, reason }) => {
            let source = if field == "password" {
                "the password on standard input"
            } else {
                field
            };
            eprintln!("oped: {source}: {reason}");
            return EX_USAGE;
        }
        Err(err) => {
            eprintln!("oped: {err}");
            return EX_SOFTWARE;
        }
    };
    let Some(database) = open_database(config) else {
        return EX_TEMPFAIL;
    };
    let mut conn = match database.connect() {
        Ok(conn) => conn,
        Err(err) => {
            eprintln!("oped: the user was not added: {err}");
            return EX_TEMPFAIL;
        }
    };
    match accounts::create_user(&mut conn, &account) {
        Ok(user) => {
            let line = serde_json::json!({ "id": user.id, "email": user.email, "role": user.role });
            println!("{line}");
            EX_OK
        }
        Err(AuthError::EmailTaken) => {
            eprintln!("oped: {email} already has an account");
            EX_DATAERR
        }
        Err(err) => {
            eprintln!("oped: the user was not added: {err}");
            EX_TEMPFAIL
        }
    }
}

/// `oped imap check`: 0 when the mailbox can be polled, 75 when the server
/// cannot be reached (try again later), 78 for anything the operator must
/// fix (credentials, folders, no `OPED_IMAP_URL`).
fn imap_check(config: &Config) -> u8 {
    let Some(imap) = &config.imap else {
        eprintln!("oped: OPED_IMAP_URL is not set: no mailbox to check");
        return EX_CONFIG;
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("oped: {err}");
            return EX_SOFTWARE;
        }
    };
    match runtime.block_on(crate::imap::check::check(imap)) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            EX_OK
        }
        Err(err) => {
            eprintln!("oped: {}: {err}", imap.describe());
            match err.kind {
                crate::imap::ErrorKind::Unreachable => EX_TEMPFAIL,
                _ => EX_CONFIG,
            }
        }
    }
}

/// `oped wordpress check`: 0 when posts can be made, 75 when WordPress
/// cannot be reached (try again later), 78 for anything the operator must
/// fix (the password, the user's role, no `OPED_WORDPRESS_URL`). The
/// password is never printed.
fn wordpress_check(config: &Config) -> u8 {
    let Some(wordpress) = &config.wordpress else {
        eprintln!("oped: OPED_WORDPRESS_URL is not set: no WordPress to check");
        return EX_CONFIG;
    };
    match crate::wordpress::check::check(wordpress) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            EX_OK
        }
        Err(err) => {
            eprintln!("oped: {}: {err}", wordpress.describe());
            match err {
                crate::wordpress::check::CheckError::Unreachable(_) => EX_TEMPFAIL,
                crate::wordpress::check::CheckError::Fix(_) => EX_CONFIG,
            }
        }
    }
}

struct Input {
    /// The whole message, or its head when it is over the limit.
    bytes: Vec<u8>,
    size: usize,
}

/// Reads at most `limit + 1` bytes into memory; the rest of an oversized
/// message is counted and dropped, so the MTA's pipe is always drained.
fn read_message(file: Option<PathBuf>, limit: usize) -> Result<Input, (u8, String)> {
    let mut source: Box<dyn Read> = match &file {
        Some(path) => Box::new(
            std::fs::File::open(path)
                .map_err(|err| (EX_NOINPUT, format!("cannot open {}: {err}", path.display())))?,
        ),
        None => Box::new(std::io::stdin().lock()),
    };
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    let read_error = |err: std::io::Error| (EX_TEMPFAIL, format!("cannot read the message: {err}"));
    (&mut source)
        .take(cap)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    let mut size = bytes.len();
    if size > limit {
        let rest = std::io::copy(&mut source, &mut std::io::sink()).map_err(read_error)?;
        size = size.saturating_add(usize::try_from(rest).unwrap_or(usize::MAX));
        bytes.truncate(OVERSIZED_HEAD_BYTES);
    }
    Ok(Input { bytes, size })
}

/// `oped worker`: the workers until stopped or, with `--exit-when-idle`,
/// until nothing is due.
fn worker(config: &Config, exit_when_idle: bool) -> u8 {
    let Some(database) = open_database(config) else {
        return EX_TEMPFAIL;
    };
    let stop = Stop::new();
    let run_until = if exit_when_idle {
        RunUntil::Idle
    } else {
        RunUntil::Stopped
    };
    let workers = match Outlets::from_config(config)
        .and_then(|outlets| Workers::new(config, &database.url, outlets, stop.clone(), run_until))
    {
        Ok(workers) => workers,
        Err(err) => {
            eprintln!("oped: {err}");
            return EX_CONFIG;
        }
    };
    if let Err(err) = stop_on_signal(stop) {
        eprintln!("oped: cannot listen for signals: {err}");
        return EX_SOFTWARE;
    }
    let handles = match run_until {
        RunUntil::Idle => workers.spawn_until_idle(),
        RunUntil::Stopped => workers.spawn(),
    };
    let code = join(handles);
    tracing::info!("workers stopped");
    // `database` drops here, stopping a private cluster this process started.
    code
}

/// Waits for every worker thread; `EX_SOFTWARE` if one could not start or panicked.
fn join(handles: std::io::Result<Vec<std::thread::JoinHandle<()>>>) -> u8 {
    match handles {
        Ok(handles) => {
            let panicked = handles
                .into_iter()
                .map(std::thread::JoinHandle::join)
                .filter(Result::is_err)
                .count();
            if panicked > 0 {
                tracing::error!(panicked, "a worker panicked");
                return EX_SOFTWARE;
            }
            EX_OK
        }
        Err(err) => {
            eprintln!("oped: cannot start a worker thread: {err}");
            EX_SOFTWARE
        }
    }
}

/// Stops `stop` at the first SIGTERM or SIGINT, so the workers finish the
/// work in hand instead of dying mid-send.
fn stop_on_signal(stop: Stop) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut terminate = runtime.block_on(async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    })?;
    std::thread::Builder::new()
        .name("oped-signals".into())
        .spawn(move || {
            runtime.block_on(async {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            });
            tracing::info!("stopping: finishing the work in hand");
            stop.stop();
        })?;
    Ok(())
}

/// `oped serve`, built by `startup`; here only the exit code.
fn serve(config: &Config, no_workers: bool) -> u8 {
    match startup::serve(config, no_workers) {
        Ok(()) => EX_OK,
        Err(err) => {
            eprintln!("oped: {err}");
            match err {
                StartupError::Database(_) | StartupError::Serve { .. } => EX_TEMPFAIL,
                StartupError::Threads(_) | StartupError::Signals(_) => EX_SOFTWARE,
                StartupError::Tokens(_)
                | StartupError::SecretFile(_)
                | StartupError::Templates(_)
                | StartupError::Mailer(_)
                | StartupError::Webhooks(_)
                | StartupError::Wordpress(_) => EX_CONFIG,
            }
        }
    }
}
