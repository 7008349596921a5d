//! Word .docx (Office Open XML): text of `word/document.xml`, title from `docProps/core.xml`.

use quick_xml::events::Event;

use super::zip_limits::{Container, XmlWalker, dc_title, event_text, local_name};
use super::{DocumentError, DocumentLimits, ExtractedDocument, TextBuilder};

const W_NS: &[u8] = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const W_STRICT_NS: &[u8] = b"http://purl.oclc.org/ooxml/wordprocessingml/main";
/// Markup compatibility: `mc:Fallback` repeats `mc:Choice` content for old readers.
const MC_NS: &[u8] = b"http://schemas.openxmlformats.org/markup-compatibility/2006";
const NAMESPACES: &[&[u8]] = &[W_NS, W_STRICT_NS, MC_NS];

/// WordprocessingML elements whose whole subtree holds no visible body text:
/// properties (whose `w:tab` are tab stops, not tabs) and text moved or deleted
/// by tracked changes.
const SKIPPED: &[&[u8]] = &[
    b"pPr",
    b"rPr",
    b"sectPr",
    b"tblPr",
    b"tblGrid",
    b"trPr",
    b"tcPr",
    b"del",
    b"moveFrom",
];

/// Legacy OLE compound file: a .doc, or a password-protected .docx.
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub(super) fn extract(
    bytes: &[u8],
    limits: &DocumentLimits,
) -> Result<ExtractedDocument, DocumentError> {
    if bytes.starts_with(OLE_MAGIC) {
        return Err(ole_error(bytes));
    }
    let mut container = Container::open(bytes, limits)?;
    let parts = package_parts(&mut container, limits)?;
    let xml = container
        .read(&parts.document)?
        .ok_or_else(|| DocumentError::Malformed(format!("missing {}", parts.document)))?;
    let text = document_text(&xml, limits)?;
    let title = match container.read(&parts.core)? {
        Some(core) => match dc_title(&core, limits) {
            // Broken metadata should not cost us the text.
            Err(DocumentError::Malformed(_)) => None,
            other => other?,
        },
        None => None,
    };
    Ok(ExtractedDocument { text, title })
}

/// Password-protected .docx files are OLE containers holding an "EncryptedPackage" stream.
fn ole_error(bytes: &[u8]) -> DocumentError {
    let marker: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    if bytes.windows(marker.len()).any(|w| w == marker) {
        DocumentError::Encrypted
    } else {
        DocumentError::Malformed("legacy Word (.doc) file, not .docx".into())
    }
}

struct PackageParts {
    document: String,
    core: String,
}

/// Finds the main document and core-properties parts through `_rels/.rels`
/// (some generators do not use the usual names), with the usual names as fallback.
fn package_parts(
    container: &mut Container<'_>,
    limits: &DocumentLimits,
) -> Result<PackageParts, DocumentError> {
    let mut parts = PackageParts {
        document: "word/document.xml".into(),
        core: "docProps/core.xml".into(),
    };
    let Some(rels) = container.read("_rels/.rels")? else {
        return Ok(parts);
    };
    let mut walker = XmlWalker::new(&rels, &[], limits.max_xml_depth);
    loop {
        let (_, event) = walker.next()?;
        let element = match &event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => e,
            Event::Eof => break,
            _ => continue,
        };
        let mut kind = String::new();
        let mut target = String::new();
        let mut external = false;
        for attribute in element.attributes().flatten() {
            let value = attribute.unescape_value().unwrap_or_default();
            match attribute.key.local_name().as_ref() {
                b"Type" => kind = value.into_owned(),
                b"Target" => target = value.trim_start_matches('/').to_string(),
                b"TargetMode" => external = value == "External",
                _ => {}
            }
        }
        if external || target.is_empty() {
            continue;
        }
        if kind.ends_with("/officeDocument") {
            parts.document = target;
        } else if kind.ends_with("/metadata/core-properties") {
            parts.core = target;
        }
    }
    Ok(parts)
}

fn document_text(xml: &[u8], limits: &DocumentLimits) -> Result<String, DocumentError> {
    let mut walker = XmlWalker::new(xml, NAMESPACES, limits.max_xml_depth);
    let mut out = TextBuilder::new(limits.max_output_chars);
    let mut in_text = false;
    // Depth of the element whose subtree we are skipping, if any.
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
        let wordml = ns == Some(W_NS) || ns == Some(W_STRICT_NS);
        match &event {
            Event::Start(_)
                if (wordml && SKIPPED.contains(&name))
                    || (ns == Some(MC_NS) && name == b"Fallback") =>
            {
                skipping = Some(walker.depth());
            }
            Event::Start(_) | Event::Empty(_) if wordml => match name {
                // A paragraph inside a paragraph (text box): end the outer one first.
                b"p" if !out.paragraph_is_blank() => out.end_paragraph(),
                b"t" => in_text = matches!(event, Event::Start(_)),
                b"tab" | b"ptab" => out.push('\t')?,
                b"br" | b"cr" => out.push('\n')?,
                b"noBreakHyphen" => out.push('\u{2011}')?,
                _ => {}
            },
            Event::End(_) if wordml => match name {
                b"p" => out.end_paragraph(),
                b"t" => in_text = false,
                _ => {}
            },
            _ if in_text => {
                if let Some(text) = event_text(&event)? {
                    out.push_str(&text)?;
                }
            }
            _ => {}
        }
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::super::zip_limits::test_support::{
        build_zero_bomb, build_zip, patch_declared_sizes,
    };
    use super::*;

    const CONTENT_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#;
    const RELS: &[u8] = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>"#;
    const CORE: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Why  Cities &amp; Bikes</dc:title><dc:creator>A. Writer</dc:creator></cp:coreProperties>"#;

    fn document(body: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>{body}</w:body></w:document>"#
        )
        .into_bytes()
    }

    fn docx(document_xml: &[u8]) -> Vec<u8> {
        build_zip(&[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", RELS),
            ("word/document.xml", document_xml),
            ("docProps/core.xml", CORE),
        ])
    }

    fn run(bytes: &[u8], limits: &DocumentLimits) -> Result<ExtractedDocument, DocumentError> {
        extract(bytes, limits)
    }

    #[test]
    fn two_paragraphs_and_title() {
        let xml = document(
            r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>
               <w:r><w:rPr><w:b/></w:rPr><w:t>First</w:t></w:r><w:r><w:t xml:space="preserve"> paragraph &amp; more</w:t></w:r></w:p>
               <w:p><w:r><w:t>Second</w:t><w:tab/><w:t>tabbed</w:t><w:br/><w:t>new line</w:t></w:r>
               <w:del><w:r><w:delText>deleted</w:delText></w:r></w:del><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>
               <w:p/><w:sectPr><w:pgSz w:w="12240"/></w:sectPr>"#,
        );
        let doc = run(&docx(&xml), &DocumentLimits::default()).unwrap();
        assert_eq!(
            doc.text,
            "First paragraph & more\n\nSecond\ttabbed\nnew line"
        );
        assert_eq!(doc.title.as_deref(), Some("Why Cities & Bikes"));
    }

    #[test]
    fn text_boxes_are_not_duplicated_by_fallback() {
        let xml = document(
            r#"<w:p><w:r><w:t>Before</w:t></w:r><w:r><mc:AlternateContent>
               <mc:Choice Requires="wps"><w:txbxContent><w:p><w:r><w:t>Boxed</w:t></w:r></w:p></w:txbxContent></mc:Choice>
               <mc:Fallback><w:txbxContent><w:p><w:r><w:t>Boxed</w:t></w:r></w:p></w:txbxContent></mc:Fallback>
               </mc:AlternateContent></w:r><w:r><w:t>After</w:t></w:r></w:p>"#,
        );
        assert_eq!(
            run(&docx(&xml), &DocumentLimits::default()).unwrap().text,
            "Before\n\nBoxed\n\nAfter"
        );
    }

    #[test]
    fn main_part_is_found_through_relationships() {
        let rels = String::from_utf8_lossy(RELS).replace("word/document.xml", "/word/main.xml");
        let zip = build_zip(&[
            ("_rels/.rels", rels.as_bytes()),
            (
                "word/main.xml",
                &document("<w:p><w:r><w:t>Hi</w:t></w:r></w:p>"),
            ),
        ]);
        let doc = run(&zip, &DocumentLimits::default()).unwrap();
        assert_eq!(doc.text, "Hi");
        assert_eq!(doc.title, None);
    }

    #[test]
    fn zip_bomb_with_honest_size_is_refused_before_inflating() {
        let bomb = build_zero_bomb("word/document.xml", 200 << 20);
        assert!(bomb.len() < 2 << 20, "bomb is {} bytes", bomb.len());
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bomb[..])).unwrap();
        assert_eq!(archive.by_index(0).unwrap().size(), 200 << 20);
        let result = run(&bomb, &DocumentLimits::default());
        assert!(matches!(result, Err(DocumentError::TooLarge)), "{result:?}");
    }

    #[test]
    fn zip_bomb_with_lying_size_is_refused_while_inflating() {
        let mut bomb = build_zero_bomb("word/document.xml", 200 << 20);
        patch_declared_sizes(&mut bomb, 1_000);
        // Stops after the 50 MiB budget, long before 200 MiB.
        let result = run(&bomb, &DocumentLimits::default());
        assert!(matches!(result, Err(DocumentError::TooLarge)), "{result:?}");
    }

    #[test]
    fn lying_size_with_real_xml_content() {
        let paragraph =
            "<w:p><w:r><w:t>lorem ipsum dolor sit amet</w:t></w:r></w:p>".repeat(20_000);
        let mut zip = docx(&document(&paragraph));
        patch_declared_sizes(&mut zip, 100);
        let limits = DocumentLimits {
            max_uncompressed_bytes: 512 * 1024,
            ..DocumentLimits::default()
        };
        assert!(matches!(run(&zip, &limits), Err(DocumentError::TooLarge)));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let nested = "<w:r>".repeat(1_000) + &"</w:r>".repeat(1_000);
        let result = run(&docx(&document(&nested)), &DocumentLimits::default());
        assert!(matches!(result, Err(DocumentError::TooDeep)), "{result:?}");
    }

    #[test]
    fn output_limit() {
        let xml = document(&"<w:p><w:r><w:t>0123456789</w:t></w:r></w:p>".repeat(20));
        let limits = DocumentLimits {
            max_output_chars: 100,
            ..DocumentLimits::default()
        };
        assert!(matches!(
            run(&docx(&xml), &limits),
            Err(DocumentError::TooLarge)
        ));
    }

    #[test]
    fn not_a_zip_and_legacy_files() {
        let limits = DocumentLimits::default();
        assert!(matches!(
            run(b"plain text", &limits),
            Err(DocumentError::Malformed(_))
        ));
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend_from_slice(&[0; 64]);
        assert!(matches!(
            run(&ole, &limits),
            Err(DocumentError::Malformed(_))
        ));
        ole.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert!(matches!(run(&ole, &limits), Err(DocumentError::Encrypted)));
        let no_document = build_zip(&[("_rels/.rels", RELS)]);
        assert!(matches!(
            run(&no_document, &limits),
            Err(DocumentError::Malformed(_))
        ));
        assert!(matches!(
            run(&docx(b"<w:document><a></b></w:document>"), &limits),
            Err(DocumentError::Malformed(_))
        ));
    }
}
