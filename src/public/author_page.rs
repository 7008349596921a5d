//! `/a/{token}`: the author's page, which the acknowledgement links to. The
//! token in the path is the only credential: no cookie, no login, so a page
//! elsewhere cannot post on the author's behalf without knowing it. Every
//! answer is `no-store` with `Referrer-Policy: no-referrer` (the app's
//! defaults), so the token neither stays in caches nor leaks through links
//! on the page.
//!
//! Plain HTML with small forms that post to the page itself; no script, no style sheet, every control labelled. A
//! successful post is answered with a redirect back (so reloading does not
//! post again); a refused one shows the page again with the reason.

use std::sync::OnceLock;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use minijinja::{AutoEscape, Environment, context};
use serde::Deserialize;

use crate::app::AppState;
use crate::app::author_link::view::AuthorStatus;
use crate::app::author_link::{
    self, BODY_LIMIT, checked_disclosure, checked_reason, read_status, with_token,
};
use crate::app::error::ApiError;
use crate::author_link::{MAX_DISCLOSURE_CHARS, MAX_REASON_CHARS};

/// Forms may post to this page only; nothing else is loaded.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `/a/{token}`, the page the acknowledgement links to.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/a/{token}")
            .app_data(
                web::FormConfig::default()
                    .limit(BODY_LIMIT)
                    .error_handler(|err, _| {
                        ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "invalid_body",
                            format!("the form does not fit: {err}"),
                        )
                        .into()
                    }),
            )
            .route(web::get().to(show))
            .route(web::post().to(act)),
    );
}

#[derive(Debug, Deserialize)]
pub struct PageForm {
    intent: String,
    exclusive: Option<String>,
    disclosure: Option<String>,
    reason: Option<String>,
    confirm: Option<String>,
}

pub async fn show(
    token: web::Path<String>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let token = token.into_inner();
    let notice = match request.query_string() {
        "done=declared" => Some("Thank you: your answers are saved."),
        "done=withdrawn" => Some("Your piece is withdrawn."),
        "done=consented" => Some(
            "Thank you: the desk may consider your piece again. We will write when an editor takes it up.",
        ),
        _ => None,
    };
    let site = state.site.clone();
    match with_token(&state, &request, token.clone(), move |conn, id| {
        read_status(conn, id, &site)
    })
    .await
    {
        Ok(status) => page(StatusCode::OK, &status, &token, notice, None),
        Err(err) => failure(err),
    }
}

pub async fn act(
    token: web::Path<String>,
    request: HttpRequest,
    form: web::Form<PageForm>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let token = token.into_inner();
    let form = form.into_inner();
    let site = state.site.clone();
    let outcome = match form.intent.as_str() {
        "declare" => match checked_disclosure(form.disclosure.as_deref().unwrap_or("")) {
            Ok(disclosure) => {
                let exclusive = form.exclusive.as_deref() == Some("yes");
                with_token(&state, &request, token.clone(), move |conn, id| {
                    author_link::declare(conn, id, exclusive, &disclosure)
                })
                .await
                .map(|()| "declared")
            }
            Err(err) => Err(err),
        },
        "withdraw" if form.confirm.as_deref() != Some("yes") => Err(ApiError::invalid_field(
            "confirm",
            "tick the box to confirm that you want to withdraw the piece",
        )),
        "withdraw" => match checked_reason(form.reason.as_deref()) {
            Ok(reason) => with_token(&state, &request, token.clone(), move |conn, id| {
                author_link::withdraw(conn, id, reason, &site)
            })
            .await
            .map(|()| "withdrawn"),
            Err(err) => Err(err),
        },
        "consent" if form.confirm.as_deref() != Some("yes") => Err(ApiError::invalid_field(
            "confirm",
            "tick the box to confirm that the desk may consider the piece again",
        )),
        "consent" => with_token(&state, &request, token.clone(), move |conn, id| {
            author_link::consent(conn, id)
        })
        .await
        .map(|()| "consented"),
        _ => Err(ApiError::invalid_field(
            "intent",
            "not one of this page's forms",
        )),
    };
    let refusal = match outcome {
        Ok(done) => {
            // Relative to `/a/`, so the page works under any path prefix.
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("{token}?done={done}")))
                .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
                .finish();
        }
        Err(err) if err.status.is_client_error() && err.status != StatusCode::NOT_FOUND => err,
        Err(err) => return failure(err),
    };
    // Show the page again with the reason, as it now stands.
    let site = state.site.clone();
    match with_token(&state, &request, token.clone(), move |conn, id| {
        read_status(conn, id, &site)
    })
    .await
    {
        Ok(status) => page(refusal.status, &status, &token, None, Some(&refusal.detail)),
        Err(err) => failure(err),
    }
}

/// An unknown link gets a short page that says so (and no more); anything
/// else is the application's problem document.
fn failure(err: ApiError) -> HttpResponse {
    if err.status != StatusCode::NOT_FOUND {
        return actix_web::ResponseError::error_response(&err);
    }
    html(
        StatusCode::NOT_FOUND,
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Link not found</title></head>\n\
         <body><main><h1>Link not found</h1><p>This link does not open any piece. \
         If the desk sent you a newer link, please use that one.</p></main></body>\n</html>\n"
            .into(),
    )
}

fn page(
    status_code: StatusCode,
    status: &AuthorStatus,
    token: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    let rendered = templates().get_template("page.html").and_then(|template| {
        template.render(context! {
            status => status,
            token => token,
            notice => notice,
            error => error,
            status_text => status.status.describe(),
            received => readable(status.received_at),
            scheduled_for => status.scheduled_for.map(readable),
            respond_by => status.respond_by.map(readable),
            max_disclosure => MAX_DISCLOSURE_CHARS,
            max_reason => MAX_REASON_CHARS,
        })
    });
    match rendered {
        Ok(body) => html(status_code, body),
        Err(err) => actix_web::ResponseError::error_response(&ApiError::internal(&err)),
    }
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .body(body)
}

/// `1 December 2026, 14:05 UTC`.
fn readable(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// The page's template, with HTML escaping of everything it is given (a
/// title is whatever a stranger wrote in a subject line).
fn templates() -> &'static Environment<'static> {
    static TEMPLATES: OnceLock<Environment<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_trim_blocks(true);
        env.add_template("page.html", include_str!("author_page.html"))
            .expect("the author's page template is valid");
        env
    })
}
