//! `ETag` / `If-Match` on submissions: the ETag is the quoted version, and
//! every write names the version it was made against, so two editors never
//! overwrite each other.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH};

use crate::app::error::ApiError;

pub fn etag(version: i32) -> (actix_web::http::header::HeaderName, String) {
    (ETAG, format!("\"{version}\""))
}

/// The version named by `If-Match`: 428 when absent, 412 when unreadable
/// (a stale or foreign tag can never match).
pub fn required_version(request: &HttpRequest) -> Result<i32, ApiError> {
    let value = request
        .headers()
        .get(IF_MATCH)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "send If-Match with the ETag of the submission you edited",
            )
        })?
        .to_str()
        .unwrap_or_default();
    parse_tag(value).ok_or_else(|| ApiError::stale(None))
}

/// True when `If-None-Match` names the current version.
pub fn not_modified(request: &HttpRequest, version: i32) -> bool {
    request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| parse_tag(tag) == Some(version)))
}

/// `"3"` or `W/"3"` → 3. `*` names no version, so it matches nothing here.
fn parse_tag(tag: &str) -> Option<i32> {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_strong_or_weak() {
        assert_eq!(parse_tag("\"3\""), Some(3));
        assert_eq!(parse_tag(" W/\"12\" "), Some(12));
        assert_eq!(parse_tag("3"), None);
        assert_eq!(parse_tag("*"), None);
        assert_eq!(parse_tag("\"x\""), None);
    }
}
