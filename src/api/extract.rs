//! The authenticated editor behind a request: `actor: Actor` in a handler's
//! arguments means the route needs a valid access token.

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;

use super::AppState;
use super::error::ApiError;
use crate::auth::{Actor, Role};
use crate::schema::users;

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Actor, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(request);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::internal(&"application state is not registered"))?;
            let token = token.ok_or_else(|| {
                ApiError::unauthorized("send Authorization: Bearer <access token>")
            })?;
            let claims = state
                .tokens
                .verify(&token)
                .map_err(|_| ApiError::unauthorized("the access token is invalid or expired"))?;
            let user_id: i64 = claims
                .sub
                .parse()
                .map_err(|_| ApiError::unauthorized("the access token is invalid or expired"))?;
            // Checked on every request, so that deactivating an account or
            // changing its password ends its sessions at once, not in 15 minutes.
            let pool = state.pool.clone();
            let account = web::block(move || -> Result<_, ApiError> {
                let mut conn = pool.get()?;
                users::table
                    .find(user_id)
                    .select((users::active, users::session_epoch, users::role))
                    .first::<(bool, i32, String)>(&mut conn)
                    .optional()
                    .map_err(|err| ApiError::internal(&err))
            })
            .await??;
            match account {
                Some((true, epoch, role)) if epoch == claims.epoch => Ok(Actor {
                    user_id,
                    role: role.parse().map_err(|err| ApiError::internal(&err))?,
                }),
                _ => Err(ApiError::unauthorized(
                    "the session has ended; log in again",
                )),
            }
        })
    }
}

fn bearer_token(request: &HttpRequest) -> Option<String> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

impl Actor {
    /// 403 unless the actor's role includes `needed`.
    pub fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.role.includes(needed) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("this needs the {needed} role")))
        }
    }
}
