//! A piece's revisions side by side: any two compared word by word, and
//! any earlier one restored through the same edit as the API's
//! (`submissions::restore`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::csrf::Posted;
use super::outcome;
use super::piece::{acted_on_version, piece_id, piece_url};
use super::session::Editor;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::views::SubmissionView;
use crate::auth::Role;
use crate::domain::SubmissionId;
use crate::submissions::{restore, store};
use crate::text::diff;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CompareQuery {
    from: String,
    to: String,
}

/// Revision `from` against revision `to` (by default the one before the
/// current, against the current).
pub async fn compare(
    editor: Editor,
    id: web::Path<String>,
    query: web::Query<CompareQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let back = |err: DeskError| err.back_to(format!("{}#revisions", piece_url(id)));
    let (actor, (record, revisions)) = editor
        .caller
        .db(&state, Role::Editor, move |conn, _| {
            let record = store::find(conn, id)?.ok_or_else(|| ApiError::not_found("submission"))?;
            Ok((record, store::revisions(conn, id)?))
        })
        .await
        .map_err(|err| DeskError::from(err).back_to("/desk/queue".into()))?;
    // Newest first: the first is the current text.
    let current = revisions.first().map_or(1, |newest| newest.number);
    let chosen = |text: &str, default: i32| -> Result<i32, DeskError> {
        match text.trim() {
            "" => Ok(default),
            number => number.parse().map_err(|_| {
                back(DeskError::bad_request(format!(
                    "there is no revision {number:?}"
                )))
            }),
        }
    };
    let to = chosen(&query.to, current)?;
    let from = chosen(
        &query.from,
        revisions.get(1).map_or(current, |before| before.number),
    )?;
    let find = |number: i32| {
        revisions
            .iter()
            .find(|revision| revision.number == number)
            .ok_or_else(|| back(DeskError::from(ApiError::not_found("revision"))))
    };
    let (older, newer) = (find(from)?, find(to)?);
    let title_changes =
        (older.title != newer.title).then(|| diff::words(&older.title, &newer.title));
    let body_changes = diff::words(&older.body_text, &newer.body_text);
    let piece = SubmissionView::new(record, actor.role, &state.site, state.intake.word_limit);
    let side = |revision: &store::RevisionRow| {
        json!({
            "number": revision.number,
            "title": revision.title,
            "current": revision.number == current,
        })
    };
    let context = json!({
        "from": side(older),
        "to": side(newer),
        "numbers": revisions.iter().map(|revision| revision.number).collect::<Vec<_>>(),
        "title_changes": title_changes,
        "body_changes": body_changes,
        "editable": piece.editable,
        "piece": piece,
        "csrf": editor.session.csrf_token(state.tokens.cookie_key()),
    });
    views::page(
        StatusCode::OK,
        "compare.html",
        Some(editor.frame(&state, actor.role)),
        context,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RestoreForm {
    version: String,
}

/// Makes revision `n` current again, as `POST …/revisions/{n}/restore` does.
pub async fn restore(
    editor: Editor,
    path: web::Path<(String, String)>,
    form: Posted<RestoreForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let (id, number) = path.into_inner();
    let id = piece_id(&id)?;
    let back = |err: DeskError| err.back_to(format!("{}#revisions", piece_url(id)));
    let number: i32 = number
        .parse()
        .map_err(|_| back(DeskError::from(ApiError::not_found("revision"))))?;
    let version = acted_on_version(&form.fields.version).map_err(back)?;
    let site = state.site.clone();
    editor
        .caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(restore::restore(
                conn,
                SubmissionId(id),
                number,
                version,
                actor,
                &site,
            )?)
        })
        .await
        .map_err(|err| back(err.into()))?;
    Ok(views::see_other(&format!(
        "{}?done={}#revisions",
        piece_url(id),
        outcome::REVISION_RESTORED
    )))
}
