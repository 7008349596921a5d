//! An outbox job and its submission → the email to the author. Pure: no
//! database, clock or network, so every header can be checked in a unit test.

use chrono::{DateTime, Utc};
use lettre::Address;
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use serde::Deserialize;

use super::templates::{TemplateContext, TemplateError, Templates};
use crate::calendar::ResponseWindow;
use crate::config::{Config, DEFAULT_WORD_LIMIT};
use crate::db::models::OutboxJob;
use crate::db::models::Submission;
use crate::text::marker::without_marker;
use crate::text::shorten;

/// Our own outgoing mail carries this header; seeing it on inbound mail means
/// a loop (an auto-responder or a forward bounced our message back).
pub const LOOP_HEADER: &str = "X-Oped-Loop";

/// Our outgoing Message-IDs look like `<oped.…@own_domain>`.
pub const OWN_MESSAGE_ID_PREFIX: &str = "oped.";

/// Everything about our side of an email that does not change per job.
#[derive(Debug)]
pub struct Composer {
    templates: Templates,
    from: Mailbox,
    /// Our Message-IDs and loop header name it, so returning mail is known.
    own_domain: String,
    site_url: String,
    /// `OPED_PUBLIC_URL` when set: the base of the author's status link.
    author_link_base: Option<String>,
    /// The desk's clock, on which deadlines are written out.
    window: ResponseWindow,
    /// `OPED_WORD_LIMIT`: the acknowledgement of a longer piece says so.
    word_limit: u32,
}

/// An email ready to hand to a transport, with what the outbox records of it.
#[derive(Debug)]
pub struct Composed {
    pub message: Message,
    /// Without angle brackets, as `submission_thread_ids` stores them.
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// The author's token the email carries, if any: the sent copy editors
    /// read leaves it out.
    pub author_token: Option<String>,
}

/// Why a job can never become an email; retrying would not help.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("the job's payload is not an email: {0}")]
    Payload(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("the recipient address {0:?} is not valid")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
}

/// The part of an email job's payload the composer reads. `enqueue_email`
/// writes `template` and `note`; the editors' free-form message adds
/// `subject` and `body`; the acknowledgement and the `author_link` email
/// carry the author's token in clear, the one place it is written down
/// until the email is sent (see `outbox::worker`).
#[derive(Debug, Deserialize)]
struct Payload {
    template: Option<String>,
    note: Option<String>,
    subject: Option<String>,
    body: Option<String>,
    author_token: Option<String>,
    #[serde(default)]
    unread_documents: Vec<String>,
}

impl Composer {
    pub fn new(templates: Templates, from: Mailbox, own_domain: &str, site_url: &str) -> Composer {
        Composer {
            templates,
            from,
            own_domain: own_domain.to_ascii_lowercase(),
            site_url: site_url.trim_end_matches('/').to_string(),
            author_link_base: None,
            window: ResponseWindow::default(),
            word_limit: DEFAULT_WORD_LIMIT,
        }
    }

    /// Emails that carry an author's token link to `<base>/a/<token>`;
    /// without a base they carry no link.
    pub fn with_author_links(mut self, base: Option<&str>) -> Composer {
        self.author_link_base = base.map(|base| base.trim_end_matches('/').to_string());
        self
    }

    /// The desk's response window (for its clock) and word limit, in place
    /// of the defaults.
    pub fn with_desk_rules(mut self, window: ResponseWindow, word_limit: u32) -> Composer {
        self.window = window;
        self.word_limit = word_limit;
        self
    }

    /// Loads the templates (`OPED_TEMPLATE_DIR` over the built-in ones).
    pub fn from_config(config: &Config) -> Result<Composer, TemplateError> {
        let templates = Templates::load(config.email.template_dir.as_deref())?;
        Ok(Composer::new(
            templates,
            config.email.from.mailbox().clone(),
            config.email.from.domain(),
            &config.email.site_url,
        )
        .with_author_links(config.publishing.author_link_base.as_deref())
        .with_desk_rules(config.intake.window, config.intake.word_limit))
    }

    pub fn compose(
        &self,
        job: &OutboxJob,
        submission: &Submission,
        now: DateTime<Utc>,
    ) -> Result<Composed, ComposeError> {
        self.compose_linking(job, submission, None, now)
    }

    /// As `compose`, with `published_link` (the piece's WordPress post)
    /// as the piece's address instead of `<OPED_SITE_URL>/opinion/<slug>`.
    pub fn compose_linking(
        &self,
        job: &OutboxJob,
        submission: &Submission,
        published_link: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Composed, ComposeError> {
        let payload: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|err| ComposeError::Payload(err.to_string()))?;
        let template = payload.template.as_deref().unwrap_or(&job.topic);
        if template == "message" && (payload.subject.is_none() || payload.body.is_none()) {
            return Err(ComposeError::Payload(
                "a message needs a subject and a body".into(),
            ));
        }

        // An acknowledgement was addressed when it was queued (that is what
        // its rate limit counted); everything else goes to the author.
        let recipient = job
            .recipient
            .clone()
            .unwrap_or_else(|| submission.author_email.clone());
        let address: Address = recipient
            .trim()
            .parse()
            .map_err(|_| ComposeError::Address(recipient.clone()))?;
        let author_name = submission
            .author_name
            .as_deref()
            .map(one_line)
            .filter(|name| !name.is_empty());

        let context = TemplateContext {
            reference: submission.reference.clone(),
            // A title is one line wherever it appears, the subject above
            // all, and short enough for one: a stranger's 10,000-character
            // subject must not come back to them (or a victim) in ours.
            title: shorten(&one_line(&submission.title), MAX_TITLE_IN_MAIL),
            author_name: author_name.clone().unwrap_or_else(|| address.to_string()),
            author_email: address.to_string(),
            note: payload.note.filter(|note| !note.trim().is_empty()),
            site_url: self.site_url.clone(),
            public_url: published_link.map_or_else(
                || {
                    crate::publishing::opinion_url(
                        &self.site_url,
                        submission.slug.as_deref().unwrap_or(&submission.reference),
                    )
                },
                str::to_string,
            ),
            subject: payload.subject.as_deref().map(one_line),
            body: payload.body,
            status_url: self
                .author_link_base
                .as_deref()
                .zip(payload.author_token.as_deref())
                .map(|(base, token)| crate::publishing::author_page_url(base, token)),
            respond_by: self.window.describe(submission.respond_by),
            word_count: submission.word_count,
            word_limit: (i64::from(submission.word_count) > i64::from(self.word_limit))
                .then_some(self.word_limit),
            unread_documents: payload
                .unread_documents
                .iter()
                .map(|name| shorten(&one_line(name), MAX_TITLE_IN_MAIL))
                .collect(),
        };
        let rendered = self.templates.render(template, &context)?;
        // A title ("My op-ed on ports"), an editor's subject or a custom
        // template may name the marker; a colleague's "Re:" to our mail
        // must not read as a new submission.
        let subject = without_marker(&rendered.subject).into_owned();

        let message_id = message_id_for(job, &self.own_domain);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(author_name, address.clone()))
            .subject(subject.clone())
            .message_id(Some(format!("<{message_id}>")))
            .date(now.into())
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(LOOP_HEADER),
                self.own_domain.clone(),
            ));
        if template == "acknowledgement" {
            // RFC 3834: an automatic answer, so other robots do not answer it.
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-replied".into(),
            ));
        }
        if let Some(original) = submission
            .message_id
            .as_deref()
            .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>'))
            .filter(|id| !id.is_empty() && id.len() <= MAX_THREADED_ID_BYTES)
        {
            // Mail clients put our answer in the author's thread, and the
            // author's reply names one of these IDs, which attaches it.
            builder = builder
                .in_reply_to(format!("<{original}>"))
                .references(format!("<{original}>"));
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.body.clone())?;
        Ok(Composed {
            message,
            message_id,
            recipient: address.to_string(),
            subject,
            body: rendered.body,
            author_token: payload.author_token,
        })
    }
}

/// The longest id of the author's that our mail names in `In-Reply-To` and
/// `References`: a header line carries at most 998 characters (RFC 5322
/// §2.1.1), and an id longer than that would make the whole email
/// unsendable. Without it the author's reply still attaches, by our own
/// Message-ID or the reference in the subject.
const MAX_THREADED_ID_BYTES: usize = 900;

/// `oped.<job id>.<queued at, base 36>@<own domain>`: the same on every retry
/// of a job, so a server that did receive a message whose acknowledgement we
/// missed gets a retry it can recognise as the same message; unique across
/// databases through the queue time.
pub fn message_id_for(job: &OutboxJob, own_domain: &str) -> String {
    let micros = u64::try_from(job.created_at.timestamp_micros()).unwrap_or_default();
    format!(
        "{OWN_MESSAGE_ID_PREFIX}{}.{}@{}",
        job.id,
        base36(micros),
        own_domain.to_ascii_lowercase()
    )
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// The most of a title that any mail we send repeats.
const MAX_TITLE_IN_MAIL: usize = 200;

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AuthVerdict, OutboxKind, State};
    use chrono::TimeZone;
    use serde_json::json;

    fn composer() -> Composer {
        Composer::new(
            Templates::built_in(),
            "Op-Ed Desk <oped@desk.example>".parse().unwrap(),
            "Desk.Example",
            "https://news.example/",
        )
    }

    fn submission() -> Submission {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 9, 15, 0).unwrap();
        Submission {
            id: 7,
            reference: "OE-2026-0007".into(),
            state: State::Draft,
            title: "ليبيا تحتاج\n ميزانية موحدة".into(),
            author_name: Some("أمل حداد".into()),
            author_email: "amal@example.org".into(),
            received_at: at,
            message_id: Some("p01.amal@example.org".into()),
            body_text: String::new(),
            body_html: String::new(),
            cover_note: None,
            word_count: 0,
            auth_verdict: AuthVerdict::None,
            suspicious: false,
            inbound_message_id: 1,
            version: 1,
            created_at: at,
            updated_at: at,
            standfirst: None,
            slug: Some("libya-budget".into()),
            author_bio: None,
            tags: Vec::new(),
            assignee_id: None,
            publish_at: None,
            revised_at: None,
            published_at: None,
            retracted_at: None,
            exclusive_confirmed: None,
            disclosure: None,
            declared_at: None,
            respond_by: Utc.with_ymd_and_hms(2026, 12, 1, 9, 15, 0).unwrap(),
            held_at: None,
        }
    }

    fn job(topic: &str, payload: serde_json::Value) -> OutboxJob {
        OutboxJob {
            kind: OutboxKind::Email,
            id: 42,
            topic: topic.into(),
            submission_id: Some(7),
            payload,
            attempts: 0,
            created_at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 16, 0).unwrap(),
            recipient: None,
        }
    }

    fn parsed(composed: &Composed) -> mail_parser::Message<'static> {
        mail_parser::MessageParser::default()
            .parse(&composed.message.formatted())
            .unwrap()
            .into_owned()
    }

    #[test]
    fn a_stranger_s_long_title_is_cut_in_our_subject() {
        let mut long = submission();
        long.title = format!("Op-Ed {}", "spam ".repeat(2_000));
        let composed = composer()
            .compose(
                &job("acknowledgement", json!({"template": "acknowledgement"})),
                &long,
                Utc::now(),
            )
            .unwrap();
        let subject = parsed(&composed).subject().unwrap().to_string();
        assert!(subject.chars().count() < 260, "{}", subject.chars().count());
        assert!(subject.contains("spam…"), "{subject}");
    }

    #[test]
    fn no_subject_we_send_names_the_op_ed_marker() {
        let mut piece = submission();
        piece.title = "My op-ed on ports, an OPED".into();
        for (topic, payload) in [
            ("acknowledgement", json!({"template": "acknowledgement"})),
            ("approved", json!({"template": "approved"})),
            (
                "message",
                json!({"template": "message", "subject": "Your Op-Ed", "body": "A photo?"}),
            ),
        ] {
            let composed = composer()
                .compose(&job(topic, payload), &piece, Utc::now())
                .unwrap();
            let subject = parsed(&composed).subject().unwrap().to_string();
            assert_eq!(subject, composed.subject);
            assert!(
                !crate::intake::subject::has_marker(&subject),
                "{topic}: {subject}"
            );
        }
        let composed = composer()
            .compose(
                &job("acknowledgement", json!({"template": "acknowledgement"})),
                &piece,
                Utc::now(),
            )
            .unwrap();
        assert_eq!(
            composed.subject,
            "[OE-2026-0007] Received, thank you: My opinion piece on ports, an OPINION PIECE"
        );
    }

    #[test]
    fn a_decision_threads_under_the_original_with_our_loop_header() {
        let now = Utc::now();
        let composed = composer()
            .compose(
                &job(
                    "rejected",
                    json!({"template": "rejected", "note": "Not for us."}),
                ),
                &submission(),
                now,
            )
            .unwrap();
        assert!(composed.message_id.starts_with("oped.42."));
        assert!(composed.message_id.ends_with("@desk.example"));
        let mail = parsed(&composed);
        assert_eq!(
            mail.subject().unwrap(),
            "[OE-2026-0007] Our decision: ليبيا تحتاج ميزانية موحدة"
        );
        assert_eq!(
            mail.in_reply_to().as_text().unwrap(),
            "p01.amal@example.org"
        );
        assert_eq!(mail.references().as_text().unwrap(), "p01.amal@example.org");
        assert_eq!(mail.message_id().unwrap(), composed.message_id);
        assert_eq!(mail.header_raw(LOOP_HEADER).unwrap().trim(), "desk.example");
        assert!(mail.header_raw("Auto-Submitted").is_none());
        let to = mail.to().unwrap().first().unwrap();
        assert_eq!(to.name().unwrap(), "أمل حداد");
        assert_eq!(to.address().unwrap(), "amal@example.org");
        let body = mail.body_text(0).unwrap();
        assert!(body.contains("Not for us."), "{body}");
        assert!(body.contains("Dear أمل حداد,"), "{body}");
    }

    #[test]
    fn an_author_id_too_long_for_a_header_line_is_not_threaded_under() {
        let mut submission = submission();
        submission.message_id = Some(format!("{}@example.org", "x".repeat(9_600)));
        let composed = composer()
            .compose(
                &job("approved", json!({"template": "approved"})),
                &submission,
                Utc::now(),
            )
            .unwrap();
        let mail = parsed(&composed);
        assert!(mail.in_reply_to().is_empty());
        assert!(mail.references().is_empty());
        assert_eq!(mail.message_id().unwrap(), composed.message_id);
    }

    #[test]
    fn the_acknowledgement_is_marked_automatic_and_goes_to_its_recipient() {
        let mut ack = job("acknowledgement", json!({"template": "acknowledgement"}));
        ack.recipient = Some("Amal@Example.org".into());
        let mut submission = submission();
        submission.message_id = None;
        let composed = composer().compose(&ack, &submission, Utc::now()).unwrap();
        let mail = parsed(&composed);
        assert_eq!(
            mail.header_raw("Auto-Submitted").unwrap().trim(),
            "auto-replied"
        );
        assert!(mail.in_reply_to().is_empty());
        assert_eq!(composed.recipient, "Amal@Example.org");
    }

    #[test]
    fn published_links_to_the_piece_and_messages_need_a_subject() {
        let composer = composer();
        let published = composer
            .compose(
                &job("published", json!({"template": "published"})),
                &submission(),
                Utc::now(),
            )
            .unwrap();
        assert!(
            published
                .body
                .contains("https://news.example/opinion/libya-budget")
        );
        let message = composer
            .compose(
                &job(
                    "message",
                    json!({"template": "message", "subject": "Your photo", "body": "Could you send a photo?"}),
                ),
                &submission(),
                Utc::now(),
            )
            .unwrap();
        assert_eq!(message.subject, "[OE-2026-0007] Your photo");
        assert!(message.body.starts_with("Could you send a photo?\n"));
        let incomplete = composer.compose(
            &job("message", json!({"template": "message", "body": "x"})),
            &submission(),
            Utc::now(),
        );
        assert!(matches!(incomplete, Err(ComposeError::Payload(_))));
    }

    #[test]
    fn a_bad_address_or_unknown_template_cannot_be_composed() {
        let mut submission = submission();
        submission.author_email = "not an address".into();
        let err = composer()
            .compose(
                &job("approved", json!({"template": "approved"})),
                &submission,
                Utc::now(),
            )
            .unwrap_err();
        assert!(matches!(err, ComposeError::Address(_)));
        let err = composer()
            .compose(
                &job("nonsense", json!({"template": "nonsense"})),
                &super::tests::submission(),
                Utc::now(),
            )
            .unwrap_err();
        assert!(matches!(
            err,
            ComposeError::Template(TemplateError::Unknown(_))
        ));
    }

    #[test]
    fn message_ids_are_stable_per_job() {
        let a = job("approved", json!({}));
        assert_eq!(
            message_id_for(&a, "desk.example"),
            message_id_for(&a, "desk.example")
        );
        let mut b = job("approved", json!({}));
        b.id = 43;
        assert_ne!(
            message_id_for(&a, "desk.example"),
            message_id_for(&b, "desk.example")
        );
        assert_eq!(base36(0), "0");
        assert_eq!(base36(36 * 36 + 35), "10z");
    }
}
