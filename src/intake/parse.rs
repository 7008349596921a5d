//! Raw RFC 5322 bytes → [`ParsedMail`], or the reason the message must be
//! quarantined. Pure: no database, clock or network.

use crate::text::clean;
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};

use super::IntakeLimits;
use super::body;

/// What the rest of intake needs from a message, decoded to UTF-8.
#[derive(Debug, Clone)]
pub struct ParsedMail {
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    pub sender: Mailbox,
    /// The decoded subject, whitespace collapsed; empty when there is none.
    pub subject: String,
    /// Message-IDs named by `In-Reply-To` and `References`, nearest first.
    pub thread_ids: Vec<String>,
    /// Top-level headers as (lower-case name, unfolded raw value), in order.
    pub headers: Vec<(String, String)>,
    /// The MIME type of the top-level part, such as `multipart/report`.
    pub root_content_type: String,
    /// The plain-text body (converted from HTML when the mail has only HTML).
    pub text_body: Option<String>,
    /// The HTML body as sent, unsanitised: only `draft` may turn it into output.
    pub html_body: Option<String>,
    pub attachments: Vec<MailAttachment>,
    /// The first message forwarded as an attachment (`message/rfc822`).
    pub forwarded: Option<Box<ForwardedMail>>,
}

/// A message forwarded as an attachment, read like the mail itself (it is
/// also kept among the mail's attachments, as sent).
#[derive(Debug, Clone)]
pub struct ForwardedMail {
    pub sender: Option<Mailbox>,
    pub text_body: Option<String>,
    pub attachments: Vec<MailAttachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Lower-cased, so that replies match whatever case a client uses.
    pub email: String,
    pub name: Option<String>,
}

impl Mailbox {
    /// The part after the `@`: whose domain the address claims to be.
    pub fn domain(&self) -> &str {
        self.email.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

pub use super::attachment::MailAttachment;

/// Why a message cannot become anything but a quarantined record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuarantineReason {
    #[error("message is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("message has no header section that can be parsed")]
    Unparseable,
    #[error("message has no sender address (From or Sender)")]
    NoSender,
    #[error("the sender address is {length} bytes, over the limit of {limit} bytes")]
    SenderTooLong { length: usize, limit: usize },
    #[error("message has {count} MIME parts, over the limit of {limit}")]
    TooManyParts { count: usize, limit: usize },
    #[error("message nests MIME parts {depth} deep, over the limit of {limit}")]
    TooDeep { depth: usize, limit: usize },
    /// The database refused to record the message itself, every try: a value
    /// it will not take (`intake::poison`).
    #[error("the database refused to record the message: {error}")]
    Refused { error: String },
}

impl QuarantineReason {
    /// A stable machine-readable name for the reason.
    pub fn code(&self) -> &'static str {
        match self {
            QuarantineReason::TooLarge { .. } => "too_large",
            QuarantineReason::Unparseable => "unparseable",
            QuarantineReason::NoSender => "no_sender",
            QuarantineReason::SenderTooLong { .. } => "sender_too_long",
            QuarantineReason::TooManyParts { .. } => "too_many_parts",
            QuarantineReason::TooDeep { .. } => "too_deep",
            QuarantineReason::Refused { .. } => "refused_by_database",
        }
    }
}

/// The longest sender address taken: SMTP carries no longer one (a path of
/// at most 256 octets, its angle brackets included).
pub const MAX_ADDRESS_BYTES: usize = 254;

/// Parses a message within `limits`. Never panics, whatever the bytes.
pub fn parse_mail(raw: &[u8], limits: &IntakeLimits) -> Result<ParsedMail, QuarantineReason> {
    if raw.len() > limits.max_message_bytes {
        return Err(QuarantineReason::TooLarge {
            size: raw.len(),
            limit: limits.max_message_bytes,
        });
    }
    let opened = super::wrappers::smime::opened(raw);
    let raw = opened.as_deref().unwrap_or(raw);
    let message = MessageParser::default()
        .parse(raw)
        .filter(|message| !message.headers().is_empty())
        .ok_or(QuarantineReason::Unparseable)?;
    check_structure(&message, limits)?;

    let sender = sender_of(&message).ok_or(QuarantineReason::NoSender)?;
    // An address no mail can be sent back to (RFC 5321 §4.5.3.1), and a
    // value for the authors' index that must stay bounded.
    if sender.email.len() > MAX_ADDRESS_BYTES {
        return Err(QuarantineReason::SenderTooLong {
            length: sender.email.len(),
            limit: MAX_ADDRESS_BYTES,
        });
    }
    let mut thread_ids = id_list(message.in_reply_to());
    for id in id_list(message.references()).into_iter().rev() {
        if !thread_ids.contains(&id) {
            thread_ids.push(id);
        }
    }

    Ok(ParsedMail {
        message_id: message
            .message_id()
            .map(clean_message_id)
            .filter(|id| !id.is_empty()),
        sender,
        subject: message
            .subject()
            .map(collapse_whitespace)
            .unwrap_or_default(),
        thread_ids,
        headers: message
            .headers_raw()
            .map(|(name, value)| (name.to_ascii_lowercase(), collapse_whitespace(value)))
            .collect(),
        root_content_type: mime_type(message.root_part()).unwrap_or_else(|| "text/plain".into()),
        text_body: body::text_of(&message),
        html_body: message.html_bodies().find_map(|part| match &part.body {
            PartType::Html(html) => Some(clean(html)),
            _ => None,
        }),
        attachments: super::wrappers::opened_attachments(message.attachments().map(attachment_of)),
        forwarded: forwarded_of(&message),
    })
}

fn forwarded_of(message: &Message<'_>) -> Option<Box<ForwardedMail>> {
    let forwarded = message.attachments().find_map(|part| match &part.body {
        PartType::Message(forwarded) => Some(forwarded),
        _ => None,
    })?;
    Some(Box::new(ForwardedMail {
        sender: sender_of(forwarded),
        text_body: body::text_of(forwarded),
        attachments: forwarded.attachments().map(attachment_of).collect(),
    }))
}

/// Refuses messages whose MIME tree is larger or deeper than any real
/// submission, before any of their parts is decoded further.
fn check_structure(message: &Message<'_>, limits: &IntakeLimits) -> Result<(), QuarantineReason> {
    let count = message.parts.len();
    if count > limits.max_mime_parts {
        return Err(QuarantineReason::TooManyParts {
            count,
            limit: limits.max_mime_parts,
        });
    }
    // Walk the tree with an explicit stack: a hostile message must not be able
    // to exhaust ours. Child ids always point forward, so the walk ends.
    let mut deepest = 0;
    let mut stack = vec![(0usize, 1usize)];
    while let Some((id, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        if deepest > limits.max_mime_depth {
            return Err(QuarantineReason::TooDeep {
                depth: deepest,
                limit: limits.max_mime_depth,
            });
        }
        if let Some(PartType::Multipart(children)) = message.parts.get(id).map(|part| &part.body) {
            stack.extend(
                children
                    .iter()
                    .map(|&child| child as usize)
                    .filter(|&child| child > id)
                    .map(|child| (child, depth + 1)),
            );
        }
    }
    Ok(())
}

fn sender_of(message: &Message<'_>) -> Option<Mailbox> {
    let address = message
        .from()
        .and_then(|from| from.first())
        .or_else(|| message.sender().and_then(|sender| sender.first()))?;
    let email = clean(address.address()?.trim()).to_lowercase();
    let (local, domain) = email.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || email.contains(char::is_whitespace) {
        return None;
    }
    let name = address
        .name()
        .map(collapse_whitespace)
        .filter(|name| !name.is_empty() && name.to_lowercase() != email);
    Some(Mailbox { email, name })
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.as_ref()).collect(),
        _ => Vec::new(),
    };
    ids.into_iter()
        .map(clean_message_id)
        .filter(|id| !id.is_empty())
        .collect()
}

/// Message-IDs are compared without angle brackets or surrounding space.
pub fn clean_message_id(id: &str) -> String {
    clean(
        id.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim(),
    )
}

fn mime_type(part: &mail_parser::MessagePart<'_>) -> Option<String> {
    let content_type = part.content_type()?;
    Some(
        match content_type.subtype() {
            Some(subtype) => format!("{}/{}", content_type.ctype(), subtype),
            None => content_type.ctype().to_string(),
        }
        .to_ascii_lowercase(),
    )
}

fn attachment_of(part: &mail_parser::MessagePart<'_>) -> MailAttachment {
    MailAttachment {
        filename: part
            .attachment_name()
            .map(collapse_whitespace)
            .filter(|name| !name.is_empty()),
        content_type: mime_type(part)
            .map_or_else(|| "application/octet-stream".into(), |t| clean(&t)),
        content: part.contents().to_vec(),
    }
}

pub fn collapse_whitespace(text: &str) -> String {
    clean(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<ParsedMail, QuarantineReason> {
        parse_mail(raw.as_bytes(), &IntakeLimits::default())
    }

    #[test]
    fn reads_sender_subject_and_thread_ids() {
        let mail = parse(
            "From: \"Amal Haddad\" <Amal.Haddad@Example.org>\r\nSubject: Re: =?utf-8?Q?Op=E2=80=93Ed?=\r\n\
             Message-ID: <a@b>\r\nIn-Reply-To: <x@y>\r\nReferences: <w@y> <x@y>\r\n\r\nHello\r\n",
        )
        .unwrap();
        assert_eq!(mail.sender.email, "amal.haddad@example.org");
        assert_eq!(mail.sender.name.as_deref(), Some("Amal Haddad"));
        assert_eq!(mail.subject, "Re: Op\u{2013}Ed");
        assert_eq!(mail.message_id.as_deref(), Some("a@b"));
        assert_eq!(mail.thread_ids, vec!["x@y", "w@y"]);
        assert_eq!(mail.text_body.as_deref().map(str::trim), Some("Hello"));
    }

    #[test]
    fn nul_characters_never_reach_the_database() {
        let mail = parse(
            "From: \"A\0B\" <a\0@example.org>\r\nSubject: Op-Ed: x\0y\r\nMessage-ID: <n\0ul@x>\r\n\r\nbody\0text\r\n",
        )
        .unwrap();
        assert_eq!(mail.sender.email, "a@example.org");
        assert_eq!(mail.sender.name.as_deref(), Some("AB"));
        assert_eq!(mail.subject, "Op-Ed: xy");
        assert_eq!(mail.message_id.as_deref(), Some("nul@x"));
        assert!(!mail.text_body.unwrap().contains('\0'));
    }

    #[test]
    fn no_sender_is_quarantined() {
        let err = parse("To: oped@example.net\r\nSubject: Op-Ed: x\r\n\r\nbody\r\n").unwrap_err();
        assert_eq!(err, QuarantineReason::NoSender);
    }

    #[test]
    fn a_sender_address_longer_than_smtp_carries_is_quarantined() {
        let local = "a".repeat(MAX_ADDRESS_BYTES);
        let err = parse(&format!(
            "From: {local}@example.org\r\nSubject: Op-Ed\r\n\r\nbody\r\n"
        ))
        .unwrap_err();
        assert!(
            matches!(err, QuarantineReason::SenderTooLong { .. }),
            "{err:?}"
        );
        let fits = format!("{}@example.org", "a".repeat(MAX_ADDRESS_BYTES - 12));
        assert!(parse(&format!("From: {fits}\r\nSubject: Op-Ed\r\n\r\nbody\r\n")).is_ok());
    }

    #[test]
    fn a_sender_without_a_domain_is_no_sender() {
        let err = parse("From: someone\r\nSubject: Op-Ed\r\n\r\nbody\r\n").unwrap_err();
        assert_eq!(err, QuarantineReason::NoSender);
    }

    #[test]
    fn oversized_message_is_quarantined_before_parsing() {
        let limits = IntakeLimits {
            max_message_bytes: 10,
            ..IntakeLimits::default()
        };
        let err = parse_mail(b"From: a@b\r\n\r\nlonger than ten", &limits).unwrap_err();
        assert!(matches!(err, QuarantineReason::TooLarge { limit: 10, .. }));
    }

    #[test]
    fn empty_input_is_unparseable() {
        assert_eq!(parse("").unwrap_err(), QuarantineReason::Unparseable);
    }

    #[test]
    fn too_many_parts_is_quarantined() {
        let mut raw = String::from(
            "From: a@example.org\r\nSubject: Op-Ed\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
        );
        for i in 0..50 {
            raw.push_str(&format!(
                "--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"
            ));
        }
        raw.push_str("--b--\r\n");
        let limits = IntakeLimits {
            max_mime_parts: 20,
            ..IntakeLimits::default()
        };
        let err = parse_mail(raw.as_bytes(), &limits).unwrap_err();
        assert!(
            matches!(err, QuarantineReason::TooManyParts { limit: 20, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn too_deep_nesting_is_quarantined() {
        let depth = 12;
        let mut raw = String::from("From: a@example.org\r\nSubject: Op-Ed\r\n");
        for level in 0..depth {
            raw.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n"
            ));
        }
        raw.push_str("Content-Type: text/plain\r\n\r\ndeep\r\n");
        for level in (0..depth).rev() {
            raw.push_str(&format!("--b{level}--\r\n"));
        }
        let limits = IntakeLimits {
            max_mime_depth: 8,
            ..IntakeLimits::default()
        };
        let err = parse_mail(raw.as_bytes(), &limits).unwrap_err();
        assert!(
            matches!(err, QuarantineReason::TooDeep { limit: 8, .. }),
            "{err:?}"
        );
    }
}
