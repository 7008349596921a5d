//! Submissions as editors see them: reading, listing, editing, notes,
//! corrections.
//! `edit` is pure (what an edit may contain); `store` is the database.

pub mod corrections;
pub mod edit;
pub mod proposals;
pub mod revision;
pub mod search;
pub mod similar;
pub mod store;
pub mod withdrawal;
