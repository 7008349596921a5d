//! The webhook worker: tells the site what changed, one due event at a time,
//! claimed from the outbox like an email (`FOR UPDATE SKIP LOCKED`, sent while
//! the row is locked, the outcome recorded in the same transaction).
//!
//! Each POST carries `Oped-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<raw body>">` keyed with `OPED_WEBHOOK_SECRET`: the site recomputes
//! it over the bytes it received and refuses a mismatch, and refuses an old
//! `t` (a replay). Delivery is at least once; `Oped-Delivery` names the
//! outbox row so the site can ignore a repeat. Redirects are not followed: a
//! webhook goes where it was configured to go, nowhere else.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::deliveries::later_delivery;
use super::retry::{mark_dead, mark_delivered, record_failure};
use super::{JobOutcome, OutboxJob, claim_due};
use crate::domain::{DeliveryState, OutboxId, OutboxKind, SubmissionId};
use crate::jobs::Task;
use crate::secret::Secret;

pub const SIGNATURE_HEADER: &str = "Oped-Signature";
pub const EVENT_HEADER: &str = "Oped-Event";
pub const DELIVERY_HEADER: &str = "Oped-Delivery";

/// A receiver gets this long to answer; a slow one is retried later.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a refusing receiver's answer is kept in `last_error`.
const MAX_ANSWER_BYTES: u64 = 300;

/// `t=<unix seconds>,v1=<hex of HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Where webhooks go.
pub enum WebhookSender {
    /// `OPED_PUBLISH_WEBHOOK_URL`, signed with `OPED_WEBHOOK_SECRET`.
    Http {
        url: url::Url,
        secret: Secret<String>,
        client: reqwest::blocking::Client,
    },
    /// No URL configured: each event is written as `<id>-<event>.json` under
    /// this directory, so a newcomer sees what the site would be told.
    Files { dir: PathBuf },
    /// Kept in memory: for tests that read what the site would be told,
    /// where a real receiver is not the point.
    Memory(MemoryWebhooks),
}

/// Webhooks kept in memory instead of sent; clones share the events.
#[derive(Debug, Clone, Default)]
pub struct MemoryWebhooks(Arc<Mutex<Vec<SentWebhook>>>);

/// One event as it would have been POSTed.
#[derive(Debug, Clone)]
pub struct SentWebhook {
    /// `Oped-Event`: `opinion.published`, …
    pub event: String,
    /// `Oped-Delivery`: the outbox row.
    pub delivery: i64,
    pub body: serde_json::Value,
}

impl MemoryWebhooks {
    /// Every event delivered so far, oldest first.
    pub fn sent(&self) -> Vec<SentWebhook> {
        self.0
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot prepare webhooks: {0}")]
pub struct WebhookSetupError(String);

impl WebhookSender {
    pub fn http(url: url::Url, secret: Secret<String>) -> Result<Self, WebhookSetupError> {
        let client = reqwest::blocking::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("oped/", env!("CARGO_PKG_VERSION"), " (webhooks)"))
            .build()
            .map_err(|err| WebhookSetupError(err.to_string()))?;
        Ok(WebhookSender::Http {
            url,
            secret,
            client,
        })
    }

    pub fn files(dir: &Path) -> Result<Self, WebhookSetupError> {
        std::fs::create_dir_all(dir)
            .map_err(|err| WebhookSetupError(format!("{}: {err}", dir.display())))?;
        Ok(WebhookSender::Files {
            dir: dir.to_path_buf(),
        })
    }

    /// For the start-up log: never the secret, nor the URL's credentials
    /// or query (either may hold a token).
    pub fn describe(&self) -> String {
        match self {
            WebhookSender::Http { url, .. } => {
                format!("POST {}", crate::secret::loggable_url(url))
            }
            WebhookSender::Files { dir } => format!("files in {}", dir.display()),
            WebhookSender::Memory(_) => "memory".into(),
        }
    }

    /// Delivers one event; `Ok` holds the receipt, `Err` why it failed.
    fn deliver(&self, job: &OutboxJob, body: &[u8]) -> Result<String, String> {
        match self {
            WebhookSender::Http {
                url,
                secret,
                client,
            } => {
                // The signature says when it was sent: the real clock.
                let signed = signature(secret.expose().as_bytes(), Utc::now().timestamp(), body);
                let response = client
                    .post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(SIGNATURE_HEADER, signed)
                    .header(EVENT_HEADER, &job.topic)
                    .header(DELIVERY_HEADER, job.id.to_string())
                    .body(body.to_vec())
                    .send()
                    // The URL may hold a token: errors do not repeat it.
                    .map_err(|err| err.without_url().to_string())?;
                let status = response.status();
                if status.is_success() {
                    return Ok(format!("HTTP {}", status.as_u16()));
                }
                let mut answer = String::new();
                let _ = response.take(MAX_ANSWER_BYTES).read_to_string(&mut answer);
                let redirect = if status.is_redirection() {
                    " (redirects are not followed)"
                } else {
                    ""
                };
                Err(format!(
                    "HTTP {}{redirect}: {}",
                    status.as_u16(),
                    answer.trim()
                ))
            }
            WebhookSender::Files { dir } => {
                let path = dir.join(format!("{}-{}.json", job.id, job.topic));
                std::fs::write(&path, body)
                    .map(|()| format!("written to {}", path.display()))
                    .map_err(|err| format!("{}: {err}", path.display()))
            }
            WebhookSender::Memory(kept) => {
                let body = serde_json::from_slice(body).map_err(|err| err.to_string())?;
                kept.0
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner())
                    .push(SentWebhook {
                        event: job.topic.clone(),
                        delivery: job.id,
                        body,
                    });
                Ok("kept in memory".into())
            }
        }
    }
}

/// Claims the first due webhook and delivers it; like the email worker's
/// `run_once`. `Ok(None)`: nothing is due.
pub fn run_once(
    conn: &mut PgConnection,
    sender: &WebhookSender,
    now: DateTime<Utc>,
) -> QueryResult<Option<JobOutcome>> {
    let outcome = conn.transaction(|conn| {
        let Some(job) = claim_due(conn, OutboxKind::Webhook, now)? else {
            return Ok(None);
        };
        // Events for one piece go in order (`claim_due`); should an older one
        // be due again all the same (a row revived by hand), the site has
        // heard a newer state since, and the older must not undo it.
        if let Some(submission) = job.submission_id {
            let newer = later_delivery(
                conn,
                OutboxKind::Webhook,
                SubmissionId(submission),
                OutboxId(job.id),
                Some(DeliveryState::Sent),
            )?;
            if let Some((delivery, event)) = newer {
                let reason = format!(
                    "superseded: a later event for the piece ({event}, delivery {delivery}) has reached the site"
                );
                return mark_dead(conn, &job, &reason).map(Some);
            }
        }
        let body = match serde_json::to_vec(&job.payload) {
            Ok(body) => body,
            Err(err) => return mark_dead(conn, &job, &err.to_string()).map(Some),
        };
        match sender.deliver(&job, &body) {
            Ok(receipt) => {
                tracing::info!(job = job.id, event = %job.topic, submission = job.submission_id, %receipt, "webhook delivered");
                mark_delivered(conn, &job, receipt, now).map(Some)
            }
            Err(error) => record_failure(conn, &job, &error, now).map(Some),
        }
    })?;
    if let Some(outcome) = &outcome {
        crate::metrics::delivery("webhook", outcome.result());
    }
    Ok(outcome)
}

/// Runs `run_once` until nothing is due at `now`.
pub fn drain(
    conn: &mut PgConnection,
    sender: &WebhookSender,
    now: DateTime<Utc>,
) -> QueryResult<Vec<JobOutcome>> {
    let mut outcomes = Vec::new();
    while let Some(outcome) = run_once(conn, sender, now)? {
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The webhook worker's task.
pub struct WebhookTask {
    pub sender: WebhookSender,
}

impl Task for WebhookTask {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn run_once(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<bool> {
        run_once(conn, &self.sender, now).map(|outcome| outcome.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            signature(b"secret", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
    }
}
