//! Slugs: the readable, stable, unique name of a piece in its public URL.
//!
//! A piece gets one from its title when it is approved (editors may change
//! it until the piece is first published); from then on it never changes, and
//! it is never given to another piece, so a link once shared keeps working or
//! answers 410 Gone.

use std::sync::LazyLock;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DbError};
use regex::Regex;

use crate::schema::submissions;

/// Generated slugs stop at a word boundary before this many characters,
/// leaving room for a `-N` suffix under the 120 an editor may type.
const MAX_GENERATED_CHARS: usize = 80;

/// Characters a slug is made of: lower-case letters of any script (Arabic
/// letters are "other letters"), and digits.
static KEEP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{Ll}\p{Lo}\p{N}]$").expect("valid regex"));
/// Characters dropped without breaking a word: combining marks (accents,
/// Arabic vowel signs), modifier letters (the Arabic tatweel) and apostrophes.
static DROP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{M}\p{Lm}'’]$").expect("valid regex"));

/// The slug a title suggests: lower case, words joined by single hyphens,
/// at most 80 characters cut between words. `None` when the title has no
/// letter or digit at all.
pub fn slugify(title: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut buffer = [0u8; 4];
    for c in title.chars().flat_map(char::to_lowercase) {
        let text = c.encode_utf8(&mut buffer);
        if KEEP.is_match(text) {
            word.push(c);
        } else if !DROP.is_match(text) && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut slug = String::new();
    for word in words {
        let length = slug.chars().count() + usize::from(!slug.is_empty()) + word.chars().count();
        if length > MAX_GENERATED_CHARS {
            if slug.is_empty() {
                slug = word.chars().take(MAX_GENERATED_CHARS).collect();
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    (!slug.is_empty()).then_some(slug)
}

/// The first of `base`, `base-2`, `base-3`, … that is not in `taken`.
fn first_free(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|slug| slug == base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken.contains(candidate))
        .expect("an unbounded range has a free number")
}

/// Gives submission `id` a slug from its title unless it has one, and returns
/// it. Call it inside the transaction that approves, schedules or publishes.
pub fn assign(conn: &mut PgConnection, id: i64) -> QueryResult<String> {
    let (slug, title, reference): (Option<String>, String, String) = submissions::table
        .find(id)
        .select((
            submissions::slug,
            submissions::title,
            submissions::reference,
        ))
        .first(conn)?;
    if let Some(slug) = slug {
        return Ok(slug);
    }
    let base = slugify(&title)
        .or_else(|| slugify(&reference))
        .unwrap_or_else(|| format!("opinion-{id}"));
    // Two pieces with one title approved at the same moment both see the
    // same free slug; the unique index lets one win and the other tries again.
    loop {
        let taken: Vec<String> = submissions::table
            .filter(
                submissions::slug
                    .eq(&base)
                    .or(submissions::slug.like(format!("{base}-%"))),
            )
            .select(submissions::slug.assume_not_null())
            .load(conn)?;
        let candidate = first_free(&base, &taken);
        let attempt = conn.transaction(|conn| {
            diesel::update(submissions::table.find(id))
                .set(submissions::slug.eq(&candidate))
                .execute(conn)
        });
        match attempt {
            Ok(_) => return Ok(candidate),
            Err(DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => continue,
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_lower_case_words_joined_by_hyphens() {
        assert_eq!(
            slugify("Why Libya needs a unified budget").as_deref(),
            Some("why-libya-needs-a-unified-budget")
        );
        assert_eq!(
            slugify("  Op-Ed:  The 2026 budget -- what now?! ").as_deref(),
            Some("op-ed-the-2026-budget-what-now")
        );
        assert_eq!(
            slugify("Don’t panic: Tripoli's élan").as_deref(),
            Some("dont-panic-tripolis-élan")
        );
    }

    #[test]
    fn arabic_titles_keep_their_letters_and_lose_their_vowel_marks() {
        assert_eq!(
            slugify("مستقبل الانتخابات في ليبيا").as_deref(),
            Some("مستقبل-الانتخابات-في-ليبيا")
        );
        // Harakat and the tatweel do not split or survive in a word.
        assert_eq!(slugify("مُسْتَقْبَل لـيبيا").as_deref(), Some("مستقبل-ليبيا"));
        assert_eq!(slugify("٢٠٢٦ عام").as_deref(), Some("٢٠٢٦-عام"));
    }

    #[test]
    fn every_generated_slug_is_one_an_editor_could_type() {
        for title in [
            "Why Libya needs a unified budget",
            "مستقبل الانتخابات في ليبيا",
            "ÀÉÎ İstanbul ǅemal",
            "Ελληνικά ΚΕΦΑΛΑΙΑ",
            "日本語のタイトル",
            "a\u{301}b c\u{200d}d",
        ] {
            let slug = slugify(title).unwrap();
            let patch = crate::submissions::edit::SubmissionPatch {
                slug: Some(slug.clone()),
                ..Default::default()
            };
            assert!(
                crate::submissions::edit::validate(patch).is_ok(),
                "{title:?} → {slug:?}"
            );
        }
    }

    #[test]
    fn long_titles_are_cut_between_words() {
        let title = "word ".repeat(40);
        let slug = slugify(&title).unwrap();
        assert!(slug.chars().count() <= MAX_GENERATED_CHARS);
        assert!(slug.ends_with("word") && !slug.ends_with('-'));
        let one_long_word = "x".repeat(200);
        assert_eq!(slugify(&one_long_word).unwrap().len(), MAX_GENERATED_CHARS);
    }

    #[test]
    fn titles_without_letters_suggest_nothing() {
        assert_eq!(slugify("?!… 🙂 —"), None);
        assert_eq!(slugify(""), None);
    }

    #[test]
    fn a_taken_slug_gets_the_next_free_number() {
        let taken = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(first_free("budget", &taken(&[])), "budget");
        assert_eq!(first_free("budget", &taken(&["budget"])), "budget-2");
        assert_eq!(
            first_free("budget", &taken(&["budget", "budget-2", "budget-4"])),
            "budget-3"
        );
        assert_eq!(first_free("budget", &taken(&["budget-2"])), "budget");
    }
}
