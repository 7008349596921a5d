//! The history a mail quotes: "On … wrote:" and the lines quoted below it,
//! or Outlook's header block of the mail being answered. An author who
//! sends their piece by answering an editor's call for pieces quotes that
//! call; it is not part of the article. Pure.

use std::sync::LazyLock;

use regex::Regex;

use super::forward::header_block;

/// The attribution line above a quote, in the languages desks see most:
/// "On Mon, 30 Nov 2026, Editor <e@x> wrote:", "Am … schrieb …:",
/// "Le … a écrit :", "El … escribió:".
static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:on\s.*\bwrote|am\s.*\bschrieb.*|le\s.*\ba\s+[ée]crit|el\s.*\bescribi[óo])\s*:$",
    )
    .expect("valid regex")
});

/// Outlook's separators above the header block of the mail it answers.
static OUTLOOK_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:_{10,}|-{3,}\s*original message\s*-{3,})\s*$").expect("valid regex")
});

/// Attribution lines that clients wrap run over at most this many lines.
const ATTRIBUTION_LINES: usize = 3;

/// `text` split into what the author wrote and the history it quotes,
/// `None` when it quotes none. Bottom-posted answers ("On … wrote:", the
/// quote, then the author's text) keep the text after the quote.
pub fn split_history(text: &str) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let (start, end) = attribution_at(&lines)
        .or_else(|| outlook_block_at(&lines))
        .or_else(|| trailing_quote_at(&lines))?;
    let mut quote_end = end;
    while quote_end < lines.len()
        && (lines[quote_end].starts_with('>') || lines[quote_end].trim().is_empty())
    {
        quote_end += 1;
    }
    let before = lines[..start].join("\n").trim().to_string();
    let after = lines[quote_end..].join("\n").trim().to_string();
    let quotes_only_quoted_lines = quote_end > end;
    if before.is_empty() && quotes_only_quoted_lines && !after.is_empty() {
        let history = lines[start..quote_end].join("\n").trim().to_string();
        return Some((after, history));
    }
    let history = lines[start..].join("\n").trim().to_string();
    Some((before, history))
}

/// Where an attribution line starts and the line after it ends.
fn attribution_at(lines: &[&str]) -> Option<(usize, usize)> {
    (0..lines.len()).find_map(|start| {
        (1..=ATTRIBUTION_LINES)
            .filter(|&count| start + count <= lines.len())
            .find(|&count| {
                let joined = lines[start..start + count]
                    .iter()
                    .map(|line| line.trim())
                    .collect::<Vec<_>>()
                    .join(" ");
                ATTRIBUTION.is_match(&joined)
            })
            .map(|count| (start, start + count))
    })
}

/// Outlook's header block (`From:`, `Sent:`, `Subject:`), with the
/// separator line above it when there is one.
fn outlook_block_at(lines: &[&str]) -> Option<(usize, usize)> {
    (0..lines.len()).find_map(|at| {
        let headers = header_block(&lines[at..])?;
        if !(headers.dated && headers.subject.is_some()) {
            return None;
        }
        let separated = at > 0 && OUTLOOK_SEPARATOR.is_match(lines[at - 1].trim());
        let start = if separated { at - 1 } else { at };
        Some((start, at + headers.lines))
    })
}

/// A run of `>` lines that ends the text, with no attribution above it.
fn trailing_quote_at(lines: &[&str]) -> Option<(usize, usize)> {
    let last = lines.iter().rposition(|line| !line.trim().is_empty())?;
    if !lines[last].starts_with('>') {
        return None;
    }
    let start = (0..=last)
        .rev()
        .take_while(|&at| lines[at].starts_with('>') || lines[at].trim().is_empty())
        .last()?;
    Some((start, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_top_posted_answer_keeps_what_is_above_the_attribution() {
        let text = "My piece.\n\nIts end.\n\nOn Mon, 30 Nov 2026 at 10:00, Sara Editor <sara@paper.example>\nwrote:\n> Send us 800 words.\n> Sara\n";
        let (mine, history) = split_history(text).unwrap();
        assert_eq!(mine, "My piece.\n\nIts end.");
        assert!(history.starts_with("On Mon, 30 Nov"));
        assert!(history.ends_with("> Sara"));
    }

    #[test]
    fn a_bottom_posted_answer_keeps_what_is_below_the_quote() {
        let text = "On Mon, Sara wrote:\n> Send us 800 words.\n\nMy piece.\n";
        let (mine, history) = split_history(text).unwrap();
        assert_eq!(mine, "My piece.");
        assert_eq!(history, "On Mon, Sara wrote:\n> Send us 800 words.");
    }

    #[test]
    fn outlook_header_block_starts_the_history() {
        let text = "My piece.\n\n________________________________\nFrom: Sara Editor <sara@paper.example>\nSent: Monday, November 30, 2026 10:00 AM\nTo: Amal\nSubject: Call for pieces\n\nSend us 800 words.\n";
        let (mine, history) = split_history(text).unwrap();
        assert_eq!(mine, "My piece.");
        assert!(history.starts_with("_____"));
        assert!(history.ends_with("Send us 800 words."));
    }

    #[test]
    fn other_languages_attributions() {
        for line in [
            "Am 30.11.2026 um 10:00 schrieb Sara Editor <sara@paper.example>:",
            "Le lun. 30 nov. 2026 à 10:00, Sara <sara@paper.example> a écrit :",
            "El lun, 30 nov 2026 a las 10:00, Sara escribió:",
        ] {
            let (mine, _) = split_history(&format!("Mine.\n\n{line}\n> x\n")).unwrap();
            assert_eq!(mine, "Mine.", "{line}");
        }
    }

    #[test]
    fn a_trailing_quote_without_attribution_is_history() {
        let (mine, history) = split_history("Mine.\n\n> theirs\n> more\n").unwrap();
        assert_eq!(
            (mine.as_str(), history.as_str()),
            ("Mine.", "> theirs\n> more")
        );
    }

    #[test]
    fn text_that_quotes_nothing_has_no_history() {
        assert_eq!(
            split_history("On balance, the port wrote its own rules:\nno history here.\n"),
            None
        );
        assert_eq!(split_history("A > B in the middle.\n"), None);
    }
}
