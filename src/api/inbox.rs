//! `/api/v1/inbox`: mail that is not (yet) a submission, unmatched or
//! quarantined, and its promotion to one.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::inbox::{InboxItem, promote_message};
use crate::app::paging;
use crate::app::views::SubmissionView;
use crate::auth::Role;
use crate::db::cursor::Cursor;
use crate::intake::Outcome;
use crate::intake::inbox;

const DEFAULT_LIMIT: i64 = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/inbox", web::get().to(index))
        .route("/inbox/{id}/promote", web::post().to(promote));
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `unmatched` or `quarantined`; both when absent.
    #[param(pattern = r"^(unmatched|quarantined)?$")]
    outcome: Option<String>,
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

/// Unmatched and quarantined mail, newest first.
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
    let outcomes: &'static [Outcome] = match query.outcome.as_deref() {
        None | Some("") => &[Outcome::Unmatched, Outcome::Quarantined],
        Some("unmatched") => &[Outcome::Unmatched],
        Some("quarantined") => &[Outcome::Quarantined],
        Some(_) => {
            return Err(ApiError::invalid_field(
                "outcome",
                "`unmatched` or `quarantined`",
            ));
        }
    };
    let limit = paging::limit(query.limit, DEFAULT_LIMIT)?;
    let after = paging::cursor(query.cursor.as_deref())?;
    let (_, rows) = caller
        .db(&state, Role::Editor, move |conn, _| {
            Ok(inbox::list(conn, outcomes, after, limit)?)
        })
        .await?;
    let mut items: Vec<InboxItem> = rows.into_iter().map(InboxItem::from).collect();
    let next_cursor = paging::finish_page(&mut items, limit, |last| Cursor {
        received_at: last.received_at,
        id: last.id,
    });
    Ok(HttpResponse::Ok().json(InboxPage { items, next_cursor }))
}

/// Makes a new submission of an inbox message.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/promote", tag = "inbox", params(("id" = i64, Path)),
    responses(
        (status = 201, description = "The new submission", body = SubmissionView,
            headers(("ETag" = String, description = "Its version, quoted"))),
        (status = 404, description = "No such message: code `not_found`"),
        (status = 409, description = "The message is not in the inbox (it is a submission or was promoted): code `not_in_inbox`"),
        (status = 422, description = "The message cannot become a submission: code `unreadable_message`"),
    ),
    security(("bearer" = [])))]
pub async fn promote(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (actor, record) = promote_message(&state, caller, id.into_inner()).await?;
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
