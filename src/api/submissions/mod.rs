//! `/api/v1/submissions`: the editors' view of the desk.

mod attachments;
mod correspondence;
mod detail;
mod history;
mod list;
mod notes;
mod revisions;
mod transitions;
pub mod views;

use actix_web::web;

pub use attachments::__path_download;
pub use correspondence::{__path_correspondence, __path_send_message};
pub use detail::{__path_show, __path_update};
pub use history::__path_history;
pub use list::__path_index;
pub use notes::{__path_add_note, __path_notes};
pub use revisions::__path_revisions;
pub use transitions::__path_transition;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/submissions")
            .route("", web::get().to(list::index))
            .route("/{id}", web::get().to(detail::show))
            .route("/{id}", web::patch().to(detail::update))
            .route("/{id}/transitions", web::post().to(transitions::transition))
            .route("/{id}/history", web::get().to(history::history))
            .route("/{id}/revisions", web::get().to(revisions::revisions))
            .route("/{id}/notes", web::get().to(notes::notes))
            .route("/{id}/notes", web::post().to(notes::add_note))
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
            ),
    );
}
