//! Keyset cursors for newest-first lists: the (received_at, id) of the last
//! item shown. New mail sorts before every cursor, so paging neither repeats
//! nor skips items while mail keeps arriving.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub received_at: DateTime<Utc>,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}.{}",
            self.received_at.timestamp_micros(),
            self.id
        ))
    }

    /// `None` for anything that is not a cursor this server wrote.
    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (micros, id) = text.split_once('.')?;
        let received_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        // Only dates PostgreSQL can compare with: this server never wrote others.
        if !(1970..=9999).contains(&received_at.year()) {
            return None;
        }
        Some(Cursor {
            received_at,
            id: id.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            received_at: "2026-11-26T10:00:00.123456Z".parse().unwrap(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in [
            "",
            "!!!",
            "MTIz",
            &URL_SAFE_NO_PAD.encode("x.y"),
            &URL_SAFE_NO_PAD.encode("-400000000000000000.1"),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
