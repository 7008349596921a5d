use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::detail::respond;
use crate::api::preconditions::required_version;
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::views::SubmissionView;
use crate::auth::Role;
use crate::workflow::service::{self, Initiator};
use crate::workflow::{Action, TransitionRequest};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    action: Action,
    /// Emailed to the author with `request_changes` and `reject`; required
    /// by `request_changes` and `unpublish`.
    note: Option<String>,
    /// `start_review`: the user to assign (default: the caller).
    assignee: Option<i64>,
    /// `schedule`: when to publish, in the future.
    publish_at: Option<DateTime<Utc>>,
}

/// Moves a submission through the workflow. `reopen` and `return_to_review`
/// start a new response window from now (`respond_by`).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/transitions", tag = "submissions",
    params(("id" = i64, Path), ("If-Match" = String, Header, example = "\"3\"",
        description = "The ETag of the version you acted on (`\"3\"` or `W/\"3\"`); `*` names no version and gets 412")),
    request_body = TransitionBody,
    responses(
        (status = 200, description = "The submission after the transition", body = SubmissionView,
            headers(("ETag" = String, description = "The new version, quoted"))),
        (status = 403, description = "The caller's role may not take this action: code `forbidden`"),
        (status = 404, description = "No such submission: code `not_found`"),
        (status = 409, description = "The action is not allowed from the current state: code `invalid_transition`"),
        (status = 412, description = "`If-Match` does not name the current version: code `precondition_failed`"),
        (status = 422, description = "A field the action needs is missing or invalid (`note`, `assignee`, `publish_at`): code `invalid_field`"),
        (status = 428, description = "No `If-Match`: code `precondition_required`"),
    ),
    security(("bearer" = [])))]
pub async fn transition(
    caller: Caller,
    id: web::Path<i64>,
    request: HttpRequest,
    body: web::Json<TransitionBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let expected = required_version(&request)?;
    let body = body.into_inner();
    let id = id.into_inner();
    let now = Utc::now();
    let asked = TransitionRequest {
        note: body.note,
        assignee: body.assignee,
        publish_at: body.publish_at,
        reopened_respond_by: Some(state.intake.window.respond_by(now)),
    };
    let site = state.site.clone();
    let (actor, record) = caller
        .db(&state, Role::Editor, move |conn, actor| {
            service::apply(
                conn,
                id,
                Some(expected),
                body.action,
                asked,
                Initiator::User(actor),
                &site,
                now,
            )
            .map_err(ApiError::from)
        })
        .await?;
    respond(record, actor, &state)
}
