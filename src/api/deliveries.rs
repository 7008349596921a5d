//! `/api/v1/deliveries`: the outbox as editors see it (emails to authors,
//! webhooks to the site, posts on its WordPress), and a second chance for a
//! dead one.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::app::caller::Caller;
use crate::app::error::ApiError;
use crate::app::paging;
use crate::auth::Role;
use crate::domain::{DeliveryState, OutboxKind};
use crate::outbox::deliveries::{self, DeliveryFilter, DeliveryRow};

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

#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    /// `email`, `webhook` or `wordpress`.
    #[schema(value_type = String)]
    pub kind: OutboxKind,
    /// The email template, or the event for the site (`opinion.published`, …).
    pub topic: String,
    pub submission_id: Option<i64>,
    /// `pending`, `sent` or `dead`.
    #[schema(value_type = String)]
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub recipient: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRow> for Delivery {
    fn from(row: DeliveryRow) -> Self {
        Delivery {
            id: row.id,
            kind: row.kind,
            topic: row.topic,
            submission_id: row.submission_id,
            state: row.state,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error: row.last_error,
            recipient: row.recipient,
            created_at: row.created_at,
            sent_at: row.sent_at,
        }
    }
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
    let wanted = query
        .state
        .as_deref()
        .map(str::parse::<DeliveryState>)
        .transpose()
        .map_err(|_| ApiError::invalid_field("state", "`pending`, `sent` or `dead`"))?;
    let filter = DeliveryFilter {
        state: wanted,
        submission_id: query.submission_id,
        before: query.before,
        limit: paging::limit(query.limit, DEFAULT_LIMIT)?,
    };
    let (_, rows) = caller
        .db(&state, Role::Editor, move |conn, _| {
            Ok(deliveries::list(conn, &filter)?)
        })
        .await?;
    let rows: Vec<Delivery> = rows.into_iter().map(Delivery::from).collect();
    Ok(HttpResponse::Ok().json(rows))
}

/// Sends a dead delivery again, from its first attempt. A webhook or a
/// WordPress post is a publisher's to retry, and only while no later event
/// for the same piece has been queued: the site never hears an older state
/// after a newer one.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "deliveries", params(("id" = i64, Path)),
    responses((status = 200, body = Delivery),
        (status = 403, description = "A webhook or WordPress post, and the caller is no publisher: code `publisher_only`"),
        (status = 404, description = "No such delivery: code `not_found`"),
        (status = 409, description = "Not dead: code `not_dead`; or a webhook or WordPress post after which a later event for the piece was queued: code `superseded`, the detail names it")),
    security(("bearer" = [])))]
pub async fn retry(
    caller: Caller,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (_, row) = caller
        .db(&state, Role::Editor, move |conn, actor| {
            Ok(deliveries::retry_dead(conn, id, actor.role)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Delivery::from(row)))
}
