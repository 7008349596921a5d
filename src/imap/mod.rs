//! The third door: a hosted mailbox read over IMAP (`OPED_IMAP_URL`).
//!
//! `poller` records each message through the same intake as `oped ingest`
//! and the HTTP door, with the mailbox's (UIDVALIDITY, last UID) in
//! `state`; `connection` opens the session (TLS, login); `check` is
//! `oped imap check`.

pub mod check;
pub mod connection;
pub mod poller;
pub mod state;

pub use connection::{ErrorKind, MailboxError};
pub use poller::{Failpoints, Poller};
