//! Mail and document builders shared by the integration tests (`common::mail`)
//! and the intake bench (`examples/intake_bench`, which includes this file
//! with `#[path]`, so the service's own binary never carries it): MIME parts
//! through `mail-builder`, .docx packages through `zip`. One way to write a
//! mail with attachments, so the bench times the mail shape the tests check.

use std::borrow::Cow;
use std::io::Write as _;

use mail_builder::headers::content_type::ContentType;
use mail_builder::mime::{BodyPart, MimePart};

/// A zip archive of `entries`, deflated as Word deflates a .docx.
pub fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        writer.start_file(*name, options).expect("a zip entry");
        writer.write_all(content).expect("writing to memory");
    }
    writer.finish().expect("a zip archive").into_inner()
}

/// UTF-8 text sent as it is (`8bit`), the way most mail programs send it;
/// left to itself mail-builder would re-encode any non-ASCII text as
/// quoted-printable, and the decoding would no longer be the common case.
pub fn text_8bit<'x>(text: impl Into<Cow<'x, str>>) -> MimePart<'x> {
    MimePart::new(
        ContentType::new("text/plain").attribute("charset", "utf-8"),
        BodyPart::Text(text.into()),
    )
    .transfer_encoding("8bit")
}

/// `content` attached as `filename`; mail-builder writes it in base64.
pub fn attachment(filename: &str, content_type: &str, content: Vec<u8>) -> MimePart<'static> {
    MimePart::new(
        ContentType::new(content_type.to_string()).attribute("name", filename.to_string()),
        BodyPart::Binary(content.into()),
    )
    .attachment(filename.to_string())
}

/// multipart/mixed of `parts`. The boundary is given: mail-builder would draw
/// one from the clock, and the same input must give the same bytes.
pub fn mixed<'x>(boundary: &str, parts: Vec<MimePart<'x>>) -> MimePart<'x> {
    MimePart::new(
        ContentType::new("multipart/mixed").attribute("boundary", boundary.to_string()),
        BodyPart::Multipart(parts),
    )
}
