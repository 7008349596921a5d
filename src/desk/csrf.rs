//! Every form the desk serves carries a token in a hidden `csrf` field
//! (`Session::csrf_token`: the HMAC of the session's nonce, so only a page
//! we rendered for this session can hold it). A POST whose token is missing or wrong is refused (403)
//! before its fields are read; the session cookie being `SameSite=Lax` is a
//! second wall, not the only one.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::session::{self, Session};
use super::views::DeskError;
use crate::app::AppState;

/// The form field the token travels in.
pub const FIELD: &str = "csrf";
/// No desk form has more fields than this.
const MAX_FIELDS: usize = 32;

/// Whether `presented` is the token of `session`, compared in constant time.
pub fn matches(session: &Session, key: &[u8; 32], presented: &str) -> bool {
    session
        .csrf_token(key)
        .as_bytes()
        .ct_eq(presented.as_bytes())
        .into()
}

/// A form posted from a page of this session: the token checked, then the
/// fields read into `T` (whose fields are all text; a missing one is empty
/// when `T` says `#[serde(default)]`).
pub struct Posted<T> {
    pub fields: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = DeskError;
    type Future = Pin<Box<dyn Future<Output = Result<Posted<T>, DeskError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let body = web::Bytes::from_request(&request, payload);
        Box::pin(async move {
            let body = body.await.map_err(|_| {
                DeskError::bad_request("the form is too large or could not be read")
            })?;
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| DeskError::bad_request("the desk is not set up"))?;
            let key = state.tokens.cookie_key();
            let session = session::of_request(&request).ok_or(DeskError::NoToken)?;
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body)
                .take(MAX_FIELDS + 1)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
            let presented = pairs
                .iter()
                .find(|(name, _)| name == FIELD)
                .map(|(_, value)| value.as_str());
            if !presented.is_some_and(|presented| matches(&session, key, presented)) {
                return Err(DeskError::NoToken);
            }
            if pairs.len() > MAX_FIELDS {
                return Err(DeskError::bad_request("the form has too many fields"));
            }
            // The first of a repeated name counts, as with HTML forms' own
            // reading of a query.
            let mut object = serde_json::Map::new();
            for (name, value) in pairs {
                if name != FIELD {
                    object
                        .entry(name)
                        .or_insert(serde_json::Value::String(value));
                }
            }
            let fields =
                serde_json::from_value(serde_json::Value::Object(object)).map_err(|err| {
                    DeskError::bad_request(format!("the form is not as expected: {err}"))
                })?;
            Ok(Posted { fields })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_belongs_to_one_session_and_one_key() {
        let now = chrono::Utc::now();
        let session = Session::anonymous(now);
        let key = [1; 32];
        let token = session.csrf_token(&key);
        assert!(matches(&session, &key, &token));
        assert!(!matches(&session, &[2; 32], &token));
        assert!(!matches(&Session::anonymous(now), &key, &token));
        assert!(!matches(&session, &key, ""));
        assert!(!matches(&session, &key, &token[1..]));
    }
}
