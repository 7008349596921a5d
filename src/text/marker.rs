//! The op-ed marker: the word in a subject that makes a mail a submission.
//! Intake looks for it; the mail we send must never carry it, or a
//! colleague's "Re:" to our acknowledgement would be filed as a new piece.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// The marker as a word of its own: `op-ed`, `op ed`, `oped`, with any dash
/// (ASCII, U+2010, U+2011, en, em) or `_` between, in any case. Letters or
/// digits on either side make it part of another word ("developed", "scoped").
pub const MARKER: &str = r"op[-\u{2010}\u{2011}\u{2013}\u{2014}_ ]?ed";

/// The marker with what stands on either side of it (the regex crate has no
/// look-around): groups 1 and 3 are the neighbours, group 2 the marker.
static MARKER_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(^|[^\p{{L}}\p{{N}}])({MARKER})($|[^\p{{L}}\p{{N}}])"
    ))
    .expect("valid regex")
});

/// What stands in a subject we send where a title said "op-ed".
const IN_PLACE_OF_MARKER: &str = "opinion piece";

/// True when `text` names the op-ed marker as a word of its own.
pub fn has_marker(text: &str) -> bool {
    MARKER_WORD.is_match(text)
}

/// `text` with every marker word written out as "opinion piece" (in the
/// marker's case: `Op-Ed` → `Opinion piece`, `OPED` → `OPINION PIECE`), so
/// that intake no longer sees a marker in it and a reader still does.
pub fn without_marker(text: &str) -> Cow<'_, str> {
    if !has_marker(text) {
        return Cow::Borrowed(text);
    }
    let mut text = text.to_string();
    // One pass cannot replace two markers one character apart ("op-ed/op-ed"):
    // the character between them is taken by the first match. Each pass
    // replaces at least one, and a title has few.
    while has_marker(&text) {
        text = MARKER_WORD
            .replace_all(&text, |found: &Captures| {
                format!("{}{}{}", &found[1], in_case_of(&found[2]), &found[3])
            })
            .into_owned();
    }
    Cow::Owned(text)
}

fn in_case_of(marker: &str) -> String {
    let letters = || marker.chars().filter(|c| c.is_alphabetic());
    if letters().all(char::is_uppercase) {
        IN_PLACE_OF_MARKER.to_uppercase()
    } else if letters().next().is_some_and(char::is_uppercase) {
        let mut out = IN_PLACE_OF_MARKER.to_string();
        out[..1].make_ascii_uppercase();
        out
    } else {
        IN_PLACE_OF_MARKER.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_marker_spelling_is_written_out_in_its_case() {
        let cases = [
            ("My op-ed on ports", "My opinion piece on ports"),
            ("Op-Ed: ports", "Opinion piece: ports"),
            ("WHY THIS OPED", "WHY THIS OPINION PIECE"),
            ("[op ed] and op_ed", "[opinion piece] and opinion piece"),
            ("op\u{2013}ed/Op\u{2014}Ed", "opinion piece/Opinion piece"),
            ("op-ed op-ed", "opinion piece opinion piece"),
            ("مقال op-ed عن الموانئ", "مقال opinion piece عن الموانئ"),
        ];
        for (text, expected) in cases {
            let written_out = without_marker(text);
            assert_eq!(written_out, expected, "{text:?}");
            assert!(!has_marker(&written_out), "{written_out:?}");
        }
    }

    #[test]
    fn text_without_a_marker_is_left_as_it_is() {
        for text in ["A developed economy", "Op-Eds", "oped2", "Hoped-for change"] {
            assert!(matches!(without_marker(text), Cow::Borrowed(same) if same == text));
        }
    }
}
