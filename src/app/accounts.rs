//! Account use cases both doors share.

use actix_web::web;
use chrono::Utc;

use super::AppState;
use super::error::ApiError;
use crate::auth::Actor;
use crate::auth::accounts::{self, AuthError, UserChanges};
use crate::auth::models::User;

/// An admin's changes to an account (the API's and the desk's), off the
/// async workers. A password reset hashes: it waits its turn like a login.
pub async fn change_account(
    state: &AppState,
    actor: Actor,
    user_id: i64,
    changes: UserChanges,
) -> Result<Result<User, AuthError>, ApiError> {
    let _hashing = match changes.password {
        Some(_) => Some(state.gates.hashing().await?),
        None => None,
    };
    let pool = state.pool.clone();
    Ok(
        web::block(move || accounts::update_user(&pool, actor, user_id, changes, Utc::now()))
            .await?,
    )
}
