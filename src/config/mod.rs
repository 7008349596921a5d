//! Configuration, read once at start from the environment (and a `.env` file)
//! and checked as a whole, so an operator sees every bad value in one go.
//!
//! One file a section, each documenting the variables it reads; `read.rs`
//! holds the helpers they read them with.

mod auth;
mod database;
mod desk;
mod email;
mod extraction;
mod http;
mod imap;
mod intake;
mod publishing;
mod read;
mod wordpress;

pub use auth::AuthConfig;
pub use database::DatabaseConfig;
pub use desk::DEFAULT_WORD_LIMIT;
pub use email::{EmailConfig, Sender};
pub use extraction::{ExtractionLimits, Runner};
pub use http::HttpConfig;
pub use imap::{ImapAuth, ImapConfig, ImapTls, parse_imap_url};
pub use intake::{IntakeConfig, IntakeLimits};
pub use publishing::PublishingConfig;
pub use wordpress::{PostStatus, Takedown, WordpressConfig};

use read::Reader;

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub intake: IntakeConfig,
    pub auth: AuthConfig,
    /// `OPED_LOG_FORMAT` (default `text`): `json` for JSON logs.
    pub log_format: LogFormat,
    pub email: EmailConfig,
    pub publishing: PublishingConfig,
    /// `OPED_IMAP_URL` and friends: the hosted mailbox to poll, if any.
    pub imap: Option<ImapConfig>,
    /// `OPED_WORDPRESS_*`: the site's WordPress, when publishing posts there.
    pub wordpress: Option<WordpressConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// Reads the process environment, after loading `.env` when present.
    pub fn from_env() -> Result<Config, ConfigError> {
        // A missing .env is the normal case in production.
        let _ = dotenvy::dotenv();
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut read = Reader::new(&lookup);
        let http = http::read(&mut read);
        let email = email::read(&mut read);
        let intake = intake::read(&mut read, email.from.domain());
        let auth = auth::read(&mut read);
        let log_format = read.choice(
            "OPED_LOG_FORMAT",
            LogFormat::Text,
            &[("text", LogFormat::Text), ("json", LogFormat::Json)],
        );
        let database = database::read(&mut read);
        let publishing = publishing::read(&mut read, http.bind);
        let imap = imap::read(&mut read);
        let wordpress = wordpress::read(&mut read);
        read.finish(|| Config {
            database,
            http,
            intake,
            auth,
            log_format,
            email,
            publishing,
            imap,
            wordpress,
        })
    }
}

/// Every configuration problem found, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", problems.join("\n  - "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

/// The configuration of `vars` alone, for the sections' tests.
#[cfg(test)]
fn from_pairs(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|name| map.get(name).cloned())
}

#[cfg(test)]
mod tests {
    use super::from_pairs as config;

    #[test]
    fn defaults_need_no_variables() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.http.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.intake.limits.max_message_bytes, 25 * 1024 * 1024);
        assert_eq!(config.intake.own_domain, "localhost");
        assert!(config.database.url.is_none());
        assert_eq!(config.log_format, super::LogFormat::Text);
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
        assert!(message.starts_with("invalid configuration:\n  - "));
        assert!(message.contains("OPED_BIND"));
        assert!(message.contains("OPED_INBOUND_TOKEN is too short"));
        assert!(message.contains("OPED_LOG_FORMAT=\"xml\" must be \"text\" or \"json\""));
        assert!(!message.contains("short-secret"));
    }
}
