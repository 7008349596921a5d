//! Whether the client's copy is fresh: conditional GETs for the public
//! reads (RFC 9110 §13), the API's op-eds and the feed. A client that holds
//! the current representation gets 304 with no body. `If-None-Match` wins
//! over `If-Modified-Since` when both are sent.

use actix_web::http::header::{
    CACHE_CONTROL, ETAG, HttpDate, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Public pieces change rarely and the site is told by webhook when they do:
/// shared caches may keep them briefly, then must ask again (cheaply, 304).
const PUBLIC_CACHE: &str = "public, max-age=30, must-revalidate";

/// What identifies one state of a representation.
#[derive(Debug, Clone)]
pub struct Validators {
    /// Quoted, strong.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
}

impl Validators {
    pub fn new(etag: impl std::fmt::Display, last_modified: DateTime<Utc>) -> Validators {
        Validators {
            etag: format!("\"{etag}\""),
            last_modified,
        }
    }

    /// For a representation made of many rows: a digest of what identifies
    /// each (id and version), so any change, addition or removal changes it.
    pub fn digest(parts: impl IntoIterator<Item = String>, last_modified: DateTime<Utc>) -> Self {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update(part.as_bytes());
            hash.update(b"\n");
        }
        Validators::new(hex::encode(&hash.finalize()[..12]), last_modified)
    }

    /// True when the client already holds this state.
    pub fn is_fresh(&self, request: &HttpRequest) -> bool {
        let headers = request.headers();
        if let Some(tags) = headers.get(IF_NONE_MATCH) {
            let Ok(tags) = tags.to_str() else {
                return false;
            };
            // Weak comparison, as GET allows: W/"x" matches "x".
            return tags
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag);
        }
        headers
            .get(IF_MODIFIED_SINCE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<HttpDate>().ok())
            .is_some_and(|since| {
                // HTTP dates have whole seconds.
                let since: std::time::SystemTime = since.into();
                let since: DateTime<Utc> = since.into();
                self.last_modified.timestamp() <= since.timestamp()
            })
    }

    /// A 200 carrying these validators and the public caching policy.
    pub fn ok(&self) -> HttpResponseBuilder {
        let mut response = HttpResponse::Ok();
        self.stamp(&mut response);
        response
    }

    /// The 304 for a client that holds this state.
    pub fn not_modified(&self) -> HttpResponse {
        let mut response = HttpResponse::NotModified();
        self.stamp(&mut response);
        response.finish()
    }

    fn stamp(&self, response: &mut HttpResponseBuilder) {
        response
            .insert_header((ETAG, self.etag.clone()))
            .insert_header((
                LAST_MODIFIED,
                HttpDate::from(std::time::SystemTime::from(self.last_modified)).to_string(),
            ))
            .insert_header((CACHE_CONTROL, PUBLIC_CACHE));
    }
}

/// Whether the request asks conditionally at all: if not, there is no point
/// in a cheap look before the full one.
pub fn is_conditional(request: &HttpRequest) -> bool {
    let headers = request.headers();
    headers.contains_key(IF_NONE_MATCH) || headers.contains_key(IF_MODIFIED_SINCE)
}

/// The latest of `times` and `retracted`; the epoch when there is neither.
pub fn latest(
    times: impl Iterator<Item = DateTime<Utc>>,
    retracted: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    times.chain(retracted).max().unwrap_or(DateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn validators() -> Validators {
        Validators::new("7", "2026-11-26T10:00:00.5Z".parse().unwrap())
    }

    #[test]
    fn if_none_match_compares_weakly_and_wins_over_the_date() {
        let fresh = |headers: &[(&str, &str)]| {
            let mut request = TestRequest::default();
            for header in headers {
                request = request.insert_header(*header);
            }
            validators().is_fresh(&request.to_http_request())
        };
        assert!(fresh(&[("If-None-Match", "\"7\"")]));
        assert!(fresh(&[("If-None-Match", "\"3\", W/\"7\"")]));
        assert!(fresh(&[("If-None-Match", "*")]));
        assert!(!fresh(&[("If-None-Match", "\"8\"")]));
        assert!(fresh(&[(
            "If-Modified-Since",
            "Thu, 26 Nov 2026 10:00:00 GMT"
        )]));
        assert!(fresh(&[(
            "If-Modified-Since",
            "Thu, 26 Nov 2026 11:00:00 GMT"
        )]));
        assert!(!fresh(&[(
            "If-Modified-Since",
            "Thu, 26 Nov 2026 09:59:59 GMT"
        )]));
        assert!(!fresh(&[("If-Modified-Since", "yesterday")]));
        assert!(!fresh(&[
            ("If-None-Match", "\"8\""),
            ("If-Modified-Since", "Thu, 26 Nov 2026 11:00:00 GMT")
        ]));
        assert!(!fresh(&[]));
    }

    #[test]
    fn digests_change_with_any_part() {
        let at = "2026-11-26T10:00:00Z".parse().unwrap();
        let a = Validators::digest(["1:3".to_string(), "2:1".to_string()], at);
        let b = Validators::digest(["1:3".to_string(), "2:2".to_string()], at);
        let c = Validators::digest(["1:3".to_string()], at);
        assert_ne!(a.etag, b.etag);
        assert_ne!(a.etag, c.etag);
        assert_eq!(
            a.etag,
            Validators::digest(["1:3".to_string(), "2:1".to_string()], at).etag
        );
    }
}
