//! Parse mode: the server's CPU work before its database transaction, timed
//! over the whole list, after a check that every mail takes its kind's path.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::bail;
use oped::config::{Config, IntakeConfig};
use oped::intake::draft::build_draft;
use oped::intake::{self, Analysis};
use rand::distr::{Alphanumeric, SampleString as _};

use crate::cpu::{clock_ticks_per_second, load_average, process_tree_ticks};
use crate::mix::{Kind, Mail, ParseVerdict};
use crate::words::FORBIDDEN_AFTER_SANITISING;
use crate::{AUTHSERV_ID, DESK_FROM, Options};

/// The desk's settings, as environment variables: `oped serve` gets them as
/// its environment, and the parse step reads them through the same
/// `Config::from_lookup`, so both modes run one configuration. `--server-env`
/// comes last and wins.
pub struct Settings(pub Vec<(String, String)>);

impl Settings {
    pub fn new(extra: &[(String, String)]) -> Self {
        // Secrets for this run only: they need not be strong, just accepted by
        // the configuration check (long, varied).
        let mut rng = rand::rng();
        let mut settings = vec![
            (
                "OPED_INBOUND_TOKEN".to_string(),
                Alphanumeric.sample_string(&mut rng, 40),
            ),
            (
                "OPED_JWT_SECRET".to_string(),
                Alphanumeric.sample_string(&mut rng, 48),
            ),
            (
                "OPED_TRUSTED_AUTHSERV_ID".to_string(),
                AUTHSERV_ID.to_string(),
            ),
            ("OPED_FROM".to_string(), DESK_FROM.to_string()),
        ];
        settings.extend(extra.iter().cloned());
        Settings(settings)
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .rev()
            .find(|(setting, _)| setting == name)
            .map(|(_, value)| value.clone())
    }

    fn intake_config(&self) -> anyhow::Result<IntakeConfig> {
        Ok(Config::from_lookup(|name| self.get(name))?.intake)
    }
}

/// The server's CPU work before its transaction (src/intake/store.rs):
/// analyse, then build the draft for mail that can become a submission or a
/// revision. One difference: the server answers a redelivery from the
/// database before building a draft, this builds it (1% of the mix).
pub fn parse_step(raw: &[u8], config: &IntakeConfig) -> ParseVerdict {
    match intake::analyse(raw, config) {
        Analysis::Quarantine(_) => ParseVerdict::Quarantined,
        Analysis::Mail(analysis) if analysis.automatic.is_some() => ParseVerdict::Automatic,
        Analysis::Mail(analysis) if analysis.has_marker || analysis.may_be_reply() => {
            let draft = build_draft(
                &analysis.mail,
                &config.limits,
                config.trusted_authserv_id.as_deref(),
            );
            let from_document = draft.article_from_document;
            std::hint::black_box(draft);
            ParseVerdict::Draft { from_document }
        }
        Analysis::Mail(_) => ParseVerdict::NoDraft,
    }
}

/// Checks, once and untimed, that every mail takes the path its kind claims,
/// that hostile HTML is sanitised and that Arabic is decoded: a benchmark over
/// mail that is quarantined or misread would measure the wrong thing.
/// Returns how many mails the parse step gave each verdict.
fn verify_mix(
    mails: &[Mail],
    config: &IntakeConfig,
) -> anyhow::Result<BTreeMap<&'static str, usize>> {
    let mut problems = Vec::new();
    let mut verdicts = BTreeMap::new();
    for (index, mail) in mails.iter().enumerate() {
        let verdict = parse_step(&mail.raw, config);
        *verdicts.entry(verdict.label()).or_default() += 1;
        if verdict != mail.parse_verdict {
            problems.push(format!(
                "mail {index} ({}): parse step gave {verdict:?}, expected {:?}",
                mail.kind.label(),
                mail.parse_verdict
            ));
            continue;
        }
        let Analysis::Mail(analysis) = intake::analyse(&mail.raw, config) else {
            continue;
        };
        if !matches!(verdict, ParseVerdict::Draft { .. }) {
            continue;
        }
        let draft = build_draft(
            &analysis.mail,
            &config.limits,
            config.trusted_authserv_id.as_deref(),
        );
        match mail.kind {
            Kind::HtmlOped => {
                let html = draft.body_html.to_ascii_lowercase();
                for forbidden in FORBIDDEN_AFTER_SANITISING {
                    if html.contains(forbidden) {
                        problems.push(format!("mail {index}: {forbidden:?} survived sanitising"));
                    }
                }
            }
            Kind::ArabicWindows1256 | Kind::ArabicUtf8 => {
                let arabic =
                    |text: &str| text.chars().any(|c| ('\u{600}'..='\u{6ff}').contains(&c));
                if !arabic(&draft.body_text) || !arabic(&draft.title) {
                    problems.push(format!(
                        "mail {index} ({}): Arabic text not decoded (title {:?})",
                        mail.kind.label(),
                        draft.title
                    ));
                }
            }
            _ => {}
        }
        if draft.body_text.len() < 100 && mail.kind.is_oped() {
            problems.push(format!(
                "mail {index} ({}): only {} bytes of article text",
                mail.kind.label(),
                draft.body_text.len()
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "{} generated mails are not read as intended, e.g.:\n  {}",
            problems.len(),
            problems
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
    Ok(verdicts)
}

/// Parse-mode figures, reused by the end-to-end report to split server time.
pub struct ParseFigures {
    /// Median single-thread time of the parse step per mail.
    pub median_per_mail: Duration,
}

pub fn parse_benchmark(
    options: &Options,
    settings: &Settings,
    mails: &[Mail],
) -> anyhow::Result<ParseFigures> {
    let mut config = settings.intake_config()?;
    // Documents are read as the server reads them: by the extractor the
    // server would start, in a child process (this bench binary is none).
    let server = std::fs::canonicalize(&options.server)?;
    let companion = server.with_file_name("oped-extract");
    let extractor = if companion.is_file() {
        companion
    } else {
        server
    };
    config.limits.extraction.runner = oped::intake::documents::Runner::Child(Some(extractor));
    let total_bytes: usize = mails.iter().map(|mail| mail.raw.len()).sum();
    println!(
        "\n== parse step: analyse + build_draft, {} mails, {} timed passes",
        mails.len(),
        options.passes
    );
    println!("  load average before: {}", load_average());
    let verdicts = verify_mix(mails, &config)?;
    println!("  every mail takes the path its kind claims (checked untimed)");
    println!(
        "  parse-step outcomes: {}",
        verdicts
            .iter()
            .map(|(verdict, count)| format!("{verdict} {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Warm-up: lazy regexes, allocator arenas, page faults of the input.
    for mail in mails {
        std::hint::black_box(parse_step(&mail.raw, &config));
    }

    let single = timed_passes(options.passes, 1, || {
        for mail in mails {
            std::hint::black_box(parse_step(&mail.raw, &config));
        }
    });
    report_passes("1 thread", &single, mails.len(), total_bytes);

    let chunk = mails.len().div_ceil(options.threads);
    let parallel = timed_passes(options.passes, options.threads, || {
        std::thread::scope(|scope| {
            for part in mails.chunks(chunk) {
                let config = &config;
                scope.spawn(move || {
                    for mail in part {
                        std::hint::black_box(parse_step(&mail.raw, config));
                    }
                });
            }
        });
    });
    let threads_label = match options.threads {
        1 => "1 thread".to_string(),
        n => format!("{n} threads"),
    };
    report_passes(&threads_label, &parallel, mails.len(), total_bytes);
    let scaling = median(&single.times).as_secs_f64() / median(&parallel.times).as_secs_f64();
    println!(
        "  scaling: {} threads are {scaling:.2}x one thread ({:.0}% of linear)",
        options.threads,
        100.0 * scaling / options.threads as f64
    );

    // Where the parse time goes, by kind: one more single-thread pass, each mail timed.
    let mut by_kind: BTreeMap<Kind, (usize, Duration)> = BTreeMap::new();
    for mail in mails {
        let started = Instant::now();
        std::hint::black_box(parse_step(&mail.raw, &config));
        let entry = by_kind.entry(mail.kind).or_default();
        entry.0 += 1;
        entry.1 += started.elapsed();
    }
    let all: Duration = by_kind.values().map(|(_, time)| *time).sum();
    println!("  time by kind (1 thread):");
    for (kind, (count, time)) in &by_kind {
        println!(
            "    {:<22} {:>8.1} µs/mail {:>6.1}% of the time",
            kind.label(),
            time.as_secs_f64() * 1e6 / *count as f64,
            100.0 * time.as_secs_f64() / all.as_secs_f64()
        );
    }
    Ok(ParseFigures {
        median_per_mail: median(&single.times) / mails.len() as u32,
    })
}

/// Wall times of repeated passes, and how much CPU the process got meanwhile.
struct Passes {
    times: Vec<Duration>,
    threads: usize,
    /// CPU time of the process over wall time, per thread: near 100% when
    /// each thread had a core to itself, lower when other work took turns.
    cpu_per_thread: f64,
}

fn timed_passes(passes: usize, threads: usize, mut pass: impl FnMut()) -> Passes {
    let ticks_before = process_tree_ticks(std::process::id());
    let started = Instant::now();
    let times = (0..passes)
        .map(|_| {
            let pass_started = Instant::now();
            pass();
            pass_started.elapsed()
        })
        .collect();
    let cpu =
        (process_tree_ticks(std::process::id()) - ticks_before) as f64 / clock_ticks_per_second();
    Passes {
        times,
        threads,
        cpu_per_thread: cpu / started.elapsed().as_secs_f64() / threads as f64,
    }
}

fn report_passes(label: &str, passes: &Passes, mails: usize, bytes: usize) {
    let best = passes.times.iter().min().copied().unwrap_or_default();
    let median = median(&passes.times);
    let rate = |time: Duration| mails as f64 / time.as_secs_f64();
    let mb_rate = |time: Duration| bytes as f64 / 1e6 / time.as_secs_f64();
    let per_core = |time: Duration| rate(time) / passes.threads as f64;
    println!(
        "  {label:<10} best {:>6.0} mails/s {:>5.1} MB/s | median {:>6.0} mails/s {:>5.1} MB/s | \
         per core: best {:>5.0}, median {:>5.0} mails/s",
        rate(best),
        mb_rate(best),
        rate(median),
        mb_rate(median),
        per_core(best),
        per_core(median),
    );
    // When other work shares the cores, wall-clock rates understate the
    // code; mails per CPU-second of this process do not (cache effects aside).
    println!(
        "  {:<10} cpu {:.0}% per thread: {:.0} mails per CPU-second",
        "",
        100.0 * passes.cpu_per_thread,
        per_core(median) / passes.cpu_per_thread.max(0.01),
    );
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}
