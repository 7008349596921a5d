//! The queue: pieces newest first, a state at a time or all, with the
//! count in each state; a search; keyset pages as in the API
//! (`submissions::store::list`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::session::Editor;
use super::views::{self, DeskError};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::paging;
use crate::api::submissions::views::SubmissionListItem;
use crate::auth::Role;
use crate::db::cursor::Cursor;
use crate::submissions::store::{self, AssigneeFilter, ListFilter, ListOrder};
use crate::workflow::State;

const PAGE_SIZE: i64 = 25;
/// Searches longer than this are not searches.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    state: String,
    q: String,
    cursor: String,
}

pub async fn redirect_to_queue() -> HttpResponse {
    views::see_other("/desk/queue")
}

pub async fn show(
    editor: Editor,
    query: Result<web::Query<QueueQuery>, actix_web::Error>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let query = query
        .map_err(|_| DeskError::bad_request("the address of this page is not one the desk makes"))?
        .into_inner();
    let chosen =
        match query.state.trim() {
            "" => None,
            name => Some(name.parse::<State>().map_err(|_| {
                DeskError::bad_request(format!("there is no state called {name:?}"))
            })?),
        };
    let search = query.q.trim().to_string();
    if search.chars().count() > MAX_QUERY_CHARS {
        return Err(DeskError::bad_request(format!(
            "a search is at most {MAX_QUERY_CHARS} characters"
        )));
    }
    let filter = ListFilter {
        states: chosen.into_iter().collect(),
        assignee: AssigneeFilter::Anyone,
        query: (!search.is_empty()).then(|| search.clone()),
        received_after: None,
        received_before: None,
        respond_before: None,
        order: ListOrder::Newest {
            after: paging::cursor(Some(&query.cursor)).map_err(DeskError::from)?,
        },
        limit: PAGE_SIZE,
    };
    // Searches may hold only their share of the connections, as in the API.
    let _search = match filter.query {
        Some(_) => Some(state.gates.search().await?),
        None => None,
    };
    let (actor, (mut rows, counts)) = editor
        .caller
        .db(&state, Role::Editor, move |conn, _| {
            let rows = store::list(conn, &filter)?;
            let counts = store::count_by_state(conn)?;
            Ok::<_, ApiError>((rows, counts))
        })
        .await?;
    let next_cursor = paging::finish_page(&mut rows, PAGE_SIZE, |last| Cursor {
        received_at: last.received_at,
        id: last.id,
    });
    let states: Vec<_> = State::ALL
        .iter()
        .map(|each| {
            let count = counts
                .iter()
                .find(|(counted, _)| counted == each)
                .map_or(0, |(_, count)| *count);
            json!({ "name": each.as_str(), "label": state_label(*each), "count": count })
        })
        .collect();
    let total: i64 = counts.iter().map(|(_, count)| count).sum();
    let word_limit = state.intake.word_limit;
    let items: Vec<_> = rows
        .into_iter()
        .map(|row| SubmissionListItem::new(row, word_limit))
        .collect();
    let next = next_cursor.map(|cursor| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        if let Some(chosen) = chosen {
            url.append_pair("state", chosen.as_str());
        }
        if !search.is_empty() {
            url.append_pair("q", &search);
        }
        url.append_pair("cursor", &cursor);
        format!("/desk/queue?{}", url.finish())
    });
    let key = state.tokens.cookie_key();
    views::page(
        StatusCode::OK,
        "queue.html",
        Some(editor.frame(key, actor.role)),
        json!({
            "states": states,
            "total": total,
            "chosen": chosen.map(State::as_str),
            "chosen_label": chosen.map(state_label),
            "q": search,
            "items": items,
            "next": next,
            "first_page": query.cursor.is_empty(),
            "labels": State::ALL
                .iter()
                .map(|each| (each.as_str(), state_label(*each)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        }),
    )
}

/// A state as editors say it.
pub fn state_label(state: State) -> &'static str {
    match state {
        State::Draft => "New",
        State::InReview => "In review",
        State::Approved => "Approved",
        State::Scheduled => "Scheduled",
        State::Published => "Published",
        State::Rejected => "Rejected",
        State::Withdrawn => "Withdrawn",
    }
}
