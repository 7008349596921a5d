//! The author's status-link token: 32 random bytes in unpadded base64url,
//! known only to the author's mailbox. The desk keeps its SHA-256, so the
//! database alone opens no author's page. Pure.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 bits: guessing one is hopeless, so a lookup needs no lockout.
const TOKEN_BYTES: usize = 32;

/// The length of every token this desk makes (43 characters).
pub const TOKEN_CHARS: usize = 43;

/// A freshly made token, in clear. It goes into the author's email and
/// nowhere else; `Debug` does not show it.
pub struct RawToken(String);

impl RawToken {
    /// From the thread-local CSPRNG (seeded from the operating system).
    pub fn generate() -> RawToken {
        let mut bytes = [0_u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        RawToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps.
    pub fn digest(&self) -> String {
        digest(&self.0)
    }
}

impl std::fmt::Debug for RawToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawToken(…)")
    }
}

/// The SHA-256 of `token` in lower-case hex: `author_links.token_sha256`.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` could be one of ours: anything else is turned away
/// before it costs a query.
pub fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_url_safe_distinct_and_kept_as_a_digest() {
        let one = RawToken::generate();
        let two = RawToken::generate();
        assert_ne!(one.expose(), two.expose());
        assert!(well_formed(one.expose()), "{}", one.expose());
        assert_eq!(one.digest().len(), 64);
        assert_ne!(one.digest(), one.expose());
        assert_eq!(one.digest(), digest(one.expose()));
        assert!(!format!("{one:?}").contains(one.expose()));
    }

    #[test]
    fn only_our_shape_is_well_formed() {
        assert!(!well_formed(""));
        assert!(!well_formed(&"a".repeat(42)));
        assert!(!well_formed(&"a".repeat(44)));
        assert!(!well_formed(&format!("{}/", "a".repeat(42))));
        assert!(!well_formed(&format!("{}é", "a".repeat(41))));
        assert!(well_formed(&format!("{}-_", "a".repeat(41))));
    }
}
