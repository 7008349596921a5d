use actix_web::{HttpRequest, HttpResponse, web};

use super::detail::respond;
use crate::api::preconditions::required_version;
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::views::ProposalView;
use crate::auth::Role;
use crate::domain::{ProposalId, SubmissionId, UserId};
use crate::submissions::proposals;

/// New texts that came by mail and wait for an editor, newest first.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/proposals", tag = "submissions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ProposalView>),
        (status = 404, description = "No such submission: code `not_found`")),
    security(("bearer" = [])))]
pub async fn proposals(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::list_under::<_, ProposalView>(&state, caller, id.into_inner(), proposals::list).await
}

/// Makes a proposed text the piece's text, as an edit would (a revision,
/// the version moves on). On a scheduled or published piece only a
/// publisher may; on a published one the site is told (`opinion.updated`).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/proposals/{proposal}/accept", tag = "submissions",
    params(("id" = i64, Path), ("proposal" = i64, Path),
        ("If-Match" = String, Header, example = "\"3\"", description = "The ETag of the version you reviewed")),
    responses(
        (status = 200, description = "The submission with the accepted text", body = crate::app::views::SubmissionView,
            headers(("ETag" = String, description = "The new version, quoted"))),
        (status = 403, description = "The piece is scheduled or published and the caller is no publisher: code `publisher_only`"),
        (status = 404, description = "No such submission or proposal: code `not_found`"),
        (status = 409, description = "The proposal was already accepted or discarded: code `proposal_decided`"),
        (status = 412, description = "`If-Match` does not name the current version: code `precondition_failed`"),
        (status = 428, description = "No `If-Match`: code `precondition_required`"),
    ),
    security(("bearer" = [])))]
pub async fn accept(
    caller: Caller,
    path: web::Path<(i64, i64)>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let expected = required_version(&request)?;
    let (id, proposal) = path.into_inner();
    let site = state.site.clone();
    let (actor, record) = caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(proposals::accept(
                conn,
                SubmissionId(id),
                ProposalId(proposal),
                expected,
                actor,
                &site,
            )?)
        })
        .await?;
    respond(record, actor, &state)
}

/// Sets a proposed text aside; the piece keeps its text.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/proposals/{proposal}/discard", tag = "submissions",
    params(("id" = i64, Path), ("proposal" = i64, Path)),
    responses(
        (status = 200, description = "The proposal, discarded", body = ProposalView),
        (status = 404, description = "No such submission or proposal: code `not_found`"),
        (status = 409, description = "The proposal was already accepted or discarded: code `proposal_decided`"),
    ),
    security(("bearer" = [])))]
pub async fn discard(
    caller: Caller,
    path: web::Path<(i64, i64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, proposal) = path.into_inner();
    let (_, row) = caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(proposals::discard(
                conn,
                SubmissionId(id),
                ProposalId(proposal),
                UserId(actor.user_id),
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ProposalView::from(row)))
}
