//! Calls to WordPress's REST API (`<site>/wp-json/wp/v2/`), authenticated
//! with an application password (HTTP Basic). Blocking: called from worker
//! threads and the command line, never from an actix worker.

use std::io::Read;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::WordpressConfig;
use crate::publishing::feed::escape_html;
use crate::secret::Secret;

/// WordPress on a shared host can be slow to save a post; slower than this
/// is retried later.
const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an unexpected answer is kept in an error.
const MAX_ANSWER_BYTES: u64 = 300;

/// Why a call failed, sorted by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum WordpressError {
    /// No answer, a timeout or a 5xx: try again later.
    #[error("WordPress cannot be reached: {0}")]
    Unreachable(String),
    /// 401: WordPress does not know the login: the application password
    /// was revoked, or is wrong.
    #[error(
        "WordPress refused the login of {user} (HTTP 401 {code}: {message}): the application password was revoked or is wrong; set OPED_WORDPRESS_APP_PASSWORD to a current one"
    )]
    LoginRefused {
        user: String,
        code: String,
        message: String,
    },
    /// 403: logged in, but the user may not do this.
    #[error("WordPress does not let {user} do this (HTTP 403 {code}: {message})")]
    Forbidden {
        user: String,
        code: String,
        message: String,
    },
    /// 404 or 410: no such post (or no REST API at that address).
    #[error("WordPress has no such thing (HTTP {status} {code}: {message})")]
    NotFound {
        status: u16,
        code: String,
        message: String,
    },
    /// Any other answer WordPress should not have given.
    #[error("WordPress answered HTTP {status} {code}: {message}")]
    Unexpected {
        status: u16,
        code: String,
        message: String,
    },
}

impl WordpressError {
    /// The login was refused or is not allowed: the operator must act.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            WordpressError::LoginRefused { .. } | WordpressError::Forbidden { .. }
        )
    }
}

/// A post as WordPress describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Post {
    pub id: i64,
    pub link: String,
    pub status: String,
    #[serde(default)]
    pub slug: String,
}

/// The logged-in user, with what they may do (`context=edit`).
#[derive(Debug, Clone, Deserialize)]
pub struct Me {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub capabilities: std::collections::HashMap<String, Value>,
}

impl Me {
    pub fn may(&self, capability: &str) -> bool {
        self.capabilities
            .get(capability)
            .is_some_and(|granted| granted == &json!(true))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot prepare the WordPress client: {0}")]
pub struct ClientSetupError(String);

/// One site, one login.
pub struct Client {
    api: url::Url,
    user: String,
    password: Secret<String>,
    http: reqwest::blocking::Client,
}

impl Client {
    pub fn new(config: &WordpressConfig) -> Result<Client, ClientSetupError> {
        let mut api = config.url.clone();
        let path = format!("{}/wp-json/wp/v2/", api.path().trim_end_matches('/'));
        api.set_path(&path);
        let http = reqwest::blocking::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect (http to https, another host) would carry the
            // password where it was not configured to go.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("oped/", env!("CARGO_PKG_VERSION"), " (wordpress)"))
            .build()
            .map_err(|err| ClientSetupError(err.to_string()))?;
        Ok(Client {
            api,
            user: config.user.clone(),
            password: config.app_password.clone(),
            http,
        })
    }

    /// `GET users/me?context=edit`: who we are and what we may do.
    pub fn me(&self) -> Result<Me, WordpressError> {
        self.call(reqwest::Method::GET, "users/me?context=edit", None)
    }

    /// The post with `slug` written by `author`, in any state but the trash.
    pub fn find_post(&self, slug: &str, author: i64) -> Result<Option<Post>, WordpressError> {
        let mut path = url::form_urlencoded::Serializer::new(String::from("posts?"));
        path.append_pair("slug", slug)
            .append_pair("author", &author.to_string())
            .append_pair("status", "publish,future,draft,pending,private")
            .append_pair("context", "edit")
            .append_pair("per_page", "10");
        let found: Vec<Post> = self.call(reqwest::Method::GET, &path.finish(), None)?;
        Ok(found.into_iter().next())
    }

    pub fn create_post(&self, fields: &Value) -> Result<Post, WordpressError> {
        self.call(reqwest::Method::POST, "posts", Some(fields))
    }

    pub fn update_post(&self, id: i64, fields: &Value) -> Result<Post, WordpressError> {
        self.call(reqwest::Method::POST, &format!("posts/{id}"), Some(fields))
    }

    /// Moves the post to the trash. `Ok(None)`: it was there already.
    pub fn trash_post(&self, id: i64) -> Result<Option<Post>, WordpressError> {
        match self.call(reqwest::Method::DELETE, &format!("posts/{id}"), None) {
            Ok(post) => Ok(Some(post)),
            Err(WordpressError::NotFound { status: 410, .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The id of the category named `name` (case aside), if there is one.
    pub fn find_category(&self, name: &str) -> Result<Option<i64>, WordpressError> {
        #[derive(Deserialize)]
        struct Category {
            id: i64,
            name: String,
        }
        let mut path = url::form_urlencoded::Serializer::new(String::from("categories?"));
        path.append_pair("search", name)
            .append_pair("per_page", "100");
        let found: Vec<Category> = self.call(reqwest::Method::GET, &path.finish(), None)?;
        // WordPress keeps names HTML-escaped ("Arts &amp; Ideas").
        let wanted = [name.to_lowercase(), escape_html(name).to_lowercase()];
        Ok(found
            .into_iter()
            .find(|category| wanted.contains(&category.name.to_lowercase()))
            .map(|category| category.id))
    }

    /// Makes the category `name`; one made meanwhile by someone else is
    /// taken as it is.
    pub fn create_category(&self, name: &str) -> Result<i64, WordpressError> {
        #[derive(Deserialize)]
        struct Made {
            id: i64,
        }
        let body = json!({ "name": name });
        match self.call::<Made>(reqwest::Method::POST, "categories", Some(&body)) {
            Ok(made) => Ok(made.id),
            Err(err @ WordpressError::Unexpected { status: 400, .. }) => {
                self.find_category(name)?.ok_or(err)
            }
            Err(err) => Err(err),
        }
    }

    fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, WordpressError> {
        let url = self
            .api
            .join(path)
            .map_err(|err| WordpressError::Unreachable(err.to_string()))?;
        let mut request = self
            .http
            .request(method, url)
            .basic_auth(&self.user, Some(self.password.expose()));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .map_err(|err| WordpressError::Unreachable(err.without_url().to_string()))?;
        let status = response.status();
        if status.is_success() {
            return response.json().map_err(|err| WordpressError::Unexpected {
                status: status.as_u16(),
                code: "not_json".into(),
                message: err.without_url().to_string(),
            });
        }
        let mut answer = String::new();
        let _ = response
            .take(MAX_ANSWER_BYTES * 10)
            .read_to_string(&mut answer);
        let (code, message) = explain(&answer, status);
        let user = self.user.clone();
        Err(match status.as_u16() {
            401 => WordpressError::LoginRefused {
                user,
                code,
                message,
            },
            403 => WordpressError::Forbidden {
                user,
                code,
                message,
            },
            404 | 410 => WordpressError::NotFound {
                status: status.as_u16(),
                code,
                message,
            },
            408 | 429 | 500.. => {
                WordpressError::Unreachable(format!("HTTP {} {code}: {message}", status.as_u16()))
            }
            other => WordpressError::Unexpected {
                status: other,
                code,
                message,
            },
        })
    }
}

/// WordPress's error body is `{"code", "message"}`; anything else is kept
/// as a short excerpt.
fn explain(answer: &str, status: reqwest::StatusCode) -> (String, String) {
    #[derive(Deserialize)]
    struct Problem {
        code: String,
        message: String,
    }
    match serde_json::from_str::<Problem>(answer) {
        Ok(problem) => (problem.code, shorten(&problem.message)),
        Err(_) if status.is_redirection() => (
            "redirect".into(),
            "redirects are not followed: set OPED_WORDPRESS_URL to the address WordPress answers at"
                .into(),
        ),
        Err(_) => ("not_wordpress".into(), shorten(answer.trim())),
    }
}

fn shorten(text: &str) -> String {
    text.chars()
        .take(usize::try_from(MAX_ANSWER_BYTES).unwrap_or(300))
        .collect()
}
