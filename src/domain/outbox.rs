//! What waits in the outbox, and how far its delivery got.

use super::text_enum;

text_enum! {
    /// `outbox.kind`: who delivers the row.
    pub enum OutboxKind {
        /// An email to the author (`outbox::worker`).
        Email = "email",
        /// An event to the site (`outbox::webhook`).
        Webhook = "webhook",
        /// A post on the site's WordPress (`outbox::wordpress`).
        Wordpress = "wordpress",
    }
}

text_enum! {
    /// `outbox.state`.
    pub enum DeliveryState {
        /// Due at `next_attempt_at`: new, or failed and waiting to be tried again.
        Pending = "pending",
        Sent = "sent",
        /// Given up on; an editor may retry it.
        Dead = "dead",
    }
}

/// What a webhook tells the site: the `event` of its body, its
/// `Oped-Event` header and its outbox row's `topic` (a WordPress delivery's
/// too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookEvent {
    Published,
    Unpublished,
    /// The public form changed: an edit, an accepted text, a correction.
    Updated,
}

impl WebhookEvent {
    pub fn parse(text: &str) -> Option<WebhookEvent> {
        [
            WebhookEvent::Published,
            WebhookEvent::Unpublished,
            WebhookEvent::Updated,
        ]
        .into_iter()
        .find(|event| event.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::Published => "opinion.published",
            WebhookEvent::Unpublished => "opinion.unpublished",
            WebhookEvent::Updated => "opinion.updated",
        }
    }
}

impl std::fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
