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
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::error::ApiError;
use crate::app::freshness::{Validators, is_conditional, latest};
use crate::app::paging;
use crate::app::{AppState, public_db};
use crate::db::cursor::Cursor;
use crate::publishing::store::{self, Lookup};
use crate::publishing::view::{PublicOpinion, PublicPage, PublicSummary};

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
