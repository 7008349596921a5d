//! `format=flowed` text (RFC 3676) joined back into the paragraphs its
//! author typed. Thunderbird and many webmails wrap every paragraph at 72
//! columns and mark each soft break with a trailing space; stored as sent,
//! an article would keep those breaks in the middle of its sentences. Pure.

/// The signature separator: it ends in a space but is never flowed.
const SIGNATURE_SEPARATOR: &str = "-- ";

/// Joins the soft-broken lines of `text` into one line a paragraph.
/// Space-stuffing is removed; quoted lines are joined only with lines of
/// the same quote depth and keep one `>` a level. With `delete_space`
/// (`DelSp=yes`) the space that marked a soft break is not part of the text.
pub fn unflow(text: &str, delete_space: bool) -> String {
    let mut lines: Vec<String> = Vec::new();
    // The quote depth of the last line when it was soft: the next line of
    // the same depth continues it.
    let mut open: Option<usize> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let content = &line[depth..];
        let content = content.strip_prefix(' ').unwrap_or(content);
        let separator = content == SIGNATURE_SEPARATOR;
        let soft = content.ends_with(' ') && !separator;
        let piece = match content.strip_suffix(' ') {
            Some(kept) if soft && delete_space => kept,
            _ => content,
        };
        match (open, lines.last_mut()) {
            (Some(open_depth), Some(last)) if open_depth == depth && !separator => {
                last.push_str(piece)
            }
            _ => lines.push(quoted(depth, piece)),
        }
        open = soft.then_some(depth);
    }
    lines
        .iter()
        .map(|line| line.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

fn quoted(depth: usize, content: &str) -> String {
    if depth == 0 {
        content.to_string()
    } else {
        format!("{} {content}", ">".repeat(depth))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_breaks_are_joined_and_hard_breaks_kept() {
        let sent = "The port of Misrata handles more \r\ncargo than ever, yet its \r\nroads are crumbling.\r\n\r\nSecond paragraph.\r\n";
        assert_eq!(
            unflow(sent, false),
            "The port of Misrata handles more cargo than ever, yet its roads are crumbling.\n\nSecond paragraph.\n"
        );
    }

    #[test]
    fn delsp_removes_the_space_that_marked_the_break() {
        // DelSp=yes lets a client break inside a word (or between CJK
        // characters with no space between them).
        let sent = "Infra \r\nstructure is \r\nfailing.\r\n";
        assert_eq!(unflow(sent, true), "Infrastructure isfailing.\n");
        assert_eq!(unflow(sent, false), "Infra structure is failing.\n");
    }

    #[test]
    fn space_stuffing_is_removed() {
        let sent = " From the start, \r\nit was wrong.\r\n >not a quote\r\n";
        assert_eq!(
            unflow(sent, false),
            "From the start, it was wrong.\n>not a quote\n"
        );
    }

    #[test]
    fn quoted_lines_join_only_at_their_own_depth() {
        let sent = "> The editor wrote this \r\n> long line.\r\n>> Older \r\n>> text.\r\nMy answer \r\ncontinues.\r\n";
        assert_eq!(
            unflow(sent, false),
            "> The editor wrote this long line.\n>> Older text.\nMy answer continues.\n"
        );
    }

    #[test]
    fn a_soft_line_before_another_depth_ends_its_paragraph() {
        let sent = "Mine \r\n> quoted\r\n";
        assert_eq!(unflow(sent, false), "Mine\n> quoted\n");
    }

    #[test]
    fn the_signature_separator_is_never_flowed() {
        let sent = "Last line.\r\n-- \r\nAmal Haddad\r\n";
        assert_eq!(unflow(sent, false), "Last line.\n--\nAmal Haddad\n");
    }
}
