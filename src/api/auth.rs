//! `POST /auth/login`, `/auth/refresh` and `/auth/logout` (account errors
//! become HTTP answers in `app/error.rs`, with every other error). Logins
//! are throttled by the client's address (`app::client`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::app::client::client_address;
use crate::app::error::ApiError;
use crate::auth::accounts::{self, Credentials};
use crate::auth::refresh::Session;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/auth/refresh", web::post().to(refresh))
        .route("/auth/logout", web::post().to(logout));
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(example = "editor@desk.example")]
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A session: an access token for `Authorization: Bearer`, and the refresh
/// token that gets the next one (single use).
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds the access token stays valid.
    #[schema(example = 900)]
    pub expires_in: u64,
    pub refresh_token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 400, description = "Malformed body"),
        (status = 401, description = "Unknown address, wrong password or deactivated account, all alike: code `invalid_credentials`"),
        (status = 429, description = "Too many failed attempts for this account or address: code `too_many_attempts`",
            headers(("Retry-After" = u64, description = "Seconds until the lock ends"))),
        (status = 503, description = "Database unavailable"),
    )
)]
pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let credentials = Credentials {
        email,
        password,
        address: client_address(&request, &state.trusted_proxies),
    };
    // argon2 takes at most its share of the cores; the turn is taken before
    // the blocking pool, so waiting logins hold no thread.
    let _hashing = state.gates.hashing().await?;
    let (pool, keys) = (state.pool.clone(), state.tokens.clone());
    let session =
        web::block(move || accounts::log_in(&pool, &keys, &credentials, Utc::now())).await??;
    Ok(session_response(session))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new session; the token sent is used up", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or already used token (a reuse also ends the session): code `invalid_refresh_token`"),
        (status = 503, description = "Database unavailable"),
    )
)]
pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().refresh_token;
    let (pool, keys) = (state.pool.clone(), state.tokens.clone());
    let session =
        web::block(move || accounts::refresh_session(&pool, &keys, &token, Utc::now())).await??;
    Ok(session_response(session))
}

/// Ends the session of the refresh token. The access token in hand stays
/// valid until it expires (at most 15 minutes): clients drop it.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "The session is ended (also when it already was, or the token is unknown)"),
        (status = 503, description = "Database unavailable"),
    )
)]
pub async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().refresh_token;
    let pool = state.pool.clone();
    web::block(move || accounts::log_out(&pool, &token, Utc::now())).await??;
    Ok(HttpResponse::NoContent().finish())
}

/// A session as the client receives it; never cached (RFC 6749 §5.1).
pub(super) fn session_response(session: Session) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: session.access_token,
            token_type: "Bearer",
            expires_in: session.expires_in.as_secs(),
            refresh_token: session.refresh_token,
        })
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[derive(OpenApi)]
    #[openapi(paths(
        super::login,
        super::refresh,
        super::logout,
        super::super::users::list,
        super::super::users::create,
        super::super::users::update,
        super::super::users::me,
        super::super::users::change_password,
    ))]
    struct AccountsApi;

    #[test]
    fn the_openapi_description_names_every_route_and_body() {
        let document = serde_json::to_value(AccountsApi::openapi()).unwrap();
        for path in [
            "/api/v1/auth/login",
            "/api/v1/auth/refresh",
            "/api/v1/auth/logout",
            "/api/v1/users",
            "/api/v1/users/{id}",
            "/api/v1/me",
            "/api/v1/me/password",
        ] {
            assert!(document["paths"][path].is_object(), "{path}");
        }
        let schemas = &document["components"]["schemas"];
        for schema in [
            "LoginRequest",
            "TokenResponse",
            "UserView",
            "UserPatch",
            "Role",
        ] {
            assert!(schemas[schema].is_object(), "{schema}");
        }
        assert!(schemas["UserView"]["properties"]["password_hash"].is_null());
        assert_eq!(
            document["paths"]["/api/v1/users"]["get"]["security"][0]["bearer"],
            serde_json::json!([])
        );
        let login = &document["paths"]["/api/v1/auth/login"]["post"]["responses"];
        assert!(login["429"]["headers"]["Retry-After"].is_object());
    }
}
