//! Rows of `users`, `refresh_tokens` and `login_failures`, as stored. What
//! the API shows of a user is a separate type in `api::users`, so the
//! password hash cannot reach a client by accident.

use std::fmt;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::Role;
use crate::schema::{login_failures, refresh_tokens, users};

#[derive(Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    pub active: bool,
    pub session_epoch: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What every authenticated request checks of its account: still active, the
/// session not ended since the token was issued, and the role as it is now.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct AccountStanding {
    pub active: bool,
    pub session_epoch: i32,
    pub role: Role,
}

/// Without the password hash: a `User` may well be logged while debugging.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("active", &self.active)
            .field("session_epoch", &self.session_epoch)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Lower-cased.
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

/// An update of a user row; `None` leaves a column as it is.
#[derive(Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChangeset {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
    pub session_epoch: Option<i32>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshToken {
    pub id: i64,
    pub user_id: i64,
    /// SHA-256 hex of the token; the token itself is never stored.
    pub token_hash: String,
    pub family: String,
    pub session_epoch: i32,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub family: &'a str,
    pub session_epoch: i32,
    pub expires_at: DateTime<Utc>,
}

/// Failed logins under one throttle key (`account:<email>` or
/// `address:<ip>`) in the current window.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = login_failures, check_for_backend(diesel::pg::Pg))]
pub struct LoginFailure {
    pub key: String,
    pub failures: i32,
    /// When the latest failure of the series happened.
    pub last_failure_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}
