//! `/api/v1/submissions`: the editors' view of the desk.

mod assignee;
mod attachments;
mod author_link;
mod corrections;
mod correspondence;
mod detail;
mod history;
mod hold;
mod list;
mod notes;
mod proposals;
mod revisions;
mod transitions;

use actix_web::web;
use diesel::PgConnection;

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::auth::Role;
use crate::submissions::store;

pub use assignee::__path_reassign;
pub use attachments::__path_download;
pub use author_link::__path_revoke;
pub use corrections::{__path_add_correction, __path_corrections};
pub use correspondence::{__path_correspondence, __path_send_message};
pub use detail::{__path_show, __path_update};
pub use history::__path_history;
pub use hold::__path_hold;
pub use list::__path_index;
pub use notes::{__path_add_note, __path_notes};
pub use proposals::{__path_accept, __path_discard, __path_proposals};
pub use revisions::{__path_restore, __path_revisions};
pub use transitions::__path_transition;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/submissions")
            .route("", web::get().to(list::index))
            .route("/{id}", web::get().to(detail::show))
            .route("/{id}", web::patch().to(detail::update))
            .route("/{id}/transitions", web::post().to(transitions::transition))
            .route("/{id}/hold", web::post().to(hold::hold))
            .route("/{id}/history", web::get().to(history::history))
            .route("/{id}/assignee", web::post().to(assignee::reassign))
            .route("/{id}/revisions", web::get().to(revisions::revisions))
            .route(
                "/{id}/revisions/{n}/restore",
                web::post().to(revisions::restore),
            )
            .route("/{id}/notes", web::get().to(notes::notes))
            .route("/{id}/notes", web::post().to(notes::add_note))
            .route("/{id}/corrections", web::get().to(corrections::corrections))
            .route(
                "/{id}/corrections",
                web::post().to(corrections::add_correction),
            )
            .route("/{id}/proposals", web::get().to(proposals::proposals))
            .route(
                "/{id}/proposals/{proposal}/accept",
                web::post().to(proposals::accept),
            )
            .route(
                "/{id}/proposals/{proposal}/discard",
                web::post().to(proposals::discard),
            )
            .route(
                "/{id}/correspondence",
                web::get().to(correspondence::correspondence),
            )
            .route(
                "/{id}/messages",
                web::post().to(correspondence::send_message),
            )
            .route(
                "/{id}/attachments/{n}",
                web::get().to(attachments::download),
            )
            .route(
                "/{id}/author-link/revoke",
                web::post().to(author_link::revoke),
            ),
    );
}

/// Runs `work` for an editor on a database thread for submission `id`, or
/// answers 404 when there is no such submission.
async fn with_submission<T, F>(
    state: &AppState,
    caller: Caller,
    id: i64,
    work: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let (_, found) = caller
        .db(state, Role::Editor, move |conn, _| {
            if !store::exists(conn, id)? {
                return Err(ApiError::not_found("submission"));
            }
            work(conn)
        })
        .await?;
    Ok(found)
}

/// Answers with the rows `read` finds under submission `id` (its history,
/// revisions, proposals, mail), each in its API form; 404 when there is no
/// such submission.
async fn list_under<Row, View>(
    state: &AppState,
    caller: Caller,
    id: i64,
    read: fn(&mut PgConnection, i64) -> diesel::QueryResult<Vec<Row>>,
) -> Result<actix_web::HttpResponse, ApiError>
where
    Row: Send + 'static,
    View: From<Row> + serde::Serialize,
{
    let rows = with_submission(state, caller, id, move |conn| Ok(read(conn, id)?)).await?;
    Ok(actix_web::HttpResponse::Ok().json(rows.into_iter().map(View::from).collect::<Vec<_>>()))
}
