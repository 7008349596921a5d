//! Editing a piece's title, standfirst, text, bio, slug and tags with the
//! version check of
//! `PATCH /submissions/{id}`: the form carries the version it was loaded
//! at, and `store::edit` refuses it when the piece has moved on since. The
//! refusal shows the piece as it is now beside the text that was sent, so
//! nothing is lost and nothing is overwritten. A scheduled or published
//! piece is a publisher's to edit: an editor is not offered the form, and a
//! form sent anyway is shown again, as typed, with the reason.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::csrf::Posted;
use super::piece::{piece_id, piece_url};
use super::session::Editor;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::views::SubmissionView;
use crate::auth::Role;
use crate::submissions::PieceError;
use crate::submissions::edit::{self, SubmissionPatch, may_edit};
use crate::submissions::store;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormQuery {
    /// A letter of the author's whose text fills the form ("use this text").
    letter: String,
}

pub async fn form(
    editor: Editor,
    id: web::Path<String>,
    query: web::Query<FormQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let letter: Option<i64> =
        match query.letter.trim() {
            "" => None,
            raw => Some(raw.parse().map_err(|_| {
                DeskError::from(ApiError::not_found("letter")).back_to(piece_url(id))
            })?),
        };
    let (actor, (record, letter)) = editor
        .caller
        .db(&state, Role::Editor, move |conn, _| {
            let record = store::find(conn, id)?.ok_or_else(|| ApiError::not_found("submission"))?;
            let letter = match letter {
                None => None,
                Some(letter) => Some(
                    store::author_letter_text(conn, id, letter)?
                        .ok_or_else(|| ApiError::not_found("letter"))?,
                ),
            };
            Ok((record, letter))
        })
        .await
        .map_err(|err| DeskError::from(err).back_to("/desk/queue".into()))?;
    if !may_edit(record.row.state, actor.role) {
        let refusal = PieceError::PublisherOnly {
            state: record.row.state,
        };
        return Err(DeskError::from(ApiError::from(refusal)).back_to(piece_url(id)));
    }
    let piece = SubmissionView::new(record, actor.role, &state.site, state.intake.word_limit);
    let mut fields = form_fields(&piece);
    if let Some((text, _)) = &letter {
        fields["body_text"] = json!(text.trim());
    }
    render(
        &editor,
        &state,
        actor.role,
        StatusCode::OK,
        "edit.html",
        json!({
            "piece": piece,
            "fields": fields,
            "error": null,
            "letter": letter.map(|(_, at)| json!({ "at": at })),
        }),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditForm {
    title: String,
    standfirst: String,
    body_text: String,
    /// Absent: left as it is (the slug of a published piece is not offered).
    author_bio: Option<String>,
    slug: Option<String>,
    /// Comma-separated.
    tags: Option<String>,
    version: String,
}

/// "economy, Libya ,, budget" → the API's list of tags.
fn tag_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn save(
    editor: Editor,
    id: web::Path<String>,
    form: Posted<EditForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let sent = form.fields;
    let version: i32 = sent.version.parse().map_err(|_| {
        DeskError::bad_request("the form does not say which version it edited")
            .back_to(piece_url(id))
    })?;
    // The API's checks, word for word; an invalid field shows the form
    // again with what was typed.
    let valid = match edit::validate(SubmissionPatch {
        title: Some(sent.title.clone()),
        standfirst: Some(sent.standfirst.clone()),
        body_text: Some(sent.body_text.clone()),
        author_bio: sent.author_bio.clone(),
        slug: sent.slug.clone(),
        tags: sent.tags.as_deref().map(tag_list),
    }) {
        Ok(valid) => valid,
        Err(err) => {
            let (actor, record) = read(&editor, &state, id).await?;
            let piece =
                SubmissionView::new(record, actor.role, &state.site, state.intake.word_limit);
            return render(
                &editor,
                &state,
                actor.role,
                StatusCode::UNPROCESSABLE_ENTITY,
                "edit.html",
                json!({
                    "piece": piece,
                    "fields": sent_fields(&sent, version),
                    "error": ApiError::from(err).detail,
                    "letter": null,
                }),
            );
        }
    };
    let site = state.site.clone();
    let outcome = editor
        .caller
        .db(&state, Role::Editor, move |conn, actor| {
            let current = |conn: &mut diesel::PgConnection| {
                store::find(conn, id)?.ok_or_else(|| ApiError::not_found("submission"))
            };
            Ok(match store::edit(conn, id, version, &valid, actor, &site) {
                Ok(_) => Saved::Done,
                Err(PieceError::Stale { .. }) => Saved::Stale(current(conn)?),
                Err(refusal @ PieceError::PublisherOnly { .. }) => {
                    Saved::Refused(current(conn)?, ApiError::from(refusal))
                }
                Err(other) => return Err(other.into()),
            })
        })
        .await
        .map_err(|err| DeskError::from(err).back_to(piece_url(id)))?;
    match outcome {
        (_, Saved::Done) => Ok(views::see_other(&format!(
            "{}?done={}",
            piece_url(id),
            super::outcome::SAVED
        ))),
        (actor, Saved::Refused(current, refusal)) => {
            // What was typed stays in the form, beside the reason.
            let current =
                SubmissionView::new(current, actor.role, &state.site, state.intake.word_limit);
            render(
                &editor,
                &state,
                actor.role,
                refusal.status,
                "edit.html",
                json!({
                    "piece": current,
                    "fields": sent_fields(&sent, version),
                    "error": refusal.detail,
                    "letter": null,
                }),
            )
        }
        (actor, Saved::Stale(current)) => {
            let current =
                SubmissionView::new(current, actor.role, &state.site, state.intake.word_limit);
            let fields = form_fields(&current);
            render(
                &editor,
                &state,
                actor.role,
                StatusCode::CONFLICT,
                "conflict.html",
                json!({
                    "piece": current,
                    "fields": fields,
                    "sent": sent_fields(&sent, version),
                    "changed": {
                        "title": current.title != sent.title.trim(),
                        "standfirst": current.standfirst.as_deref().unwrap_or("") != sent.standfirst.trim(),
                        "body_text": current.body_text.trim() != sent.body_text.trim(),
                    },
                }),
            )
        }
    }
}

/// What became of a saved edit.
enum Saved {
    Done,
    /// The piece moved on since the form was loaded: here it is now.
    Stale(store::SubmissionRecord),
    /// The editor may not change this piece (what readers see): the piece,
    /// and why.
    Refused(store::SubmissionRecord, ApiError),
}

async fn read(
    editor: &Editor,
    state: &AppState,
    id: i64,
) -> Result<(crate::auth::Actor, store::SubmissionRecord), DeskError> {
    editor
        .caller
        .db(state, Role::Editor, move |conn, _| {
            store::find(conn, id)?.ok_or_else(|| ApiError::not_found("submission"))
        })
        .await
        .map_err(|err| DeskError::from(err).back_to("/desk/queue".into()))
}

fn sent_fields(sent: &EditForm, version: i32) -> serde_json::Value {
    json!({
        "title": sent.title,
        "standfirst": sent.standfirst,
        "body_text": sent.body_text,
        "author_bio": sent.author_bio.clone().unwrap_or_default(),
        "slug": sent.slug.clone().unwrap_or_default(),
        "tags": sent.tags.clone().unwrap_or_default(),
        "version": version,
    })
}

fn render(
    editor: &Editor,
    state: &AppState,
    role: Role,
    status: StatusCode,
    template: &str,
    mut context: serde_json::Value,
) -> Result<HttpResponse, DeskError> {
    context["csrf"] = json!(editor.session.csrf_token(state.tokens.cookie_key()));
    views::page(status, template, Some(editor.frame(state, role)), context)
}

/// The edit form's fields as `piece` has them now: to start an edit, and
/// beside the editor's own text when someone else changed the piece.
fn form_fields(piece: &SubmissionView) -> serde_json::Value {
    json!({
        "title": piece.title,
        "standfirst": piece.standfirst.clone().unwrap_or_default(),
        "body_text": piece.body_text,
        "author_bio": piece.author.bio.clone().unwrap_or_default(),
        "slug": piece.slug.clone().unwrap_or_default(),
        "tags": piece.tags.join(", "),
        "version": piece.version,
    })
}
