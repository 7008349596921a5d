//! The outbox as editors read it, and a second chance for a dead delivery.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::auth::Role;
use crate::domain::{DeliveryState, OutboxId, OutboxKind, SubmissionId};
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
    /// A webhook or a WordPress post changes what readers see: a
    /// publisher's to send again.
    #[error(
        "only a publisher retries a webhook or a WordPress post: it changes what the site shows"
    )]
    PublisherOnly,
    /// A later event for the same piece has been queued since; sent now,
    /// this one would undo it on the site.
    #[error(
        "a later event for the piece has been queued since ({event}, delivery {delivery}): this older one would undo it on the site"
    )]
    Superseded { delivery: OutboxId, event: String },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Makes dead delivery `id` due again now, from its first attempt, for
/// someone with `role`. A webhook is a publisher's to retry, and only while
/// it is the piece's latest event: the site must never hear an older state
/// after a newer one.
pub fn retry_dead(conn: &mut PgConnection, id: i64, role: Role) -> Result<DeliveryRow, RetryError> {
    conn.transaction(|conn| {
        let (kind, state, submission_id): (OutboxKind, DeliveryState, Option<i64>) = outbox::table
            .find(id)
            .select((outbox::kind, outbox::state, outbox::submission_id))
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(RetryError::NotFound)?;
        let site_event = matches!(kind, OutboxKind::Webhook | OutboxKind::Wordpress);
        if site_event && !role.includes(Role::Publisher) {
            return Err(RetryError::PublisherOnly);
        }
        if state != DeliveryState::Dead {
            return Err(RetryError::NotDead);
        }
        if let (true, Some(submission)) = (site_event, submission_id)
            && let Some((delivery, event)) =
                later_delivery(conn, kind, SubmissionId(submission), OutboxId(id), None)?
        {
            return Err(RetryError::Superseded { delivery, event });
        }
        Ok(diesel::update(outbox::table.find(id))
            .set((
                outbox::state.eq(DeliveryState::Pending),
                outbox::attempts.eq(0),
                outbox::next_attempt_at.eq(diesel::dsl::now),
            ))
            .returning(DeliveryRow::as_returning())
            .get_result(conn)?)
    })
}

/// The newest delivery of `kind` (a webhook, a WordPress post) about piece
/// `submission` queued after delivery `after` (only those in `state`, when
/// given): its id and event.
pub fn later_delivery(
    conn: &mut PgConnection,
    kind: OutboxKind,
    submission: SubmissionId,
    after: OutboxId,
    state: Option<DeliveryState>,
) -> QueryResult<Option<(OutboxId, String)>> {
    let mut later = outbox::table
        .filter(outbox::kind.eq(kind))
        .filter(outbox::submission_id.eq(submission))
        .filter(outbox::id.gt(after))
        .select((outbox::id, outbox::topic))
        .into_boxed();
    if let Some(state) = state {
        later = later.filter(outbox::state.eq(state));
    }
    later.order(outbox::id.desc()).first(conn).optional()
}
