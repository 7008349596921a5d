//! Accounts of editors, publishers and admins, and what can be done with
//! them: logging in, refreshing and ending sessions, adding and changing
//! users, changing one's own password.
//!
//! Everything here blocks (queries, argon2): call it inside `web::block`.
//! Operations that check or hash a password take the pool rather than a
//! connection, and hold no connection while argon2 works, so a burst of
//! logins cannot starve the pool for everyone else.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::desk_sessions;
use super::models::{AccountStanding, NewUser, User, UserChangeset};
use super::password::{self, NewPassword};
use super::refresh::{self, Session};
use super::throttle::{self, AttemptKeys, Locked};
use super::tokens::TokenKeys;
use super::{Actor, Role};
use crate::db::PgPool;
use crate::schema::users;

/// The longest email address accepted (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;
/// The longest display name accepted.
const MAX_NAME_CHARS: usize = 200;

/// Why an account operation did not happen. Each variant is something a
/// client can act on, except the last three.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown address, wrong password or deactivated account: deliberately
    /// one answer, so that it reveals nothing about which accounts exist.
    #[error("the email address or password is not correct")]
    InvalidCredentials,
    #[error("too many failed attempts; try again in {} seconds", .0.retry_after_secs)]
    Locked(Locked),
    #[error("the refresh token is invalid, expired, revoked or already used")]
    InvalidRefreshToken,
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("an account with this email address already exists")]
    EmailTaken,
    #[error("no such user")]
    NoSuchUser,
    #[error("admins cannot deactivate or demote their own account; ask another admin")]
    SelfLockout,
    #[error("this would leave no active admin")]
    LastAdmin,
    #[error("the current password is not correct")]
    WrongPassword,
    #[error("cannot hash the password: {0}")]
    Hashing(argon2::password_hash::Error),
    #[error("no database connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database query failed: {0}")]
    Database(#[from] DieselError),
}

fn invalid(field: &'static str, reason: impl ToString) -> AuthError {
    AuthError::InvalidField {
        field,
        reason: reason.to_string(),
    }
}

/// An email address as accounts store it: trimmed and lower-cased, so that
/// logins match whatever case is typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<EmailAddress, AuthError> {
        let email = normalise_email(text);
        let valid = email.chars().count() <= MAX_EMAIL_CHARS
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(EmailAddress(email))
        } else {
            Err(invalid(
                "email",
                "not an email address such as editor@example.net",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn normalise_email(text: &str) -> String {
    text.trim().to_lowercase()
}

fn parse_name(text: &str) -> Result<String, AuthError> {
    let name = text.trim();
    if name.is_empty() {
        Err(invalid("name", "the name must not be empty"))
    } else if name.chars().count() > MAX_NAME_CHARS {
        Err(invalid(
            "name",
            format!("the name must be at most {MAX_NAME_CHARS} characters long"),
        ))
    } else if name.chars().any(char::is_control) {
        Err(invalid("name", "the name must not hold control characters"))
    } else {
        Ok(name.to_string())
    }
}

fn parse_role(text: &str) -> Result<Role, AuthError> {
    text.parse().map_err(|err| invalid("role", err))
}

fn hash_new_password(field: &'static str, password: String) -> Result<String, AuthError> {
    NewPassword::parse(password)
        .map_err(|err| invalid(field, err))?
        .hash()
        .map_err(AuthError::Hashing)
}

/// A checked account, its password already hashed.
pub struct NewAccount {
    email: EmailAddress,
    name: String,
    role: Role,
    password_hash: String,
}

impl NewAccount {
    /// Checks every field (naming the first one at fault) and hashes the
    /// password, which takes argon2's time.
    pub fn new(email: &str, name: &str, role: &str, password: String) -> Result<Self, AuthError> {
        Ok(NewAccount {
            email: EmailAddress::parse(email)?,
            name: parse_name(name)?,
            role: parse_role(role)?,
            password_hash: hash_new_password("password", password)?,
        })
    }
}

/// What the check behind every request reads of an account (`None`: no
/// such account): read on each request, so a change applies at once.
pub fn standing(conn: &mut PgConnection, user_id: i64) -> QueryResult<Option<AccountStanding>> {
    users::table
        .find(user_id)
        .select(AccountStanding::as_select())
        .first(conn)
        .optional()
}

pub fn create_user(conn: &mut PgConnection, account: &NewAccount) -> Result<User, AuthError> {
    let user = diesel::insert_into(users::table)
        .values(NewUser {
            email: account.email.as_str(),
            name: &account.name,
            role: account.role,
            password_hash: &account.password_hash,
        })
        .returning(User::as_returning())
        .get_result(conn)
        .map_err(|err| match err {
            // `email` is the table's only unique column besides the id.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AuthError::EmailTaken
            }
            other => other.into(),
        })?;
    tracing::info!(user_id = user.id, role = %user.role, "user created");
    Ok(user)
}

pub fn list_users(pool: &PgPool) -> Result<Vec<User>, AuthError> {
    Ok(users::table
        .order(users::id)
        .select(User::as_select())
        .load(&mut pool.get()?)?)
}

/// The active accounts' ids and names, by name: whom a piece may be assigned to.
pub fn active_names(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::active.eq(true))
        .order((users::name, users::id))
        .select((users::id, users::name))
        .load(conn)
}

pub fn find_user(pool: &PgPool, user_id: i64) -> Result<User, AuthError> {
    users::table
        .find(user_id)
        .select(User::as_select())
        .first(&mut pool.get()?)
        .optional()?
        .ok_or(AuthError::NoSuchUser)
}

/// A login attempt. No `Debug`: it holds a password.
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// The client's address, for the per-address throttle.
    pub address: Option<IpAddr>,
}

/// Checks the throttle, then the password, and starts a session.
pub fn log_in(
    pool: &PgPool,
    keys: &TokenKeys,
    credentials: &Credentials,
    now: DateTime<Utc>,
) -> Result<Session, AuthError> {
    let user = authenticate(pool, credentials, now)?;
    Ok(refresh::start(&mut *pool.get()?, keys, &user, now)?)
}

/// Checks the throttle, then the password: the account whose credentials
/// these are, active. The API starts a token session on it, the desk a
/// cookie session.
///
/// An unknown address, a wrong password and a deactivated account take the
/// same path (one argon2 verification, one failure recorded) and end in the
/// same `InvalidCredentials`, so neither the answer nor its timing says
/// which accounts exist.
pub fn authenticate(
    pool: &PgPool,
    credentials: &Credentials,
    now: DateTime<Utc>,
) -> Result<User, AuthError> {
    let email = normalise_email(&credentials.email);
    let attempt = AttemptKeys::new(&email, credentials.address);
    let user = {
        let mut conn = pool.get()?;
        if let Some(locked) = throttle::check(&mut conn, &attempt, now)? {
            crate::metrics::login_throttled();
            return Err(AuthError::Locked(locked));
        }
        find_by_email(&mut conn, &email)?
    };
    let password_ok = password::verify(
        user.as_ref().map(|user| user.password_hash.as_str()),
        &credentials.password,
    );
    let mut conn = pool.get()?;
    match user {
        Some(user) if password_ok && user.active => {
            throttle::record_success(&mut conn, &attempt)?;
            Ok(user)
        }
        user => {
            crate::metrics::login_failed();
            throttle::record_failure(&mut conn, &attempt, now)?;
            // Neither the address typed nor the password: a user id at most.
            let (reason, user_id) = match &user {
                None => ("unknown_account", None),
                Some(user) if !user.active => ("inactive_account", Some(user.id)),
                Some(user) => ("wrong_password", Some(user.id)),
            };
            tracing::info!(reason, user_id, "login failed");
            Err(AuthError::InvalidCredentials)
        }
    }
}

fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// A new session for a refresh token, which is used up.
pub fn refresh_session(
    pool: &PgPool,
    keys: &TokenKeys,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> Result<Session, AuthError> {
    refresh::rotate(&mut *pool.get()?, keys, refresh_token, now)?
        .ok_or(AuthError::InvalidRefreshToken)
}

/// Ends the session a refresh token belongs to; idempotent.
pub fn log_out(pool: &PgPool, refresh_token: &str, now: DateTime<Utc>) -> Result<(), AuthError> {
    Ok(refresh::revoke_session_of(
        &mut *pool.get()?,
        refresh_token,
        now,
    )?)
}

/// An admin's change to an account; `None` leaves a field as it is.
#[derive(Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
    /// No `Debug` on this type: it may hold a password.
    pub password: Option<String>,
}

/// Applies an admin's changes. Deactivating the account or setting its
/// password ends all its sessions (the epoch is raised, refresh tokens are
/// revoked, desk sessions deleted); a role change does not need to, because every request reads
/// the role from the database.
///
/// Admins cannot deactivate or demote themselves (`SelfLockout`), and no
/// change may leave the desk without an active admin (`LastAdmin`, which
/// only two admins demoting each other at the same moment can reach).
pub fn update_user(
    pool: &PgPool,
    actor: Actor,
    user_id: i64,
    changes: UserChanges,
    now: DateTime<Utc>,
) -> Result<User, AuthError> {
    let name = changes.name.as_deref().map(parse_name).transpose()?;
    let role = changes.role.as_deref().map(parse_role).transpose()?;
    let password_hash = changes
        .password
        .map(|password| hash_new_password("password", password))
        .transpose()?;
    let removes_an_admin =
        role.is_some_and(|role| role != Role::Admin) || changes.active == Some(false);

    let mut conn = pool.get()?;
    conn.transaction::<_, AuthError, _>(|conn| {
        if removes_an_admin {
            // Every active admin row is locked, in id order so that
            // concurrent changes queue instead of deadlocking; the count is
            // then one no other transaction can change under us.
            let admins: Vec<i64> = users::table
                .filter(users::role.eq(Role::Admin))
                .filter(users::active.eq(true))
                .order(users::id)
                .select(users::id)
                .for_update()
                .load(conn)?;
            if admins.contains(&user_id) {
                if user_id == actor.user_id {
                    return Err(AuthError::SelfLockout);
                }
                if admins.len() == 1 {
                    return Err(AuthError::LastAdmin);
                }
            }
        }
        let target = users::table
            .find(user_id)
            .select(User::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(AuthError::NoSuchUser)?;
        let ends_sessions =
            (changes.active == Some(false) && target.active) || password_hash.is_some();
        let user = diesel::update(users::table.find(user_id))
            .set(UserChangeset {
                name,
                role,
                active: changes.active,
                password_hash,
                session_epoch: ends_sessions.then_some(target.session_epoch + 1),
                updated_at: Some(now),
            })
            .returning(User::as_returning())
            .get_result(conn)?;
        if ends_sessions {
            refresh::revoke_all(conn, user_id, now)?;
            desk_sessions::end_all(conn, user_id)?;
        }
        if user.password_hash != target.password_hash {
            // A reset is how an admin lets a throttled editor back in.
            throttle::forgive_account(conn, &user.email)?;
        }
        tracing::info!(
            actor = actor.user_id,
            user_id,
            ends_sessions,
            "user updated"
        );
        Ok(user)
    })
}

/// A user's change of their own password. No `Debug`: it holds passwords.
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
    /// The client's address, for the per-address throttle.
    pub address: Option<IpAddr>,
}

/// Changes the actor's own password after checking the current one, ends
/// every other session, and starts a new one for the caller.
pub fn change_own_password(
    pool: &PgPool,
    keys: &TokenKeys,
    actor: Actor,
    change: PasswordChange,
    now: DateTime<Utc>,
) -> Result<Session, AuthError> {
    let user = replace_own_password(pool, actor, change, now)?;
    Ok(refresh::start(&mut *pool.get()?, keys, &user, now)?)
}

/// Changes the actor's own password after checking the current one and ends
/// every session of the account (the epoch is raised); returns the account
/// as it is now, for the caller's new session (a token or a desk cookie).
///
/// A wrong current password counts as a failed login (and the throttle
/// applies): otherwise a stolen access token would be a free password
/// oracle.
pub fn replace_own_password(
    pool: &PgPool,
    actor: Actor,
    change: PasswordChange,
    now: DateTime<Utc>,
) -> Result<User, AuthError> {
    let new_password =
        NewPassword::parse(change.new_password).map_err(|err| invalid("new_password", err))?;
    let (user, attempt) = {
        let mut conn = pool.get()?;
        let user = users::table
            .find(actor.user_id)
            .select(User::as_select())
            .first(&mut conn)
            .optional()?
            .ok_or(AuthError::NoSuchUser)?;
        let attempt = AttemptKeys::new(&user.email, change.address);
        if let Some(locked) = throttle::check(&mut conn, &attempt, now)? {
            return Err(AuthError::Locked(locked));
        }
        (user, attempt)
    };
    if !password::verify(Some(&user.password_hash), &change.current_password) {
        throttle::record_failure(&mut *pool.get()?, &attempt, now)?;
        tracing::info!(
            reason = "wrong_password",
            user_id = user.id,
            "password change refused"
        );
        return Err(AuthError::WrongPassword);
    }
    let new_hash = new_password.hash().map_err(AuthError::Hashing)?;

    let mut conn = pool.get()?;
    conn.transaction::<_, AuthError, _>(|conn| {
        throttle::forgive_account(conn, &user.email)?;
        let epoch: i32 = users::table
            .find(user.id)
            .select(users::session_epoch)
            .for_update()
            .first(conn)?;
        let user = diesel::update(users::table.find(user.id))
            .set(UserChangeset {
                password_hash: Some(new_hash),
                session_epoch: Some(epoch + 1),
                updated_at: Some(now),
                ..UserChangeset::default()
            })
            .returning(User::as_returning())
            .get_result(conn)?;
        refresh::revoke_all(conn, user.id, now)?;
        desk_sessions::end_all(conn, user.id)?;
        tracing::info!(user_id = user.id, "password changed; other sessions ended");
        Ok(user)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_trimmed_and_lower_cased() {
        let email = EmailAddress::parse("  Layla.Haddad@Desk.Example \n").unwrap();
        assert_eq!(email.as_str(), "layla.haddad@desk.example");
        assert!(EmailAddress::parse("admin@localhost").is_ok());
    }

    #[test]
    fn malformed_email_addresses_name_the_email_field() {
        for bad in [
            "",
            "no-at-sign",
            "@desk.example",
            "editor@",
            "a@b@c",
            "two words@desk.example",
            "editor@.example",
            "editor@desk.example.",
        ] {
            match EmailAddress::parse(bad) {
                Err(AuthError::InvalidField { field: "email", .. }) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let long = format!("{}@desk.example", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn names_are_trimmed_and_must_say_something() {
        assert_eq!(parse_name("  Layla Haddad ").unwrap(), "Layla Haddad");
        assert_eq!(parse_name("ليلى حداد").unwrap(), "ليلى حداد");
        assert!(parse_name("   ").is_err());
        assert!(parse_name("a\u{0}b").is_err());
        assert!(parse_name(&"n".repeat(MAX_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn a_new_account_names_the_first_field_at_fault() {
        let field = |result: Result<NewAccount, AuthError>| match result {
            Err(AuthError::InvalidField { field, .. }) => field,
            Err(other) => panic!("{other:?}"),
            Ok(_) => "none",
        };
        let good = "a long enough password";
        assert_eq!(
            field(NewAccount::new("x", "N", "editor", good.into())),
            "email"
        );
        assert_eq!(
            field(NewAccount::new("e@d.example", "", "editor", good.into())),
            "name"
        );
        assert_eq!(
            field(NewAccount::new("e@d.example", "N", "root", good.into())),
            "role"
        );
        assert_eq!(
            field(NewAccount::new(
                "e@d.example",
                "N",
                "editor",
                "short".into()
            )),
            "password"
        );
        assert_eq!(
            field(NewAccount::new("E@D.example", "N", "admin", good.into())),
            "none"
        );
    }
}
