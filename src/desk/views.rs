//! The desk's pages: minijinja templates built into the binary from
//! `templates/desk/`, HTML-escaped by default (the `.html` names), and the
//! one error type of the desk, rendered as a page.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use chrono_tz::Tz;
use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Value, json};

use crate::app::error::ApiError;

const TEMPLATES: [(&str, &str); 16] = [
    ("base.html", include_str!("../../templates/desk/base.html")),
    (
        "signin.html",
        include_str!("../../templates/desk/signin.html"),
    ),
    (
        "queue.html",
        include_str!("../../templates/desk/queue.html"),
    ),
    (
        "piece.html",
        include_str!("../../templates/desk/piece.html"),
    ),
    ("edit.html", include_str!("../../templates/desk/edit.html")),
    (
        "changes.html",
        include_str!("../../templates/desk/changes.html"),
    ),
    (
        "compare.html",
        include_str!("../../templates/desk/compare.html"),
    ),
    (
        "edit_form.html",
        include_str!("../../templates/desk/edit_form.html"),
    ),
    (
        "confirm.html",
        include_str!("../../templates/desk/confirm.html"),
    ),
    (
        "preview.html",
        include_str!("../../templates/desk/preview.html"),
    ),
    (
        "conflict.html",
        include_str!("../../templates/desk/conflict.html"),
    ),
    (
        "error.html",
        include_str!("../../templates/desk/error.html"),
    ),
    (
        "inbox.html",
        include_str!("../../templates/desk/inbox.html"),
    ),
    (
        "inbox_message.html",
        include_str!("../../templates/desk/inbox_message.html"),
    ),
    (
        "password.html",
        include_str!("../../templates/desk/password.html"),
    ),
    (
        "accounts.html",
        include_str!("../../templates/desk/accounts.html"),
    ),
];

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // A misspelt variable is a bug to find in the tests, not a blank.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("when", when);
    env.add_filter("langdir", langdir);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .expect("the desk's templates are valid");
    }
    env
});

/// `2026-12-01T12:00:00.5Z` → `2026-12-01 14:00 EET` on a desk in Tripoli:
/// every time on the desk's clock (`OPED_TIMEZONE`, in the page's frame),
/// 24-hour, the zone named.
fn when(state: &minijinja::State, value: String) -> String {
    let timezone = state
        .lookup("frame")
        .and_then(|frame| frame.get_attr("timezone").ok())
        .and_then(|name| name.as_str().and_then(|name| name.parse::<Tz>().ok()))
        .unwrap_or(Tz::UTC);
    desk_time(&value, timezone)
}

fn desk_time(value: &str, timezone: Tz) -> String {
    chrono::DateTime::parse_from_rfc3339(value).map_or(value.to_string(), |at| {
        at.with_timezone(&timezone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    })
}

/// The attributes for an element holding `text` someone wrote: Arabic is
/// marked as Arabic, read right to left; anything else takes the direction
/// of its first strong letter.
fn langdir(text: String) -> minijinja::Value {
    let attributes = if crate::text::mostly_arabic(&text) {
        r#"lang="ar" dir="rtl""#
    } else {
        r#"dir="auto""#
    };
    minijinja::Value::from_safe_string(attributes.to_string())
}

/// What every page's frame shows: who is signed in, the token for the
/// sign-out form, and the admins' link to the accounts.
pub struct Frame<'a> {
    pub name: &'a str,
    pub csrf: String,
    pub admin: bool,
    /// The desk's clock, on which every time of the page is shown.
    pub timezone: Tz,
}

/// `template` with `context` (a JSON object) and the frame, as a page.
pub fn page(
    status: StatusCode,
    template: &str,
    frame: Option<Frame<'_>>,
    mut context: Value,
) -> Result<HttpResponse, DeskError> {
    if let Some(object) = context.as_object_mut() {
        object.insert(
            "frame".into(),
            match frame {
                Some(frame) => {
                    json!({
                        "name": frame.name,
                        "csrf": frame.csrf,
                        "admin": frame.admin,
                        "timezone": frame.timezone.name(),
                    })
                }
                None => Value::Null,
            },
        );
    }
    let html = PAGES
        .get_template(template)
        .and_then(|template| template.render(minijinja::Value::from_serialize(&context)))
        .map_err(|err| DeskError::internal(&err))?;
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(html))
}

/// 303 to `location`: after a form is handled, a reload does not post it
/// again.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Why a desk request did not get its page.
#[derive(Debug)]
pub enum DeskError {
    /// No session, or it has ended: to the sign-in page.
    SignIn,
    /// A form without this session's token.
    NoToken,
    /// Anything else, as a page saying what happened.
    Page {
        status: StatusCode,
        title: &'static str,
        detail: String,
        /// Why a 5xx happened, for the log only.
        cause: Option<String>,
        /// Where the page offers to go back to (else the queue).
        back: Option<String>,
    },
}

impl DeskError {
    pub fn bad_request(detail: impl Into<String>) -> DeskError {
        DeskError::Page {
            status: StatusCode::BAD_REQUEST,
            title: "That did not work",
            detail: detail.into(),
            cause: None,
            back: None,
        }
    }

    /// The same error, offering a way back to `url`.
    pub fn back_to(self, url: String) -> DeskError {
        match self {
            DeskError::Page {
                status,
                title,
                detail,
                cause,
                ..
            } => DeskError::Page {
                status,
                title,
                detail,
                cause,
                back: Some(url),
            },
            other => other,
        }
    }

    pub fn internal(cause: &dyn std::fmt::Display) -> DeskError {
        DeskError::Page {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Something went wrong",
            detail: "The desk could not show this page. Try again in a moment.".into(),
            cause: Some(cause.to_string()),
            back: None,
        }
    }
}

impl std::fmt::Display for DeskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeskError::SignIn => write!(f, "not signed in"),
            DeskError::NoToken => write!(f, "a form without its CSRF token"),
            DeskError::Page {
                status,
                detail,
                cause,
                ..
            } => {
                write!(f, "{status}: {detail}")?;
                if let Some(cause) = cause {
                    write!(f, "; cause: {cause}")?;
                }
                Ok(())
            }
        }
    }
}

/// An API error as the desk shows it: the same words, in a page.
impl From<ApiError> for DeskError {
    fn from(err: ApiError) -> DeskError {
        let title = match err.status {
            StatusCode::UNAUTHORIZED => return DeskError::SignIn,
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::PRECONDITION_FAILED => "Someone else changed this piece",
            StatusCode::CONFLICT => "Not possible now",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            status if status.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        let detail = match err.status {
            StatusCode::PRECONDITION_FAILED => {
                "It changed after you opened it. Open it again to see what changed, then try again."
                    .to_string()
            }
            status if status.is_server_error() => {
                "The desk could not do this now. Try again in a moment.".to_string()
            }
            _ => err.detail.clone(),
        };
        DeskError::Page {
            status: err.status,
            title,
            detail,
            cause: err.cause,
            back: None,
        }
    }
}

impl ResponseError for DeskError {
    fn status_code(&self) -> StatusCode {
        match self {
            DeskError::SignIn => StatusCode::SEE_OTHER,
            DeskError::NoToken => StatusCode::FORBIDDEN,
            DeskError::Page { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, detail, back) = match self {
            DeskError::SignIn => return see_other("/desk/signin"),
            DeskError::NoToken => (
                "This form has expired",
                "The form did not carry this session's security token (it is older than your \
                 session, or it did not come from the desk). Go back, reload the page and try again."
                    .to_string(),
                None,
            ),
            DeskError::Page {
                title,
                detail,
                back,
                ..
            } => (*title, detail.clone(), back.clone()),
        };
        let context = json!({ "title": title, "detail": detail, "back": back });
        page(self.status_code(), "error.html", None, context).unwrap_or_else(|_| {
            HttpResponse::build(self.status_code())
                .content_type(ContentType::plaintext())
                .body(detail)
        })
    }
}

pub async fn not_found() -> Result<HttpResponse, DeskError> {
    Err(DeskError::Page {
        status: StatusCode::NOT_FOUND,
        title: "Not found",
        detail: "There is no such page on the desk.".into(),
        cause: None,
        back: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_template_compiles() {
        for (name, _) in TEMPLATES {
            assert!(PAGES.get_template(name).is_ok(), "{name}");
        }
        assert_eq!(
            desk_time("2026-12-01T12:00:00.5Z", Tz::UTC),
            "2026-12-01 12:00 UTC"
        );
        assert_eq!(
            desk_time("2026-12-01T12:00:00Z", chrono_tz::Africa::Tripoli),
            "2026-12-01 14:00 EET"
        );
        assert_eq!(desk_time("not a time", Tz::UTC), "not a time");
    }
}
