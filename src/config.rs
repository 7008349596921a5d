//! Configuration, read once at start from the environment (and a `.env` file)
//! and checked as a whole, so an operator sees every bad value in one go.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::intake::IntakeLimits;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub intake: IntakeConfig,
    pub log_format: LogFormat,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: the PostgreSQL server to use. Unset: a private cluster
    /// under `data_dir` (the embedded default).
    pub url: Option<Secret<String>>,
    /// `OPED_DATA_DIR` (default `./data`): the private cluster and outgoing mail files.
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `OPED_BIND` (default `127.0.0.1:8080`): where `oped serve` listens.
    pub bind: SocketAddr,
}

#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// `OPED_INBOUND_TOKEN`: the bearer secret of `POST /api/v1/inbound/messages`.
    /// Unset: that endpoint refuses every request.
    pub inbound_token: Option<Secret<String>>,
    /// `OPED_TRUSTED_AUTHSERV_ID`: the authserv-id of our own receiving server;
    /// `Authentication-Results` headers from anyone else are ignored.
    pub trusted_authserv_id: Option<String>,
    /// The domain of `OPED_FROM` (default `Op-Ed Desk <oped@localhost>`): our
    /// outgoing Message-IDs end in it, which is how our own mail is recognised
    /// when it comes back.
    pub own_domain: String,
    /// `OPED_MAX_MESSAGE_BYTES` (default 25 MiB) and the fixed parsing limits.
    pub limits: IntakeLimits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

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

        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Config {
            database: DatabaseConfig {
                url: var("DATABASE_URL").map(Secret::new),
                data_dir: var("OPED_DATA_DIR")
                    .map_or_else(|| PathBuf::from("./data"), PathBuf::from),
            },
            http: HttpConfig { bind },
            intake: IntakeConfig {
                inbound_token: inbound_token.map(Secret::new),
                trusted_authserv_id: var("OPED_TRUSTED_AUTHSERV_ID")
                    .map(|id| id.trim().to_string()),
                own_domain,
                limits,
            },
            log_format,
        })
    }
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
    fn own_domain_comes_from_the_sender_address() {
        let config = config(&[("OPED_FROM", "Opinion <OpEd@News.Example>")]).unwrap();
        assert_eq!(config.intake.own_domain, "news.example");
    }
}
