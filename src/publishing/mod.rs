//! Publishing to the site: what the public may read of a published piece, its
//! slug and the Atom feed. (The scheduler that publishes pieces on time is a
//! workflow transition: `workflow::scheduler`.)
//!
//! `view`, `slug` (its naming half) and `feed` are pure; `store` and
//! `slug::assign` touch the database.

pub mod feed;
pub mod slug;
pub mod store;
pub mod view;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Where published pieces live, as the API, the feed, webhooks and emails
/// link to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `OPED_SITE_URL`, without a trailing slash.
    pub url: String,
    /// The name of the desk (the display name of `OPED_FROM`): the feed's
    /// title and its author when a piece names none.
    pub name: String,
    /// `OPED_PUBLIC_URL`, without a trailing slash: where this service's
    /// public API and feed are reached (the feed links to itself).
    pub public_api_url: String,
    /// `OPED_PUBLIC_URL` when it is set: authors' status links point here.
    /// Unset, no link is made (the default listening address is rarely one
    /// an author could reach).
    pub author_link_base: Option<String>,
    /// The site runs WordPress (`OPED_WORDPRESS_URL`): every event for the
    /// site is queued for its WordPress too.
    pub wordpress: bool,
}

/// Everything but unreserved characters is escaped in a path segment; letters
/// of other scripts are escaped too, so the link is a plain URI anywhere.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

impl Site {
    pub fn from_config(config: &crate::config::Config) -> Site {
        Site {
            url: config.email.site_url.trim_end_matches('/').to_string(),
            name: config.email.from.name().unwrap_or("Op-Ed Desk").to_string(),
            public_api_url: config.publishing.public_url.clone(),
            author_link_base: config.publishing.author_link_base.clone(),
            wordpress: config.wordpress.is_some(),
        }
    }

    /// `<site>/opinion/<slug>`: the page of a published piece.
    pub fn opinion_url(&self, slug: &str) -> String {
        opinion_url(&self.url, slug)
    }
}

/// `<public_url>/a/<token>`: the author's private status page, served by
/// this service (`OPED_PUBLIC_URL`), not by the site. The token is
/// URL-safe base64, a path segment as it is.
pub fn author_page_url(public_url: &str, token: &str) -> String {
    format!("{}/a/{token}", public_url.trim_end_matches('/'))
}

/// `<site_url>/opinion/<slug>`, the slug percent-encoded.
pub fn opinion_url(site_url: &str, slug: &str) -> String {
    format!(
        "{}/opinion/{}",
        site_url.trim_end_matches('/'),
        utf8_percent_encode(slug, SEGMENT)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_escape_the_slug_as_one_path_segment() {
        assert_eq!(
            opinion_url("https://news.example/", "unified-budget"),
            "https://news.example/opinion/unified-budget"
        );
        assert_eq!(
            opinion_url("https://news.example", "مستقبل-ليبيا"),
            "https://news.example/opinion/%D9%85%D8%B3%D8%AA%D9%82%D8%A8%D9%84-%D9%84%D9%8A%D8%A8%D9%8A%D8%A7"
        );
    }
}
