//! The last Atom feed made, kept for the workers of one process.

use actix_web::web::Bytes;

/// The last feed rendered, under its ETag. The ETag is a digest of every
/// entry's id and version and of the latest retraction, so a feed is served
/// from here only while it is exactly what a new rendering would give.
#[derive(Debug, Default)]
pub struct FeedCache(std::sync::Mutex<Option<(String, Bytes)>>);

impl FeedCache {
    pub fn get(&self, etag: &str) -> Option<Bytes> {
        let cached = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        cached
            .as_ref()
            .filter(|(tag, _)| tag == etag)
            .map(|(_, xml)| xml.clone())
    }

    pub fn put(&self, etag: &str, xml: Bytes) {
        *self.0.lock().unwrap_or_else(|poison| poison.into_inner()) = Some((etag.to_string(), xml));
    }
}
