//! What the author is told of their piece: a coarse status, never the desk's
//! workflow in detail, its notes or its people. Pure.

use serde::Serialize;
use utoipa::ToSchema;

pub use crate::domain::NO_DISCLOSURE;
use crate::domain::State;

/// Where the piece stands, in the author's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoarseStatus {
    /// Arrived; nobody has taken it up yet (or it is back with the author
    /// for changes).
    Received,
    UnderReview,
    /// Approved for publication; no date yet.
    Accepted,
    /// Due to be published at `scheduled_for`.
    Scheduled,
    /// On the site, at `public_url`.
    Published,
    Declined,
    /// The response window closed before a decision: the author may place
    /// it elsewhere.
    Released,
    Withdrawn,
}

impl CoarseStatus {
    /// `released`: the piece was rejected by no person (the response
    /// window's scheduler), which is how a release is recorded.
    pub fn of(state: State, released: bool) -> CoarseStatus {
        match state {
            State::Draft => CoarseStatus::Received,
            State::InReview => CoarseStatus::UnderReview,
            State::Approved => CoarseStatus::Accepted,
            State::Scheduled => CoarseStatus::Scheduled,
            State::Published => CoarseStatus::Published,
            State::Rejected if released => CoarseStatus::Released,
            State::Rejected => CoarseStatus::Declined,
            State::Withdrawn => CoarseStatus::Withdrawn,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CoarseStatus::Received => "received",
            CoarseStatus::UnderReview => "under_review",
            CoarseStatus::Accepted => "accepted",
            CoarseStatus::Scheduled => "scheduled",
            CoarseStatus::Published => "published",
            CoarseStatus::Declined => "declined",
            CoarseStatus::Released => "released",
            CoarseStatus::Withdrawn => "withdrawn",
        }
    }

    /// In a sentence, for the author's page.
    pub fn describe(self) -> &'static str {
        match self {
            CoarseStatus::Received => "Received: it is waiting for an editor.",
            CoarseStatus::UnderReview => "Under review by an editor.",
            CoarseStatus::Accepted => "Accepted for publication.",
            CoarseStatus::Scheduled => "Accepted and scheduled for publication.",
            CoarseStatus::Published => "Published.",
            CoarseStatus::Declined => "Declined. Thank you for thinking of us.",
            CoarseStatus::Released => {
                "Released: we could not decide in time, and you are free to offer it elsewhere."
            }
            CoarseStatus::Withdrawn => "Withdrawn.",
        }
    }
}

/// The states in which the author's answers on exclusivity and disclosure
/// may still change: until a publisher has scheduled or published the
/// piece on the strength of them, or the piece is closed.
pub fn declaration_open(state: State) -> bool {
    matches!(state, State::Draft | State::InReview | State::Approved)
}

/// The disclosure as kept: trimmed; "none" in any case is `none`.
pub fn normalise_disclosure(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.trim_end_matches('.').eq_ignore_ascii_case("none") {
        NO_DISCLOSURE.to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_its_coarse_status() {
        let expected = [
            (State::Draft, "received"),
            (State::InReview, "under_review"),
            (State::Approved, "accepted"),
            (State::Scheduled, "scheduled"),
            (State::Published, "published"),
            (State::Rejected, "declined"),
            (State::Withdrawn, "withdrawn"),
        ];
        for (state, name) in expected {
            let status = CoarseStatus::of(state, false);
            assert_eq!(status.as_str(), name);
            assert_eq!(serde_json::to_value(status).unwrap(), name);
        }
        assert_eq!(
            CoarseStatus::of(State::Rejected, true),
            CoarseStatus::Released
        );
    }

    #[test]
    fn none_is_none_however_written() {
        for none in ["none", " None ", "NONE.", "none."] {
            assert_eq!(normalise_disclosure(none), NO_DISCLOSURE);
        }
        assert_eq!(
            normalise_disclosure("  I advise the ministry. "),
            "I advise the ministry."
        );
        assert_eq!(normalise_disclosure("none of note"), "none of note");
    }
}
