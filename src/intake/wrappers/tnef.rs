//! Outlook's `winmail.dat` (`application/ms-tnef`, MS-OXTNEF): the files
//! packed inside it, so the `.docx` an Outlook user attached is read like any
//! other attachment.
//!
//! Only the attachment attributes are read: the message's own body travels
//! beside the TNEF part as ordinary text. Every length comes from the sender
//! and is checked against the bytes that are actually there, so a hostile
//! file can make us copy at most its own size, once.

use std::ops::Range;

use super::super::attachment::MailAttachment;
use crate::text::clean;

const SIGNATURE: u32 = 0x223E_9F78;
const LEVEL_ATTACHMENT: u8 = 0x02;
/// Starts every attachment's attributes.
const ATT_ATTACH_REND_DATA: u32 = 0x0006_9002;
/// The short (often 8.3) file name, in the sender's code page.
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
const ATT_ATTACH_DATA: u32 = 0x0006_800F;
/// The attachment's MAPI properties: its long file name and MIME type.
const ATT_ATTACHMENT: u32 = 0x0006_9005;

const PID_TAG_ATTACH_LONG_FILENAME: u16 = 0x3707;
const PID_TAG_ATTACH_MIME_TAG: u16 = 0x370E;

/// More files than any mail program packs into one message.
const MAX_ATTACHMENTS: usize = 64;

/// Is this part a TNEF container, by its type or Outlook's fixed name?
pub fn is_tnef(attachment: &MailAttachment) -> bool {
    matches!(
        attachment.content_type.as_str(),
        "application/ms-tnef" | "application/vnd.ms-tnef"
    ) || attachment
        .filename
        .as_deref()
        .is_some_and(|name| name.eq_ignore_ascii_case("winmail.dat"))
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TnefError {
    #[error("not a TNEF stream")]
    NotTnef,
    #[error("TNEF attribute runs past the end of the data")]
    Truncated,
    #[error("more than {MAX_ATTACHMENTS} files in one TNEF stream")]
    TooManyFiles,
}

#[derive(Default)]
struct Packed {
    title: Option<String>,
    long_name: Option<String>,
    mime_type: Option<String>,
    data: Option<Range<usize>>,
}

/// The files inside a TNEF stream, in order. Files without data (embedded
/// messages, OLE objects Outlook renders itself) are left out.
pub fn unpack(bytes: &[u8]) -> Result<Vec<MailAttachment>, TnefError> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.u32()? != SIGNATURE {
        return Err(TnefError::NotTnef);
    }
    reader.take(2)?; // the legacy key, meaningless since Exchange 5.5
    let mut packed: Vec<Packed> = Vec::new();
    while reader.at < bytes.len() {
        let level = reader.u8()?;
        let id = reader.u32()?;
        let length = reader.u32()? as usize;
        let data = reader.take(length)?;
        reader.take(2)?; // checksum: a damaged file still yields what it can
        if level != LEVEL_ATTACHMENT {
            continue;
        }
        if id == ATT_ATTACH_REND_DATA {
            if packed.len() == MAX_ATTACHMENTS {
                return Err(TnefError::TooManyFiles);
            }
            packed.push(Packed::default());
            continue;
        }
        let Some(current) = packed.last_mut() else {
            continue;
        };
        match id {
            ATT_ATTACH_TITLE => current.title = string8(&bytes[data]),
            ATT_ATTACH_DATA => current.data = Some(data),
            ATT_ATTACHMENT => {
                let properties = names_in_properties(&bytes[data]);
                current.long_name = properties.long_name.or(current.long_name.take());
                current.mime_type = properties.mime_type.or(current.mime_type.take());
            }
            _ => {}
        }
    }
    Ok(packed
        .into_iter()
        .filter_map(|file| {
            let data = file.data?;
            Some(MailAttachment {
                filename: file.long_name.or(file.title),
                content_type: file
                    .mime_type
                    .map(|mime| mime.to_ascii_lowercase())
                    .filter(|mime| mime.contains('/') && mime.is_ascii())
                    .unwrap_or_else(|| "application/octet-stream".into()),
                content: bytes[data].to_vec(),
            })
        })
        .collect())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    /// The range of the next `length` bytes, if they are all there.
    fn take(&mut self, length: usize) -> Result<Range<usize>, TnefError> {
        let end = self
            .at
            .checked_add(length)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(TnefError::Truncated)?;
        let range = self.at..end;
        self.at = end;
        Ok(range)
    }

    fn u8(&mut self) -> Result<u8, TnefError> {
        let range = self.take(1)?;
        Ok(self.bytes[range.start])
    }

    fn u16(&mut self) -> Result<u16, TnefError> {
        let range = self.take(2)?;
        Ok(u16::from_le_bytes([
            self.bytes[range.start],
            self.bytes[range.start + 1],
        ]))
    }

    fn u32(&mut self) -> Result<u32, TnefError> {
        let range = self.take(4)?;
        let mut word = [0u8; 4];
        word.copy_from_slice(&self.bytes[range]);
        Ok(u32::from_le_bytes(word))
    }

    /// Skips to the next multiple of four, as MAPI values are padded.
    fn align(&mut self) -> Result<(), TnefError> {
        let padding = (4 - self.at % 4) % 4;
        self.take(padding).map(drop)
    }
}

/// A NUL-terminated string in the sender's ANSI code page: Western Outlook
/// writes windows-1252, which also reads ASCII right.
fn string8(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes[..end]);
    let text = clean(text.trim());
    (!text.is_empty()).then_some(text)
}

fn unicode(bytes: &[u8]) -> Option<String> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .take_while(|&unit| unit != 0)
        .collect();
    let text = clean(String::from_utf16_lossy(&units).trim());
    (!text.is_empty()).then_some(text)
}

#[derive(Default)]
struct Names {
    long_name: Option<String>,
    mime_type: Option<String>,
}

/// The long file name and MIME type among an attachment's MAPI properties.
/// A property this reader cannot size ends the walk with what was found:
/// the short title still names the file.
fn names_in_properties(bytes: &[u8]) -> Names {
    let mut names = Names::default();
    let _ = walk_properties(bytes, &mut names);
    names
}

const PT_STRING8: u16 = 0x001E;
const PT_UNICODE: u16 = 0x001F;
const MV_FLAG: u16 = 0x1000;

fn walk_properties(bytes: &[u8], names: &mut Names) -> Result<(), TnefError> {
    let mut reader = Reader { bytes, at: 0 };
    let count = reader.u32()?;
    for _ in 0..count {
        let kind = reader.u16()?;
        let id = reader.u16()?;
        if id >= 0x8000 {
            // A named property: its GUID, then a number or a UTF-16 name.
            reader.take(16)?;
            if reader.u32()? == 1 {
                let length = reader.u32()? as usize;
                reader.take(length)?;
                reader.align()?;
            } else {
                reader.take(4)?;
            }
        }
        let values = if kind & MV_FLAG != 0 {
            reader.u32()?
        } else {
            1
        };
        let base = kind & !MV_FLAG;
        for _ in 0..values {
            match fixed_size(base) {
                Some(size) => {
                    reader.take(size)?;
                }
                None => {
                    let variable = matches!(base, PT_STRING8 | PT_UNICODE | 0x0102 | 0x000D);
                    if !variable {
                        return Err(TnefError::NotTnef);
                    }
                    // Single values also carry a count of one before their length.
                    if kind & MV_FLAG == 0 {
                        reader.u32()?;
                    }
                    let length = reader.u32()? as usize;
                    let value = &bytes[reader.take(length)?];
                    reader.align()?;
                    let text = match base {
                        PT_STRING8 => string8(value),
                        PT_UNICODE => unicode(value),
                        _ => None,
                    };
                    match id {
                        PID_TAG_ATTACH_LONG_FILENAME => names.long_name = text,
                        PID_TAG_ATTACH_MIME_TAG => names.mime_type = text,
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(())
}

/// The stored size of a fixed-width MAPI type (short and boolean values are
/// padded to four bytes).
fn fixed_size(kind: u16) -> Option<usize> {
    match kind {
        0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B => Some(4),
        0x0005 | 0x0006 | 0x0007 | 0x0014 | 0x0040 => Some(8),
        0x0048 => Some(16),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One TNEF attribute: level, id, length, data, checksum.
    fn attribute(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
        let mut out = vec![level];
        out.extend(id.to_le_bytes());
        out.extend((data.len() as u32).to_le_bytes());
        out.extend(data);
        let checksum = data.iter().map(|&b| u32::from(b)).sum::<u32>() as u16;
        out.extend(checksum.to_le_bytes());
        out
    }

    fn stream(attributes: &[Vec<u8>]) -> Vec<u8> {
        let mut out = SIGNATURE.to_le_bytes().to_vec();
        out.extend(0x0001u16.to_le_bytes());
        for attribute in attributes {
            out.extend(attribute);
        }
        out
    }

    fn unicode_property(id: u16, text: &str) -> Vec<u8> {
        let mut value: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        value.extend([0, 0]);
        let mut out = PT_UNICODE.to_le_bytes().to_vec();
        out.extend(id.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.extend((value.len() as u32).to_le_bytes());
        out.extend(&value);
        out.resize(out.len() + (4 - value.len() % 4) % 4, 0);
        out
    }

    #[test]
    fn files_are_unpacked_with_their_long_names() {
        let mut properties = 3u32.to_le_bytes().to_vec();
        // A boolean before the names, as Outlook writes PR_ATTACH_FLAGS.
        properties.extend(0x000Bu16.to_le_bytes());
        properties.extend(0x3714u16.to_le_bytes());
        properties.extend([1, 0, 0, 0]);
        properties.extend(unicode_property(0x3707, "Gaza ceasefire – final.docx"));
        properties.extend(unicode_property(0x370E, "application/msword-ish"));
        let bytes = stream(&[
            attribute(1, 0x0009_8008, b"IPM.Microsoft Mail.Note\0"),
            attribute(2, ATT_ATTACH_REND_DATA, &[0; 14]),
            attribute(2, ATT_ATTACH_TITLE, b"GAZACE~1.DOC\0"),
            attribute(2, ATT_ATTACH_DATA, b"the document"),
            attribute(2, ATT_ATTACHMENT, &properties),
            attribute(2, ATT_ATTACH_REND_DATA, &[0; 14]),
            attribute(2, ATT_ATTACH_TITLE, b"notes.txt\0"),
            attribute(2, ATT_ATTACH_DATA, b"second"),
        ]);
        let files = unpack(&bytes).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(
            files[0].filename.as_deref(),
            Some("Gaza ceasefire – final.docx")
        );
        assert_eq!(files[0].content_type, "application/msword-ish");
        assert_eq!(files[0].content, b"the document");
        assert_eq!(files[1].filename.as_deref(), Some("notes.txt"));
        assert_eq!(files[1].content_type, "application/octet-stream");
    }

    #[test]
    fn lengths_past_the_end_are_refused_not_trusted() {
        let mut bytes = stream(&[attribute(2, ATT_ATTACH_REND_DATA, &[0; 14])]);
        bytes.push(2);
        bytes.extend(ATT_ATTACH_DATA.to_le_bytes());
        bytes.extend(u32::MAX.to_le_bytes());
        bytes.extend(b"short");
        assert_eq!(unpack(&bytes).unwrap_err(), TnefError::Truncated);
        assert_eq!(unpack(b"PK\x03\x04").unwrap_err(), TnefError::NotTnef);
        assert_eq!(unpack(b"").unwrap_err(), TnefError::Truncated);
    }

    #[test]
    fn a_hostile_property_count_ends_the_walk_without_harm() {
        let mut properties = u32::MAX.to_le_bytes().to_vec();
        properties.extend(unicode_property(0x3707, "piece.docx"));
        let bytes = stream(&[
            attribute(2, ATT_ATTACH_REND_DATA, &[]),
            attribute(2, ATT_ATTACH_TITLE, b"PIECE~1.DOC\0"),
            attribute(2, ATT_ATTACH_DATA, b"x"),
            attribute(2, ATT_ATTACHMENT, &properties),
        ]);
        let files = unpack(&bytes).unwrap();
        assert_eq!(files[0].filename.as_deref(), Some("piece.docx"));
    }

    #[test]
    fn too_many_files_are_refused() {
        let attributes: Vec<Vec<u8>> = (0..=MAX_ATTACHMENTS)
            .map(|_| attribute(2, ATT_ATTACH_REND_DATA, &[]))
            .collect();
        assert_eq!(
            unpack(&stream(&attributes)).unwrap_err(),
            TnefError::TooManyFiles
        );
    }
}
