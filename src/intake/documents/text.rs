//! Plain text and Markdown: charset detection, then blank lines separate paragraphs.

use encoding_rs::{UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::{DocumentError, DocumentLimits, ExtractedDocument, TextBuilder};

pub(super) fn extract(
    bytes: &[u8],
    limits: &DocumentLimits,
) -> Result<ExtractedDocument, DocumentError> {
    let decoded = decode(bytes);
    let mut out = TextBuilder::new(limits.max_output_chars);
    // The builder splits on blank lines (and understands "\r\n" and "\r").
    out.push_str(&decoded)?;
    Ok(ExtractedDocument {
        text: out.finish(),
        title: None,
    })
}

/// Decodes text of unknown charset. Never fails: anything is valid windows-1252.
pub(super) fn decode(bytes: &[u8]) -> String {
    decode_with_bom(bytes).unwrap_or_else(|| decode_without_bom(bytes))
}

/// Honours a byte-order mark, which is the only reliable charset signal in a bare file.
pub(super) fn decode_with_bom(bytes: &[u8]) -> Option<String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Some(UTF_8.decode_without_bom_handling(rest).0.into_owned());
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Some(UTF_16LE.decode_without_bom_handling(rest).0.into_owned());
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Some(UTF_16BE.decode_without_bom_handling(rest).0.into_owned());
    }
    None
}

/// Valid UTF-8 is almost never accidental, so it wins; otherwise assume the
/// Windows Western code page that Outlook and Word use for "ANSI" text.
pub(super) fn decode_without_bom(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> String {
        let limits = DocumentLimits::default();
        extract(bytes, &limits).unwrap().text
    }

    #[test]
    fn utf8_with_bom_and_crlf_paragraphs() {
        let text =
            run(b"\xEF\xBB\xBFFirst line\r\nstill first\r\n\r\n  Second \xC3\xA9  \r\n\r\n\r\n");
        assert_eq!(text, "First line\nstill first\n\nSecond \u{e9}");
    }

    #[test]
    fn windows_1252_fallback() {
        // 0xE9 = é, 0x93/0x94 = curly quotes, 0x80 = euro sign in windows-1252.
        let text = run(b"Caf\xE9 \x93quoted\x94 \x80 5");
        assert_eq!(text, "Caf\u{e9} \u{201c}quoted\u{201d} \u{20ac} 5");
    }

    #[test]
    fn utf16le_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "Hello\n\nWorld \u{e9}".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(run(&bytes), "Hello\n\nWorld \u{e9}");
    }

    #[test]
    fn utf16be_with_bom() {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in "Hi \u{1F600}".encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(run(&bytes), "Hi \u{1F600}");
    }

    #[test]
    fn markdown_is_kept_verbatim() {
        assert_eq!(run(b"# Title\n\nSome *text*.\n"), "# Title\n\nSome *text*.");
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(run(b"a\x00b\x0cc\x1bd\te"), "abcd\te");
    }

    #[test]
    fn output_limit_applies() {
        let limits = DocumentLimits {
            max_output_chars: 10,
            ..DocumentLimits::default()
        };
        assert!(matches!(
            extract(&[b'a'; 11], &limits),
            Err(DocumentError::TooLarge)
        ));
    }
}
