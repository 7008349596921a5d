//! The editor's own account (a new password) and, for admins, everyone's:
//! the accounts module's rules, as the API applies them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::csrf::Posted;
use super::session::{Account, Editor, Session};
use super::signin::desk_settings;
use super::views::{self, DeskError};
use crate::app::AppState;
use crate::app::client::client_address;
use crate::app::error::ApiError;
use crate::auth::Role;
use crate::auth::accounts::{self, AuthError, NewAccount, PasswordChange, UserChanges};

/// The roles an admin may give, lowest first.
const ROLES: [Role; 3] = [Role::Editor, Role::Publisher, Role::Admin];

pub async fn password_form(
    editor: Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let actor = editor.caller.verify(&state, Role::Editor).await?;
    password_page(&editor, &state, actor.role, StatusCode::OK, None)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// A new password ends every session of the account, this one too; the
/// browser that changed it gets a new one.
pub async fn change_password(
    request: HttpRequest,
    editor: Editor,
    form: Posted<PasswordForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let actor = editor.caller.verify(&state, Role::Editor).await?;
    let _hashing = state.gates.hashing().await?;
    let change = PasswordChange {
        current_password: form.fields.current_password,
        new_password: form.fields.new_password,
        address: client_address(&request, &state.trusted_proxies),
    };
    let pool = state.pool.clone();
    let changed =
        web::block(move || accounts::replace_own_password(&pool, actor, change, Utc::now()))
            .await
            .map_err(ApiError::from)?;
    let user = match changed {
        Ok(user) => user,
        Err(
            err
            @ (AuthError::WrongPassword | AuthError::InvalidField { .. } | AuthError::Locked(_)),
        ) => {
            let error = ApiError::from(err);
            return password_page(
                &editor,
                &state,
                actor.role,
                error.status,
                Some(error.detail),
            );
        }
        Err(err) => return Err(ApiError::from(err).into()),
    };
    let renewed = Session::start(
        &state,
        Account {
            user_id: user.id,
            epoch: user.session_epoch,
            name: user.name,
        },
        Utc::now(),
    )
    .await?;
    let mut response = views::see_other("/desk/password?changed=1");
    response
        .add_cookie(&renewed.cookie(state.tokens.cookie_key(), desk_settings(&request)))
        .map_err(|err| DeskError::internal(&err))?;
    Ok(response)
}

fn password_page(
    editor: &Editor,
    state: &AppState,
    role: Role,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, DeskError> {
    let key = state.tokens.cookie_key();
    views::page(
        status,
        "password.html",
        Some(editor.frame(state, role)),
        json!({ "csrf": editor.session.csrf_token(key), "error": error }),
    )
}

/// Everyone's accounts: admins only (403 for the rest, as in the API).
pub async fn accounts(
    editor: Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    accounts_page(
        &editor,
        &state,
        StatusCode::OK,
        None,
        &NewAccountForm::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewAccountForm {
    email: String,
    name: String,
    role: String,
    password: String,
}

pub async fn add_account(
    editor: Editor,
    form: Posted<NewAccountForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    editor.caller.verify(&state, Role::Admin).await?;
    let _hashing = state.gates.hashing().await?;
    let fields = form.fields;
    let (email, name, role, password) = (
        fields.email.clone(),
        fields.name.clone(),
        fields.role.clone(),
        fields.password.clone(),
    );
    let pool = state.pool.clone();
    let created = web::block(move || {
        let account = NewAccount::new(&email, &name, &role, password)?;
        accounts::create_user(&mut *pool.get()?, &account)
    })
    .await
    .map_err(ApiError::from)?;
    match created {
        Ok(_) => Ok(views::see_other("/desk/accounts")),
        Err(err @ (AuthError::InvalidField { .. } | AuthError::EmailTaken)) => {
            let error = ApiError::from(err);
            accounts_page(&editor, &state, error.status, Some(error.detail), &fields).await
        }
        Err(err) => Err(ApiError::from(err).into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AccountForm {
    role: String,
    /// `active` or `inactive`: a select, so that both are always sent.
    standing: String,
    /// Empty leaves the password as it is.
    password: String,
}

/// An admin's change to one account: its role, whether it may sign in, a
/// new password. The accounts module's rules hold as in the API: no admin
/// deactivates or demotes themself, the last admin stays one, and a
/// deactivation or a new password ends the account's sessions.
pub async fn change_account(
    editor: Editor,
    path: web::Path<i64>,
    form: Posted<AccountForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DeskError> {
    let actor = editor.caller.verify(&state, Role::Admin).await?;
    let fields = form.fields;
    let active = match fields.standing.as_str() {
        "active" => true,
        "inactive" => false,
        other => {
            return Err(DeskError::bad_request(format!(
                "{other:?} is neither active nor inactive"
            )));
        }
    };
    let changes = UserChanges {
        name: None,
        role: Some(fields.role),
        active: Some(active),
        password: (!fields.password.is_empty()).then_some(fields.password),
    };
    match crate::app::accounts::change_account(&state, actor, path.into_inner(), changes).await? {
        Ok(_) => Ok(views::see_other("/desk/accounts")),
        Err(
            err @ (AuthError::InvalidField { .. } | AuthError::SelfLockout | AuthError::LastAdmin),
        ) => {
            let error = ApiError::from(err);
            accounts_page(
                &editor,
                &state,
                error.status,
                Some(error.detail),
                &NewAccountForm::default(),
            )
            .await
        }
        Err(err) => Err(ApiError::from(err).into()),
    }
}

async fn accounts_page(
    editor: &Editor,
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    typed: &NewAccountForm,
) -> Result<HttpResponse, DeskError> {
    let actor = editor.caller.verify(state, Role::Admin).await?;
    let pool = state.pool.clone();
    let users = web::block(move || accounts::list_users(&pool))
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::from)?;
    let users: Vec<_> = users
        .into_iter()
        .map(|user| {
            json!({
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "role": user.role.as_str(),
                "active": user.active,
            })
        })
        .collect();
    let key = state.tokens.cookie_key();
    views::page(
        status,
        "accounts.html",
        Some(editor.frame(state, actor.role)),
        json!({
            "users": users,
            "csrf": editor.session.csrf_token(key),
            "error": error,
            "typed": { "email": typed.email, "name": typed.name, "role": typed.role },
            "roles": ROLES.map(Role::as_str),
        }),
    )
}
