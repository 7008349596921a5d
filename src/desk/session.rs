//! The desk's session: a cookie signed (the `cookie` crate's signed jar,
//! HMAC-SHA256) with a key derived from the JWT secret
//! (`TokenKeys::cookie_key`), holding the account, its session epoch
//! and a random nonce (the CSRF token's seed). A signed-in session's nonce
//! is also its token on the server (`auth::desk_sessions`, kept as a hash):
//! every request reads that row with the account (`Caller::check`), so
//! signing out (the row is deleted), a deactivation or a password change
//! (the account's rows are deleted and its epoch raised) ends the session
//! at once, even for a copy of the cookie.
//!
//! Before signing in the cookie is anonymous: it carries a nonce only, so
//! the sign-in form has a CSRF token too, and nothing is stored for it.
//! Signing in replaces it with a new nonce, so a token seen before sign-in
//! is worth nothing after.

use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::{Ready, ready};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::DeskSettings;
use super::views::{DeskError, Frame};
use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::auth::Role;
use crate::auth::desk_sessions::{self, SessionKey};

pub const COOKIE_NAME: &str = "oped_desk";
/// A working day and then some; signing in again after that is no burden.
const SIGNED_IN_FOR: TimeDelta = TimeDelta::hours(12);
/// Long enough to type a password.
const ANONYMOUS_FOR: TimeDelta = TimeDelta::hours(2);
/// Cookies longer than this were not written by us.
const MAX_COOKIE_CHARS: usize = 1024;
/// As much as an author's status link: the nonce of a signed-in session is
/// the token that finds it on the server.
const NONCE_BYTES: usize = 32;

/// Whose session this is, when someone has signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user_id: i64,
    pub epoch: i32,
    /// As it was at sign-in; shown in the page header only.
    pub name: String,
}

/// A session cookie whose signature and expiry have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub account: Option<Account>,
    pub nonce: String,
    pub expires: DateTime<Utc>,
}

impl Session {
    pub fn anonymous(now: DateTime<Utc>) -> Session {
        Session {
            account: None,
            nonce: random_nonce(),
            expires: now + ANONYMOUS_FOR,
        }
    }

    pub fn signed_in(account: Account, now: DateTime<Utc>) -> Session {
        Session {
            account: Some(account),
            nonce: random_nonce(),
            expires: now + SIGNED_IN_FOR,
        }
    }

    /// Starts a signed-in session of `account`: kept on the server (the
    /// sessions that have run out are swept), then its cookie can be set.
    pub async fn start(
        state: &AppState,
        account: Account,
        now: DateTime<Utc>,
    ) -> Result<Session, ApiError> {
        let user_id = account.user_id;
        let session = Session::signed_in(account, now);
        let (key, expires) = (session.key(), session.expires);
        crate::app::blocking_db(state, move |conn| {
            Ok(desk_sessions::start(conn, user_id, key, expires, now)?)
        })
        .await?;
        Ok(session)
    }

    /// What finds this session's row on the server.
    pub fn key(&self) -> SessionKey {
        SessionKey::of_token(&self.nonce)
    }

    /// `v1|<user id or ->|<epoch>|<expiry>|<nonce>|<name>` in base64url
    /// (the name may hold anything), signed by the signed jar (its MAC in
    /// front).
    pub fn encode(&self, key: &[u8; 32]) -> String {
        let (user, epoch, name) = match &self.account {
            Some(account) => (
                account.user_id.to_string(),
                account.epoch,
                account.name.as_str(),
            ),
            None => ("-".to_string(), 0, ""),
        };
        let payload = format!(
            "v1|{user}|{epoch}|{}|{}|{name}",
            self.expires.timestamp(),
            self.nonce
        );
        let mut jar = CookieJar::new();
        jar.signed_mut(&jar_key(key))
            .add(Cookie::new(COOKIE_NAME, URL_SAFE_NO_PAD.encode(payload)));
        jar.get(COOKIE_NAME)
            .map(|signed| signed.value().to_string())
            .unwrap_or_default()
    }

    /// The session in `value`, if we signed it and it has not expired.
    pub fn decode(value: &str, key: &[u8; 32], now: DateTime<Utc>) -> Option<Session> {
        if value.len() > MAX_COOKIE_CHARS {
            return None;
        }
        // The jar compares MACs in constant time.
        let verified = CookieJar::new()
            .signed(&jar_key(key))
            .verify(Cookie::new(COOKIE_NAME, value.to_string()))?;
        let payload = URL_SAFE_NO_PAD.decode(verified.value()).ok()?;
        let payload = String::from_utf8(payload).ok()?;
        let mut fields = payload.splitn(6, '|');
        if fields.next()? != "v1" {
            return None;
        }
        let user = fields.next()?;
        let epoch = fields.next()?.parse().ok()?;
        let expires = DateTime::from_timestamp(fields.next()?.parse().ok()?, 0)?;
        let nonce = fields.next()?.to_string();
        let name = fields.next()?.to_string();
        if expires <= now {
            return None;
        }
        let account = match user {
            "-" => None,
            id => Some(Account {
                user_id: id.parse().ok()?,
                epoch,
                name,
            }),
        };
        Some(Session {
            account,
            nonce,
            expires,
        })
    }

    /// The token every form of this session carries (`csrf`): the HMAC of
    /// its nonce, so only a page rendered for this session can hold it.
    pub fn csrf_token(&self, key: &[u8; 32]) -> String {
        let data = format!("csrf|{}", self.nonce);
        URL_SAFE_NO_PAD.encode(sign(key, data.as_bytes()))
    }

    /// The cookie that carries this session: `HttpOnly` (no script reads
    /// it), `SameSite=Lax` (no other site's form posts with it), for
    /// `/desk` only, `Secure` as `DeskSettings` says.
    pub fn cookie(&self, key: &[u8; 32], settings: DeskSettings) -> Cookie<'static> {
        let max_age = (self.expires - Utc::now()).num_seconds().max(0);
        Cookie::build(COOKIE_NAME, self.encode(key))
            .path("/desk")
            .http_only(true)
            .secure(settings.secure_cookies)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(max_age))
            .finish()
    }
}

/// A cookie that ends the session in the browser.
pub fn removal(settings: DeskSettings) -> Cookie<'static> {
    let mut cookie = Cookie::build(COOKIE_NAME, "")
        .path("/desk")
        .http_only(true)
        .secure(settings.secure_cookies)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}

/// The signed jar's key, derived (HKDF) from the desk's cookie key.
fn jar_key(key: &[u8; 32]) -> Key {
    Key::derive_from(key)
}

fn sign(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn random_nonce() -> String {
    let mut bytes = [0u8; NONCE_BYTES];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The request's session, if it carries a valid one.
pub fn of_request(request: &HttpRequest) -> Option<Session> {
    let state = request.app_data::<web::Data<AppState>>()?;
    let cookie = request.cookie(COOKIE_NAME)?;
    Session::decode(cookie.value(), state.tokens.cookie_key(), Utc::now())
}

/// A signed-in editor: `editor: Editor` in a handler's arguments sends
/// anyone else to the sign-in page. The session's row and the account are
/// checked where the handler reads the database (`caller.db`), as the API
/// checks a token's account.
pub struct Editor {
    pub caller: Caller,
    pub session: Session,
}

impl Editor {
    pub fn name(&self) -> &str {
        self.session
            .account
            .as_ref()
            .map_or("", |account| account.name.as_str())
    }

    /// The page frame for this editor, whose role was read with the page's
    /// data.
    pub fn frame(&self, state: &AppState, role: Role) -> Frame<'_> {
        Frame {
            name: self.name(),
            csrf: self.session.csrf_token(state.tokens.cookie_key()),
            admin: role.includes(Role::Admin),
            timezone: state.intake.window.timezone,
        }
    }
}

impl FromRequest for Editor {
    type Error = DeskError;
    type Future = Ready<Result<Editor, DeskError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(match of_request(request) {
            Some(session) => match &session.account {
                Some(account) => Ok(Editor {
                    caller: Caller::from_desk_session(
                        account.user_id,
                        account.epoch,
                        session.key(),
                    ),
                    session,
                }),
                None => Err(DeskError::SignIn),
            },
            None => Err(DeskError::SignIn),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    fn now() -> DateTime<Utc> {
        "2026-12-01T12:00:00Z".parse().unwrap()
    }

    fn signed_in() -> Session {
        Session::signed_in(
            Account {
                user_id: 42,
                epoch: 3,
                name: "Rana | Desk".into(),
            },
            now(),
        )
    }

    #[test]
    fn a_session_reads_back_as_it_was_written() {
        let session = signed_in();
        assert_eq!(
            Session::decode(&session.encode(&KEY), &KEY, now()),
            Some(session)
        );
        let anonymous = Session::anonymous(now());
        assert_eq!(
            Session::decode(&anonymous.encode(&KEY), &KEY, now()),
            Some(anonymous)
        );
    }

    #[test]
    fn a_changed_forged_or_expired_cookie_is_no_session() {
        let value = signed_in().encode(&KEY);
        assert_eq!(Session::decode(&value, &[8; 32], now()), None);
        // The jar's MAC (44 characters of base64) comes first.
        let (mac, payload) = value.split_at(44);
        let forged = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap())
                .unwrap()
                .replace("|42|", "|1|"),
        );
        assert_eq!(
            Session::decode(&format!("{mac}{forged}"), &KEY, now()),
            None
        );
        assert_eq!(
            Session::decode(&value, &KEY, now() + SIGNED_IN_FOR + TimeDelta::seconds(1)),
            None
        );
        for garbage in ["", ".", "x.y", "v1|1|2|3|4|5", &"a".repeat(5000)] {
            assert_eq!(Session::decode(garbage, &KEY, now()), None);
        }
    }
}
