//! `/api/v1/author/{token}`: the author's status as JSON, and their acts
//! (`app::author_link`; the same as the page at `/a/{token}` offers). The
//! token in the path is the only credential: no cookie, no login. Every
//! answer is `no-store` with `Referrer-Policy: no-referrer` (the app's
//! defaults), so the token neither stays in caches nor leaks.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::app::author_link::view::AuthorStatus;
use crate::app::author_link::{
    self, BODY_LIMIT, checked_disclosure, checked_reason, read_status, with_token,
};
use crate::app::error::ApiError;

/// `/api/v1/author/…`, mounted in the API scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/author/{token}")
            .app_data(
                web::JsonConfig::default()
                    .limit(BODY_LIMIT)
                    .error_handler(|err, _| ApiError::from(err).into()),
            )
            .route("", web::get().to(show))
            .route("/withdraw", web::post().to(withdraw))
            .route("/consent", web::post().to(consent))
            .route("/declaration", web::put().to(declare)),
    );
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// Why, in the author's words (optional, at most 1,000 characters);
    /// the desk sees it in the piece's history.
    reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationBody {
    /// "This piece is original and not offered elsewhere."
    exclusive: bool,
    /// Who pays the author, what they own, anything readers should know;
    /// `none` when there is nothing (at most 2,000 characters).
    disclosure: String,
}

/// Where the author's piece stands.
#[utoipa::path(get, path = "/api/v1/author/{token}", tag = "author",
    params(("token" = String, Path, description = "The token of the author's status link")),
    responses(
        (status = 200, body = AuthorStatus),
        (status = 404, description = "No live status link has this token (unknown or revoked alike): code `not_found`"),
        (status = 429, description = "Too many requests from this address: code `too_many_requests`, with `Retry-After`"),
    ))]
pub async fn show(
    token: web::Path<String>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let site = state.site.clone();
    let status = with_token(&state, &request, token.into_inner(), move |conn, id| {
        read_status(conn, id, &site)
    })
    .await?;
    Ok(HttpResponse::Ok().json(status))
}

/// The author withdraws the piece (before it is published).
#[utoipa::path(post, path = "/api/v1/author/{token}/withdraw", tag = "author",
    params(("token" = String, Path, description = "The token of the author's status link")),
    request_body = WithdrawBody,
    responses(
        (status = 200, description = "The status after the withdrawal", body = AuthorStatus),
        (status = 404, description = "No live status link has this token: code `not_found`"),
        (status = 409, description = "Published or already closed: code `not_withdrawable`"),
        (status = 422, description = "The reason is too long: code `invalid_field`"),
        (status = 429, description = "Too many requests from this address: code `too_many_requests`"),
    ))]
pub async fn withdraw(
    token: web::Path<String>,
    request: HttpRequest,
    body: web::Json<WithdrawBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reason = checked_reason(body.reason.as_deref())?;
    let site = state.site.clone();
    let status = with_token(&state, &request, token.into_inner(), move |conn, id| {
        author_link::withdraw(conn, id, reason, &site)?;
        read_status(conn, id, &site)
    })
    .await?;
    Ok(HttpResponse::Ok().json(status))
}

/// The author, who withdrew the piece here, says the desk may consider it
/// again. It stays withdrawn until an editor reopens it, and the author is
/// emailed when that happens.
#[utoipa::path(post, path = "/api/v1/author/{token}/consent", tag = "author",
    params(("token" = String, Path, description = "The token of the author's status link")),
    responses(
        (status = 200, description = "The status after the consent", body = AuthorStatus),
        (status = 404, description = "No live status link has this token: code `not_found`"),
        (status = 409, description = "Not withdrawn through this link, or consented already: code `nothing_to_consent`"),
        (status = 429, description = "Too many requests from this address: code `too_many_requests`"),
    ))]
pub async fn consent(
    token: web::Path<String>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let site = state.site.clone();
    let status = with_token(&state, &request, token.into_inner(), move |conn, id| {
        author_link::consent(conn, id)?;
        read_status(conn, id, &site)
    })
    .await?;
    Ok(HttpResponse::Ok().json(status))
}

/// The author's answers on exclusivity and disclosure; they may change them
/// until the piece is scheduled or published.
#[utoipa::path(put, path = "/api/v1/author/{token}/declaration", tag = "author",
    params(("token" = String, Path, description = "The token of the author's status link")),
    request_body = DeclarationBody,
    responses(
        (status = 200, description = "The status with the answers", body = AuthorStatus),
        (status = 404, description = "No live status link has this token: code `not_found`"),
        (status = 409, description = "Scheduled, published or closed: code `declaration_closed`"),
        (status = 422, description = "The disclosure is empty or too long: code `invalid_field`"),
        (status = 429, description = "Too many requests from this address: code `too_many_requests`"),
    ))]
pub async fn declare(
    token: web::Path<String>,
    request: HttpRequest,
    body: web::Json<DeclarationBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let disclosure = checked_disclosure(&body.disclosure)?;
    let site = state.site.clone();
    let status = with_token(&state, &request, token.into_inner(), move |conn, id| {
        author_link::declare(conn, id, body.exclusive, &disclosure)?;
        read_status(conn, id, &site)
    })
    .await?;
    Ok(HttpResponse::Ok().json(status))
}
