//! Accounts, passwords, tokens and login throttling.

pub mod accounts;
pub mod desk_sessions;
pub mod models;
pub mod password;
pub mod refresh;
mod role;
pub mod secret_file;
pub mod throttle;
pub mod tokens;

pub use role::{Actor, Role, UnknownRole};
