//! Editors' access tokens: who signs them, for whom, for how long.

use std::time::Duration;

use super::Reader;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `OPED_JWT_SECRET`: the HMAC-SHA256 key of access tokens, at least 32
    /// characters. Required by `serve`; other commands do not need it.
    pub jwt_secret: Option<Secret<String>>,
    /// `OPED_JWT_ISSUER` (default `oped`) and `OPED_JWT_AUDIENCE` (default
    /// `oped-editors`): written into and required of every access token.
    pub issuer: String,
    pub audience: String,
    /// `OPED_ACCESS_TOKEN_SECONDS` (default and maximum 900, at least 30).
    pub access_token_ttl: Duration,
    /// `OPED_REFRESH_TOKEN_DAYS` (default 30, from 1 to 365).
    pub refresh_token_ttl: Duration,
}

/// Access tokens live at most 15 minutes: a stolen one is worth little.
const MAX_ACCESS_TOKEN_SECONDS: u64 = 900;

const DAY: u64 = 24 * 3600;

pub(super) fn read(read: &mut Reader) -> AuthConfig {
    let refresh_days = read.number("OPED_REFRESH_TOKEN_DAYS", 30, 1..=365, "days");
    AuthConfig {
        jwt_secret: read.signing_key("OPED_JWT_SECRET"),
        // As written: every server sharing a database must agree on them.
        issuer: read
            .optional("OPED_JWT_ISSUER")
            .unwrap_or_else(|| "oped".into()),
        audience: read
            .optional("OPED_JWT_AUDIENCE")
            .unwrap_or_else(|| "oped-editors".into()),
        access_token_ttl: read.duration_secs(
            "OPED_ACCESS_TOKEN_SECONDS",
            MAX_ACCESS_TOKEN_SECONDS,
            30..=MAX_ACCESS_TOKEN_SECONDS,
        ),
        refresh_token_ttl: Duration::from_secs(refresh_days * DAY),
    }
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as config;

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
        assert_eq!(strong.auth.refresh_token_ttl.as_secs(), 30 * 24 * 3600);
    }

    #[test]
    fn access_tokens_cannot_outlive_fifteen_minutes() {
        let err = config(&[("OPED_ACCESS_TOKEN_SECONDS", "3600")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("must be a whole number of seconds from 30 to 900"),
            "{err}"
        );
        let short = config(&[("OPED_ACCESS_TOKEN_SECONDS", "60")]).unwrap();
        assert_eq!(short.auth.access_token_ttl.as_secs(), 60);
        assert!(config(&[("OPED_REFRESH_TOKEN_DAYS", "366")]).is_err());
    }
}
