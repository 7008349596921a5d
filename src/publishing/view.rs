//! What the public may read of a published piece: separate types from the
//! row, so the author's email, internal notes and workflow state can never
//! reach the site by accident. Pure.

use chrono::{DateTime, Utc};
use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::sql_types::Jsonb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Site;
use crate::domain::{NO_DISCLOSURE, State};
use crate::schema::submissions;
use crate::text::html::sanitize;

/// The columns a public representation is made from.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct PublicRow {
    pub id: i64,
    pub state: State,
    pub version: i32,
    pub slug: Option<String>,
    pub title: String,
    pub standfirst: Option<String>,
    pub author_name: Option<String>,
    pub author_email: String,
    pub author_bio: Option<String>,
    pub body_html: String,
    pub tags: Vec<Option<String>>,
    pub word_count: i32,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub disclosure: Option<String>,
    #[diesel(
        select_expression = public_corrections(submissions::id),
        select_expression_type = public_corrections<submissions::id>
    )]
    pub corrections: Corrections,
}

diesel::define_sql_function! {
    /// A piece's corrections as JSON, oldest first (a function of the
    /// migrations, so the public reads stay one prepared statement).
    fn public_corrections(submission: diesel::sql_types::BigInt) -> diesel::sql_types::Jsonb;
}

/// A correction as readers see it: what was wrong, and when it was said.
/// Who added it stays on the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicCorrection {
    /// Plain text.
    pub text: String,
    pub at: DateTime<Utc>,
}

/// A piece's corrections, oldest first, read from the JSON the database
/// builds; JSON of another shape is an error, not an empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromSqlRow)]
pub struct Corrections(pub Vec<PublicCorrection>);

impl FromSql<Jsonb, Pg> for Corrections {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let json = <serde_json::Value as FromSql<Jsonb, Pg>>::from_sql(bytes)?;
        Ok(Corrections(serde_json::from_value(json)?))
    }
}

/// A published op-ed as the site shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicOpinion {
    /// The piece's stable name in URLs.
    pub slug: String,
    /// Its page on the site.
    pub url: String,
    pub title: String,
    pub standfirst: Option<String>,
    pub author: PublicAuthor,
    /// Sanitised HTML: paragraphs, emphasis, lists, quotes, tables and
    /// `http(s)` links only.
    pub body_html: String,
    pub tags: Vec<String>,
    pub word_count: i32,
    /// When it was first published.
    pub published_at: DateTime<Utc>,
    /// When its public text last changed (a correction changes it too).
    pub updated_at: DateTime<Utc>,
    /// Corrections the desk has published, oldest first; never removed.
    pub corrections: Vec<PublicCorrection>,
    /// The author's disclosure of interests (who pays them, what they own),
    /// as they gave it; `null` when they had nothing to disclose or did not
    /// answer.
    pub disclosure: Option<String>,
}

/// The author as the public sees them: never their address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicAuthor {
    pub name: Option<String>,
    pub bio: Option<String>,
}

/// A published op-ed in a list: everything but the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicSummary {
    pub slug: String,
    pub url: String,
    pub title: String,
    pub standfirst: Option<String>,
    pub author: PublicAuthor,
    pub tags: Vec<String>,
    pub word_count: i32,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of the public list, the latest publication first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicPage {
    pub items: Vec<PublicSummary>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// The columns of a list item.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct SummaryRow {
    pub id: i64,
    pub version: i32,
    pub slug: Option<String>,
    pub title: String,
    pub standfirst: Option<String>,
    pub author_name: Option<String>,
    pub author_email: String,
    pub author_bio: Option<String>,
    pub tags: Vec<Option<String>>,
    pub word_count: i32,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl PublicOpinion {
    /// The public form of `row`. A row that was never published has no
    /// public form (no slug or no publication date): `None`.
    pub fn from_row(row: &PublicRow, site: &Site) -> Option<PublicOpinion> {
        row.slug.as_ref()?;
        let published_at = row.published_at?;
        Some(PublicOpinion::preview(row, site, published_at))
    }

    /// `row` as readers would see it if it were published at `now`: the
    /// same title, byline, text, bio, disclosure and corrections, for the
    /// desk's preview of a piece not yet (or no longer) public. Its address
    /// is empty until one is given.
    pub fn preview(row: &PublicRow, site: &Site, now: DateTime<Utc>) -> PublicOpinion {
        let slug = row.slug.clone().unwrap_or_default();
        PublicOpinion {
            url: if slug.is_empty() {
                String::new()
            } else {
                site.opinion_url(&slug)
            },
            slug,
            title: row.title.clone(),
            standfirst: row.standfirst.clone(),
            author: public_author(&row.author_name, &row.author_email, &row.author_bio),
            body_html: sanitize(&row.body_html),
            tags: tags(&row.tags),
            word_count: row.word_count,
            published_at: row.published_at.unwrap_or(now),
            updated_at: row.updated_at,
            corrections: row.corrections.0.clone(),
            disclosure: public_disclosure(row.disclosure.as_deref()),
        }
    }
}

/// A disclosure is published unless it is `none`.
fn public_disclosure(disclosure: Option<&str>) -> Option<String> {
    disclosure
        .map(str::trim)
        .filter(|text| !text.is_empty() && *text != NO_DISCLOSURE)
        .map(str::to_string)
}

impl PublicSummary {
    pub fn from_row(row: &SummaryRow, site: &Site) -> Option<PublicSummary> {
        let slug = row.slug.clone()?;
        Some(PublicSummary {
            url: site.opinion_url(&slug),
            slug,
            title: row.title.clone(),
            standfirst: row.standfirst.clone(),
            author: public_author(&row.author_name, &row.author_email, &row.author_bio),
            tags: tags(&row.tags),
            word_count: row.word_count,
            published_at: row.published_at?,
            updated_at: row.updated_at,
        })
    }
}

/// Mail clients often put the address where the name goes
/// (`"jane@example.net" <jane@example.net>`): such a name is not published.
fn public_author(name: &Option<String>, email: &str, bio: &Option<String>) -> PublicAuthor {
    let name = name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .filter(|name| {
            let lower = name.to_lowercase();
            !lower.contains(&email.to_lowercase()) && !lower.contains('@')
        })
        .map(str::to_string);
    PublicAuthor {
        name,
        bio: bio.clone(),
    }
}

fn tags(tags: &[Option<String>]) -> Vec<String> {
    tags.iter().flatten().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            url: "https://news.example".into(),
            name: "Opinion".into(),
            public_api_url: "https://desk.news.example".into(),
            author_link_base: None,
            wordpress: false,
        }
    }

    fn row() -> PublicRow {
        PublicRow {
            id: 7,
            state: State::Published,
            version: 4,
            slug: Some("unified-budget".into()),
            title: "Why Libya needs a unified budget".into(),
            standfirst: None,
            author_name: Some("Amal Haddad".into()),
            author_email: "amal@example.net".into(),
            author_bio: Some("Economist.".into()),
            body_html: r#"<p onclick="x()">Text <script>alert(1)</script><a href="javascript:x">link</a><img src="https://t.example/p.gif"></p>"#.into(),
            tags: vec![Some("economy".into()), None],
            word_count: 2,
            published_at: Some("2026-11-26T10:00:00Z".parse().unwrap()),
            updated_at: "2026-11-26T11:00:00Z".parse().unwrap(),
            corrections: Corrections::default(),
            disclosure: Some("none".into()),
        }
    }

    #[test]
    fn the_public_form_is_sanitised_and_keeps_the_address_private() {
        let opinion = PublicOpinion::from_row(&row(), &site()).unwrap();
        assert_eq!(opinion.url, "https://news.example/opinion/unified-budget");
        assert_eq!(opinion.author.name.as_deref(), Some("Amal Haddad"));
        assert_eq!(opinion.tags, vec!["economy"]);
        for hostile in ["onclick", "<script", "alert(1)", "javascript:", "<img"] {
            assert!(
                !opinion.body_html.contains(hostile),
                "{}",
                opinion.body_html
            );
        }
        let json = serde_json::to_string(&opinion).unwrap();
        assert!(!json.contains("amal@example.net"), "{json}");
    }

    #[test]
    fn a_name_that_is_an_address_is_not_published() {
        for name in [
            "amal@example.net",
            "AMAL@EXAMPLE.NET",
            "Amal <amal@other.example>",
        ] {
            let mut row = row();
            row.author_name = Some(name.into());
            let opinion = PublicOpinion::from_row(&row, &site()).unwrap();
            assert_eq!(opinion.author.name, None, "{name}");
        }
    }

    #[test]
    fn a_disclosure_is_public_unless_it_is_none() {
        assert_eq!(
            PublicOpinion::from_row(&row(), &site()).unwrap().disclosure,
            None
        );
        let mut disclosed = row();
        disclosed.disclosure = Some("I advise the central bank.".into());
        assert_eq!(
            PublicOpinion::from_row(&disclosed, &site())
                .unwrap()
                .disclosure
                .as_deref(),
            Some("I advise the central bank.")
        );
    }

    #[test]
    fn a_piece_never_published_has_no_public_form() {
        let mut unpublished = row();
        unpublished.published_at = None;
        assert!(PublicOpinion::from_row(&unpublished, &site()).is_none());
        let mut nameless = row();
        nameless.slug = None;
        assert!(PublicOpinion::from_row(&nameless, &site()).is_none());
    }
}
