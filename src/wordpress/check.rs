//! `oped wordpress check`: logs in, checks that the user may publish and
//! upload, looks for the category, and says what it found.

use super::client::{Client, WordpressError};
use crate::config::WordpressConfig;

/// What the check found, one line each; `Err` says what is wrong.
pub fn check(config: &WordpressConfig) -> Result<Vec<String>, CheckError> {
    let client = Client::new(config).map_err(|err| CheckError::Fix(err.to_string()))?;
    let me = client.me().map_err(|err| match err {
        WordpressError::Unreachable(_) => CheckError::Unreachable(err.to_string()),
        WordpressError::NotFound { .. } => CheckError::Fix(format!(
            "no WordPress REST API answers at {}/wp-json/ ({err})",
            crate::secret::loggable_url(&config.url).trim_end_matches('/')
        )),
        other => CheckError::Fix(other.to_string()),
    })?;
    let mut found = vec![format!(
        "logged in to {} (user id {}, {})",
        config.describe(),
        me.id,
        if me.roles.is_empty() {
            "no role".to_string()
        } else {
            me.roles.join(", ")
        }
    )];
    let missing: Vec<&str> = ["publish_posts", "upload_files"]
        .into_iter()
        .filter(|capability| !me.may(capability))
        .collect();
    if !missing.is_empty() {
        return Err(CheckError::Fix(format!(
            "{} may not {}: give the user the Author role or higher",
            config.user,
            missing.join(" or ")
        )));
    }
    found.push("may publish posts and upload files".into());
    if let Some(name) = &config.category {
        let fix = |err: WordpressError| match err {
            WordpressError::Unreachable(_) => CheckError::Unreachable(err.to_string()),
            other => CheckError::Fix(other.to_string()),
        };
        match client.find_category(name).map_err(fix)? {
            Some(id) => found.push(format!("category {name:?}: exists (id {id})")),
            None if me.may("manage_categories") => found.push(format!(
                "category {name:?}: missing; made at the first publication"
            )),
            None => {
                return Err(CheckError::Fix(format!(
                    "category {name:?} is missing and {} may not make it: make it in WordPress \
                     (Posts → Categories) or give the user the Editor role",
                    config.user
                )));
            }
        }
    }
    found.push(format!(
        "publishing makes a post with status {}; unpublishing makes it {}",
        config.status.as_str(),
        config.unpublish.as_str()
    ));
    Ok(found)
}

/// Why the check failed: the exit code follows from it.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Try again later (sysexits 75).
    #[error("{0}")]
    Unreachable(String),
    /// The operator must change something (sysexits 78).
    #[error("{0}")]
    Fix(String),
}
