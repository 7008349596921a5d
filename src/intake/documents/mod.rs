//! Text extraction from op-ed attachments (docx, odt, pdf, rtf, html, plain text).
//!
//! [`extract`] is a pure function of the bytes, with simple input limits that
//! give editors a useful reason ([`DocumentLimits`]: input and uncompressed
//! size, zip entries, nesting, output). It is not hardened against a parser
//! that loops, allocates without bound or overflows its stack: the server
//! never calls it itself, but runs it in a child process under OS limits
//! ([`sandbox`], `oped extract`), one budget per message ([`budget`]).

pub mod budget;
mod docx;
mod exchange;
mod html;
mod odt;
mod pdf;
mod rtf;
pub mod sandbox;
mod text;
pub mod unread;
mod zip_limits;

pub use budget::{ExtractionLimits, MessageBudget, Runner};

/// Input limits of one extraction, for clear errors on oversized documents.
/// Time, memory and stack are the child process's limits, not these.
#[derive(Debug, Clone)]
pub struct DocumentLimits {
    /// Total bytes we are willing to decompress or decode (also caps the raw input size).
    pub max_uncompressed_bytes: u64,
    /// Maximum number of entries in a zip container (docx, odt).
    pub max_zip_entries: usize,
    /// Maximum element/group nesting for XML (docx, odt) and RTF.
    pub max_xml_depth: usize,
    /// Maximum number of characters of extracted text.
    pub max_output_chars: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self {
            max_uncompressed_bytes: 50 * 1024 * 1024,
            max_zip_entries: 2_000,
            max_xml_depth: 256,
            max_output_chars: 2_000_000,
        }
    }
}

/// The attachment formats we can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Docx,
    Odt,
    Pdf,
    Rtf,
    Html,
    Text,
}

impl DocumentKind {
    /// Detects the format from the file extension (preferred, because mail clients
    /// often send `application/octet-stream`) and falls back to the MIME type.
    /// Returns `None` for anything we do not read (images, legacy `.doc`, ...).
    pub fn detect(filename: Option<&str>, content_type: &str) -> Option<DocumentKind> {
        let by_extension = filename
            .and_then(|name| name.rsplit_once('.'))
            .and_then(|(_, ext)| Self::from_extension(ext));
        by_extension.or_else(|| Self::from_mime(content_type))
    }

    /// The name `oped extract --kind` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Docx => "docx",
            DocumentKind::Odt => "odt",
            DocumentKind::Pdf => "pdf",
            DocumentKind::Rtf => "rtf",
            DocumentKind::Html => "html",
            DocumentKind::Text => "text",
        }
    }

    pub const ALL: [DocumentKind; 6] = [
        DocumentKind::Docx,
        DocumentKind::Odt,
        DocumentKind::Pdf,
        DocumentKind::Rtf,
        DocumentKind::Html,
        DocumentKind::Text,
    ];

    /// The inverse of [`DocumentKind::as_str`].
    pub fn from_name(name: &str) -> Option<DocumentKind> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    fn from_extension(ext: &str) -> Option<DocumentKind> {
        let kind = match ext.trim().to_ascii_lowercase().as_str() {
            "docx" => DocumentKind::Docx,
            "odt" => DocumentKind::Odt,
            "pdf" => DocumentKind::Pdf,
            "rtf" => DocumentKind::Rtf,
            "html" | "htm" => DocumentKind::Html,
            "txt" | "md" | "markdown" => DocumentKind::Text,
            _ => return None,
        };
        Some(kind)
    }

    fn from_mime(content_type: &str) -> Option<DocumentKind> {
        // Parameters such as "; charset=utf-8" do not change the format.
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let kind = match essence.to_ascii_lowercase().as_str() {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
                DocumentKind::Docx
            }
            "application/vnd.oasis.opendocument.text" => DocumentKind::Odt,
            "application/pdf" => DocumentKind::Pdf,
            "application/rtf" | "text/rtf" => DocumentKind::Rtf,
            "text/html" => DocumentKind::Html,
            "text/plain" | "text/markdown" => DocumentKind::Text,
            _ => return None,
        };
        Some(kind)
    }
}

/// Plain text pulled out of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedDocument {
    /// Paragraphs separated by "\n\n", each trimmed; never contains empty paragraphs.
    pub text: String,
    /// The title from the document's own metadata, if it has one.
    pub title: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("document is too large")]
    TooLarge,
    #[error("archive has too many entries")]
    TooManyEntries,
    #[error("document structure is nested too deeply")]
    TooDeep,
    #[error("malformed document: {0}")]
    Malformed(String),
    #[error("document is encrypted")]
    Encrypted,
    #[error("document uses an unsupported feature")]
    Unsupported,
}

/// Extracts the text of `bytes`, interpreted as `kind`, within `limits`.
pub fn extract(
    kind: DocumentKind,
    bytes: &[u8],
    limits: &DocumentLimits,
) -> Result<ExtractedDocument, DocumentError> {
    // The raw input is never larger than what we would agree to decompress.
    if bytes.len() as u64 > limits.max_uncompressed_bytes {
        return Err(DocumentError::TooLarge);
    }
    match kind {
        DocumentKind::Docx => docx::extract(bytes, limits),
        DocumentKind::Odt => odt::extract(bytes, limits),
        DocumentKind::Pdf => pdf::extract(bytes, limits),
        DocumentKind::Rtf => rtf::extract(bytes, limits),
        DocumentKind::Html => html::extract(bytes, limits),
        DocumentKind::Text => text::extract(bytes, limits),
    }
}

/// Accumulates paragraphs while enforcing the output limit as text arrives,
/// so a huge document is refused before its text is held in memory.
pub(crate) struct TextBuilder {
    paragraphs: Vec<String>,
    current: String,
    chars: usize,
    max_chars: usize,
}

impl TextBuilder {
    pub(crate) fn new(max_chars: usize) -> Self {
        Self {
            paragraphs: Vec::new(),
            current: String::new(),
            chars: 0,
            max_chars,
        }
    }

    pub(crate) fn push_str(&mut self, s: &str) -> Result<(), DocumentError> {
        self.count(s.chars().count())?;
        self.current.push_str(s);
        Ok(())
    }

    pub(crate) fn push(&mut self, c: char) -> Result<(), DocumentError> {
        self.count(1)?;
        self.current.push(c);
        Ok(())
    }

    fn count(&mut self, n: usize) -> Result<(), DocumentError> {
        self.chars = self.chars.saturating_add(n);
        if self.chars > self.max_chars {
            Err(DocumentError::TooLarge)
        } else {
            Ok(())
        }
    }

    /// True if nothing but whitespace was written since the last paragraph break.
    pub(crate) fn paragraph_is_blank(&self) -> bool {
        self.current.trim().is_empty()
    }

    /// Closes the current paragraph. Blank lines inside it (e.g. two line breaks in
    /// a row) also split paragraphs, so "\n\n" only ever appears between paragraphs.
    pub(crate) fn end_paragraph(&mut self) {
        let current = std::mem::take(&mut self.current).replace("\r\n", "\n");
        let mut block = String::new();
        for line in current.split(['\n', '\r']) {
            let line = clean_line(line);
            if line.trim().is_empty() {
                self.flush_block(&mut block);
            } else {
                if !block.is_empty() {
                    block.push('\n');
                }
                block.push_str(&line);
            }
        }
        self.flush_block(&mut block);
    }

    fn flush_block(&mut self, block: &mut String) {
        let trimmed = block.trim();
        if !trimmed.is_empty() {
            self.paragraphs.push(trimmed.to_string());
        }
        block.clear();
    }

    pub(crate) fn finish(mut self) -> String {
        self.end_paragraph();
        self.paragraphs.join("\n\n")
    }
}

/// Drops control characters (NUL, form feeds, C1 controls...) that are meaningless
/// in plain text, keeping tabs, and trims the line end.
fn clean_line(line: &str) -> String {
    let cleaned: String = line
        .chars()
        .filter(|&c| c == '\t' || !c.is_control())
        .collect();
    cleaned.trim_end().to_string()
}

/// Normalises a metadata title: single-line, whitespace collapsed, bounded length.
pub(crate) fn clean_title(raw: &str) -> Option<String> {
    const MAX_TITLE_CHARS: usize = 1_000;
    let collapsed = raw
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let title: String = collapsed.chars().take(MAX_TITLE_CHARS).collect();
    if title.is_empty() { None } else { Some(title) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_prefers_extension_then_mime() {
        assert_eq!(
            DocumentKind::detect(Some("Op-Ed.DOCX"), "application/octet-stream"),
            Some(DocumentKind::Docx)
        );
        assert_eq!(
            DocumentKind::detect(Some("a.markdown"), ""),
            Some(DocumentKind::Text)
        );
        assert_eq!(
            DocumentKind::detect(Some("page.htm"), ""),
            Some(DocumentKind::Html)
        );
        assert_eq!(
            DocumentKind::detect(None, "Text/HTML; charset=utf-8"),
            Some(DocumentKind::Html)
        );
        assert_eq!(
            DocumentKind::detect(
                Some("noextension"),
                "application/vnd.oasis.opendocument.text"
            ),
            Some(DocumentKind::Odt)
        );
        assert_eq!(
            DocumentKind::detect(Some("x.rtf"), "image/png"),
            Some(DocumentKind::Rtf)
        );
        assert_eq!(
            DocumentKind::detect(None, "text/rtf"),
            Some(DocumentKind::Rtf)
        );
        assert_eq!(
            DocumentKind::detect(None, "application/pdf"),
            Some(DocumentKind::Pdf)
        );
    }

    #[test]
    fn detect_rejects_other_formats() {
        assert_eq!(DocumentKind::detect(Some("photo.jpg"), "image/jpeg"), None);
        assert_eq!(
            DocumentKind::detect(Some("old.doc"), "application/msword"),
            None
        );
        assert_eq!(DocumentKind::detect(None, ""), None);
    }

    #[test]
    fn builder_splits_blank_lines_and_drops_empty_paragraphs() {
        let mut b = TextBuilder::new(1_000);
        b.push_str("  first\u{0}  \n\n\nsecond\nline  ").unwrap();
        b.end_paragraph();
        b.end_paragraph();
        b.push_str("\t third ").unwrap();
        assert_eq!(b.finish(), "first\n\nsecond\nline\n\nthird");
    }

    #[test]
    fn builder_enforces_output_limit() {
        let mut b = TextBuilder::new(5);
        assert!(b.push_str("abcde").is_ok());
        assert!(matches!(b.push('f'), Err(DocumentError::TooLarge)));
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let limits = DocumentLimits {
            max_uncompressed_bytes: 4,
            ..DocumentLimits::default()
        };
        assert!(matches!(
            extract(DocumentKind::Text, b"hello", &limits),
            Err(DocumentError::TooLarge)
        ));
    }

    #[test]
    fn kind_names_round_trip() {
        for name in ["docx", "odt", "pdf", "rtf", "html", "text"] {
            assert_eq!(DocumentKind::from_name(name).unwrap().as_str(), name);
        }
        assert_eq!(DocumentKind::from_name("doc"), None);
    }

    /// Garbage must produce an error (or, for plain text, some text). A panic
    /// fails the test: in production it would end the child with a reason.
    #[test]
    fn garbage_never_panics() {
        let limits = DocumentLimits::default();
        let mut seed: u32 = 0x1234_5678;
        let mut garbage = Vec::with_capacity(4096);
        for _ in 0..4096 {
            // xorshift: deterministic noise without a rand dependency.
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            garbage.push(seed.to_le_bytes()[0]);
        }
        for kind in [
            DocumentKind::Docx,
            DocumentKind::Odt,
            DocumentKind::Pdf,
            DocumentKind::Rtf,
        ] {
            for input in [&garbage[..], b""] {
                assert!(
                    extract(kind, input, &limits).is_err(),
                    "{kind:?} accepted garbage"
                );
            }
        }
        // Truncated headers: any outcome is fine as long as nothing panics.
        let samples: [&[u8]; 6] = [
            b"PK\x03\x04",
            b"%PDF-1.4\n",
            b"{\\rtf1",
            b"<",
            b"\xff\xfe\x00",
            b"{",
        ];
        for kind in [
            DocumentKind::Docx,
            DocumentKind::Odt,
            DocumentKind::Pdf,
            DocumentKind::Rtf,
            DocumentKind::Html,
            DocumentKind::Text,
        ] {
            for sample in samples {
                let _ = extract(kind, sample, &limits);
            }
            let _ = extract(kind, &garbage, &limits);
        }
    }
}
