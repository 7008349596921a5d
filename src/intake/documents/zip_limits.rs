//! Safe access to zip containers (docx, odt) and to the XML parts inside them.
//!
//! A zip entry's declared size is only a claim: the deflate stream decides how much
//! comes out. So sizes are checked twice, once against the header before reading and
//! once by counting through `Read::take(budget + 1)` while inflating. Only the named
//! XML parts are ever read; embedded files (including nested zips) are never opened.

use std::borrow::Cow;
use std::io::{Cursor, Read};

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use zip::ZipArchive;
use zip::result::ZipError;

use super::{DocumentError, DocumentLimits, clean_title};

/// Dublin Core, used by both OOXML core properties and ODF meta.xml for `dc:title`.
const DC_NS: &[u8] = b"http://purl.org/dc/elements/1.1/";

/// A zip archive plus the number of decompressed bytes we may still read from it.
pub(crate) struct Container<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    budget: u64,
}

impl<'a> Container<'a> {
    pub(crate) fn open(bytes: &'a [u8], limits: &DocumentLimits) -> Result<Self, DocumentError> {
        if !bytes.starts_with(b"PK") {
            return Err(DocumentError::Malformed("not a zip archive".into()));
        }
        // A central directory that claims billions of entries may make the zip
        // crate allocate until the extractor's memory limit ends it.
        let archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| DocumentError::Malformed(format!("not a valid zip archive: {e}")))?;
        if archive.len() > limits.max_zip_entries {
            return Err(DocumentError::TooManyEntries);
        }
        Ok(Self {
            archive,
            budget: limits.max_uncompressed_bytes,
        })
    }

    /// Reads a whole entry, or `None` if the archive has no such entry.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, DocumentError> {
        let entry = match self.archive.by_name(name) {
            Ok(entry) => entry,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(zip_error(e)),
        };
        if entry.size() > self.budget {
            return Err(DocumentError::TooLarge);
        }
        // Trust the declared size only to pre-size the buffer, and only up to 1 MiB.
        let capacity = entry.size().min(self.budget).min(1 << 20);
        let mut data = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        let mut limited = entry.take(self.budget.saturating_add(1));
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = limited
                .read(&mut chunk)
                .map_err(|e| DocumentError::Malformed(format!("{name}: {e}")))?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&chunk[..n]);
            if data.len() as u64 > self.budget {
                return Err(DocumentError::TooLarge);
            }
        }
        self.budget -= data.len() as u64;
        Ok(Some(data))
    }
}

fn zip_error(error: ZipError) -> DocumentError {
    match error {
        ZipError::UnsupportedArchive(msg) if msg == ZipError::PASSWORD_REQUIRED => {
            DocumentError::Encrypted
        }
        ZipError::UnsupportedArchive(_) => DocumentError::Unsupported,
        other => DocumentError::Malformed(other.to_string()),
    }
}

/// An XML reader configured for untrusted input, plus nesting-depth accounting.
/// quick-xml does not expand DTD entities, so "billion laughs" is not a concern.
pub(crate) struct XmlWalker<'a> {
    reader: NsReader<&'a [u8]>,
    /// The namespaces the caller cares about; `next` reports which one an element is in.
    namespaces: &'static [&'static [u8]],
    depth: usize,
    max_depth: usize,
}

impl<'a> XmlWalker<'a> {
    pub(crate) fn new(
        xml: &'a [u8],
        namespaces: &'static [&'static [u8]],
        max_depth: usize,
    ) -> Self {
        let mut reader = NsReader::from_reader(xml);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        Self {
            reader,
            namespaces,
            depth: 0,
            max_depth,
        }
    }

    /// Next event, with the element's namespace if it is one of ours.
    /// Keeps track of depth and enforces its limit.
    pub(crate) fn next(&mut self) -> Result<(Option<&'static [u8]>, Event<'a>), DocumentError> {
        let (resolved, event) = self
            .reader
            .read_resolved_event()
            .map_err(|e| DocumentError::Malformed(format!("XML: {e}")))?;
        let ns = match resolved {
            ResolveResult::Bound(n) => self
                .namespaces
                .iter()
                .copied()
                .find(|known| *known == n.as_ref()),
            _ => None,
        };
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > self.max_depth {
                    return Err(DocumentError::TooDeep);
                }
            }
            Event::Empty(_) if self.depth + 1 > self.max_depth => {
                return Err(DocumentError::TooDeep);
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok((ns, event))
    }

    /// Number of currently open elements.
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }
}

/// Text content of an XML text or CDATA event.
pub(crate) fn event_text<'e>(event: &'e Event<'_>) -> Result<Option<Cow<'e, str>>, DocumentError> {
    let text = match event {
        Event::Text(t) => t
            .unescape()
            .map_err(|e| DocumentError::Malformed(format!("XML text: {e}")))?,
        Event::CData(c) => c
            .decode()
            .map_err(|e| DocumentError::Malformed(format!("XML CDATA: {e}")))?,
        _ => return Ok(None),
    };
    Ok(Some(text))
}

/// Local name of a start, empty or end tag.
pub(crate) fn local_name<'e>(event: &'e Event<'_>) -> &'e [u8] {
    match event {
        Event::Start(e) | Event::Empty(e) => e.local_name().into_inner(),
        Event::End(e) => e.local_name().into_inner(),
        _ => b"",
    }
}

/// The first `dc:title` in a metadata part (docProps/core.xml, meta.xml).
pub(crate) fn dc_title(
    xml: &[u8],
    limits: &DocumentLimits,
) -> Result<Option<String>, DocumentError> {
    let mut walker = XmlWalker::new(xml, &[DC_NS], limits.max_xml_depth);
    let mut title: Option<String> = None;
    let mut inside = false;
    loop {
        let (ns, event) = walker.next()?;
        let is_title = ns == Some(DC_NS) && local_name(&event) == b"title";
        match &event {
            Event::Start(_) if is_title => inside = true,
            Event::End(_) if inside && is_title => {
                return Ok(title.as_deref().and_then(clean_title));
            }
            Event::Eof => return Ok(None),
            _ if inside => {
                if let Some(text) = event_text(&event)? {
                    let title = title.get_or_insert_with(String::new);
                    // A title longer than this is not a title; stop accumulating.
                    if title.len() < 8 * 1024 {
                        title.push_str(&text);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    /// Builds a zip archive in memory from (name, content) pairs.
    pub(crate) fn build_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in entries {
            let method = if *name == "mimetype" {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            writer
                .start_file(
                    *name,
                    SimpleFileOptions::default().compression_method(method),
                )
                .unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    /// A zip whose `name` entry inflates to `zeros` zero bytes.
    pub(crate) fn build_zero_bomb(name: &str, zeros: usize) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(1));
        writer.start_file(name, options).unwrap();
        let chunk = vec![0u8; 1 << 20];
        let mut left = zeros;
        while left > 0 {
            let n = left.min(chunk.len());
            writer.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
        writer.finish().unwrap().into_inner()
    }

    /// Rewrites the declared uncompressed size of every entry (local and central headers),
    /// producing an archive that lies about its sizes.
    pub(crate) fn patch_declared_sizes(zip: &mut [u8], declared: u32) {
        fn positions(zip: &[u8], signature: &[u8]) -> Vec<usize> {
            zip.windows(4)
                .enumerate()
                .filter(|(_, w)| *w == signature)
                .map(|(i, _)| i)
                .collect()
        }
        for at in positions(zip, b"PK\x03\x04") {
            zip[at + 22..at + 26].copy_from_slice(&declared.to_le_bytes());
        }
        for at in positions(zip, b"PK\x01\x02") {
            zip[at + 24..at + 28].copy_from_slice(&declared.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    fn limits(max_bytes: u64) -> DocumentLimits {
        DocumentLimits {
            max_uncompressed_bytes: max_bytes,
            ..DocumentLimits::default()
        }
    }

    #[test]
    fn reads_entries_and_reports_missing_ones() {
        let zip = build_zip(&[("a.xml", b"<a/>")]);
        let mut container = Container::open(&zip, &limits(1024)).unwrap();
        assert_eq!(
            container.read("a.xml").unwrap().as_deref(),
            Some(&b"<a/>"[..])
        );
        assert_eq!(container.read("b.xml").unwrap(), None);
    }

    #[test]
    fn budget_is_shared_across_entries() {
        let zip = build_zip(&[("a", &[b'x'; 600]), ("b", &[b'y'; 600])]);
        let mut container = Container::open(&zip, &limits(1000)).unwrap();
        assert!(container.read("a").unwrap().is_some());
        assert!(matches!(container.read("b"), Err(DocumentError::TooLarge)));
    }

    #[test]
    fn lying_declared_size_is_caught_while_reading() {
        let mut zip = build_zip(&[("a", &[b'x'; 5000])]);
        patch_declared_sizes(&mut zip, 10);
        let mut container = Container::open(&zip, &limits(1000)).unwrap();
        assert!(matches!(container.read("a"), Err(DocumentError::TooLarge)));
    }

    #[test]
    fn too_many_entries() {
        let names: Vec<String> = (0..30).map(|i| format!("f{i}")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let zip = build_zip(&entries);
        let small = DocumentLimits {
            max_zip_entries: 20,
            ..DocumentLimits::default()
        };
        assert!(matches!(
            Container::open(&zip, &small),
            Err(DocumentError::TooManyEntries)
        ));
    }

    #[test]
    fn not_a_zip() {
        assert!(matches!(
            Container::open(b"hello world", &DocumentLimits::default()),
            Err(DocumentError::Malformed(_))
        ));
    }

    #[test]
    fn xml_depth_limit() {
        let xml = "<a>".repeat(300) + &"</a>".repeat(300);
        assert!(matches!(
            dc_title(xml.as_bytes(), &DocumentLimits::default()),
            Err(DocumentError::TooDeep)
        ));
    }
}
