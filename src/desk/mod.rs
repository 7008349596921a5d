//! The editors' desk in a browser, at `/desk`: pages rendered on the server
//! (`views`), signed-cookie sessions (`session`) and a CSRF token on every
//! form (`csrf`). It is a door over the application (`app`), as the JSON
//! API is: the same state, caller, gates and database hand-off
//! (`app::caller::Caller`), the same views and use cases, so every rule
//! lives in one place. It imports nothing of the API.

mod account;
mod assets;
mod assignment;
mod csrf;
mod edit;
mod inbox;
mod inbox_message;
mod outcome;
mod piece;
mod preview;
mod queue;
mod revisions;
pub mod session;
mod signin;
mod views;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use views::DeskError;

/// The largest form the desk accepts: an article of up to 1 MiB of text,
/// percent-encoded, with room to spare.
const FORM_LIMIT: usize = 4 * 1024 * 1024;

/// What the desk's cookies need to know about where it is served.
#[derive(Debug, Clone, Copy)]
pub struct DeskSettings {
    /// `Secure` cookies: on, unless the server listens on loopback only and
    /// its public URL is plain `http://` (development and tests). A loopback
    /// server behind a TLS proxy has an `https://` public URL: on.
    pub secure_cookies: bool,
}

impl DeskSettings {
    /// For a server listening on `bind` and reached at `public_url`
    /// (`OPED_PUBLIC_URL`).
    pub fn new(bind: std::net::SocketAddr, public_url: &str) -> DeskSettings {
        let plain_http = public_url
            .get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
        DeskSettings {
            secure_cookies: !(bind.ip().is_loopback() && plain_http),
        }
    }
}

/// The desk's pages allow what the desk serves itself and nothing else:
/// no inline script or style, no framing, forms post only back here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; form-action 'self'; frame-ancestors 'none'";

/// Mounts `/desk`; `App::new().configure(desk::routes(settings))`, beside
/// the other doors (the handlers use the `app::AppState` they all share).
pub fn routes(settings: DeskSettings) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.route("/favicon.ico", web::get().to(assets::icon));
        cfg.service(
            web::scope("/desk")
                .app_data(web::Data::new(settings))
                .app_data(web::PayloadConfig::new(FORM_LIMIT))
                .wrap(actix_web::middleware::from_fn(quiet_sign_in))
                .wrap(
                    actix_web::middleware::DefaultHeaders::new()
                        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "no-referrer"))
                        .add(("Cache-Control", "no-store")),
                )
                .route("", web::get().to(queue::redirect_to_queue))
                .route("/", web::get().to(queue::redirect_to_queue))
                .route("/desk.css", web::get().to(assets::stylesheet))
                .route("/favicon.svg", web::get().to(assets::icon))
                .route("/signin", web::get().to(signin::form))
                .route("/signin", web::post().to(signin::sign_in))
                .route("/signout", web::post().to(signin::sign_out))
                .route("/queue", web::get().to(queue::show))
                .route("/pieces/{id}", web::get().to(piece::show))
                .route("/pieces/{id}/actions", web::post().to(piece::act))
                .route("/pieces/{id}/notes", web::post().to(piece::add_note))
                .route("/pieces/{id}/hold", web::post().to(piece::hold))
                .route(
                    "/pieces/{id}/assignee",
                    web::post().to(assignment::reassign),
                )
                .route("/pieces/{id}/compare", web::get().to(revisions::compare))
                .route(
                    "/pieces/{id}/revisions/{n}/restore",
                    web::post().to(revisions::restore),
                )
                .route(
                    "/pieces/{id}/corrections",
                    web::post().to(piece::add_correction),
                )
                .route(
                    "/pieces/{id}/proposals/{proposal}/accept",
                    web::post().to(piece::accept_proposal),
                )
                .route(
                    "/pieces/{id}/proposals/{proposal}/discard",
                    web::post().to(piece::discard_proposal),
                )
                .route(
                    "/pieces/{id}/attachments/{n}",
                    web::get().to(piece::attachment),
                )
                .route("/pieces/{id}/preview", web::get().to(preview::show))
                .route("/pieces/{id}/edit", web::get().to(edit::form))
                .route("/pieces/{id}/edit", web::post().to(edit::save))
                .route("/inbox", web::get().to(inbox::show))
                .route("/inbox/{id}", web::get().to(inbox_message::show))
                .route("/inbox/{id}/promote", web::post().to(inbox::promote))
                .route("/inbox/{id}/attach", web::post().to(inbox_message::attach))
                .route("/inbox/{id}/dismiss", web::post().to(inbox::dismiss))
                .route("/inbox/{id}/restore", web::post().to(inbox::restore))
                .route("/password", web::get().to(account::password_form))
                .route("/password", web::post().to(account::change_password))
                .route("/accounts", web::get().to(account::accounts))
                .route("/accounts", web::post().to(account::add_account))
                .route("/accounts/{id}", web::post().to(account::change_account))
                .default_service(web::to(views::not_found)),
        );
    }
}

/// Being sent to sign in is the desk working as meant, not a failed
/// request: the redirect leaves without the error attached, so the request
/// logger does not report every expired session as a server error.
async fn quiet_sign_in(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let response = next.call(request).await?;
    let to_sign_in = response
        .response()
        .error()
        .and_then(|err| err.as_error::<DeskError>())
        .is_some_and(|err| matches!(err, DeskError::SignIn));
    if to_sign_in {
        let (request, _) = response.into_parts();
        return Ok(
            ServiceResponse::new(request, views::see_other("/desk/signin")).map_into_right_body(),
        );
    }
    Ok(response.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_secure_except_on_loopback_over_plain_http() {
        let secure =
            |bind: &str, url: &str| DeskSettings::new(bind.parse().unwrap(), url).secure_cookies;
        assert!(!secure("127.0.0.1:8080", "http://127.0.0.1:8080"));
        assert!(!secure("[::1]:8080", "HTTP://localhost:8080"));
        assert!(secure("127.0.0.1:8080", "https://desk.news.example"));
        assert!(secure("0.0.0.0:8080", "http://127.0.0.1:8080"));
        assert!(secure("192.0.2.1:8080", "https://desk.news.example"));
    }
}
