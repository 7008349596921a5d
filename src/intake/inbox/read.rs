//! An inbox message as an editor reads it: the text the intake itself
//! reads from the kept bytes (`parse::parse_mail`, the same limits), plain
//! and bounded, and what is attached to it. Pure: the caller fetched the
//! bytes and holds no connection while this runs.

use crate::config::IntakeLimits;
use crate::intake::parse::parse_mail;

/// No more of a message's text than this is shown: a letter is read in a
/// page, and a 25 MiB body would only stall the browser.
pub const MAX_READ_CHARS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageReading {
    /// The body as plain text (the HTML's text when it has only HTML);
    /// `None` when it has no text, or cannot be read.
    pub text: Option<String>,
    /// The text was cut at [`MAX_READ_CHARS`].
    pub truncated: bool,
    pub attachments: Vec<AttachedFile>,
    /// Why the intake cannot read it, when it cannot (the kept head of an
    /// oversized message, a broken header section).
    pub unreadable: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedFile {
    pub filename: Option<String>,
    pub content_type: String,
    pub size: usize,
}

/// Reads `raw` as the intake would.
pub fn read(raw: &[u8], limits: &IntakeLimits) -> MessageReading {
    let mail = match parse_mail(raw, limits) {
        Ok(mail) => mail,
        Err(reason) => {
            return MessageReading {
                text: None,
                truncated: false,
                attachments: Vec::new(),
                unreadable: Some(reason.to_string()),
            };
        }
    };
    let (text, truncated) = match mail.text_body {
        Some(text) => {
            let (text, truncated) = bounded(text);
            (Some(text), truncated)
        }
        None => (None, false),
    };
    MessageReading {
        text,
        truncated,
        attachments: mail
            .attachments
            .iter()
            .map(|attachment| AttachedFile {
                filename: attachment.filename.clone(),
                content_type: attachment.content_type.clone(),
                size: attachment.content.len(),
            })
            .collect(),
        unreadable: None,
    }
}

fn bounded(text: String) -> (String, bool) {
    match text.char_indices().nth(MAX_READ_CHARS) {
        Some((cut, _)) => (text[..cut].to_string(), true),
        None => (text, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> IntakeLimits {
        IntakeLimits::default()
    }

    #[test]
    fn a_letter_reads_as_its_text_and_its_files() {
        let raw = b"From: Reader <reader@example.com>\r\nSubject: Hello\r\n\
            MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDear editor,\r\n\
            --b\r\nContent-Type: application/pdf\r\n\
            Content-Disposition: attachment; filename=\"notes.pdf\"\r\n\r\n%PDF-1\r\n--b--\r\n";
        let reading = read(raw, &limits());
        assert_eq!(reading.text.as_deref(), Some("Dear editor,"));
        assert!(!reading.truncated);
        assert_eq!(
            reading.attachments,
            vec![AttachedFile {
                filename: Some("notes.pdf".into()),
                content_type: "application/pdf".into(),
                size: 6,
            }]
        );
        assert_eq!(reading.unreadable, None);
    }

    #[test]
    fn a_long_text_is_cut_and_says_so() {
        let raw = format!(
            "From: a@example.com\r\nSubject: Long\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            "é".repeat(MAX_READ_CHARS + 10)
        );
        let reading = read(raw.as_bytes(), &limits());
        assert!(reading.truncated);
        assert_eq!(reading.text.unwrap().chars().count(), MAX_READ_CHARS);
    }

    #[test]
    fn mail_the_intake_cannot_read_says_why() {
        let reading = read(b"Subject: no sender\r\n\r\nhi\r\n", &limits());
        assert_eq!(reading.text, None);
        assert!(reading.unreadable.unwrap().contains("no sender"));
    }
}
