//! Query parameters shared by the paged lists: `limit`, the keyset `cursor`
//! and the times a list is bounded by.

use chrono::{DateTime, Datelike, Utc};

use crate::app::error::ApiError;
use crate::db::cursor::{Cursor, DeadlineCursor, Position, RelevanceCursor};

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

/// Whether a list may be bounded by `at`: years 1 to 9999. chrono reads
/// times (`-200000-01-01T00:00:00Z`) that PostgreSQL cannot compare with a
/// timestamp, and no piece arrived outside those years.
pub fn listable_time(at: DateTime<Utc>) -> bool {
    (1..=9999).contains(&at.year())
}

/// `at` as a bound of a list; 422 naming `field` outside [`listable_time`].
pub fn time_bound(
    field: &'static str,
    at: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    match at {
        Some(at) if !listable_time(at) => Err(ApiError::invalid_field(
            field,
            "a time in the years 1 to 9999",
        )),
        at => Ok(at),
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

/// The position after which a page of a search by relevance starts; 422 for
/// anything else.
pub fn relevance_cursor(requested: Option<&str>) -> Result<Option<RelevanceCursor>, ApiError> {
    match requested {
        None | Some("") => Ok(None),
        Some(text) => RelevanceCursor::decode(text).map(Some).ok_or_else(|| {
            ApiError::invalid_field("cursor", "not a cursor from this list in this order")
        }),
    }
}

/// Whether the last row a page of `limit` keeps of `fetched` rows is among
/// the `first` rows (a search by relevance: its title matches).
pub fn last_in_first(fetched: usize, limit: i64, first: usize) -> bool {
    fetched.min(usize::try_from(limit).unwrap_or(0)) <= first
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
