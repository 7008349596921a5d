//! A parsed mail → the submission it describes: title, article text versus
//! cover note, sanitised HTML, word count, attachments, authentication. Pure.

use super::IntakeLimits;
use super::article_head::take_head;
use super::auth_results::{SenderAuthentication, sender_authentication};
use super::byline_suggestion::{BylineSuggestion, suggest};
use super::documents::unread::unread_reason;
use super::documents::{self, DocumentKind, MessageBudget};
use super::letter::read_letter;
use super::parse::{ForwardedMail, Mailbox, ParsedMail};
use super::subject::{is_forward, title_from_subject};
use crate::text::html;
use crate::text::{clean, word_count};

/// The longest title taken from a first line; longer lines are cut at a word.
const MAX_DERIVED_TITLE_CHARS: usize = 160;

#[derive(Debug, Clone)]
pub struct SubmissionDraft {
    pub title: String,
    pub body_text: String,
    pub body_html: String,
    /// What the mail says beside the piece: the email body when a document
    /// holds the article, else the signatures, quoted history and a
    /// forwarder's words that are not the piece.
    pub cover_note: Option<String>,
    /// The mail's own text, whole (the piece too when it is in the body):
    /// what is filed as correspondence when the mail answers a piece, so
    /// the desk keeps every word the author wrote there. The article when
    /// the mail has no text of its own.
    pub letter: String,
    pub word_count: i32,
    pub attachments: Vec<DraftAttachment>,
    /// True when an attached document holds the article text.
    pub article_from_document: bool,
    /// Whom the piece is probably by, when that is not the sender: its
    /// byline line, the sender of the message that forwards it.
    pub byline_suggestion: Option<BylineSuggestion>,
    pub authentication: SenderAuthentication,
}

#[derive(Debug, Clone)]
pub struct DraftAttachment {
    pub filename: Option<String>,
    pub content_type: String,
    pub content: Vec<u8>,
    pub is_article: bool,
    /// Why text could not be taken from this document, when it was tried.
    pub extraction_error: Option<String>,
}

pub fn build_draft(
    mail: &ParsedMail,
    limits: &IntakeLimits,
    trusted_authserv_id: Option<&str>,
) -> SubmissionDraft {
    let email_body = mail
        .text_body
        .as_deref()
        .map(normalise_text)
        .unwrap_or_default();
    let forwarded = mail.forwarded.as_deref();

    // The mail's own attachments first, then those of a message it forwards
    // as an attachment (Outlook's "forward as attachment" of a mail that
    // carries the .docx).
    let sent_attachments = mail
        .attachments
        .iter()
        .chain(forwarded.into_iter().flat_map(|f| f.attachments.iter()));
    let mut attachments = Vec::with_capacity(mail.attachments.len());
    let mut document: Option<documents::ExtractedDocument> = None;
    let mut budget = MessageBudget::new(&limits.extraction);
    for attachment in sent_attachments {
        let mut draft_attachment = DraftAttachment {
            filename: attachment.filename.clone(),
            content_type: attachment.content_type.clone(),
            content: attachment.content.clone(),
            is_article: false,
            extraction_error: None,
        };
        // The first document that yields text is the article; later ones are
        // kept as files for the editors. Documents the budget does not reach
        // are kept too, with the reason they were not read.
        if document.is_none()
            && let Some(kind) =
                DocumentKind::detect(attachment.filename.as_deref(), &attachment.content_type)
        {
            match budget.extract(kind, &attachment.content) {
                Ok(extracted) if !extracted.text.trim().is_empty() => {
                    draft_attachment.is_article = true;
                    document = Some(extracted);
                }
                Ok(_) => {
                    draft_attachment.extraction_error = Some("the document holds no text".into())
                }
                Err(reason) => draft_attachment.extraction_error = Some(clean(&reason)),
            }
        }
        if draft_attachment.extraction_error.is_none() && !draft_attachment.is_article {
            draft_attachment.extraction_error =
                unread_reason(attachment.filename.as_deref(), &attachment.content_type);
        }
        attachments.push(draft_attachment);
    }

    let letter = read_letter(&email_body, is_forward(&mail.subject));
    let article_from_document = document.is_some();
    let mut forwarded_from = letter.forwarded_from.clone();
    let (body_text, body_html, cover_note, document_title) = match document {
        Some(doc) => {
            let text = normalise_text(&doc.text);
            let html = html::paragraphs_to_html(&text);
            let cover = (!email_body.is_empty()).then(|| email_body.clone());
            forwarded_from = forwarded_from.or_else(|| forwarded_sender(forwarded));
            (text, html, cover, doc.title)
        }
        None => {
            let forwarded_letter = forwarded
                .filter(|_| !letter.forwards)
                .and_then(|f| f.text_body.as_deref())
                .map(|text| read_letter(&normalise_text(text), false))
                .filter(|letter| !letter.article.is_empty());
            let (article, cover) = match forwarded_letter {
                Some(inner) => {
                    forwarded_from = forwarded_sender(forwarded);
                    let cover = [Some(email_body.clone()), inner.cover]
                        .into_iter()
                        .flatten()
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>();
                    (
                        inner.article,
                        (!cover.is_empty()).then(|| cover.join("\n\n")),
                    )
                }
                None => (letter.article, letter.cover),
            };
            let html = match &mail.html_body {
                // The HTML as sent holds what the letter set apart from the
                // piece; the piece's own text stands in for it then.
                _ if article != email_body => html::paragraphs_to_html(&article),
                Some(sent) if sent.len() <= limits.max_html_bytes => html::sanitize(sent),
                // Too large to sanitise safely: the text rendering stands in.
                _ => html::paragraphs_to_html(&article),
            };
            (article, html, cover, None)
        }
    };
    let whole_letter = if email_body.is_empty() {
        body_text.clone()
    } else {
        email_body
    };

    let known_title = title_from_subject(&mail.subject).or_else(|| {
        document_title
            .map(|title| clean(title.trim()))
            .filter(|title| !title.is_empty())
    });
    // The title and byline atop the piece leave its text; the HTML is then
    // the text's own, as whenever the article is less than the mail sent.
    let head = take_head(&body_text, known_title.as_deref());
    let (body_text, body_html) = if head.article == body_text {
        (body_text, body_html)
    } else {
        let html = html::paragraphs_to_html(&head.article);
        (head.article, html)
    };
    let title = known_title
        .or(head.title)
        .or_else(|| first_line_title(&body_text))
        .unwrap_or_else(|| "(untitled)".to_string());

    SubmissionDraft {
        title,
        word_count: word_count(&body_text),
        body_text,
        body_html,
        cover_note,
        letter: whole_letter,
        attachments,
        article_from_document,
        byline_suggestion: suggest(head.byline, forwarded_from, &mail.sender),
        authentication: sender_authentication(
            mail.headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
            trusted_authserv_id,
            mail.sender.domain(),
        ),
    }
}

fn forwarded_sender(forwarded: Option<&ForwardedMail>) -> Option<Mailbox> {
    forwarded.and_then(|f| f.sender.clone())
}

/// Unix line ends, no trailing spaces, no leading or trailing blank lines.
fn normalise_text(text: &str) -> String {
    clean(text)
        .replace("\r\n", "\n")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn first_line_title(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    if line.chars().count() <= MAX_DERIVED_TITLE_CHARS {
        return Some(line.to_string());
    }
    let cut: String = line.chars().take(MAX_DERIVED_TITLE_CHARS).collect();
    let at_word = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    Some(format!("{}…", at_word.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::parse::parse_mail;

    use crate::intake::documents::Runner;

    fn draft(raw: &str) -> SubmissionDraft {
        let mut limits = IntakeLimits::default();
        // Unit tests read documents in process; the child process is tested
        // through the real binary in tests/it/extraction.rs.
        limits.extraction.runner = Runner::InProcess;
        build_draft(&parse_mail(raw.as_bytes(), &limits).unwrap(), &limits, None)
    }

    #[test]
    fn plain_body_is_the_article() {
        let d = draft(
            "From: a@example.org\r\nSubject: Op-Ed: Ports\r\n\r\nFirst paragraph.\r\n\r\nSecond one.\r\n",
        );
        assert_eq!(d.title, "Ports");
        assert_eq!(d.body_text, "First paragraph.\n\nSecond one.");
        assert_eq!(d.body_html, "<p>First paragraph.</p>\n<p>Second one.</p>\n");
        assert_eq!(d.cover_note, None);
        assert_eq!(d.word_count, 4);
    }

    #[test]
    fn a_text_attachment_is_the_article_and_the_body_the_cover_note() {
        let d = draft(concat!(
            "From: a@example.org\r\nSubject: Op-Ed\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
            "--b\r\nContent-Type: text/plain\r\n\r\nDear editor, my piece is attached.\r\n",
            "--b\r\nContent-Type: text/plain; name=piece.txt\r\nContent-Disposition: attachment; filename=piece.txt\r\n\r\n",
            "A title line\r\n\r\nThe article itself.\r\n--b--\r\n"
        ));
        assert!(d.article_from_document);
        assert_eq!(
            d.body_text, "The article itself.",
            "the title line is the title, not the text"
        );
        assert_eq!(
            d.cover_note.as_deref(),
            Some("Dear editor, my piece is attached.")
        );
        assert_eq!(
            d.title, "A title line",
            "an empty subject title falls back to the first line"
        );
        assert!(d.attachments[0].is_article);
    }

    #[test]
    fn the_title_and_byline_atop_the_body_leave_text_and_html() {
        let d = draft(concat!(
            "From: Press Office <press@example.org>\r\nSubject: Op-Ed: Ports, not checkpoints\r\n",
            "Content-Type: multipart/alternative; boundary=b\r\n\r\n",
            "--b\r\nContent-Type: text/plain\r\n\r\n",
            "Ports, not checkpoints\r\nBy Jane Doe, former minister\r\n\r\nThe port is full.\r\n\r\nIts end.\r\n",
            "--b\r\nContent-Type: text/html\r\n\r\n",
            "<p><b>Ports, not checkpoints</b><br>By Jane Doe, former minister</p><p>The port is full.</p><p>Its end.</p>\r\n",
            "--b--\r\n"
        ));
        assert_eq!(d.title, "Ports, not checkpoints");
        assert_eq!(d.body_text, "The port is full.\n\nIts end.");
        assert_eq!(d.body_html, "<p>The port is full.</p>\n<p>Its end.</p>\n");
        assert_eq!(d.word_count, 6);
        assert_eq!(
            d.byline_suggestion,
            Some(BylineSuggestion {
                name: Some("Jane Doe".into()),
                email: None
            })
        );
    }

    #[test]
    fn a_mail_that_may_answer_a_piece_keeps_its_cover_note_apart_and_its_letter_whole() {
        let d = draft(concat!(
            "From: a@example.org\r\nSubject: Re: Op-Ed: Ports\r\n",
            "In-Reply-To: <call@paper.example>\r\n\r\n",
            "The port is full.\r\n\r\nIts end.\r\n\r\n-- \r\nAmal\r\n"
        ));
        assert_eq!(d.body_text, "The port is full.\n\nIts end.");
        assert_eq!(d.cover_note.as_deref(), Some("--\nAmal"));
        assert_eq!(d.letter, "The port is full.\n\nIts end.\n\n--\nAmal");
    }

    #[test]
    fn an_unreadable_document_leaves_the_body_as_article_and_says_why() {
        let d = draft(concat!(
            "From: a@example.org\r\nSubject: Op-Ed: Ports\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
            "--b\r\nContent-Type: text/plain\r\n\r\nThe body text.\r\n",
            "--b\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n",
            "Content-Disposition: attachment; filename=broken.docx\r\n\r\nnot a zip\r\n--b--\r\n"
        ));
        assert!(!d.article_from_document);
        assert_eq!(d.body_text, "The body text.");
        assert!(d.attachments[0].extraction_error.is_some());
    }

    #[test]
    fn at_most_three_documents_are_read_and_the_rest_say_so() {
        let mut raw = String::from(
            "From: a@example.org\r\nSubject: Op-Ed: Ports\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nThe body text.\r\n",
        );
        for n in 0..5 {
            raw.push_str(&format!(
                "--b\r\nContent-Type: application/rtf\r\nContent-Disposition: attachment; filename=broken{n}.rtf\r\n\r\nnot rtf\r\n"
            ));
        }
        raw.push_str("--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=photo.png\r\n\r\npng\r\n--b--\r\n");
        let d = draft(&raw);
        assert!(!d.article_from_document);
        let reasons: Vec<Option<&str>> = d
            .attachments
            .iter()
            .map(|a| a.extraction_error.as_deref())
            .collect();
        let not_read = Some("not read: at most 3 documents are read per message");
        let unreadable = Some("malformed document: missing {\\rtf header");
        assert_eq!(
            reasons,
            [unreadable, unreadable, unreadable, not_read, not_read, None],
            "every attachment is kept; the image is not a document"
        );
    }

    #[test]
    fn long_first_lines_are_cut_at_a_word() {
        let line = "word ".repeat(100);
        let title = first_line_title(&line).unwrap();
        assert!(title.chars().count() <= MAX_DERIVED_TITLE_CHARS + 1);
        assert!(title.ends_with("word…"));
    }
}
