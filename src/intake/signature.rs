//! What mail programs and groups add below an author's text: the "-- "
//! signature, "Sent from my iPhone", Outlook's `[cid:…]` placeholders for
//! the images of its signature, a group's footer. None of it belongs in
//! the article, so it is moved out to the cover note. Pure.

use std::sync::LazyLock;

use regex::Regex;

/// Outlook's plain-text stand-in for an inline image (a logo in the
/// signature, usually): `[cid:image001.png@01DA2B3C.4D5E6F70]`.
static CID_PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[cid:[^\]\s]*\]").expect("valid regex"));

/// The line mobile and web clients add on their own.
static SENT_FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:sent from (?:my )?.{1,60}|sent with .{1,60}|sent via .{1,60}|get outlook for .{1,30}|envoy[ée] de mon .{1,40}|von meinem .{1,40} gesendet|enviado desde mi .{1,40}|inviato da .{1,40})$",
    )
    .expect("valid regex")
});

/// The first line of a group's footer: Google Groups and Mailman.
static GROUP_FOOTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:you received this message because you are subscribed to the google groups?\b.*|_{20,})$")
        .expect("valid regex")
});

/// A signature starting further up than this many lines from the end is
/// taken for a divider inside the text, not a signature.
const MAX_SIGNATURE_LINES: usize = 20;

/// The most lines an Outlook signature paragraph (name, title, logo) has.
const MAX_LOGO_SIGNATURE_LINES: usize = 8;

/// `text` without its signature blocks, and the blocks taken out, in the
/// order they appeared.
pub fn split_signature(text: &str) -> (String, Vec<String>) {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let cut = signature_start(&lines).unwrap_or(lines.len());
    let kept = lines[..cut].join("\n");
    let mut removed = Vec::new();
    let signature = lines[cut..].join("\n").trim().to_string();
    if !signature.is_empty() {
        removed.push(signature);
    }
    // Placeholders left inside the text: the text without them.
    let placeholders: Vec<&str> = CID_PLACEHOLDER
        .find_iter(&kept)
        .map(|found| found.as_str())
        .collect();
    if !placeholders.is_empty() {
        removed.push(placeholders.join("\n"));
    }
    let kept = CID_PLACEHOLDER.replace_all(&kept, "").trim().to_string();
    (kept, removed)
}

/// The first line of the signature blocks at the end of `lines`.
fn signature_start(lines: &[&str]) -> Option<usize> {
    let near_end = lines.len().saturating_sub(MAX_SIGNATURE_LINES);
    let separator = (near_end..lines.len()).find(|&at| {
        let line = lines[at].trim_end();
        line == "--" || line == "-- " || GROUP_FOOTER.is_match(line.trim())
    });
    let last_text = lines.iter().rposition(|line| !line.trim().is_empty())?;
    // "Sent from my iPhone" counts only where nothing of the text follows it.
    let sent_from = (near_end..=last_text)
        .rev()
        .take_while(|&at| lines[at].trim().is_empty() || SENT_FROM.is_match(lines[at].trim()))
        .filter(|&at| !lines[at].trim().is_empty())
        .last();
    // Outlook's signature has no separator; its logo's placeholder in the
    // last paragraph marks that paragraph as the signature.
    let last_paragraph = (0..=last_text)
        .rev()
        .find(|&at| lines[at].trim().is_empty())
        .map_or(0, |blank| blank + 1);
    let with_logo = (last_text - last_paragraph < MAX_LOGO_SIGNATURE_LINES
        && lines[last_paragraph..=last_text]
            .iter()
            .any(|line| CID_PLACEHOLDER.is_match(line)))
    .then_some(last_paragraph);
    [separator, sent_from, with_logo]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dash_dash_signature_is_taken_out() {
        let (text, removed) =
            split_signature("My piece.\n\nIts end.\n\n-- \nAmal Haddad\nEconomist\n");
        assert_eq!(text, "My piece.\n\nIts end.");
        assert_eq!(removed, ["--\nAmal Haddad\nEconomist"]);
    }

    #[test]
    fn sent_from_my_phone_is_taken_out() {
        let (text, removed) = split_signature("My piece.\n\nSent from my iPhone\n");
        assert_eq!(text, "My piece.");
        assert_eq!(removed, ["Sent from my iPhone"]);
        let (text, _) = split_signature("My piece.\n\nGet Outlook for Android\n");
        assert_eq!(text, "My piece.");
    }

    #[test]
    fn a_sentence_that_starts_alike_but_goes_on_stays() {
        let written = "Sent from my iPhone, the message reached the minister.\n\nHe answered.";
        assert_eq!(split_signature(written), (written.to_string(), vec![]));
    }

    #[test]
    fn outlook_cid_placeholders_are_taken_out() {
        let (text, removed) =
            split_signature("My piece.\n\nAmal Haddad\n[cid:image001.png@01DA2B3C.4D5E6F70]\n");
        assert_eq!(text, "My piece.");
        assert_eq!(
            removed,
            ["Amal Haddad\n[cid:image001.png@01DA2B3C.4D5E6F70]"],
            "the logo's paragraph is the signature"
        );
        let (text, removed) = split_signature("Before [cid:image002.jpg@01DA] after.\n\nEnd.\n");
        assert_eq!(text, "Before  after.\n\nEnd.");
        assert_eq!(removed, ["[cid:image002.jpg@01DA]"]);
    }

    #[test]
    fn group_footers_are_taken_out() {
        let google = "My piece.\n\n-- \nYou received this message because you are subscribed to the Google Groups \"Op-Ed Submissions\" group.\nTo unsubscribe from this group, send an email to oped+unsubscribe@example.net.\n";
        assert_eq!(split_signature(google).0, "My piece.");
        let mailman = "My piece.\n\n_______________________________________________\nOped mailing list\noped@lists.example.net\nhttps://lists.example.net/mailman/listinfo/oped\n";
        assert_eq!(split_signature(mailman).0, "My piece.");
    }

    #[test]
    fn a_divider_far_from_the_end_is_part_of_the_text() {
        let mut written = String::from("Part one.\n--\n");
        for n in 0..30 {
            written.push_str(&format!("Line {n}.\n"));
        }
        assert_eq!(split_signature(&written).0, written.trim());
    }
}
