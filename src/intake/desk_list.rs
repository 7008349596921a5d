//! The desk's own group: when the op-ed address is a Google Group or a
//! Mailman list (`OPED_DESK_LISTS`), the mail it relays is an author's
//! mail, not list traffic. Read as if sent directly: the list's
//! `Precedence: list` no longer makes it automatic, the author comes back
//! from `X-Original-From` / `Reply-To` when `From` is the group's "via"
//! rewrite, the group's footer is dropped, and the sender's authentication
//! counts as none (the group re-sends and re-signs it). Pure.

use super::parse::{Mailbox, ParsedMail};
use crate::text::clean;

/// Where each group program's footer starts, on a line of its own.
const FOOTER_STARTS: [&str; 2] = [
    // Google Groups, after its "-- " line.
    "You received this message because you are subscribed to the Google Groups",
    // Mailman 2 and 3 put a rule of underscores above the list's name.
    "_______________________________________________",
];

/// Rewrites `mail` as sent directly when one of `desk_lists` relayed it;
/// other mail is left alone (list mail stays automatic).
pub fn read_as_sent_directly(mail: &mut ParsedMail, desk_lists: &[String]) {
    if desk_lists.is_empty() {
        return;
    }
    let Some(list_id) = header(mail, "list-id").map(list_id_of) else {
        return;
    };
    if !desk_lists.contains(&list_id) {
        return;
    }
    if let Some(author) = original_author(mail) {
        mail.sender = author;
    }
    // The group re-sends the mail: what our server verified is the group,
    // and the list headers describe the group, not the author.
    mail.headers.retain(|(name, _)| {
        !matches!(
            name.as_str(),
            "precedence" | "authentication-results" | "arc-authentication-results"
        )
    });
    if let Some(body) = mail.text_body.as_mut() {
        *body = without_footer(body);
    }
}

fn header<'a>(mail: &'a ParsedMail, name: &str) -> Option<&'a str> {
    mail.headers
        .iter()
        .find(|(header, _)| header == name)
        .map(|(_, value)| value.as_str())
}

/// `Op-Ed Submissions <oped.news.example>` → `oped.news.example`.
fn list_id_of(value: &str) -> String {
    let id = match (value.rfind('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => &value[open + 1..close],
        _ => value,
    };
    id.trim().to_ascii_lowercase()
}

/// The author behind a group's "'Name' via Group" rewrite of `From`.
fn original_author(mail: &ParsedMail) -> Option<Mailbox> {
    if let Some(author) = header(mail, "x-original-from").and_then(mailbox_of) {
        return Some(author);
    }
    let rewritten = mail
        .sender
        .name
        .as_deref()
        .is_some_and(|name| name.contains(" via "));
    if rewritten {
        return header(mail, "reply-to").and_then(mailbox_of);
    }
    None
}

/// `"Amal Haddad" <amal@example.org>` (or a bare address) → a mailbox.
fn mailbox_of(value: &str) -> Option<Mailbox> {
    let value = clean(value.trim());
    let (name, address) = match (value.rfind('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            (value[..open].trim(), value[open + 1..close].trim())
        }
        _ => ("", value.as_str()),
    };
    let email = address.to_lowercase();
    let (local, domain) = email.rsplit_once('@')?;
    if local.is_empty() || !domain.contains('.') || email.contains([' ', ',', '<', '>']) {
        return None;
    }
    let name = name.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    Some(Mailbox {
        email: email.clone(),
        name: (!name.is_empty() && name.to_lowercase() != email).then(|| name.to_string()),
    })
}

/// The body above the group's footer (and the "-- " line Google puts
/// above it).
fn without_footer(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let Some(start) = lines.iter().position(|line| {
        FOOTER_STARTS
            .iter()
            .any(|footer| line.trim_start().starts_with(footer))
    }) else {
        return body.to_string();
    };
    let mut kept = &lines[..start];
    while let Some((last, rest)) = kept.split_last() {
        if last.trim().is_empty() || *last == "-- " || last.trim() == "--" {
            kept = rest;
        } else {
            break;
        }
    }
    kept.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::{IntakeLimits, classify, parse::parse_mail};

    const GOOGLE_GROUP: &str = "From: \"'Amal Haddad' via Op-Ed Submissions\" <oped@news.example>\r\n\
        Reply-To: Amal Haddad <amal@example.org>\r\n\
        X-Original-From: Amal Haddad <Amal@Example.org>\r\n\
        Subject: Op-Ed: Ports\r\nPrecedence: list\r\n\
        Mailing-list: list oped@news.example; contact oped+owners@news.example\r\n\
        List-Id: <oped.news.example>\r\n\
        Authentication-Results: mx.desk.example; dmarc=pass header.from=news.example\r\n\r\n\
        The piece.\r\n\r\n-- \r\nYou received this message because you are subscribed to the Google Groups \"Op-Ed Submissions\" group.\r\n\
        To unsubscribe from this group and stop receiving emails from it, send an email to oped+unsubscribe@news.example.\r\n";

    fn relayed(raw: &str, lists: &[&str]) -> ParsedMail {
        let mut mail = parse_mail(raw.as_bytes(), &IntakeLimits::default()).unwrap();
        let lists: Vec<String> = lists.iter().map(|list| list.to_string()).collect();
        read_as_sent_directly(&mut mail, &lists);
        mail
    }

    #[test]
    fn the_desk_s_group_relays_an_author_s_mail() {
        let mail = relayed(GOOGLE_GROUP, &["oped.news.example"]);
        assert_eq!(mail.sender.email, "amal@example.org");
        assert_eq!(mail.sender.name.as_deref(), Some("Amal Haddad"));
        assert_eq!(mail.text_body.as_deref(), Some("The piece."));
        assert_eq!(classify::automatic_reason(&mail, "desk.example"), None);
        assert!(
            !mail
                .headers
                .iter()
                .any(|(name, _)| name == "authentication-results")
        );
    }

    #[test]
    fn other_lists_stay_list_mail() {
        let mail = relayed(GOOGLE_GROUP, &["letters.news.example"]);
        assert_eq!(mail.sender.email, "oped@news.example");
        assert!(classify::automatic_reason(&mail, "desk.example").is_some());
    }

    #[test]
    fn mailman_s_footer_is_dropped_and_a_plain_from_kept() {
        let raw = "From: Amal Haddad <amal@example.org>\r\nSubject: Op-Ed: Ports\r\n\
            List-Id: Op-Ed submissions <oped.lists.news.example>\r\nPrecedence: list\r\n\r\n\
            First.\r\n\r\nLast.\r\n\r\n_______________________________________________\r\n\
            Oped mailing list\r\nOped@lists.news.example\r\nhttps://lists.news.example/mailman/listinfo/oped\r\n";
        let mail = relayed(raw, &["oped.lists.news.example"]);
        assert_eq!(mail.sender.email, "amal@example.org");
        assert_eq!(mail.text_body.as_deref(), Some("First.\n\nLast."));
    }
}
