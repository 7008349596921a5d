//! What an editor's edit may contain, checked before it reaches the
//! database. Pure.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::auth::Role;
use crate::domain::State;
use crate::text::html::paragraphs_to_html;
use crate::text::{clean, word_count};

const MAX_TITLE_CHARS: usize = 300;
const MAX_STANDFIRST_CHARS: usize = 1_000;
const MAX_BIO_CHARS: usize = 2_000;
const MAX_BODY_BYTES: usize = 1024 * 1024;
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 60;
const MAX_SLUG_CHARS: usize = 120;

/// Lower-case letters of any script, digits, single hyphens between them:
/// `unified-budget`, `مستقبل-الانتخابات`.
static SLUG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\p{Ll}\p{Lo}\p{N}]+(?:-[\p{Ll}\p{Lo}\p{N}]+)*$").expect("valid regex")
});

/// Whether what readers see is at stake in a piece in `state`: a published
/// piece, or a scheduled one, which the scheduler publishes as it stands.
pub fn before_readers(state: State) -> bool {
    matches!(state, State::Scheduled | State::Published)
}

/// Whether `role` may change the text or fields of a piece in `state`
/// (an edit, an accepted proposal): what readers see changes only through
/// a publisher.
pub fn may_edit(state: State, role: Role) -> bool {
    !before_readers(state) || role.includes(Role::Publisher)
}

/// `PATCH /submissions/{id}`: every field optional; an empty string clears
/// the optional ones (standfirst, author bio, slug).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionPatch {
    /// 1 to 300 characters once trimmed.
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// At most 1,000 characters once trimmed; empty clears it.
    #[schema(max_length = 1000)]
    pub standfirst: Option<String>,
    /// The article as plain text; paragraphs are separated by blank lines.
    /// Not empty once trimmed, at most 1 MiB. Also accepted as `body`.
    #[serde(alias = "body")]
    #[schema(min_length = 1)]
    pub body_text: Option<String>,
    /// At most 2,000 characters once trimmed; empty clears it.
    #[schema(max_length = 2000)]
    pub author_bio: Option<String>,
    /// Lower-case letters (any script) and digits joined by single hyphens,
    /// at most 120 characters (`unified-budget`); empty clears it.
    #[schema(max_length = 120, example = "unified-budget")]
    pub slug: Option<String>,
    /// At most 20 distinct tags of 1 to 60 characters each (inner
    /// whitespace collapsed); replaces the list.
    pub tags: Option<Vec<String>>,
}

/// A checked edit, with the derived HTML and word count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidEdit {
    pub title: Option<String>,
    pub standfirst: Option<Option<String>>,
    pub body: Option<EditedBody>,
    pub author_bio: Option<Option<String>>,
    pub slug: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditedBody {
    pub text: String,
    pub html: String,
    pub word_count: i32,
}

impl ValidEdit {
    /// True when the edit changes the text that revisions record.
    pub fn touches_text(&self) -> bool {
        self.title.is_some() || self.body.is_some()
    }

    pub fn is_empty(&self) -> bool {
        *self == ValidEdit::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {detail}")]
pub struct FieldError {
    pub field: &'static str,
    pub detail: String,
}

fn field_error(field: &'static str, detail: impl Into<String>) -> FieldError {
    FieldError {
        field,
        detail: detail.into(),
    }
}

pub fn validate(patch: SubmissionPatch) -> Result<ValidEdit, FieldError> {
    let title = match patch.title.map(|t| clean(&t).trim().to_string()) {
        Some(title) if title.is_empty() => {
            return Err(field_error("title", "the title cannot be empty"));
        }
        Some(title) if title.chars().count() > MAX_TITLE_CHARS => {
            return Err(field_error(
                "title",
                format!("at most {MAX_TITLE_CHARS} characters"),
            ));
        }
        other => other,
    };
    let body = match patch.body_text {
        None => None,
        Some(text) => {
            let text = clean(&text).trim().to_string();
            if text.is_empty() {
                return Err(field_error("body_text", "the text cannot be empty"));
            }
            if text.len() > MAX_BODY_BYTES {
                return Err(field_error(
                    "body_text",
                    format!("at most {MAX_BODY_BYTES} bytes"),
                ));
            }
            Some(EditedBody {
                html: paragraphs_to_html(&text),
                word_count: word_count(&text),
                text,
            })
        }
    };
    let slug = match patch.slug.map(|s| s.trim().to_string()) {
        None => None,
        Some(slug) if slug.is_empty() => Some(None),
        Some(slug) => {
            if slug.chars().count() > MAX_SLUG_CHARS || !SLUG.is_match(&slug) {
                return Err(field_error(
                    "slug",
                    format!(
                        "lower-case letters and digits joined by single hyphens, at most {MAX_SLUG_CHARS} characters"
                    ),
                ));
            }
            Some(Some(slug))
        }
    };
    let tags = match patch.tags {
        None => None,
        Some(tags) => {
            let mut distinct: Vec<String> = Vec::new();
            for tag in tags {
                let tag = clean(&tag).split_whitespace().collect::<Vec<_>>().join(" ");
                if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS {
                    return Err(field_error(
                        "tags",
                        format!("each tag has 1 to {MAX_TAG_CHARS} characters"),
                    ));
                }
                if !distinct.contains(&tag) {
                    distinct.push(tag);
                }
            }
            if distinct.len() > MAX_TAGS {
                return Err(field_error("tags", format!("at most {MAX_TAGS} tags")));
            }
            Some(distinct)
        }
    };
    Ok(ValidEdit {
        title,
        standfirst: optional_text(patch.standfirst, "standfirst", MAX_STANDFIRST_CHARS)?,
        body,
        author_bio: optional_text(patch.author_bio, "author_bio", MAX_BIO_CHARS)?,
        slug,
        tags,
    })
}

fn optional_text(
    value: Option<String>,
    field: &'static str,
    max: usize,
) -> Result<Option<Option<String>>, FieldError> {
    match value.map(|v| clean(&v).trim().to_string()) {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(Some(None)),
        Some(text) if text.chars().count() > max => {
            Err(field_error(field, format!("at most {max} characters")))
        }
        Some(text) => Ok(Some(Some(text))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(json: &str) -> Result<ValidEdit, FieldError> {
        validate(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn only_a_publisher_changes_what_readers_see() {
        for state in State::ALL {
            let live = matches!(state, State::Scheduled | State::Published);
            assert_eq!(may_edit(state, Role::Editor), !live, "{state}");
            assert!(may_edit(state, Role::Publisher), "{state}");
            assert!(may_edit(state, Role::Admin), "{state}");
        }
    }

    #[test]
    fn a_body_edit_derives_html_and_word_count() {
        let edit = patch(r#"{"body": "One two.\r\n\r\nThree <&>"}"#).unwrap();
        let body = edit.body.unwrap();
        assert_eq!(body.text, "One two.\n\nThree <&>");
        assert_eq!(body.html, "<p>One two.</p>\n<p>Three &lt;&amp;&gt;</p>\n");
        assert_eq!(body.word_count, 3);
    }

    #[test]
    fn control_characters_never_reach_the_piece() {
        let edit = patch(
            r#"{"title": "A\u0007 title\u001b", "body_text": "One\u000c two.\r\nThree", "author_bio": "\u0000", "tags": ["a\u0001b"]}"#,
        )
        .unwrap();
        assert_eq!(edit.title.as_deref(), Some("A title"));
        assert_eq!(edit.body.unwrap().text, "One two.\nThree");
        assert_eq!(edit.author_bio, Some(None));
        assert_eq!(edit.tags.unwrap(), vec!["ab"]);
    }

    #[test]
    fn slugs_are_readable_in_any_script() {
        assert!(patch(r#"{"slug": "unified-budget-2026"}"#).is_ok());
        assert!(patch(r#"{"slug": "مستقبل-الانتخابات"}"#).is_ok());
        for bad in ["Upper", "two--hyphens", "-leading", "space here", "a/b"] {
            let err = patch(&format!(r#"{{"slug": "{bad}"}}"#)).unwrap_err();
            assert_eq!(err.field, "slug", "{bad}");
        }
        assert_eq!(patch(r#"{"slug": ""}"#).unwrap().slug, Some(None));
    }

    #[test]
    fn bad_fields_are_named() {
        assert_eq!(patch(r#"{"title": "  "}"#).unwrap_err().field, "title");
        assert_eq!(
            patch(r#"{"body_text": ""}"#).unwrap_err().field,
            "body_text"
        );
        assert_eq!(patch(r#"{"tags": [""]}"#).unwrap_err().field, "tags");
        let many: Vec<String> = (0..30).map(|i| format!("\"t{i}\"")).collect();
        assert_eq!(
            patch(&format!(r#"{{"tags": [{}]}}"#, many.join(",")))
                .unwrap_err()
                .field,
            "tags"
        );
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let edit = patch(r#"{"tags": [" economy ", "economy", "Libya"]}"#).unwrap();
        assert_eq!(edit.tags.unwrap(), vec!["economy", "Libya"]);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<SubmissionPatch>(r#"{"state": "published"}"#).is_err());
    }
}
