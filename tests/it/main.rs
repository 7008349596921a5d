//! The integration tests, in one binary: the harness (`common`) and the
//! dependencies are compiled and linked once, not once per file. Each module
//! is one capability, tested the way a user meets it.
//!
//! `cargo test --test it <module>::` runs one module's tests.

mod common;

mod auth;
mod author_link;
mod cli_ingest;
mod corpus;
mod correspondence_api;
mod desk;
mod embedded_serve;
mod extraction;
mod http_inbound;
mod imap_intake;
mod inbox;
mod intake_rules;
mod leaks;
mod metrics;
mod migrations;
mod near_duplicates;
mod outbox_email;
mod parse_fuzz;
mod pool;
mod public_api;
mod publishing_jobs;
mod real_mail;
mod replica;
mod reply_proposals;
mod response_window;
mod revisions_and_assignees;
mod search;
mod submissions_api;
mod users;
mod wordpress_publishing;
mod wrapped_mail;
