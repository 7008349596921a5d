//! The text of a message's body as its author wrote it: every inline text
//! part in order, `format=flowed` joined back into paragraphs, undeclared
//! 8-bit text read as windows-1252. Pure.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::html::html_to_text;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};

use super::flowed::unflow;
use crate::text::clean;

/// The body's text: the inline `text/plain` parts in order, one paragraph
/// break between them (phones split a body around every inline photo);
/// only when there is none, the text of the HTML parts.
pub fn text_of(message: &Message<'_>) -> Option<String> {
    let body_parts: Vec<&MessagePart<'_>> = message
        .text_body
        .iter()
        .filter_map(|&id| message.parts.get(id as usize))
        .collect();
    let plain: Vec<String> = body_parts
        .iter()
        .filter(|part| matches!(part.body, PartType::Text(_)))
        .map(|part| plain_text(message, part))
        .collect();
    let texts = if plain.is_empty() {
        body_parts
            .iter()
            .filter_map(|part| match &part.body {
                PartType::Html(html) => Some(html_to_text(html)),
                _ => None,
            })
            .collect()
    } else {
        plain
    };
    let texts: Vec<String> = texts
        .iter()
        .map(|text| clean(text).trim_matches('\n').to_string())
        .filter(|text| !text.trim().is_empty())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n\n"))
}

fn plain_text(message: &Message<'_>, part: &MessagePart<'_>) -> String {
    let PartType::Text(decoded) = &part.body else {
        return String::new();
    };
    let content_type = part.content_type();
    let charset = content_type.and_then(|ct| ct.attribute("charset"));
    let text = match charset {
        None if decoded.contains('\u{fffd}') => {
            undeclared_8bit(message, part).unwrap_or_else(|| decoded.to_string())
        }
        _ => decoded.to_string(),
    };
    let flowed = content_type
        .and_then(|ct| ct.attribute("format"))
        .is_some_and(|format| format.eq_ignore_ascii_case("flowed"));
    if flowed {
        let delete_space = content_type
            .and_then(|ct| ct.attribute("delsp"))
            .is_some_and(|delsp| delsp.eq_ignore_ascii_case("yes"));
        unflow(&text, delete_space)
    } else {
        text
    }
}

/// A part that declares no charset and is not UTF-8 is read as
/// windows-1252, the WHATWG default for Latin text (and a superset of
/// ISO-8859-1, which old clients send undeclared). `None` when its bytes
/// cannot be found again or are UTF-8 after all.
fn undeclared_8bit(message: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    let raw = message
        .raw_message
        .get(part.raw_body_offset() as usize..part.raw_end_offset() as usize)?;
    let bytes = match part.encoding {
        Encoding::QuotedPrintable => quoted_printable_decode(raw)?,
        Encoding::Base64 => base64_decode(raw)?,
        Encoding::None => raw.to_vec(),
    };
    if std::str::from_utf8(&bytes).is_ok() {
        return None;
    }
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
    Some(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn body(raw: &[u8]) -> Option<String> {
        text_of(&MessageParser::default().parse(raw).unwrap())
    }

    #[test]
    fn every_inline_text_part_makes_the_body_in_order() {
        let raw = concat!(
            "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
            "--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nFirst paragraph.\r\n",
            "--b\r\nContent-Type: image/jpeg; name=IMG_0001.jpeg\r\nContent-Disposition: inline; filename=IMG_0001.jpeg\r\n",
            "Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRg==\r\n",
            "--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nLast paragraph.\r\n--b--\r\n"
        );
        assert_eq!(
            body(raw.as_bytes()).as_deref(),
            Some("First paragraph.\n\nLast paragraph.")
        );
    }

    #[test]
    fn flowed_parts_are_joined() {
        let raw = "From: a@example.org\r\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\nOne sen \r\ntence.\r\n";
        assert_eq!(body(raw.as_bytes()).as_deref(), Some("One sentence."));
    }

    #[test]
    fn undeclared_8bit_text_is_windows_1252() {
        let mut raw = b"From: a@example.org\r\nContent-Type: text/plain\r\n\r\nCaf".to_vec();
        raw.extend_from_slice(b"\xe9 \x93quoted\x94 \x80 5\r\n");
        assert_eq!(
            body(&raw).as_deref(),
            Some("Caf\u{e9} \u{201c}quoted\u{201d} \u{20ac} 5")
        );
    }

    #[test]
    fn undeclared_8bit_text_in_quoted_printable_is_windows_1252() {
        let raw = b"From: a@example.org\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nna=EFve\r\n";
        assert_eq!(body(raw).as_deref(), Some("na\u{ef}ve"));
    }

    #[test]
    fn undeclared_utf8_stays_utf8() {
        let raw = "From: a@example.org\r\n\r\nCafé — ok\r\n";
        assert_eq!(body(raw.as_bytes()).as_deref(), Some("Café — ok"));
    }

    #[test]
    fn html_only_mail_gives_its_text() {
        let raw =
            "From: a@example.org\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>there</b></p>\r\n";
        assert_eq!(body(raw.as_bytes()).as_deref(), Some("Hello there"));
    }
}
