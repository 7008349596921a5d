//! The inbox: mail that did not become a submission (unmatched, or
//! quarantined by the intake's limits), newest first, each with a button
//! that makes a submission of it (`app::inbox::promote_message`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::csrf::Posted;
use super::piece::piece_url;
use super::session::Editor;
use super::signin::NoFields;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::inbox::{InboxItem, promote_message};
use crate::app::paging;
use crate::auth::Role;
use crate::db::cursor::Cursor;
use crate::domain::Outcome;
use crate::intake::inbox;

const PAGE_SIZE: i64 = 25;

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct InboxQuery {
    outcome: String,
    cursor: String,
}

pub async fn show(
    editor: Editor,
    query: Result<web::Query<InboxQuery>, actix_web::Error>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let query = query
        .map_err(|_| DeskError::bad_request("the address of this page is not one the desk makes"))?
        .into_inner();
    let outcomes: &'static [Outcome] = match query.outcome.as_str() {
        "" => &[Outcome::Unmatched, Outcome::Quarantined],
        "unmatched" => &[Outcome::Unmatched],
        "quarantined" => &[Outcome::Quarantined],
        other => {
            return Err(DeskError::bad_request(format!(
                "the inbox holds unmatched and quarantined mail, not {other:?}"
            )));
        }
    };
    let after = paging::cursor(Some(&query.cursor)).map_err(DeskError::from)?;
    let (actor, rows) = editor
        .caller
        .db(&state, Role::Editor, move |conn, _| {
            Ok(inbox::list(conn, outcomes, after, PAGE_SIZE)?)
        })
        .await?;
    let mut items: Vec<InboxItem> = rows.into_iter().map(InboxItem::from).collect();
    let next = paging::finish_page(&mut items, PAGE_SIZE, |last| Cursor {
        received_at: last.received_at,
        id: last.id,
    })
    .map(|cursor| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("outcome", &query.outcome);
        url.append_pair("cursor", &cursor);
        format!("/desk/inbox?{}", url.finish())
    });
    let key = state.tokens.cookie_key();
    views::page(
        StatusCode::OK,
        "inbox.html",
        Some(editor.frame(&state, actor.role)),
        json!({
            "items": items,
            "outcome": query.outcome,
            "next": next,
            "csrf": editor.session.csrf_token(key),
        }),
    )
}

pub async fn promote(
    editor: Editor,
    id: web::Path<String>,
    _form: Posted<NoFields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id: i64 = id
        .parse()
        .map_err(|_| DeskError::from(ApiError::not_found("message")))?;
    let (_, record) = promote_message(&state, editor.caller, id)
        .await
        .map_err(|err| DeskError::from(err).back_to("/desk/inbox".into()))?;
    Ok(views::see_other(&piece_url(record.row.id)))
}
