use actix_web::{HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::views::{SubmissionListItem, SubmissionPage};
use crate::app::{AppState, paging};
use crate::auth::Role;
use crate::db::cursor::{Cursor, DeadlineCursor, RelevanceCursor};
use crate::submissions::search::query_problem;
use crate::submissions::store::{self, AssigneeFilter, ListFilter, ListOrder};
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
    /// Full-text search over title, text and author (web-search syntax), at
    /// most 200 characters and at most 32 `-` in a row (422 naming `q`).
    #[param(max_length = 200)]
    q: Option<String>,
    received_after: Option<DateTime<Utc>>,
    received_before: Option<DateTime<Utc>>,
    /// Only pieces still waiting for an answer (`draft`, `in_review`) whose
    /// response window closes before this time.
    respond_before: Option<DateTime<Utc>>,
    /// Only pieces still waiting for an answer whose window closes within
    /// this many hours from now (0 to 8760; 0: already closed, not yet
    /// released). With `respond_before`, the earlier of the two.
    #[param(minimum = 0, maximum = 8760, example = 24)]
    due_within: Option<i64>,
    /// `true`: only pieces sent back to the author for changes that they
    /// have not answered yet.
    waiting_for_author: Option<bool>,
    /// `received` (default: newest first), `deadline` (the soonest
    /// `respond_by` first) or, with `q`, `relevance` (pieces whose title
    /// matches the search first, then those matching by author or text, each
    /// newest first). A cursor belongs to one order.
    #[param(pattern = r"^(received|deadline|relevance)?$", example = "relevance")]
    sort: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// Submissions, newest first (or the soonest deadline first, or a search by
/// relevance), a page at a time.
#[utoipa::path(get, path = "/api/v1/submissions", tag = "submissions", params(ListQuery),
    responses((status = 200, body = SubmissionPage),
        (status = 422, description = "Unknown state or sort, bad assignee, `due_within` or limit out of range, a time bound outside the years 1 to 9999, or a foreign cursor: code `invalid_field`, `field` names it")),
    security(("bearer" = [])))]
pub async fn index(
    caller: Caller,
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter_from(query.into_inner(), caller.user_id(), Utc::now())?;
    let limit = filter.limit;
    let order = filter.order;
    let word_limit = state.intake.word_limit;
    // Searches may hold only their share of the connections.
    let _search = match filter.query {
        Some(_) => Some(state.gates.search().await?),
        None => None,
    };
    let statistics = state.search_statistics.clone();
    let (_, listed) = caller
        .db(&state, Role::Editor, move |conn, _| {
            Ok(store::list(conn, &filter, &statistics)?)
        })
        .await?;
    let mut rows = listed.rows;
    let next_cursor = match order {
        ListOrder::Newest { .. } => paging::finish_page(&mut rows, limit, |last| Cursor {
            received_at: last.received_at,
            id: last.id,
        }),
        ListOrder::Deadline { .. } => {
            paging::finish_page(&mut rows, limit, |last| DeadlineCursor {
                respond_by: last.respond_by,
                id: last.id,
            })
        }
        ListOrder::Relevance { .. } => {
            let title_match = paging::last_in_first(rows.len(), limit, listed.title_matches);
            paging::finish_page(&mut rows, limit, |last| RelevanceCursor {
                title_match,
                received_at: last.received_at,
                id: last.id,
            })
        }
    };
    Ok(HttpResponse::Ok().json(SubmissionPage {
        items: rows
            .into_iter()
            .map(|row| SubmissionListItem::new(row, word_limit))
            .collect(),
        next_cursor,
    }))
}

/// The longest `due_within`: a year of hours (the OpenAPI `maximum`).
const MAX_DUE_WITHIN_HOURS: i64 = 24 * 365;

fn filter_from(
    query: ListQuery,
    caller_id: i64,
    now: DateTime<Utc>,
) -> Result<ListFilter, ApiError> {
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
    let order = match query.sort.as_deref() {
        None | Some("" | "received") => ListOrder::Newest {
            after: paging::cursor(query.cursor.as_deref())?,
        },
        Some("deadline") => ListOrder::Deadline {
            after: paging::deadline_cursor(query.cursor.as_deref())?,
        },
        Some("relevance") => ListOrder::Relevance {
            after: paging::relevance_cursor(query.cursor.as_deref())?,
        },
        Some(_) => {
            return Err(ApiError::invalid_field(
                "sort",
                "`received`, `deadline` or `relevance`",
            ));
        }
    };
    let due_before = match query.due_within {
        None => None,
        Some(hours) if (0..=MAX_DUE_WITHIN_HOURS).contains(&hours) => {
            Some(now + Duration::hours(hours))
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "due_within",
                format!("hours from 0 to {MAX_DUE_WITHIN_HOURS}"),
            ));
        }
    };
    let received_after = paging::time_bound("received_after", query.received_after)?;
    let received_before = paging::time_bound("received_before", query.received_before)?;
    let respond_before = paging::time_bound("respond_before", query.respond_before)?;
    let respond_before = match (respond_before, due_before) {
        (Some(at), Some(due)) => Some(at.min(due)),
        (at, due) => at.or(due),
    };
    let search = query
        .q
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty());
    if let Some(problem) = search.as_deref().and_then(query_problem) {
        return Err(ApiError::invalid_field("q", problem));
    }
    if search.is_none() && matches!(order, ListOrder::Relevance { .. }) {
        return Err(ApiError::invalid_field(
            "sort",
            "`relevance` ranks the matches of a search: give `q` too",
        ));
    }
    Ok(ListFilter {
        states,
        assignee,
        query: search,
        received_after,
        received_before,
        respond_before,
        waiting_for_author: query.waiting_for_author.unwrap_or(false),
        order,
        limit,
    })
}
