//! The one error type of the application, rendered as
//! `application/problem+json` (RFC 9457) in one place: what the API, the
//! public pages' feed and the operators' routes answer. The desk shows the
//! same error as a page (`desk::views::DeskError` is made from it).
//!
//! Policy: expected failures carry a stable `code` and a `detail` a client can
//! act on; the database being away is a 503 with `Retry-After`; anything
//! unexpected is a 500, shown to the client without internals.
//!
//! Every domain error becomes an `ApiError` here, in a `From` impl below, so
//! a handler only writes `?`. A 5xx keeps its cause (never shown to the
//! client), and the request logger (`TracingLogger`, mounted by
//! `startup::app`) logs it once with the request: nothing is logged where
//! the error is made.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::auth::accounts::AuthError;
use crate::db::errors::{DbFailure, classify};
use crate::intake::{InboxError, IntakeError};
use crate::outbox::deliveries::RetryError;
use crate::submissions::PieceError;
use crate::submissions::edit::FieldError;
use crate::workflow::WorkflowError;
use crate::workflow::service::TransitionError;

/// Seconds a client should wait before retrying after a 503.
const RETRY_AFTER_SECONDS: u64 = 30;

#[derive(Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// The request field at fault, for validation errors.
    pub field: Option<&'static str>,
    /// Seconds before a retry may succeed (429; a 503 defaults to 30).
    pub retry_after: Option<u64>,
    /// Why a 5xx happened, for the log only: never sent to the client.
    pub cause: Option<String>,
}

/// What the request logger writes for a failed request (its `{:?}`): the
/// status, the code and the detail, and the cause of a server error.
impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")?;
        if let Some(cause) = &self.cause {
            write!(f, "; cause: {cause}")?;
        }
        Ok(())
    }
}

/// An `application/problem+json` body (RFC 9457).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    /// Stable and machine-readable: `not_found`, `precondition_failed`, …
    code: &'a str,
    /// The request field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    /// 412: `If-Match` does not name the current version (`current`, when known).
    pub fn stale(current: Option<i32>) -> ApiError {
        let detail = match current {
            Some(version) => format!(
                "the submission has changed since (it is now at ETag \"{version}\"); reload it and edit again"
            ),
            None => "If-Match does not name a version of this submission".to_string(),
        };
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            detail,
        )
    }

    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            field: None,
            retry_after: None,
            cause: None,
        }
    }

    /// Keeps `cause` for the request logger (a 5xx's log line).
    fn caused_by(self, cause: &dyn std::fmt::Display) -> Self {
        ApiError {
            cause: Some(cause.to_string()),
            ..self
        }
    }

    /// A 422 naming the request field at fault.
    pub fn invalid_field(field: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            field: Some(field),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", detail)
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 403: what readers see changes only through a publisher.
    pub fn publisher_only(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "publisher_only", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        ApiError {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                detail,
            )
        }
    }

    /// 429: too many attempts; try again after `seconds`.
    pub fn too_many(code: &'static str, detail: impl Into<String>, seconds: u64) -> Self {
        ApiError {
            retry_after: Some(seconds),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, code, detail)
        }
    }

    /// An unexpected failure: its cause goes to the log with the request,
    /// never to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server could not complete the request; it has been logged",
        )
        .caused_by(cause)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let problem = Problem {
            kind: format!(
                "https://oped.invalid/problems/{}",
                self.code.replace('_', "-")
            ),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
            field: self.field,
        };
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/problem+json");
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.json(problem)
    }
}

impl From<IntakeError> for ApiError {
    fn from(err: IntakeError) -> Self {
        // The message was not recorded; the sender keeps it and retries.
        ApiError::unavailable(
            "the message could not be stored now; nothing was kept, try again later",
        )
        .caused_by(&err)
    }
}

impl From<InboxError> for ApiError {
    fn from(err: InboxError) -> Self {
        match err {
            InboxError::NotFound => ApiError::not_found("message"),
            InboxError::NotInInbox => {
                ApiError::new(StatusCode::CONFLICT, "not_in_inbox", err.to_string())
            }
            // The typed reference is named, so the desk can show it beside
            // the field it came from.
            InboxError::UnknownReference(_) => ApiError {
                field: Some("reference"),
                ..ApiError::new(StatusCode::NOT_FOUND, "unknown_reference", err.to_string())
            },
            InboxError::Unreadable(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unreadable_message",
                err.to_string(),
            ),
            InboxError::Database(err) => err.into(),
        }
    }
}

impl From<RetryError> for ApiError {
    fn from(err: RetryError) -> Self {
        match err {
            RetryError::NotFound => ApiError::not_found("delivery"),
            RetryError::NotDead => ApiError::new(StatusCode::CONFLICT, "not_dead", err.to_string()),
            RetryError::PublisherOnly => ApiError::publisher_only(err.to_string()),
            RetryError::Superseded { .. } => {
                ApiError::new(StatusCode::CONFLICT, "superseded", err.to_string())
            }
            RetryError::Database(err) => err.into(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        if let diesel::result::Error::NotFound = err {
            return ApiError::not_found("resource");
        }
        match classify(&err) {
            // The one input PostgreSQL refuses in any text: a NUL character,
            // which JSON can carry (\u0000). Whatever field held it, it is the
            // client's to fix, not a server failure.
            DbFailure::BadText => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_text",
                "text must not contain NUL (\\u0000) characters",
            ),
            // The statement ran past the pool's statement_timeout: the
            // request asked for too much at once (a search no index helps).
            DbFailure::Timeout => ApiError {
                retry_after: Some(RETRY_AFTER_SECONDS),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "query_timeout",
                    "the request took too long and was stopped; narrow it (a search with more words, a date range) or try again later",
                )
            }
            .caused_by(&err),
            DbFailure::Away | DbFailure::Busy => {
                ApiError::unavailable("the database is unavailable; try again later")
                    .caused_by(&err)
            }
            DbFailure::Other => ApiError::internal(&err),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        ApiError::unavailable("the database is unavailable; try again later").caused_by(&err)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::internal(&err)
    }
}

impl From<super::turns::Panicked> for ApiError {
    fn from(err: super::turns::Panicked) -> Self {
        ApiError::internal(&err)
    }
}

/// Where account errors get their status and code.
impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        let detail = err.to_string();
        match err {
            AuthError::InvalidCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", detail)
            }
            AuthError::Locked(locked) => {
                ApiError::too_many("too_many_attempts", detail, locked.retry_after_secs)
            }
            AuthError::InvalidRefreshToken => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_refresh_token", detail)
            }
            AuthError::InvalidField { field, reason } => ApiError::invalid_field(field, reason),
            AuthError::EmailTaken => ApiError::new(StatusCode::CONFLICT, "email_taken", detail),
            AuthError::NoSuchUser => ApiError::not_found("user"),
            AuthError::SelfLockout => ApiError::new(StatusCode::CONFLICT, "self_lockout", detail),
            AuthError::LastAdmin => ApiError::new(StatusCode::CONFLICT, "last_admin", detail),
            AuthError::WrongPassword => {
                ApiError::new(StatusCode::FORBIDDEN, "wrong_password", detail)
            }
            AuthError::Pool(err) => ApiError::from(err),
            AuthError::Database(err) => ApiError::from(err),
            AuthError::Hashing(_) => ApiError::internal(&err),
        }
    }
}

/// A field of an edit that does not fit: 422 naming it.
impl From<FieldError> for ApiError {
    fn from(err: FieldError) -> Self {
        ApiError::invalid_field(err.field, err.detail)
    }
}

impl From<TransitionError> for ApiError {
    fn from(err: TransitionError) -> Self {
        match err {
            TransitionError::Workflow(err) => err.into(),
            TransitionError::Piece(err) => err.into(),
        }
    }
}

/// Every refusal of a change to a piece, whichever door or service made it.
impl From<PieceError> for ApiError {
    fn from(err: PieceError) -> Self {
        let conflict =
            |code, err: &PieceError| ApiError::new(StatusCode::CONFLICT, code, err.to_string());
        match err {
            PieceError::NotFound => ApiError::not_found("submission"),
            PieceError::NoSuchProposal => ApiError::not_found("proposal"),
            PieceError::NoSuchRevision => ApiError::not_found("revision"),
            PieceError::Stale { current } => ApiError::stale(Some(current)),
            PieceError::PublisherOnly { .. } => ApiError::publisher_only(err.to_string()),
            PieceError::SlugTaken => ApiError::new(
                StatusCode::CONFLICT,
                "slug_taken",
                "another submission already has this slug",
            ),
            PieceError::SlugLocked => ApiError::new(
                StatusCode::CONFLICT,
                "slug_locked",
                "the piece has been published under its slug, which no longer changes: links to it must keep working",
            ),
            PieceError::ProposalDecided { .. } => conflict("proposal_decided", &err),
            PieceError::NotPublished { .. } => conflict("not_published", &err),
            PieceError::NotOpen { .. } => conflict("invalid_transition", &err),
            PieceError::AlreadyHeld { .. } => conflict("already_held", &err),
            PieceError::NotAssignable { .. } => conflict("invalid_transition", &err),
            PieceError::MissingNote => ApiError::invalid_field("note", err.to_string()),
            PieceError::UnknownAssignee => {
                ApiError::invalid_field("assignee", "not an active user")
            }
            PieceError::Database(err) => err.into(),
        }
    }
}

/// What the workflow's table refuses: the role (403), the state (409), a
/// missing or impossible field (422).
impl From<WorkflowError> for ApiError {
    fn from(err: WorkflowError) -> Self {
        match err {
            WorkflowError::RoleTooLow { .. } => ApiError::forbidden(err.to_string()),
            WorkflowError::NotFromState { .. } => {
                ApiError::new(StatusCode::CONFLICT, "invalid_transition", err.to_string())
            }
            WorkflowError::MissingField { field, .. } => {
                ApiError::invalid_field(field, err.to_string())
            }
            WorkflowError::PublishAtInPast => {
                ApiError::invalid_field("publish_at", err.to_string())
            }
            WorkflowError::AuthorsOnly { .. } => ApiError::forbidden(err.to_string()),
            WorkflowError::ExclusivityUnconfirmed { .. } => ApiError {
                field: Some("note"),
                ..ApiError::new(
                    StatusCode::CONFLICT,
                    "exclusivity_unconfirmed",
                    err.to_string(),
                )
            },
            WorkflowError::WithdrawnByAuthor { .. } => {
                ApiError::new(StatusCode::CONFLICT, "withdrawn_by_author", err.to_string())
            }
            WorkflowError::NotATransition { .. } => {
                ApiError::invalid_field("action", err.to_string())
            }
        }
    }
}
