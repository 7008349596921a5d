//! A mail's text read as a letter: the piece it carries, and around it the
//! words that are not the piece (a forwarder's note, signatures, the
//! history it quotes), which editors read as the cover note. Pure.

use super::forward::inline_forward;
use super::parse::Mailbox;
use super::quoted::split_history;
use super::signature::split_signature;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Letter {
    /// The piece: the forwarded text when there is one, without quoted
    /// history and signatures.
    pub article: String,
    /// Everything else the mail says, in the order it says it; `None` when
    /// the whole text is the piece.
    pub cover: Option<String>,
    /// The sender of a forwarded piece: whom the piece is probably by.
    pub forwarded_from: Option<Mailbox>,
    /// True when the mail forwards a message in its text.
    pub forwards: bool,
}

/// Reads `text` (normalised: `\n` line ends, no trailing spaces).
/// `outlook_forward`: the subject says the mail forwards, so Outlook's
/// header block opens a forwarded message rather than quoted history.
pub fn read_letter(text: &str, outlook_forward: bool) -> Letter {
    let mut cover = Vec::new();
    let mut letter = Letter::default();
    let piece = match inline_forward(text, outlook_forward) {
        Some(forward) => {
            cover.push(forward.note);
            letter.forwarded_from = forward.headers.from;
            letter.forwards = true;
            forward.text
        }
        None => text.to_string(),
    };
    let (piece, history) = match split_history(&piece) {
        Some((piece, history)) => (piece, Some(history)),
        None => (piece, None),
    };
    let (piece, signatures) = split_signature(&piece);
    cover.extend(signatures);
    cover.extend(history);
    cover.retain(|part| !part.trim().is_empty());

    if piece.trim().is_empty() && !letter.forwards {
        // Nothing but a signature or a quote: the letter is all there is.
        letter.article = text.trim().to_string();
        return letter;
    }
    letter.article = piece;
    letter.cover = (!cover.is_empty()).then(|| cover.join("\n\n"));
    letter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_letter_is_all_article() {
        let letter = read_letter("The port.\n\nIts end.", false);
        assert_eq!(letter.article, "The port.\n\nIts end.");
        assert_eq!(letter.cover, None);
        assert_eq!(letter.forwarded_from, None);
    }

    #[test]
    fn a_forward_gives_the_article_the_note_and_the_byline() {
        let letter = read_letter(
            "Please run this.\n\n-- \nOmar\n\nBegin forwarded message:\n\nFrom: Amal Haddad <amal@example.org>\nSubject: Ports\nDate: today\n\nThe port.\n\nIts end.\n\nSent from my iPhone",
            false,
        );
        assert_eq!(letter.article, "The port.\n\nIts end.");
        assert_eq!(
            letter.cover.as_deref(),
            Some("Please run this.\n\n-- \nOmar\n\nSent from my iPhone")
        );
        assert_eq!(
            letter.forwarded_from.map(|from| from.email).as_deref(),
            Some("amal@example.org")
        );
    }

    #[test]
    fn signature_then_history_go_to_the_cover() {
        let letter = read_letter(
            "The port.\n\n--\nAmal\n\nOn Mon, Sara wrote:\n> Send us a piece.",
            false,
        );
        assert_eq!(letter.article, "The port.");
        assert_eq!(
            letter.cover.as_deref(),
            Some("--\nAmal\n\nOn Mon, Sara wrote:\n> Send us a piece.")
        );
    }

    #[test]
    fn a_letter_of_only_a_signature_stays_whole() {
        let letter = read_letter("Sent from my iPhone", false);
        assert_eq!(letter.article, "Sent from my iPhone");
        assert_eq!(letter.cover, None);
    }
}
