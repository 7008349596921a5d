//! The outcome of a message, from what was read off its bytes and the few
//! facts the database holds about it. Pure: `store` looks the facts up and
//! writes what is decided here.

use super::Outcome;
use super::auth_results::AuthVerdict;
use super::draft::SubmissionDraft;
use crate::submissions::similar::Similar;
use crate::workflow::State;

/// The submission a reply answers, as it stands when the reply is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thread {
    pub submission_id: i64,
    pub state: State,
}

/// Outcomes in the spec's order; quarantine and duplicates are settled
/// before (they need no more than the bytes and the dedup key).
pub fn outcome(automatic: Option<&str>, thread: Option<Thread>, has_marker: bool) -> Outcome {
    match (automatic, thread, has_marker) {
        (Some(_), _, _) => Outcome::IgnoredAuto,
        (None, Some(_), _) => Outcome::Reply,
        (None, None, true) => Outcome::Submission,
        (None, None, false) => Outcome::Unmatched,
    }
}

/// From this similarity a new piece is taken for a resend of the same
/// author's piece that is still open: filed with it, not reviewed twice.
pub const RESEND_FROM: f32 = 0.8;

/// The open piece (`draft`, `in_review`: its response window still running)
/// that a new piece from `sender` resends, if any, with their similarity.
/// Only the same author's: a near-copy from someone else is a new piece that
/// editors see flagged, not a reply.
pub fn resend_of(sender: &str, similar: &[Similar]) -> Option<(Thread, f32)> {
    similar
        .iter()
        .filter(|piece| piece.similarity >= RESEND_FROM)
        .filter(|piece| matches!(piece.state, State::Draft | State::InReview))
        .find(|piece| piece.author_email.eq_ignore_ascii_case(sender))
        .map(|piece| {
            let thread = Thread {
                submission_id: piece.id,
                state: piece.state,
            };
            (thread, piece.similarity)
        })
}

/// What a reply does to the text of the piece it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyText {
    /// No new text came with it: it is correspondence only.
    Unchanged,
    /// The new text replaces the piece's, as a revision.
    Apply,
    /// The new text waits for an editor to accept or discard it.
    Propose,
}

/// A reply's new text is applied at once only while nobody outside the
/// desk can see the piece (`draft`, `in_review`) and only when the sender is
/// authenticated as its author; anything else waits for an editor, because
/// a `From:` line is easy to forge and mail must never change what readers
/// see.
pub fn reply_text(state: State, draft: &SubmissionDraft) -> ReplyText {
    if !draft.article_from_document {
        return ReplyText::Unchanged;
    }
    let open = matches!(state, State::Draft | State::InReview);
    if open && draft.authentication.verdict == AuthVerdict::Pass {
        ReplyText::Apply
    } else {
        ReplyText::Propose
    }
}

/// An acknowledgement goes to a new submission's sender unless their
/// address failed DMARC: the mail is kept for editors, but the address is
/// probably someone else's, and we do not write to forgery victims.
pub fn acknowledge(draft: &SubmissionDraft) -> bool {
    !draft.authentication.suspicious
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::auth_results::SenderAuthentication;

    fn draft(with_document: bool, verdict: AuthVerdict) -> SubmissionDraft {
        SubmissionDraft {
            title: "T".into(),
            body_text: "text".into(),
            body_html: "<p>text</p>".into(),
            cover_note: None,
            word_count: 1,
            attachments: Vec::new(),
            article_from_document: with_document,
            byline_suggestion: None,
            authentication: SenderAuthentication {
                verdict,
                suspicious: verdict == AuthVerdict::Fail,
            },
        }
    }

    #[test]
    fn outcomes_follow_the_spec_order() {
        let thread = Some(Thread {
            submission_id: 1,
            state: State::Draft,
        });
        assert_eq!(
            outcome(Some("auto-submitted"), thread, true),
            Outcome::IgnoredAuto
        );
        assert_eq!(outcome(None, thread, true), Outcome::Reply);
        assert_eq!(outcome(None, None, true), Outcome::Submission);
        assert_eq!(outcome(None, None, false), Outcome::Unmatched);
    }

    #[test]
    fn only_an_authenticated_author_changes_an_open_piece_at_once() {
        for state in [State::Draft, State::InReview] {
            assert_eq!(
                reply_text(state, &draft(true, AuthVerdict::Pass)),
                ReplyText::Apply
            );
            for verdict in [AuthVerdict::None, AuthVerdict::Fail] {
                assert_eq!(reply_text(state, &draft(true, verdict)), ReplyText::Propose);
            }
        }
    }

    #[test]
    fn mail_never_changes_what_readers_may_see() {
        for state in [
            State::Approved,
            State::Scheduled,
            State::Published,
            State::Rejected,
            State::Withdrawn,
        ] {
            assert_eq!(
                reply_text(state, &draft(true, AuthVerdict::Pass)),
                ReplyText::Propose,
                "{state:?}"
            );
        }
    }

    #[test]
    fn a_reply_without_a_document_is_correspondence() {
        assert_eq!(
            reply_text(State::Draft, &draft(false, AuthVerdict::Pass)),
            ReplyText::Unchanged
        );
    }

    #[test]
    fn forged_senders_are_not_acknowledged() {
        assert!(acknowledge(&draft(false, AuthVerdict::None)));
        assert!(acknowledge(&draft(false, AuthVerdict::Pass)));
        assert!(!acknowledge(&draft(false, AuthVerdict::Fail)));
    }

    fn similar(id: i64, author: &str, state: State, similarity: f32) -> Similar {
        Similar {
            id,
            reference: format!("OE-2026-{id:04}"),
            author_email: author.into(),
            state,
            similarity,
        }
    }

    #[test]
    fn a_resend_is_the_same_authors_open_piece_and_nobody_elses() {
        let found = [
            similar(1, "someone@else.example", State::Draft, 0.99),
            similar(2, "amal@example.net", State::Published, 0.97),
            similar(3, "Amal@Example.NET", State::InReview, 0.93),
            similar(4, "amal@example.net", State::Draft, 0.85),
        ];
        let (thread, similarity) = resend_of("amal@example.net", &found).unwrap();
        assert_eq!(thread.submission_id, 3);
        assert_eq!(similarity, 0.93);
        assert_eq!(
            resend_of(
                "amal@example.net",
                &[similar(5, "amal@example.net", State::Draft, 0.7)]
            ),
            None,
            "similar is not the same piece"
        );
        assert_eq!(resend_of("nobody@example.org", &found), None);
    }
}
