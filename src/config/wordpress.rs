//! `OPED_WORDPRESS_*`: the site's WordPress, where published pieces become
//! posts through its REST API with an application password.

use std::path::Path;

use super::Reader;
use crate::secret::Secret;

/// The site's WordPress. Present only when `OPED_WORDPRESS_URL` is set.
#[derive(Debug, Clone)]
pub struct WordpressConfig {
    /// `OPED_WORDPRESS_URL`: the site's address (`https://news.example`); its
    /// REST API is `<it>/wp-json/`.
    pub url: url::Url,
    /// `OPED_WORDPRESS_USER`: the WordPress login the posts are made as.
    pub user: String,
    /// `OPED_WORDPRESS_APP_PASSWORD`, or the first line of the file
    /// `OPED_WORDPRESS_APP_PASSWORD_FILE` names: an application password of
    /// that user (Users → Profile → Application Passwords).
    pub app_password: Secret<String>,
    /// `OPED_WORDPRESS_CATEGORY`: the category every post is filed under,
    /// made when missing; unset, WordPress's default category.
    pub category: Option<String>,
    /// `OPED_WORDPRESS_STATUS`: what publishing makes of the post.
    pub status: PostStatus,
    /// `OPED_WORDPRESS_UNPUBLISH`: what unpublishing makes of it.
    pub unpublish: Takedown,
}

/// The status a new post gets: `publish` (the default) puts it on the site;
/// `draft` or `pending` leave the last look to someone inside WordPress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostStatus {
    Publish,
    Draft,
    Pending,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Publish => "publish",
            PostStatus::Draft => "draft",
            PostStatus::Pending => "pending",
        }
    }
}

/// How an unpublished piece leaves the site: back to `draft` (the default),
/// or into WordPress's `trash` (emptied after 30 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takedown {
    Draft,
    Trash,
}

impl Takedown {
    pub fn as_str(self) -> &'static str {
        match self {
            Takedown::Draft => "draft",
            Takedown::Trash => "trash",
        }
    }
}

impl WordpressConfig {
    /// For logs and the check: the site's address, never a credential.
    pub fn describe(&self) -> String {
        format!(
            "{} as {}",
            crate::secret::loggable_url(&self.url).trim_end_matches('/'),
            self.user
        )
    }
}

/// Reads the variables; no problem echoes the password.
pub(super) fn read(read: &mut Reader) -> Option<WordpressConfig> {
    let password = read_password(read);
    let Some(url) = read.optional("OPED_WORDPRESS_URL") else {
        for name in [
            "OPED_WORDPRESS_USER",
            "OPED_WORDPRESS_APP_PASSWORD",
            "OPED_WORDPRESS_APP_PASSWORD_FILE",
        ] {
            if read.optional(name).is_some() {
                read.problem(format!(
                    "{name} is set but OPED_WORDPRESS_URL is not: set the site's address too"
                ));
            }
        }
        return None;
    };
    let url = match url::Url::parse(url.trim()) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.has_host()
                && url.username().is_empty()
                && url.password().is_none()
                && url.query().is_none() =>
        {
            Some(url)
        }
        _ => {
            read.problem(
                "OPED_WORDPRESS_URL must be the site's http:// or https:// address, \
                 without credentials or query (its value is not shown)",
            );
            None
        }
    };
    let user = read
        .optional("OPED_WORDPRESS_USER")
        .map(|user| user.trim().to_string());
    if user.is_none() {
        read.problem("OPED_WORDPRESS_URL needs OPED_WORDPRESS_USER: the WordPress login");
    }
    if password.is_none() && !read.has_problem_with("APP_PASSWORD") {
        read.problem(
            "OPED_WORDPRESS_URL needs OPED_WORDPRESS_APP_PASSWORD (or _FILE): an application \
             password of that user (Users → Profile → Application Passwords)",
        );
    }
    let status = read.choice(
        "OPED_WORDPRESS_STATUS",
        PostStatus::Publish,
        &[
            ("publish", PostStatus::Publish),
            ("draft", PostStatus::Draft),
            ("pending", PostStatus::Pending),
        ],
    );
    let unpublish = read.choice(
        "OPED_WORDPRESS_UNPUBLISH",
        Takedown::Draft,
        &[("draft", Takedown::Draft), ("trash", Takedown::Trash)],
    );
    let category = read
        .optional("OPED_WORDPRESS_CATEGORY")
        .map(|name| name.trim().to_string());
    if category
        .as_ref()
        .is_some_and(|name| name.chars().count() > 200)
    {
        read.problem("OPED_WORDPRESS_CATEGORY is longer than 200 characters");
    }
    Some(WordpressConfig {
        url: url?,
        user: user?,
        app_password: password?,
        category,
        status,
        unpublish,
    })
}

/// The password from the variable or the first line of the file; both set,
/// or a file that cannot be read, is a problem.
fn read_password(read: &mut Reader) -> Option<Secret<String>> {
    let direct = read.optional("OPED_WORDPRESS_APP_PASSWORD");
    let file = read.optional("OPED_WORDPRESS_APP_PASSWORD_FILE");
    let password = match (direct, file) {
        (Some(_), Some(_)) => {
            read.problem(
                "OPED_WORDPRESS_APP_PASSWORD and OPED_WORDPRESS_APP_PASSWORD_FILE are both set: use one",
            );
            return None;
        }
        (Some(password), None) => password,
        (None, Some(path)) => match std::fs::read_to_string(Path::new(path.trim())) {
            Ok(text) => text.lines().next().unwrap_or_default().to_string(),
            Err(err) => {
                read.problem(format!(
                    "OPED_WORDPRESS_APP_PASSWORD_FILE={path:?} cannot be read: {err}"
                ));
                return None;
            }
        },
        (None, None) => return None,
    };
    let password = password.trim().to_string();
    if password.is_empty() {
        read.problem("OPED_WORDPRESS_APP_PASSWORD_FILE holds no password");
        return None;
    }
    Some(Secret::new(password))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read_vars(vars: &[(&str, &str)]) -> (Option<WordpressConfig>, Vec<String>) {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = |name: &str| map.get(name).cloned();
        let mut reader = Reader::new(&lookup);
        let config = read(&mut reader);
        (config, reader.into_problems())
    }

    const PASSWORD: &str = "abcd EFGH ijkl MNOP qrst UVWX";

    #[test]
    fn unset_is_no_wordpress_and_a_full_setting_is_read() {
        assert!(read_vars(&[]).0.is_none());
        let (config, problems) = read_vars(&[
            ("OPED_WORDPRESS_URL", "https://news.example/"),
            ("OPED_WORDPRESS_USER", "desk"),
            ("OPED_WORDPRESS_APP_PASSWORD", PASSWORD),
            ("OPED_WORDPRESS_CATEGORY", "Opinion"),
            ("OPED_WORDPRESS_STATUS", "pending"),
            ("OPED_WORDPRESS_UNPUBLISH", "trash"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        let config = config.unwrap();
        assert_eq!(config.app_password.expose(), PASSWORD);
        assert_eq!(config.category.as_deref(), Some("Opinion"));
        assert_eq!(config.status, PostStatus::Pending);
        assert_eq!(config.unpublish, Takedown::Trash);
        assert!(!format!("{config:?}").contains("EFGH"));
        assert_eq!(config.describe(), "https://news.example as desk");
    }

    #[test]
    fn the_password_comes_from_a_file_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wp-password");
        std::fs::write(&path, format!("{PASSWORD}\n")).unwrap();
        let (config, problems) = read_vars(&[
            ("OPED_WORDPRESS_URL", "https://news.example"),
            ("OPED_WORDPRESS_USER", "desk"),
            ("OPED_WORDPRESS_APP_PASSWORD_FILE", path.to_str().unwrap()),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        let config = config.unwrap();
        assert_eq!(config.app_password.expose(), PASSWORD);
        assert_eq!(config.status, PostStatus::Publish);
        assert_eq!(config.unpublish, Takedown::Draft);
    }

    #[test]
    fn every_problem_is_named_and_the_password_never_shown() {
        let (config, problems) = read_vars(&[
            ("OPED_WORDPRESS_URL", "ftp://news.example"),
            ("OPED_WORDPRESS_APP_PASSWORD", PASSWORD),
            ("OPED_WORDPRESS_STATUS", "live"),
            ("OPED_WORDPRESS_UNPUBLISH", "delete"),
        ]);
        assert!(config.is_none());
        let all = problems.join("\n");
        assert_eq!(problems.len(), 4, "{all}");
        for name in [
            "OPED_WORDPRESS_URL",
            "OPED_WORDPRESS_USER",
            "OPED_WORDPRESS_STATUS",
            "OPED_WORDPRESS_UNPUBLISH",
        ] {
            assert!(all.contains(name), "{all}");
        }
        assert!(!all.contains("EFGH"), "{all}");

        let (_, problems) = read_vars(&[
            ("OPED_WORDPRESS_URL", "https://news.example"),
            ("OPED_WORDPRESS_USER", "desk"),
        ]);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("OPED_WORDPRESS_APP_PASSWORD"));

        let (_, problems) = read_vars(&[("OPED_WORDPRESS_APP_PASSWORD", PASSWORD)]);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("OPED_WORDPRESS_URL is not"));
        assert!(!problems[0].contains("EFGH"));

        let (_, problems) = read_vars(&[
            ("OPED_WORDPRESS_URL", "https://news.example"),
            ("OPED_WORDPRESS_USER", "desk"),
            ("OPED_WORDPRESS_APP_PASSWORD", PASSWORD),
            ("OPED_WORDPRESS_APP_PASSWORD_FILE", "/nonexistent"),
        ]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("both set"));
    }
}
