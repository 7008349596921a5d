//! What changed between two texts, word by word: the longest common
//! subsequence of their words, after the common start and end are set
//! aside. Pure.
//!
//! The table the comparison needs grows with the product of the changed
//! parts' lengths; past [`MAX_CELLS`] the changed part is shown as deleted
//! and inserted whole, so a request never costs more than that.

/// The largest table compared word by word: 8 MB of `u32`s at most (two
/// texts whose changed parts are about 700 words each, spaces counted as
/// tokens).
pub const MAX_CELLS: usize = 2_000_000;

/// A run of text that is in both texts, only in the new one, or only in
/// the old one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub enum Segment {
    Same(String),
    Inserted(String),
    Deleted(String),
}

/// The changes that make `old` into `new`, in reading order; adjacent runs
/// of one kind are joined. `coarse` is true when the changed part was too
/// large to compare word by word.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diff {
    pub segments: Vec<Segment>,
    pub coarse: bool,
    pub inserted_words: usize,
    pub deleted_words: usize,
}

/// Words and the spaces between them, each a token: a paragraph break is
/// kept as written, so the diff reads like the text.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (at, c) in text.char_indices() {
        let space = c.is_whitespace();
        match in_space {
            Some(was) if was != space => {
                out.push(&text[start..at]);
                start = at;
            }
            _ => {}
        }
        in_space = Some(space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Spaces compare as one space, or one paragraph break: re-wrapping a
/// line is no change.
fn same(a: &str, b: &str) -> bool {
    if a.starts_with(char::is_whitespace) && b.starts_with(char::is_whitespace) {
        let breaks = |s: &str| s.matches('\n').count() >= 2;
        return breaks(a) == breaks(b);
    }
    a == b
}

fn is_word(token: &str) -> bool {
    !token.starts_with(char::is_whitespace)
}

pub fn words(old: &str, new: &str) -> Diff {
    let old = tokens(old);
    let new = tokens(new);
    let prefix = old.iter().zip(&new).take_while(|(a, b)| same(a, b)).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| same(a, b))
        .count();
    let old_mid = &old[prefix..old.len() - suffix];
    let new_mid = &new[prefix..new.len() - suffix];

    let mut out = Builder::default();
    for token in &new[..prefix] {
        out.push(Kind::Same, token);
    }
    let coarse = old_mid.len().saturating_mul(new_mid.len()) > MAX_CELLS;
    if coarse {
        old_mid.iter().for_each(|t| out.push(Kind::Deleted, t));
        new_mid.iter().for_each(|t| out.push(Kind::Inserted, t));
    } else {
        common_subsequence(old_mid, new_mid, &mut out);
    }
    for token in &new[new.len() - suffix..] {
        out.push(Kind::Same, token);
    }
    out.finish(coarse)
}

/// The classic table, filled from the end so the walk reads forward.
fn common_subsequence(old: &[&str], new: &[&str], out: &mut Builder) {
    let (n, m) = (old.len(), new.len());
    let width = m + 1;
    let mut table = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i * width + j] = if same(old[i], new[j]) {
                table[(i + 1) * width + j + 1] + 1
            } else {
                table[(i + 1) * width + j].max(table[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if same(old[i], new[j]) {
            out.push(Kind::Same, new[j]);
            i += 1;
            j += 1;
        } else if table[(i + 1) * width + j] >= table[i * width + j + 1] {
            out.push(Kind::Deleted, old[i]);
            i += 1;
        } else {
            out.push(Kind::Inserted, new[j]);
            j += 1;
        }
    }
    old[i..].iter().for_each(|t| out.push(Kind::Deleted, t));
    new[j..].iter().for_each(|t| out.push(Kind::Inserted, t));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Same,
    Inserted,
    Deleted,
}

#[derive(Default)]
struct Builder {
    runs: Vec<(Kind, String)>,
    inserted_words: usize,
    deleted_words: usize,
}

impl Builder {
    fn push(&mut self, kind: Kind, token: &str) {
        if is_word(token) {
            match kind {
                Kind::Inserted => self.inserted_words += 1,
                Kind::Deleted => self.deleted_words += 1,
                Kind::Same => {}
            }
        }
        match self.runs.last_mut() {
            Some((last, text)) if *last == kind => text.push_str(token),
            _ => self.runs.push((kind, token.to_string())),
        }
    }

    fn finish(self, coarse: bool) -> Diff {
        let segments = self
            .runs
            .into_iter()
            .map(|(kind, text)| match kind {
                Kind::Same => Segment::Same(text),
                Kind::Inserted => Segment::Inserted(text),
                Kind::Deleted => Segment::Deleted(text),
            })
            .collect();
        Diff {
            segments,
            coarse,
            inserted_words: self.inserted_words,
            deleted_words: self.deleted_words,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::*;

    fn s(text: &str) -> String {
        text.to_string()
    }

    #[test]
    fn a_changed_word_is_deleted_and_inserted_between_what_stayed() {
        let diff = words("the budget is late", "the budget is early");
        assert_eq!(
            diff.segments,
            vec![
                Same(s("the budget is ")),
                Deleted(s("late")),
                Inserted(s("early"))
            ]
        );
        assert_eq!((diff.inserted_words, diff.deleted_words), (1, 1));
        assert!(!diff.coarse);
    }

    #[test]
    fn a_dropped_and_a_repeated_paragraph_both_show() {
        let old = "One.\n\nTwo.\n\nThree.";
        let new = "One.\n\nThree.\n\nThree.";
        let diff = words(old, new);
        let deleted: String = diff
            .segments
            .iter()
            .filter_map(|seg| match seg {
                Deleted(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let inserted: String = diff
            .segments
            .iter()
            .filter_map(|seg| match seg {
                Inserted(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(deleted.contains("Two."), "{diff:?}");
        assert!(inserted.contains("Three."), "{diff:?}");
        assert_eq!((diff.inserted_words, diff.deleted_words), (1, 1));
    }

    #[test]
    fn rewrapped_lines_are_no_change_and_arabic_compares_by_word() {
        let diff = words("a b\nc", "a b c");
        assert_eq!(diff.segments, vec![Same(s("a b c"))]);
        let diff = words("مستقبل الانتخابات في ليبيا", "مستقبل الانتخابات في طرابلس");
        assert_eq!(diff.segments.last(), Some(&Inserted(s("طرابلس"))));
    }

    #[test]
    fn texts_too_different_to_compare_are_shown_whole() {
        let old = (0..2000)
            .map(|n| format!("a{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        let new = (0..2000)
            .map(|n| format!("b{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        let diff = words(&old, &new);
        assert!(diff.coarse);
        assert_eq!((diff.inserted_words, diff.deleted_words), (2000, 2000));
        let same = words("", "");
        assert!(same.segments.is_empty());
    }
}
