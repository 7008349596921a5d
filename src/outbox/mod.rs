//! Side effects leave through the outbox: rows written in the same
//! transaction as the change that causes them, delivered later by workers,
//! so a rolled-back change sends nothing and a committed one is never lost.

pub mod deliveries;
pub mod retry;
pub mod webhook;
pub mod wordpress;
pub mod worker;

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use serde_json::json;

pub use retry::MAX_ATTEMPTS;

pub use crate::db::models::OutboxJob;

use crate::domain::{DeliveryState, OutboxKind, WebhookEvent};
use crate::publishing::Site;
use crate::publishing::store as public_store;
use crate::publishing::view::PublicOpinion;
use crate::schema::outbox;

/// What a worker did with the job it claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Sent {
        job_id: i64,
        /// The Message-ID of an email; the HTTP status of a webhook.
        receipt: String,
    },
    /// Sending failed; the job is due again at `next_attempt_at`.
    Retry {
        job_id: i64,
        attempts: i32,
        next_attempt_at: DateTime<Utc>,
        error: String,
    },
    /// The job will not be tried again: it failed `MAX_ATTEMPTS` times, or it
    /// can never be delivered (its submission is gone, a bad address).
    Dead { job_id: i64, reason: String },
}

impl JobOutcome {
    /// `sent`, `retried` or `dead`: how the metrics count it.
    pub fn result(&self) -> &'static str {
        match self {
            JobOutcome::Sent { .. } => "sent",
            JobOutcome::Retry { .. } => "retried",
            JobOutcome::Dead { .. } => "dead",
        }
    }
}

/// Locks the first due pending job of `kind` for the
/// caller's transaction, skipping rows another worker holds: the row lock is
/// the claim. `None`: nothing of that kind is due at `now`.
///
/// Site events (webhooks, WordPress posts) about one submission go out in
/// the order they were queued: one waits while an earlier one of its kind
/// for the same piece is pending (retrying, or in another worker's hands).
/// Otherwise a retried `opinion.published` could reach the site after the
/// `opinion.unpublished` that followed it, and put a retracted piece back
/// up. A dead one no longer holds the rest back.
///
/// The author's `published` email waits, at most `PUBLISHED_EMAIL_WAIT`,
/// for the piece's WordPress post, so that it links to the post.
pub fn claim_due(
    conn: &mut PgConnection,
    kind: OutboxKind,
    now: DateTime<Utc>,
) -> QueryResult<Option<OutboxJob>> {
    // Bound, not written into the SQL: the states and kinds are named once.
    let not_behind_an_earlier_event = sql::<Bool>("(outbox.kind NOT IN (")
        .bind::<Text, _>(OutboxKind::Webhook)
        .sql(", ")
        .bind::<Text, _>(OutboxKind::Wordpress)
        .sql(") OR NOT EXISTS (SELECT 1 FROM outbox earlier WHERE earlier.kind = outbox.kind")
        .sql(" AND earlier.state = ")
        .bind::<Text, _>(DeliveryState::Pending)
        .sql(" AND earlier.submission_id = outbox.submission_id AND earlier.id < outbox.id))");
    let not_waiting_for_the_post = sql::<Bool>("(outbox.topic <> 'published' OR outbox.kind <> ")
        .bind::<Text, _>(OutboxKind::Email)
        .sql(" OR NOT EXISTS (SELECT 1 FROM outbox post WHERE post.kind = ")
        .bind::<Text, _>(OutboxKind::Wordpress)
        .sql(" AND post.state = ")
        .bind::<Text, _>(DeliveryState::Pending)
        .sql(" AND post.submission_id = outbox.submission_id AND post.created_at > ")
        .bind::<diesel::sql_types::Timestamptz, _>(now - PUBLISHED_EMAIL_WAIT)
        .sql("))");
    outbox::table
        .filter(outbox::kind.eq(kind))
        .filter(outbox::state.eq(DeliveryState::Pending))
        .filter(outbox::next_attempt_at.le(now))
        .filter(not_behind_an_earlier_event)
        .filter(not_waiting_for_the_post)
        .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
        .limit(1)
        .for_update()
        .skip_locked()
        .select(OutboxJob::as_select())
        .first(conn)
        .optional()
}

/// How long the author's `published` email waits for WordPress to take the
/// post; after that it links to the piece at `OPED_SITE_URL`.
pub const PUBLISHED_EMAIL_WAIT: chrono::Duration = chrono::Duration::minutes(10);

/// An email to the submission's author, rendered from `template` when sent.
pub fn enqueue_email(
    conn: &mut PgConnection,
    submission_id: i64,
    template: &str,
    note: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq(OutboxKind::Email),
            outbox::topic.eq(template),
            outbox::submission_id.eq(submission_id),
            outbox::payload.eq(json!({ "template": template, "note": note })),
        ))
        .execute(conn)?;
    Ok(())
}

/// A new status link for the author, after an editor revoked the old one:
/// `author_token` in clear, as in the acknowledgement.
pub fn enqueue_author_link(
    conn: &mut PgConnection,
    submission_id: i64,
    author_token: &str,
) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq(OutboxKind::Email),
            outbox::topic.eq("author_link"),
            outbox::submission_id.eq(submission_id),
            outbox::payload.eq(json!({ "template": "author_link", "author_token": author_token })),
        ))
        .execute(conn)?;
    Ok(())
}

/// A free-form message from an editor to the author.
pub fn enqueue_message(
    conn: &mut PgConnection,
    submission_id: i64,
    subject: &str,
    body: &str,
) -> QueryResult<i64> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq(OutboxKind::Email),
            outbox::topic.eq("message"),
            outbox::submission_id.eq(submission_id),
            outbox::payload.eq(json!({ "template": "message", "subject": subject, "body": body })),
        ))
        .returning(outbox::id)
        .get_result(conn)
}

/// A webhook event to the site about a submission, and the same event for
/// the site's WordPress when it has one. The body is written now, in the
/// transaction of the change: it carries the public representation as that
/// change left it, and every retry sends the same bytes.
pub fn enqueue_webhook(
    conn: &mut PgConnection,
    submission_id: i64,
    event: WebhookEvent,
    site: &Site,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let row = public_store::by_id(conn, submission_id)?;
    let body = json!({
        "event": event.as_str(),
        "occurred_at": now,
        "opinion": PublicOpinion::from_row(&row, site),
    });
    let kinds: &[OutboxKind] = if site.wordpress {
        &[OutboxKind::Webhook, OutboxKind::Wordpress]
    } else {
        &[OutboxKind::Webhook]
    };
    for kind in kinds {
        diesel::insert_into(outbox::table)
            .values((
                outbox::kind.eq(kind),
                outbox::topic.eq(event.as_str()),
                outbox::submission_id.eq(submission_id),
                outbox::payload.eq(&body),
                outbox::created_at.eq(now),
                outbox::next_attempt_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The files of a submission whose text could not be read when no document
/// became the article: the acknowledgement asks the author for a format
/// the desk reads (a `.docx`, or the text in the email).
fn unread_documents(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Vec<String>> {
    use crate::schema::attachments;
    let files: Vec<(Option<String>, bool, Option<String>)> = attachments::table
        .filter(attachments::submission_id.eq(submission_id))
        .order(attachments::n)
        .select((
            attachments::filename,
            attachments::is_article,
            attachments::extraction_error,
        ))
        .load(conn)?;
    if files.iter().any(|(_, is_article, _)| *is_article) {
        return Ok(Vec::new());
    }
    Ok(files
        .into_iter()
        .filter(|(_, _, error)| error.is_some())
        .map(|(name, _, _)| name.unwrap_or_else(|| "an attachment without a name".into()))
        .collect())
}

/// How many acknowledgements leave in an hour: per address, so someone
/// mailing us in a loop (or forging a victim's address) gets a few answers,
/// not one per message; and in all, so a flood from many addresses cannot
/// turn the desk into a spam cannon.
#[derive(Debug, Clone, Copy)]
pub struct AcknowledgementLimits {
    pub per_sender_per_hour: u32,
    pub total_per_hour: u32,
}

/// Queues the acknowledgement of a new submission to `recipient`, unless the
/// hour before `now` already used up one of the `limits`. Returns whether
/// one was queued. `author_token` is the author's status-link token in
/// clear, which the email carries.
///
/// Call it in the transaction that records the submission. Addresses are
/// compared case-insensitively, as the people behind them are.
pub fn enqueue_acknowledgement(
    conn: &mut PgConnection,
    submission_id: i64,
    recipient: &str,
    author_token: &str,
    limits: AcknowledgementLimits,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let recipient = recipient.trim().to_lowercase();
    if limits.per_sender_per_hour == 0 || limits.total_per_hour == 0 || recipient.is_empty() {
        return Ok(false);
    }
    // One statement, since every new submission runs it. The advisory lock
    // serialises concurrent intakes for one address (two MTA deliveries at
    // once), so both cannot see "2 of 3" and make it 4; the counts refer to
    // the lock's row, so they are made after it is held. The desk-wide cap
    // is not serialised: concurrent intakes may overshoot it by the few
    // transactions in flight, which a cap against floods from many addresses
    // can afford, and no intake waits on another.
    let queued = diesel::sql_query(
        "WITH serialised AS ( \
           SELECT 1 AS held FROM pg_advisory_xact_lock(hashtextextended($1, 7))) \
         INSERT INTO outbox (kind, topic, submission_id, payload, recipient, created_at, next_attempt_at) \
         SELECT $8, 'acknowledgement', $2, $3, $1, $4, $4 \
         FROM serialised s \
         WHERE (SELECT count(*) FROM outbox o WHERE s.held = 1 AND o.topic = 'acknowledgement' \
                  AND o.recipient = $1 AND o.created_at > $5) < $6 \
           AND (SELECT count(*) FROM outbox o WHERE s.held = 1 AND o.topic = 'acknowledgement' \
                  AND o.created_at > $5) < $7",
    )
    .bind::<diesel::sql_types::Text, _>(&recipient)
    .bind::<diesel::sql_types::BigInt, _>(submission_id)
    .bind::<diesel::sql_types::Jsonb, _>(json!({
        "template": "acknowledgement",
        "author_token": author_token,
        "unread_documents": unread_documents(conn, submission_id)?,
    }))
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Timestamptz, _>(now - chrono::Duration::hours(1))
    .bind::<diesel::sql_types::BigInt, _>(i64::from(limits.per_sender_per_hour))
    .bind::<diesel::sql_types::BigInt, _>(i64::from(limits.total_per_hour))
    .bind::<diesel::sql_types::Text, _>(OutboxKind::Email)
    .execute(conn)?;
    Ok(queued == 1)
}
