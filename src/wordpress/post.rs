//! What a piece becomes in WordPress: the fields of its post. Pure.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::publishing::feed::{corrections_html, disclosure_html, escape_html};
use crate::publishing::view::PublicOpinion;

/// The post's fields as WordPress's REST API takes them. `status` is left
/// out when `None` (an update keeps what the site has); `category` is the
/// category's id, `None` for WordPress's default.
pub fn fields(piece: &PublicOpinion, status: Option<&str>, category: Option<i64>) -> Value {
    let mut post = json!({
        "title": piece.title,
        "content": content(piece),
        "excerpt": piece.standfirst.as_deref().map(escape_html).unwrap_or_default(),
        "slug": piece.slug,
        // The site shows our publication time, a scheduled one included.
        "date_gmt": wordpress_time(piece.published_at),
    });
    if let Some(status) = status {
        post["status"] = json!(status);
    }
    if let Some(category) = category {
        post["categories"] = json!([category]);
    }
    post
}

/// The byline, the sanitised article, the author's bio, then the disclosure
/// and the corrections as the feed carries them.
pub fn content(piece: &PublicOpinion) -> String {
    let mut html = String::new();
    if let Some(name) = &piece.author.name {
        html.push_str(&format!("<p class=\"byline\">By {}</p>", escape_html(name)));
    }
    html.push_str(&piece.body_html);
    if let Some(bio) = piece
        .author
        .bio
        .as_deref()
        .filter(|bio| !bio.trim().is_empty())
    {
        html.push_str(&format!(
            "<p class=\"author-bio\"><em>{}</em></p>",
            escape_html(bio.trim())
        ));
    }
    html.push_str(&disclosure_html(piece));
    html.push_str(&corrections_html(piece));
    html
}

/// WordPress's `date_gmt`: UTC without an offset, to the second.
pub fn wordpress_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::publishing::view::{PublicAuthor, PublicCorrection};

    fn piece() -> PublicOpinion {
        PublicOpinion {
            slug: "unified-budget".into(),
            url: "https://news.example/opinion/unified-budget".into(),
            title: "Why Libya needs a unified budget".into(),
            standfirst: Some("Budgets & banks".into()),
            author: PublicAuthor {
                name: Some("Amal <Haddad>".into()),
                bio: Some("Amal Haddad is an economist.".into()),
            },
            body_html: "<p>Every year the central bank improvises.</p>".into(),
            tags: vec![],
            word_count: 6,
            published_at: Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 5).unwrap(),
            updated_at: Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 5).unwrap(),
            corrections: vec![],
            disclosure: None,
        }
    }

    #[test]
    fn a_post_carries_byline_text_bio_slug_excerpt_and_our_time() {
        let post = fields(&piece(), Some("publish"), Some(7));
        assert_eq!(post["title"], "Why Libya needs a unified budget");
        assert_eq!(post["slug"], "unified-budget");
        assert_eq!(post["excerpt"], "Budgets &amp; banks");
        assert_eq!(post["date_gmt"], "2026-12-06T09:30:05");
        assert_eq!(post["status"], "publish");
        assert_eq!(post["categories"], json!([7]));
        assert_eq!(
            post["content"],
            "<p class=\"byline\">By Amal &lt;Haddad&gt;</p>\
             <p>Every year the central bank improvises.</p>\
             <p class=\"author-bio\"><em>Amal Haddad is an economist.</em></p>"
        );
        let update = fields(&piece(), None, None);
        assert!(update.get("status").is_none() && update.get("categories").is_none());
    }

    #[test]
    fn disclosure_and_corrections_follow_as_in_the_feed() {
        let mut piece = piece();
        piece.disclosure = Some("I advise the central bank".into());
        piece.corrections = vec![PublicCorrection {
            text: "The law dates from 2026.".into(),
            at: Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap(),
        }];
        let html = content(&piece);
        assert!(html.ends_with(
            "<p class=\"disclosure\"><em>Disclosure: I advise the central bank</em></p>\
             <aside class=\"corrections\"><p><strong>Correction, 7 December 2026:</strong> \
             The law dates from 2026.</p></aside>"
        ));
    }
}
