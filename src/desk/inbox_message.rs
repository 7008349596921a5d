//! One inbox message, read: who sent it, when, what the intake made of
//! it, its text and its files (`app::inbox::read_message`, the API's
//! `GET /inbox/{id}`), and the acts on it. Filing it with a piece is posted
//! here: a refused reference is shown beside its field, as typed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::csrf::Posted;
use super::inbox::{INBOX, message_id, message_url};
use super::outcome;
use super::piece::piece_url;
use super::session::Editor;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::inbox;
use crate::intake::inbox::read::MAX_READ_CHARS;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    done: String,
}

pub async fn show(
    editor: Editor,
    id: web::Path<String>,
    query: web::Query<ShowQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = message_id(&id)?;
    let done = outcome::done_message(&query.done);
    render(&editor, &state, id, StatusCode::OK, done, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AttachFields {
    reference: String,
}

/// A reference the desk refused, shown again beside its field as typed.
struct Refused {
    reference: String,
    message: String,
}

pub async fn attach(
    editor: Editor,
    id: web::Path<String>,
    form: Posted<AttachFields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = message_id(&id)?;
    let typed = form.fields.reference;
    match inbox::file_message(&state, editor.caller, id, &typed).await {
        Ok((_, filed)) => Ok(views::see_other(&format!(
            "{}?done={}#correspondence",
            piece_url(filed.submission_id),
            outcome::attached_to(&filed.reference)
        ))),
        Err(err) if err.field == Some("reference") => {
            let status = err.status;
            let (_, message) = outcome::refusal(&err);
            let refused = Refused {
                reference: typed,
                message,
            };
            render(&editor, &state, id, status, None, Some(refused)).await
        }
        Err(err) => Err(DeskError::from(err).back_to(message_url(id))),
    }
}

async fn render(
    editor: &Editor,
    state: &AppState,
    id: i64,
    status: StatusCode,
    done: Option<String>,
    refused: Option<Refused>,
) -> Result<HttpResponse, DeskError> {
    let (actor, message) = inbox::read_message(state, editor.caller, id)
        .await
        .map_err(|err| DeskError::from(err).back_to(INBOX.into()))?;
    let refused = refused.map(|refused| {
        json!({
            "reference": refused.reference,
            "message": refused.message,
        })
    });
    views::page(
        status,
        "inbox_message.html",
        Some(editor.frame(state, actor.role)),
        json!({
            "message": message,
            "max_read_chars": MAX_READ_CHARS,
            "done": done,
            "refused": refused,
            "csrf": editor.session.csrf_token(state.tokens.cookie_key()),
        }),
    )
}
