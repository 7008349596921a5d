//! S/MIME opaque-signed mail (`application/pkcs7-mime;
//! smime-type=signed-data`, RFC 8551 §3.5.2): the whole message is inside
//! `smime.p7m`. We take the signed MIME entity out and read the message as
//! if it had been sent without the wrapper. The signature is not verified
//! (see [`super::ber`]); clear-signed mail needs nothing of this, as its
//! content is ordinary MIME already.

use mail_parser::{MessageParser, MimeHeaders};

use super::ber;

/// The message with its opaque signature opened: the outer headers (From,
/// Subject, Message-ID...) over the signed entity. `None` when the message
/// is not opaque-signed or its signature block cannot be read.
pub fn opened(raw: &[u8]) -> Option<Vec<u8>> {
    // Cheap refusal first: almost no mail names the type at all.
    let head_end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|window| window == b"\n\n"))
        .unwrap_or(raw.len());
    if !contains_ignore_case(&raw[..head_end], b"pkcs7-mime") {
        return None;
    }
    let message = MessageParser::default().parse(raw)?;
    let root = message.root_part();
    let content_type = root.content_type()?;
    let subtype = content_type.subtype()?.to_ascii_lowercase();
    if !content_type.ctype().eq_ignore_ascii_case("application")
        || !matches!(subtype.as_str(), "pkcs7-mime" | "x-pkcs7-mime")
    {
        return None;
    }
    // Enveloped (encrypted) data we cannot open; only signed data, named or
    // (for old clients that leave the parameter out) found in the bytes.
    if content_type
        .attribute("smime-type")
        .is_some_and(|kind| !kind.eq_ignore_ascii_case("signed-data"))
    {
        return None;
    }
    let entity = ber::signed_content(root.contents())?;

    let mut unwrapped = Vec::with_capacity(raw.len());
    for header in root.headers() {
        if header
            .name
            .as_str()
            .to_ascii_lowercase()
            .starts_with("content-")
        {
            continue; // the signed entity brings its own
        }
        let line = raw.get(header.offset_field as usize..header.offset_end as usize)?;
        unwrapped.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            unwrapped.extend_from_slice(b"\r\n");
        }
    }
    unwrapped.extend_from_slice(&entity);
    Some(unwrapped)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}
