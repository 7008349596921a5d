//! Accounts, passwords, tokens and login throttling.

mod role;
pub mod tokens;

pub use role::{Actor, Role, UnknownRole};
