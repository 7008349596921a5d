use actix_web::{HttpRequest, HttpResponse, web};

use crate::api::preconditions::{etag, not_modified, required_version};
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::views::SubmissionView;
use crate::app::{AppState, blocking_db};
use crate::auth::{Actor, Role};
use crate::domain::{SubmissionId, UserId};
use crate::submissions::edit::{self, SubmissionPatch};
use crate::submissions::store;

/// One submission, with the actions the caller may take now.
#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "submissions",
    params(("id" = i64, Path, description = "Submission id"),
        ("If-None-Match" = Option<String>, Header, description = "ETags the client holds; 304 when one is current")),
    responses(
        (status = 200, body = SubmissionView,
            headers(("ETag" = String, description = "The quoted version"))),
        (status = 304, description = "The version named by `If-None-Match` is current",
            headers(("ETag" = String, description = "The quoted version"))),
        (status = 404, description = "No such submission: code `not_found`"),
    ),
    security(("bearer" = [])))]
pub async fn show(
    caller: Caller,
    id: web::Path<i64>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let account = caller.user_id();
    // The account check and the read in one statement (`store::find_for`).
    let found = blocking_db(&state, move |conn| {
        Ok(store::find_for(conn, SubmissionId(id), UserId(account))?)
    })
    .await?;
    let (standing, record) =
        found.map_or((None, None), |(standing, record)| (Some(standing), record));
    let actor = caller.admit(standing, Role::Editor)?;
    let record = record.ok_or_else(|| ApiError::not_found("submission"))?;
    if not_modified(&request, record.row.version) {
        return Ok(HttpResponse::NotModified()
            .insert_header(etag(record.row.version))
            .finish());
    }
    respond(record, actor, &state)
}

/// Edits title, standfirst, text, author bio, slug or tags; keeps a revision.
/// A scheduled or published piece is what readers see (or will, as it
/// stands): only a publisher edits it.
#[utoipa::path(patch, path = "/api/v1/submissions/{id}", tag = "submissions",
    params(("id" = i64, Path), ("If-Match" = String, Header, example = "\"3\"",
        description = "The ETag of the version you edited (`\"3\"` or `W/\"3\"`); `*` names no version and gets 412")),
    request_body = SubmissionPatch,
    responses(
        (status = 200, description = "The submission as edited", body = SubmissionView,
            headers(("ETag" = String, description = "The new version, quoted"))),
        (status = 403, description = "The piece is scheduled or published and the caller is no publisher: code `publisher_only`"),
        (status = 404, description = "No such submission: code `not_found`"),
        (status = 409, description = "Another submission has this slug: code `slug_taken`; or the piece has been published and its slug no longer changes: code `slug_locked`"),
        (status = 412, description = "`If-Match` does not name the current version: code `precondition_failed`"),
        (status = 422, description = "A field is invalid: code `invalid_field`, `field` names it"),
        (status = 428, description = "No `If-Match`: code `precondition_required`"),
    ),
    security(("bearer" = [])))]
pub async fn update(
    caller: Caller,
    id: web::Path<i64>,
    request: HttpRequest,
    patch: web::Json<SubmissionPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let expected = required_version(&request)?;
    let valid = edit::validate(patch.into_inner())?;
    let id = id.into_inner();
    let site = state.site.clone();
    let (actor, record) = caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(store::edit(conn, id, expected, &valid, actor, &site)?)
        })
        .await?;
    respond(record, actor, &state)
}

pub(super) fn respond(
    record: store::SubmissionRecord,
    actor: Actor,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let version = record.row.version;
    Ok(HttpResponse::Ok()
        .insert_header(etag(version))
        .json(SubmissionView::new(
            record,
            actor.role,
            &state.site,
            state.intake.word_limit,
        )))
}
