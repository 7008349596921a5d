//! Handing a piece to another editor (or to nobody) once review has
//! started, as `POST /api/v1/submissions/{id}/assignee` does
//! (`submissions::assignment`).

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::csrf::Posted;
use super::outcome;
use super::piece::{acted_on_version, piece_id, piece_url};
use super::session::Editor;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::auth::Role;
use crate::domain::{SubmissionId, UserId};
use crate::submissions::assignment;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssigneeForm {
    version: String,
    /// An account id, or empty for nobody.
    assignee: String,
}

pub async fn reassign(
    editor: Editor,
    id: web::Path<String>,
    form: Posted<AssigneeForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let back = |err: DeskError| err.back_to(piece_url(id));
    let AssigneeForm { version, assignee } = form.fields;
    let version = acted_on_version(&version).map_err(back)?;
    let assignee = match assignee.trim() {
        "" => None,
        chosen => Some(UserId(chosen.parse().map_err(|_| {
            back(DeskError::bad_request(format!(
                "there is no account {chosen:?}"
            )))
        })?)),
    };
    editor
        .caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(assignment::reassign(
                conn,
                SubmissionId(id),
                version,
                assignee,
                actor,
                Utc::now(),
            )?)
        })
        .await
        .map_err(|err| back(err.into()))?;
    Ok(views::see_other(&format!(
        "{}?done={}",
        piece_url(id),
        outcome::REASSIGNED
    )))
}
