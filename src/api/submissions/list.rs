use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::views::{SubmissionListItem, SubmissionPage};
use crate::api::error::ApiError;
use crate::api::extract::Caller;
use crate::api::{AppState, paging};
use crate::auth::Role;
use crate::db::cursor::Cursor;
use crate::submissions::store::{self, AssigneeFilter, ListFilter};
use crate::workflow::State;

const DEFAULT_LIMIT: i64 = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One state or several, comma-separated (`draft,in_review`).
    #[param(
        pattern = r"^((draft|in_review|approved|scheduled|published|rejected|withdrawn)(,(draft|in_review|approved|scheduled|published|rejected|withdrawn))*)?$",
        example = "draft,in_review"
    )]
    state: Option<String>,
    /// A user id, `me`, or `none` for unassigned pieces.
    #[param(pattern = r"^(me|none|[+-]?[0-9]{1,18})?$", example = "me")]
    assignee: Option<String>,
    /// Full-text search over title, text and author (web-search syntax).
    q: Option<String>,
    received_after: Option<DateTime<Utc>>,
    received_before: Option<DateTime<Utc>>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// Submissions, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/submissions", tag = "submissions", params(ListQuery),
    responses((status = 200, body = SubmissionPage),
        (status = 422, description = "Unknown state, bad assignee, limit out of range or a foreign cursor: code `invalid_field`, `field` names it")),
    security(("bearer" = [])))]
pub async fn index(
    caller: Caller,
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter_from(query.into_inner(), caller.user_id())?;
    let limit = filter.limit;
    // Searches may hold only their share of the connections.
    let _search = match filter.query {
        Some(_) => Some(state.gates.search().await?),
        None => None,
    };
    let (_, mut rows) = caller
        .db(&state, Role::Editor, move |conn, _| {
            Ok(store::list(conn, &filter)?)
        })
        .await?;
    let next_cursor = paging::finish_page(&mut rows, limit, |last| Cursor {
        received_at: last.received_at,
        id: last.id,
    });
    Ok(HttpResponse::Ok().json(SubmissionPage {
        items: rows.into_iter().map(SubmissionListItem::from).collect(),
        next_cursor,
    }))
}

fn filter_from(query: ListQuery, caller_id: i64) -> Result<ListFilter, ApiError> {
    let states = match query.state.as_deref() {
        None | Some("") => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|name| {
                name.trim().parse::<State>().map_err(|_| {
                    ApiError::invalid_field("state", format!("unknown state {name:?}"))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let assignee = match query.assignee.as_deref() {
        None | Some("") => AssigneeFilter::Anyone,
        Some("me") => AssigneeFilter::User(caller_id),
        Some("none") => AssigneeFilter::Nobody,
        Some(id) => AssigneeFilter::User(
            id.parse()
                .map_err(|_| ApiError::invalid_field("assignee", "a user id, `me` or `none`"))?,
        ),
    };
    let limit = paging::limit(query.limit, DEFAULT_LIMIT)?;
    let after = paging::cursor(query.cursor.as_deref())?;
    Ok(ListFilter {
        states,
        assignee,
        query: query
            .q
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty()),
        received_after: query.received_after,
        received_before: query.received_before,
        after,
        limit,
    })
}
