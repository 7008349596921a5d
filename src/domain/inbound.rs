//! Mail as the desk records it.

use super::text_enum;

text_enum! {
    /// The one outcome every message gets, in the order they are decided.
    // `inbound_messages.outcome`.
    #[derive(utoipa::ToSchema)]
    pub enum Outcome {
        Quarantined = "quarantined",
        Duplicate = "duplicate",
        IgnoredAuto = "ignored_auto",
        Reply = "reply",
        Submission = "submission",
        Unmatched = "unmatched",
    }
}

text_enum! {
    /// Which way a letter went: `correspondence.direction`.
    pub enum Direction {
        /// The author's reply.
        Inbound = "inbound",
        /// An email from the desk.
        Outbound = "outbound",
    }
}
