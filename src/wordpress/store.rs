//! `wordpress_posts`: the post each piece became on the site, as WordPress
//! last described it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::schema::wordpress_posts;

/// A piece's post on the site's WordPress.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = wordpress_posts)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct WordpressPost {
    /// The post's id in WordPress.
    pub post_id: i64,
    /// Its address as WordPress gave it (a public page only while `publish`).
    pub link: String,
    /// `publish`, `future`, `draft`, `pending`, `private` or `trash`.
    pub status: String,
    pub updated_at: DateTime<Utc>,
}

impl WordpressPost {
    /// The page readers can open: only a published post has one.
    pub fn public_link(&self) -> Option<&str> {
        (self.status == "publish").then_some(self.link.as_str())
    }
}

pub fn find(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Option<WordpressPost>> {
    wordpress_posts::table
        .find(submission_id)
        .select(WordpressPost::as_select())
        .first(conn)
        .optional()
}

/// Records what WordPress answered about the piece's post.
pub fn save(
    conn: &mut PgConnection,
    submission_id: i64,
    post_id: i64,
    link: &str,
    status: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(wordpress_posts::table)
        .values((
            wordpress_posts::submission_id.eq(submission_id),
            wordpress_posts::post_id.eq(post_id),
            wordpress_posts::link.eq(link),
            wordpress_posts::status.eq(status),
            wordpress_posts::updated_at.eq(now),
        ))
        .on_conflict(wordpress_posts::submission_id)
        .do_update()
        .set((
            wordpress_posts::post_id.eq(post_id),
            wordpress_posts::link.eq(link),
            wordpress_posts::status.eq(status),
            wordpress_posts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets the post (deleted inside WordPress): the next event makes a new one.
pub fn forget(conn: &mut PgConnection, submission_id: i64) -> QueryResult<()> {
    diesel::delete(wordpress_posts::table.find(submission_id)).execute(conn)?;
    Ok(())
}
