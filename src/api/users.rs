//! Accounts: `GET|POST /users` and `PATCH /users/{id}` for admins, and
//! `GET /me` and `POST /me/password` for whoever is logged in.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::session_response;
use crate::app::AppState;
use crate::app::accounts::change_account;
use crate::app::caller::Caller;
use crate::app::client::client_address;
use crate::app::error::ApiError;
use crate::auth::Role;
use crate::auth::accounts::{self, NewAccount, PasswordChange, UserChanges};
use crate::auth::models::User;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/users")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .route("/users/{id}", web::patch().to(update))
    .route("/me", web::get().to(me))
    .route("/me/password", web::post().to(change_password));
}

/// A user as the API shows one: never the password hash.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    #[schema(example = "editor@desk.example")]
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            active: user.active,
            created_at: user.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewUserRequest {
    /// Stored trimmed and lower-cased; one `@`, no spaces or control
    /// characters, a domain that neither starts nor ends with a dot.
    #[schema(
        example = "editor@desk.example",
        max_length = 254,
        pattern = r"^\s*[^\s@\x00-\x1f\x7f-\x9f]+@([^\s@.\x00-\x1f\x7f-\x9f]|[^\s@.\x00-\x1f\x7f-\x9f][^\s@\x00-\x1f\x7f-\x9f]*[^\s@.\x00-\x1f\x7f-\x9f])\s*$"
    )]
    pub email: String,
    /// 1 to 200 characters once trimmed, no control characters.
    #[schema(min_length = 1, max_length = 200, example = "Amal Haddad")]
    pub name: String,
    /// `editor`, `publisher` or `admin` (anything else: 422).
    #[schema(value_type = Role)]
    pub role: String,
    /// At least 12 characters.
    #[schema(format = Password, min_length = 12)]
    pub password: String,
}

/// Fields left out stay as they are. Unknown fields are refused, so that a
/// misspelt `"activ": false` cannot look like a deactivation that happened.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// 1 to 200 characters once trimmed, no control characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// `editor`, `publisher` or `admin` (anything else: 422).
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    /// `false` ends the user's sessions at once.
    pub active: Option<bool>,
    /// A new password (at least 12 characters); ends the user's sessions.
    #[schema(format = Password, min_length = 12)]
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChangeRequest {
    #[schema(format = Password)]
    pub current_password: String,
    /// At least 12 characters.
    #[schema(format = Password, min_length = 12)]
    pub new_password: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every account, oldest first", body = UserList),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an admin"),
    )
)]
pub async fn list(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    caller.verify(&state, Role::Admin).await?;
    let pool = state.pool.clone();
    let users = web::block(move || accounts::list_users(&pool)).await??;
    Ok(HttpResponse::Ok().json(UserList {
        items: users.into_iter().map(UserView::from).collect(),
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    security(("bearer" = [])),
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "Created", body = UserView,
            headers(("Location" = String, description = "The new user's URL"))),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an admin"),
        (status = 409, description = "The email address has an account: code `email_taken`"),
        (status = 422, description = "A field is invalid (bad email, password under 12 characters, unknown role): code `invalid_field`, `field` names it"),
    )
)]
pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<NewUserRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.verify(&state, Role::Admin).await?;
    let _hashing = state.gates.hashing().await?;
    let NewUserRequest {
        email,
        name,
        role,
        password,
    } = body.into_inner();
    let pool = state.pool.clone();
    let user = web::block(move || {
        let account = NewAccount::new(&email, &name, &role, password)?;
        accounts::create_user(&mut *pool.get()?, &account)
    })
    .await??;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", user.id)))
        .json(UserView::from(user)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "users",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The user as changed", body = UserView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such user"),
        (status = 409, description = "An admin deactivating or demoting themself (`self_lockout`), or a change that would leave no active admin (`last_admin`)"),
        (status = 422, description = "A field is invalid: code `invalid_field`, `field` names it"),
    )
)]
pub async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.verify(&state, Role::Admin).await?;
    let UserPatch {
        name,
        role,
        active,
        password,
    } = body.into_inner();
    let changes = UserChanges {
        name,
        role,
        active,
        password,
    };
    let user = change_account(&state, actor, path.into_inner(), changes).await??;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The logged-in user", body = UserView),
        (status = 401, description = "No valid access token, or the session has ended"),
    )
)]
pub async fn me(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let actor = caller.verify(&state, Role::Editor).await?;
    let pool = state.pool.clone();
    let user = web::block(move || accounts::find_user(&pool, actor.user_id)).await??;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

/// Every other session of the user ends; the caller gets a new one and
/// stays logged in.
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "users",
    security(("bearer" = [])),
    request_body = PasswordChangeRequest,
    responses(
        (status = 200, description = "Changed; a new session for the caller", body = super::auth::TokenResponse),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "The current password is wrong: code `wrong_password`"),
        (status = 422, description = "The new password is too short: code `invalid_field`, field `new_password`"),
        (status = 429, description = "Too many wrong passwords: code `too_many_attempts`",
            headers(("Retry-After" = u64, description = "Seconds until the lock ends"))),
    )
)]
pub async fn change_password(
    caller: Caller,
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<PasswordChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.verify(&state, Role::Editor).await?;
    let _hashing = state.gates.hashing().await?;
    let PasswordChangeRequest {
        current_password,
        new_password,
    } = body.into_inner();
    let change = PasswordChange {
        current_password,
        new_password,
        address: client_address(&request, &state.trusted_proxies),
    };
    let (pool, keys) = (state.pool.clone(), state.tokens.clone());
    let session =
        web::block(move || accounts::change_own_password(&pool, &keys, actor, change, Utc::now()))
            .await??;
    Ok(session_response(session))
}
