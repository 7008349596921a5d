//! A piece as readers would see it (`publishing::view::PublicOpinion`, the
//! same form the site and the feed are given): title, standfirst, byline,
//! text, bio, disclosure and corrections, each in its own direction, before
//! anyone publishes it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::json;

use super::piece::{piece_id, piece_url};
use super::session::Editor;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::auth::Role;
use crate::publishing::store;
use crate::publishing::view::PublicOpinion;

pub async fn show(
    editor: Editor,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let (actor, row) = editor
        .caller
        .db(&state, Role::Editor, move |conn, _| {
            store::by_id(conn, id).map_err(|err| match err {
                diesel::result::Error::NotFound => ApiError::not_found("submission"),
                other => other.into(),
            })
        })
        .await
        .map_err(|err| DeskError::from(err).back_to(piece_url(id)))?;
    let public = PublicOpinion::preview(&row, &state.site, Utc::now());
    views::page(
        StatusCode::OK,
        "preview.html",
        Some(editor.frame(&state, actor.role)),
        json!({ "id": id, "public": public }),
    )
}
