//! The public side: published op-eds for the site, without login.
//!
//! Only published pieces are shown, in their public form (no address, no
//! notes, sanitised HTML). A piece that was published and then taken down
//! answers 410 Gone, so the site and search engines drop it; a slug that was
//! never published is 404. Every answer carries `ETag` and `Last-Modified`,
//! and a client that holds the current state gets 304 before any body is
//! made.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::conditional::{Validators, is_conditional};
use crate::app::error::ApiError;
use crate::app::paging;
use crate::app::{AppState, public_db};
use crate::db::cursor::Cursor;
use crate::publishing::feed::{self, FEED_LENGTH};
use crate::publishing::store::{self, Lookup};
use crate::publishing::view::{PublicOpinion, PublicSummary};

const DEFAULT_LIMIT: i64 = 20;
/// Longer than any slug this server gives or accepts: not worth a query.
const MAX_SLUG_BYTES: usize = 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/public/opeds", web::get().to(index))
        .route("/public/opeds/{slug}", web::get().to(show));
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicListQuery {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1 to 100, default 20.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicPage {
    pub items: Vec<PublicSummary>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn gone() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "retracted",
        "this op-ed has been taken down from the site",
    )
}

fn unknown() -> ApiError {
    ApiError::not_found("published op-ed")
}

/// Published op-eds, the latest publication first.
#[utoipa::path(get, path = "/api/v1/public/opeds", tag = "public", params(PublicListQuery,
        ("If-None-Match" = Option<String>, Header, description = "ETags the client holds; 304 when one is current"),
        ("If-Modified-Since" = Option<String>, Header, description = "An HTTP date; 304 when nothing changed since")),
    responses(
        (status = 200, body = PublicPage, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "The client's copy is current", headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 422, description = "`cursor` or `limit` is not valid: code `invalid_field`"),
    ))]
pub async fn index(
    query: web::Query<PublicListQuery>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = paging::limit(query.limit, DEFAULT_LIMIT)?;
    let cursor = paging::cursor(query.cursor.as_deref())?;
    let site = state.site.clone();
    let (validators, page) = public_db(&state, move |conn| {
        let mut rows = store::page(conn, cursor, limit)?;
        let retracted = store::latest_retraction(conn)?;
        let next_cursor = paging::finish_page(&mut rows, limit, |row| Cursor {
            received_at: row.published_at.unwrap_or_default(),
            id: row.id,
        });
        let validators = Validators::digest(
            rows.iter()
                .map(|row| format!("{}:{}", row.id, row.version))
                .chain([
                    format!("next:{next_cursor:?}"),
                    format!("retracted:{retracted:?}"),
                ]),
            latest(rows.iter().map(|row| row.updated_at), retracted),
        );
        let items = rows
            .iter()
            .filter_map(|row| PublicSummary::from_row(row, &site))
            .collect();
        Ok((validators, PublicPage { items, next_cursor }))
    })
    .await?;
    if validators.is_fresh(&request) {
        return Ok(validators.not_modified());
    }
    Ok(validators.ok().json(page))
}

/// One published op-ed by its slug.
#[utoipa::path(get, path = "/api/v1/public/opeds/{slug}", tag = "public",
    params(("slug" = String, Path, description = "The piece's slug, as in its URL",
            example = "why-libya-needs-a-unified-budget"),
        ("If-None-Match" = Option<String>, Header, description = "ETags the client holds; 304 when one is current"),
        ("If-Modified-Since" = Option<String>, Header, description = "An HTTP date; 304 when nothing changed since")),
    responses(
        (status = 200, body = PublicOpinion, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "The client's copy is current", headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 404, description = "No published op-ed has this slug: code `not_found`"),
        (status = 410, description = "The op-ed was published and has been taken down: code `retracted`"),
    ))]
pub async fn show(
    slug: web::Path<String>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    if slug.len() > MAX_SLUG_BYTES {
        return Err(unknown());
    }
    if is_conditional(&request) {
        // A cheap look first: a client that holds the current state gets its
        // 304 without the text being read, sanitised or serialised.
        let wanted = slug.clone();
        let lookup = public_db(&state, move |conn| Ok(store::freshness(conn, &wanted)?)).await?;
        match lookup {
            Lookup::Published(fresh) => {
                let validators = Validators::new(fresh.version, fresh.updated_at);
                if validators.is_fresh(&request) {
                    return Ok(validators.not_modified());
                }
            }
            Lookup::Retracted => return Err(gone()),
            Lookup::Unknown => return Err(unknown()),
        }
    }
    let site = state.site.clone();
    let lookup = public_db(&state, move |conn| {
        Ok(match store::by_slug(conn, &slug)? {
            Lookup::Published(row) => PublicOpinion::from_row(&row, &site)
                .map(|opinion| (Validators::new(row.version, row.updated_at), opinion))
                .map_or(Lookup::Unknown, Lookup::Published),
            Lookup::Retracted => Lookup::Retracted,
            Lookup::Unknown => Lookup::Unknown,
        })
    })
    .await?;
    match lookup {
        Lookup::Published((validators, opinion)) => Ok(validators.ok().json(opinion)),
        Lookup::Retracted => Err(gone()),
        Lookup::Unknown => Err(unknown()),
    }
}

/// The Atom 1.0 feed of the latest published op-eds.
///
/// Every reader asks for the same document, so the last one made is kept
/// (`FeedCache`) and served again while its ETag is current: a request costs
/// one small query, and the pieces are read, sanitised and rendered only
/// after something changed.
#[utoipa::path(get, path = "/feed.atom", tag = "public",
    params(("If-None-Match" = Option<String>, Header, description = "ETags the client holds; 304 when one is current"),
        ("If-Modified-Since" = Option<String>, Header, description = "An HTTP date; 304 when nothing changed since")),
    responses(
        (status = 200, content_type = "application/atom+xml", body = String,
            description = "An Atom 1.0 feed (RFC 4287) of the latest 50 published op-eds",
            headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "The client's copy is current", headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 503, description = "The database is unavailable; retry after `Retry-After` seconds: code `temporarily_unavailable`"),
    ))]
pub async fn feed(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let validators = public_db(&state, |conn| {
        let rows = store::latest_versions(conn, FEED_LENGTH)?;
        let retracted = store::latest_retraction(conn)?;
        Ok(feed_validators(
            rows.iter().map(|(id, version, _)| (*id, *version)),
            rows.iter().map(|(_, _, updated)| *updated),
            retracted,
        ))
    })
    .await?;
    if validators.is_fresh(&request) {
        return Ok(validators.not_modified());
    }
    if let Some(xml) = state.feed.get(&validators.etag) {
        return Ok(validators.ok().content_type(feed::CONTENT_TYPE).body(xml));
    }
    let site = state.site.clone();
    let (validators, xml) = public_db(&state, move |conn| {
        let rows = store::latest(conn, FEED_LENGTH)?;
        let retracted = store::latest_retraction(conn)?;
        let validators = feed_validators(
            rows.iter().map(|row| (row.id, row.version)),
            rows.iter().map(|row| row.updated_at),
            retracted,
        );
        let pieces: Vec<PublicOpinion> = rows
            .iter()
            .filter_map(|row| PublicOpinion::from_row(row, &site))
            .collect();
        let xml = web::Bytes::from(feed::render(&site, &pieces, validators.last_modified));
        Ok((validators, xml))
    })
    .await?;
    state.feed.put(&validators.etag, xml.clone());
    Ok(validators.ok().content_type(feed::CONTENT_TYPE).body(xml))
}

fn feed_validators(
    versions: impl Iterator<Item = (i64, i32)>,
    updated: impl Iterator<Item = DateTime<Utc>>,
    retracted: Option<DateTime<Utc>>,
) -> Validators {
    Validators::digest(
        versions
            .map(|(id, version)| format!("{id}:{version}"))
            .chain([format!("retracted:{retracted:?}")]),
        latest(updated, retracted),
    )
}

/// The latest of `times` and `retracted`; the epoch when there is neither.
fn latest(
    times: impl Iterator<Item = DateTime<Utc>>,
    retracted: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    times.chain(retracted).max().unwrap_or(DateTime::UNIX_EPOCH)
}
