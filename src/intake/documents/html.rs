//! HTML to plain text with paragraphs.
//!
//! Real-world HTML (mail clients, Word's "save as web page") is rarely well-formed,
//! so instead of an XML parser this is a forgiving, single-pass tag scanner: it never
//! recurses and never looks backwards, so its cost is linear in the input.

use encoding_rs::{Encoding, WINDOWS_1252};

use super::{DocumentError, DocumentLimits, ExtractedDocument, TextBuilder, clean_title, text};

pub(super) fn extract(
    bytes: &[u8],
    limits: &DocumentLimits,
) -> Result<ExtractedDocument, DocumentError> {
    let source = decode(bytes);
    let mut scanner = Scanner {
        src: &source,
        pos: 0,
        out: TextBuilder::new(limits.max_output_chars),
        title: None,
        in_head: false,
        pre_depth: 0,
        pending_space: false,
        at_paragraph_start: true,
    };
    scanner.run()?;
    Ok(ExtractedDocument {
        text: scanner.out.finish(),
        title: scanner.title,
    })
}

/// BOM first, then a `<meta charset>` declaration near the top, then UTF-8/windows-1252.
fn decode(bytes: &[u8]) -> String {
    if let Some(decoded) = text::decode_with_bom(bytes) {
        return decoded;
    }
    let head = &bytes[..bytes.len().min(1024)];
    match sniff_meta_charset(head) {
        Some(encoding) => encoding.decode_without_bom_handling(bytes).0.into_owned(),
        None => text::decode_without_bom(bytes),
    }
}

/// Finds `charset=NAME` (from `<meta charset=...>` or an http-equiv content type).
fn sniff_meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower = head.to_ascii_lowercase();
    let start = lower.windows(8).position(|w| w == b"charset=")? + 8;
    let rest = &lower[start..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let len = rest
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b"-_:.".contains(&b)))
        .unwrap_or(rest.len());
    // `output_encoding` maps UTF-16 labels to UTF-8, as browsers do: a document that
    // can declare its charset in ASCII is not UTF-16.
    Encoding::for_label(&rest[..len]).map(Encoding::output_encoding)
}

/// Elements whose start or end begins a new paragraph.
const BLOCK_ELEMENTS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];

/// Elements allowed inside `<head>`; any other start tag means the body has begun
/// even if `<body>` was omitted.
const HEAD_ELEMENTS: &[&str] = &[
    "base", "link", "meta", "noscript", "script", "style", "template", "title",
];

/// Elements whose content is not markup and not shown: skipped up to their end tag.
const RAW_ELEMENTS: &[&str] = &[
    "iframe", "noembed", "noframes", "script", "style", "template", "xmp",
];

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    out: TextBuilder,
    title: Option<String>,
    in_head: bool,
    pre_depth: usize,
    pending_space: bool,
    at_paragraph_start: bool,
}

impl<'a> Scanner<'a> {
    fn run(&mut self) -> Result<(), DocumentError> {
        while self.pos < self.src.len() {
            let rest = &self.src[self.pos..];
            match rest.find(['<', '&']) {
                Some(0) if rest.starts_with('<') => self.markup()?,
                Some(0) => self.entity()?,
                Some(n) => {
                    self.text(&rest[..n])?;
                    self.pos += n;
                }
                None => {
                    self.text(rest)?;
                    self.pos = self.src.len();
                }
            }
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<(), DocumentError> {
        if self.in_head {
            return Ok(());
        }
        for c in text.chars() {
            if self.pre_depth == 0 && is_html_space(c) {
                self.pending_space = true;
            } else {
                self.emit(c)?;
            }
        }
        Ok(())
    }

    /// Writes one visible character, inserting the collapsed space before it if needed.
    fn emit(&mut self, c: char) -> Result<(), DocumentError> {
        if self.pending_space && !self.at_paragraph_start {
            self.out.push(' ')?;
        }
        self.pending_space = false;
        self.at_paragraph_start = false;
        self.out.push(c)
    }

    fn paragraph_break(&mut self) {
        self.out.end_paragraph();
        self.pending_space = false;
        self.at_paragraph_start = true;
    }

    fn entity(&mut self) -> Result<(), DocumentError> {
        let rest = &self.src[self.pos..];
        let (c, consumed) = decode_entity(rest).unwrap_or(('&', 1));
        self.pos += consumed;
        if self.in_head { Ok(()) } else { self.emit(c) }
    }

    fn markup(&mut self) -> Result<(), DocumentError> {
        let rest = &self.src[self.pos..];
        let bytes = rest.as_bytes();
        if let Some(comment) = rest.strip_prefix("<!--") {
            self.pos += comment.find("-->").map_or(rest.len(), |end| end + 7);
            return Ok(());
        }
        match bytes.get(1) {
            // Doctype, CDATA, conditional comments, processing instructions.
            Some(b'!' | b'?') => {
                self.pos += rest.find('>').map_or(rest.len(), |end| end + 1);
            }
            Some(b'/') if bytes.get(2).is_some_and(u8::is_ascii_alphabetic) => {
                let name = tag_name(&rest[2..]).to_ascii_lowercase();
                self.pos += rest.find('>').map_or(rest.len(), |end| end + 1);
                self.end_tag(&name);
            }
            Some(b) if b.is_ascii_alphabetic() => {
                let name = tag_name(&rest[1..]).to_ascii_lowercase();
                self.pos += tag_end(bytes, 1 + name.len());
                self.start_tag(&name)?;
            }
            // A stray "<" is text, as in "a < b".
            _ => {
                self.pos += 1;
                self.text("<")?;
            }
        }
        Ok(())
    }

    fn start_tag(&mut self, name: &str) -> Result<(), DocumentError> {
        match name {
            "head" => self.in_head = true,
            "body" => self.in_head = false,
            _ if self.in_head && !HEAD_ELEMENTS.contains(&name) => self.in_head = false,
            _ => {}
        }
        if name == "title" {
            let raw = self.raw_content("title");
            if self.title.is_none() {
                self.title = clean_title(&decode_entities(raw));
            }
        } else if RAW_ELEMENTS.contains(&name) {
            self.raw_content(name);
        } else if name == "pre" || name == "listing" {
            self.paragraph_break();
            self.pre_depth += 1;
        } else if BLOCK_ELEMENTS.contains(&name) {
            self.paragraph_break();
        } else if name == "td" || name == "th" {
            self.pending_space = true;
        }
        Ok(())
    }

    fn end_tag(&mut self, name: &str) {
        if name == "head" {
            self.in_head = false;
        } else if name == "pre" || name == "listing" {
            self.pre_depth = self.pre_depth.saturating_sub(1);
            self.paragraph_break();
        } else if BLOCK_ELEMENTS.contains(&name) {
            self.paragraph_break();
        } else if name == "td" || name == "th" {
            self.pending_space = true;
        }
    }

    /// Returns the text up to `</name` (case-insensitive) and moves past that end tag.
    fn raw_content(&mut self, name: &str) -> &'a str {
        let src: &'a str = self.src;
        let start = self.pos;
        let mut search = start;
        while let Some(offset) = src[search..].find("</") {
            let candidate = search + offset;
            let after_name = candidate + 2 + name.len();
            let matches_name = src
                .get(candidate + 2..after_name)
                .is_some_and(|n| n.eq_ignore_ascii_case(name));
            let terminated = src
                .as_bytes()
                .get(after_name)
                .is_none_or(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace());
            if matches_name && terminated {
                self.pos = src[after_name..]
                    .find('>')
                    .map_or(src.len(), |end| after_name + end + 1);
                return &src[start..candidate];
            }
            search = candidate + 2;
        }
        self.pos = src.len();
        &src[start..]
    }
}

/// HTML's own whitespace set; U+00A0 is deliberately not in it.
fn is_html_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}')
}

fn tag_name(s: &str) -> &str {
    let len = s
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b':' || b == b'_'))
        .unwrap_or(s.len());
    &s[..len]
}

/// Index just past the `>` closing a start tag. Quotes only delimit attribute values
/// when they follow `=`, so a stray quote cannot swallow the rest of the document.
fn tag_end(bytes: &[u8], mut i: usize) -> usize {
    let mut after_equals = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'>' => return i + 1,
            b'"' | b'\'' if after_equals => {
                i = bytes[i + 1..]
                    .iter()
                    .position(|&q| q == b)
                    .map_or(bytes.len(), |end| i + 1 + end + 1);
                after_equals = false;
                continue;
            }
            b'=' => after_equals = true,
            b if b.is_ascii_whitespace() => {}
            _ => after_equals = false,
        }
        i += 1;
    }
    bytes.len()
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let (c, consumed) = decode_entity(&rest[amp..]).unwrap_or(('&', 1));
        out.push(c);
        rest = &rest[amp + consumed..];
    }
    out.push_str(rest);
    out
}

/// Decodes the character reference at the start of `s` (which begins with `&`),
/// returning the character and the number of bytes consumed.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    if bytes.get(1) == Some(&b'#') {
        let hex = matches!(bytes.get(2), Some(b'x' | b'X'));
        let start = if hex { 3 } else { 2 };
        let digits = bytes[start..]
            .iter()
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 {
            return None;
        }
        let value = u32::from_str_radix(&s[start..start + digits], if hex { 16 } else { 10 }).ok();
        let mut end = start + digits;
        if bytes.get(end) == Some(&b';') {
            end += 1;
        }
        return Some((numeric_reference(value), end));
    }
    let name_len = bytes[1..]
        .iter()
        .take(32)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    if name_len == 0 || bytes.get(1 + name_len) != Some(&b';') {
        return None;
    }
    named_entity(&s[1..1 + name_len]).map(|c| (c, name_len + 2))
}

/// Numeric references as browsers read them: 0x80-0x9F are windows-1252 (legacy
/// pages write `&#150;` for an en dash); invalid code points become U+FFFD.
fn numeric_reference(value: Option<u32>) -> char {
    match value {
        Some(v @ 0x80..=0x9F) => {
            let byte = [u8::try_from(v).unwrap_or(b'?')];
            WINDOWS_1252
                .decode_without_bom_handling(&byte)
                .0
                .chars()
                .next()
                .unwrap_or('\u{fffd}')
        }
        Some(0) | None => '\u{fffd}',
        Some(v) => char::from_u32(v).unwrap_or('\u{fffd}'),
    }
}

/// Latin-1 entity names, in code point order from U+00A0 to U+00FF.
const LATIN1_ENTITIES: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// The other named references that show up in prose.
const OTHER_ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("OElig", '\u{152}'),
    ("oelig", '\u{153}'),
    ("Scaron", '\u{160}'),
    ("scaron", '\u{161}'),
    ("Yuml", '\u{178}'),
    ("fnof", '\u{192}'),
    ("circ", '\u{2c6}'),
    ("tilde", '\u{2dc}'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200c}'),
    ("zwj", '\u{200d}'),
    ("lrm", '\u{200e}'),
    ("rlm", '\u{200f}'),
    ("ndash", '\u{2013}'),
    ("mdash", '\u{2014}'),
    ("lsquo", '\u{2018}'),
    ("rsquo", '\u{2019}'),
    ("sbquo", '\u{201a}'),
    ("ldquo", '\u{201c}'),
    ("rdquo", '\u{201d}'),
    ("bdquo", '\u{201e}'),
    ("dagger", '\u{2020}'),
    ("Dagger", '\u{2021}'),
    ("bull", '\u{2022}'),
    ("hellip", '\u{2026}'),
    ("permil", '\u{2030}'),
    ("prime", '\u{2032}'),
    ("Prime", '\u{2033}'),
    ("lsaquo", '\u{2039}'),
    ("rsaquo", '\u{203a}'),
    ("euro", '\u{20ac}'),
    ("trade", '\u{2122}'),
    ("larr", '\u{2190}'),
    ("rarr", '\u{2192}'),
    ("minus", '\u{2212}'),
];

fn named_entity(name: &str) -> Option<char> {
    if let Some(index) = LATIN1_ENTITIES.iter().position(|&n| n == name) {
        return u32::try_from(index)
            .ok()
            .and_then(|i| char::from_u32(0xA0 + i));
    }
    OTHER_ENTITIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(html: &str) -> ExtractedDocument {
        let limits = DocumentLimits::default();
        extract(html.as_bytes(), &limits).unwrap()
    }

    #[test]
    fn paragraphs_scripts_styles_and_entities() {
        let doc = run(r#"<!DOCTYPE html>
<html><head>
  <meta charset="utf-8"><title> My &amp; Title </title>
  <style>p { color: red; } </style>
  <script>var x = "<p>not text</p>"; if (a < b) {}</script>
</head>
<body>
  <h1>Heading</h1>
  <p class="lead">First   paragraph,
     with <b>bold</b> and&nbsp;caf&eacute; &#233; &#xE9; &#150; &lt;tag&gt; &unknown; &amp</p>
  <!-- <p>commented out</p> -->
  <div>Line one<br>Line two</div>
  <ul><li>One</li><li>Two</li></ul>
  <table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>
  <blockquote>Quoted</blockquote>
  <SCRIPT type="text/javascript">document.write("hidden")</SCRIPT >
  <p>a < b</p>
</body></html>"#);
        assert_eq!(doc.title.as_deref(), Some("My & Title"));
        assert_eq!(
            doc.text,
            "Heading\n\nFirst paragraph, with bold and\u{a0}caf\u{e9} \u{e9} \u{e9} \u{2013} <tag> &unknown; &amp\n\n\
             Line one\n\nLine two\n\nOne\n\nTwo\n\na b\n\nc\n\nQuoted\n\na < b"
        );
    }

    #[test]
    fn pre_keeps_line_breaks() {
        let doc = run("<p>x</p><pre>  a\n    b</pre><p>y</p>");
        assert_eq!(doc.text, "x\n\na\n    b\n\ny");
    }

    #[test]
    fn body_without_head_end_tag_is_visible() {
        let doc = run("<head><title>T</title><p>Visible text");
        assert_eq!(doc.text, "Visible text");
        assert_eq!(doc.title.as_deref(), Some("T"));
    }

    #[test]
    fn meta_charset_windows_1251() {
        let mut bytes =
            b"<meta http-equiv=Content-Type content=\"text/html; charset=windows-1251\"><p>"
                .to_vec();
        bytes.extend_from_slice(b"\xcf\xf0\xe8\xe2\xe5\xf2");
        let limits = DocumentLimits::default();
        assert_eq!(
            extract(&bytes, &limits).unwrap().text,
            "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}"
        );
    }

    #[test]
    fn hostile_markup_terminates() {
        // Unterminated comment, tag, quote and script; many stray brackets.
        for html in [
            "<!-- never closed <p>x",
            "<p class=\"x>never",
            "<script>forever",
            "<<<<>>>>&&&&#;&#x;",
        ] {
            let _ = run(html);
        }
        let deep = "<div>".repeat(100_000) + "deep" + &"</div>".repeat(100_000);
        assert_eq!(run(&deep).text, "deep");
    }

    #[test]
    fn tag_attributes_with_gt_inside_quotes() {
        assert_eq!(
            run(r#"<a title="a > b" href='x>y'>link</a> text"#).text,
            "link text"
        );
    }
}
