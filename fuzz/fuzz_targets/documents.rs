//! The attachment extractors. The first byte picks the format, the rest is the file.
//!
//! `extract` is the pure function the server runs in a child process
//! (`oped extract`); here it runs in process, so any panic, stack overflow or
//! runaway allocation in an extractor (or a crate it calls) is a finding, even
//! though in production it would only end the child with a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oped::intake::documents::{DocumentKind, DocumentLimits, extract};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let kind = DocumentKind::ALL[usize::from(selector) % DocumentKind::ALL.len()];
    let _ = extract(kind, bytes, &DocumentLimits::default());
});
