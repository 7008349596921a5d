//! `/api/v1/inbox`: mail that is not (yet) a submission, unmatched or
//! quarantined: list it, read a message, dismiss and restore it, file it
//! with a piece, make a piece of it. Each route is a call to
//! `app::inbox`, the desk's too.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::inbox::{self, InboxItem, InboxMessage, Listing};
use crate::app::paging;
use crate::app::views::SubmissionView;

const DEFAULT_LIMIT: i64 = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/inbox", web::get().to(index))
        .route("/inbox/{id}", web::get().to(show))
        .route("/inbox/{id}/promote", web::post().to(promote))
        .route("/inbox/{id}/attach", web::post().to(attach))
        .route("/inbox/{id}/dismiss", web::post().to(dismiss))
        .route("/inbox/{id}/restore", web::post().to(restore));
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `unmatched` or `quarantined`; both when absent.
    #[param(pattern = r"^(unmatched|quarantined)?$")]
    outcome: Option<String>,
    /// `true`: the dismissed mail instead of the mail that waits.
    dismissed: Option<bool>,
    cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next_cursor: Option<String>,
}

/// Unmatched and quarantined mail, newest first: what waits, or what was dismissed.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox", params(InboxQuery),
    responses((status = 200, body = InboxPage),
        (status = 422, description = "Unknown outcome, limit out of range or a foreign cursor: code `invalid_field`, `field` names it")),
    security(("bearer" = [])))]
pub async fn index(
    caller: Caller,
    query: web::Query<InboxQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let outcomes = inbox::outcomes_named(query.outcome.as_deref().unwrap_or(""))
        .ok_or_else(|| ApiError::invalid_field("outcome", "`unmatched` or `quarantined`"))?;
    let listing = Listing {
        outcomes,
        dismissed: query.dismissed.unwrap_or(false),
        after: paging::cursor(query.cursor.as_deref())?,
        limit: paging::limit(query.limit, DEFAULT_LIMIT)?,
    };
    let (_, items, next_cursor) = inbox::list_messages(&state, caller, listing).await?;
    Ok(HttpResponse::Ok().json(InboxPage { items, next_cursor }))
}

/// One inbox message as the intake reads it: who sent it, its text and its attachments.
#[utoipa::path(get, path = "/api/v1/inbox/{id}", tag = "inbox", params(("id" = i64, Path)),
    responses((status = 200, body = InboxMessage),
        (status = 404, description = "No such message in the inbox, now or before: code `not_found`")),
    security(("bearer" = [])))]
pub async fn show(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, message) = inbox::read_message(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(message))
}

/// Makes a new submission of an inbox message, and acknowledges its author as any new submission is.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/promote", tag = "inbox", params(("id" = i64, Path)),
    responses(
        (status = 201, description = "The new submission", body = SubmissionView,
            headers(("ETag" = String, description = "Its version, quoted"))),
        (status = 404, description = "No such message: code `not_found`"),
        (status = 409, description = "The message is not in the inbox (it is a submission or part of one): code `not_in_inbox`"),
        (status = 422, description = "The message cannot become a submission: code `unreadable_message`"),
    ),
    security(("bearer" = [])))]
pub async fn promote(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (actor, promotion) = inbox::promote_message(&state, caller, id.into_inner()).await?;
    let record = promotion.record;
    let version = record.row.version;
    Ok(HttpResponse::Created()
        .insert_header(super::preconditions::etag(version))
        .json(SubmissionView::new(
            record,
            actor.role,
            &state.site,
            state.intake.word_limit,
        )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachRequest {
    /// The piece's reference, such as `OE-2026-0042` (any case).
    reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attached {
    /// The piece the message is now correspondence of.
    pub submission_id: i64,
    pub reference: String,
}

/// Files an inbox message with a piece, as the author's reply would be: on its correspondence, a new text
/// applied or proposed (from anyone but the author, only proposed); it leaves the inbox.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/attach", tag = "inbox", params(("id" = i64, Path)),
    request_body = AttachRequest,
    responses(
        (status = 200, body = Attached),
        (status = 404, description = "No such message (code `not_found`), or no piece has the reference (code `unknown_reference`, `field` is `reference`)"),
        (status = 409, description = "The message is not in the inbox: code `not_in_inbox`"),
        (status = 422, description = "Not a reference (code `invalid_field`), or the message cannot be read as mail (code `unreadable_message`)"),
    ),
    security(("bearer" = [])))]
pub async fn attach(
    caller: Caller,
    id: web::Path<i64>,
    body: web::Json<AttachRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, filed) = inbox::file_message(&state, caller, id.into_inner(), &body.reference).await?;
    Ok(HttpResponse::Ok().json(Attached {
        submission_id: filed.submission_id,
        reference: filed.reference,
    }))
}

/// Sets an inbox message aside: kept, listed only with `dismissed=true`, until restored.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/dismiss", tag = "inbox", params(("id" = i64, Path)),
    responses((status = 200, description = "The message, dismissed (again: the first dismissal stands)", body = InboxItem),
        (status = 404, description = "No such message: code `not_found`"),
        (status = 409, description = "The message is not in the inbox: code `not_in_inbox`")),
    security(("bearer" = [])))]
pub async fn dismiss(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, item) = inbox::dismiss_message(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Undoes a dismissal: the message waits in the inbox again.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/restore", tag = "inbox", params(("id" = i64, Path)),
    responses((status = 200, description = "The message, waiting", body = InboxItem),
        (status = 404, description = "No such message: code `not_found`"),
        (status = 409, description = "The message is not in the inbox: code `not_in_inbox`")),
    security(("bearer" = [])))]
pub async fn restore(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, item) = inbox::restore_message(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(item))
}
