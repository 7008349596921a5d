//! Text as the desk keeps it, whoever wrote it: an author's mail or an
//! editor's edit. Pure.

pub mod diff;
mod div_paragraphs;
pub mod fingerprint;
pub mod fold;
pub mod html;
pub mod marker;

/// Text that PostgreSQL can store and XML can carry: line ends become `\n`,
/// and control characters other than tab and newline are dropped, as are the
/// two noncharacters XML forbids (U+FFFE, U+FFFF). A NUL would be refused by
/// a `TEXT` column; a form feed or an escape would make the Atom feed
/// ill-formed.
pub fn clean(text: &str) -> String {
    if !text.chars().any(needs_cleaning) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                // CRLF and a lone CR (old Mac line ends) are both one line end.
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            c if needs_cleaning(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn needs_cleaning(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Words are runs of non-space characters holding a letter or digit, so
/// punctuation on its own ("—") does not count.
pub fn word_count(text: &str) -> i32 {
    let count = text
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .count();
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// At most `max` characters, cut at a word where one ends near the limit,
/// with an ellipsis when anything was cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at_word = match cut.rsplit_once(' ') {
        // A cut far back (one very long word) is worse than a cut mid-word.
        Some((head, _)) if head.chars().count() >= max / 2 => head,
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_dropped_but_tabs_and_line_ends_kept() {
        assert_eq!(clean("a\u{0}b\u{7}c\u{1b}[31m"), "abc[31m");
        assert_eq!(
            clean("one\r\ntwo\rthree\n\tfour"),
            "one\ntwo\nthree\n\tfour"
        );
        assert_eq!(clean("x\u{c}y\u{fffe}\u{ffff}z"), "xyz");
        assert_eq!(clean("توحيد الميزانية"), "توحيد الميزانية");
        // C1 controls and DEL are legal in XML and left to the writer.
        assert_eq!(clean("a\u{7f}b"), "a\u{7f}b");
    }

    #[test]
    fn punctuation_is_not_a_word() {
        assert_eq!(word_count("One — two, three!  \n ..."), 3);
        assert_eq!(word_count("توحيد الميزانية"), 2);
    }

    #[test]
    fn shortening_cuts_at_a_word_and_says_so() {
        assert_eq!(shorten("short", 10), "short");
        let long = "word ".repeat(100);
        let cut = shorten(long.trim(), 200);
        assert!(cut.chars().count() <= 200, "{}", cut.chars().count());
        assert!(cut.ends_with("word…"));
        let one_word = "x".repeat(300);
        assert_eq!(shorten(&one_word, 200).chars().count(), 200);
    }
}

/// Whether most letters of `text` (its first 2,000 characters) are Arabic:
/// what the desk marks `lang="ar" dir="rtl"`, so a screen reader reads it
/// with an Arabic voice.
pub fn mostly_arabic(text: &str) -> bool {
    let (mut letters, mut arabic) = (0usize, 0usize);
    for c in text.chars().take(2000).filter(|c| c.is_alphabetic()) {
        letters += 1;
        if matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}'
            | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
        {
            arabic += 1;
        }
    }
    letters > 0 && arabic * 2 > letters
}

#[cfg(test)]
mod script_tests {
    use super::mostly_arabic;

    #[test]
    fn arabic_is_told_by_the_share_of_its_letters() {
        assert!(mostly_arabic("مستقبل الانتخابات في ليبيا"));
        assert!(mostly_arabic("مستقبل الانتخابات في ليبيا (UN)"));
        assert!(!mostly_arabic("Why Libya needs a unified budget"));
        assert!(!mostly_arabic(
            "A quote: «ليبيا» in English text about Libya"
        ));
        assert!(!mostly_arabic("2026 — 12"));
    }
}
