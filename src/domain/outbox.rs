//! What waits in the outbox, and how far its delivery got.

use super::text_enum;

text_enum! {
    /// `outbox.kind`: who delivers the row.
    pub enum OutboxKind {
        /// An email to the author (`outbox::worker`).
        Email = "email",
        /// An event to the site (`outbox::webhook`).
        Webhook = "webhook",
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
