//! Intake throughput: mails per second through the parse step alone, and
//! stored end to end through `POST /api/v1/inbound/messages` into PostgreSQL.
//!
//! Run it through `bench/intake`, which builds in release mode and prints the
//! machine first; the figures and how to read them are in BENCHMARKS.md.
//!
//! The same seeded list of mails feeds both modes. The end-to-end mode starts
//! `oped serve` itself on a free 127.0.0.1 port, over a database of its own
//! (`oped_bench_<pid>`) that it drops when it is done, and sends nothing
//! anywhere else: it refuses a PostgreSQL server that is not on loopback.
//!
//! The files: `mix` (the kinds of mail and their shares), `generate` (the
//! seeded generator, `rand` for the draws and `mail-builder` for the MIME),
//! `docx` (the attached documents), `text` and `words` (what the text is
//! made of), `parse_mode`, `end_to_end` with `report`, `cpu` and `waits`
//! (where the time went); `mail` is shared with the integration tests.

mod cpu;
mod docx;
mod end_to_end;
mod generate;
/// The builders the integration tests use too: one shape of mail for both.
#[path = "../../tests/it/common/mail.rs"]
mod mail;
mod mix;
mod parse_mode;
mod report;
mod text;
mod waits;
mod words;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::ensure;
use clap::{Parser, ValueEnum};

use crate::generate::Generator;
use crate::parse_mode::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "intake_bench",
    about = "Intake throughput: the parse step alone, and end to end over HTTP into PostgreSQL"
)]
struct Options {
    /// What to run: both modes, one of them, or only write the mails out.
    #[arg(long, value_enum, default_value_t = Mode::All)]
    mode: Mode,
    /// How many mails to generate (one list, used by both modes).
    #[arg(long, default_value_t = 10_000)]
    mails: usize,
    /// Generator seed: the same seed gives the same mails, byte for byte.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Timed passes over all mails in parse mode, after one untimed warm-up pass.
    #[arg(long, default_value_t = 5)]
    passes: usize,
    /// Threads of the multi-threaded parse run.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Concurrent HTTP clients in end-to-end mode.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// The `oped` binary to start.
    #[arg(long, default_value = "target/release/oped")]
    server: PathBuf,
    /// The PostgreSQL server; it must be on loopback. Its database name is
    /// replaced, its parameters (such as `?sslmode=disable`) are kept.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    /// Extra environment for `oped serve`, as NAME=VALUE (repeatable): to try
    /// a setting. The server otherwise gets a clean environment.
    #[arg(long = "server-env", value_name = "NAME=VALUE", value_parser = parse_env_pair)]
    server_env: Vec<(String, String)>,
    /// Stop sending (and fail) when the end-to-end run takes longer than this.
    #[arg(long, default_value_t = 180)]
    time_limit_secs: u64,
    /// With `--mode generate`: the directory to write the mails to, as .eml files.
    #[arg(long, default_value = "target/intake-bench-mails")]
    out: PathBuf,
}

fn parse_env_pair(pair: &str) -> Result<(String, String), String> {
    match pair.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("{pair:?} is not NAME=VALUE")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    All,
    Parse,
    E2e,
    Generate,
}

/// The desk's own address (`OPED_FROM`; its domain is the desk's own domain).
const DESK_FROM: &str = "Op-Ed Desk <oped@desk.example>";
const DESK_ADDRESS: &str = "oped@desk.example";
/// Our receiving server: its `Authentication-Results` headers are trusted.
const AUTHSERV_ID: &str = "mx.desk.example";

fn main() -> ExitCode {
    let options = Options::parse();
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nintake_bench: FAILED: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> anyhow::Result<()> {
    ensure!(options.mails > 0, "--mails must be at least 1");
    ensure!(options.passes > 0, "--passes must be at least 1");
    ensure!(options.threads > 0, "--threads must be at least 1");
    ensure!(options.concurrency > 0, "--concurrency must be at least 1");

    let started = Instant::now();
    let mails = Generator::new(options.seed).generate(options.mails);
    println!(
        "generated {} mails (seed {}) in {:.2} s",
        mails.len(),
        options.seed,
        started.elapsed().as_secs_f64()
    );
    mix::print_mix(&mails);

    let settings = Settings::new(&options.server_env);
    match options.mode {
        Mode::Generate => mix::write_mails(&options.out, &mails),
        Mode::Parse => parse_mode::parse_benchmark(options, &settings, &mails).map(|_| ()),
        Mode::E2e => end_to_end::end_to_end(options, &settings, &mails, None),
        Mode::All => {
            let parse = parse_mode::parse_benchmark(options, &settings, &mails)?;
            end_to_end::end_to_end(options, &settings, &mails, Some(parse))
        }
    }
}
