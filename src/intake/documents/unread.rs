//! Attachments the desk recognises as a piece's likely carrier but does not
//! read. They are never kept silently: each gets a reason for the editors,
//! and the acknowledgement asks the author for a format we read
//! (`outbox::enqueue_acknowledgement`).
//!
//! Legacy Word `.doc` (Word 97–2003) is one: its text lives in a piece
//! table inside an OLE compound file, with fast-saved and encrypted
//! variants, and Word has saved `.docx` by default since 2007. Rather than
//! a third parser to harden in the sandbox, the desk asks for a `.docx` or
//! the text in the mail.

use crate::intake::parse::MailAttachment;
use crate::intake::wrappers::tnef;

pub const LEGACY_WORD: &str =
    "not read: a Word 97-2003 .doc; the author is asked for a .docx or the text in the email";
pub const UNOPENED_TNEF: &str =
    "not read: Outlook's winmail.dat holds no file that could be unpacked";

/// Why an attachment that looks like the piece was kept without its text;
/// `None` for anything that is not a document (photos, signatures...).
pub fn unread_reason(filename: Option<&str>, content_type: &str) -> Option<String> {
    let extension = filename
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, ext)| ext.trim().to_ascii_lowercase());
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let legacy_word = match extension.as_deref() {
        Some(ext) => matches!(ext, "doc" | "dot"),
        None => essence.eq_ignore_ascii_case("application/msword"),
    };
    if legacy_word {
        return Some(LEGACY_WORD.into());
    }
    let attachment = MailAttachment {
        filename: filename.map(str::to_string),
        content_type: essence.to_ascii_lowercase(),
        content: Vec::new(),
    };
    tnef::is_tnef(&attachment).then(|| UNOPENED_TNEF.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_word_and_unopened_winmail_are_named_and_nothing_else() {
        assert_eq!(
            unread_reason(Some("Piece.DOC"), "application/octet-stream").as_deref(),
            Some(LEGACY_WORD)
        );
        assert_eq!(
            unread_reason(None, "application/msword").as_deref(),
            Some(LEGACY_WORD)
        );
        assert_eq!(
            unread_reason(Some("winmail.dat"), "application/octet-stream").as_deref(),
            Some(UNOPENED_TNEF)
        );
        assert_eq!(unread_reason(Some("photo.jpg"), "image/jpeg"), None);
        assert_eq!(
            unread_reason(Some("piece.docx"), "application/msword"),
            None
        );
    }
}
