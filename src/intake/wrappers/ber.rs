//! Just enough BER (the superset of DER that `openssl smime` streams, with
//! indefinite lengths and chunked octet strings) to take the signed content
//! out of a PKCS#7 / CMS `SignedData`. Signatures are not verified: the desk
//! authenticates senders by their domain's verdict, not by certificates.
//!
//! Every length is checked against the bytes present and nesting is
//! bounded, so hostile input costs at most a few passes over itself.

use std::ops::Range;

/// Deeper than any real `SignedData` (about eight levels to the content).
const MAX_DEPTH: usize = 32;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
const OCTET_STRING: u8 = 0x04;
const OCTET_STRING_CONSTRUCTED: u8 = 0x24;
const EXPLICIT_0: u8 = 0xA0;

/// 1.2.840.113549.1.7.2, id-signedData.
const ID_SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];

/// One element: its tag, where its contents lie, and where it ends.
#[derive(Debug, Clone)]
struct Element {
    tag: u8,
    contents: Range<usize>,
    end: usize,
}

fn read(bytes: &[u8], at: usize, depth: usize) -> Option<Element> {
    if depth > MAX_DEPTH {
        return None;
    }
    let tag = *bytes.get(at)?;
    if tag & 0x1F == 0x1F {
        return None; // multi-byte tags never occur in SignedData
    }
    let first = *bytes.get(at + 1)?;
    let mut start = at + 2;
    if first == 0x80 {
        // Indefinite: the contents run until an end-of-contents pair.
        if tag & 0x20 == 0 {
            return None;
        }
        let mut child = start;
        loop {
            if bytes.get(child..child + 2)? == [0, 0] {
                return Some(Element {
                    tag,
                    contents: start..child,
                    end: child + 2,
                });
            }
            child = read(bytes, child, depth + 1)?.end;
        }
    }
    let length = if first & 0x80 == 0 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7F);
        if count > 4 {
            return None;
        }
        let digits = bytes.get(start..start + count)?;
        start += count;
        digits
            .iter()
            .fold(0usize, |length, &digit| (length << 8) | usize::from(digit))
    };
    let end = start
        .checked_add(length)
        .filter(|&end| end <= bytes.len())?;
    Some(Element {
        tag,
        contents: start..end,
        end,
    })
}

/// The elements inside a constructed element, in order.
fn children(bytes: &[u8], parent: &Element, depth: usize) -> Option<Vec<Element>> {
    let mut found = Vec::new();
    let mut at = parent.contents.start;
    while at < parent.contents.end {
        let child = read(bytes, at, depth + 1)?;
        at = child.end;
        found.push(child);
    }
    Some(found)
}

fn expect(element: Element, tag: u8) -> Option<Element> {
    (element.tag == tag).then_some(element)
}

/// The content a `SignedData` carries (for S/MIME, the inner MIME entity),
/// or `None` when the bytes are not an attached-content `SignedData`.
pub fn signed_content(bytes: &[u8]) -> Option<Vec<u8>> {
    let content_info = expect(read(bytes, 0, 0)?, SEQUENCE)?;
    let mut parts = children(bytes, &content_info, 0)?.into_iter();
    let kind = expect(parts.next()?, OID)?;
    if bytes[kind.contents] != *ID_SIGNED_DATA {
        return None;
    }
    let wrapper = expect(parts.next()?, EXPLICIT_0)?;
    let signed_data = expect(children(bytes, &wrapper, 1)?.into_iter().next()?, SEQUENCE)?;
    let mut fields = children(bytes, &signed_data, 2)?.into_iter();
    expect(fields.next()?, INTEGER)?;
    expect(fields.next()?, SET)?;
    let encapsulated = expect(fields.next()?, SEQUENCE)?;
    let mut inner = children(bytes, &encapsulated, 3)?.into_iter();
    expect(inner.next()?, OID)?;
    // Detached signatures (the clear-signed kind) have no content here.
    let explicit = expect(inner.next()?, EXPLICIT_0)?;
    let octets = children(bytes, &explicit, 4)?.into_iter().next()?;
    let mut content = Vec::new();
    append_octets(bytes, &octets, 5, &mut content)?;
    Some(content)
}

/// An octet string's bytes, joining the chunks of a constructed one.
fn append_octets(bytes: &[u8], element: &Element, depth: usize, out: &mut Vec<u8>) -> Option<()> {
    match element.tag {
        OCTET_STRING => out.extend_from_slice(&bytes[element.contents.clone()]),
        OCTET_STRING_CONSTRUCTED if depth < MAX_DEPTH => {
            for chunk in children(bytes, element, depth)? {
                append_octets(bytes, &chunk, depth + 1, out)?;
            }
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if contents.len() < 0x80 {
            out.push(contents.len() as u8);
        } else {
            out.push(0x82);
            out.extend((contents.len() as u16).to_be_bytes());
        }
        out.extend(contents);
        out
    }

    fn indefinite(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag, 0x80];
        out.extend(contents);
        out.extend([0, 0]);
        out
    }

    fn signed_data(content: Vec<u8>, wrap: fn(u8, &[u8]) -> Vec<u8>) -> Vec<u8> {
        let id_data = tlv(OID, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]);
        let encapsulated = wrap(SEQUENCE, &[id_data, wrap(EXPLICIT_0, &content)].concat());
        let signed = wrap(
            SEQUENCE,
            &[
                tlv(INTEGER, &[1]),
                tlv(SET, &[]),
                encapsulated,
                wrap(SET, &tlv(SEQUENCE, b"signer")),
            ]
            .concat(),
        );
        wrap(
            SEQUENCE,
            &[tlv(OID, ID_SIGNED_DATA), wrap(EXPLICIT_0, &signed)].concat(),
        )
    }

    #[test]
    fn reads_der_and_streamed_ber() {
        let der = signed_data(
            tlv(OCTET_STRING, b"Content-Type: text/plain\r\n\r\nHi"),
            tlv,
        );
        assert_eq!(
            signed_content(&der).unwrap(),
            b"Content-Type: text/plain\r\n\r\nHi"
        );
        let chunks = [
            tlv(OCTET_STRING, b"Content-Type: "),
            tlv(OCTET_STRING, b"text/plain"),
        ]
        .concat();
        let ber = signed_data(indefinite(OCTET_STRING_CONSTRUCTED, &chunks), indefinite);
        assert_eq!(signed_content(&ber).unwrap(), b"Content-Type: text/plain");
    }

    #[test]
    fn refuses_what_is_not_attached_signed_data() {
        assert_eq!(signed_content(b""), None);
        assert_eq!(signed_content(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]), None);
        assert_eq!(signed_content(&[0x30, 0x80, 0x30, 0x80]), None);
        // Nesting deeper than any real structure ends the walk.
        let deep: Vec<u8> = std::iter::repeat_n([0x30, 0x80], 10_000)
            .flatten()
            .collect();
        assert_eq!(signed_content(&deep), None);
        let other = tlv(
            SEQUENCE,
            &tlv(OID, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03]),
        );
        assert_eq!(signed_content(&other), None);
    }
}
