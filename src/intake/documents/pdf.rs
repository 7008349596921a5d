//! PDF through lopdf: load the document, read each page's text operators
//! with the page's fonts (ToUnicode maps, ligatures included), and the title
//! from the Info dictionary. Where the text sits on the page tells its lines
//! and paragraphs apart (`layout`).
//!
//! A page's content and fonts are inflated within the document budget; the
//! rest of lopdf trusts its input: a crafted file can make it recurse until
//! the stack overflows or repeat work for a long time. It runs in the
//! extractor's child process, whose memory, CPU time and wall clock the OS
//! bounds (`documents::sandbox`).

use std::collections::BTreeMap;

use lopdf::DecompressError;
use lopdf::content::Content;
use lopdf::{Document, Encoding, Object, ObjectId};

mod layout;

use super::{DocumentError, DocumentLimits, ExtractedDocument, TextBuilder, clean_title};

pub(super) fn extract(
    bytes: &[u8],
    limits: &DocumentLimits,
) -> Result<ExtractedDocument, DocumentError> {
    if !bytes.starts_with(b"%PDF-") {
        return Err(DocumentError::Malformed("missing %PDF- header".into()));
    }
    let doc =
        Document::load_mem(bytes).map_err(|e| DocumentError::Malformed(format!("PDF: {e}")))?;
    if doc.is_encrypted() {
        return Err(DocumentError::Encrypted);
    }
    let limit = usize::try_from(limits.max_uncompressed_bytes).unwrap_or(usize::MAX);
    // A page lopdf cannot read costs only its own text.
    let mut out = TextBuilder::new(limits.max_output_chars);
    for page in doc.get_pages().into_values() {
        let lines = match page_lines(&doc, page, limit) {
            Ok(lines) => lines,
            Err(lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. })) => {
                return Err(DocumentError::TooLarge);
            }
            Err(_) => continue,
        };
        for paragraph in layout::paragraphs(&lines) {
            out.push_str(&paragraph)?;
            out.end_paragraph();
        }
    }
    Ok(ExtractedDocument {
        text: out.finish(),
        title: info_title(&doc),
    })
}

/// The page's text as laid out: each run of text with the height at which
/// its line sits, so that the gaps between lines can tell paragraphs apart.
fn page_lines(doc: &Document, page: ObjectId, limit: usize) -> lopdf::Result<Vec<layout::Line>> {
    // A font lopdf cannot read costs only the text set in it.
    let encodings: BTreeMap<Vec<u8>, Encoding> = doc
        .get_page_fonts(page)?
        .into_iter()
        .filter_map(|(name, font)| {
            Some((name, font.get_font_encoding_with_limit(doc, limit).ok()?))
        })
        .collect();
    let content = Content::decode(&doc.get_page_content_with_limit(page, limit)?)?;
    let mut position = layout::TextPosition::default();
    let mut lines: Vec<layout::Line> = Vec::new();
    let mut encoding = None;
    for operation in &content.operations {
        let operands = &operation.operands;
        let number = |i: usize| {
            operands
                .get(i)
                .and_then(|o| o.as_float().ok())
                .map(f64::from)
        };
        match operation.operator.as_str() {
            "BT" => position.begin_text(),
            "Tf" => {
                encoding = operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .and_then(|name| encodings.get(name));
            }
            "TL" => position.set_leading(number(0)),
            "Td" => position.move_line(number(1), false),
            "TD" => position.move_line(number(1), true),
            "Tm" => position.set_matrix(number(3), number(5)),
            "T*" => position.next_line(),
            "'" | "\"" => position.next_line(),
            _ => {}
        }
        if matches!(operation.operator.as_str(), "Tj" | "TJ" | "'" | "\"") {
            let Some(encoding) = encoding else { continue };
            let mut text = String::new();
            shown_text(encoding, operands, &mut text);
            layout::add_run(&mut lines, position.y(), text);
        }
    }
    Ok(lines)
}

/// The text a show operator paints; a large negative kerning in a `TJ`
/// array is a space the layout made without a space character.
fn shown_text(encoding: &Encoding, operands: &[Object], text: &mut String) {
    for operand in operands {
        match operand {
            Object::String(bytes, _) => {
                if let Ok(decoded) = Document::decode_text(encoding, bytes) {
                    text.push_str(&decoded);
                }
            }
            Object::Array(items) => shown_text(encoding, items, text),
            Object::Integer(i) if *i < -100 => text.push(' '),
            Object::Real(r) if *r < -100.0 => text.push(' '),
            _ => {}
        }
    }
}

fn info_title(doc: &Document) -> Option<String> {
    let info = match doc.trailer.get(b"Info").ok()? {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(dict) => dict,
        _ => return None,
    };
    let title = info.get_deref(b"Title", doc).ok()?;
    clean_title(&lopdf::decode_text_string(title).ok()?)
}

#[cfg(test)]
mod tests {
    use lopdf::content::{Content, Operation};
    use lopdf::{Stream, dictionary};

    use super::*;

    fn run(bytes: &[u8]) -> Result<ExtractedDocument, DocumentError> {
        extract(bytes, &DocumentLimits::default())
    }

    fn build_pdf(pages: &[&[u8]], title: Option<&str>, compress: bool) -> Vec<u8> {
        save(pdf_document(pages, title, compress))
    }

    fn save(mut doc: Document) -> Vec<u8> {
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    /// Builds a PDF with lopdf's own document builder: one page per content stream.
    /// (lopdf writes a compressed xref stream, so loading exercises that path too.)
    fn pdf_document(pages: &[&[u8]], title: Option<&str>, compress: bool) -> Document {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
        });
        let resources_id = doc.add_object(dictionary! {
            "Font" => dictionary! { "F1" => font_id },
        });
        let mut kids = Vec::new();
        for content in pages {
            let mut stream = Stream::new(dictionary! {}, content.to_vec());
            if compress {
                stream.compress().unwrap();
            }
            let content_id = doc.add_object(stream);
            let page_id = doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
            });
            kids.push(page_id.into());
        }
        let count = i64::try_from(kids.len()).unwrap();
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids,
                "Count" => count,
                "Resources" => resources_id,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        if let Some(title) = title {
            let info_id = doc.add_object(dictionary! { "Title" => Object::string_literal(title) });
            doc.trailer.set("Info", info_id);
        }
        doc
    }

    const HELLO: &[u8] = b"BT /F1 12 Tf 72 712 Td (Hello PDF) Tj ET";

    #[test]
    fn hello_pdf() {
        let doc = run(&build_pdf(&[HELLO], Some("A Title"), false)).unwrap();
        assert_eq!(doc.text, "Hello PDF");
        assert_eq!(doc.title.as_deref(), Some("A Title"));
    }

    #[test]
    fn compressed_pages_are_paragraphs() {
        let content = Content {
            operations: vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 12.into()]),
                Operation::new("Td", vec![72.into(), 712.into()]),
                Operation::new("Tj", vec![Object::string_literal("Hello PDF")]),
                Operation::new("ET", vec![]),
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 12.into()]),
                Operation::new(
                    "TJ",
                    vec![Object::Array(vec![
                        Object::string_literal("second"),
                        (-250).into(),
                        Object::string_literal("line (with) \\ escapes"),
                    ])],
                ),
                Operation::new("ET", vec![]),
            ],
        };
        let page_two = b"BT /F1 12 Tf 72 700 Td (Page two) Tj ET";
        let pdf = build_pdf(&[&content.encode().unwrap(), page_two], None, true);
        let doc = run(&pdf).unwrap();
        // The two text objects share a line; each page is a paragraph.
        assert_eq!(
            doc.text,
            "Hello PDF second line (with) \\ escapes\n\nPage two"
        );
        assert_eq!(doc.title, None);
    }

    #[test]
    fn a_gap_between_lines_wider_than_the_rest_ends_a_paragraph() {
        // As word processors write it: a leading, lines moved by T*, and a
        // paragraph's extra space as a larger Td.
        let page =
            b"BT /F1 12 Tf 14 TL 72 712 Td (The central bank must) Tj T* (stay neutral.) Tj \
            0 -24 Td (Its second paragraph) Tj T* (ends here.) Tj ET";
        let doc = run(&build_pdf(&[page], None, false)).unwrap();
        assert_eq!(
            doc.text,
            "The central bank must stay neutral.\n\nIts second paragraph ends here."
        );
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        assert!(matches!(
            run(b"%PDF-1.4\ngarbage"),
            Err(DocumentError::Malformed(_))
        ));
        assert!(matches!(run(b"GIF89a"), Err(DocumentError::Malformed(_))));
        let pdf = build_pdf(&[HELLO], None, true);
        assert!(run(&pdf[..pdf.len() / 2]).is_err());
    }

    #[test]
    fn output_limit_applies() {
        let pdf = build_pdf(&[HELLO, HELLO, HELLO], None, false);
        let limits = DocumentLimits {
            max_output_chars: 20,
            ..DocumentLimits::default()
        };
        assert!(matches!(
            extract(&pdf, &limits),
            Err(DocumentError::TooLarge)
        ));
    }

    #[test]
    fn a_page_inflating_past_the_budget_is_too_large() {
        let zeros = vec![b' '; 1 << 20];
        let pdf = build_pdf(&[&zeros], None, true);
        assert!(pdf.len() < 10_000, "{}", pdf.len());
        let limits = DocumentLimits {
            max_uncompressed_bytes: 100_000,
            ..DocumentLimits::default()
        };
        assert!(matches!(
            extract(&pdf, &limits),
            Err(DocumentError::TooLarge)
        ));
    }

    #[test]
    fn encrypted_is_refused() {
        let mut doc = pdf_document(&[HELLO], None, true);
        let encrypt = doc.add_object(dictionary! { "Filter" => "Standard", "V" => 1, "R" => 2 });
        doc.trailer.set("Encrypt", encrypt);
        let result = run(&save(doc));
        assert!(
            matches!(result, Err(DocumentError::Encrypted)),
            "{result:?}"
        );
    }
}
