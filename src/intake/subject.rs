//! What a subject line says: whether it carries the op-ed marker, the title
//! it gives the piece, and any submission reference it quotes.

use std::sync::LazyLock;

use regex::Regex;

use crate::text::marker::MARKER;
pub use crate::text::marker::has_marker;

/// Reply and forward prefixes of the common mail clients and languages
/// (English, German AW/WG, Spanish RV, French TR, Arabic رد), with an
/// optional counter such as `Re[2]:`.
static REPLY_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:re|fwd?|fw|aw|wg|rv|tr|رد)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*")
        .expect("valid regex")
});

/// Brackets around the marker: ASCII, and the CJK and full-width ones
/// (`【Op-Ed】`, `「Op-Ed」`, `［Op-Ed］`, `（Op-Ed）`) that Chinese and
/// Japanese input methods type.
const OPEN: &str = r"[\[(\u{3010}\u{300c}\u{300e}\u{3014}\u{3016}\u{ff3b}\u{ff08}]";
const CLOSE: &str = r"[\])\u{3011}\u{300d}\u{300f}\u{3015}\u{3017}\u{ff3d}\u{ff09}]";
/// Separators after or before the tag, full-width colon, dash and bar too,
/// and the Arabic comma.
const SEPARATORS: &str = r"[:\-\u{2013}\u{2014}|\u{ff1a}\u{ff0d}\u{ff5c}\u{060c}]";

/// "Opinion piece" in Arabic (مقال رأي, مقالة رأي, مقال الرأي, with the
/// hamza or without, ى for ي): a label that Arabic-writing authors put where
/// others put the marker, or beside it. It leaves the title as the marker
/// does; it is not the marker, so on its own it does not make a mail a
/// submission (the spec names the marker's spellings).
const ARABIC_LABEL: &str = r"مقال[ةه]?\s+(?:ال)?ر[أا][يى]";

/// What leaves the title as a tag: the marker, or the Arabic label.
static TAG: LazyLock<String> = LazyLock::new(|| format!("(?:{MARKER}|{ARABIC_LABEL})"));

/// The tag at the start of a subject: `Op-Ed:`, `[Op-Ed]`, `(Op-Ed)`,
/// `Op-Ed -`, `Op-Ed submission:`, `【Op-Ed】`, `Op-Ed：`, `مقال رأي -` and the
/// like; after a closing bracket the title may follow with no space (CJK
/// text).
static LEADING_TAG: LazyLock<Regex> = LazyLock::new(|| {
    let tag = &*TAG;
    Regex::new(&format!(
        r"(?i)^\s*{OPEN}?\s*{tag}(?:\s+(?:submission|piece|article|draft))?\s*(?:{CLOSE}\s*{SEPARATORS}*\s*|{SEPARATORS}+\s*|\s+|$)"
    ))
    .expect("valid regex")
});

/// The same tag at the end: `... (Op-Ed)`, `... - Op-Ed`, `…【Op-Ed】`.
static TRAILING_TAG: LazyLock<Regex> = LazyLock::new(|| {
    let tag = &*TAG;
    Regex::new(&format!(
        r"(?i)(?:\s*{SEPARATORS}*\s*{OPEN}\s*|\s*{SEPARATORS}+\s*|\s+|^){tag}(?:\s+(?:submission|piece|article|draft))?\s*{CLOSE}?\s*$"
    ))
    .expect("valid regex")
});

/// Forward prefixes: English, German WG, French TR, Spanish RV.
static FORWARD_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:(?:re|aw|رد)\s*[:\u{ff1a}]\s*)*(?:fwd?|fw|wg|tr|rv)\s*(?:\[\d+\]|\(\d+\))?\s*[:\u{ff1a}]")
        .expect("valid regex")
});

static REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bOE-(\d{4})-(\d{4,9})\b").expect("valid regex"));

/// True when the subject says the mail forwards another (`Fwd:`, `FW:`, …).
pub fn is_forward(subject: &str) -> bool {
    FORWARD_PREFIX.is_match(subject)
}

/// The piece's title from the subject: reply/forward prefixes and the marker
/// tag removed. `None` when nothing is left. A marker in the middle of the
/// subject ("My op-ed on ports") is part of the title and stays.
pub fn title_from_subject(subject: &str) -> Option<String> {
    let mut title = strip_reply_prefixes(subject);
    for _ in 0..4 {
        let untagged = LEADING_TAG.replace(&title, "");
        let untagged = TRAILING_TAG.replace(&untagged, "");
        let untagged = strip_reply_prefixes(&untagged);
        if untagged == title {
            break;
        }
        title = untagged;
    }
    let title = title
        .trim_matches(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    ':' | '-'
                        | '|'
                        | '\u{2013}'
                        | '\u{2014}'
                        | '\u{ff1a}'
                        | '\u{ff0d}'
                        | '\u{ff5c}'
                        | '\u{060c}'
                )
        })
        .to_string();
    (!title.is_empty()).then_some(title)
}

fn strip_reply_prefixes(subject: &str) -> String {
    let mut subject = subject.trim().to_string();
    while let Some(found) = REPLY_PREFIX.find(&subject) {
        subject = subject[found.end()..].trim_start().to_string();
    }
    subject
}

/// The submission reference the subject names (`[OE-2026-0042]` →
/// `OE-2026-0042`, in any case). A subject naming several different ones
/// names none: a mail cannot thread itself onto whichever piece suits it.
pub fn reference_in(subject: &str) -> Option<String> {
    let mut found = REFERENCE
        .captures_iter(subject)
        .map(|found| format!("OE-{}-{}", &found[1], &found[2]));
    let first = found.next()?;
    found.all(|other| other == first).then_some(first)
}

static TYPED_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*\[?\s*(OE-\d{4}-\d{4,9})\s*\]?\s*$").expect("valid regex")
});

/// A reference as an editor types it (`oe-2026-0042`, `[OE-2026-0042]`),
/// in the form the desk keeps: `OE-2026-0042`. `None` for anything else.
pub fn typed_reference(text: &str) -> Option<String> {
    let found = TYPED_REFERENCE.captures(text)?;
    Some(found[1].to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_spellings_are_recognised() {
        for subject in [
            "Op-Ed: budgets",
            "OP-ED - water",
            "op ed about ports",
            "[oped] title",
            "Op\u{2010}Ed: x",
            "Op\u{2011}Ed: x",
            "Op\u{2013}Ed: x",
            "Op\u{2014}Ed: x",
            "Op_Ed: x",
            "Re: Op-Ed: x",
            "My op-ed",
            "(Op-Ed)",
            "[Op-Ed] مستقبل",
        ] {
            assert!(has_marker(subject), "{subject:?} should carry the marker");
        }
    }

    #[test]
    fn words_containing_the_letters_are_not_markers() {
        for subject in [
            "A developed economy",
            "Scoped down",
            "Opinion piece for your site",
            "Hoped-for change",
            "op-editorial board",
            "oped2",
            "Op-Eds",
            "",
        ] {
            assert!(
                !has_marker(subject),
                "{subject:?} should not carry the marker"
            );
        }
    }

    #[test]
    fn titles_lose_prefixes_and_tags() {
        let cases = [
            (
                "Op-Ed: Why Libya needs a unified budget",
                "Why Libya needs a unified budget",
            ),
            (
                "OP-ED - The water crisis in the south",
                "The water crisis in the south",
            ),
            (
                "[Op-Ed] مستقبل الانتخابات في ليبيا",
                "مستقبل الانتخابات في ليبيا",
            ),
            (
                "Op\u{2013}Ed: Oil revenue and the south",
                "Oil revenue and the south",
            ),
            (
                "Op-ed submission: Teachers deserve to be paid on time",
                "Teachers deserve to be paid on time",
            ),
            ("Re: Fwd: Op-Ed: Ports", "Ports"),
            ("FW: [Op-Ed] Ports", "Ports"),
            ("AW: WG: Op-Ed - Häfen", "Häfen"),
            ("Ports, not checkpoints (Op-Ed)", "Ports, not checkpoints"),
            ("Ports - op ed", "Ports"),
            ("Op-Ed Ports", "Ports"),
            ("My op-ed on ports", "My op-ed on ports"),
            ("【Op-Ed】港口的未来", "港口的未来"),
            ("「Op-Ed」港の未来", "港の未来"),
            ("［Op-Ed］ Ports", "Ports"),
            ("（Op-Ed）Ports", "Ports"),
            ("Op-Ed：港口的未来", "港口的未来"),
            ("Re：【Op-Ed】Ports", "Ports"),
            ("Ports【Op-Ed】", "Ports"),
            ("Ports ｜ Op-Ed", "Ports"),
        ];
        for (subject, title) in cases {
            assert_eq!(
                title_from_subject(subject).as_deref(),
                Some(title),
                "{subject:?}"
            );
        }
    }

    #[test]
    fn the_arabic_opinion_label_leaves_the_title_as_the_marker_does() {
        let cases = [
            ("Op-Ed: مقال رأي: مستقبل الانتخابات", "مستقبل الانتخابات"),
            ("مقال رأي - مستقبل الانتخابات", "مستقبل الانتخابات"),
            ("[Op-Ed] مقال رأي - مستقبل الانتخابات", "مستقبل الانتخابات"),
            ("مقال رأي: Op-Ed: مستقبل الانتخابات", "مستقبل الانتخابات"),
            ("رد: مقالة رأي، مستقبل الانتخابات", "مستقبل الانتخابات"),
            ("مقال الرأي | مستقبل الانتخابات", "مستقبل الانتخابات"),
            ("مقال راى: مستقبل الانتخابات", "مستقبل الانتخابات"),
            ("مستقبل الانتخابات (مقال رأي)", "مستقبل الانتخابات"),
            ("مستقبل الانتخابات - مقال رأي - Op-Ed", "مستقبل الانتخابات"),
            // "His opinion" and a title that merely speaks of opinion stay.
            ("Op-Ed: مقال رأيه في الانتخابات", "مقال رأيه في الانتخابات"),
            ("Op-Ed: في مقال رأي نشر أمس", "في مقال رأي نشر أمس"),
        ];
        for (subject, title) in cases {
            assert_eq!(
                title_from_subject(subject).as_deref(),
                Some(title),
                "{subject:?}"
            );
        }
        assert_eq!(title_from_subject("Op-Ed: مقال رأي"), None);
    }

    #[test]
    fn the_arabic_opinion_label_alone_is_not_the_marker() {
        assert!(!has_marker("مقال رأي - مستقبل الانتخابات"));
        assert!(has_marker("Op-Ed: مقال رأي: مستقبل الانتخابات"));
    }

    #[test]
    fn forwarding_subjects_are_told_from_replies() {
        for subject in [
            "Fwd: Op-Ed: Ports",
            "FW: Ports",
            "Re: Fwd: Ports",
            "WG: x",
            "TR : x",
        ] {
            assert!(is_forward(subject), "{subject:?}");
        }
        for subject in ["Re: Op-Ed: Ports", "Op-Ed: Forward thinking", "Ports fw: x"] {
            assert!(!is_forward(subject), "{subject:?}");
        }
    }

    #[test]
    fn a_bare_marker_leaves_no_title() {
        for subject in [
            "Op-Ed",
            "[Op-Ed]",
            "Re: Op-Ed:",
            "Op-Ed submission",
            "",
            "【Op-Ed】",
        ] {
            assert_eq!(title_from_subject(subject), None, "{subject:?}");
        }
    }

    #[test]
    fn one_reference_is_found_in_any_case() {
        assert_eq!(
            reference_in("Re: We received your Op-Ed [oe-2026-0042]").as_deref(),
            Some("OE-2026-0042")
        );
        assert_eq!(
            reference_in("Re: [OE-2026-0042] again OE-2026-0042").as_deref(),
            Some("OE-2026-0042")
        );
        assert_eq!(reference_in("OE-26-1"), None);
    }

    #[test]
    fn several_references_name_none() {
        assert_eq!(reference_in("Re: [OE-2026-0042] and [OE-2026-0001]"), None);
    }

    #[test]
    fn a_typed_reference_is_read_in_any_case_and_nothing_else_is() {
        assert_eq!(
            typed_reference(" oe-2026-0042 ").as_deref(),
            Some("OE-2026-0042")
        );
        assert_eq!(
            typed_reference("[OE-2026-0042]").as_deref(),
            Some("OE-2026-0042")
        );
        assert_eq!(typed_reference("OE-2026-0042 and OE-2026-0043"), None);
        assert_eq!(typed_reference("OE-26-1"), None);
        assert_eq!(typed_reference(""), None);
    }
}
