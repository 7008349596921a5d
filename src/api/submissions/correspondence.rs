use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::views::CorrespondenceView;
use crate::outbox;
use crate::submissions::store;

const MAX_SUBJECT_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 20_000;

/// Mail exchanged with the author: their replies and what we sent, oldest first.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/correspondence", tag = "submissions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CorrespondenceView>), (status = 404)), security(("bearer" = [])))]
pub async fn correspondence(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::list_under::<_, CorrespondenceView>(
        &state,
        caller,
        id.into_inner(),
        store::correspondence,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// The subject line; the reference is added in front.
    subject: String,
    body: String,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct QueuedMessage {
    /// The delivery, listed under `/deliveries`.
    pub delivery_id: i64,
}

/// Emails the author a message from the desk, threaded under their submission.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/messages", tag = "submissions", params(("id" = i64, Path)),
    request_body = NewMessage, responses((status = 202, body = QueuedMessage), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn send_message(
    caller: Caller,
    id: web::Path<i64>,
    message: web::Json<NewMessage>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let NewMessage { subject, body } = message.into_inner();
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(ApiError::invalid_field(
            "subject",
            format!("1 to {MAX_SUBJECT_CHARS} characters on one line"),
        ));
    }
    let body = body.trim().to_string();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::invalid_field(
            "body",
            format!("1 to {MAX_BODY_CHARS} characters"),
        ));
    }
    let id = id.into_inner();
    let delivery_id = super::with_submission(&state, caller, id, move |conn| {
        Ok(outbox::enqueue_message(conn, id, &subject, &body)?)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(QueuedMessage { delivery_id }))
}
