//! The WordPress worker: makes each piece one post on the site's WordPress,
//! event by event, claimed from the outbox like a webhook (in order per
//! piece, `FOR UPDATE SKIP LOCKED`, the outcome recorded in the same
//! transaction).
//!
//! `opinion.published` and `opinion.updated` make the post match the
//! piece; `opinion.unpublished` takes it off the site. Exactly one post per
//! piece: the post's id is kept (`wordpress::store`), and when it is not
//! (a crash after WordPress answered and before our commit), the post is
//! looked for by our slug among the posts of our WordPress user before a
//! new one is made.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::deliveries::later_delivery;
use super::retry::{mark_dead, mark_delivered, record_failure};
use super::{JobOutcome, OutboxJob, claim_due};
use crate::config::{PostStatus, Takedown, WordpressConfig};
use crate::domain::{DeliveryState, OutboxId, OutboxKind, SubmissionId, WebhookEvent};
use crate::jobs::Task;
use crate::publishing::view::PublicOpinion;
use crate::wordpress::client::{Client, ClientSetupError, Post, WordpressError};
use crate::wordpress::{post, store};

/// The site's WordPress and what publishing makes of a post there.
pub struct WordpressPublisher {
    client: Client,
    description: String,
    status: PostStatus,
    takedown: Takedown,
    category: Option<String>,
    /// Asked once per process: our user's id and the category's.
    known: Mutex<Known>,
}

#[derive(Default)]
struct Known {
    author: Option<i64>,
    category: Option<i64>,
}

impl WordpressPublisher {
    pub fn new(config: &WordpressConfig) -> Result<WordpressPublisher, ClientSetupError> {
        Ok(WordpressPublisher {
            client: Client::new(config)?,
            description: config.describe(),
            status: config.status,
            takedown: config.unpublish,
            category: config.category.clone(),
            known: Mutex::new(Known::default()),
        })
    }

    /// For the start-up log: the site and the user, never the password.
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn author(&self) -> Result<i64, WordpressError> {
        if let Some(id) = self.known().author {
            return Ok(id);
        }
        let id = self.client.me()?.id;
        self.known().author = Some(id);
        Ok(id)
    }

    /// The configured category's id, made when missing.
    fn category(&self) -> Result<Option<i64>, WordpressError> {
        let Some(name) = &self.category else {
            return Ok(None);
        };
        if let Some(id) = self.known().category {
            return Ok(Some(id));
        }
        let id = match self.client.find_category(name)? {
            Some(id) => id,
            None => self.client.create_category(name)?,
        };
        self.known().category = Some(id);
        Ok(Some(id))
    }

    /// Makes the piece's post match `piece`: updates the post we know of,
    /// else the one we made before a crash, else makes it. An update keeps
    /// the status WordPress has unless this is a publication.
    fn publish(
        &self,
        piece: &PublicOpinion,
        event: WebhookEvent,
        known: Option<i64>,
    ) -> Result<Post, WordpressError> {
        let category = self.category()?;
        let initial = Some(self.status.as_str());
        let status = (event == WebhookEvent::Published).then_some(self.status.as_str());
        if let Some(id) = known {
            match self
                .client
                .update_post(id, &post::fields(piece, status, category))
            {
                // Deleted inside WordPress: made again below.
                Err(WordpressError::NotFound { .. }) => {}
                answered => return answered,
            }
        }
        if let Some(found) = self.client.find_post(&piece.slug, self.author()?)? {
            return self
                .client
                .update_post(found.id, &post::fields(piece, status, category));
        }
        self.client
            .create_post(&post::fields(piece, initial, category))
    }

    /// Takes the post off the site. `None`: there is no post to take down.
    fn take_down(
        &self,
        piece: Option<&PublicOpinion>,
        known: Option<i64>,
    ) -> Result<Option<Post>, WordpressError> {
        let id = match (known, piece) {
            (Some(id), _) => id,
            (None, Some(piece)) => match self.client.find_post(&piece.slug, self.author()?)? {
                Some(found) => found.id,
                None => return Ok(None),
            },
            (None, None) => return Ok(None),
        };
        let answer = match self.takedown {
            Takedown::Draft => self
                .client
                .update_post(id, &json!({ "status": "draft" }))
                .map(Some),
            Takedown::Trash => self.client.trash_post(id).map(|post| {
                Some(post.unwrap_or(Post {
                    id,
                    link: String::new(),
                    status: "trash".into(),
                    slug: String::new(),
                }))
            }),
        };
        match answer {
            Err(WordpressError::NotFound { .. }) => Ok(None),
            answer => answer,
        }
    }
}

/// Claims the first due WordPress delivery and makes it; like the webhook
/// worker's `run_once`. `Ok(None)`: nothing is due.
pub fn run_once(
    conn: &mut PgConnection,
    publisher: &WordpressPublisher,
    now: DateTime<Utc>,
) -> QueryResult<Option<JobOutcome>> {
    let outcome = conn.transaction(|conn| {
        let Some(job) = claim_due(conn, OutboxKind::Wordpress, now)? else {
            return Ok(None);
        };
        deliver(conn, publisher, &job, now).map(Some)
    })?;
    if let Some(outcome) = &outcome {
        crate::metrics::delivery("wordpress", outcome.result());
    }
    Ok(outcome)
}

fn deliver(
    conn: &mut PgConnection,
    publisher: &WordpressPublisher,
    job: &OutboxJob,
    now: DateTime<Utc>,
) -> QueryResult<JobOutcome> {
    let (Some(submission), Some(event)) = (job.submission_id, WebhookEvent::parse(&job.topic))
    else {
        return mark_dead(conn, job, "not an event about a piece");
    };
    // As for webhooks: an older event due again after a newer one reached
    // WordPress must not undo it.
    if let Some((delivery, event)) = later_delivery(
        conn,
        OutboxKind::Wordpress,
        SubmissionId(submission),
        OutboxId(job.id),
        Some(DeliveryState::Sent),
    )? {
        let reason = format!(
            "superseded: a later event for the piece ({event}, delivery {delivery}) has reached WordPress"
        );
        return mark_dead(conn, job, &reason);
    }
    let piece: Option<PublicOpinion> =
        serde_json::from_value(job.payload["opinion"].clone()).unwrap_or(None);
    let known = store::find(conn, submission)?;
    let answer = match (event, &piece) {
        (WebhookEvent::Unpublished, piece) => {
            publisher.take_down(piece.as_ref(), known.as_ref().map(|post| post.post_id))
        }
        (_, Some(piece)) => publisher
            .publish(piece, event, known.as_ref().map(|post| post.post_id))
            .map(Some),
        (_, None) => return mark_dead(conn, job, "the piece has no public form to post"),
    };
    let post = match answer {
        Ok(post) => post,
        Err(err) => return record_failure(conn, job, &err.to_string(), now),
    };
    let receipt = match &post {
        Some(post) => {
            let link = match (&post.link, &known) {
                (link, Some(known)) if link.is_empty() => known.link.clone(),
                (link, _) => link.clone(),
            };
            store::save(conn, submission, post.id, &link, &post.status, now)?;
            format!("post {} {} {link}", post.id, post.status)
        }
        None => {
            store::forget(conn, submission)?;
            "no post to take down".to_string()
        }
    };
    if let Some(post) = &post
        && post.status == "future"
        && event != WebhookEvent::Unpublished
    {
        // WordPress's clock is behind ours: it would publish the post
        // later. The retry, with our time then past, publishes it.
        let error = format!(
            "WordPress scheduled post {} for later instead of publishing it (its clock is behind ours); tried again",
            post.id
        );
        return record_failure(conn, job, &error, now);
    }
    tracing::info!(job = job.id, event = %job.topic, submission, %receipt, "wordpress post saved");
    mark_delivered(conn, job, receipt, now)
}

/// Runs `run_once` until nothing is due at `now`.
pub fn drain(
    conn: &mut PgConnection,
    publisher: &WordpressPublisher,
    now: DateTime<Utc>,
) -> QueryResult<Vec<JobOutcome>> {
    let mut outcomes = Vec::new();
    while let Some(outcome) = run_once(conn, publisher, now)? {
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The WordPress worker's task.
pub struct WordpressTask {
    pub publisher: WordpressPublisher,
}

impl Task for WordpressTask {
    fn name(&self) -> &'static str {
        "wordpress"
    }

    fn run_once(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<bool> {
        run_once(conn, &self.publisher, now).map(|outcome| outcome.is_some())
    }
}
