//! The one error type of the HTTP API, rendered as `application/problem+json`
//! (RFC 9457) in one place.
//!
//! Policy: expected failures carry a stable `code` and a `detail` a client can
//! act on; the database being away is a 503 with `Retry-After`; anything
//! unexpected is a 500, logged once here with its cause, and shown to the
//! client without internals.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::intake::{IntakeError, PromoteError};
use crate::outbox::deliveries::RetryError;
use crate::submissions::proposals::ProposalError;

/// Seconds a client should wait before retrying after a 503.
const RETRY_AFTER_SECONDS: u64 = 30;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// The request field at fault, for validation errors.
    pub field: Option<&'static str>,
    /// Seconds before a retry may succeed (429; a 503 defaults to 30).
    pub retry_after: Option<u64>,
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
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            field: None,
            retry_after: None,
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

    /// An unexpected failure: logged with its cause, hidden from the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server could not complete the request; it has been logged",
        )
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
        tracing::warn!(error = %err, "intake deferred");
        ApiError::unavailable(
            "the message could not be stored now; nothing was kept, try again later",
        )
    }
}

impl From<PromoteError> for ApiError {
    fn from(err: PromoteError) -> Self {
        match err {
            PromoteError::NotFound => ApiError::not_found("message"),
            PromoteError::NotInInbox => {
                ApiError::new(StatusCode::CONFLICT, "not_in_inbox", err.to_string())
            }
            PromoteError::Unreadable(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unreadable_message",
                err.to_string(),
            ),
            PromoteError::Database(err) => err.into(),
        }
    }
}

impl From<ProposalError> for ApiError {
    fn from(err: ProposalError) -> Self {
        match err {
            ProposalError::NotFound => ApiError::not_found("proposal"),
            ProposalError::Decided { .. } => {
                ApiError::new(StatusCode::CONFLICT, "proposal_decided", err.to_string())
            }
            ProposalError::Stale { current } => super::preconditions::stale(Some(current)),
            ProposalError::PublisherOnly => ApiError::forbidden(err.to_string()),
            ProposalError::Database(err) => err.into(),
        }
    }
}

impl From<RetryError> for ApiError {
    fn from(err: RetryError) -> Self {
        match err {
            RetryError::NotFound => ApiError::not_found("delivery"),
            RetryError::NotDead => ApiError::new(StatusCode::CONFLICT, "not_dead", err.to_string()),
            RetryError::Database(err) => err.into(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => ApiError::not_found("resource"),
            // The one input PostgreSQL refuses in any text: a NUL character,
            // which JSON can carry (\u0000). Whatever field held it, it is the
            // client's to fix, not a server failure.
            diesel::result::Error::DatabaseError(_, info)
                if info.message().contains("invalid byte sequence")
                    || info
                        .message()
                        .contains("unsupported Unicode escape sequence") =>
            {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_text",
                    "text must not contain NUL (\\u0000) characters",
                )
            }
            // The statement ran past the pool's statement_timeout: the
            // request asked for too much at once (a search no index helps).
            diesel::result::Error::DatabaseError(_, info)
                if info.message().contains("statement timeout") =>
            {
                tracing::warn!("statement stopped by statement_timeout");
                ApiError {
                    retry_after: Some(RETRY_AFTER_SECONDS),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "query_timeout",
                        "the request took too long and was stopped; narrow it (a search with more words, a date range) or try again later",
                    )
                }
            }
            other => ApiError::internal(&other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %err, "no database connection");
        ApiError::unavailable("the database is unavailable; try again later")
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::internal(&err)
    }
}
