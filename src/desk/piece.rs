//! A piece: what came in and what happened to it, its notes, its revisions
//! and the texts from the author's mail that wait for an editor, and the
//! actions this editor may take now, each a small form that goes through
//! the services the API's routes use (`workflow::service::apply`,
//! `submissions::proposals`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;

use super::csrf::Posted;
use super::outcome;
use super::queue::state_label;
use super::session::Editor;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::download::file_response;
use crate::app::error::ApiError;
use crate::app::note::{self, MAX_NOTE_CHARS};
use crate::app::views::{
    CorrectionView, CorrespondenceView, HistoryView, NoteView, ProposalView, RevisionView,
    SubmissionView,
};
use crate::auth::{Role, accounts};
use crate::calendar;
use crate::domain::{Direction, ProposalId, ProposalStatus, SubmissionId, UserId};
use crate::submissions::corrections::{self, MAX_CORRECTION_CHARS};
use crate::submissions::store;
use crate::submissions::{assignment, proposals};
use crate::text::diff;
use crate::workflow::machine::emails_author;
use crate::workflow::service::{self, Initiator};
use crate::workflow::window;
use crate::workflow::{Action, State, TransitionRequest, allowed_now};

/// The piece id in the address; anything else is no piece.
pub(super) fn piece_id(raw: &str) -> Result<i64, DeskError> {
    raw.parse().map_err(|_| {
        DeskError::from(ApiError::not_found("submission")).back_to("/desk/queue".into())
    })
}

pub(super) fn piece_url(id: i64) -> String {
    format!("/desk/pieces/{id}")
}

/// The version a piece's form says it acted on (its hidden `version`).
pub(super) fn acted_on_version(sent: &str) -> Result<i32, DeskError> {
    sent.parse()
        .map_err(|_| DeskError::bad_request("the form does not say which version it acted on"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    /// What was just done here, for the message at the top.
    done: String,
}

pub async fn show(
    editor: Editor,
    id: web::Path<String>,
    query: web::Query<ShowQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let done = outcome::done_message(&query.done);
    render(&editor, &state, id, StatusCode::OK, done, None).await
}

/// An action the desk refused, shown again beside its form as typed.
struct Failure {
    action: Action,
    field: Option<&'static str>,
    message: String,
    note: String,
    publish_at: String,
}

async fn render(
    editor: &Editor,
    state: &AppState,
    id: i64,
    status: StatusCode,
    done: Option<String>,
    failure: Option<Failure>,
) -> Result<HttpResponse, DeskError> {
    let (actor, (record, history, notes, (revisions, proposals, letters, fixes), people)) = editor
        .caller
        .db(state, Role::Editor, move |conn, _| {
            let record = store::find(conn, id)?.ok_or_else(|| ApiError::not_found("submission"))?;
            let texts = (
                store::revisions(conn, id)?,
                proposals::list(conn, id)?,
                store::correspondence(conn, id)?,
                corrections::list(conn, id)?,
            );
            Ok((
                record,
                store::history(conn, id)?,
                store::notes(conn, id)?,
                texts,
                accounts::active_names(conn)?,
            ))
        })
        .await
        .map_err(|err| DeskError::from(err).back_to("/desk/queue".into()))?;
    let awaiting_author_consent = record.awaiting_author_consent;
    let piece = SubmissionView::new(record, actor.role, &state.site, state.intake.word_limit);
    let actions: Vec<_> = piece
        .allowed_actions
        .iter()
        .map(|action| action_form(*action, piece.exclusive_confirmed == Some(true)))
        .collect();
    // What only a higher role could do here, so the page can say so.
    let withheld = allowed_now(piece.state, Role::Admin, awaiting_author_consent).len()
        > piece.allowed_actions.len();
    let failure = failure.map(|failure| {
        json!({
            "action": failure.action.as_str(),
            "field": failure.field,
            "message": failure.message,
            "note": failure.note,
            "publish_at": failure.publish_at,
        })
    });
    let context = json!({
        "piece": piece,
        "state_label": state_label(piece.state),
        "history": history.into_iter().map(HistoryView::from).collect::<Vec<_>>(),
        "notes": notes.into_iter().map(NoteView::from).collect::<Vec<_>>(),
        "revisions": revisions_with_changes(revisions),
        "may_reassign": assignment::ASSIGNABLE.contains(&piece.state),
        "people": people
            .iter()
            .map(|(id, name)| json!({ "id": id, "name": name }))
            .collect::<Vec<_>>(),
        "proposals": proposals_with_changes(proposals, &piece.body_text),
        "letters": letters_newest_first(letters, &piece.author.email),
        "corrections": fixes.into_iter().map(CorrectionView::from).collect::<Vec<_>>(),
        "may_correct": actor.role.includes(Role::Publisher) && piece.state == State::Published,
        "max_correction_chars": MAX_CORRECTION_CHARS,
        "actions": actions,
        "withheld": withheld,
        "awaiting_author_consent": awaiting_author_consent,
        "csrf": editor.session.csrf_token(state.tokens.cookie_key()),
        "max_note_chars": MAX_NOTE_CHARS,
        "done": done,
        "failure": failure,
        "timezone": state.intake.window.timezone.name(),
    });
    views::page(
        status,
        "piece.html",
        Some(editor.frame(state, actor.role)),
        context,
    )
}

/// Each revision (newest first, as the store lists them) with what changed
/// from the one before it, word by word.
fn revisions_with_changes(revisions: Vec<store::RevisionRow>) -> Vec<serde_json::Value> {
    let revisions: Vec<RevisionView> = revisions.into_iter().map(RevisionView::from).collect();
    revisions
        .iter()
        .enumerate()
        .map(|(at, revision)| {
            let changes = revisions
                .get(at + 1)
                .map(|older| diff::words(&older.body_text, &revision.body_text));
            json!({ "revision": revision, "changes": changes })
        })
        .collect()
}

/// Each text from the author's mail, and for one still waiting what it
/// would change in the piece's text now.
fn proposals_with_changes(
    proposals: Vec<proposals::ProposalRow>,
    current: &str,
) -> Vec<serde_json::Value> {
    proposals
        .into_iter()
        .map(ProposalView::from)
        .map(|proposal| {
            let changes = (proposal.status == ProposalStatus::Pending)
                .then(|| diff::words(current, &proposal.body_text));
            json!({ "proposal": proposal, "changes": changes })
        })
        .collect()
}

/// The mail of the piece's thread as the API lists it, newest first, each
/// with the id "use this text" names.
/// Each letter (newest first) with who sent it: the author, the desk, or
/// someone else whose mail an editor filed with the piece.
fn letters_newest_first(
    letters: Vec<store::CorrespondenceRow>,
    author_email: &str,
) -> Vec<serde_json::Value> {
    letters
        .into_iter()
        .rev()
        .map(|letter| {
            let id = letter.id;
            let inbound = letter.direction == Direction::Inbound;
            let from_author = inbound
                && letter
                    .sender_email
                    .as_deref()
                    .is_none_or(|sender| sender.eq_ignore_ascii_case(author_email));
            let carries_text = inbound && !letter.body_text.trim().is_empty();
            json!({
                "id": id,
                "inbound": inbound,
                "from_author": from_author,
                "carries_text": carries_text,
                "letter": CorrespondenceView::from(letter),
            })
        })
        .collect()
}

/// What the form of `action` asks for. Putting a piece before readers
/// without the author's confirmed exclusivity needs a note saying why
/// (`workflow::machine`), so those forms ask for one.
fn action_form(action: Action, exclusive_confirmed: bool) -> serde_json::Value {
    let before_readers = matches!(action, Action::Schedule | Action::Publish);
    let (label, note) = match action {
        Action::StartReview => ("Start review", None),
        Action::RequestChanges => ("Ask the author for changes", Some("required")),
        Action::Approve => ("Approve", None),
        Action::Reject => ("Reject", Some("optional")),
        Action::ReturnToReview => ("Back to review", None),
        Action::Schedule => ("Schedule", None),
        Action::Unschedule => ("Unschedule", None),
        Action::Publish => ("Publish now", None),
        // Not buttons of the desk's table: the author's own, and the hold
        // (an extension of the response window, not a transition).
        Action::AuthorWithdraw | Action::Hold => ("", None),
        Action::Unpublish => ("Take down", Some("required")),
        Action::Withdraw => ("Withdraw", None),
        Action::Reopen => ("Reopen", None),
    };
    let note = match note {
        None if before_readers && !exclusive_confirmed => Some("exclusivity"),
        note => note,
    };
    json!({
        "action": action.as_str(),
        "label": label,
        "note": note,
        "emailed": emails_author(action),
        "schedule": action == Action::Schedule,
        "confirm": outcome::needs_confirmation(action),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    action: String,
    version: String,
    note: String,
    publish_at: String,
    /// `yes` once the editor confirmed an act that needs it.
    confirmed: String,
}

pub async fn act(
    editor: Editor,
    id: web::Path<String>,
    form: Posted<ActionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let back = |err: DeskError| err.back_to(piece_url(id));
    let sent = form.fields;
    let action: Action = sent.action.parse().map_err(|_| {
        back(DeskError::bad_request(format!(
            "there is no action {:?}",
            sent.action
        )))
    })?;
    let version = acted_on_version(&sent.version).map_err(back)?;
    let refused = |field: Option<&'static str>, message: String| Failure {
        action,
        field,
        message,
        note: sent.note.clone(),
        publish_at: sent.publish_at.clone(),
    };
    let publish_at = match sent.publish_at.trim() {
        "" => None,
        text => match parse_desk_time(text, state.intake.window.timezone) {
            Some(at) => Some(at),
            None => {
                let failure = refused(
                    Some("publish_at"),
                    "That is not a date and time such as 2026-12-24 09:00.".into(),
                );
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return render(&editor, &state, id, status, None, Some(failure)).await;
            }
        },
    };
    if outcome::needs_confirmation(action) && sent.confirmed != outcome::CONFIRMED {
        return confirm(&editor, &state, id, action, version, &sent).await;
    }
    let request = TransitionRequest {
        note: (!sent.note.trim().is_empty()).then(|| sent.note.clone()),
        assignee: None,
        publish_at,
        // A piece reopened or returned to review gets a new response window.
        reopened_respond_by: Some(state.intake.window.respond_by(Utc::now())),
    };
    let site = state.site.clone();
    let applied = editor
        .caller
        .db(&state, Role::Editor, move |conn, actor| {
            service::apply(
                conn,
                id,
                Some(version),
                action,
                request,
                Initiator::User(actor),
                &site,
                Utc::now(),
            )
            .map_err(ApiError::from)
        })
        .await;
    match applied {
        Ok(_) => Ok(views::see_other(&format!(
            "{}?done={}",
            piece_url(id),
            action.as_str()
        ))),
        // A field at fault (the note, the time): the page again, the
        // reason beside the field and what was typed kept. Anything else
        // (not allowed, not from this state, changed meanwhile) is a page
        // of its own, as before.
        Err(err) if err.field.is_some() => {
            let (field, message) = outcome::refusal(&err);
            let status = err.status;
            render(
                &editor,
                &state,
                id,
                status,
                None,
                Some(refused(field, message)),
            )
            .await
        }
        Err(err) => Err(back(err.into())),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CorrectionForm {
    version: String,
    text: String,
}

/// Adds a correction to a published piece, as `POST …/corrections` does
/// (`submissions::corrections::add`): a publisher's act, shown to readers.
pub async fn add_correction(
    editor: Editor,
    id: web::Path<String>,
    form: Posted<CorrectionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let back = |err: DeskError| err.back_to(format!("{}#corrections", piece_url(id)));
    let version: i32 = form.fields.version.parse().map_err(|_| {
        back(DeskError::bad_request(
            "the form does not say which version it corrected",
        ))
    })?;
    let text = corrections::valid_text(&form.fields.text).ok_or_else(|| {
        back(DeskError::bad_request(format!(
            "a correction is 1 to {MAX_CORRECTION_CHARS} characters"
        )))
    })?;
    let site = state.site.clone();
    editor
        .caller
        .db(&state, Role::Publisher, move |conn, actor| {
            let (piece, publisher) = (SubmissionId(id), UserId(actor.user_id));
            Ok(corrections::add(
                conn, piece, version, &text, publisher, &site,
            )?)
        })
        .await
        .map_err(|err| back(err.into()))?;
    Ok(views::see_other(&format!(
        "{}?done={}#corrections",
        piece_url(id),
        outcome::CORRECTED
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HoldForm {
    version: String,
    note: String,
}

/// Extends the response window once, as `POST …/hold` does
/// (`workflow::window::hold`): the author is told the new date.
pub async fn hold(
    editor: Editor,
    id: web::Path<String>,
    form: Posted<HoldForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let HoldForm { version, note } = form.fields;
    let version = acted_on_version(&version).map_err(|err| err.back_to(piece_url(id)))?;
    let refused = |field, message| Failure {
        action: Action::Hold,
        field,
        message,
        note: note.clone(),
        publish_at: String::new(),
    };
    let checked = match note::checked(&note) {
        Ok(checked) => checked,
        Err(err) => {
            let failure = refused(Some("note"), format!("A note is {err}."));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&editor, &state, id, status, None, Some(failure)).await;
        }
    };
    let window = state.intake.window;
    let held = editor
        .caller
        .db(&state, Role::Editor, move |conn, actor| {
            window::hold(conn, id, version, &checked, actor, &window, Utc::now())
                .map_err(ApiError::from)
        })
        .await;
    match held {
        Ok(_) => Ok(views::see_other(&format!(
            "{}?done={}",
            piece_url(id),
            Action::Hold.as_str()
        ))),
        Err(err) if err.status == StatusCode::CONFLICT || err.field.is_some() => {
            let status = err.status;
            let failure = refused(err.field, err.detail.replace('`', ""));
            render(&editor, &state, id, status, None, Some(failure)).await
        }
        Err(err) => Err(DeskError::from(err).back_to(piece_url(id))),
    }
}

/// The page that asks before an act hard to undo, carrying what was typed.
async fn confirm(
    editor: &Editor,
    state: &AppState,
    id: i64,
    action: Action,
    version: i32,
    sent: &ActionForm,
) -> Result<HttpResponse, DeskError> {
    let (actor, record) = editor
        .caller
        .db(state, Role::Editor, move |conn, _| {
            store::find(conn, id)?.ok_or_else(|| ApiError::not_found("submission"))
        })
        .await
        .map_err(|err| DeskError::from(err).back_to("/desk/queue".into()))?;
    let piece = SubmissionView::new(record, actor.role, &state.site, state.intake.word_limit);
    let context = json!({
        "piece": piece,
        "action": action.as_str(),
        "label": action_form(action, true)["label"],
        "consequence": outcome::consequence(action),
        "confirm_label": outcome::confirm_label(action),
        "confirmed": outcome::CONFIRMED,
        "version": version,
        "note": sent.note,
        "publish_at": sent.publish_at,
        "csrf": editor.session.csrf_token(state.tokens.cookie_key()),
    });
    views::page(
        StatusCode::OK,
        "confirm.html",
        Some(editor.frame(state, actor.role)),
        context,
    )
}

/// A `datetime-local` value, read on the desk's clock (the form says which).
fn parse_desk_time(text: &str, timezone: Tz) -> Option<DateTime<Utc>> {
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .map(|naive| calendar::to_utc(naive, timezone))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    body: String,
}

pub async fn add_note(
    editor: Editor,
    id: web::Path<String>,
    form: Posted<NoteForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let id = piece_id(&id)?;
    let body = note::checked(&form.fields.body)
        .map_err(|err| DeskError::bad_request(format!("a note is {err}")).back_to(piece_url(id)))?;
    let author = editor.caller.user_id();
    editor
        .caller
        .db(&state, Role::Editor, move |conn, _| {
            if !store::exists(conn, id)? {
                return Err(ApiError::not_found("submission"));
            }
            Ok(store::add_note(
                conn,
                SubmissionId(id),
                UserId(author),
                &body,
            )?)
        })
        .await
        .map_err(|err| DeskError::from(err).back_to(piece_url(id)))?;
    Ok(views::see_other(&format!(
        "{}?done={}#notes",
        piece_url(id),
        outcome::NOTE_ADDED
    )))
}

pub async fn attachment(
    editor: Editor,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let (id, n) = path.into_inner();
    let id = piece_id(&id)?;
    let n: i32 = n
        .parse()
        .map_err(|_| DeskError::from(ApiError::not_found("attachment")))?;
    let (_, file) = editor
        .caller
        .db(&state, Role::Editor, move |conn, _| {
            store::attachment_file(conn, id, n)?.ok_or_else(|| ApiError::not_found("attachment"))
        })
        .await
        .map_err(|err| DeskError::from(err).back_to(piece_url(id)))?;
    Ok(file_response(file, n))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    version: String,
}

/// Makes a proposed text the piece's text, as `POST …/proposals/{p}/accept`
/// does: checked against the version the editor saw, a publisher's act on
/// a scheduled or published piece.
pub async fn accept_proposal(
    editor: Editor,
    path: web::Path<(String, String)>,
    form: Posted<DecisionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let (id, proposal) = proposal_path(&path)?;
    let version =
        acted_on_version(&form.fields.version).map_err(|err| err.back_to(piece_url(id)))?;
    let site = state.site.clone();
    editor
        .caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(proposals::accept(
                conn,
                SubmissionId(id),
                ProposalId(proposal),
                version,
                actor,
                &site,
            )?)
        })
        .await
        .map_err(|err| DeskError::from(err).back_to(piece_url(id)))?;
    Ok(views::see_other(&format!(
        "{}?done={}",
        piece_url(id),
        outcome::TEXT_USED
    )))
}

/// Sets a proposed text aside, as `POST …/proposals/{p}/discard` does.
pub async fn discard_proposal(
    editor: Editor,
    path: web::Path<(String, String)>,
    _form: Posted<DecisionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let (id, proposal) = proposal_path(&path)?;
    editor
        .caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(proposals::discard(
                conn,
                SubmissionId(id),
                ProposalId(proposal),
                UserId(actor.user_id),
            )?)
        })
        .await
        .map_err(|err| DeskError::from(err).back_to(piece_url(id)))?;
    Ok(views::see_other(&format!(
        "{}?done={}#proposals",
        piece_url(id),
        outcome::TEXT_SET_ASIDE
    )))
}

fn proposal_path(path: &(String, String)) -> Result<(i64, i64), DeskError> {
    let id = piece_id(&path.0)?;
    let proposal = path
        .1
        .parse()
        .map_err(|_| DeskError::from(ApiError::not_found("proposal")).back_to(piece_url(id)))?;
    Ok((id, proposal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datetime_local_value_is_read_on_the_desks_clock() {
        let expected: DateTime<Utc> = "2026-12-24T09:00:00Z".parse().unwrap();
        let utc = Tz::UTC;
        assert_eq!(parse_desk_time("2026-12-24T09:00", utc), Some(expected));
        assert_eq!(parse_desk_time("2026-12-24T09:00:00", utc), Some(expected));
        assert_eq!(parse_desk_time("24/12/2026 09:00", utc), None);
        assert_eq!(parse_desk_time("2026-12-24T09:00Z", utc), None);
        let tripoli = chrono_tz::Africa::Tripoli;
        let expected: DateTime<Utc> = "2026-12-24T07:00:00Z".parse().unwrap();
        assert_eq!(parse_desk_time("2026-12-24T09:00", tripoli), Some(expected));
    }
}
