//! A file attached to a mail, as parsing finds it and as the wrappers
//! (`winmail.dat`) unpack it: a type of its own, so that `parse` and
//! `wrappers` both use it without depending on each other.

#[derive(Debug, Clone)]
pub struct MailAttachment {
    pub filename: Option<String>,
    pub content_type: String,
    pub content: Vec<u8>,
}
