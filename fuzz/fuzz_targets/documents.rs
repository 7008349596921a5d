//! The attachment extractors. The first byte picks the format, the rest is the file.
//!
//! `extract` catches panics and turns them into `Malformed("extractor panicked")`,
//! but libfuzzer-sys installs a panic hook that aborts, so any panic inside an
//! extractor (or in the crates it calls) is still reported as a crash here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oped::intake::documents::{DocumentKind, DocumentLimits, extract};

const KINDS: [DocumentKind; 6] = [
    DocumentKind::Docx,
    DocumentKind::Odt,
    DocumentKind::Pdf,
    DocumentKind::Rtf,
    DocumentKind::Html,
    DocumentKind::Text,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(selector) % KINDS.len()];
    let _ = extract(kind, bytes, &DocumentLimits::default());
});
