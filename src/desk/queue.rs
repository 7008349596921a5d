//! The queue: pieces newest first, a state at a time or all, with the
//! count in each state; a search, newest first or by relevance; filters by
//! assignee and by the days they arrived; keyset pages as in the API
//! (`submissions::store::list`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;

use super::session::Editor;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::paging;
use crate::app::views::SubmissionListItem;
use crate::auth::{Role, accounts, desk_sessions};
use crate::calendar;
use crate::db::cursor::{Cursor, DeadlineCursor, RelevanceCursor};
use crate::submissions::search::query_problem;
use crate::submissions::store::{self, AssigneeFilter, ListFilter, ListOrder, RowMarks};
use crate::workflow::State;

const PAGE_SIZE: i64 = 25;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    state: String,
    q: String,
    /// `me`, `nobody`, an account id, or empty for anyone.
    assignee: String,
    /// Received on or after this day, and on or before that one (UTC
    /// `YYYY-MM-DD`, as a date field sends them).
    from: String,
    to: String,
    /// `relevance` (title matches first, with a search), `deadline` (the
    /// soonest answer first) or empty for newest first.
    sort: String,
    /// `overdue` (the answer is late) or `today` (due before the desk's
    /// day ends, late ones too).
    due: String,
    /// `yes`: only pieces waiting for their author's changes.
    waiting: String,
    /// `yes`: only pieces that came in since this editor's last visit (the
    /// last look at the queue before this session began).
    new: String,
    cursor: String,
}

/// Which instant a day of the date filters stands for: the range from one
/// day to another holds both days whole.
#[derive(Debug, Clone, Copy)]
enum DayEdge {
    /// The day's first instant (`from`).
    Start,
    /// The next day's first instant (`to`).
    End,
}

impl QueueQuery {
    fn assignee_filter(&self, me: i64) -> Result<AssigneeFilter, DeskError> {
        match self.assignee.trim() {
            "" => Ok(AssigneeFilter::Anyone),
            "me" => Ok(AssigneeFilter::User(me)),
            "nobody" => Ok(AssigneeFilter::Nobody),
            id => id
                .parse()
                .map(AssigneeFilter::User)
                .map_err(|_| DeskError::bad_request(format!("there is no assignee {id:?}"))),
        }
    }

    /// The start of day `text` (UTC), or `None` for an empty field;
    /// `next_day` gives the start of the day after, for an inclusive "to".
    /// Newest first, or by relevance when a search asks for it (without a
    /// search there is nothing to rank: newest first).
    fn order(&self, searching: bool) -> Result<ListOrder, DeskError> {
        let cursor = self.cursor.trim();
        let not_ours =
            || DeskError::bad_request("the address of this page is not one the desk makes");
        match self.sort.trim() {
            "relevance" if searching => Ok(ListOrder::Relevance {
                after: paging::relevance_cursor(Some(cursor)).map_err(|_| not_ours())?,
            }),
            "deadline" => Ok(ListOrder::Deadline {
                after: paging::deadline_cursor(Some(cursor)).map_err(|_| not_ours())?,
            }),
            "" | "relevance" => Ok(ListOrder::Newest {
                after: paging::cursor(Some(cursor)).map_err(DeskError::from)?,
            }),
            other => Err(DeskError::bad_request(format!(
                "there is no order called {other:?}"
            ))),
        }
    }

    /// Only pieces whose answer is due before this: now (overdue) or the
    /// end of the desk's day.
    fn due_before(
        &self,
        now: DateTime<Utc>,
        timezone: Tz,
    ) -> Result<Option<DateTime<Utc>>, DeskError> {
        match self.due.trim() {
            "" => Ok(None),
            "overdue" => Ok(Some(now)),
            "today" => {
                let today = now.with_timezone(&timezone).date_naive();
                let tomorrow = today.succ_opt().unwrap_or(today);
                Ok(Some(calendar::to_utc(
                    tomorrow.and_time(NaiveTime::MIN),
                    timezone,
                )))
            }
            other => Err(DeskError::bad_request(format!(
                "there is no deadline filter {other:?}"
            ))),
        }
    }

    fn day(text: &str, edge: DayEdge) -> Result<Option<DateTime<Utc>>, DeskError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let not_a_day =
            || DeskError::bad_request(format!("{text:?} is not a day such as 2026-12-01"));
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| not_a_day())?;
        // The API's bounds: chrono reads years PostgreSQL cannot compare with.
        if !paging::listable_time(day.and_time(NaiveTime::MIN).and_utc()) {
            return Err(not_a_day());
        }
        let day = match edge {
            DayEdge::Start => day,
            DayEdge::End => day.succ_opt().unwrap_or(day),
        };
        Ok(Some(day.and_time(NaiveTime::MIN).and_utc()))
    }

    /// The filters as query pairs, for the links to further pages.
    fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("q", self.q.trim()),
            ("assignee", self.assignee.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
            ("sort", self.sort.trim()),
            ("due", self.due.trim()),
            ("waiting", self.waiting.trim()),
            ("new", self.new.trim()),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| (name, value.to_string()))
        .collect()
    }
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
    if let Some(problem) = query_problem(&search) {
        return Err(DeskError::bad_request(problem));
    }
    let received_after = QueueQuery::day(&query.from, DayEdge::Start)?;
    let received_before = QueueQuery::day(&query.to, DayEdge::End)?;
    if let (Some(after), Some(before)) = (received_after, received_before)
        && after >= before
    {
        return Err(DeskError::bad_request("the first day comes after the last"));
    }
    let now = Utc::now();
    let filter = ListFilter {
        states: chosen.into_iter().collect(),
        assignee: query.assignee_filter(editor.caller.user_id())?,
        query: (!search.is_empty()).then(|| search.clone()),
        received_after,
        received_before,
        respond_before: query.due_before(now, state.intake.window.timezone)?,
        waiting_for_author: query.waiting.trim() == "yes",
        order: query.order(!search.is_empty())?,
        limit: PAGE_SIZE,
    };
    let order = filter.order;
    let by_deadline = matches!(order, ListOrder::Deadline { .. });
    // Searches may hold only their share of the connections, as in the API.
    let _search = match filter.query {
        Some(_) => Some(state.gates.search().await?),
        None => None,
    };
    let statistics = state.search_statistics.clone();
    let only_new = query.new.trim() == "yes";
    let session = editor.session.key();
    let (actor, (listed, (counts, people, marks), (last_visit, new_count))) = editor
        .caller
        .db(&state, Role::Editor, move |conn, actor| {
            let mut filter = filter;
            let last_visit = desk_sessions::last_visit(conn, session)?;
            if only_new {
                filter.received_after = filter.received_after.max(last_visit);
            }
            let listed = store::list(conn, &filter, &statistics)?;
            let counts = store::count_by_state(conn)?;
            let ids: Vec<i64> = listed.rows.iter().map(|row| row.id).collect();
            let marks = store::marks(conn, &ids)?;
            // A first visit: everything is new, as the state counts say.
            let new_count = match last_visit {
                Some(since) => Some(store::count_received_after(conn, since)?),
                None => None,
            };
            desk_sessions::saw_queue(conn, actor.user_id, now)?;
            Ok::<_, ApiError>((
                listed,
                (counts, accounts::active_names(conn)?, marks),
                (last_visit, new_count),
            ))
        })
        .await?;
    let mut rows = listed.rows;
    let next_cursor = match order {
        ListOrder::Relevance { .. } => {
            let title_match = paging::last_in_first(rows.len(), PAGE_SIZE, listed.title_matches);
            paging::finish_page(&mut rows, PAGE_SIZE, |last| RelevanceCursor {
                title_match,
                received_at: last.received_at,
                id: last.id,
            })
        }
        ListOrder::Deadline { .. } => {
            paging::finish_page(&mut rows, PAGE_SIZE, |last| DeadlineCursor {
                respond_by: last.respond_by,
                id: last.id,
            })
        }
        ListOrder::Newest { .. } => paging::finish_page(&mut rows, PAGE_SIZE, |last| Cursor {
            received_at: last.received_at,
            id: last.id,
        }),
    };
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
    let names: std::collections::HashMap<i64, &str> = people
        .iter()
        .map(|(id, name)| (*id, name.as_str()))
        .collect();
    let marks: std::collections::HashMap<i64, RowMarks> =
        marks.into_iter().map(|marks| (marks.id, marks)).collect();
    let items: Vec<_> = rows
        .into_iter()
        .map(|row| {
            let item = SubmissionListItem::new(row, word_limit);
            let open = matches!(item.state, State::Draft | State::InReview);
            let marks = marks.get(&item.id);
            json!({
                "overdue": open && item.respond_by < now,
                "assignee_name": item.assignee_id.and_then(|id| names.get(&id).copied()),
                "waiting_for_author": marks.is_some_and(|marks| marks.waiting_for_author),
                "new_from_author": marks.is_some_and(|marks| marks.new_from_author),
                "near_duplicates": marks.map_or(0, |marks| marks.near_duplicates),
                "is_new": last_visit.is_none_or(|seen| item.received_at > seen),
                "item": item,
            })
        })
        .collect();
    let tabs: Vec<_> = std::iter::once(None)
        .chain(State::ALL.iter().copied().map(Some))
        .map(|each| page_url(each, &query, None))
        .collect();
    let quick = |name: &str, value: &str| {
        let mut toggled = query.clone();
        let field = match name {
            "due" => &mut toggled.due,
            "waiting" => &mut toggled.waiting,
            "new" => &mut toggled.new,
            _ => &mut toggled.assignee,
        };
        let on = field.trim() == value;
        *field = if on { String::new() } else { value.to_string() };
        if !on && name == "due" {
            // What is due is read soonest first.
            toggled.sort = "deadline".into();
        }
        json!({ "url": page_url(chosen, &toggled, None), "on": on })
    };
    let sort_url = {
        let mut other = query.clone();
        other.sort = if by_deadline {
            String::new()
        } else {
            "deadline".into()
        };
        page_url(chosen, &other, None)
    };
    let next = next_cursor.map(|cursor| page_url(chosen, &query, Some(&cursor)));
    views::page(
        StatusCode::OK,
        "queue.html",
        Some(editor.frame(&state, actor.role)),
        json!({
            "states": states,
            "total": total,
            "chosen": chosen.map(State::as_str),
            "chosen_label": chosen.map(state_label),
            "q": search,
            "by_relevance": matches!(order, ListOrder::Relevance { .. }),
            "assignee": query.assignee.trim(),
            "from": query.from.trim(),
            "to": query.to.trim(),
            "people": people
                .iter()
                .map(|(id, name)| json!({ "id": id.to_string(), "name": name }))
                .collect::<Vec<_>>(),
            "first_page_url": page_url(chosen, &query, None),
            "tabs": tabs,
            "by_deadline": by_deadline,
            "sort_url": sort_url,
            "filters": {
                "overdue": quick("due", "overdue"),
                "today": quick("due", "today"),
                "mine": quick("assignee", "me"),
                "waiting": quick("waiting", "yes"),
                "new": quick("new", "yes"),
            },
            "new_count": new_count.unwrap_or(total),
            "last_visit": last_visit,
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

/// The queue with the same state and filters, from its start or `cursor`.
fn page_url(chosen: Option<State>, query: &QueueQuery, cursor: Option<&str>) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    if let Some(chosen) = chosen {
        url.append_pair("state", chosen.as_str());
    }
    for (name, value) in query.filter_pairs() {
        url.append_pair(name, &value);
    }
    if let Some(cursor) = cursor {
        url.append_pair("cursor", cursor);
    }
    format!("/desk/queue?{}", url.finish())
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
