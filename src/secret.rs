//! A value that must never reach a log line.

use std::fmt;

/// Wraps a secret (a token, a database URL with a password) so that `Debug`
/// and `Display` print a placeholder instead of the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret itself: call sites that need it say so explicitly.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A URL as a log line may show it: scheme, host, port and path. A user
/// name or password becomes `[redacted]@` and a query `?[redacted]` (both
/// often hold a token); a fragment is left out.
pub fn loggable_url(url: &url::Url) -> String {
    let Some(host) = url.host_str() else {
        return format!("{}:[redacted]", url.scheme());
    };
    let credentials = if url.username().is_empty() && url.password().is_none() {
        ""
    } else {
        "[redacted]@"
    };
    let port = url
        .port()
        .map(|port| format!(":{port}"))
        .unwrap_or_default();
    let query = if url.query().is_some() {
        "?[redacted]"
    } else {
        ""
    };
    format!(
        "{}://{credentials}{host}{port}{}{query}",
        url.scheme(),
        url.path()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_url_has_no_credentials_query_or_fragment() {
        let shown = |text: &str| loggable_url(&url::Url::parse(text).unwrap());
        assert_eq!(
            shown("https://site:s3cr3t@hooks.example:8443/oped/events?token=t0ken#x"),
            "https://[redacted]@hooks.example:8443/oped/events?[redacted]"
        );
        assert_eq!(
            shown("https://token@hooks.example/oped"),
            "https://[redacted]@hooks.example/oped"
        );
        assert_eq!(shown("http://[::1]:9000/hook"), "http://[::1]:9000/hook");
        assert_eq!(shown("https://hooks.example"), "https://hooks.example/");
        assert_eq!(
            shown("mailto:x@y.example?subject=s3cr3t"),
            "mailto:[redacted]"
        );
    }

    #[test]
    fn debug_and_display_hide_the_value() {
        let token = Secret::new("s3cr3t-token".to_string());
        assert!(!format!("{token:?}").contains("s3cr3t"));
        assert!(!format!("{token}").contains("s3cr3t"));
        assert_eq!(token.expose(), "s3cr3t-token");
    }
}
