//! Wrappers that mail programs put around what the author sent: Outlook's
//! `winmail.dat` ([`tnef`]) and S/MIME opaque signing ([`smime`]). Opening
//! them is bounded slicing of bytes already in memory; the documents found
//! inside are read like any others, in the sandboxed child, on the message's
//! one budget.

pub mod ber;
pub mod smime;
pub mod tnef;

use super::attachment::MailAttachment;

/// The attachments as the author meant them: each `winmail.dat` replaced by
/// the files packed inside it. One that cannot be unpacked stays as it came,
/// and `documents::unread` says why for the editors.
pub fn opened_attachments(
    attachments: impl Iterator<Item = MailAttachment>,
) -> Vec<MailAttachment> {
    let mut opened = Vec::new();
    for attachment in attachments {
        if tnef::is_tnef(&attachment) {
            match tnef::unpack(&attachment.content) {
                Ok(files) if !files.is_empty() => {
                    opened.extend(files);
                    continue;
                }
                Ok(_) => {}
                Err(err) => tracing::info!(%err, "winmail.dat kept as it came"),
            }
        }
        opened.push(attachment);
    }
    opened
}
