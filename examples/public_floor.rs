//! The floor for the public API benchmark (`bench/public`): the same public
//! JSON from the same database, with nothing else. A piece by its slug and
//! a page of the list, read with the product's own statements
//! (`publishing::store`) and shaped by its own views (`publishing::view`,
//! which sanitise the HTML), through a pool like `oped serve`'s (`db::pool`,
//! as many connections and blocking threads, `web::block`), on the same
//! actix-web runtime. No middleware, no gates, no validators (no ETag, no
//! `Last-Modified`, no 304), no freshness query. What
//! `GET /api/v1/public/opeds…` costs above this is the product's own
//! serving work.
//!
//! Not part of the product: `bench/public` starts it beside `oped serve`,
//! with the same environment (so the same `OPED_SITE_URL` in the links).
//!
//!   DATABASE_URL=postgres://postgres@127.0.0.1:5432/db OPED_JWT_SECRET=… \
//!   PUBLIC_FLOOR_BIND=127.0.0.1:8182 target/release/examples/public_floor
//!
//! `GET /floor/opeds/{slug}` answers 200 with the piece, 410 for a retracted
//! one, 404 otherwise; `GET /floor/opeds?limit=N&cursor=C` answers 200 with
//! the page (`publishing::view::PublicPage`) as the public list does.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use oped::config::Config;
use oped::db::cursor::Cursor;
use oped::db::{self, PgPool};
use oped::publishing::Site;
use oped::publishing::store::{self, Lookup};
use oped::publishing::view::{PublicOpinion, PublicPage, PublicSummary};
use oped::secret::Secret;
use serde::Deserialize;

/// The same timeout as `oped serve` (src/cli.rs).
const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// The public list's default and largest page (src/api/public.rs, paging).
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

struct Floor {
    pool: PgPool,
    site: Site,
}

async fn piece(floor: web::Data<Floor>, slug: web::Path<String>) -> HttpResponse {
    let pool = floor.pool.clone();
    let site = floor.site.clone();
    let slug = slug.into_inner();
    let found = web::block(move || -> Result<Lookup<PublicOpinion>, String> {
        let mut conn = pool.get().map_err(|err| err.to_string())?;
        Ok(
            match store::by_slug(&mut conn, &slug).map_err(|err| err.to_string())? {
                Lookup::Published(row) => {
                    PublicOpinion::from_row(&row, &site).map_or(Lookup::Unknown, Lookup::Published)
                }
                Lookup::Retracted => Lookup::Retracted,
                Lookup::Unknown => Lookup::Unknown,
            },
        )
    })
    .await;
    match found {
        Ok(Ok(Lookup::Published(opinion))) => HttpResponse::Ok().json(opinion),
        Ok(Ok(Lookup::Retracted)) => HttpResponse::Gone().finish(),
        Ok(Ok(Lookup::Unknown)) => HttpResponse::NotFound().finish(),
        Ok(Err(err)) => HttpResponse::ServiceUnavailable().body(err),
        Err(err) => HttpResponse::InternalServerError().body(err.to_string()),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list(floor: web::Data<Floor>, query: web::Query<ListQuery>) -> HttpResponse {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let cursor = match query.cursor.as_deref().map(Cursor::decode) {
        Some(None) => return HttpResponse::UnprocessableEntity().finish(),
        Some(Some(cursor)) => Some(cursor),
        None => None,
    };
    let pool = floor.pool.clone();
    let site = floor.site.clone();
    let page = web::block(move || -> Result<PublicPage, String> {
        let mut conn = pool.get().map_err(|err| err.to_string())?;
        let mut rows = store::page(&mut conn, cursor, limit).map_err(|err| err.to_string())?;
        // One row more than the page tells whether there is a next one.
        let next_cursor = if rows.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
            rows.truncate(rows.len() - 1);
            rows.last().map(|row| {
                Cursor {
                    received_at: row.published_at.unwrap_or_default(),
                    id: row.id,
                }
                .encode()
            })
        } else {
            None
        };
        let items: Vec<PublicSummary> = rows
            .iter()
            .filter_map(|row| PublicSummary::from_row(row, &site))
            .collect();
        Ok(PublicPage { items, next_cursor })
    })
    .await;
    match page {
        Ok(Ok(page)) => HttpResponse::Ok().json(page),
        Ok(Err(err)) => HttpResponse::ServiceUnavailable().body(err),
        Err(err) => HttpResponse::InternalServerError().body(err.to_string()),
    }
}

fn main() -> std::io::Result<()> {
    let config = Config::from_env().map_err(|err| std::io::Error::other(err.to_string()))?;
    let url =
        std::env::var("DATABASE_URL").map_err(|_| std::io::Error::other("set DATABASE_URL"))?;
    let bind: SocketAddr = std::env::var("PUBLIC_FLOOR_BIND")
        .unwrap_or_else(|_| "127.0.0.1:8182".into())
        .parse()
        .map_err(|err| std::io::Error::other(format!("PUBLIC_FLOOR_BIND: {err}")))?;
    if !bind.ip().is_loopback() {
        return Err(std::io::Error::other(
            "PUBLIC_FLOOR_BIND must be a loopback address",
        ));
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    // As `oped serve` sizes its pool (OPED_DB_POOL_SIZE, or twice the cores).
    let pool_size = config.database.pool_size;
    let pool = db::pool(&Secret::new(url), pool_size, POOL_TIMEOUT);
    let state = web::Data::new(Floor {
        pool,
        site: Site::from_config(&config),
    });
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/floor/opeds", web::get().to(list))
                .route("/floor/opeds/{slug}", web::get().to(piece))
        })
        .workers(cores)
        .worker_max_blocking_threads(pool_size as usize)
        .bind(bind)?
        .run()
        .await
    })
}
