//! The public side's reads: published pieces by slug, by page, for the feed.

use chrono::{DateTime, Utc};
use diesel::dsl::max;
use diesel::prelude::*;

use super::view::{PublicRow, SummaryRow};
use crate::db::cursor::Cursor;
use crate::domain::State;
use crate::schema::submissions;

/// What a conditional request needs to decide on a 304 without the text.
#[derive(Debug, Clone, Copy, Queryable)]
pub struct Freshness {
    pub published: bool,
    pub ever_published: bool,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// How the public sees a slug.
#[derive(Debug, Clone)]
pub enum Lookup<T> {
    Published(T),
    /// Published once, not now: 410 Gone.
    Retracted,
    /// Never published (or no such slug): 404.
    Unknown,
}

fn published() -> diesel::dsl::Eq<submissions::state, State> {
    submissions::state.eq(State::Published)
}

pub fn freshness(conn: &mut PgConnection, slug: &str) -> QueryResult<Lookup<Freshness>> {
    let found: Option<Freshness> = submissions::table
        .filter(submissions::slug.eq(slug))
        .select((
            published(),
            submissions::published_at.is_not_null(),
            submissions::version,
            submissions::updated_at,
        ))
        .first(conn)
        .optional()?;
    Ok(match found {
        Some(fresh) if fresh.published => Lookup::Published(fresh),
        Some(fresh) if fresh.ever_published => Lookup::Retracted,
        _ => Lookup::Unknown,
    })
}

pub fn by_slug(conn: &mut PgConnection, slug: &str) -> QueryResult<Lookup<PublicRow>> {
    let found: Option<PublicRow> = submissions::table
        .filter(submissions::slug.eq(slug))
        .select(PublicRow::as_select())
        .first(conn)
        .optional()?;
    Ok(match found {
        Some(row) if row.state == State::Published => Lookup::Published(row),
        Some(row) if row.published_at.is_some() => Lookup::Retracted,
        _ => Lookup::Unknown,
    })
}

/// The public form's columns of submission `id`, whatever its state: the
/// snapshot a webhook carries.
pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<PublicRow> {
    submissions::table
        .find(id)
        .select(PublicRow::as_select())
        .first(conn)
}

/// Published pieces, newest publication first, after `cursor`; one more than
/// `limit` when more follow.
pub fn page(
    conn: &mut PgConnection,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<SummaryRow>> {
    let mut query = submissions::table
        .filter(published())
        .select(SummaryRow::as_select())
        .into_boxed();
    if let Some(cursor) = cursor {
        // Written without SQL text so diesel keeps the prepared statement
        // (it never caches one holding an SQL literal); the `<=` bound lets
        // PostgreSQL start its walk of `submissions_public` at the cursor.
        let at = cursor.received_at;
        query = query.filter(submissions::published_at.le(at)).filter(
            submissions::published_at
                .lt(at)
                .or(submissions::published_at
                    .eq(at)
                    .and(submissions::id.lt(cursor.id))),
        );
    }
    query
        .order((submissions::published_at.desc(), submissions::id.desc()))
        .limit(limit + 1)
        .load(conn)
}

/// The `limit` latest published pieces with their text, for the feed.
pub fn latest(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<PublicRow>> {
    submissions::table
        .filter(published())
        .order((submissions::published_at.desc(), submissions::id.desc()))
        .limit(limit)
        .select(PublicRow::as_select())
        .load(conn)
}

/// The `(id, version, updated_at)` of the `limit` latest published pieces:
/// what identifies the feed's state, without the text.
pub fn latest_versions(
    conn: &mut PgConnection,
    limit: i64,
) -> QueryResult<Vec<(i64, i32, DateTime<Utc>)>> {
    submissions::table
        .filter(published())
        .order((submissions::published_at.desc(), submissions::id.desc()))
        .limit(limit)
        .select((
            submissions::id,
            submissions::version,
            submissions::updated_at,
        ))
        .load(conn)
}

/// When a piece was last unpublished: a list or feed changes then without
/// any row left in it to say so.
pub fn latest_retraction(conn: &mut PgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    submissions::table
        .select(max(submissions::retracted_at))
        .first(conn)
}
