use actix_web::{HttpRequest, HttpResponse, web};

use super::detail::respond;
use crate::api::preconditions::required_version;
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::views::RevisionView;
use crate::auth::Role;
use crate::domain::SubmissionId;
use crate::submissions::{restore, store};

/// Every text the piece has had, newest first.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/revisions", tag = "submissions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RevisionView>),
        (status = 404, description = "No such submission: code `not_found`")),
    security(("bearer" = [])))]
pub async fn revisions(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::list_under::<_, RevisionView>(&state, caller, id.into_inner(), store::revisions).await
}

/// Makes revision `n`'s title and text the piece's again, through the same
/// edit as `PATCH` (a publisher's once the piece is scheduled or published;
/// the site is told of a published piece's change). Kept as a new revision,
/// so a restore is undone by restoring the one before it. A revision that is
/// the piece's text already changes nothing.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/revisions/{n}/restore", tag = "submissions",
    params(("id" = i64, Path), ("n" = i32, Path, description = "The revision's number"),
        ("If-Match" = String, Header, example = "\"3\"",
        description = "The ETag of the version you acted on")),
    responses(
        (status = 200, description = "The piece with the restored text", body = crate::app::views::SubmissionView,
            headers(("ETag" = String, description = "The version, quoted"))),
        (status = 403, description = "The piece is scheduled or published and the caller is not a publisher: code `forbidden`"),
        (status = 404, description = "No such submission or revision: code `not_found`"),
        (status = 412, description = "`If-Match` does not name the current version: code `precondition_failed`"),
        (status = 428, description = "No `If-Match`: code `precondition_required`"),
    ),
    security(("bearer" = [])))]
pub async fn restore(
    caller: Caller,
    path: web::Path<(i64, i32)>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let expected = required_version(&request)?;
    let (id, number) = path.into_inner();
    let site = state.site.clone();
    let (actor, record) = caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(restore::restore(
                conn,
                SubmissionId(id),
                number,
                expected,
                actor,
                &site,
            )?)
        })
        .await?;
    respond(record, actor, &state)
}
