//! The words of each email: minijinja templates, built in from `templates/`
//! and replaced by a file of the same name in `OPED_TEMPLATE_DIR`, so an
//! operator can change the wording without recompiling.
//!
//! A template renders to a whole email text: a first line `Subject: …`, a
//! blank line, then the plain text body. Keeping both in one file lets an
//! operator see and change them together.

use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// Every template an outbox job may name, with its built-in text.
const BUILT_IN: [(&str, &str); 10] = [
    (
        "acknowledgement",
        include_str!("../../templates/acknowledgement.txt"),
    ),
    (
        "changes_requested",
        include_str!("../../templates/changes_requested.txt"),
    ),
    ("approved", include_str!("../../templates/approved.txt")),
    ("rejected", include_str!("../../templates/rejected.txt")),
    ("published", include_str!("../../templates/published.txt")),
    ("message", include_str!("../../templates/message.txt")),
    (
        "author_link",
        include_str!("../../templates/author_link.txt"),
    ),
    ("released", include_str!("../../templates/released.txt")),
    ("held", include_str!("../../templates/held.txt")),
    ("reopened", include_str!("../../templates/reopened.txt")),
];

/// What every template can use. Every field is always present (absent ones
/// are `none`), so strict undefined checking only catches real typos.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateContext {
    pub reference: String,
    pub title: String,
    /// The author's name, or their address when the mail had no name.
    pub author_name: String,
    pub author_email: String,
    /// The editor's note to the author (changes requested, rejected, …).
    pub note: Option<String>,
    pub site_url: String,
    /// `<site_url>/opinion/<slug or reference>`: where the piece is (or will be) public.
    pub public_url: String,
    /// The free-form `message` template's subject and body.
    pub subject: Option<String>,
    pub body: Option<String>,
    /// The author's private status link (`<OPED_PUBLIC_URL>/a/<token>`), in
    /// the acknowledgement and the `author_link` email; absent without
    /// `OPED_PUBLIC_URL`.
    pub status_url: Option<String>,
    /// When the desk owes the author an answer, on the desk's clock:
    /// "Tuesday 8 December 2026, 15:00 (Europe/London)".
    pub respond_by: String,
    /// The words of the piece as the desk counts them.
    pub word_count: i32,
    /// The desk's word limit (`OPED_WORD_LIMIT`), only when the piece is
    /// over it.
    pub word_limit: Option<u32>,
    /// The attached documents the desk could not read (legacy `.doc`...),
    /// when none of them became the article: the author is asked again.
    pub unread_documents: Vec<String>,
}

/// A rendered email text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no email template is named {0:?}")]
    Unknown(String),
    #[error("cannot read the email template {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the email template {name:?} is invalid: {source:#}")]
    Invalid {
        name: String,
        source: minijinja::Error,
    },
    #[error("the email template {0:?} must start with a line \"Subject: …\" and a blank line")]
    NoSubject(String),
}

pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// The names of every template, in a stable order.
    pub fn names() -> impl Iterator<Item = &'static str> {
        BUILT_IN.iter().map(|(name, _)| *name)
    }

    /// The built-in templates, with `<dir>/<name>.txt` in place of any that
    /// file exists for. Every template is rendered once with sample values
    /// here, so a broken override stops the start instead of killing mail.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        // A typo such as `{{ titel }}` must fail, not send an email with a hole.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        for (name, built_in) in BUILT_IN {
            let source = match dir.map(|dir| dir.join(format!("{name}.txt"))) {
                Some(path) if path.is_file() => std::fs::read_to_string(&path)
                    .map_err(|source| TemplateError::Read { path, source })?,
                _ => built_in.to_string(),
            };
            env.add_template_owned(name, source)
                .map_err(|source| TemplateError::Invalid {
                    name: name.into(),
                    source,
                })?;
        }
        let templates = Templates { env };
        for name in Templates::names() {
            templates.render(name, &TemplateContext::sample())?;
        }
        Ok(templates)
    }

    pub fn built_in() -> Templates {
        Templates::load(None).expect("the built-in templates are valid")
    }

    pub fn render(&self, name: &str, context: &TemplateContext) -> Result<Rendered, TemplateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|_| TemplateError::Unknown(name.into()))?;
        let text = template
            .render(context)
            .map_err(|source| TemplateError::Invalid {
                name: name.into(),
                source,
            })?;
        split_subject(&text).ok_or_else(|| TemplateError::NoSubject(name.into()))
    }
}

impl TemplateContext {
    /// Values for checking a template renders; every optional field is set
    /// so that every branch is tried.
    fn sample() -> TemplateContext {
        TemplateContext {
            reference: "OE-2026-0001".into(),
            title: "A sample title".into(),
            author_name: "Sample Author".into(),
            author_email: "author@example.org".into(),
            note: Some("A sample note.".into()),
            site_url: "https://news.example".into(),
            public_url: "https://news.example/opinion/a-sample-title".into(),
            subject: Some("A sample subject".into()),
            body: Some("A sample body.".into()),
            status_url: Some("https://desk.news.example/a/sample".into()),
            respond_by: "Tuesday 8 December 2026, 15:00 (UTC)".into(),
            word_count: 1_500,
            word_limit: Some(1_200),
            unread_documents: Vec::new(),
        }
    }
}

/// `Subject: …\n\nbody` → its parts. The subject's whitespace (a title with a
/// line break in it) is folded to single spaces: a header is one line.
fn split_subject(text: &str) -> Option<Rendered> {
    let text = text.trim_start_matches(['\r', '\n']);
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let (label, subject) = first.split_once(':')?;
    if !label.trim().eq_ignore_ascii_case("subject") {
        return None;
    }
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let body = rest.trim_start_matches(['\r', '\n']).replace("\r\n", "\n");
    let body = format!("{}\n", body.trim_end());
    Some(Rendered { subject, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(note: Option<&str>) -> TemplateContext {
        TemplateContext {
            note: note.map(str::to_string),
            subject: None,
            body: None,
            ..TemplateContext::sample()
        }
    }

    #[test]
    fn every_built_in_template_has_the_reference_in_its_subject() {
        let templates = Templates::built_in();
        for name in Templates::names() {
            let rendered = templates
                .render(name, &context(None))
                .unwrap_or_else(|err| {
                    panic!("{name}: {err}");
                });
            assert!(rendered.subject.starts_with("[OE-2026-0001] "), "{name}");
            // A reply from anyone but the author must not read as a new
            // submission: our own subjects never carry the op-ed marker.
            let subject_only = rendered.subject.replace(&context(None).title, "");
            assert!(
                !crate::intake::subject::has_marker(&subject_only),
                "{name}: {}",
                rendered.subject
            );
            if name != "message" {
                assert!(!rendered.body.contains("none"), "{name}: {}", rendered.body);
            }
        }
    }

    #[test]
    fn the_note_appears_only_when_there_is_one() {
        let templates = Templates::built_in();
        let with = templates
            .render("rejected", &context(Some("Too long by half.")))
            .unwrap();
        assert!(
            with.body
                .contains("\n\nThe editor's note:\n\nToo long by half.\n\n")
        );
        let without = templates.render("rejected", &context(None)).unwrap();
        assert!(!without.body.contains("note"));
        assert!(!without.body.contains("\n\n\n"), "{}", without.body);
    }

    #[test]
    fn the_acknowledgement_asks_for_a_shorter_piece_only_when_it_is_over_the_limit() {
        let templates = Templates::built_in();
        let over = templates
            .render(
                "acknowledgement",
                &TemplateContext {
                    word_count: 1_850,
                    word_limit: Some(1_200),
                    ..context(None)
                },
            )
            .unwrap();
        assert!(
            over.body
                .contains("The desk prefers pieces under 1200 words; yours has 1850."),
            "{}",
            over.body
        );
        let under = templates
            .render(
                "acknowledgement",
                &TemplateContext {
                    word_count: 800,
                    word_limit: None,
                    ..context(None)
                },
            )
            .unwrap();
        assert!(!under.body.contains("prefers"), "{}", under.body);
        assert!(!under.body.contains("\n\n\n"), "{}", under.body);
        for body in [&over.body, &under.body] {
            assert!(
                body.contains("by Tuesday 8 December 2026, 15:00 (UTC)."),
                "{body}"
            );
        }
    }

    #[test]
    fn released_and_held_emails_name_the_deadline() {
        let templates = Templates::built_in();
        let released = templates.render("released", &context(None)).unwrap();
        assert!(
            released
                .body
                .contains("free to offer it to other publications")
        );
        assert!(
            released
                .body
                .contains("Tuesday 8 December 2026, 15:00 (UTC)")
        );
        let held = templates.render("held", &context(None)).unwrap();
        assert!(held.subject.contains("more time"), "{}", held.subject);
        assert!(
            held.body
                .contains("by Tuesday 8 December 2026, 15:00 (UTC)")
        );
    }

    #[test]
    fn a_directory_overrides_one_template_and_a_typo_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("approved.txt"),
            "Subject: Yes! {{ title }}\n\nHello {{ author_name }}.\n",
        )
        .unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        let approved = templates.render("approved", &context(None)).unwrap();
        assert_eq!(approved.subject, "Yes! A sample title");
        assert_eq!(approved.body, "Hello Sample Author.\n");
        // The others are still the built-in ones.
        let rejected = templates.render("rejected", &context(None)).unwrap();
        assert!(rejected.subject.starts_with("[OE-2026-0001]"));

        std::fs::write(
            dir.path().join("approved.txt"),
            "Subject: {{ titel }}\n\nx\n",
        )
        .unwrap();
        let err = Templates::load(Some(dir.path())).unwrap_err();
        assert!(err.to_string().contains("approved"), "{err}");
        std::fs::write(dir.path().join("approved.txt"), "No subject line\n").unwrap();
        assert!(matches!(
            Templates::load(Some(dir.path())),
            Err(TemplateError::NoSubject(_))
        ));
    }

    #[test]
    fn the_subject_is_the_first_line_and_crlf_bodies_are_normalised() {
        let rendered = split_subject("\nSubject:  [X]   a \r\n\r\nbody\r\nline\r\n\r\n").unwrap();
        assert_eq!(rendered.subject, "[X] a");
        assert_eq!(rendered.body, "body\nline\n");
        assert!(split_subject("Hello: there\n\nbody").is_none());
    }
}
