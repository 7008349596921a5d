//! The inbox: mail that did not become a submission (unmatched, or
//! quarantined by the intake's limits), newest first, what waits or what
//! was dismissed, each row leading to the message (`inbox_message`); and
//! the buttons that make a piece of a message, dismiss or restore it. Every
//! act is a use case of `app::inbox`, as the API's.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::csrf::Posted;
use super::outcome;
use super::piece::piece_url;
use super::session::Editor;
use super::signin::NoFields;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::inbox::{self, Listing};
use crate::app::paging;

const PAGE_SIZE: i64 = 25;

/// The list, or the dismissed mail with `?dismissed=1`.
pub const INBOX: &str = "/desk/inbox";

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct InboxQuery {
    outcome: String,
    /// `1`: the dismissed mail.
    dismissed: String,
    cursor: String,
    /// What was just done, for the message at the top.
    done: String,
}

pub async fn show(
    editor: Editor,
    query: Result<web::Query<InboxQuery>, actix_web::Error>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let query = query
        .map_err(|_| DeskError::bad_request("the address of this page is not one the desk makes"))?
        .into_inner();
    let outcomes = inbox::outcomes_named(&query.outcome).ok_or_else(|| {
        DeskError::bad_request(format!(
            "the inbox holds unmatched and quarantined mail, not {:?}",
            query.outcome
        ))
    })?;
    let dismissed = match query.dismissed.as_str() {
        "" => false,
        "1" => true,
        _ => {
            return Err(DeskError::bad_request(
                "the address of this page is not one the desk makes",
            ));
        }
    };
    let listing = Listing {
        outcomes,
        dismissed,
        after: paging::cursor(Some(&query.cursor)).map_err(DeskError::from)?,
        limit: PAGE_SIZE,
    };
    let (actor, items, next) = inbox::list_messages(&state, editor.caller, listing).await?;
    let next = next.map(|cursor| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("outcome", &query.outcome);
        if dismissed {
            url.append_pair("dismissed", "1");
        }
        url.append_pair("cursor", &cursor);
        format!("{INBOX}?{}", url.finish())
    });
    let key = state.tokens.cookie_key();
    views::page(
        StatusCode::OK,
        "inbox.html",
        Some(editor.frame(&state, actor.role)),
        json!({
            "items": items,
            "outcome": query.outcome,
            "dismissed": dismissed,
            "next": next,
            "done": outcome::done_message(&query.done),
            "csrf": editor.session.csrf_token(key),
        }),
    )
}

/// The message id in the address; anything else is no message.
pub(super) fn message_id(raw: &str) -> Result<i64, DeskError> {
    raw.parse()
        .map_err(|_| DeskError::from(ApiError::not_found("message")).back_to(INBOX.into()))
}

pub(super) fn message_url(id: i64) -> String {
    format!("{INBOX}/{id}")
}

pub async fn promote(
    editor: Editor,
    id: web::Path<String>,
    _form: Posted<NoFields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = message_id(&id)?;
    let (_, promotion) = inbox::promote_message(&state, editor.caller, id)
        .await
        .map_err(|err| DeskError::from(err).back_to(message_url(id)))?;
    let done = if promotion.acknowledged {
        outcome::PROMOTED
    } else {
        outcome::PROMOTED_UNACKNOWLEDGED
    };
    Ok(views::see_other(&format!(
        "{}?done={done}",
        piece_url(promotion.record.row.id)
    )))
}

pub async fn dismiss(
    editor: Editor,
    id: web::Path<String>,
    _form: Posted<NoFields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = message_id(&id)?;
    inbox::dismiss_message(&state, editor.caller, id)
        .await
        .map_err(|err| DeskError::from(err).back_to(message_url(id)))?;
    Ok(views::see_other(&format!(
        "{INBOX}?done={}",
        outcome::DISMISSED
    )))
}

pub async fn restore(
    editor: Editor,
    id: web::Path<String>,
    _form: Posted<NoFields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = message_id(&id)?;
    inbox::restore_message(&state, editor.caller, id)
        .await
        .map_err(|err| DeskError::from(err).back_to(message_url(id)))?;
    Ok(views::see_other(&format!(
        "{}?done={}",
        message_url(id),
        outcome::RESTORED
    )))
}
