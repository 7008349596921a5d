//! The head authors put above their piece: its title again, and a byline
//! ("By Jane Doe", "بقلم: فلان"). The desk keeps the title in its own field
//! and the byline as a suggestion, so neither stays in the text readers get;
//! a piece was once published with "بقلم: …" still above its first sentence.
//!
//! Only the very top is read (the first two paragraphs, a few short lines),
//! a byline is never a sentence, and the whole article is never taken. Pure.

use std::sync::LazyLock;

use regex::Regex;

use crate::text::fold::folded_words;

/// The head is at most a title and a byline: two paragraphs, in either order.
const HEAD_PARAGRAPHS: usize = 2;
/// Lines read from the top: a head paragraph holds a title, a byline and an
/// affiliation at most; more is text.
const MAX_HEAD_LINES: usize = 6;
/// A title line, when the subject named none, is a heading: this short.
const MAX_HEADING_CHARS: usize = 160;
const MAX_HEADING_WORDS: usize = 20;
/// A byline line is no sentence of the article.
const MAX_BYLINE_CHARS: usize = 100;
const MAX_BYLINE_WORDS: usize = 14;
/// A name: "Dr. Jane van der Berg", "الدكتور محمد بن علي الفيتوري".
const MAX_NAME_WORDS: usize = 7;
/// The line under a byline that says who the author is ("former minister").
const MAX_AFFILIATION_CHARS: usize = 80;
const MAX_AFFILIATION_WORDS: usize = 12;
/// A title close to the subject's (one holds the other) shares this many
/// words at least, and differs by at most `MAX_EXTRA_TITLE_WORDS`.
const MIN_SHARED_TITLE_WORDS: usize = 3;
const MAX_EXTRA_TITLE_WORDS: usize = 3;

/// "By", "Written by", "بقلم", then an optional colon or dash, then the rest.
static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?:written\s+)?by|بقلم)(?:\s*[:\u{ff1a}/\-\u{2013}\u{2014}]\s*|\s+)(.+)$")
        .expect("valid regex")
});

/// Lower-case words a Latin-script name may hold between its capitalised
/// ones ("Jane van der Berg", "Omar al Mukhtar", "Jane Doe and John Roe").
const NAME_PARTICLES: &[&str] = &[
    "al", "el", "bin", "ibn", "bint", "abu", "de", "da", "di", "du", "del", "della", "van", "von",
    "der", "den", "la", "le", "y", "and", "&",
];

/// The article with its head taken off, and what the head said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleHead {
    /// The text without the head; the text as given when it has none.
    pub article: String,
    /// The title line taken off, as written.
    pub title: Option<String>,
    /// The name the byline gives, honorifics kept ("Dr. Jane Doe").
    pub byline: Option<String>,
}

/// One non-blank line of the head: its text, its paragraph, and where the
/// text after it starts (a byte offset just past a `\n`, or the end).
struct HeadLine<'a> {
    text: &'a str,
    paragraph: usize,
    rest_starts: usize,
}

/// Takes the repeated title and the byline off the top of `text`
/// (normalised: `\n` line ends). `known_title` is the title the subject or
/// the document's properties give; without one, a first paragraph that
/// reads as a heading is the title, since the draft would take it as such.
pub fn take_head(text: &str, known_title: Option<&str>) -> ArticleHead {
    let unchanged = || ArticleHead {
        article: text.to_string(),
        title: None,
        byline: None,
    };
    let lines = head_lines(text);
    let known = known_title
        .map(folded_words)
        .filter(|words| !words.is_empty());

    let mut title: Option<String> = None;
    let mut byline: Option<String> = None;
    // What is taken once the head ends: only ever at the end of a paragraph,
    // so that no line of running text is cut in two.
    let mut taken: Option<(usize, Option<String>, Option<String>)> = None;
    let mut index = 0;
    // Bounded: each turn reads at least one of at most MAX_HEAD_LINES lines.
    while let Some(line) = lines.get(index) {
        let mut last = index;
        if title.is_none() && is_title(&lines, index, known.as_deref()) {
            title = Some(line.text.to_string());
        } else if byline.is_none()
            && let Some(name) = byline_name(line.text)
        {
            byline = Some(name);
            // A short line under it in the same paragraph says who they are.
            if lines
                .get(index + 1)
                .is_some_and(|next| next.paragraph == line.paragraph && is_affiliation(next.text))
            {
                last = index + 1;
            }
        } else {
            break;
        }
        if let Some(end) = lines.get(last).filter(|_| ends_paragraph(&lines, last)) {
            taken = Some((end.rest_starts, title.clone(), byline.clone()));
        }
        index = last + 1;
    }

    let Some((start, title, byline)) = taken else {
        return unchanged();
    };
    let article = text.get(start..).unwrap_or_default().trim_start();
    // Never the whole article: a mail of a title and a byline keeps them.
    if !article.chars().any(char::is_alphanumeric) {
        return unchanged();
    }
    ArticleHead {
        article: article.to_string(),
        title,
        byline,
    }
}

fn ends_paragraph(lines: &[HeadLine<'_>], index: usize) -> bool {
    let paragraph = lines.get(index).map(|line| line.paragraph);
    lines
        .get(index + 1)
        .is_none_or(|next| Some(next.paragraph) != paragraph)
}

/// The first non-blank lines of `text`, in its first `HEAD_PARAGRAPHS`
/// paragraphs, at most `MAX_HEAD_LINES`.
fn head_lines(text: &str) -> Vec<HeadLine<'_>> {
    let mut lines = Vec::new();
    let mut paragraph = 0;
    let mut in_paragraph = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        offset += raw.len();
        let line = raw.trim();
        if line.is_empty() {
            if in_paragraph {
                paragraph += 1;
                in_paragraph = false;
            }
            continue;
        }
        if paragraph >= HEAD_PARAGRAPHS || lines.len() >= MAX_HEAD_LINES {
            break;
        }
        in_paragraph = true;
        lines.push(HeadLine {
            text: line,
            paragraph,
            rest_starts: offset,
        });
    }
    lines
}

/// The line repeats the known title, or, with none known, is the first line
/// and reads as a heading.
fn is_title(lines: &[HeadLine<'_>], index: usize, known: Option<&[String]>) -> bool {
    let Some(line) = lines.get(index) else {
        return false;
    };
    if line.text.chars().count() > MAX_HEADING_CHARS || byline_name(line.text).is_some() {
        return false;
    }
    match known {
        Some(known) => close_titles(&folded_words(line.text), known),
        // A heading stands alone, or above the byline.
        None => {
            index == 0
                && reads_as_heading(line.text)
                && (ends_paragraph(lines, index)
                    || lines
                        .get(index + 1)
                        .is_some_and(|next| byline_name(next.text).is_some()))
        }
    }
}

/// The same words, or one title holding the other with a few words more
/// ("Why Libya needs a unified budget" for "Libya needs a unified budget").
fn close_titles(a: &[String], b: &[String]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= MIN_SHARED_TITLE_WORDS
        && long.len() - short.len() <= MAX_EXTRA_TITLE_WORDS
        && long.windows(short.len()).any(|window| window == short)
}

/// A heading: a few words, with a letter, not ending as a sentence or a
/// salutation does.
fn reads_as_heading(line: &str) -> bool {
    let words = line.split_whitespace().count();
    words <= MAX_HEADING_WORDS
        && line.chars().any(char::is_alphabetic)
        && !line.ends_with(['.', ',', ':', ';', '،', '؛'])
}

/// The name a byline line gives: "By Jane Doe, former minister" → "Jane
/// Doe"; "بقلم: د. سالم الورفلي" → "د. سالم الورفلي". `None` for anything
/// else, such as "By the time the ministers met, the money was gone."
fn byline_name(line: &str) -> Option<String> {
    let line = line.trim_matches(|c: char| c.is_whitespace() || matches!(c, '*' | '_'));
    if line.chars().count() > MAX_BYLINE_CHARS
        || line.split_whitespace().count() > MAX_BYLINE_WORDS
        || ends_as_sentence(line)
    {
        return None;
    }
    let rest = BYLINE.captures(line)?.get(1)?.as_str();
    let name = name_part(rest);
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.is_empty() || words.len() > MAX_NAME_WORDS {
        return None;
    }
    let arabic = name.chars().any(is_arabic_letter);
    if !arabic && !reads_as_latin_name(&words) {
        return None;
    }
    Some(words.join(" "))
}

/// The name before any affiliation: up to a comma, a bracket, a bar or a
/// spaced dash.
fn name_part(rest: &str) -> &str {
    let mut end = rest.len();
    for separator in [",", "،", "(", "|", " - ", " \u{2013} ", " \u{2014} ", ";"] {
        if let Some(at) = rest.find(separator) {
            end = end.min(at);
        }
    }
    rest.get(..end).unwrap_or(rest).trim()
}

/// "Jane Doe", "Dr. Jane van der Berg": two words at least, the first and
/// every word but the particles capitalised. "the time", "Monday" are not.
fn reads_as_latin_name(words: &[&str]) -> bool {
    let capitalised = |word: &str| word.chars().next().is_some_and(char::is_uppercase);
    words.len() >= 2
        && capitalised(words[0])
        && words.iter().all(|word| {
            word.chars().any(char::is_alphabetic)
                && (capitalised(word) || NAME_PARTICLES.contains(word))
        })
}

/// Under a byline: "Former minister of finance", "أستاذ الاقتصاد بجامعة طرابلس".
fn is_affiliation(line: &str) -> bool {
    line.chars().count() <= MAX_AFFILIATION_CHARS
        && line.split_whitespace().count() <= MAX_AFFILIATION_WORDS
        && !ends_as_sentence(line)
        && byline_name(line).is_none()
}

/// A line ending as a sentence ends: a question, an exclamation, or a full
/// stop that closes no abbreviation ("Jr.", "Ph.D." do not end sentences).
fn ends_as_sentence(line: &str) -> bool {
    line.ends_with(['?', '!', '؟']) || (line.ends_with('.') && !ends_in_abbreviation(line))
}

fn ends_in_abbreviation(line: &str) -> bool {
    let last = line.split_whitespace().last().unwrap_or_default();
    let letters = last.chars().filter(|c| c.is_alphabetic()).count();
    let inner_stop = last.trim_end_matches('.').contains('.');
    letters <= 2 || inner_stop
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "The port of Misrata handles more cargo than ever.\n\nUntil then, the south pays.";

    fn head(text: &str, title: Option<&str>) -> ArticleHead {
        take_head(text, title)
    }

    #[test]
    fn an_english_title_and_byline_leave_the_text() {
        let taken = head(
            &format!("Ports, Not Checkpoints\n\nBy Jane Doe, former minister\n\n{TEXT}"),
            Some("Ports, not checkpoints"),
        );
        assert_eq!(taken.article, TEXT);
        assert_eq!(taken.title.as_deref(), Some("Ports, Not Checkpoints"));
        assert_eq!(taken.byline.as_deref(), Some("Jane Doe"));
    }

    #[test]
    fn an_arabic_title_and_byline_leave_the_text() {
        let text = "الانتخابات في ليبيا: أي مستقبل؟\n\nبقلم: د. سالم الورفلي\n\nلم تعد الانتخابات مطلباً شعبياً فحسب.";
        let taken = head(text, Some("الإنتخابات في ليبيا - أي مستقبل"));
        assert_eq!(taken.article, "لم تعد الانتخابات مطلباً شعبياً فحسب.");
        assert_eq!(taken.byline.as_deref(), Some("د. سالم الورفلي"));

        for (line, name) in [
            ("بقلم فلان الفلاني", "فلان الفلاني"),
            (
                "بقلم الدكتور محمد الفيتوري، وزير سابق",
                "الدكتور محمد الفيتوري",
            ),
            ("بقلم / خالد المبروك", "خالد المبروك"),
        ] {
            let taken = head(&format!("{line}\n\nالنص."), None);
            assert_eq!(taken.byline.as_deref(), Some(name), "{line}");
            assert_eq!(taken.article, "النص.", "{line}");
        }
    }

    #[test]
    fn a_title_alone_leaves_the_text() {
        let taken = head(
            &format!("PORTS,  not checkpoints!\n\n{TEXT}"),
            Some("Ports, not checkpoints"),
        );
        assert_eq!(taken.article, TEXT);
        assert_eq!(taken.byline, None);
        assert!(taken.title.is_some());
    }

    #[test]
    fn a_byline_alone_leaves_the_text() {
        let taken = head(&format!("By Jane Doe\n\n{TEXT}"), Some("Ports"));
        assert_eq!(taken.article, TEXT);
        assert_eq!(taken.title, None);
        assert_eq!(taken.byline.as_deref(), Some("Jane Doe"));
        let taken = head(
            &format!("Written by: Dr. Jane van der Berg\n\n{TEXT}"),
            Some("Ports"),
        );
        assert_eq!(taken.byline.as_deref(), Some("Dr. Jane van der Berg"));
    }

    #[test]
    fn title_and_byline_in_one_paragraph_with_an_affiliation_leave_the_text() {
        let taken = head(
            &format!("Ports, not checkpoints\nBy Jane Doe\nFormer minister of transport\n\n{TEXT}"),
            Some("Ports, not checkpoints"),
        );
        assert_eq!(taken.article, TEXT);
        assert_eq!(taken.byline.as_deref(), Some("Jane Doe"));
        // A byline first, then the title, is a head too.
        let taken = head(
            &format!("By Jane Doe\n\nPorts, not checkpoints\n\n{TEXT}"),
            Some("Ports, not checkpoints"),
        );
        assert_eq!(taken.article, TEXT);
    }

    #[test]
    fn a_first_sentence_starting_with_by_stays() {
        for first in [
            "By the time the ministers met, the money was gone.",
            "By Monday, the ministry had spent its budget.",
            "By Jane Doe's reckoning, the port has lost a decade.",
            "By then Tripoli Had Changed",
        ] {
            let text = format!("{first}\n\n{TEXT}");
            let taken = head(&text, Some("Ports"));
            assert_eq!(taken.article, text, "{first}");
            assert_eq!(taken.byline, None, "{first}");
        }
    }

    #[test]
    fn a_different_title_first_stays() {
        let text = format!("A road to nowhere\n\nBy Jane Doe\n\n{TEXT}");
        let taken = head(&text, Some("Ports, not checkpoints"));
        assert_eq!(taken.article, text, "the byline below it is not at the top");
        assert_eq!((taken.title, taken.byline), (None, None));
    }

    #[test]
    fn a_close_title_is_the_same_title() {
        let taken = head(
            &format!("Why Libya needs a unified budget\n\n{TEXT}"),
            Some("Libya needs a unified budget"),
        );
        assert_eq!(taken.article, TEXT);
        let text = format!("Ports and roads\n\n{TEXT}");
        assert_eq!(
            head(&text, Some("Ports")).article,
            text,
            "one word in common is not the title"
        );
    }

    #[test]
    fn without_a_known_title_a_heading_first_is_the_title() {
        let taken = head(&format!("Ports, not checkpoints\n\n{TEXT}"), None);
        assert_eq!(taken.title.as_deref(), Some("Ports, not checkpoints"));
        assert_eq!(taken.article, TEXT);
        // A first sentence is no heading, nor is a heading running on into text.
        assert_eq!(head(TEXT, None).article, TEXT);
        let running = format!("Dear editors\nplease find my piece below.\n\n{TEXT}");
        assert_eq!(head(&running, None).article, running);
    }

    #[test]
    fn the_whole_article_is_never_taken() {
        for text in [
            "By Jane Doe",
            "Ports, not checkpoints\n\nBy Jane Doe",
            "Ports, not checkpoints",
        ] {
            let taken = head(text, Some("Ports, not checkpoints"));
            assert_eq!(taken.article, text);
            assert_eq!((taken.title, taken.byline), (None, None));
        }
        assert_eq!(head("", None).article, "");
    }

    #[test]
    fn a_byline_running_on_into_text_stays() {
        let text = format!(
            "By Jane Doe and the committee members who met in Tripoli last\nspring, a plan was drawn up.\n\n{TEXT}"
        );
        assert_eq!(head(&text, Some("Ports")).article, text);
    }

    #[test]
    fn long_or_hostile_heads_are_bounded() {
        let long = "By Jane Doe ".repeat(50);
        let text = format!("{long}\n\n{TEXT}");
        assert_eq!(head(&text, None).article, text);
        let many = "x\n".repeat(10_000);
        assert_eq!(head(&many, Some("x")).article, many.trim_start());
        let wide = "é\u{0301}ب\u{0651}".repeat(40);
        let _ = head(&format!("{wide}\n\n{TEXT}"), Some(&wide));
    }
}
