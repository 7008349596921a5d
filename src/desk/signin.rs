//! Signing in and out: the API's accounts and login throttle
//! (`accounts::authenticate`), a cookie session instead of tokens.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::DeskSettings;
use super::csrf::Posted;
use super::session::{self, Account, Session};
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::auth::accounts::{self, AuthError, Credentials};
use crate::auth::{Role, desk_sessions};

/// Longer than any address or password the accounts accept; longer input
/// is refused before argon2 sees it.
const MAX_FIELD_CHARS: usize = 1024;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    password: String,
}

/// The sign-in form, with an anonymous session for its token.
pub async fn form(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    // A session still good goes to the queue; one that has ended (its
    // password changed, say) gets the form, or the two pages would send the
    // browser back and forth.
    if let Some(session) = session::of_request(&request)
        && let Some(account) = &session.account
    {
        let caller = Caller::from_desk_session(account.user_id, account.epoch, session.key());
        if caller.verify(&state, Role::Editor).await.is_ok() {
            return views::see_other("/desk/queue");
        }
    }
    signin_page(&state, StatusCode::OK, "", None, desk_settings(&request))
        .unwrap_or_else(|err| actix_web::ResponseError::error_response(&err))
}

pub async fn sign_in(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: Posted<SignInForm>,
) -> Result<HttpResponse, DeskError> {
    let SignInForm { email, password } = form.fields;
    let settings = desk_settings(&request);
    if email.chars().count() > MAX_FIELD_CHARS || password.chars().count() > MAX_FIELD_CHARS {
        return signin_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &email,
            Some(format!(
                "{}.",
                capitalised(&AuthError::InvalidCredentials.to_string())
            )),
            settings,
        );
    }
    let credentials = Credentials {
        email: email.clone(),
        password,
        address: crate::app::client::client_address(&request, &state.trusted_proxies),
    };
    // argon2 takes its share of the cores, as for the API's logins.
    let _hashing = state.gates.hashing().await?;
    let pool = state.pool.clone();
    let outcome = web::block(move || accounts::authenticate(&pool, &credentials, Utc::now())).await;
    let user = match outcome.map_err(ApiError::from)? {
        Ok(user) => user,
        Err(err @ (AuthError::InvalidCredentials | AuthError::Locked(_))) => {
            // The API's words: one answer for every wrong address or
            // password, and how long a lock lasts.
            let message = format!("{}.", capitalised(&err.to_string()));
            let status = ApiError::from(err).status;
            return signin_page(&state, status, &email, Some(message), settings);
        }
        Err(err) => return Err(ApiError::from(err).into()),
    };
    let session = Session::start(
        &state,
        Account {
            user_id: user.id,
            epoch: user.session_epoch,
            name: user.name,
        },
        Utc::now(),
    )
    .await?;
    tracing::info!(user_id = user.id, "signed in to the desk");
    let mut response = views::see_other("/desk/queue");
    response
        .add_cookie(&session.cookie(state.tokens.cookie_key(), settings))
        .map_err(|err| DeskError::internal(&err))?;
    Ok(response)
}

#[derive(Deserialize, Default)]
pub struct NoFields {}

/// Ends the session on the server, so that a copy of the cookie is worth
/// nothing either, and in this browser (other browsers' sessions end with
/// a password change).
pub async fn sign_out(
    request: HttpRequest,
    state: web::Data<AppState>,
    _form: Posted<NoFields>,
) -> Result<HttpResponse, DeskError> {
    if let Some(session) = session::of_request(&request)
        && let Some(account) = &session.account
    {
        let key = session.key();
        crate::app::blocking_db(&state, move |conn| Ok(desk_sessions::end(conn, key)?)).await?;
        tracing::info!(user_id = account.user_id, "signed out of the desk");
    }
    let mut response = views::see_other("/desk/signin");
    response
        .add_cookie(&session::removal(desk_settings(&request)))
        .map_err(|err| DeskError::internal(&err))?;
    Ok(response)
}

pub(super) fn desk_settings(request: &HttpRequest) -> DeskSettings {
    request.app_data::<web::Data<DeskSettings>>().map_or(
        DeskSettings {
            secure_cookies: true,
        },
        |settings| *settings.get_ref(),
    )
}

/// The form, under a fresh anonymous session (a new token each time it is
/// shown).
fn signin_page(
    state: &AppState,
    status: StatusCode,
    email: &str,
    error: Option<String>,
    settings: DeskSettings,
) -> Result<HttpResponse, DeskError> {
    let key = state.tokens.cookie_key();
    let session = Session::anonymous(Utc::now());
    let context = json!({
        "csrf": session.csrf_token(key),
        "email": email,
        "error": error,
    });
    let mut response = views::page(status, "signin.html", None, context)?;
    response
        .add_cookie(&session.cookie(key, settings))
        .map_err(|err| DeskError::internal(&err))?;
    Ok(response)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
