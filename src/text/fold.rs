//! Text folded for comparison: what two spellings of the same words have in
//! common, so that a title typed twice (once in the subject, once atop the
//! document) is recognised whatever the case, punctuation or spacing. Arabic
//! is folded as the search folds it (migration `…000701_search_by_language`:
//! no tashkeel or tatweel, أ إ آ ٱ as ا, ى as ي, ة as ه), without its
//! stemming: this compares lines, it does not find words. Pure.

/// The words of `text`, lower-cased, Arabic letters folded, every run of
/// characters other than letters and digits a single break.
pub fn folded_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        match fold_char(c) {
            Folded::Drop => {}
            Folded::Break => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            Folded::Keep(c) => word.extend(c.to_lowercase()),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// True when `a` and `b` are the same words, folded.
pub fn same_words(a: &str, b: &str) -> bool {
    let a = folded_words(a);
    !a.is_empty() && a == folded_words(b)
}

enum Folded {
    /// Marks that do not change the word: tashkeel, tatweel.
    Drop,
    /// Anything between words: spaces, punctuation, symbols.
    Break,
    Keep(char),
}

fn fold_char(c: char) -> Folded {
    match c {
        // Tashkeel (fathatan … sukun and the marks after it), the superscript
        // alef, and the tatweel that only stretches a word.
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => Folded::Drop,
        'أ' | 'إ' | 'آ' | 'ٱ' => Folded::Keep('ا'),
        'ى' => Folded::Keep('ي'),
        'ة' => Folded::Keep('ه'),
        // An apostrophe inside a word ("Libya's", "Libya’s") keeps it whole.
        '\'' | '\u{2019}' => Folded::Drop,
        c if c.is_alphanumeric() => Folded::Keep(c),
        _ => Folded::Break,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_punctuation_and_spacing_do_not_count() {
        assert_eq!(
            folded_words("  Ports,  NOT checkpoints! "),
            ["ports", "not", "checkpoints"]
        );
        assert!(same_words("Libya’s budget: why?", "libya's budget — why"));
        assert!(!same_words("Ports", "Ports, not checkpoints"));
        assert!(!same_words("", " — "), "no words are not the same words");
    }

    #[test]
    fn arabic_spelling_variants_fold_together() {
        assert!(same_words(
            "مُسْتَقْبَلُ الانتخابات في ليبيا",
            "مستقبل الإنتخابات فى ليبيا"
        ));
        assert!(same_words("الميزانيـــة", "الميزانيه"));
        assert_eq!(folded_words("أإآٱ"), ["اااا"]);
    }
}
