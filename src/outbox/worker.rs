//! The email worker: claims one due email job at a time with `FOR UPDATE SKIP
//! LOCKED`, sends it while holding the row lock, and records the outcome in
//! the same transaction.
//!
//! Why this shape: the row lock is the claim. Another worker (thread or
//! process) skips a locked row, so no two send the same email; a worker that
//! dies mid-send loses its connection, the transaction rolls back, and the job
//! is simply due again, never stranded in a "claimed" state. The one window
//! left is a crash after the SMTP server accepted the message and before the
//! commit: that job is sent again, with the same Message-ID (see
//! `email::compose::message_id_for`). Exactly once is not possible across two
//! systems; this is at least once with the duplicate recognisable.
//!
//! Webhook and WordPress jobs share the table but are not this worker's
//! (see `webhook`, `wordpress`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::retry::{mark_dead, record_failure};
use super::{JobOutcome, OutboxJob, claim_due};
use crate::db::models::{NewCorrespondence, Submission};
use crate::domain::{DeliveryState, Direction, OutboxKind, SubmissionId};
use crate::email::{Composed, Composer, Mailer};
use crate::jobs::Task;
use crate::schema::{correspondence, outbox, submission_thread_ids, submissions};

/// Claims the first due email job and delivers it. `Ok(None)`: nothing is due
/// (or every due job is in another worker's hands). `now` decides what is due
/// and stamps the outcome, so tests can move time forward instead of sleeping.
/// An `Err` is a database failure: the transaction rolled back and the job,
/// if any, is due again.
pub fn run_once(
    conn: &mut PgConnection,
    mailer: &Mailer,
    composer: &Composer,
    now: DateTime<Utc>,
) -> QueryResult<Option<JobOutcome>> {
    let outcome = conn.transaction(|conn| {
        let Some(job) = claim_due(conn, OutboxKind::Email, now)? else {
            return Ok(None);
        };

        let submission = match job.submission_id {
            Some(id) => submissions::table
                .find(id)
                .select(Submission::as_select())
                .first(conn)
                .optional()?,
            None => None,
        };
        let Some(submission) = submission else {
            return mark_dead(conn, &job, "the submission no longer exists").map(Some);
        };
        // The piece's WordPress post, once WordPress has made it public.
        let post = match job.topic.as_str() {
            "published" => crate::wordpress::store::find(conn, submission.id)?,
            _ => None,
        };
        let link = post.as_ref().and_then(|post| post.public_link());
        let composed = match composer.compose_linking(&job, &submission, link, now) {
            Ok(composed) => composed,
            Err(err) => return mark_dead(conn, &job, &err.to_string()).map(Some),
        };
        match mailer.send(&composed.message) {
            Ok(()) => mark_sent(conn, &job, &composed, now).map(Some),
            Err(err) => record_failure(conn, &job, &err.to_string(), now).map(Some),
        }
    })?;
    if let Some(outcome) = &outcome {
        crate::metrics::delivery("email", outcome.result());
    }
    Ok(outcome)
}

/// Runs `run_once` until nothing is due at `now`; returns what each job did.
pub fn drain(
    conn: &mut PgConnection,
    mailer: &Mailer,
    composer: &Composer,
    now: DateTime<Utc>,
) -> QueryResult<Vec<JobOutcome>> {
    let mut outcomes = Vec::new();
    while let Some(outcome) = run_once(conn, mailer, composer, now)? {
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn mark_sent(
    conn: &mut PgConnection,
    job: &OutboxJob,
    composed: &Composed,
    now: DateTime<Utc>,
) -> QueryResult<JobOutcome> {
    diesel::update(outbox::table.find(job.id))
        .set((
            outbox::state.eq(DeliveryState::Sent),
            outbox::attempts.eq(job.attempts + 1),
            outbox::sent_at.eq(now),
            outbox::message_id.eq(&composed.message_id),
            outbox::recipient.eq(&composed.recipient),
        ))
        .execute(conn)?;
    // The author's token was kept in clear only until it left in the email:
    // the job forgets it, and the copy editors read shows no link that
    // would let them act as the author.
    let mut sent_body = composed.body.clone();
    if let Some(token) = composed.author_token.as_deref() {
        diesel::update(outbox::table.find(job.id))
            .set(outbox::payload.eq(outbox::payload.remove("author_token")))
            .execute(conn)?;
        sent_body = sent_body.replace(token, WITHHELD_TOKEN);
    }
    if let Some(submission_id) = job.submission_id {
        // The author's reply names this Message-ID: it attaches to the submission.
        diesel::insert_into(submission_thread_ids::table)
            .values((
                submission_thread_ids::message_id.eq(&composed.message_id),
                submission_thread_ids::submission_id.eq(submission_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        diesel::insert_into(correspondence::table)
            .values(NewCorrespondence {
                submission_id: SubmissionId(submission_id),
                direction: Direction::Outbound,
                inbound_message_id: None,
                subject: Some(&composed.subject),
                body_text: &sent_body,
            })
            .execute(conn)?;
    }
    tracing::info!(
        job = job.id,
        topic = %job.topic,
        submission = job.submission_id,
        message_id = %composed.message_id,
        "email sent"
    );
    Ok(JobOutcome::Sent {
        job_id: job.id,
        receipt: composed.message_id.clone(),
    })
}

/// Stands for the author's token in the sent copy of an email.
pub const WITHHELD_TOKEN: &str = "[the author's private link]";

/// The email worker's task: one due email per call.
pub struct EmailTask {
    pub mailer: Mailer,
    pub composer: Composer,
}

impl Task for EmailTask {
    fn name(&self) -> &'static str {
        "email"
    }

    fn run_once(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<bool> {
        run_once(conn, &self.mailer, &self.composer, now).map(|outcome| outcome.is_some())
    }
}
