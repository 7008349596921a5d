//! HTML that may be stored or served: an allow-list sanitiser, and plain text
//! rendered as paragraphs.

use std::collections::HashSet;
use std::sync::LazyLock;

use ammonia::Builder;

/// Tags an article needs and nothing else: no images (remote images are
/// tracking pixels), no forms, no media, no styles.
const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::default();
    builder
        .tags(ALLOWED_TAGS.iter().copied().collect::<HashSet<_>>())
        .generic_attributes(HashSet::from(["dir", "lang"]))
        .tag_attributes(
            [("a", HashSet::from(["href", "title"]))]
                .into_iter()
                .collect(),
        )
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow noopener"))
        .strip_comments(true);
    builder
});

/// Sanitises untrusted HTML with the allow-list: scripts, styles, event
/// handlers, `javascript:` URLs and images are removed; links get
/// `rel="nofollow noopener"`.
pub fn sanitize(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Plain text as HTML: blank lines separate paragraphs, single line breaks
/// stay breaks, everything is escaped.
pub fn paragraphs_to_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + text.len() / 8);
    for paragraph in split_paragraphs(text) {
        html.push_str("<p>");
        let lines: Vec<String> = paragraph.lines().map(|line| escape(line.trim())).collect();
        html.push_str(&lines.join("<br>"));
        html.push_str("</p>\n");
    }
    html
}

/// Paragraphs of a text: runs of non-blank lines.
pub fn split_paragraphs(text: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join("\n"));
    }
    paragraphs
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_html_is_neutralised() {
        let hostile = r#"<html><head><style>p{color:red}</style><script>alert('x')</script></head>
            <body onload="steal()"><p style="x" onclick="y()">Text <a href="javascript:alert(1)">bad</a>
            <a href="https://example.org/">good</a><img src="https://tracker.example.com/p.gif">
            <iframe src="https://evil.example"></iframe><svg onload="x()"></svg></p></body></html>"#;
        let clean = sanitize(hostile);
        for banned in [
            "<script",
            "alert",
            "onload",
            "onclick",
            "style",
            "javascript:",
            "tracker.example.com",
            "<img",
            "<iframe",
            "<svg",
        ] {
            assert!(!clean.contains(banned), "{banned} survived: {clean}");
        }
        assert!(
            clean.contains(r#"<a href="https://example.org/" rel="nofollow noopener">good</a>"#),
            "{clean}"
        );
        assert!(clean.contains("Text"));
    }

    #[test]
    fn right_to_left_direction_survives() {
        let clean = sanitize(r#"<p dir="rtl" lang="ar">مرحبا</p>"#);
        assert_eq!(clean, r#"<p dir="rtl" lang="ar">مرحبا</p>"#);
    }

    #[test]
    fn text_becomes_escaped_paragraphs() {
        let html = paragraphs_to_html("First <b>line</b>\nsame paragraph\n\n\nSecond & last");
        assert_eq!(
            html,
            "<p>First &lt;b&gt;line&lt;/b&gt;<br>same paragraph</p>\n<p>Second &amp; last</p>\n"
        );
    }
}
