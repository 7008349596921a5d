//! The outbox as editors read it, and a second chance for a dead delivery.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::domain::{DeliveryState, OutboxKind};
use crate::schema::outbox;

/// One outbox row, as the deliveries listing shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct DeliveryRow {
    pub id: i64,
    pub kind: OutboxKind,
    pub topic: String,
    pub submission_id: Option<i64>,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub recipient: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub state: Option<DeliveryState>,
    pub submission_id: Option<i64>,
    /// Only rows with an id below this one (the last of the previous page).
    pub before: Option<i64>,
    pub limit: i64,
}

/// Deliveries, newest first.
pub fn list(conn: &mut PgConnection, filter: &DeliveryFilter) -> QueryResult<Vec<DeliveryRow>> {
    let mut listing = outbox::table.select(DeliveryRow::as_select()).into_boxed();
    if let Some(state) = filter.state {
        listing = listing.filter(outbox::state.eq(state));
    }
    if let Some(submission) = filter.submission_id {
        listing = listing.filter(outbox::submission_id.eq(submission));
    }
    if let Some(before) = filter.before {
        listing = listing.filter(outbox::id.lt(before));
    }
    listing
        .order(outbox::id.desc())
        .limit(filter.limit)
        .load(conn)
}

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("no such delivery")]
    NotFound,
    #[error("only a dead delivery can be retried")]
    NotDead,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Makes dead delivery `id` due again now, from its first attempt.
pub fn retry_dead(conn: &mut PgConnection, id: i64) -> Result<DeliveryRow, RetryError> {
    let revived = diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::state.eq(DeliveryState::Dead)),
    )
    .set((
        outbox::state.eq(DeliveryState::Pending),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(diesel::dsl::now),
    ))
    .returning(DeliveryRow::as_returning())
    .get_result(conn)
    .optional()?;
    match revived {
        Some(row) => Ok(row),
        None => {
            let exists: bool =
                diesel::select(diesel::dsl::exists(outbox::table.find(id))).get_result(conn)?;
            Err(if exists {
                RetryError::NotDead
            } else {
                RetryError::NotFound
            })
        }
    }
}
