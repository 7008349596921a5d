//! `POST /api/v1/submissions/{id}/author-link/revoke`: an editor ends the
//! author's status links (a forwarded email, a shared screen) and, on
//! request, mails the author a fresh one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::with_submission;
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::author_link::service;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// Also make a new link and email it to the author (default: no).
    #[serde(default)]
    reissue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokeResult {
    /// How many live links were revoked.
    pub revoked: usize,
    /// Whether a new link is on its way to the author.
    pub reissued: bool,
}

/// Revokes the author's status links; optionally emails a new one.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/author-link/revoke", tag = "submissions",
    params(("id" = i64, Path)),
    request_body(content = Option<RevokeBody>),
    responses(
        (status = 200, body = RevokeResult),
        (status = 404, description = "No such submission: code `not_found`"),
        (status = 422, description = "The body is not `{\"reissue\": bool}`: code `invalid_body`"),
        (status = 409, description = "A new link was asked for but `OPED_PUBLIC_URL` is not set: code `no_public_url`"),
    ),
    security(("bearer" = [])))]
pub async fn revoke(
    caller: Caller,
    id: web::Path<i64>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // No body is a plain revocation; a body must say what it means (a
    // mistyped `reissue` must not quietly leave the author without a link).
    let body: RevokeBody = if body.iter().all(u8::is_ascii_whitespace) {
        RevokeBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|err| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("the JSON body does not fit: {err}"),
            )
        })?
    };
    let reissue = body.reissue;
    if reissue && state.site.author_link_base.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_public_url",
            "a new link needs OPED_PUBLIC_URL: without it the email would carry no link",
        ));
    }
    let id = id.into_inner();
    let replaced = with_submission(&state, caller, id, move |conn| {
        Ok(service::replace(conn, id, reissue, Utc::now())?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RevokeResult {
        revoked: replaced.revoked,
        reissued: replaced.reissued,
    }))
}
