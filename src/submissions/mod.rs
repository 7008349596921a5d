//! Submissions as editors see them: reading, listing, editing, notes,
//! corrections.
//! `edit` is pure (what an edit may contain); `store` is the database;
//! every change locks its piece at a version through `lock` and is refused
//! with a `PieceError`.

pub mod assignment;
pub mod corrections;
pub mod edit;
pub mod error;
pub mod history;
pub mod lock;
pub mod near_duplicates;
pub mod proposals;
pub mod restore;
pub mod revision;
pub mod search;
pub mod store;
pub mod withdrawal;

pub use error::PieceError;
