//! Configuration, read once at start from the environment (and a `.env` file)
//! and checked as a whole, so an operator sees every bad value in one go.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::calendar::{ResponseWindow, WorkingDays};
use crate::secret::Secret;

mod wordpress;
pub use wordpress::{PostStatus, Takedown, WordpressConfig};

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub intake: IntakeConfig,
    pub auth: AuthConfig,
    pub log_format: LogFormat,
    pub mail: MailConfig,
    pub publishing: PublishingConfig,
    /// `OPED_IMAP_URL` and friends: the hosted mailbox to poll, if any.
    pub imap: Option<ImapConfig>,
    /// `OPED_WORDPRESS_*`: the site's WordPress, when publishing posts there.
    pub wordpress: Option<WordpressConfig>,
}

/// Telling the site: where webhooks go and how they are signed.
#[derive(Debug, Clone)]
pub struct PublishingConfig {
    /// `OPED_PUBLISH_WEBHOOK_URL`: the site's endpoint for `opinion.*` events
    /// (http or https). Unset: events are written as JSON files under
    /// `<OPED_DATA_DIR>/webhooks/`. May hold a token, hence a secret.
    pub webhook_url: Option<Secret<url::Url>>,
    /// `OPED_WEBHOOK_SECRET`: the HMAC-SHA256 key of `Oped-Signature`, at
    /// least 32 characters; required with a webhook URL.
    pub webhook_secret: Option<Secret<String>>,
    /// `OPED_PUBLIC_URL` (default `http://<OPED_BIND>`): where the public
    /// API and the feed are reached from outside; the feed links to itself.
    pub public_url: String,
    /// `OPED_PUBLIC_URL` when it is set, and only then: the base of the
    /// author's status link (`<it>/a/<token>`). The default above is a
    /// listening address, rarely one an author could reach, so without the
    /// variable the acknowledgement carries no link.
    pub author_link_base: Option<String>,
}

/// Email to authors: how it leaves, from whom, and with what words.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `OPED_SMTP_URL`: `smtp://[user:password@]host[:port]` (plain, or
    /// `?tls=required` for STARTTLS), `smtps://…` (TLS from the start). May
    /// hold a password, hence a secret. Unset: messages are written as `.eml`
    /// files under `<OPED_DATA_DIR>/mail/` instead of being sent.
    pub smtp_url: Option<Secret<String>>,
    /// `OPED_FROM` (default `Op-Ed Desk <oped@localhost>`): the sender of
    /// every email; its domain is also `intake.own_domain`.
    pub from: lettre::message::Mailbox,
    /// `OPED_SITE_URL` (default `http://localhost:8080`): the public site,
    /// without a trailing slash; published pieces link to `<it>/opinion/<slug>`.
    pub site_url: String,
    /// `OPED_TEMPLATE_DIR`: a directory whose `<template>.txt` files replace
    /// the built-in ones, so an operator can change the wording without
    /// recompiling. Read at start.
    pub template_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `OPED_JWT_SECRET`: the HMAC-SHA256 key of access tokens, at least 32
    /// characters. Required by `serve`; other commands do not need it.
    pub jwt_secret: Option<Secret<String>>,
    /// `OPED_JWT_ISSUER` (default `oped`) and `OPED_JWT_AUDIENCE` (default
    /// `oped-editors`): written into and required of every access token.
    pub issuer: String,
    pub audience: String,
    /// `OPED_ACCESS_TOKEN_SECONDS` (default and maximum 900).
    pub access_token_ttl: Duration,
    /// `OPED_REFRESH_TOKEN_DAYS` (default 30).
    pub refresh_token_ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: the PostgreSQL server to use. Unset: a private cluster
    /// under `data_dir` (the embedded default).
    pub url: Option<Secret<String>>,
    /// `OPED_READ_DATABASE_URL`: a streaming replica of that server for the
    /// public reads (opinions, feed), passed over while down or behind.
    pub read_url: Option<Secret<String>>,
    /// `OPED_DATA_DIR` (default `./data`): the private cluster and outgoing mail files.
    pub data_dir: PathBuf,
    /// `OPED_DB_POOL_SIZE` (default twice the CPUs): database connections
    /// of `serve`'s API. Small on purpose: requests beyond it wait in a fair
    /// queue instead of crowding the CPUs; raise it when the database is far
    /// away (each query then spends longer waiting on the network).
    pub pool_size: u32,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `OPED_BIND` (default `127.0.0.1:8080`): where `oped serve` listens.
    pub bind: SocketAddr,
    /// `OPED_CORS_ORIGINS`: comma-separated origins (`https://news.example`)
    /// whose pages may call the API from a browser: the editors' front end,
    /// the site. Empty: no cross-origin access.
    pub cors_origins: Vec<String>,
    /// `OPED_TRUSTED_PROXIES`: comma-separated addresses or networks
    /// (`10.0.0.5`, `10.1.0.0/16`) of the reverse proxies in front of the
    /// service. Only a request from one of them has its `X-Forwarded-For`
    /// read, for the client's address; anyone else could write that header.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Who may read `GET /metrics`: `OPED_METRICS_TOKEN` (a bearer secret)
    /// and `OPED_METRICS_ALLOW` (addresses or networks, judged by the TCP
    /// peer, never by `X-Forwarded-For`). Neither set: nobody.
    pub metrics_token: Option<Secret<String>>,
    pub metrics_allow: Vec<ipnet::IpNet>,
}

/// Bounds that keep a hostile message from hurting the server.
#[derive(Debug, Clone)]
pub struct IntakeLimits {
    /// `OPED_MAX_MESSAGE_BYTES`: larger messages are quarantined (CLI) or
    /// refused with 413 (HTTP).
    pub max_message_bytes: usize,
    /// No real submission has hundreds of parts; a message that does is built to hurt.
    pub max_mime_parts: usize,
    pub max_mime_depth: usize,
    /// HTML bodies above this are not sanitised; their text rendering is used.
    pub max_html_bytes: usize,
    /// How attachments are read: in a child process under OS limits, at
    /// most 3 per message, 15 s per message (see `intake::documents::budget`).
    pub extraction: ExtractionLimits,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        IntakeLimits {
            max_message_bytes: 25 * 1024 * 1024,
            max_mime_parts: 500,
            max_mime_depth: 16,
            max_html_bytes: 2 * 1024 * 1024,
            extraction: ExtractionLimits::default(),
        }
    }
}

/// Where documents are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// `<program> extract --kind K` in a child process under OS limits;
    /// `None` is `oped-extract` beside the running binary, or else the
    /// running image itself (`sandbox::program`). Integration tests name the
    /// `oped-extract` cargo built.
    Child(Option<PathBuf>),
    /// In this process, unisolated: a hostile document can take the process
    /// down with it. Only for unit tests and the fuzzer, which must stay
    /// pure functions of bytes; never the default.
    InProcess,
}

/// The limits on reading the documents of one message.
#[derive(Debug, Clone)]
pub struct ExtractionLimits {
    pub runner: Runner,
    /// Documents tried per message; the first that yields text is the article.
    pub max_documents: usize,
    /// Wall-clock time for all of a message's documents together.
    pub per_message: Duration,
    /// Wall-clock and CPU time of one document (cut to what is left of `per_message`).
    pub per_document: Duration,
    /// Address space of one child.
    pub memory_bytes: u64,
    /// `OPED_EXTRACT_USER` (default `nobody`): who the children run as when
    /// the server runs as root; a server of another user runs them as itself.
    pub user: Option<String>,
}

impl Default for ExtractionLimits {
    fn default() -> Self {
        ExtractionLimits {
            runner: Runner::Child(None),
            max_documents: 3,
            per_message: Duration::from_secs(15),
            per_document: Duration::from_secs(5),
            memory_bytes: 512 * 1024 * 1024,
            user: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// `OPED_INBOUND_TOKEN`: the bearer secret of `POST /api/v1/inbound/messages`.
    /// Unset: that endpoint refuses every request.
    pub inbound_token: Option<Secret<String>>,
    /// `OPED_TRUSTED_AUTHSERV_ID`: the authserv-id of our own receiving server;
    /// only the topmost `Authentication-Results` header counts, and only when
    /// it names this id (`intake::auth_results`).
    pub trusted_authserv_id: Option<String>,
    /// The domain of `OPED_FROM` (default `Op-Ed Desk <oped@localhost>`): our
    /// outgoing Message-IDs end in it, which is how our own mail is recognised
    /// when it comes back.
    pub own_domain: String,
    /// `OPED_MAX_MESSAGE_BYTES` (default 25 MiB) and the fixed parsing limits.
    pub limits: IntakeLimits,
    /// `OPED_ACK_LIMIT_PER_HOUR` (default 3): acknowledgements one sender can
    /// receive per hour, so a flood of mail cannot turn us into a spam cannon.
    pub ack_limit_per_hour: u32,
    /// `OPED_ACK_LIMIT_TOTAL_PER_HOUR` (default 100): acknowledgements all
    /// senders together can receive per hour, so a flood from many forged
    /// addresses cannot either.
    pub ack_limit_total_per_hour: u32,
    /// When the desk owes an answer: `OPED_RESPONSE_BUSINESS_DAYS` (default
    /// 5, from 1 to 60) working days (`OPED_BUSINESS_DAYS`, default
    /// `mon-fri`) on the desk's clock (`OPED_TIMEZONE`, an IANA name such as
    /// `America/New_York`, default `UTC`). Each piece's deadline is fixed
    /// when it arrives.
    pub window: ResponseWindow,
    /// `OPED_WORD_LIMIT` (default 1,200): longer pieces are flagged for
    /// editors and their acknowledgement says the desk prefers shorter ones.
    pub word_limit: u32,
    /// `OPED_DESK_LISTS`: the `List-Id`s (such as `oped.news.example`) of the
    /// desk's own Google Group or Mailman list, comma-separated. Mail they
    /// relay is read as sent directly (`intake::desk_list`).
    pub desk_lists: Vec<String>,
}

/// The longest response window accepted: twelve working weeks.
const MAX_RESPONSE_BUSINESS_DAYS: u32 = 60;

/// The response window's variables, every bad one reported.
fn read_response_window(
    var: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> ResponseWindow {
    let mut window = ResponseWindow::default();
    if let Some(value) = var("OPED_RESPONSE_BUSINESS_DAYS") {
        match value.trim().parse::<u32>() {
            Ok(days) if (1..=MAX_RESPONSE_BUSINESS_DAYS).contains(&days) => {
                window.business_days = days;
            }
            _ => problems.push(format!(
                "OPED_RESPONSE_BUSINESS_DAYS={value:?} must be a whole number of working days from 1 to {MAX_RESPONSE_BUSINESS_DAYS}"
            )),
        }
    }
    if let Some(value) = var("OPED_BUSINESS_DAYS") {
        match value.parse::<WorkingDays>() {
            Ok(days) => window.working_days = days,
            Err(err) => problems.push(format!("OPED_BUSINESS_DAYS: {err}")),
        }
    }
    if let Some(value) = var("OPED_TIMEZONE") {
        match value.trim().parse::<chrono_tz::Tz>() {
            Ok(timezone) => window.timezone = timezone,
            Err(_) => problems.push(format!(
                "OPED_TIMEZONE={:?} is not a time zone name such as \"Europe/London\" or \"UTC\"",
                value.chars().take(64).collect::<String>()
            )),
        }
    }
    window
}

/// The words a piece may have before editors see it flagged.
pub const DEFAULT_WORD_LIMIT: u32 = 1_200;

/// `OPED_DESK_LISTS`: List-Ids, with or without their angle brackets,
/// compared without case.
fn read_desk_lists(
    var: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let Some(value) = var("OPED_DESK_LISTS") else {
        return Vec::new();
    };
    let mut lists = Vec::new();
    for entry in value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        let id = entry
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_ascii_lowercase();
        let valid = id.contains('.')
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._+=".contains(c));
        if valid {
            lists.push(id);
        } else {
            problems.push(format!(
                "OPED_DESK_LISTS: {entry:?} is not a List-Id; give the list's id as its mail carries it in List-Id, such as oped.news.example"
            ));
        }
    }
    lists
}

fn read_word_limit(var: &impl Fn(&str) -> Option<String>, problems: &mut Vec<String>) -> u32 {
    match var("OPED_WORD_LIMIT") {
        None => DEFAULT_WORD_LIMIT,
        Some(value) => match value.trim().replace([',', '_'], "").parse::<u32>() {
            Ok(words) if (1..=1_000_000).contains(&words) => words,
            _ => {
                problems.push(format!(
                    "OPED_WORD_LIMIT={value:?} must be a whole number of words from 1 to 1000000"
                ));
                DEFAULT_WORD_LIMIT
            }
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// More connections than this per process only queue inside PostgreSQL.
const MAX_POOL_SIZE: u32 = 200;

/// The shortest inbound token accepted: anything shorter can be guessed.
const MIN_TOKEN_LEN: usize = 16;

impl Config {
    /// Reads the process environment, after loading `.env` when present.
    pub fn from_env() -> Result<Config, ConfigError> {
        // A missing .env is the normal case in production.
        let _ = dotenvy::dotenv();
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let mut problems = Vec::new();

        let bind = match var("OPED_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(value) => value.parse().unwrap_or_else(|_| {
                problems.push(format!(
                    "OPED_BIND={value:?} is not an address:port such as 127.0.0.1:8080"
                ));
                SocketAddr::from(([127, 0, 0, 1], 8080))
            }),
        };

        let mut limits = IntakeLimits::default();
        if let Some(value) = var("OPED_MAX_MESSAGE_BYTES") {
            match value.parse::<usize>() {
                Ok(bytes) if bytes >= 1024 => limits.max_message_bytes = bytes,
                _ => problems.push(format!(
                    "OPED_MAX_MESSAGE_BYTES={value:?} must be a whole number of bytes, at least 1024"
                )),
            }
        }

        read_extraction(&var, &mut limits.extraction, &mut problems);

        let inbound_token = var("OPED_INBOUND_TOKEN");
        if let Some(token) = &inbound_token
            && token.len() < MIN_TOKEN_LEN
        {
            // The value itself is a secret: name the variable, never echo it.
            problems.push(format!(
                "OPED_INBOUND_TOKEN is too short: use at least {MIN_TOKEN_LEN} random characters"
            ));
        }

        let from = var("OPED_FROM").unwrap_or_else(|| "Op-Ed Desk <oped@localhost>".into());
        let own_domain = match domain_of_address(&from) {
            Some(domain) => domain,
            None => {
                problems.push(format!(
                    "OPED_FROM={from:?} has no address such as \"Op-Ed Desk <oped@example.net>\""
                ));
                "localhost".into()
            }
        };

        let mut whole_number = |name: &str, default: u32| match var(name) {
            None => default,
            Some(value) => value.trim().parse::<u32>().unwrap_or_else(|_| {
                problems.push(format!(
                    "{name}={value:?} must be a whole number (0 sends none)"
                ));
                default
            }),
        };
        let ack_limit_per_hour = whole_number("OPED_ACK_LIMIT_PER_HOUR", 3);
        let ack_limit_total_per_hour = whole_number("OPED_ACK_LIMIT_TOTAL_PER_HOUR", 100);
        let jwt_secret = var("OPED_JWT_SECRET");
        if let Some(secret) = &jwt_secret
            && let Err(weakness) = check_secret_strength(secret)
        {
            problems.push(format!("OPED_JWT_SECRET is too weak: {weakness}"));
        }
        let access_seconds = match var("OPED_ACCESS_TOKEN_SECONDS") {
            None => MAX_ACCESS_TOKEN_SECONDS,
            Some(value) => match value.parse::<u64>() {
                Ok(seconds) if (30..=MAX_ACCESS_TOKEN_SECONDS).contains(&seconds) => seconds,
                _ => {
                    problems.push(format!(
                        "OPED_ACCESS_TOKEN_SECONDS={value:?} must be between 30 and {MAX_ACCESS_TOKEN_SECONDS}"
                    ));
                    MAX_ACCESS_TOKEN_SECONDS
                }
            },
        };
        let refresh_days = match var("OPED_REFRESH_TOKEN_DAYS") {
            None => 30,
            Some(value) => match value.parse::<u64>() {
                Ok(days) if (1..=365).contains(&days) => days,
                _ => {
                    problems.push(format!(
                        "OPED_REFRESH_TOKEN_DAYS={value:?} must be between 1 and 365"
                    ));
                    30
                }
            },
        };

        let log_format = match var("OPED_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                problems.push(format!(
                    "OPED_LOG_FORMAT={other:?} must be \"text\" or \"json\""
                ));
                LogFormat::Text
            }
        };

        let default_pool = std::thread::available_parallelism()
            .map_or(4, |cpus| u32::try_from(cpus.get() * 2).unwrap_or(u32::MAX))
            .clamp(2, MAX_POOL_SIZE);
        let pool_size = match var("OPED_DB_POOL_SIZE") {
            None => default_pool,
            Some(value) => match value.trim().parse::<u32>() {
                Ok(size) if (2..=MAX_POOL_SIZE).contains(&size) => size,
                _ => {
                    problems.push(format!(
                        "OPED_DB_POOL_SIZE={value:?} must be a whole number from 2 to {MAX_POOL_SIZE}"
                    ));
                    default_pool
                }
            },
        };
        let mail = read_mail_config(&var, &from, &mut problems);
        let cors_origins = read_cors_origins(var("OPED_CORS_ORIGINS"), &mut problems);
        let trusted_proxies = read_trusted_proxies(var("OPED_TRUSTED_PROXIES"), &mut problems);
        let metrics_allow = read_networks(
            "OPED_METRICS_ALLOW",
            var("OPED_METRICS_ALLOW"),
            &mut problems,
        );
        let metrics_token = var("OPED_METRICS_TOKEN");
        if let Some(token) = &metrics_token
            && let Err(weakness) = check_secret_strength(token)
        {
            problems.push(format!("OPED_METRICS_TOKEN is too weak: {weakness}"));
        }
        let publishing = read_publishing_config(&var, bind, &mut problems);
        let window = read_response_window(&var, &mut problems);
        let word_limit = read_word_limit(&var, &mut problems);
        let desk_lists = read_desk_lists(&var, &mut problems);
        let imap = read_imap_config(&var, &mut problems);
        let wordpress = wordpress::read(&var, &mut problems);

        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Config {
            database: DatabaseConfig {
                url: var("DATABASE_URL").map(Secret::new),
                read_url: var("OPED_READ_DATABASE_URL").map(Secret::new),
                data_dir: var("OPED_DATA_DIR")
                    .map_or_else(|| PathBuf::from("./data"), PathBuf::from),
                pool_size,
            },
            http: HttpConfig {
                bind,
                cors_origins,
                trusted_proxies,
                metrics_token: metrics_token.map(Secret::new),
                metrics_allow,
            },
            intake: IntakeConfig {
                inbound_token: inbound_token.map(Secret::new),
                trusted_authserv_id: var("OPED_TRUSTED_AUTHSERV_ID")
                    .map(|id| id.trim().to_string()),
                own_domain,
                limits,
                ack_limit_per_hour,
                ack_limit_total_per_hour,
                window,
                word_limit,
                desk_lists,
            },
            auth: AuthConfig {
                jwt_secret: jwt_secret.map(Secret::new),
                issuer: var("OPED_JWT_ISSUER").unwrap_or_else(|| "oped".into()),
                audience: var("OPED_JWT_AUDIENCE").unwrap_or_else(|| "oped-editors".into()),
                access_token_ttl: Duration::from_secs(access_seconds),
                refresh_token_ttl: Duration::from_secs(refresh_days * 24 * 3600),
            },
            log_format,
            mail,
            publishing,
            imap,
            wordpress,
        })
    }
}

/// `OPED_EXTRACTOR`: the program that reads documents (default
/// `oped-extract` beside `oped`, else `oped` itself); `OPED_EXTRACT_USER`:
/// who it runs as under a root server, checked here so that a typo stops the
/// start rather than every document.
fn read_extraction(
    var: &impl Fn(&str) -> Option<String>,
    extraction: &mut ExtractionLimits,
    problems: &mut Vec<String>,
) {
    if let Some(program) = var("OPED_EXTRACTOR") {
        extraction.runner = Runner::Child(Some(PathBuf::from(program.trim())));
    }
    if let Some(name) = var("OPED_EXTRACT_USER") {
        let name = name.trim().to_string();
        match nix::unistd::User::from_name(&name) {
            Ok(Some(user)) if !user.uid.is_root() && user.gid.as_raw() != 0 => {
                extraction.user = Some(name)
            }
            Ok(Some(_)) => problems.push(format!(
                "OPED_EXTRACT_USER={name:?} is root or in root's group: name an unprivileged user"
            )),
            Ok(None) => problems.push(format!("OPED_EXTRACT_USER={name:?}: there is no such user")),
            Err(err) => problems.push(format!(
                "OPED_EXTRACT_USER={name:?} could not be looked up: {err}"
            )),
        }
    }
}

/// `OPED_TRUSTED_PROXIES`: addresses (a host) or networks in CIDR notation.
fn read_trusted_proxies(value: Option<String>, problems: &mut Vec<String>) -> Vec<ipnet::IpNet> {
    read_networks("OPED_TRUSTED_PROXIES", value, problems)
}

/// Comma-separated addresses or networks (`10.0.0.5`, `10.1.0.0/16`).
fn read_networks(
    name: &str,
    value: Option<String>,
    problems: &mut Vec<String>,
) -> Vec<ipnet::IpNet> {
    let mut proxies = Vec::new();
    for entry in value.iter().flat_map(|value| value.split(',')) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        match entry.parse::<ipnet::IpNet>() {
            Ok(net) => proxies.push(net),
            Err(_) => match entry.parse::<std::net::IpAddr>() {
                Ok(host) => proxies.push(ipnet::IpNet::from(host)),
                Err(_) => problems.push(format!(
                    "{name}: {entry:?} is neither an address nor a network such as 10.1.0.0/16"
                )),
            },
        }
    }
    proxies
}

/// `OPED_CORS_ORIGINS`: each an origin as browsers send it, scheme and host
/// (and port), nothing else.
fn read_cors_origins(value: Option<String>, problems: &mut Vec<String>) -> Vec<String> {
    let mut origins = Vec::new();
    for origin in value.iter().flat_map(|value| value.split(',')) {
        let origin = origin.trim().trim_end_matches('/');
        if origin.is_empty() {
            continue;
        }
        match url::Url::parse(origin) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.has_host()
                    && url.origin().ascii_serialization() == origin =>
            {
                origins.push(origin.to_string());
            }
            _ => problems.push(format!(
                "OPED_CORS_ORIGINS: {origin:?} is not an origin such as https://news.example"
            )),
        }
    }
    origins
}

/// The `PublishingConfig` variables. The webhook URL and secret are never
/// echoed: a URL may carry a token.
fn read_publishing_config(
    var: &impl Fn(&str) -> Option<String>,
    bind: SocketAddr,
    problems: &mut Vec<String>,
) -> PublishingConfig {
    let webhook_url =
        var("OPED_PUBLISH_WEBHOOK_URL").and_then(|value| match url::Url::parse(value.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
            _ => {
                problems.push(
                    "OPED_PUBLISH_WEBHOOK_URL is not an http:// or https:// URL \
                     (its value is not shown: it may hold a token)"
                        .into(),
                );
                None
            }
        });
    let webhook_secret = var("OPED_WEBHOOK_SECRET");
    match (&webhook_url, &webhook_secret) {
        (_, Some(secret)) => {
            if let Err(weakness) = check_secret_strength(secret) {
                problems.push(format!("OPED_WEBHOOK_SECRET is too weak: {weakness}"));
            }
        }
        (Some(_), None) => problems.push(
            "OPED_PUBLISH_WEBHOOK_URL needs OPED_WEBHOOK_SECRET to sign what it sends \
             (at least 32 random characters)"
                .into(),
        ),
        (None, None) => {}
    }
    let public_url_set = var("OPED_PUBLIC_URL")
        .map(|value| value.trim().trim_end_matches('/').to_string())
        .filter(|value| !value.is_empty());
    let public_url = public_url_set
        .clone()
        .unwrap_or_else(|| format!("http://{bind}"));
    if !url::Url::parse(&public_url).is_ok_and(|url| matches!(url.scheme(), "http" | "https")) {
        problems.push(format!(
            "OPED_PUBLIC_URL={public_url:?} is not an http:// or https:// URL"
        ));
    }
    PublishingConfig {
        webhook_url: webhook_url.map(Secret::new),
        webhook_secret: webhook_secret.map(Secret::new),
        public_url,
        author_link_base: public_url_set,
    }
}

/// The `MailConfig` variables; problems are added to `problems`. The SMTP URL
/// is checked by shape only and never echoed: it may carry a password.
fn read_mail_config(
    var: &impl Fn(&str) -> Option<String>,
    from: &str,
    problems: &mut Vec<String>,
) -> MailConfig {
    let smtp_url = var("OPED_SMTP_URL");
    if let Some(value) = &smtp_url {
        let valid = url::Url::parse(value.trim()).is_ok_and(|url| {
            matches!(url.scheme(), "smtp" | "smtps")
                && url.host_str().is_some_and(|h| !h.is_empty())
        });
        if !valid {
            problems.push(
                "OPED_SMTP_URL is not an smtp://host[:port] or smtps://host[:port] URL \
                 (its value is not shown: it may hold a password)"
                    .into(),
            );
        }
    }
    let default_from: lettre::message::Mailbox = "Op-Ed Desk <oped@localhost>"
        .parse()
        .expect("the default sender is a valid mailbox");
    // An unparseable OPED_FROM is already reported (no domain) or reported here.
    let from = match from.trim().parse::<lettre::message::Mailbox>() {
        Ok(mailbox) => mailbox,
        Err(_) => {
            if domain_of_address(from).is_some() {
                problems.push(format!(
                    "OPED_FROM={from:?} is not a mailbox such as \"Op-Ed Desk <oped@example.net>\""
                ));
            }
            default_from
        }
    };
    let site_url = var("OPED_SITE_URL").map_or_else(
        || "http://localhost:8080".to_string(),
        |value| value.trim().trim_end_matches('/').to_string(),
    );
    if !url::Url::parse(&site_url).is_ok_and(|url| matches!(url.scheme(), "http" | "https")) {
        problems.push(format!(
            "OPED_SITE_URL={site_url:?} is not an http:// or https:// URL"
        ));
    }
    MailConfig {
        smtp_url: smtp_url.map(|url| Secret::new(url.trim().to_string())),
        from,
        site_url,
        template_dir: var("OPED_TEMPLATE_DIR").map(PathBuf::from),
    }
}

// ---------------------------------------------------------------------------
// IMAP: the hosted mailbox (`src/mailbox/`).

/// The mailbox `oped serve` and `oped worker` poll.
#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub tls: ImapTls,
    /// The login name, percent-decoded from the URL (`oped%40news.example`).
    pub username: String,
    pub auth: ImapAuth,
    /// The folder read, from the URL's path (default `INBOX`).
    pub folder: String,
    /// `OPED_IMAP_PROCESSED_FOLDER` (default `Processed`): where a message
    /// goes once it is recorded; created when missing.
    pub processed_folder: String,
    /// `OPED_IMAP_POLL_SECONDS` (default 60): how often a server without
    /// IDLE is asked for new mail.
    pub poll_interval: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapTls {
    /// `imaps://` (port 993): TLS from the first byte.
    Implicit,
    /// `imap://` (port 143): STARTTLS, required; a server that refuses it is an error.
    StartTls,
    /// `imap://…?tls=none`: plain text, for a server on the same machine or a test.
    None,
}

#[derive(Debug, Clone)]
pub enum ImapAuth {
    /// The password in the URL: the provider's app password.
    Password(Secret<String>),
    /// `OPED_IMAP_OAUTH2_TOKEN_FILE`: XOAUTH2 with the access token this file
    /// holds, read at every login so that whatever refreshes it (a cron job,
    /// a sidecar) never needs the service restarted.
    OAuth2TokenFile(PathBuf),
}

impl ImapConfig {
    /// What identifies the mailbox in the database and the logs: never the password.
    pub fn mailbox_key(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.username, self.host, self.port, self.folder
        )
    }

    /// The URL without its password, for logs and `oped imap check`.
    pub fn describe(&self) -> String {
        let scheme = match self.tls {
            ImapTls::Implicit => "imaps",
            ImapTls::StartTls | ImapTls::None => "imap",
        };
        let plain = if self.tls == ImapTls::None {
            "?tls=none"
        } else {
            ""
        };
        format!(
            "{scheme}://{}@{}:{}/{}{plain}",
            self.username.replace('@', "%40"),
            self.host,
            self.port,
            self.folder
        )
    }
}

/// Polls when the server has no IDLE; a minute is what Zammad and Discourse
/// use, and IDLE makes the common case immediate anyway.
const DEFAULT_IMAP_POLL_SECONDS: u64 = 60;

/// The `ImapConfig` variables. Neither the URL nor its password is ever
/// echoed in a problem: only what is wrong with it.
fn read_imap_config(
    var: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Option<ImapConfig> {
    let url = var("OPED_IMAP_URL")?;
    let token_file = var("OPED_IMAP_OAUTH2_TOKEN_FILE").map(PathBuf::from);
    let mut config = match parse_imap_url(url.trim(), token_file) {
        Ok(config) => config,
        Err(problem) => {
            problems.push(format!(
                "OPED_IMAP_URL {problem} (its value is not shown: it may hold a password)"
            ));
            return None;
        }
    };
    if let Some(folder) = var("OPED_IMAP_PROCESSED_FOLDER") {
        config.processed_folder = folder.trim().to_string();
    }
    if config.processed_folder == config.folder {
        problems.push(format!(
            "OPED_IMAP_PROCESSED_FOLDER={:?} must differ from the folder read",
            config.processed_folder
        ));
    }
    if let Some(value) = var("OPED_IMAP_POLL_SECONDS") {
        match value.trim().parse::<u64>() {
            Ok(seconds) if (5..=3600).contains(&seconds) => {
                config.poll_interval = Duration::from_secs(seconds);
            }
            _ => problems.push(format!(
                "OPED_IMAP_POLL_SECONDS={value:?} must be a whole number from 5 to 3600"
            )),
        }
    }
    Some(config)
}

/// `imaps://user:password@host[:port][/folder]`, or `imap://…` (STARTTLS;
/// `?tls=none` for plain text). The error says what is wrong without the value.
pub fn parse_imap_url(value: &str, token_file: Option<PathBuf>) -> Result<ImapConfig, String> {
    let url = url::Url::parse(value).map_err(|_| "is not a URL".to_string())?;
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| "is not UTF-8 once percent-decoded".to_string())
    };
    let (mut tls, default_port) = match url.scheme() {
        "imaps" => (ImapTls::Implicit, 993),
        "imap" => (ImapTls::StartTls, 143),
        _ => return Err("must start with imaps:// or imap://".into()),
    };
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), value.as_ref(), tls) {
            ("tls", "none", ImapTls::StartTls) => tls = ImapTls::None,
            ("tls", "required" | "starttls", ImapTls::StartTls) => {}
            _ => {
                return Err(format!(
                    "has an unknown option {key:?} (only tls=none, with imap://)"
                ));
            }
        }
    }
    let host = url
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or("has no host")?
        .to_string();
    let username = decode(url.username())?;
    if username.is_empty() {
        return Err("has no user name (imaps://user%40example.net:app-password@host/INBOX)".into());
    }
    let password = url.password().map(decode).transpose()?;
    let auth = match (password, token_file) {
        (Some(_), Some(_)) => {
            return Err(
                "has a password and OPED_IMAP_OAUTH2_TOKEN_FILE is set too: use one".into(),
            );
        }
        (Some(password), None) => ImapAuth::Password(Secret::new(password)),
        (None, Some(file)) => ImapAuth::OAuth2TokenFile(file),
        (None, None) => {
            return Err("has no password (or set OPED_IMAP_OAUTH2_TOKEN_FILE for XOAUTH2)".into());
        }
    };
    let folder = decode(url.path().trim_start_matches('/'))?;
    Ok(ImapConfig {
        port: url.port().unwrap_or(default_port),
        host,
        tls,
        username,
        auth,
        folder: if folder.is_empty() {
            "INBOX".into()
        } else {
            folder
        },
        processed_folder: "Processed".into(),
        poll_interval: Duration::from_secs(DEFAULT_IMAP_POLL_SECONDS),
    })
}

// ---------------------------------------------------------------------------

/// Access tokens live at most 15 minutes: a stolen one is worth little.
const MAX_ACCESS_TOKEN_SECONDS: u64 = 900;

/// A signing key must be long and not a trivial pattern ("aaaa…", "1234…").
fn check_secret_strength(secret: &str) -> Result<(), &'static str> {
    if secret.len() < 32 {
        return Err("use at least 32 random characters (e.g. `openssl rand -base64 48`)");
    }
    let distinct: std::collections::HashSet<char> = secret.chars().collect();
    if distinct.len() < 10 {
        return Err("it repeats too few distinct characters to be random");
    }
    Ok(())
}

/// The lower-cased domain of `Name <local@domain>` or `local@domain`.
fn domain_of_address(from: &str) -> Option<String> {
    let address = match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &from[open + 1..close],
        _ => from,
    };
    let (local, domain) = address.trim().rsplit_once('@')?;
    let valid = !local.is_empty() && !domain.is_empty() && !domain.contains(char::is_whitespace);
    valid.then(|| domain.to_ascii_lowercase())
}

/// Every configuration problem found, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", problems.join("\n  - "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_no_variables() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.http.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.intake.limits.max_message_bytes, 25 * 1024 * 1024);
        assert_eq!(config.intake.own_domain, "localhost");
        assert!(config.database.url.is_none());
    }

    #[test]
    fn every_bad_value_is_reported_and_secrets_are_not_echoed() {
        let err = config(&[
            ("OPED_BIND", "nowhere"),
            ("OPED_MAX_MESSAGE_BYTES", "lots"),
            ("OPED_INBOUND_TOKEN", "short-secret"),
            ("OPED_LOG_FORMAT", "xml"),
        ])
        .unwrap_err();
        assert_eq!(err.problems.len(), 4, "{err}");
        let message = err.to_string();
        assert!(message.contains("OPED_BIND"));
        assert!(message.contains("OPED_INBOUND_TOKEN is too short"));
        assert!(!message.contains("short-secret"));
    }

    #[test]
    fn weak_jwt_secrets_are_refused_without_echoing_them() {
        for weak in [
            "short",
            &"a".repeat(64),
            "abababababababababababababababababab",
        ] {
            let err = config(&[("OPED_JWT_SECRET", weak)]).unwrap_err();
            assert!(err.to_string().contains("OPED_JWT_SECRET is too weak"));
            assert!(!err.to_string().contains(weak));
        }
        let strong = config(&[("OPED_JWT_SECRET", "q8Zr2LwXv9Tn4Kp7Yc1Hm6Fd3Sb0Ge5J")]).unwrap();
        assert!(strong.auth.jwt_secret.is_some());
        assert_eq!(strong.auth.access_token_ttl.as_secs(), 900);
    }

    #[test]
    fn access_tokens_cannot_outlive_fifteen_minutes() {
        assert!(config(&[("OPED_ACCESS_TOKEN_SECONDS", "3600")]).is_err());
        let short = config(&[("OPED_ACCESS_TOKEN_SECONDS", "60")]).unwrap();
        assert_eq!(short.auth.access_token_ttl.as_secs(), 60);
    }

    #[test]
    fn the_extractor_and_its_user_are_checked_at_start() {
        let set = config(&[
            ("OPED_EXTRACTOR", "/opt/oped/bin/oped-extract"),
            ("OPED_EXTRACT_USER", "nobody"),
        ])
        .unwrap();
        let extraction = set.intake.limits.extraction;
        assert_eq!(
            extraction.runner,
            Runner::Child(Some(PathBuf::from("/opt/oped/bin/oped-extract")))
        );
        assert_eq!(extraction.user.as_deref(), Some("nobody"));
        for (user, problem) in [
            ("root", "is root or in root's group"),
            ("no-such-user-here", "there is no such user"),
        ] {
            let err = config(&[("OPED_EXTRACT_USER", user)]).unwrap_err();
            assert!(err.to_string().contains(problem), "{err}");
        }
    }

    #[test]
    fn mail_defaults_write_files_from_localhost() {
        let config = config(&[]).unwrap();
        assert!(config.mail.smtp_url.is_none());
        assert_eq!(config.mail.from.to_string(), "Op-Ed Desk <oped@localhost>");
        assert_eq!(config.mail.site_url, "http://localhost:8080");
        assert_eq!(config.intake.ack_limit_per_hour, 3);
        assert_eq!(config.intake.ack_limit_total_per_hour, 100);
        assert!(config.mail.template_dir.is_none());
    }

    #[test]
    fn mail_variables_are_read_and_checked() {
        let read = config(&[
            ("OPED_SMTP_URL", "smtps://desk:pa55word@mail.example:465"),
            ("OPED_FROM", "Opinion Desk <opinion@news.example>"),
            ("OPED_SITE_URL", "https://news.example/"),
            ("OPED_TEMPLATE_DIR", "/etc/oped/templates"),
            ("OPED_ACK_LIMIT_PER_HOUR", "5"),
            ("OPED_ACK_LIMIT_TOTAL_PER_HOUR", "40"),
        ])
        .unwrap();
        assert_eq!(
            read.mail.smtp_url.as_ref().unwrap().expose(),
            "smtps://desk:pa55word@mail.example:465"
        );
        assert!(!format!("{read:?}").contains("pa55word"));
        assert_eq!(read.mail.from.email.to_string(), "opinion@news.example");
        assert_eq!(read.mail.site_url, "https://news.example");
        assert_eq!(read.intake.ack_limit_per_hour, 5);
        assert_eq!(read.intake.ack_limit_total_per_hour, 40);

        let err = config(&[
            ("OPED_SMTP_URL", "http://desk:pa55word@mail.example"),
            ("OPED_SITE_URL", "news.example"),
            ("OPED_ACK_LIMIT_PER_HOUR", "many"),
            ("OPED_ACK_LIMIT_TOTAL_PER_HOUR", "-1"),
        ])
        .unwrap_err();
        assert_eq!(err.problems.len(), 4, "{err}");
        assert!(err.to_string().contains("OPED_SMTP_URL"));
        assert!(!err.to_string().contains("pa55word"));
    }

    #[test]
    fn webhooks_need_a_url_and_a_strong_secret_neither_echoed() {
        let defaults = config(&[]).unwrap();
        assert!(defaults.publishing.webhook_url.is_none());
        assert_eq!(defaults.publishing.public_url, "http://127.0.0.1:8080");
        assert_eq!(defaults.publishing.author_link_base, None);

        let secret = "Zq8v3LmN0pR7sT2uW5xY9aB4cD6eF1gH";
        let read = config(&[
            (
                "OPED_PUBLISH_WEBHOOK_URL",
                "https://news.example/hooks/oped?token=abc",
            ),
            ("OPED_WEBHOOK_SECRET", secret),
            ("OPED_PUBLIC_URL", "https://desk.news.example/"),
        ])
        .unwrap();
        assert_eq!(
            read.publishing.webhook_url.unwrap().expose().as_str(),
            "https://news.example/hooks/oped?token=abc"
        );
        assert_eq!(read.publishing.public_url, "https://desk.news.example");
        assert_eq!(
            read.publishing.author_link_base.as_deref(),
            Some("https://desk.news.example")
        );

        let err = config(&[(
            "OPED_PUBLISH_WEBHOOK_URL",
            "https://news.example/hooks?token=abc",
        )])
        .unwrap_err()
        .to_string();
        assert!(err.contains("OPED_WEBHOOK_SECRET"), "{err}");
        let err = config(&[
            ("OPED_PUBLISH_WEBHOOK_URL", "ftp://news.example/?token=abc"),
            ("OPED_WEBHOOK_SECRET", "short"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("OPED_PUBLISH_WEBHOOK_URL") && err.contains("too weak"),
            "{err}"
        );
        assert!(
            !err.contains("token=abc") && !err.contains("short\""),
            "{err}"
        );
    }

    #[test]
    fn the_pool_size_is_bounded() {
        let size = config(&[]).unwrap().database.pool_size;
        assert!((2..=MAX_POOL_SIZE).contains(&size));
        assert_eq!(
            config(&[("OPED_DB_POOL_SIZE", "12")])
                .unwrap()
                .database
                .pool_size,
            12
        );
        for bad in ["1", "0", "many", "100000"] {
            let err = config(&[("OPED_DB_POOL_SIZE", bad)])
                .unwrap_err()
                .to_string();
            assert!(err.contains("OPED_DB_POOL_SIZE"), "{err}");
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert!(config(&[]).unwrap().http.trusted_proxies.is_empty());
        let read = config(&[("OPED_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16,::1")]).unwrap();
        let proxies: Vec<String> = read
            .http
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(proxies, ["10.0.0.5/32", "10.1.0.0/16", "::1/128"]);
        let err = config(&[("OPED_TRUSTED_PROXIES", "proxy.example")]).unwrap_err();
        assert!(err.to_string().contains("OPED_TRUSTED_PROXIES"));
    }

    #[test]
    fn cors_origins_are_exact_origins() {
        assert!(config(&[]).unwrap().http.cors_origins.is_empty());
        let read = config(&[(
            "OPED_CORS_ORIGINS",
            "https://news.example, http://localhost:5173/",
        )])
        .unwrap();
        assert_eq!(
            read.http.cors_origins,
            ["https://news.example", "http://localhost:5173"]
        );
        let err = config(&[("OPED_CORS_ORIGINS", "https://news.example/path,*")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("/path") && err.contains("\"*\""), "{err}");
    }

    #[test]
    fn the_response_window_and_word_limit_are_read_and_checked_together() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.intake.window, ResponseWindow::default());
        assert_eq!(defaults.intake.window.business_days, 5);
        assert_eq!(defaults.intake.word_limit, 1_200);

        let read = config(&[
            ("OPED_RESPONSE_BUSINESS_DAYS", "3"),
            ("OPED_BUSINESS_DAYS", "sun-thu"),
            ("OPED_TIMEZONE", "Asia/Jerusalem"),
            ("OPED_WORD_LIMIT", "900"),
        ])
        .unwrap();
        assert_eq!(read.intake.window.business_days, 3);
        assert_eq!(
            read.intake.window.working_days,
            "sun,mon,tue,wed,thu".parse().unwrap()
        );
        assert_eq!(read.intake.window.timezone, chrono_tz::Asia::Jerusalem);
        assert_eq!(read.intake.word_limit, 900);

        let err = config(&[
            ("OPED_RESPONSE_BUSINESS_DAYS", "0"),
            ("OPED_BUSINESS_DAYS", "weekdays"),
            ("OPED_TIMEZONE", "Mars/Olympus_Mons"),
            ("OPED_WORD_LIMIT", "lots"),
            ("OPED_BIND", "nowhere"),
        ])
        .unwrap_err();
        assert_eq!(err.problems.len(), 5, "{err}");
        for name in [
            "OPED_RESPONSE_BUSINESS_DAYS",
            "OPED_BUSINESS_DAYS",
            "OPED_TIMEZONE",
            "OPED_WORD_LIMIT",
        ] {
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
        assert!(config(&[("OPED_RESPONSE_BUSINESS_DAYS", "61")]).is_err());
    }

    #[test]
    fn desk_lists_are_list_ids_and_a_bad_one_is_named() {
        let lists = config(&[(
            "OPED_DESK_LISTS",
            " <Oped.News.Example>, oped.lists.news.example ,",
        )])
        .unwrap()
        .intake
        .desk_lists;
        assert_eq!(lists, ["oped.news.example", "oped.lists.news.example"]);
        let err = config(&[("OPED_DESK_LISTS", "oped.news.example, Op-Ed group")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("OPED_DESK_LISTS: \"Op-Ed group\" is not a List-Id"),
            "{err}"
        );
        assert!(config(&[]).unwrap().intake.desk_lists.is_empty());
    }

    #[test]
    fn own_domain_comes_from_the_sender_address() {
        let config = config(&[("OPED_FROM", "Opinion <OpEd@News.Example>")]).unwrap();
        assert_eq!(config.intake.own_domain, "news.example");
    }

    #[test]
    fn imap_urls_are_read_without_echoing_the_password() {
        assert!(config(&[]).unwrap().imap.is_none());
        let read = config(&[
            (
                "OPED_IMAP_URL",
                "imaps://oped%40news.example:s3cr%3At@imap.example.net/INBOX",
            ),
            ("OPED_IMAP_POLL_SECONDS", "30"),
        ])
        .unwrap();
        let imap = read.imap.unwrap();
        assert_eq!(imap.username, "oped@news.example");
        assert_eq!((imap.host.as_str(), imap.port), ("imap.example.net", 993));
        assert_eq!(imap.tls, ImapTls::Implicit);
        assert!(matches!(&imap.auth, ImapAuth::Password(p) if p.expose() == "s3cr:t"));
        assert_eq!(imap.processed_folder, "Processed");
        assert_eq!(imap.poll_interval, Duration::from_secs(30));
        assert!(!format!("{imap:?}").contains("s3cr"));
        assert!(!imap.describe().contains("s3cr"));

        let local = parse_imap_url("imap://desk:pw@127.0.0.1:1143/Op-Eds?tls=none", None).unwrap();
        assert_eq!(local.tls, ImapTls::None);
        assert_eq!(local.folder, "Op-Eds");
        let starttls = parse_imap_url("imap://desk:pw@mail.example", None).unwrap();
        assert_eq!((starttls.tls, starttls.port), (ImapTls::StartTls, 143));

        let err = config(&[
            ("OPED_IMAP_URL", "https://desk:hunter22@mail.example/"),
            ("OPED_IMAP_POLL_SECONDS", "1"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("OPED_IMAP_URL") && !err.contains("hunter22"),
            "{err}"
        );
        for bad in [
            "imaps://mail.example/INBOX",
            "imaps://desk@mail.example/INBOX",
            "imaps://desk:pw@mail.example/?tls=none",
        ] {
            assert!(parse_imap_url(bad, None).is_err(), "{bad}");
        }
        let oauth = parse_imap_url("imaps://desk@mail.example", Some("/run/token".into())).unwrap();
        assert!(matches!(oauth.auth, ImapAuth::OAuth2TokenFile(_)));
    }
}
