//! The floor for the editor API benchmark (`bench/api`): one primary-key
//! SELECT through the same pool as `oped serve` (the product's own
//! `db::pool`, 16 connections, `web::block`), on the same actix-web runtime,
//! with no auth, no middleware and no JSON shaping. What `GET
//! /api/v1/submissions/{id}` costs above this is the product's own work.
//!
//! Not part of the product: `bench/api` starts it beside `oped serve`.
//!
//!   DATABASE_URL=postgres://postgres@127.0.0.1:5432/db \
//!   API_FLOOR_BIND=127.0.0.1:8181 target/release/examples/api_floor
//!
//! `GET /floor/{id}` answers 200 with the id as text, or 404.
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
use oped::db::{self, PgPool};
use oped::schema::submissions;
use oped::secret::Secret;
use tokio::sync::Semaphore;

/// The same numbers as `oped serve` (src/cli.rs).
const POOL_SIZE: u32 = 16;
const POOL_TIMEOUT: Duration = Duration::from_secs(5);

struct Floor {
    pool: PgPool,
    gate: Option<Arc<Semaphore>>,
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
    let id = id.into_inner();
    let found = web::block(move || -> Result<Option<i64>, String> {
        let mut conn = pool.get().map_err(|err| err.to_string())?;
        submissions::table
            .find(id)
            .select(submissions::id)
            .first::<i64>(&mut conn)
            .optional()
            .map_err(|err| err.to_string())
    })
    .await;
    match found {
        Ok(Ok(Some(id))) => HttpResponse::Ok().body(id.to_string()),
        Ok(Ok(None)) => HttpResponse::NotFound().finish(),
        Ok(Err(err)) => HttpResponse::ServiceUnavailable().body(err),
        Err(err) => HttpResponse::InternalServerError().body(err.to_string()),
    }
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
    let pool = db::pool(&Secret::new(url), POOL_SIZE, POOL_TIMEOUT);
    // One gate for the whole process, like the pool.
    let state = web::Data::new(Floor { pool, gate });
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/floor/{id}", web::get().to(floor))
        })
        .bind(bind)?
        .run()
        .await
    })
}
