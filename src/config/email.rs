//! Email to authors: how it leaves, from whom, and with what words.

use std::path::PathBuf;
use std::str::FromStr;

use lettre::message::Mailbox;

use super::Reader;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// `OPED_SMTP_URL`: `smtp://[user:password@]host[:port]` (plain, or
    /// `?tls=required` for STARTTLS), `smtps://…` (TLS from the start). May
    /// hold a password, hence a secret. Unset: messages are written as `.eml`
    /// files under `<OPED_DATA_DIR>/mail/` instead of being sent.
    pub smtp_url: Option<Secret<String>>,
    /// `OPED_FROM` (default `Op-Ed Desk <oped@localhost>`): the sender of
    /// every email; its domain is also `intake.own_domain`.
    pub from: Sender,
    /// `OPED_SITE_URL` (default `http://localhost:8080`): the public site,
    /// without a trailing slash; published pieces link to `<it>/opinion/<slug>`.
    pub site_url: String,
    /// `OPED_TEMPLATE_DIR`: a directory whose `<template>.txt` files replace
    /// the built-in ones, so an operator can change the wording without
    /// recompiling. Read at start.
    pub template_dir: Option<PathBuf>,
}

/// The desk's address, read once: the mailbox every email is from, and its
/// domain (lower-cased), which names our own mail when it comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    mailbox: Mailbox,
    domain: String,
}

impl Sender {
    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    /// The display name, when it has one that is not blank.
    pub fn name(&self) -> Option<&str> {
        self.mailbox
            .name
            .as_deref()
            .filter(|name| !name.trim().is_empty())
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }
}

impl FromStr for Sender {
    type Err = String;

    /// `Name <local@domain>` or `local@domain`; the error says what is
    /// missing.
    fn from_str(text: &str) -> Result<Sender, String> {
        const EXAMPLE: &str = "such as \"Op-Ed Desk <oped@example.net>\"";
        match text.trim().parse::<Mailbox>() {
            Ok(mailbox) => Ok(Sender {
                domain: mailbox.email.domain().to_ascii_lowercase(),
                mailbox,
            }),
            Err(_) if has_address(text) => Err(format!("is not a mailbox {EXAMPLE}")),
            Err(_) => Err(format!("has no address {EXAMPLE}")),
        }
    }
}

impl Default for Sender {
    fn default() -> Self {
        "Op-Ed Desk <oped@localhost>"
            .parse()
            .expect("the default sender is a valid mailbox")
    }
}

/// Whether `Name <local@domain>` or `local@domain` has both halves of an
/// address, so that a refused one is told apart from a missing one.
fn has_address(text: &str) -> bool {
    let address = match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => &text[open + 1..close],
        _ => text,
    };
    address
        .trim()
        .rsplit_once('@')
        .is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains(char::is_whitespace)
        })
}

/// The SMTP URL is checked by shape only and never echoed: it may carry a
/// password.
pub(super) fn read(read: &mut Reader) -> EmailConfig {
    let smtp_url = read.secret("OPED_SMTP_URL", |url| {
        let valid = url::Url::parse(url.trim()).is_ok_and(|url| {
            matches!(url.scheme(), "smtp" | "smtps")
                && url.host_str().is_some_and(|host| !host.is_empty())
        });
        if valid {
            return Ok(());
        }
        Err("not an smtp://host[:port] or smtps://host[:port] URL \
             (its value is not shown: it may hold a password)"
            .into())
    });
    EmailConfig {
        smtp_url: smtp_url.map(|url| Secret::new(url.expose().trim().to_string())),
        from: read.parsed("OPED_FROM", str::parse).unwrap_or_default(),
        site_url: read
            .http_url("OPED_SITE_URL")
            .unwrap_or_else(|| "http://localhost:8080".into()),
        template_dir: read.optional("OPED_TEMPLATE_DIR").map(PathBuf::from),
    }
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as config;

    #[test]
    fn mail_defaults_write_files_from_localhost() {
        let config = config(&[]).unwrap();
        assert!(config.email.smtp_url.is_none());
        assert_eq!(
            config.email.from.mailbox().to_string(),
            "Op-Ed Desk <oped@localhost>"
        );
        assert_eq!(config.email.site_url, "http://localhost:8080");
        assert_eq!(config.intake.ack_limit_per_hour, 3);
        assert_eq!(config.intake.ack_limit_total_per_hour, 100);
        assert!(config.email.template_dir.is_none());
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
            read.email.smtp_url.as_ref().unwrap().expose(),
            "smtps://desk:pa55word@mail.example:465"
        );
        assert!(!format!("{read:?}").contains("pa55word"));
        assert_eq!(
            read.email.from.mailbox().email.to_string(),
            "opinion@news.example"
        );
        assert_eq!(read.email.from.name(), Some("Opinion Desk"));
        assert_eq!(read.email.site_url, "https://news.example");
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
    fn own_domain_comes_from_the_sender_address() {
        let config = config(&[("OPED_FROM", "Opinion <OpEd@News.Example>")]).unwrap();
        assert_eq!(config.intake.own_domain, "news.example");
        assert_eq!(config.email.from.domain(), "news.example");
    }

    #[test]
    fn a_bad_sender_is_reported_once_with_what_is_missing() {
        for (from, problem) in [
            ("Op-Ed Desk", "has no address"),
            ("Op-Ed Desk <oped@>", "has no address"),
            ("Op-Ed Desk <op ed@news.example>", "is not a mailbox"),
        ] {
            let err = config(&[("OPED_FROM", from)]).unwrap_err();
            assert_eq!(err.problems.len(), 1, "{err}");
            assert!(
                err.problems[0].starts_with(&format!("OPED_FROM={from:?} {problem}")),
                "{err}"
            );
        }
    }
}
