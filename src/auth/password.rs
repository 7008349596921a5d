//! Passwords: the policy a new one must meet, argon2id hashing into PHC
//! strings, and verification that costs the same whether or not the account
//! exists.
//!
//! Hashing and verifying take tens of milliseconds of CPU on purpose: call
//! them on the blocking pool (`web::block`), never on an actix worker.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

/// The shortest password accepted, in characters: length is what makes a
/// password hard to guess, and 12 is the usual floor for accounts that can
/// publish under the paper's name.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest password accepted, in characters. argon2 takes any length;
/// the cap only keeps request bodies and work bounded.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// OWASP's argon2id baseline: 19 MiB of memory, 2 passes, 1 lane. Stored
/// hashes carry their own parameters, so raising these later keeps old
/// hashes verifiable.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Verified in place of a missing account's hash, so that an unknown address
/// costs the same argon2 work as a wrong password and the two cannot be told
/// apart by timing. Its salt and digest are random bytes, so no password
/// matches it; the parameters match `hasher()` (a test keeps them in step).
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$hVQ8KSEVDt8xnDWfTBR7Lg$9PEOsg9m3x/WWIaj0/gxmpcoxe3LvKPnNjmRU86dZ+c";

/// A password that meets the policy, not yet hashed. Deliberately without
/// `Debug`, so it cannot reach a log line by accident.
pub struct NewPassword(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters long")]
    TooShort,
    #[error("the password must be at most {MAX_PASSWORD_CHARS} characters long")]
    TooLong,
}

impl NewPassword {
    pub fn parse(candidate: String) -> Result<NewPassword, PasswordPolicyError> {
        let chars = candidate.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            Err(PasswordPolicyError::TooShort)
        } else if chars > MAX_PASSWORD_CHARS {
            Err(PasswordPolicyError::TooLong)
        } else {
            Ok(NewPassword(candidate))
        }
    }

    /// The argon2id PHC string of this password, with a fresh random salt.
    pub fn hash(&self) -> Result<String, argon2::password_hash::Error> {
        let mut salt = [0_u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt)?;
        Ok(hasher()
            .hash_password(self.0.as_bytes(), &salt)?
            .to_string())
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .expect("the argon2 parameters are within the algorithm's bounds");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// True when `candidate` is the password behind `stored` (a PHC string).
/// With no stored hash (no such account), a dummy hash is verified instead
/// and the answer is false, after the same work.
pub fn verify(stored: Option<&str>, candidate: &str) -> bool {
    let phc = stored.unwrap_or(DUMMY_HASH);
    let Ok(parsed) = PasswordHash::new(phc) else {
        // Only a corrupted row gets here; it can never match.
        tracing::error!("a stored password hash is not a valid PHC string");
        return false;
    };
    // The parameters come from the PHC string itself.
    let matches = hasher()
        .verify_password(candidate.as_bytes(), &parsed)
        .is_ok();
    matches && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> NewPassword {
        NewPassword::parse(text.to_string()).unwrap()
    }

    #[test]
    fn policy_counts_characters_not_bytes() {
        assert_eq!(
            NewPassword::parse("short".into()).err(),
            Some(PasswordPolicyError::TooShort)
        );
        // Eleven Arabic letters are 22 bytes but still too short.
        assert!(NewPassword::parse("كلمةالسرقص".into()).is_err());
        assert!(NewPassword::parse("كلمةالسرقصيرة".into()).is_ok());
        assert_eq!(
            NewPassword::parse("x".repeat(MAX_PASSWORD_CHARS + 1)).err(),
            Some(PasswordPolicyError::TooLong)
        );
    }

    #[test]
    fn a_hash_is_argon2id_phc_and_verifies_only_its_password() {
        let hash = password("correct horse battery").hash().unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify(Some(&hash), "correct horse battery"));
        assert!(!verify(Some(&hash), "correct horse batterY"));
        assert!(!verify(Some("not a phc string"), "correct horse battery"));
    }

    #[test]
    fn salts_differ_between_hashes_of_one_password() {
        let one = password("the same password").hash().unwrap();
        let two = password("the same password").hash().unwrap();
        assert_ne!(one, two);
    }

    #[test]
    fn no_account_never_verifies() {
        assert!(!verify(None, ""));
        assert!(!verify(None, "any password at all"));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let real_hash = password("correct horse battery").hash().unwrap();
        let real = PasswordHash::new(&real_hash).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
    }
}
