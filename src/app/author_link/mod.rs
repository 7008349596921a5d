//! The author's status link as every door serves it.

pub mod limiter;
