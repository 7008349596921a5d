//! The Atom 1.0 feed (RFC 4287) of the latest published pieces. Pure.

use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Text};
use chrono::{DateTime, FixedOffset, Utc};

use super::Site;
use super::view::PublicOpinion;

/// How many pieces the feed carries.
pub const FEED_LENGTH: i64 = 50;

pub const CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

/// The feed of `pieces` (newest first). `updated` is when the feed last
/// changed: the newest change to a piece in it, or a later retraction.
pub fn render(site: &Site, pieces: &[PublicOpinion], updated: DateTime<Utc>) -> String {
    let opinion_index = format!("{}/opinion/", site.url);
    let feed = Feed {
        title: Text::plain(site.name.clone()),
        // The site's opinion section names the feed: it outlives any
        // address this service is reached at.
        id: opinion_index.clone(),
        updated: fixed(updated),
        authors: vec![person(&site.name)],
        links: vec![
            link(
                "self",
                &format!("{}/feed.atom", site.public_api_url),
                "application/atom+xml",
            ),
            link("alternate", &opinion_index, "text/html"),
        ],
        generator: Some(Generator {
            value: "Op-Ed Desk".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        entries: pieces.iter().map(entry).collect(),
        ..Feed::default()
    };
    feed.to_string()
}

fn entry(piece: &PublicOpinion) -> Entry {
    Entry {
        title: Text::plain(piece.title.clone()),
        // Slugs never change once published, so the page's address is a
        // permanent id.
        id: piece.url.clone(),
        updated: fixed(piece.updated_at),
        published: Some(fixed(piece.published_at)),
        // Without a name the feed's author stands for the entry.
        authors: piece
            .author
            .name
            .as_deref()
            .map(person)
            .into_iter()
            .collect(),
        links: vec![link("alternate", &piece.url, "text/html")],
        summary: piece.standfirst.clone().map(Text::plain),
        content: Some(Content {
            value: Some(content_html(piece)),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        categories: piece
            .tags
            .iter()
            .map(|tag| Category {
                term: tag.clone(),
                ..Category::default()
            })
            .collect(),
        ..Entry::default()
    }
}

/// The article, then the author's disclosure as readers of the page see
/// it, then every correction, dated: a feed reader keeps the entry it first
/// fetched, so what belongs with the text must travel with it.
fn content_html(piece: &PublicOpinion) -> String {
    let mut html = piece.body_html.clone();
    html.push_str(&disclosure_html(piece));
    html.push_str(&corrections_html(piece));
    html
}

/// The author's disclosure as one paragraph; empty when there is none.
/// The WordPress post carries it in the same words.
pub fn disclosure_html(piece: &PublicOpinion) -> String {
    piece
        .disclosure
        .as_ref()
        .map(|disclosure| {
            format!(
                "<p class=\"disclosure\"><em>Disclosure: {}</em></p>",
                escape_html(disclosure)
            )
        })
        .unwrap_or_default()
}

/// Every correction, dated, oldest first; empty when there is none.
pub fn corrections_html(piece: &PublicOpinion) -> String {
    if piece.corrections.is_empty() {
        return String::new();
    }
    let mut html = String::from("<aside class=\"corrections\">");
    for correction in &piece.corrections {
        html.push_str(&format!(
            "<p><strong>Correction, {}:</strong> {}</p>",
            correction.at.format("%-d %B %Y"),
            escape_html(&correction.text)
        ));
    }
    html.push_str("</aside>");
    html
}

/// Plain text made safe inside HTML elements and attributes.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_string(),
        ..Person::default()
    }
}

fn link(rel: &str, href: &str, mime_type: &str) -> Link {
    Link {
        rel: rel.to_string(),
        href: href.to_string(),
        mime_type: Some(mime_type.to_string()),
        ..Link::default()
    }
}

fn fixed(time: DateTime<Utc>) -> DateTime<FixedOffset> {
    time.fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publishing::view::PublicAuthor;

    fn site() -> Site {
        Site {
            url: "https://news.example".into(),
            name: "Opinion & Analysis".into(),
            public_api_url: "https://desk.news.example".into(),
            author_link_base: None,
            wordpress: false,
        }
    }

    fn piece(slug: &str, author: Option<&str>) -> PublicOpinion {
        PublicOpinion {
            slug: slug.into(),
            url: format!("https://news.example/opinion/{slug}"),
            title: "Budgets <& bombs>".into(),
            standfirst: Some("Why it matters".into()),
            author: PublicAuthor {
                name: author.map(str::to_string),
                bio: None,
            },
            body_html: "<p>One &amp; two</p>".into(),
            tags: vec!["economy".into()],
            word_count: 3,
            published_at: "2026-11-20T08:00:00Z".parse().unwrap(),
            updated_at: "2026-11-21T09:30:00Z".parse().unwrap(),
            corrections: Vec::new(),
            disclosure: None,
        }
    }

    #[test]
    fn the_feed_escapes_text_and_names_every_part_rfc_4287_requires() {
        let xml = render(
            &site(),
            &[piece("budgets", Some("Amal")), piece("other", None)],
            "2026-11-22T00:00:00Z".parse().unwrap(),
        );
        assert!(xml.starts_with("<?xml"), "{xml}");
        assert!(
            xml.contains("<title>Opinion &amp; Analysis</title>"),
            "{xml}"
        );
        assert!(xml.contains("Budgets &lt;&amp; bombs&gt;"), "{xml}");
        assert!(
            xml.contains(r#"rel="self""#) && xml.contains("https://desk.news.example/feed.atom")
        );
        assert!(
            xml.contains("<id>https://news.example/opinion/budgets</id>"),
            "{xml}"
        );
        assert!(
            xml.contains("<updated>2026-11-21T09:30:00+00:00</updated>"),
            "{xml}"
        );
        assert!(
            xml.contains("<updated>2026-11-22T00:00:00+00:00</updated>"),
            "{xml}"
        );
        // The HTML is escaped text inside <content type="html">, not markup.
        assert!(
            xml.contains("&lt;p&gt;One &amp;amp; two&lt;/p&gt;"),
            "{xml}"
        );
        assert_eq!(xml.matches("<entry>").count(), 2);
    }

    #[test]
    fn corrections_follow_the_article_in_its_entry_escaped_and_dated() {
        let mut corrected = piece("budgets", Some("Amal"));
        corrected.corrections = vec![crate::publishing::view::PublicCorrection {
            text: "The deficit was 4%, not 40% <sic>.".into(),
            at: "2026-11-23T12:00:00Z".parse().unwrap(),
        }];
        let xml = render(
            &site(),
            &[corrected],
            "2026-11-23T12:00:00Z".parse().unwrap(),
        );
        // Inside <content type="html"> the markup is itself escaped once more.
        let article = xml.find("One &amp;amp; two").expect("the article");
        let correction = xml
            .find("&lt;strong&gt;Correction, 23 November 2026:&lt;/strong&gt; The deficit was 4%, not 40% &amp;lt;sic&amp;gt;.")
            .unwrap_or_else(|| panic!("the correction, escaped, in {xml}"));
        assert!(article < correction, "{xml}");
    }

    #[test]
    fn a_disclosure_follows_the_text_escaped() {
        let mut disclosed = piece("budgets", None);
        disclosed.disclosure = Some("I own <shares> in A&B".into());
        let xml = render(
            &site(),
            &[disclosed],
            "2026-11-22T00:00:00Z".parse().unwrap(),
        );
        // Escaped once as HTML inside the entry, once more as XML text.
        assert!(
            xml.contains(
                "&lt;em&gt;Disclosure: I own &amp;lt;shares&amp;gt; in A&amp;amp;B&lt;/em&gt;"
            ),
            "{xml}"
        );
        let plain = render(
            &site(),
            &[piece("other", None)],
            "2026-11-22T00:00:00Z".parse().unwrap(),
        );
        assert!(!plain.contains("Disclosure"), "{plain}");
    }
}
