//! Query parameters shared by the paged lists: `limit` and the keyset `cursor`.

use super::error::ApiError;
use crate::db::cursor::{Cursor, DeadlineCursor, Position};

/// The largest page any list serves.
pub const MAX_LIMIT: i64 = 100;

/// `limit`, defaulting to `default`; 422 outside 1..=100.
pub fn limit(requested: Option<i64>, default: i64) -> Result<i64, ApiError> {
    let limit = requested.unwrap_or(default);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid_field(
            "limit",
            format!("between 1 and {MAX_LIMIT}"),
        ))
    }
}

/// The position after which the page starts; 422 for anything this server
/// did not write.
pub fn cursor(requested: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    match requested {
        None | Some("") => Ok(None),
        Some(text) => Cursor::decode(text)
            .map(Some)
            .ok_or_else(|| ApiError::invalid_field("cursor", "not a cursor from this list")),
    }
}

/// The position after which a page in deadline order starts; 422 for
/// anything else, a newest-first cursor included.
pub fn deadline_cursor(requested: Option<&str>) -> Result<Option<DeadlineCursor>, ApiError> {
    match requested {
        None | Some("") => Ok(None),
        Some(text) => DeadlineCursor::decode(text).map(Some).ok_or_else(|| {
            ApiError::invalid_field("cursor", "not a cursor from this list in this order")
        }),
    }
}

/// Cuts a page fetched with one row too many to `limit` and returns the
/// cursor of its last row when more follow.
pub fn finish_page<T, P: Position>(
    rows: &mut Vec<T>,
    limit: i64,
    position: impl Fn(&T) -> P,
) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    more.then(|| rows.last().map(|last| position(last).encode()))
        .flatten()
}
