//! Whom a piece is probably by, when the mail says so: the name on its
//! byline line ("By Jane Doe", "بقلم: فلان"), the sender of a message that
//! forwards it, or both. Editors see it beside the author (who stays the
//! sender) and choose the byline readers get. Pure.

use super::parse::Mailbox;
use crate::text::fold::same_words;

/// Kept on the message row as `{"name": …, "email": …}` (`byline::record`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BylineSuggestion {
    pub name: Option<String>,
    /// The forwarded message's sender; `None` when only the piece's own
    /// byline line names its author.
    pub email: Option<String>,
}

/// The suggestion from the byline line's `name` and the `forwarded` sender,
/// or `None` when it would only name the `sender` again. The byline line
/// is the piece's own word on whom it is by, so its name comes first; the
/// forwarded address stays with it when that sender has no name or the
/// same one (else it is someone else's address: an assistant's, a press
/// office's).
pub fn suggest(
    name: Option<String>,
    forwarded: Option<Mailbox>,
    sender: &Mailbox,
) -> Option<BylineSuggestion> {
    let suggestion = match (name, forwarded) {
        (None, None) => return None,
        (None, Some(forwarded)) => BylineSuggestion {
            name: forwarded.name,
            email: Some(forwarded.email),
        },
        (Some(name), forwarded) => {
            let email = forwarded
                .filter(|forwarded| {
                    forwarded
                        .name
                        .as_deref()
                        .is_none_or(|forwarded_name| same_words(forwarded_name, &name))
                })
                .map(|forwarded| forwarded.email);
            BylineSuggestion {
                name: Some(name),
                email,
            }
        }
    };
    (!names_the_sender(&suggestion, sender)).then_some(suggestion)
}

fn names_the_sender(suggestion: &BylineSuggestion, sender: &Mailbox) -> bool {
    match &suggestion.email {
        Some(email) => *email == sender.email && suggestion.name == sender.name,
        None => match (&suggestion.name, &sender.name) {
            (Some(name), Some(sender_name)) => same_words(name, sender_name),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(name: Option<&str>, email: &str) -> Mailbox {
        Mailbox {
            email: email.into(),
            name: name.map(str::to_string),
        }
    }

    #[test]
    fn a_byline_line_names_the_piece_s_author() {
        let sender = mailbox(Some("Press Office"), "press@example.org");
        assert_eq!(
            suggest(Some("Jane Doe".into()), None, &sender),
            Some(BylineSuggestion {
                name: Some("Jane Doe".into()),
                email: None
            })
        );
    }

    #[test]
    fn a_forward_names_its_sender() {
        let sender = mailbox(Some("Omar"), "omar@example.com");
        let amal = mailbox(Some("Amal Haddad"), "amal@example.org");
        assert_eq!(
            suggest(None, Some(amal.clone()), &sender),
            Some(BylineSuggestion {
                name: Some("Amal Haddad".into()),
                email: Some("amal@example.org".into())
            })
        );
        // The same person on the byline line keeps the address.
        assert_eq!(
            suggest(Some("AMAL HADDAD".into()), Some(amal.clone()), &sender)
                .and_then(|byline| byline.email),
            Some("amal@example.org".into())
        );
        // Someone else's address does not go with the byline's name.
        assert_eq!(
            suggest(Some("Jane Doe".into()), Some(amal), &sender),
            Some(BylineSuggestion {
                name: Some("Jane Doe".into()),
                email: None
            })
        );
    }

    #[test]
    fn the_sender_is_not_suggested_again() {
        let sender = mailbox(Some("Jane Doe"), "jane@example.org");
        assert_eq!(suggest(Some("Jane  doe".into()), None, &sender), None);
        assert_eq!(suggest(None, Some(sender.clone()), &sender), None);
        assert_eq!(suggest(None, None, &sender), None);
    }
}
