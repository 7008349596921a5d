//! A submission's state and the actions that move it (`workflow::machine`
//! holds the rules), where its texts come from, and how its sender was
//! authenticated.

use super::text_enum;

text_enum! {
    // `submissions.state`. (No doc comment: it would become the schema's
    // description in the OpenAPI document.)
    #[derive(utoipa::ToSchema)]
    pub enum State {
        Draft = "draft",
        InReview = "in_review",
        Approved = "approved",
        Scheduled = "scheduled",
        Published = "published",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
}

text_enum! {
    // What editors (or the scheduler) do to a piece: `submission_history.action`.
    #[derive(utoipa::ToSchema)]
    pub enum Action {
        StartReview = "start_review",
        RequestChanges = "request_changes",
        Approve = "approve",
        Reject = "reject",
        ReturnToReview = "return_to_review",
        Schedule = "schedule",
        Unschedule = "unschedule",
        Publish = "publish",
        Unpublish = "unpublish",
        Withdraw = "withdraw",
        Reopen = "reopen",
        // Extends the response window once; the state stays (`workflow::window`).
        Hold = "hold",
    }
}

text_enum! {
    /// The sender-authentication verdict (`intake::auth_results`):
    /// `submissions.auth_verdict`, and the `sender_verdict` of a revision or
    /// a proposal from mail.
    pub enum AuthVerdict {
        Pass = "pass",
        Fail = "fail",
        None = "none",
    }
}

text_enum! {
    /// Where a revision's text came from: `submission_revisions.source`.
    pub enum RevisionSource {
        /// The text the piece arrived with.
        Email = "email",
        /// The author's reply.
        Reply = "reply",
        Editor = "editor",
    }
}

text_enum! {
    /// A text from the author's mail that waits for an editor:
    /// `proposed_revisions.status`.
    pub enum ProposalStatus {
        Pending = "pending",
        Accepted = "accepted",
        Discarded = "discarded",
    }
}
