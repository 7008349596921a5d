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
    // What editors, the scheduler or the author (through the status link) do
    // to a piece: `submission_history.action`.
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
        AuthorWithdraw = "author_withdraw",
        // Extends the response window once; the state stays (`workflow::window`).
        Hold = "hold",
    }
}

/// `submissions.disclosure` when the author has nothing to disclose: kept,
/// shown to editors, never published.
pub const NO_DISCLOSURE: &str = "none";

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

text_enum! {
    /// What happens to a piece without moving its state, recorded in its
    /// history beside the [`Action`]s.
    pub enum PieceEvent {
        /// The author's mail brought a text that waits for an editor.
        RevisionProposed = "revision_proposed",
        RevisionAccepted = "revision_accepted",
        RevisionDiscarded = "revision_discarded",
        /// The author answered the exclusivity and disclosure questions.
        AuthorDeclared = "author_declared",
        /// The author, who had withdrawn the piece through their status
        /// link, said the desk may consider it again.
        AuthorConsented = "author_consented",
        /// Another editor (or nobody) now answers for the piece.
        Reassigned = "reassigned",
        /// An editor made an earlier revision's title and text current again.
        RevisionRestored = "revision_restored",
    }
}

/// A history row's `action` (`submission_history.action`): a transition of
/// the state machine, or an event that leaves the state as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum HistoryAction {
    Transition(Action),
    Event(PieceEvent),
}

impl HistoryAction {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryAction::Transition(action) => action.as_str(),
            HistoryAction::Event(event) => event.as_str(),
        }
    }
}

impl std::fmt::Display for HistoryAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for HistoryAction {
    type Err = super::UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        name.parse()
            .map(HistoryAction::Transition)
            .or_else(|_| name.parse().map(HistoryAction::Event))
            .map_err(|_| super::UnknownName {
                kind: "HistoryAction",
                name: name.to_string(),
            })
    }
}

impl serde::Serialize for HistoryAction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

super::sql_text!(HistoryAction);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_action_is_a_transition_or_an_event_by_its_one_name() {
        for action in Action::ALL {
            let parsed: HistoryAction = action.as_str().parse().unwrap();
            assert_eq!(parsed, HistoryAction::Transition(action));
        }
        for event in PieceEvent::ALL {
            let parsed: HistoryAction = event.as_str().parse().unwrap();
            assert_eq!(parsed, HistoryAction::Event(event));
            assert!(
                event.as_str().parse::<Action>().is_err(),
                "names never overlap"
            );
        }
        assert!("revision_rewritten".parse::<HistoryAction>().is_err());
    }
}
