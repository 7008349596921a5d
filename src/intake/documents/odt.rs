//! OpenDocument Text (.odt): text of `content.xml`, title from `meta.xml`.

use quick_xml::events::{BytesStart, Event};

use super::zip_limits::{Container, XmlWalker, dc_title, event_text, local_name};
use super::{DocumentError, DocumentLimits, ExtractedDocument, TextBuilder};

const TEXT_NS: &[u8] = b"urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const OFFICE_NS: &[u8] = b"urn:oasis:names:tc:opendocument:xmlns:office:1.0";
const NAMESPACES: &[&[u8]] = &[TEXT_NS, OFFICE_NS];

/// `text:s` repeat counts beyond this are not layout, just an attempt to inflate output.
const MAX_SPACES: usize = 1_000;

pub(super) fn extract(
    bytes: &[u8],
    limits: &DocumentLimits,
) -> Result<ExtractedDocument, DocumentError> {
    let mut container = Container::open(bytes, limits)?;
    // Password-protected ODF keeps the zip readable but encrypts the parts; the
    // manifest says so, and content.xml would otherwise just look malformed.
    if let Some(manifest) = container.read("META-INF/manifest.xml")?
        && contains(&manifest, b"encryption-data")
    {
        return Err(DocumentError::Encrypted);
    }
    let xml = container
        .read("content.xml")?
        .ok_or_else(|| DocumentError::Malformed("missing content.xml".into()))?;
    let text = content_text(&xml, limits)?;
    let title = match container.read("meta.xml")? {
        Some(meta) => match dc_title(&meta, limits) {
            // Broken metadata should not cost us the text.
            Err(DocumentError::Malformed(_)) => None,
            other => other?,
        },
        None => None,
    };
    Ok(ExtractedDocument { text, title })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Walks `content.xml`. ODF collapses white space inside paragraphs (like HTML) and
/// spells out deliberate spacing with `text:s`, `text:tab` and `text:line-break`.
fn content_text(xml: &[u8], limits: &DocumentLimits) -> Result<String, DocumentError> {
    let mut walker = XmlWalker::new(xml, NAMESPACES, limits.max_xml_depth);
    let mut out = TextBuilder::new(limits.max_output_chars);
    // Number of open text:p / text:h elements; text outside them is not content.
    let mut open_paragraphs = 0usize;
    // Whether the last character came from collapsible white space (or a paragraph start).
    let mut after_space = true;
    let mut skipping: Option<usize> = None;
    loop {
        let (ns, event) = walker.next()?;
        if let Event::Eof = event {
            break;
        }
        if let Some(depth) = skipping {
            if matches!(event, Event::End(_)) && walker.depth() < depth {
                skipping = None;
            }
            continue;
        }
        let name = local_name(&event);
        match &event {
            // Tracked-change history holds deleted text; annotations are reviewer comments.
            Event::Start(_)
                if (ns == Some(TEXT_NS) && name == b"tracked-changes")
                    || (ns == Some(OFFICE_NS) && name == b"annotation") =>
            {
                skipping = Some(walker.depth());
            }
            Event::Start(_) if ns == Some(TEXT_NS) && (name == b"p" || name == b"h") => {
                // A paragraph inside a paragraph (text frame): end the outer one first.
                if !out.paragraph_is_blank() {
                    out.end_paragraph();
                }
                open_paragraphs += 1;
                after_space = true;
            }
            Event::End(_) if ns == Some(TEXT_NS) && (name == b"p" || name == b"h") => {
                out.end_paragraph();
                open_paragraphs = open_paragraphs.saturating_sub(1);
                after_space = true;
            }
            Event::Start(e) | Event::Empty(e) if ns == Some(TEXT_NS) && open_paragraphs > 0 => {
                match name {
                    b"s" => {
                        for _ in 0..space_count(e) {
                            out.push(' ')?;
                        }
                    }
                    b"tab" => out.push('\t')?,
                    b"line-break" => out.push('\n')?,
                    _ => continue,
                }
                after_space = false;
            }
            _ if open_paragraphs > 0 => {
                if let Some(text) = event_text(&event)? {
                    for c in text.chars() {
                        if matches!(c, ' ' | '\t' | '\n' | '\r') {
                            if !after_space {
                                out.push(' ')?;
                                after_space = true;
                            }
                        } else {
                            out.push(c)?;
                            after_space = false;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out.finish())
}

/// The `text:c` attribute of `text:s` (default 1), bounded.
fn space_count(element: &BytesStart<'_>) -> usize {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"c")
        .and_then(|a| {
            std::str::from_utf8(&a.value)
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        })
        .unwrap_or(1)
        .min(MAX_SPACES)
}

#[cfg(test)]
mod tests {
    use super::super::zip_limits::test_support::{build_zero_bomb, build_zip};
    use super::*;

    const META: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<office:meta><dc:title>Open  Document</dc:title></office:meta></office:document-meta>"#;

    fn content(body: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">
<office:automatic-styles/><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
        )
        .into_bytes()
    }

    fn odt(content_xml: &[u8]) -> Vec<u8> {
        build_zip(&[
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", content_xml),
            ("meta.xml", META),
        ])
    }

    fn run(bytes: &[u8], limits: &DocumentLimits) -> Result<ExtractedDocument, DocumentError> {
        extract(bytes, limits)
    }

    #[test]
    fn heading_paragraphs_and_spacing() {
        let xml = content(
            r#"<text:h text:outline-level="1">The   Heading</text:h>
<text:p text:style-name="P1">Hello<text:s text:c="3"/>world, <text:span>spanned</text:span>
   text.</text:p>
<text:p>Tab<text:tab/>and<text:line-break/>break &amp; <text:s/>one</text:p>
<text:tracked-changes><text:changed-region><text:deletion><text:p>Deleted</text:p></text:deletion></text:changed-region></text:tracked-changes>
<text:p><office:annotation><text:p>Comment</text:p></office:annotation>Last</text:p>
<text:list><text:list-item><text:p>Item</text:p></text:list-item></text:list>
<text:p/>"#,
        );
        let doc = run(&odt(&xml), &DocumentLimits::default()).unwrap();
        assert_eq!(
            doc.text,
            "The Heading\n\nHello   world, spanned text.\n\nTab\tand\nbreak &  one\n\nLast\n\nItem"
        );
        assert_eq!(doc.title.as_deref(), Some("Open Document"));
    }

    #[test]
    fn huge_space_counts_are_bounded() {
        let xml = content(r#"<text:p>a<text:s text:c="18446744073709551615"/>b</text:p>"#);
        let doc = run(&odt(&xml), &DocumentLimits::default()).unwrap();
        assert_eq!(doc.text.len(), 2 + MAX_SPACES);
    }

    #[test]
    fn encrypted_manifest() {
        let manifest = br#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>"#;
        let zip = build_zip(&[
            ("META-INF/manifest.xml", manifest),
            ("content.xml", b"\x01\x02binary"),
        ]);
        assert!(matches!(
            run(&zip, &DocumentLimits::default()),
            Err(DocumentError::Encrypted)
        ));
    }

    #[test]
    fn bomb_and_depth_and_garbage() {
        let limits = DocumentLimits::default();
        let bomb = build_zero_bomb("content.xml", 60 << 20);
        assert!(matches!(run(&bomb, &limits), Err(DocumentError::TooLarge)));
        let nested = content(&("<text:span>".repeat(400) + &"</text:span>".repeat(400)));
        assert!(matches!(
            run(&odt(&nested), &limits),
            Err(DocumentError::TooDeep)
        ));
        assert!(matches!(
            run(b"\x00\x01garbage", &limits),
            Err(DocumentError::Malformed(_))
        ));
        let no_content = build_zip(&[("mimetype", b"application/vnd.oasis.opendocument.text")]);
        assert!(matches!(
            run(&no_content, &limits),
            Err(DocumentError::Malformed(_))
        ));
    }
}
