//! What the desk says about an act: before it, for the ones hard to undo
//! (a confirmation), after it (what happened, and whether the author was
//! emailed), and when it was refused (beside the field at fault, in the
//! words an editor uses rather than the API's field names).

use crate::app::error::ApiError;
use crate::intake::subject::typed_reference;
use crate::workflow::Action;
use crate::workflow::machine::emails_author;

/// The value a confirmation page posts in `confirmed`.
pub const CONFIRMED: &str = "yes";

/// The acts that end a piece's way to readers, or take it from them: asked
/// twice.
pub fn needs_confirmation(action: Action) -> bool {
    matches!(
        action,
        Action::Reject | Action::Withdraw | Action::Unpublish
    )
}

/// What confirming `action` will do, in a sentence.
pub fn consequence(action: Action) -> &'static str {
    match action {
        Action::Reject => {
            "The piece is rejected and the author is emailed, with your note if you wrote one. \
             It leaves the queue; it can be reopened later."
        }
        Action::Withdraw => {
            "The desk withdraws the piece: it leaves the queue, and the author is not emailed. \
             It can be reopened later."
        }
        Action::Unpublish => {
            "The piece is taken off the site and goes back to approved. Links to it stop working \
             until it is published again."
        }
        _ => "",
    }
}

/// The words of the confirming button: "Yes, reject".
pub fn confirm_label(action: Action) -> &'static str {
    match action {
        Action::Reject => "Yes, reject",
        Action::Withdraw => "Yes, withdraw",
        Action::Unpublish => "Yes, take it down",
        _ => "Yes",
    }
}

/// What an act that is not a transition leaves behind, for the message
/// after it: `?done=` on the piece's address.
pub const NOTE_ADDED: &str = "note";
pub const SAVED: &str = "saved";
pub const TEXT_USED: &str = "text-used";
pub const TEXT_SET_ASIDE: &str = "text-set-aside";
pub const CORRECTED: &str = "corrected";
pub const REASSIGNED: &str = "reassigned";
pub const REVISION_RESTORED: &str = "revision-restored";
/// The inbox's acts, on the inbox's and the new piece's addresses.
pub const DISMISSED: &str = "dismissed";
pub const RESTORED: &str = "restored";
pub const PROMOTED: &str = "promoted";
pub const PROMOTED_UNACKNOWLEDGED: &str = "promoted-unacknowledged";
/// Followed by the piece's reference: `attached-OE-2026-0042`.
pub const ATTACHED_TO: &str = "attached-";

/// `?done=` after a message was filed with the piece `reference`.
pub fn attached_to(reference: &str) -> String {
    format!("{ATTACHED_TO}{reference}")
}

/// The message for `?done=…`; `None` for anything the desk did not send.
pub fn done_message(done: &str) -> Option<String> {
    let fixed = match done {
        NOTE_ADDED => Some("Note added"),
        SAVED => Some("Saved"),
        TEXT_USED => Some("The author's text is now the piece's text"),
        TEXT_SET_ASIDE => Some("The author's text was set aside"),
        CORRECTED => Some("Correction added — readers and the site see it"),
        REASSIGNED => Some("Reassigned"),
        REVISION_RESTORED => {
            Some("Revision restored — it is the piece's text again, kept as a new revision")
        }
        DISMISSED => Some("Dismissed — it is kept under “Dismissed”"),
        RESTORED => Some("Restored — it waits in the inbox again"),
        PROMOTED => Some("Made a piece — the author was acknowledged"),
        PROMOTED_UNACKNOWLEDGED => Some(
            "Made a piece — the author was not acknowledged (the sender failed the check, \
             or the acknowledgement limit was reached)",
        ),
        _ => None,
    };
    if let Some(fixed) = fixed {
        return Some(fixed.to_string());
    }
    // Only a reference the desk itself could have written is repeated.
    if let Some(reference) = done
        .strip_prefix(ATTACHED_TO)
        .and_then(typed_reference)
        .filter(|reference| done == attached_to(reference))
    {
        return Some(format!(
            "Attached to {reference} — it is on the piece's correspondence"
        ));
    }
    let action: Action = done.parse().ok()?;
    let what = match action {
        Action::StartReview => "Review started",
        Action::RequestChanges => "Changes requested",
        Action::Approve => "Approved",
        Action::Reject => "Rejected",
        Action::ReturnToReview => "Back in review",
        Action::Schedule => "Scheduled",
        Action::Unschedule => "Unscheduled",
        Action::Publish => "Published",
        Action::Unpublish => "Taken down: it is no longer on the site",
        Action::Withdraw => "Withdrawn",
        Action::Reopen => "Reopened",
        Action::Hold => {
            return Some(
                "Held: the desk answers later — the author was emailed the new date".into(),
            );
        }
        Action::AuthorWithdraw => return None,
    };
    Some(if emails_author(action) {
        format!("{what} — the author was emailed")
    } else {
        what.to_string()
    })
}

/// A refused act as the desk shows it beside its form: the field at fault
/// (`note`, `publish_at`, or none for the act as a whole) and why.
pub fn refusal(err: &ApiError) -> (Option<&'static str>, String) {
    let message = match (err.field, err.code) {
        (Some("publish_at"), "invalid_field") if err.detail.contains("future") => {
            "That time has already passed: choose a later one.".to_string()
        }
        (Some("publish_at"), _) => "Choose when it is published.".to_string(),
        (Some("note"), "invalid_field") => "This needs a note: write one.".to_string(),
        (Some("reference"), "unknown_reference") => {
            format!(
                "{}: check it on the piece's page.",
                capitalised(&err.detail)
            )
        }
        (Some("reference"), _) => "Type a piece's reference, such as OE-2026-0042.".to_string(),
        (Some("note"), _) => "The author has not confirmed that the piece is exclusive: \
                              say in the note why it goes ahead."
            .to_string(),
        _ => err.detail.replace('`', ""),
    };
    (err.field, message)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::WorkflowError;

    #[test]
    fn after_approve_the_desk_says_the_author_was_emailed() {
        assert_eq!(
            done_message("approve").as_deref(),
            Some("Approved — the author was emailed")
        );
        assert_eq!(done_message("withdraw").as_deref(), Some("Withdrawn"));
        assert_eq!(done_message("note").as_deref(), Some("Note added"));
        assert_eq!(done_message("<script>"), None);
        assert_eq!(done_message("author_withdraw"), None);
    }

    #[test]
    fn after_an_inbox_act_the_desk_says_what_became_of_the_mail() {
        assert_eq!(
            done_message(&attached_to("OE-2026-0042")).as_deref(),
            Some("Attached to OE-2026-0042 — it is on the piece's correspondence")
        );
        assert_eq!(done_message("attached-<b>"), None);
        assert_eq!(done_message("attached-oe-2026-0042"), None);
        assert_eq!(
            done_message(PROMOTED).as_deref(),
            Some("Made a piece — the author was acknowledged")
        );
        assert!(done_message(DISMISSED).unwrap().starts_with("Dismissed"));
    }

    #[test]
    fn a_past_publication_time_is_refused_in_an_editors_words() {
        let (field, message) = refusal(&ApiError::from(WorkflowError::PublishAtInPast));
        assert_eq!(field, Some("publish_at"));
        assert_eq!(message, "That time has already passed: choose a later one.");
        let (field, message) = refusal(&ApiError::from(WorkflowError::MissingField {
            action: Action::Unpublish,
            field: "note",
        }));
        assert_eq!(field, Some("note"));
        assert!(!message.contains('`'));
        let (field, _) = refusal(&ApiError::from(WorkflowError::ExclusivityUnconfirmed {
            action: Action::Publish,
        }));
        assert_eq!(field, Some("note"));
    }

    #[test]
    fn only_the_acts_hard_to_undo_are_confirmed() {
        assert!(needs_confirmation(Action::Reject));
        assert!(needs_confirmation(Action::Withdraw));
        assert!(needs_confirmation(Action::Unpublish));
        assert!(!needs_confirmation(Action::Approve));
    }
}
