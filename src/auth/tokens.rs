//! Access tokens: short-lived JWTs, HS256 only (the algorithm is pinned, so
//! `alg: none` or a key-confusion token is refused), with `iss`, `aud` and
//! `exp` required and checked.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::config::AuthConfig;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub role: Role,
    /// The user's session epoch when the token was issued.
    pub epoch: i32,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// The signing and verification keys with the rules every token must meet.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Signs the desk's session cookies: derived from the JWT secret (so
    /// replicas sharing the secret share it), but never equal to it, so a
    /// cookie can never pass for a token or the other way round.
    cookie_key: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is invalid or expired")]
    Invalid,
    #[error("no JWT secret is configured (OPED_JWT_SECRET)")]
    NoSecret,
}

impl TokenKeys {
    pub fn new(config: &AuthConfig) -> Result<TokenKeys, TokenError> {
        let secret = config.jwt_secret.as_ref().ok_or(TokenError::NoSecret)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Clocks of replicas agree to a few seconds; tokens live 15 minutes.
        validation.leeway = 5;
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            access_ttl: config.access_token_ttl,
            refresh_ttl: config.refresh_token_ttl,
            cookie_key: derive_key(secret.expose().as_bytes(), b"oped desk session cookie v1"),
        })
    }

    /// The key the desk signs its session cookies with.
    pub fn cookie_key(&self) -> &[u8; 32] {
        &self.cookie_key
    }

    /// A signed access token for `user_id`, valid from `now` for the access TTL.
    pub fn issue(&self, user_id: i64, role: Role, epoch: i32, now: DateTime<Utc>) -> String {
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            epoch,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            exp: now.timestamp() + i64::try_from(self.access_ttl.as_secs()).unwrap_or(900),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// The claims of a token that passes every check.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }
}

/// HMAC-SHA256 of `purpose` under `secret`: a key of its own for each use.
fn derive_key(secret: &[u8], purpose: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use base64::Engine;

    fn config(secret: &str) -> AuthConfig {
        AuthConfig {
            jwt_secret: Some(Secret::new(secret.to_string())),
            issuer: "oped".into(),
            audience: "oped-editors".into(),
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(86400),
        }
    }

    const SECRET: &str = "q8Zr2LwXv9Tn4Kp7Yc1Hm6Fd3Sb0Ge5J";

    #[test]
    fn a_fresh_token_verifies() {
        let keys = TokenKeys::new(&config(SECRET)).unwrap();
        let token = keys.issue(42, Role::Publisher, 3, Utc::now());
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.role, claims.epoch),
            ("42", Role::Publisher, 3)
        );
    }

    #[test]
    fn expired_foreign_and_unsigned_tokens_fail() {
        let keys = TokenKeys::new(&config(SECRET)).unwrap();
        let old = keys.issue(1, Role::Editor, 0, Utc::now() - chrono::Duration::hours(1));
        assert!(keys.verify(&old).is_err(), "expired");

        let other = TokenKeys::new(&config("Xk3Lm9Qp2Rs7Tv5Wy1Za8Bc4Dd6Ef0Gh")).unwrap();
        assert!(
            keys.verify(&other.issue(1, Role::Admin, 0, Utc::now()))
                .is_err(),
            "wrong signature"
        );

        let mut wrong_audience = config(SECRET);
        wrong_audience.audience = "the-site".into();
        let foreign = TokenKeys::new(&wrong_audience).unwrap();
        assert!(
            keys.verify(&foreign.issue(1, Role::Admin, 0, Utc::now()))
                .is_err(),
            "wrong aud"
        );

        // alg: none, with otherwise valid claims.
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = engine.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let exp = Utc::now().timestamp() + 600;
        let body = engine.encode(format!(
            r#"{{"sub":"1","role":"admin","epoch":0,"iss":"oped","aud":"oped-editors","iat":0,"exp":{exp}}}"#
        ));
        assert!(
            keys.verify(&format!("{header}.{body}.")).is_err(),
            "alg none"
        );
        assert!(keys.verify("garbage").is_err());
    }
}
