//! The floor for the editor API benchmark (`bench/api`): what the detail
//! must read, and nothing else. In one statement, the caller's account by
//! primary key (the spec wants its standing checked on every request, so
//! that deactivating it ends its sessions at once) and the submission's row
//! by primary key; through a pool like `oped serve`'s (the product's own
//! `db::pool`, as many connections and blocking threads, `web::block`), on
//! the same actix-web runtime, sent back as JSON with every column: a row of
//! the same size as the detail's, with no token, no middleware, no gates and
//! no shaping. What `GET /api/v1/submissions/{id}` costs above this is the
//! product's own work.
//!
//! Not part of the product: `bench/api` starts it beside `oped serve`.
//!
//!   DATABASE_URL=postgres://postgres@127.0.0.1:5432/db API_FLOOR_ACCOUNT=1 \
//!   API_FLOOR_BIND=127.0.0.1:8181 target/release/examples/api_floor
//!
//! `GET /floor/{id}` answers 200 with the row as JSON, 404 when there is no
//! such piece, 403 when the account `API_FLOOR_ACCOUNT` (a `users.id`) is
//! missing or inactive.
//!
//! With `API_FLOOR_GATE=N`, a request first takes one of N permits of a FIFO
//! (fair) async semaphore before it enters `web::block`: an experiment on
//! whether waiting for a pooled connection inside the blocking pool, where
//! r2d2's wake-ups are not first come first served, is what makes the tail.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use oped::auth::models::AccountStanding;
use oped::db::models::Submission;
use oped::db::{self, PgPool};
use oped::schema::{submissions, users};
use oped::secret::Secret;
use tokio::sync::Semaphore;

/// The same timeout as `oped serve` (src/cli.rs); the pool size is
/// `OPED_DB_POOL_SIZE`, or `oped serve`'s default of twice the cores.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);

struct Floor {
    pool: PgPool,
    gate: Option<Arc<Semaphore>>,
    /// The caller: the account whose standing every request reads.
    account: i64,
}

async fn floor(floor: web::Data<Floor>, id: web::Path<i64>) -> HttpResponse {
    let _permit = match &floor.gate {
        Some(gate) => match gate.clone().acquire_owned().await {
            Ok(permit) => Some(permit),
            Err(err) => return HttpResponse::InternalServerError().body(err.to_string()),
        },
        None => None,
    };
    let pool = floor.pool.clone();
    let account = floor.account;
    let id = id.into_inner();
    let found = web::block(
        move || -> Result<Option<(AccountStanding, Option<Submission>)>, String> {
            let mut conn = pool.get().map_err(|err| err.to_string())?;
            // Driven by the account's row, as the detail's statement is.
            users::table
                .filter(users::id.eq(account))
                .left_join(submissions::table.on(submissions::id.eq(id)))
                .select((
                    AccountStanding::as_select(),
                    Option::<Submission>::as_select(),
                ))
                .get_result(&mut conn)
                .optional()
                .map_err(|err| err.to_string())
        },
    )
    .await;
    match found {
        Ok(Ok(Some((standing, _)))) if !standing.active => HttpResponse::Forbidden().finish(),
        Ok(Ok(Some((_, Some(row))))) => HttpResponse::Ok().json(as_json(row)),
        Ok(Ok(Some((_, None)))) => HttpResponse::NotFound().finish(),
        Ok(Ok(None)) => HttpResponse::Forbidden().finish(),
        Ok(Err(err)) => HttpResponse::ServiceUnavailable().body(err),
        Err(err) => HttpResponse::InternalServerError().body(err.to_string()),
    }
}

/// Every column, as they are: what the row weighs on the wire.
fn as_json(row: Submission) -> serde_json::Value {
    serde_json::json!({
        "id": row.id, "reference": row.reference, "state": row.state, "title": row.title,
        "author_name": row.author_name, "author_email": row.author_email,
        "received_at": row.received_at, "message_id": row.message_id,
        "body_text": row.body_text, "body_html": row.body_html, "cover_note": row.cover_note,
        "word_count": row.word_count, "auth_verdict": row.auth_verdict,
        "suspicious": row.suspicious, "inbound_message_id": row.inbound_message_id,
        "version": row.version, "created_at": row.created_at, "updated_at": row.updated_at,
        "standfirst": row.standfirst, "slug": row.slug, "author_bio": row.author_bio,
        "tags": row.tags, "assignee_id": row.assignee_id, "publish_at": row.publish_at,
        "revised_at": row.revised_at, "published_at": row.published_at,
        "retracted_at": row.retracted_at,
    })
}

fn main() -> std::io::Result<()> {
    let url =
        std::env::var("DATABASE_URL").map_err(|_| std::io::Error::other("set DATABASE_URL"))?;
    let bind: SocketAddr = std::env::var("API_FLOOR_BIND")
        .unwrap_or_else(|_| "127.0.0.1:8181".into())
        .parse()
        .map_err(|err| std::io::Error::other(format!("API_FLOOR_BIND: {err}")))?;
    if !bind.ip().is_loopback() {
        return Err(std::io::Error::other(
            "API_FLOOR_BIND must be a loopback address",
        ));
    }
    let gate = match std::env::var("API_FLOOR_GATE") {
        Ok(permits) => {
            Some(Arc::new(Semaphore::new(permits.parse().map_err(
                |err| std::io::Error::other(format!("API_FLOOR_GATE: {err}")),
            )?)))
        }
        Err(_) => None,
    };
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let pool_size: u32 = match std::env::var("OPED_DB_POOL_SIZE") {
        Ok(size) => size
            .parse()
            .map_err(|err| std::io::Error::other(format!("OPED_DB_POOL_SIZE: {err}")))?,
        Err(_) => u32::try_from(cores * 2).unwrap_or(4),
    };
    let pool = db::pool(&Secret::new(url), pool_size, POOL_TIMEOUT);
    let account: i64 = std::env::var("API_FLOOR_ACCOUNT")
        .map_err(|_| std::io::Error::other("set API_FLOOR_ACCOUNT to the caller's users.id"))?
        .parse()
        .map_err(|err| std::io::Error::other(format!("API_FLOOR_ACCOUNT: {err}")))?;
    // One gate for the whole process, like the pool.
    let state = web::Data::new(Floor {
        pool,
        gate,
        account,
    });
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/floor/{id}", web::get().to(floor))
        })
        .workers(cores)
        .worker_max_blocking_threads(pool_size as usize)
        .bind(bind)?
        .run()
        .await
    })
}
