//! Why a change to a piece was not made: one error for every write to a
//! piece (an edit, a proposal's decision, a correction, a hold, a
//! transition's own checks), so the doors map each refusal once.

use chrono::{DateTime, Utc};

use crate::domain::{ProposalStatus, State};

#[derive(Debug, thiserror::Error)]
pub enum PieceError {
    #[error("no such submission")]
    NotFound,
    /// The client saw another version (`lock::Locked::at`).
    #[error("the submission changed: it is at version {current}")]
    Stale { current: i32 },
    /// What readers see (a scheduled or published piece) changes only
    /// through a publisher (`edit::may_edit`).
    #[error(
        "the piece is {state}: its text and fields are what readers see, and only a publisher changes them"
    )]
    PublisherOnly { state: State },
    #[error("another submission has this slug")]
    SlugTaken,
    #[error("the piece has been published: its slug no longer changes")]
    SlugLocked,
    #[error("no such proposal for this submission")]
    NoSuchProposal,
    #[error("the proposal was already {status}")]
    ProposalDecided { status: ProposalStatus },
    #[error("only a published piece is corrected; this one is {state}")]
    NotPublished { state: State },
    #[error("a hold needs a note saying why")]
    MissingNote,
    #[error("only a piece in `draft` or `in_review` can be held; this one is `{state}`")]
    NotOpen { state: State },
    #[error("the piece was already held on {held_at}: a window is extended once")]
    AlreadyHeld { held_at: DateTime<Utc> },
    #[error("the assignee is not an active user")]
    UnknownAssignee,
    /// Only a piece still on its way to readers has someone answering for it.
    #[error("a {state} piece is not assigned: only one on its way to readers is")]
    NotAssignable { state: State },
    #[error("no such revision of this submission")]
    NoSuchRevision,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}
