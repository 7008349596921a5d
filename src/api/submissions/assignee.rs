use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use super::detail::respond;
use crate::api::preconditions::required_version;
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::auth::Role;
use crate::domain::{SubmissionId, UserId};
use crate::submissions::assignment;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssigneeBody {
    /// The active account that now answers for the piece; `null` for nobody.
    assignee: Option<i64>,
}

/// Hands a piece to another editor, or to nobody, while it is on its way to
/// readers (`draft`, `in_review`, `approved`, `scheduled`). Recorded in its
/// history; handing it to whoever has it already changes nothing.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/assignee", tag = "submissions",
    params(("id" = i64, Path), ("If-Match" = String, Header, example = "\"3\"",
        description = "The ETag of the version you acted on")),
    request_body = AssigneeBody,
    responses(
        (status = 200, description = "The piece with its new assignee", body = crate::app::views::SubmissionView,
            headers(("ETag" = String, description = "The version, quoted"))),
        (status = 404, description = "No such submission: code `not_found`"),
        (status = 409, description = "The piece is published, rejected or withdrawn: code `invalid_transition`"),
        (status = 412, description = "`If-Match` does not name the current version: code `precondition_failed`"),
        (status = 422, description = "The assignee is not an active account: code `invalid_field`, field `assignee`"),
        (status = 428, description = "No `If-Match`: code `precondition_required`"),
    ),
    security(("bearer" = [])))]
pub async fn reassign(
    caller: Caller,
    id: web::Path<i64>,
    request: HttpRequest,
    body: web::Json<AssigneeBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let expected = required_version(&request)?;
    let assignee = body.into_inner().assignee.map(UserId);
    let id = SubmissionId(id.into_inner());
    let (actor, record) = caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(assignment::reassign(
                conn,
                id,
                expected,
                assignee,
                actor,
                Utc::now(),
            )?)
        })
        .await?;
    respond(record, actor, &state)
}
