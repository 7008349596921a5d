//! What anyone may open without an account, outside the JSON API: the
//! author's status page (`/a/{token}`, `author_page`) and the Atom feed
//! (`/feed.atom`, `feed`). Published op-eds as JSON are the API's
//! (`api::public`).

pub mod author_page;
pub mod feed;

use actix_web::web;

/// Mounts `/a/{token}` and `/feed.atom`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/feed.atom", web::get().to(feed::feed))
        .configure(author_page::routes);
}
