//! Telling the site: where webhooks go and how they are signed, and where
//! this service is reached from outside.

use std::net::SocketAddr;

use super::Reader;
use crate::secret::Secret;

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

/// The webhook URL and secret are never echoed: a URL may carry a token.
pub(super) fn read(read: &mut Reader, bind: SocketAddr) -> PublishingConfig {
    let webhook_url = read.optional("OPED_PUBLISH_WEBHOOK_URL").and_then(|value| {
        match url::Url::parse(value.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
            _ => {
                read.problem(
                    "OPED_PUBLISH_WEBHOOK_URL is not an http:// or https:// URL \
                     (its value is not shown: it may hold a token)",
                );
                None
            }
        }
    });
    let webhook_secret = read.signing_key("OPED_WEBHOOK_SECRET");
    if webhook_url.is_some() && webhook_secret.is_none() {
        read.problem(
            "OPED_PUBLISH_WEBHOOK_URL needs OPED_WEBHOOK_SECRET to sign what it sends \
             (at least 32 random characters)",
        );
    }
    let author_link_base = read.http_url("OPED_PUBLIC_URL");
    PublishingConfig {
        webhook_url: webhook_url.map(Secret::new),
        webhook_secret,
        public_url: author_link_base
            .clone()
            .unwrap_or_else(|| format!("http://{bind}")),
        author_link_base,
    }
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as config;

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
        let err = config(&[("OPED_PUBLIC_URL", "desk.news.example")]).unwrap_err();
        assert_eq!(
            err.problems,
            ["OPED_PUBLIC_URL=\"desk.news.example\" is not an http:// or https:// URL"]
        );
    }
}
