//! The author's status link as every door serves it (the JSON API at
//! `/api/v1/author/{token}`, the page at `/a/{token}`): the token in the
//! path is the only credential, each client address gets its share of
//! lookups (`limiter`), and the author's acts (withdraw, consent again,
//! declare) are the same whichever door they come through.

pub mod limiter;
pub mod view;

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use chrono::Utc;
use diesel::PgConnection;

use super::error::ApiError;
use super::{AppState, blocking_db};
use crate::author_link::service::ConsentError;
use crate::author_link::status::normalise_disclosure;
use crate::author_link::store::{self, DeclareError};
use crate::author_link::{MAX_DISCLOSURE_CHARS, MAX_REASON_CHARS, service, token};
use crate::publishing::Site;
use crate::submissions::PieceError;
use crate::workflow::WorkflowError;
use crate::workflow::service::TransitionError;
use view::AuthorStatus;

/// Form and JSON bodies of the author's page: two short texts at most.
pub const BODY_LIMIT: usize = 16 * 1024;

/// 404 alike for a token of the wrong shape, an unknown one and a revoked
/// one: the answer says nothing of which.
fn unknown_link() -> ApiError {
    ApiError::not_found("status link")
}

/// Runs `work` on the submission `token` opens, once the client's address
/// is within its share of requests.
pub async fn with_token<T, F>(
    state: &AppState,
    request: &HttpRequest,
    token: String,
    work: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection, i64) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let address = crate::app::client::client_address(request, &state.trusted_proxies);
    if let Err(seconds) = state
        .author_lookups
        .admit(address, std::time::Instant::now())
    {
        return Err(ApiError::too_many(
            "too_many_requests",
            "too many requests for status links from this address; try again later",
            seconds,
        ));
    }
    if !token::well_formed(&token) {
        return Err(unknown_link());
    }
    blocking_db(state, move |conn| {
        let id = store::open(conn, &token)?.ok_or_else(unknown_link)?;
        work(conn, id)
    })
    .await
}

pub fn read_status(
    conn: &mut PgConnection,
    id: i64,
    site: &Site,
) -> Result<AuthorStatus, ApiError> {
    let record = store::read(conn, id)?.ok_or_else(unknown_link)?;
    Ok(AuthorStatus::new(record, site))
}

/// The reason for a withdrawal: optional, at most `MAX_REASON_CHARS`.
pub fn checked_reason(reason: Option<&str>) -> Result<Option<String>, ApiError> {
    let reason = reason
        .map(crate::text::clean)
        .map(|reason| reason.trim().to_string())
        .filter(|reason| !reason.is_empty());
    if reason
        .as_deref()
        .is_some_and(|reason| reason.chars().count() > MAX_REASON_CHARS)
    {
        return Err(ApiError::invalid_field(
            "reason",
            format!("the reason is limited to {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(reason)
}

/// The disclosure: required ("none" when there is nothing), at most
/// `MAX_DISCLOSURE_CHARS`.
pub fn checked_disclosure(disclosure: &str) -> Result<String, ApiError> {
    let disclosure = normalise_disclosure(&crate::text::clean(disclosure));
    if disclosure.is_empty() {
        return Err(ApiError::invalid_field(
            "disclosure",
            "write your disclosure, or \"none\" when there is nothing to disclose",
        ));
    }
    if disclosure.chars().count() > MAX_DISCLOSURE_CHARS {
        return Err(ApiError::invalid_field(
            "disclosure",
            format!("the disclosure is limited to {MAX_DISCLOSURE_CHARS} characters"),
        ));
    }
    Ok(disclosure)
}

pub fn withdraw(
    conn: &mut PgConnection,
    id: i64,
    reason: Option<String>,
    site: &Site,
) -> Result<(), ApiError> {
    service::withdraw(conn, id, reason, site, Utc::now()).map_err(|err| match err {
        TransitionError::Workflow(WorkflowError::NotFromState { .. }) => ApiError::new(
            StatusCode::CONFLICT,
            "not_withdrawable",
            "the piece can no longer be withdrawn",
        ),
        TransitionError::Piece(PieceError::NotFound) => unknown_link(),
        other => ApiError::from(other),
    })
}

pub fn consent(conn: &mut PgConnection, id: i64) -> Result<(), ApiError> {
    service::consent_again(conn, id, Utc::now()).map_err(|err| match err {
        ConsentError::NotFound => unknown_link(),
        ConsentError::NothingToConsent => {
            ApiError::new(StatusCode::CONFLICT, "nothing_to_consent", err.to_string())
        }
        ConsentError::Database(err) => ApiError::from(err),
    })
}

pub fn declare(
    conn: &mut PgConnection,
    id: i64,
    exclusive: bool,
    disclosure: &str,
) -> Result<(), ApiError> {
    store::declare(conn, id, exclusive, disclosure, Utc::now()).map_err(|err| match err {
        DeclareError::NotFound => unknown_link(),
        DeclareError::Closed(_) => ApiError::new(
            StatusCode::CONFLICT,
            "declaration_closed",
            "the answers can no longer be changed: the piece is scheduled, published or closed",
        ),
        DeclareError::Database(err) => ApiError::from(err),
    })
}
