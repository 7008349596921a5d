//! Op-Ed Desk: every email to the op-ed address becomes one recorded outcome,
//! and submissions move through the editorial workflow.
//!
//! The pure core (`intake::parse`, `intake::classify`, `intake::draft`) turns raw
//! mail into decisions without touching the database, clock or network; the
//! shell (`intake::store`, `api`, `cli`) does the I/O around it.

pub mod api;
pub mod app;
pub mod auth;
pub mod author_link;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod desk;
pub mod domain;
pub mod email;
pub mod imap;
pub mod intake;
pub mod jobs;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod outbox;
pub mod public;
pub mod publishing;
pub mod schema;
pub mod secret;
pub mod startup;
pub mod submissions;
pub mod telemetry;
pub mod text;
pub mod wordpress;
pub mod workflow;
