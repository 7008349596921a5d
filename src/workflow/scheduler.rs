//! Publishes scheduled pieces when their time comes, as a publisher would:
//! the same transition, the same effects (the site is told, the author gets
//! the link), with no user in the history row. When none is due, it
//! releases a piece whose response window closed (`window::release_due`).
//!
//! Exactly once with any number of workers: the due row is claimed with
//! `FOR UPDATE SKIP LOCKED`, and the transition checks the state under that
//! lock, so a second worker either skips the row or finds it published.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::service::{Initiator, apply_claimed};
use super::{Action, State, TransitionRequest};
use crate::jobs::Task;
use crate::publishing::Site;
use crate::schema::submissions;

/// Publishes the first due scheduled piece; its id, or `None` when nothing
/// is due at `now`.
pub fn publish_due(
    conn: &mut PgConnection,
    site: &Site,
    now: DateTime<Utc>,
) -> QueryResult<Option<i64>> {
    conn.transaction(|conn| {
        let Some(id) = submissions::table
            .filter(submissions::state.eq(State::Scheduled))
            .filter(submissions::publish_at.le(now))
            .order((submissions::publish_at.asc(), submissions::id.asc()))
            .limit(1)
            .for_update()
            .skip_locked()
            .select(submissions::id)
            .first::<i64>(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let request = TransitionRequest::default();
        let published = apply_claimed(
            conn,
            id,
            Action::Publish,
            request,
            Initiator::Scheduler,
            site,
            now,
        )?;
        if published {
            tracing::info!(submission = id, "scheduled piece published");
        }
        Ok(published.then_some(id))
    })
}

/// The scheduler's task.
pub struct SchedulerTask {
    pub site: Site,
}

impl Task for SchedulerTask {
    fn name(&self) -> &'static str {
        "scheduler"
    }

    fn run_once(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<bool> {
        if publish_due(conn, &self.site, now)?.is_some() {
            return Ok(true);
        }
        Ok(super::window::release_due(conn, &self.site, now)?.is_some())
    }
}
