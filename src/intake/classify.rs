//! Machine-mail detection: the `ignored_auto` outcome. Pure.

use super::parse::ParsedMail;

// What our own mail looks like is `email`'s to say; returning mail is
// recognised by it here.
pub use crate::email::{LOOP_HEADER, OWN_MESSAGE_ID_PREFIX};

/// Why a message is automatic, or `None` for mail a person wrote.
/// `X-Auto-Response-Suppress` alone is deliberately not a signal: Exchange
/// adds it to ordinary mail from people.
pub fn automatic_reason(mail: &ParsedMail, own_domain: &str) -> Option<String> {
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    };
    if header(&LOOP_HEADER.to_ascii_lowercase()).is_some() {
        return Some(format!("{LOOP_HEADER} header: our own mail came back"));
    }
    if let Some(id) = &mail.message_id
        && let Some((local, domain)) = id.rsplit_once('@')
        && local.starts_with(OWN_MESSAGE_ID_PREFIX)
        && domain.eq_ignore_ascii_case(own_domain)
    {
        return Some("Message-ID is one of ours: our own mail came back".into());
    }
    if let Some(value) = header("auto-submitted") {
        let keyword = first_token(value);
        if !keyword.eq_ignore_ascii_case("no") {
            return Some(format!("Auto-Submitted: {keyword}"));
        }
    }
    for name in ["x-autoreply", "x-autorespond"] {
        if header(name).is_some() {
            return Some(format!("{name} header"));
        }
    }
    if let Some(value) = header("precedence") {
        let precedence = first_token(value).to_ascii_lowercase();
        if matches!(precedence.as_str(), "bulk" | "junk" | "list" | "auto_reply") {
            return Some(format!("Precedence: {precedence}"));
        }
    }
    if mail.root_content_type == "multipart/report" {
        return Some("delivery status notification (multipart/report)".into());
    }
    let local_part = mail.sender.email.split('@').next().unwrap_or_default();
    if local_part == "mailer-daemon" || local_part == "postmaster" {
        return Some(format!("sent by {local_part}"));
    }
    if let Some(value) = header("return-path")
        && value
            .trim_matches(|c: char| c.is_whitespace() || c == '<' || c == '>')
            .is_empty()
    {
        return Some("Return-Path: <> (null sender)".into());
    }
    None
}

fn first_token(value: &str) -> &str {
    value
        .split([';', ' ', '('])
        .next()
        .unwrap_or_default()
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::{IntakeLimits, parse::parse_mail};

    fn reason(headers: &str) -> Option<String> {
        let raw = format!(
            "From: Writer <writer@example.org>\r\nSubject: Op-Ed: x\r\n{headers}\r\nbody\r\n"
        );
        let mail = parse_mail(raw.as_bytes(), &IntakeLimits::default()).unwrap();
        automatic_reason(&mail, "desk.example")
    }

    #[test]
    fn a_person_s_mail_is_not_automatic() {
        assert_eq!(reason(""), None);
        assert_eq!(reason("Auto-Submitted: no\r\n"), None);
        assert_eq!(
            reason("X-Auto-Response-Suppress: DR, OOF, AutoReply\r\n"),
            None
        );
        assert_eq!(reason("Precedence: first-class\r\n"), None);
        assert_eq!(reason("Return-Path: <writer@example.org>\r\n"), None);
        assert_eq!(reason("Message-ID: <oped.1@elsewhere.example>\r\n"), None);
    }

    #[test]
    fn every_automatic_signal_is_recognised() {
        for headers in [
            "Auto-Submitted: auto-replied\r\n",
            "Auto-Submitted: auto-generated; owner-email=\"x@y\"\r\n",
            "X-Autoreply: yes\r\n",
            "X-Autorespond: yes\r\n",
            "Precedence: bulk\r\n",
            "Precedence: JUNK\r\n",
            "Precedence: list\r\n",
            "Precedence: auto_reply\r\n",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n",
            "Return-Path: <>\r\n",
            "X-Oped-Loop: desk.example\r\n",
            "Message-ID: <oped.42.abc@DESK.example>\r\n",
        ] {
            assert!(reason(headers).is_some(), "{headers:?} should be automatic");
        }
    }

    #[test]
    fn mailer_daemon_and_postmaster_are_automatic() {
        for from in ["MAILER-DAEMON@mx.example.net", "postmaster@example.org"] {
            let raw = format!("From: {from}\r\nSubject: x\r\n\r\nbody\r\n");
            let mail = parse_mail(raw.as_bytes(), &IntakeLimits::default()).unwrap();
            assert!(automatic_reason(&mail, "desk.example").is_some(), "{from}");
        }
    }
}
