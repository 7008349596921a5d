//! The hosted mailbox `oped serve` and `oped worker` poll (`src/imap/`):
//! `OPED_IMAP_URL` and its companions.

use std::path::PathBuf;
use std::time::Duration;

use super::Reader;
use crate::secret::Secret;

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
pub(super) fn read(read: &mut Reader) -> Option<ImapConfig> {
    let url = read.optional("OPED_IMAP_URL")?;
    let token_file = read
        .optional("OPED_IMAP_OAUTH2_TOKEN_FILE")
        .map(PathBuf::from);
    let poll_interval = read.duration_secs(
        "OPED_IMAP_POLL_SECONDS",
        DEFAULT_IMAP_POLL_SECONDS,
        5..=3600,
    );
    let processed_folder = read.optional("OPED_IMAP_PROCESSED_FOLDER");
    let mut config = match parse_imap_url(url.trim(), token_file) {
        Ok(config) => config,
        Err(problem) => {
            read.problem(format!(
                "OPED_IMAP_URL {problem} (its value is not shown: it may hold a password)"
            ));
            return None;
        }
    };
    if let Some(folder) = processed_folder {
        config.processed_folder = folder.trim().to_string();
    }
    if config.processed_folder == config.folder {
        read.problem(format!(
            "OPED_IMAP_PROCESSED_FOLDER={:?} must differ from the folder read",
            config.processed_folder
        ));
    }
    config.poll_interval = poll_interval;
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

#[cfg(test)]
mod tests {
    use super::super::from_pairs as config;
    use super::*;

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
