//! A piece forwarded in the body of a mail: Gmail's "Forwarded message"
//! block, Apple Mail's "Begin forwarded message:", Outlook's "From: … Sent:
//! … Subject:" header block. Desks are sent pieces this way all the time (an
//! author's friend, an agent, the author from another account), and then
//! the forwarder's two lines are not the article. Pure.

use std::sync::LazyLock;

use regex::Regex;

use super::parse::Mailbox;

/// The line that opens a forwarded message in Gmail (and clients copying
/// it) or Apple Mail, in the languages desks see most.
static FORWARD_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transf[ée]r[ée]|mensaje reenviado|messaggio inoltrato)\s*-{2,}|begin forwarded message\s*:|anfang der weitergeleiteten nachricht\s*:|d[ée]but du message r[ée]exp[ée]di[ée]\s*:)\s*$",
    )
    .expect("valid regex")
});

/// Outlook's separators above the header block of a message it forwards
/// or answers.
static OUTLOOK_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:_{10,}|-{3,}\s*original message\s*-{3,})\s*$").expect("valid regex")
});

/// A line of a forwarded header block: `From: …`, `Sent: …` and the same
/// names in German, French and Spanish Outlook.
static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\*?(from|von|de|sent|date|datum|gesendet|envoy[ée]|enviado|fecha|to|an|[àa]|para|cc|subject|betreff|objet|asunto|reply-to)\*?\s*:\s*(.*)$",
    )
    .expect("valid regex")
});

/// The most lines read as one quoted header block (a long `To:` list
/// wrapped by the client included).
const MAX_HEADER_BLOCK_LINES: usize = 40;

/// A mail's header block quoted in its body, as Outlook and the forwarding
/// clients write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedHeaders {
    pub from: Option<Mailbox>,
    pub subject: Option<String>,
    /// Whether the block names when the mail was sent (`Sent:`/`Date:`):
    /// with `From:` and `Subject:` that is what makes it a header block.
    pub dated: bool,
    /// Lines the block takes, from its first header to the blank line after.
    pub lines: usize,
}

/// A message forwarded inside the body of another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineForward {
    /// The forwarder's own words, above the forwarded message.
    pub note: String,
    pub headers: QuotedHeaders,
    /// The forwarded message's text.
    pub text: String,
}

/// Finds the first forwarded message in `text` (lines ending in `\n`).
/// Gmail's and Apple Mail's blocks are always forwards; Outlook's header
/// block is one only when the mail's subject says it forwards
/// (`outlook_forward`), because Outlook quotes the mail it answers the same
/// way.
pub fn inline_forward(text: &str, outlook_forward: bool) -> Option<InlineForward> {
    let lines: Vec<&str> = text.lines().collect();
    for (at, line) in lines.iter().enumerate() {
        let line = line.trim();
        let separated =
            FORWARD_MARKER.is_match(line) || (outlook_forward && OUTLOOK_SEPARATOR.is_match(line));
        let headers_from = if separated {
            at + 1
        } else if outlook_forward && is_header_line(line, "from") {
            at
        } else {
            continue;
        };
        let start = skip_blank(&lines, headers_from);
        let Some(headers) = header_block(&lines[start..]) else {
            continue;
        };
        // Without a separator above it, a `From:` line opens a header block
        // only with the date and subject that follow it.
        let header_block = headers.dated && headers.subject.is_some();
        if !(separated || header_block) {
            continue;
        }
        let body_start = start + headers.lines;
        return Some(InlineForward {
            note: lines[..at].join("\n").trim().to_string(),
            text: unquote(&lines[body_start.min(lines.len())..]),
            headers,
        });
    }
    None
}

/// Reads the header block at the start of `lines`: consecutive header lines
/// up to a blank line, the first of them `From:`.
pub fn header_block(lines: &[&str]) -> Option<QuotedHeaders> {
    let first = lines.first().map(|line| unquote_line(line).trim())?;
    if !is_header_line(first, "from") {
        return None;
    }
    let mut headers = QuotedHeaders {
        from: None,
        subject: None,
        dated: false,
        lines: 0,
    };
    // A block ends at a blank line, and real ones are short: bounding it
    // keeps a body of nothing but `From:` lines from costing a scan a line.
    for line in lines.iter().take(MAX_HEADER_BLOCK_LINES) {
        let line = unquote_line(line).trim();
        if line.is_empty() {
            break;
        }
        headers.lines += 1;
        let Some(found) = HEADER_LINE.captures(line) else {
            // A long `To:` or `Cc:` list that the client wrapped.
            continue;
        };
        let value = found[2].trim();
        match found[1].to_lowercase().as_str() {
            "from" | "von" | "de" if headers.from.is_none() => headers.from = mailbox(value),
            "sent" | "date" | "datum" | "gesendet" | "envoyé" | "envoye" | "enviado" | "fecha" => {
                headers.dated = true
            }
            "subject" | "betreff" | "objet" | "asunto" => {
                headers.subject = Some(value.to_string()).filter(|s| !s.is_empty())
            }
            _ => {}
        }
    }
    Some(headers)
}

fn is_header_line(line: &str, name: &str) -> bool {
    let names: &[&str] = match name {
        "from" => &["from", "von", "de"],
        _ => &[name],
    };
    HEADER_LINE
        .captures(line)
        .is_some_and(|found| names.contains(&found[1].to_lowercase().as_str()))
}

fn skip_blank(lines: &[&str], from: usize) -> usize {
    (from..lines.len())
        .find(|&at| !lines[at].trim().is_empty())
        .unwrap_or(lines.len())
}

/// The forwarded text; when a client quoted every line of it with `>`,
/// one level of quoting is taken off.
fn unquote(lines: &[&str]) -> String {
    let quoted = lines
        .iter()
        .filter(|line| !line.trim().is_empty())
        .all(|line| line.starts_with('>'));
    let text: Vec<&str> = if quoted {
        lines.iter().map(|line| unquote_line(line)).collect()
    } else {
        lines.to_vec()
    };
    text.join("\n").trim_matches('\n').to_string()
}

fn unquote_line(line: &str) -> &str {
    match line.strip_prefix('>') {
        Some(rest) => rest.strip_prefix(' ').unwrap_or(rest),
        None => line,
    }
}

/// `Name <address>`, `"Name" <address>`, Outlook's `Name [mailto:address]`,
/// Gmail's `*Name* <address>` or a bare address.
pub fn mailbox(value: &str) -> Option<Mailbox> {
    let (name, address) = if let Some((name, rest)) = value.split_once('<') {
        (name, rest.split('>').next().unwrap_or(rest))
    } else if let Some((name, rest)) = value.split_once("[mailto:") {
        (name, rest.split(']').next().unwrap_or(rest))
    } else {
        ("", value)
    };
    let email = address.trim().to_lowercase();
    let (local, domain) = email.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || email.contains(char::is_whitespace) {
        return None;
    }
    let name = name
        .trim()
        .trim_matches(|c: char| c == '"' || c == '\'' || c == '*')
        .trim();
    Some(Mailbox {
        name: (!name.is_empty() && name.to_lowercase() != email).then(|| name.to_string()),
        email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amal() -> Option<Mailbox> {
        Some(Mailbox {
            email: "amal@example.org".into(),
            name: Some("Amal Haddad".into()),
        })
    }

    #[test]
    fn gmail_forward_is_found() {
        let text = "Please consider this piece by my colleague.\n\n---------- Forwarded message ---------\nFrom: Amal Haddad <amal@example.org>\nDate: Mon, 30 Nov 2026 at 09:12\nSubject: Op-Ed: Ports\nTo: Omar <omar@example.com>\n\n\nThe port is failing.\n\nFix it.\n";
        let forward = inline_forward(text, false).unwrap();
        assert_eq!(forward.note, "Please consider this piece by my colleague.");
        assert_eq!(forward.headers.from, amal());
        assert_eq!(forward.headers.subject.as_deref(), Some("Op-Ed: Ports"));
        assert_eq!(forward.text, "The port is failing.\n\nFix it.");
    }

    #[test]
    fn apple_forward_is_found_even_when_quoted() {
        let text = "FYI\n\nBegin forwarded message:\n\n> From: \"Amal Haddad\" <amal@example.org>\n> Subject: Ports\n> Date: 30 November 2026 at 09:12:00 GMT\n> To: omar@example.com\n> \n> The port is failing.\n";
        let forward = inline_forward(text, false).unwrap();
        assert_eq!(forward.note, "FYI");
        assert_eq!(forward.headers.from, amal());
        assert_eq!(forward.text, "The port is failing.");
    }

    #[test]
    fn outlook_header_block_is_a_forward_only_for_a_forwarding_subject() {
        let text = "See below.\n\n________________________________\nFrom: Amal Haddad [mailto:amal@example.org]\nSent: Monday, November 30, 2026 9:12 AM\nTo: Omar Salem\nSubject: Ports\n\nThe port is failing.\n";
        assert_eq!(inline_forward(text, false), None);
        let forward = inline_forward(text, true).unwrap();
        assert_eq!(forward.note, "See below.");
        assert_eq!(forward.headers.from, amal());
        assert_eq!(forward.text, "The port is failing.");
    }

    #[test]
    fn outlook_block_without_a_separator_needs_its_date_and_subject() {
        let forward = inline_forward(
            "From: Amal Haddad <amal@example.org>\nSent: Monday\nSubject: Ports\n\nText.\n",
            true,
        )
        .unwrap();
        assert_eq!(forward.note, "");
        assert_eq!(forward.text, "Text.");
        assert_eq!(
            inline_forward("From: the desk's point of view\nit was wrong.\n", true),
            None
        );
    }

    #[test]
    fn a_body_of_from_lines_is_read_in_linear_time() {
        // Every line could open a header block that never completes.
        let text = "From: a@b.c\n".repeat(10_000);
        let started = std::time::Instant::now();
        assert_eq!(inline_forward(&text, true), None);
        assert_eq!(super::super::quoted::split_history(&text), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn mailboxes_in_the_forms_clients_write() {
        assert_eq!(mailbox("*Amal Haddad* <Amal@Example.org>"), amal());
        assert_eq!(mailbox("Amal Haddad [mailto:amal@example.org]"), amal());
        assert_eq!(
            mailbox("amal@example.org").map(|m| m.name),
            Some(None::<String>)
        );
        assert_eq!(mailbox("Amal Haddad"), None);
    }
}
