//! The keys intake finds mail by: the dedup key and the thread ids. Each is
//! a value from the mail that goes into a btree index, and PostgreSQL
//! refuses an index row of more than about 2,700 bytes: a Message-ID of
//! 9,600 characters would make every delivery of its message fail. Short
//! ids stay as they are, for whoever reads the table; longer ones become a
//! fixed-length digest, the same wherever ids are written or compared, so
//! dedup, threading and reply matching see one key per id. Pure.
//!
//! The migration `2026-12-06-000101_bounded_mail_keys` rewrites the ids
//! stored before in the same form (`sha256(convert_to(id, 'UTF8'))`).

use std::borrow::Cow;

use super::sha256_hex;

/// The longest id kept as it is. Real Message-IDs are well below this
/// (Outlook's, among the longest, are about 100 characters).
pub const MAX_ID_BYTES: usize = 250;

/// `id`, or `sha256:<hex of its UTF-8 bytes>` when it is longer than
/// [`MAX_ID_BYTES`].
pub fn id_key(id: &str) -> Cow<'_, str> {
    if id.len() <= MAX_ID_BYTES {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(format!("sha256:{}", sha256_hex(id.as_bytes())))
    }
}

/// The key under which a message is recorded once: its Message-ID, or the
/// SHA-256 of its raw bytes when it has none.
pub fn dedup_key(message_id: Option<&str>, raw: &[u8]) -> String {
    match message_id {
        Some(id) => format!("mid:{}", id_key(id)),
        None => format!("sha256:{}", sha256_hex(raw)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_kept_as_they_are() {
        assert_eq!(id_key("a@b"), "a@b");
        let longest = "x".repeat(MAX_ID_BYTES);
        assert_eq!(id_key(&longest), longest);
        assert_eq!(dedup_key(Some("a@b"), b"raw"), "mid:a@b");
    }

    #[test]
    fn long_ids_become_one_fixed_length_digest() {
        let long = format!("{}@example.org", "x".repeat(9_600));
        let key = id_key(&long);
        assert_eq!(key.len(), "sha256:".len() + 64);
        assert_eq!(key, id_key(&long.clone()), "the same id, the same key");
        assert_ne!(key, id_key(&format!("y{long}")));
        assert_eq!(dedup_key(Some(&long), b"raw"), format!("mid:{key}"));
    }

    #[test]
    fn mail_without_an_id_is_keyed_by_its_bytes() {
        assert_eq!(
            dedup_key(None, b"raw"),
            format!("sha256:{}", sha256_hex(b"raw"))
        );
    }
}
