//! The editor behind a request: `caller: Caller` in a handler's arguments
//! means the route needs a valid access token.
//!
//! The token is checked as the request arrives (signature, issuer,
//! audience, expiry: no I/O). The account is checked where the handler
//! reads the database anyway, on the same connection and in the same hand-off
//! to a database thread ([`Caller::db`]): still on every request, so that
//! deactivating an account or changing its password ends its sessions at
//! once, but without a round trip of its own.

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::PgConnection;
use futures_util::future::{Ready, ready};

use super::AppState;
use super::error::ApiError;
use crate::auth::desk_sessions::{self, SessionKey};
use crate::auth::models::AccountStanding;
use crate::auth::{Actor, Role, accounts};

/// The bearer of a valid access token (or a desk cookie), whose account is
/// not checked yet.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    user_id: i64,
    epoch: i32,
    /// The desk's session, checked against its row (`auth::desk_sessions`).
    desk_session: Option<SessionKey>,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(caller(request))
    }
}

fn caller(request: &HttpRequest) -> Result<Caller, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(&"application state is not registered"))?;
    let token = bearer_token(request)
        .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <access token>"))?;
    let invalid = || ApiError::unauthorized("the access token is invalid or expired");
    let claims = state.tokens.verify(&token).map_err(|_| invalid())?;
    Ok(Caller {
        user_id: claims.sub.parse().map_err(|_| invalid())?,
        epoch: claims.epoch,
        desk_session: None,
    })
}

impl Caller {
    /// The holder of a desk session (its cookie names `user_id` at `epoch`):
    /// checked as a token's bearer is, and its session's row as well, so
    /// that signing out ends it on the server.
    pub(crate) fn from_desk_session(user_id: i64, epoch: i32, session: SessionKey) -> Caller {
        Caller {
            user_id,
            epoch,
            desk_session: Some(session),
        }
    }

    /// The account the token names (checked by [`Caller::check`]).
    pub fn user_id(self) -> i64 {
        self.user_id
    }

    /// Checks the account on `conn`: active, the session not ended, and its
    /// role (read now, so a change applies at once) at least `needed`.
    /// A desk session is read with its account, in the same one lookup.
    pub fn check(self, conn: &mut PgConnection, needed: Role) -> Result<Actor, ApiError> {
        let standing = match self.desk_session {
            None => accounts::standing(conn, self.user_id)?,
            Some(session) => desk_sessions::standing(conn, self.user_id, session)?,
        };
        self.admit_standing(standing, needed)
    }

    /// The actor, given its account as read (`None`: no such account), for
    /// handlers that read the account in their own statement. A desk
    /// session is refused here: an account read alone cannot say whether
    /// it was signed out (the desk goes through [`Caller::check`]).
    pub fn admit(self, standing: Option<AccountStanding>, needed: Role) -> Result<Actor, ApiError> {
        if self.desk_session.is_some() {
            return Err(session_ended());
        }
        self.admit_standing(standing, needed)
    }

    fn admit_standing(
        self,
        standing: Option<AccountStanding>,
        needed: Role,
    ) -> Result<Actor, ApiError> {
        let actor = match standing {
            Some(account) if account.active && account.session_epoch == self.epoch => Actor {
                user_id: self.user_id,
                role: account.role,
            },
            _ => return Err(session_ended()),
        };
        actor.require(needed)?;
        Ok(actor)
    }

    /// Runs `work` as this caller, needing `needed`: one turn at the
    /// database gate, on a database thread, one connection for
    /// the account check and the work. Returns the checked actor with the
    /// work's result.
    pub async fn db<T, F>(
        self,
        state: &AppState,
        needed: Role,
        work: F,
    ) -> Result<(Actor, T), ApiError>
    where
        F: FnOnce(&mut PgConnection, Actor) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        super::blocking_db(state, move |conn| {
            let actor = self.check(conn, needed)?;
            Ok((actor, work(conn, actor)?))
        })
        .await
    }

    /// Only the account check, for handlers whose work takes its own
    /// connections (the accounts module works on the pool).
    pub async fn verify(self, state: &AppState, needed: Role) -> Result<Actor, ApiError> {
        Ok(self.db(state, needed, |_, _| Ok(())).await?.0)
    }
}

fn session_ended() -> ApiError {
    ApiError::unauthorized("the session has ended; log in again")
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
pub(crate) fn bearer_token(request: &HttpRequest) -> Option<String> {
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
