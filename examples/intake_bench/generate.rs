//! The seeded generator: a list of mails in the mix's shares, the same bytes
//! for the same seed. `rand` makes every draw (a `StdRng` seeded with
//! `--seed`); `mail-builder` writes the MIME: headers, encoded words,
//! quoted-printable, base64 and the multipart structure. The one thing it
//! cannot write, a subject in a legacy charset, is written by hand in
//! `windows_1256_encoded_words`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};
use rand::distr::Distribution as _;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::docx::docx;
use crate::mail::{attachment, mixed, text_8bit};
use crate::mix::{Kind, Mail, ParseVerdict};
use crate::text::{
    arabic_paragraphs, article_bytes, oped_subject, paragraphs, pick, slug, title, wrap, xml_escape,
};
use crate::words::{
    ARABIC_NAMES, ARABIC_TITLES, BENIGN_HTML, DOMAINS, FIRST_NAMES, HOSTILE_HTML, LAST_NAMES,
    PLACES,
};
use crate::{AUTHSERV_ID, DESK_ADDRESS};

const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Tue, 24 Nov 2026 00:00:00 UTC: every mail is sent that day, the n-th one
/// n seconds after midnight (modulo a day).
const SENT_ON: i64 = 1_795_478_400;

/// Replies and redeliveries refer to an op-ed at least this many mails
/// earlier, so that with any sane client count the original has been
/// stored when they arrive (otherwise a reply would become a new submission).
const MIN_REFERENCE_GAP: usize = 500;

/// An earlier op-ed that a reply or a redelivery can refer to.
struct Original {
    index: usize,
    message_id: String,
    author: usize,
    title: String,
}

#[derive(Clone)]
struct Author {
    name: String,
    email: String,
}

pub struct Generator {
    /// Seeded, so that a seed gives the same mails; `Cargo.lock` pins the
    /// algorithm behind `StdRng`, so the bytes hold across builds of one tree.
    rng: StdRng,
    kinds: WeightedIndex<u32>,
    authors: Vec<Author>,
    arabic_authors: Vec<Author>,
    originals: Vec<Original>,
    mails: Vec<Mail>,
    seed: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let authors = (0..1500)
            .map(|n| {
                let first = pick(&mut rng, FIRST_NAMES);
                let last = pick(&mut rng, LAST_NAMES);
                let domain = pick(&mut rng, DOMAINS);
                Author {
                    name: format!("{first} {last}"),
                    email: format!(
                        "{}.{}{n}@{domain}",
                        first.to_ascii_lowercase(),
                        last.to_ascii_lowercase()
                    ),
                }
            })
            .collect();
        let arabic_authors = (0..300)
            .map(|n| Author {
                name: pick(&mut rng, ARABIC_NAMES).to_string(),
                email: format!("writer{n}@{}", pick(&mut rng, DOMAINS)),
            })
            .collect();
        let kinds =
            WeightedIndex::new(Kind::MIX.map(|(_, share)| share)).expect("the shares are positive");
        Generator {
            rng,
            kinds,
            authors,
            arabic_authors,
            originals: Vec::new(),
            mails: Vec::new(),
            seed,
        }
    }

    pub fn generate(mut self, count: usize) -> Vec<Mail> {
        for index in 0..count {
            let kind = self.draw_kind(index);
            let mail = match kind {
                Kind::PlainOped => self.plain_oped(index),
                Kind::DocxOped => self.docx_oped(index),
                Kind::HtmlOped => self.html_oped(index),
                Kind::ArabicWindows1256 => self.arabic_oped(index, true),
                Kind::ArabicUtf8 => self.arabic_oped(index, false),
                Kind::AutoReply => self.auto_reply(index),
                Kind::Unmatched => self.unmatched(index),
                Kind::Reply => self.reply(index),
                Kind::Redelivery => self.redelivery(index),
            };
            self.mails.push(mail);
        }
        self.mails
    }

    fn draw_kind(&mut self, index: usize) -> Kind {
        let kind = Kind::MIX[self.kinds.sample(&mut self.rng)].0;
        let has_old_original = self
            .originals
            .first()
            .is_some_and(|first| first.index + MIN_REFERENCE_GAP <= index);
        match kind {
            Kind::Reply | Kind::Redelivery if !has_old_original => Kind::PlainOped,
            other => other,
        }
    }

    /// An op-ed at least `MIN_REFERENCE_GAP` mails before `index`.
    fn old_original(&mut self, index: usize) -> usize {
        let eligible = self
            .originals
            .partition_point(|original| original.index + MIN_REFERENCE_GAP <= index);
        self.rng.random_range(0..eligible)
    }

    fn message_id(&mut self, index: usize, email: &str) -> String {
        let domain = email.rsplit_once('@').map_or("example.com", |(_, d)| d);
        format!(
            "{index:06}.{:016x}.{}@{domain}",
            self.rng.random::<u64>(),
            self.seed
        )
    }

    fn boundary(&mut self, kind: &str) -> String {
        format!("=_{kind}_{:016x}", self.rng.random::<u64>())
    }

    /// The head of a message after crossing two MTAs into our mailbox; the
    /// caller adds the subject, the body and any header of its kind.
    fn envelope(
        &mut self,
        index: usize,
        from: &Author,
        message_id: &str,
    ) -> MessageBuilder<'static> {
        let domain = from.email.rsplit_once('@').map_or("", |(_, d)| d);
        let sent = Date::new(SENT_ON + (index % 86_400) as i64);
        let at = sent.to_rfc822();
        let ip_tail = self.rng.random_range(1..=254);
        let queue_id = self.rng.random::<u64>();
        let email = &from.email;
        MessageBuilder::new()
            .header("Return-Path", Raw::new(format!("<{email}>")))
            .header(
                "Received",
                Raw::new(format!(
                    "from mail.{domain} (mail.{domain} [192.0.2.{ip_tail}]) by {AUTHSERV_ID} \
                     (Postfix) with ESMTPS id {queue_id:012X} for <{DESK_ADDRESS}>; {at} (UTC)"
                )),
            )
            .header(
                "Received",
                Raw::new(format!(
                    "from [10.0.0.{ip_tail}] (unknown [198.51.100.{ip_tail}]) by mail.{domain} \
                     with ESMTPSA; {at}"
                )),
            )
            .header(
                "Authentication-Results",
                Raw::new(format!(
                    "{AUTHSERV_ID}; dkim=pass header.d={domain} header.s=mail; \
                     spf=pass smtp.mailfrom={email}; dmarc=pass header.from={domain}"
                )),
            )
            .from(Address::new_address(
                Some(from.name.clone()),
                from.email.clone(),
            ))
            .to(Address::new_address(Some("Op-Ed Desk"), DESK_ADDRESS))
            .date(sent)
            .message_id(message_id.to_string())
    }

    /// A new op-ed, written and remembered so that later replies and
    /// redeliveries can name it. The parser makes a draft of it, from the
    /// attachment when it came as a document.
    fn new_oped(
        &mut self,
        index: usize,
        author: usize,
        title: String,
        message_id: String,
        message: MessageBuilder<'_>,
        kind: Kind,
    ) -> Mail {
        let raw = write(message);
        self.originals.push(Original {
            index,
            message_id,
            author,
            title,
        });
        Mail {
            kind,
            raw,
            parse_verdict: ParseVerdict::Draft {
                from_document: kind == Kind::DocxOped,
            },
        }
    }

    fn plain_oped(&mut self, index: usize) -> Mail {
        let author = self.rng.random_range(0..self.authors.len());
        let from = self.authors[author].clone();
        let title = title(&mut self.rng);
        let subject = oped_subject(&mut self.rng, &title);
        let bytes = article_bytes(&mut self.rng);
        let paragraphs = paragraphs(&mut self.rng, bytes);
        let body = format!(
            "Dear editor,\r\n\r\nPlease consider the piece below for publication.\r\n\r\n{title}\r\n\r\n{}\r\n\r\n-- \r\n{}\r\n",
            paragraphs
                .iter()
                .map(|p| wrap(p, 72))
                .collect::<Vec<_>>()
                .join("\r\n\r\n"),
            from.name,
        );
        let message_id = self.message_id(index, &from.email);
        // Three in ten as mail-builder encodes non-ASCII text (quoted-printable),
        // the rest sent as they are.
        let body = if self.rng.random_ratio(30, 100) {
            MimePart::new(utf8("text/plain"), body)
        } else {
            text_8bit(body)
        };
        let message = self
            .envelope(index, &from, &message_id)
            .subject(subject)
            .body(body);
        self.new_oped(index, author, title, message_id, message, Kind::PlainOped)
    }

    fn docx_oped(&mut self, index: usize) -> Mail {
        let author = self.rng.random_range(0..self.authors.len());
        let from = self.authors[author].clone();
        let title = title(&mut self.rng);
        let subject = oped_subject(&mut self.rng, &title);
        let bytes = article_bytes(&mut self.rng);
        let paragraphs = paragraphs(&mut self.rng, bytes);
        let document = docx(&mut self.rng, &title, &paragraphs, &from.name);
        let cover = format!(
            "Dear editor,\r\n\r\nPlease find attached my op-ed \"{title}\" ({} words) for your consideration.\r\n\r\nBest regards,\r\n{}\r\n",
            paragraphs
                .iter()
                .map(|p| p.split_whitespace().count())
                .sum::<usize>(),
            from.name,
        );
        let message_id = self.message_id(index, &from.email);
        let boundary = self.boundary("mixed");
        let filename = format!("{}.docx", slug(&title));
        let body = mixed(
            &boundary,
            vec![text_8bit(cover), attachment(&filename, DOCX_TYPE, document)],
        );
        let message = self
            .envelope(index, &from, &message_id)
            .subject(subject)
            .body(body);
        self.new_oped(index, author, title, message_id, message, Kind::DocxOped)
    }

    fn html_oped(&mut self, index: usize) -> Mail {
        let author = self.rng.random_range(0..self.authors.len());
        let from = self.authors[author].clone();
        let title = title(&mut self.rng);
        let subject = oped_subject(&mut self.rng, &title);
        // The text and the HTML alternative each carry the whole piece: half
        // the usual length keeps the mail at the typical size on the wire.
        let bytes = article_bytes(&mut self.rng) / 2;
        let paragraphs = paragraphs(&mut self.rng, bytes);
        let text = paragraphs
            .iter()
            .map(|p| wrap(p, 76))
            .collect::<Vec<_>>()
            .join("\r\n\r\n");
        let mut html = String::from(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
             <style>p { margin: 0 0 1em 0 }</style></head><body><div dir=\"ltr\">",
        );
        html.push_str(&format!("<h1>{}</h1>", xml_escape(&title)));
        for paragraph in &paragraphs {
            html.push_str("<p>");
            html.push_str(&xml_escape(paragraph));
            if self.rng.random_ratio(40, 100) {
                html.push(' ');
                html.push_str(pick(&mut self.rng, HOSTILE_HTML));
            }
            if self.rng.random_ratio(30, 100) {
                html.push(' ');
                html.push_str(pick(&mut self.rng, BENIGN_HTML));
            }
            html.push_str("</p>\r\n");
        }
        // Whatever the draws, every HTML op-ed carries a script and an event handler.
        html.push_str(HOSTILE_HTML[0]);
        html.push_str(HOSTILE_HTML[1]);
        html.push_str("</div></body></html>\r\n");
        let message_id = self.message_id(index, &from.email);
        let boundary = self.boundary("alt");
        // The HTML in one long line a paragraph: mail-builder writes it
        // quoted-printable, as mail programs do.
        let body = MimePart::new(
            ContentType::new("multipart/alternative").attribute("boundary", boundary),
            BodyPart::Multipart(vec![
                text_8bit(text),
                MimePart::new(utf8("text/html"), html),
            ]),
        );
        let message = self
            .envelope(index, &from, &message_id)
            .subject(subject)
            .body(body);
        self.new_oped(index, author, title, message_id, message, Kind::HtmlOped)
    }

    fn arabic_oped(&mut self, index: usize, windows_1256: bool) -> Mail {
        let author = self.rng.random_range(0..self.arabic_authors.len());
        let title = pick(&mut self.rng, ARABIC_TITLES);
        // Arabic letters are one byte in windows-1256 and two in UTF-8 (sent
        // as base64): aim at the same size on the wire for both.
        let chars = if windows_1256 {
            article_bytes(&mut self.rng)
        } else {
            // Two bytes a letter, then base64's 4/3.
            article_bytes(&mut self.rng) * 2 / 5
        };
        let paragraphs = arabic_paragraphs(&mut self.rng, chars);
        let body = format!(
            "{title}\r\n\r\n{}\r\n",
            paragraphs
                .iter()
                .map(|p| wrap(p, 72))
                .collect::<Vec<_>>()
                .join("\r\n\r\n")
        );
        let subject = format!("Op-Ed: {title}");
        let from = self.arabic_authors[author].clone();
        let message_id = self.message_id(index, &from.email);
        let head = self.envelope(index, &from, &message_id);
        let raw = if windows_1256 {
            // The way older mail programs send Arabic: 8bit in the legacy charset.
            let body = MimePart::new(
                ContentType::new("text/plain").attribute("charset", "windows-1256"),
                BodyPart::Binary(windows_1256_bytes(&body).into()),
            )
            .transfer_encoding("8bit");
            write(
                head.header("Subject", Raw::new(windows_1256_encoded_words(&subject)))
                    .body(body),
            )
        } else {
            // All of it non-ASCII: mail-builder writes it in base64.
            write(
                head.subject(subject)
                    .body(MimePart::new(utf8("text/plain"), body)),
            )
        };
        Mail {
            kind: if windows_1256 {
                Kind::ArabicWindows1256
            } else {
                Kind::ArabicUtf8
            },
            raw,
            parse_verdict: ParseVerdict::Draft {
                from_document: false,
            },
        }
    }

    fn auto_reply(&mut self, index: usize) -> Mail {
        let author = self.rng.random_range(0..self.authors.len());
        let title = title(&mut self.rng);
        let (subject, headers): (String, &[(&str, &str)]) = match self.rng.random_range(0..10) {
            0 => (
                format!("Out of Office: Op-Ed: {title}"),
                &[("X-Autoreply", "yes")],
            ),
            1 => (
                format!("Abwesenheitsnotiz: Op-Ed: {title}"),
                &[("Auto-Submitted", "auto-generated")],
            ),
            _ => (
                format!("Automatic reply: Op-Ed: {title}"),
                &[
                    ("Auto-Submitted", "auto-replied"),
                    ("X-Auto-Response-Suppress", "All"),
                ],
            ),
        };
        let from = self.authors[author].clone();
        let message_id = self.message_id(index, &from.email);
        let body = format!(
            "I am out of the office until Monday {} December with limited access to email.\r\n\
             For urgent matters please contact the newsroom.\r\n",
            self.rng.random_range(1..=28)
        );
        let mut head = self.envelope(index, &from, &message_id).subject(subject);
        for (name, value) in headers {
            head = head.header(*name, Raw::new(*value));
        }
        Mail {
            kind: Kind::AutoReply,
            raw: write(head.body(text_8bit(body))),
            parse_verdict: ParseVerdict::Automatic,
        }
    }

    fn unmatched(&mut self, index: usize) -> Mail {
        let author = self.rng.random_range(0..self.authors.len());
        let title = title(&mut self.rng);
        let subject = match self.rng.random_range(0..5) {
            0 => "Question about your submission guidelines".to_string(),
            1 => format!("Press release: {title}"),
            2 => format!(
                "Invitation: panel discussion in {}",
                pick(&mut self.rng, PLACES)
            ),
            3 => "Letter to the editor".to_string(),
            _ => format!(
                "Correction request: article of {} November",
                self.rng.random_range(1..=30)
            ),
        };
        let bytes = self.rng.random_range(2_000..=12_000);
        let body = paragraphs(&mut self.rng, bytes)
            .iter()
            .map(|p| wrap(p, 72))
            .collect::<Vec<_>>()
            .join("\r\n\r\n")
            + "\r\n";
        let from = self.authors[author].clone();
        let message_id = self.message_id(index, &from.email);
        let raw = write(
            self.envelope(index, &from, &message_id)
                .subject(subject)
                .body(text_8bit(body)),
        );
        Mail {
            kind: Kind::Unmatched,
            raw,
            parse_verdict: ParseVerdict::NoDraft,
        }
    }

    fn reply(&mut self, index: usize) -> Mail {
        let original = self.old_original(index);
        let (author, title, thread) = {
            let original = &self.originals[original];
            (
                original.author,
                original.title.clone(),
                original.message_id.clone(),
            )
        };
        let from = self.authors[author].clone();
        let message_id = self.message_id(index, &from.email);
        let from_document = self.rng.random_ratio(50, 100);
        let body = if from_document {
            let bytes = article_bytes(&mut self.rng);
            let paragraphs = paragraphs(&mut self.rng, bytes);
            let document = docx(&mut self.rng, &title, &paragraphs, &from.name);
            let boundary = self.boundary("mixed");
            mixed(
                &boundary,
                vec![
                    text_8bit(
                        "Dear editor,\r\n\r\nHere is the revised version, with the figures you asked for.\r\n",
                    ),
                    attachment(&format!("{}-v2.docx", slug(&title)), DOCX_TYPE, document),
                ],
            )
        } else {
            let quoted_bytes = self.rng.random_range(1_000..=5_000);
            let quoted = paragraphs(&mut self.rng, quoted_bytes)
                .iter()
                .map(|p| {
                    wrap(p, 70)
                        .split("\r\n")
                        .map(|line| format!("> {line}"))
                        .collect::<Vec<_>>()
                        .join("\r\n")
                })
                .collect::<Vec<_>>()
                .join("\r\n>\r\n");
            text_8bit(format!(
                "Thank you for the quick answer. I am happy with the edits and the new headline.\r\n\r\n\
                 On Tue, 24 Nov 2026, Op-Ed Desk wrote:\r\n{quoted}\r\n"
            ))
        };
        let raw = write(
            self.envelope(index, &from, &message_id)
                .subject(format!("Re: Op-Ed: {title}"))
                .in_reply_to(thread.clone())
                .references(thread)
                .body(body),
        );
        Mail {
            kind: Kind::Reply,
            raw,
            parse_verdict: ParseVerdict::Draft { from_document },
        }
    }

    fn redelivery(&mut self, index: usize) -> Mail {
        let original = self.old_original(index);
        let source = &self.mails[self.originals[original].index];
        Mail {
            kind: Kind::Redelivery,
            raw: source.raw.clone(),
            parse_verdict: source.parse_verdict,
        }
    }
}

/// A `Content-Type` of UTF-8 text.
fn utf8(content_type: &'static str) -> ContentType<'static> {
    ContentType::new(content_type).attribute("charset", "utf-8")
}

fn write(message: MessageBuilder<'_>) -> Vec<u8> {
    message.write_to_vec().expect("writing to memory")
}

fn windows_1256_bytes(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1256.encode(text);
    assert!(!unmappable, "the Arabic word lists fit windows-1256");
    bytes.into_owned()
}

/// RFC 2047 B-encoded words in windows-1256, as older mail programs write an
/// Arabic subject. Written by hand because mail-builder, like every current
/// builder, writes encoded words in UTF-8 only, and decoding a legacy charset
/// in a header is part of what this kind of mail is here to exercise.
fn windows_1256_encoded_words(text: &str) -> String {
    // One byte a character, so any split falls between characters; 39 bytes
    // make 52 base64 characters, 71 with `=?windows-1256?B?` and `?=`, under
    // RFC 2047's 75.
    windows_1256_bytes(text)
        .chunks(39)
        .map(|chunk| format!("=?windows-1256?B?{}?=", BASE64.encode(chunk)))
        .collect::<Vec<_>>()
        .join(" ")
}
