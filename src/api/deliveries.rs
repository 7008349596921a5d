//! `/api/v1/deliveries`: the outbox as editors see it (emails to authors,
//! webhooks to the site), and a second chance for a dead one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::extract::Caller;
use super::{AppState, paging};
use crate::auth::Role;
use crate::schema::outbox;

const DEFAULT_LIMIT: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/deliveries", web::get().to(index))
        .route("/deliveries/{id}/retry", web::post().to(retry));
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `pending`, `sent` or `dead`.
    state: Option<String>,
    submission_id: Option<i64>,
    /// Only deliveries with an id below this one (the last id of the previous page).
    before: Option<i64>,
    /// 1 to 100, default 50.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Delivery {
    pub id: i64,
    /// `email` or `webhook`.
    pub kind: String,
    /// The email template or webhook event.
    pub topic: String,
    pub submission_id: Option<i64>,
    /// `pending`, `sent` or `dead`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub recipient: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "deliveries", params(DeliveriesQuery),
    responses((status = 200, body = Vec<Delivery>), (status = 401), (status = 422)),
    security(("bearer" = [])))]
pub async fn index(
    caller: Caller,
    query: web::Query<DeliveriesQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    if let Some(wanted) = query.state.as_deref()
        && !matches!(wanted, "pending" | "sent" | "dead")
    {
        return Err(ApiError::invalid_field(
            "state",
            "`pending`, `sent` or `dead`",
        ));
    }
    let limit = paging::limit(query.limit, DEFAULT_LIMIT)?;
    let (_, rows) = caller
        .db(&state, Role::Editor, move |conn, _| {
            let mut listing = outbox::table.select(Delivery::as_select()).into_boxed();
            if let Some(wanted) = query.state {
                listing = listing.filter(outbox::state.eq(wanted));
            }
            if let Some(submission) = query.submission_id {
                listing = listing.filter(outbox::submission_id.eq(submission));
            }
            if let Some(before) = query.before {
                listing = listing.filter(outbox::id.lt(before));
            }
            Ok(listing.order(outbox::id.desc()).limit(limit).load(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Sends a dead delivery again, from its first attempt.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "deliveries", params(("id" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn retry(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (_, row) = caller
        .db(&state, Role::Editor, move |conn, _| {
            let revived = diesel::update(outbox::table.find(id).filter(outbox::state.eq("dead")))
                .set((
                    outbox::state.eq("pending"),
                    outbox::attempts.eq(0),
                    outbox::next_attempt_at.eq(diesel::dsl::now),
                ))
                .returning(Delivery::as_returning())
                .get_result(conn)
                .optional()?;
            match revived {
                Some(row) => Ok(row),
                None => {
                    let exists: bool = diesel::select(diesel::dsl::exists(outbox::table.find(id)))
                        .get_result(conn)?;
                    Err(if exists {
                        ApiError::new(
                            StatusCode::CONFLICT,
                            "not_dead",
                            "only a dead delivery can be retried",
                        )
                    } else {
                        ApiError::not_found("delivery")
                    })
                }
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(row))
}
