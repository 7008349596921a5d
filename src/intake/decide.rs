//! The outcome of a message, from what was read off its bytes and the few
//! facts the database holds about it. Pure: `store` looks the facts up and
//! carries out the [`Plan`] decided here.

use super::Outcome;
use super::auth_results::AuthVerdict;
use super::draft::SubmissionDraft;
use crate::domain::SubmissionId;
use crate::submissions::near_duplicates::NearDuplicate;
use crate::text::fingerprint::Fingerprint;
use crate::workflow::State;

/// The submission a reply answers, as it stands when the reply is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thread {
    pub submission_id: SubmissionId,
    pub state: State,
}

/// What a readable message can become, as its bytes alone say: settled when
/// it is prepared, before any database is asked.
#[derive(Debug)]
pub enum Prospect {
    /// Machine mail (an auto-reply, a bounce): kept, never answered; why
    /// it is taken for one.
    Automatic(String),
    /// Mail with the marker, or naming a piece: the text it carries, for a
    /// new piece or a reply.
    Draft(Box<Drafted>),
    /// Neither: it can only wait in the inbox.
    Unaddressed,
}

/// A message's draft, and the fingerprint of its text when it may become a
/// new piece (to find near-duplicates).
#[derive(Debug)]
pub struct Drafted {
    pub draft: SubmissionDraft,
    pub fingerprint: Option<Fingerprint>,
}

/// The piece a message answers, and whether it was found as a resend of
/// it (with their similarity) rather than by its thread or reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Answered {
    pub thread: Thread,
    pub resend: Option<f32>,
}

/// What recording a readable message does: a variant an outcome, each with
/// exactly what carrying it out needs.
#[derive(Debug)]
pub enum Plan<'a> {
    /// Kept, and nothing more.
    IgnoredAuto { reason: &'a str },
    /// Filed with the piece it answers.
    Reply {
        answered: Answered,
        draft: &'a SubmissionDraft,
    },
    /// A new piece.
    Submission { drafted: &'a Drafted },
    /// For an editor to look at in the inbox.
    Unmatched,
}

impl Plan<'_> {
    pub fn outcome(&self) -> Outcome {
        match self {
            Plan::IgnoredAuto { .. } => Outcome::IgnoredAuto,
            Plan::Reply { .. } => Outcome::Reply,
            Plan::Submission { .. } => Outcome::Submission,
            Plan::Unmatched => Outcome::Unmatched,
        }
    }

    /// The outcome's detail, kept with the message: why it is machine
    /// mail, or that a new piece resends an open one.
    pub fn detail(&self) -> Option<String> {
        match self {
            Plan::IgnoredAuto { reason } => Some((*reason).to_string()),
            Plan::Reply {
                answered:
                    Answered {
                        resend: Some(similarity),
                        ..
                    },
                ..
            } => Some(format!(
                "a resend of an open piece ({:.0}% similar)",
                similarity * 100.0
            )),
            Plan::Reply { .. } | Plan::Submission { .. } | Plan::Unmatched => None,
        }
    }
}

/// Outcomes in the spec's order; quarantine and duplicates are settled
/// before (they need no more than the bytes and the dedup key). `answered`
/// is looked up only for a draft.
pub fn plan(prospect: &Prospect, answered: Option<Answered>, has_marker: bool) -> Plan<'_> {
    match (prospect, answered) {
        (Prospect::Automatic(reason), _) => Plan::IgnoredAuto { reason },
        (Prospect::Draft(drafted), Some(answered)) => Plan::Reply {
            answered,
            draft: &drafted.draft,
        },
        (Prospect::Draft(drafted), None) if has_marker => Plan::Submission { drafted },
        (Prospect::Draft(_), None) | (Prospect::Unaddressed, _) => Plan::Unmatched,
    }
}

/// From this similarity a new piece is taken for a resend of the same
/// author's piece that is still open: filed with it, not reviewed twice.
pub const RESEND_FROM: f32 = 0.8;

/// The open piece (`draft`, `in_review`: its response window still running)
/// that a new piece from `sender` resends, if any, with their similarity.
/// Only the same author's: a near-copy from someone else is a new piece that
/// editors see flagged, not a reply.
pub fn resend_of(sender: &str, near_duplicates: &[NearDuplicate]) -> Option<(Thread, f32)> {
    near_duplicates
        .iter()
        .filter(|piece| piece.similarity >= RESEND_FROM)
        .filter(|piece| matches!(piece.state, State::Draft | State::InReview))
        .find(|piece| piece.author_email.eq_ignore_ascii_case(sender))
        .map(|piece| {
            let thread = Thread {
                submission_id: SubmissionId(piece.id),
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

/// What the text of a message an editor files with a piece does to it:
/// the author's is read as their reply would be ([`reply_text`]); anyone
/// else's (a co-author, a translator, the author from another address)
/// never changes the piece by itself and waits for an editor, since the
/// filing says whose piece the mail concerns, not that its sender may
/// rewrite it.
pub fn filed_text(state: State, draft: &SubmissionDraft, from_author: bool) -> ReplyText {
    match reply_text(state, draft) {
        ReplyText::Apply if !from_author => ReplyText::Propose,
        text => text,
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
            letter: "text".into(),
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
        let answered = Some(Answered {
            thread: Thread {
                submission_id: SubmissionId(1),
                state: State::Draft,
            },
            resend: None,
        });
        let automatic = Prospect::Automatic("auto-submitted".into());
        let drafted = Prospect::Draft(Box::new(Drafted {
            draft: draft(false, AuthVerdict::Pass),
            fingerprint: None,
        }));
        let outcome = |prospect, answered, marker| plan(prospect, answered, marker).outcome();
        assert_eq!(outcome(&automatic, answered, true), Outcome::IgnoredAuto);
        assert_eq!(outcome(&drafted, answered, true), Outcome::Reply);
        assert_eq!(outcome(&drafted, None, true), Outcome::Submission);
        assert_eq!(outcome(&drafted, None, false), Outcome::Unmatched);
        assert_eq!(
            outcome(&Prospect::Unaddressed, None, false),
            Outcome::Unmatched
        );
    }

    #[test]
    fn the_detail_says_why_mail_is_automatic_or_that_it_resends_a_piece() {
        let automatic = Prospect::Automatic("Auto-Submitted: auto-replied".into());
        assert_eq!(
            plan(&automatic, None, true).detail().as_deref(),
            Some("Auto-Submitted: auto-replied")
        );
        let drafted = Prospect::Draft(Box::new(Drafted {
            draft: draft(true, AuthVerdict::Pass),
            fingerprint: None,
        }));
        let resend = Answered {
            thread: Thread {
                submission_id: SubmissionId(3),
                state: State::InReview,
            },
            resend: Some(0.93),
        };
        assert_eq!(
            plan(&drafted, Some(resend), true).detail().as_deref(),
            Some("a resend of an open piece (93% similar)")
        );
        let reply = Answered {
            resend: None,
            ..resend
        };
        assert_eq!(plan(&drafted, Some(reply), false).detail(), None);
        assert_eq!(plan(&drafted, None, true).detail(), None);
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

    fn near_duplicate(id: i64, author: &str, state: State, similarity: f32) -> NearDuplicate {
        NearDuplicate {
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
            near_duplicate(1, "someone@else.example", State::Draft, 0.99),
            near_duplicate(2, "amal@example.net", State::Published, 0.97),
            near_duplicate(3, "Amal@Example.NET", State::InReview, 0.93),
            near_duplicate(4, "amal@example.net", State::Draft, 0.85),
        ];
        let (thread, similarity) = resend_of("amal@example.net", &found).unwrap();
        assert_eq!(thread.submission_id, SubmissionId(3));
        assert_eq!(similarity, 0.93);
        assert_eq!(
            resend_of(
                "amal@example.net",
                &[near_duplicate(5, "amal@example.net", State::Draft, 0.7)]
            ),
            None,
            "similar is not the same piece"
        );
        assert_eq!(resend_of("nobody@example.org", &found), None);
    }

    #[test]
    fn a_filed_text_from_anyone_but_the_author_only_waits() {
        let verified = draft(true, AuthVerdict::Pass);
        assert_eq!(filed_text(State::Draft, &verified, true), ReplyText::Apply);
        assert_eq!(
            filed_text(State::Draft, &verified, false),
            ReplyText::Propose
        );
        assert_eq!(
            filed_text(State::Draft, &draft(false, AuthVerdict::Pass), false),
            ReplyText::Unchanged
        );
    }
}
