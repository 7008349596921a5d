//! HTML that may be stored or served: an allow-list sanitiser, and plain text
//! rendered as paragraphs.

use std::collections::HashSet;
use std::sync::LazyLock;

use ammonia::Builder;

use super::div_paragraphs;

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

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| allow_list(ALLOWED_TAGS));

/// The allow-list with `div` too, so that the lines mail programs write as
/// divs can become paragraphs before the divs go.
static SANITIZER_KEEPING_DIVS: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = allow_list(ALLOWED_TAGS);
    builder.add_tags(["div"]);
    builder
});

fn allow_list(tags: &[&'static str]) -> Builder<'static> {
    let mut builder = Builder::default();
    builder
        .tags(tags.iter().copied().collect::<HashSet<_>>())
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
}

/// Sanitises untrusted HTML with the allow-list: scripts, styles, event
/// handlers, `javascript:` URLs and images are removed; links get
/// `rel="nofollow noopener"`. Lines written as `<div>`s (Gmail, Yahoo)
/// become `<p>` paragraphs.
pub fn sanitize(html: &str) -> String {
    let kept = SANITIZER_KEEPING_DIVS.clean(html).to_string();
    match div_paragraphs::rewrite(&kept) {
        // The rewrite only regroups what the allow-list kept; cleaning it
        // again is what guarantees that no div, or anything else, remains.
        Some(paragraphs) => SANITIZER.clean(&paragraphs).to_string(),
        None if kept.contains("<div") => SANITIZER.clean(&kept).to_string(),
        None => kept,
    }
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
    fn mail_written_as_div_lines_keeps_its_paragraphs() {
        let gmail = r#"<div dir="ltr"><div>First paragraph.</div><div><br></div><div onclick="x()">Second <a href="javascript:x()">one</a>.</div></div>"#;
        assert_eq!(
            sanitize(gmail),
            r#"<p dir="ltr">First paragraph.</p><p dir="ltr">Second <a rel="nofollow noopener">one</a>.</p>"#
        );
        assert_eq!(sanitize("<div>a<div>b"), "<p>a</p><p>b</p>");
        // Nesting deeper than any mail program's still loses its divs.
        assert_eq!(sanitize(&format!("{}text", "<div>".repeat(100))), "text");
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
