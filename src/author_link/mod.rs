//! The author's status link: authors never log in, so each acknowledgement
//! carries a private link (a bearer token for one submission) where the
//! author sees where the piece stands, withdraws it, and answers the desk's
//! two questions: is it exclusive, and what should readers know about the
//! author's interests.
//!
//! `token` and `status` are pure; `store` keeps the links and the answers;
//! `service` is what the author's page does, through the workflow for a
//! withdrawal, so the state machine and the history stay the one source of
//! rules.

pub mod service;
pub mod status;
pub mod store;
pub mod token;

/// The most an author may write in a disclosure.
pub const MAX_DISCLOSURE_CHARS: usize = 2_000;

/// The most an author may write as the reason for a withdrawal.
pub const MAX_REASON_CHARS: usize = 1_000;
