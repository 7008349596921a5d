//! Property tests over the pure intake step: no input, however hostile,
//! makes it panic. Bounded in cases so the suite stays quick.

use crate::common;

use oped::intake::{Analysis, analyse, draft::build_draft};
use proptest::prelude::*;

fn corpus() -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(common::corpus_dir())
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| std::fs::read(path).unwrap())
        .collect()
}

/// Parsing, classifying and building the draft: the whole pure path.
fn run_pure_path(raw: &[u8]) {
    let config = common::intake_config();
    if let Analysis::Mail(analysis) = analyse(raw, &config) {
        let draft = build_draft(
            &analysis.mail,
            &config.limits,
            config.trusted_authserv_id.as_deref(),
        );
        assert!(!draft.title.is_empty());
        assert!(!draft.body_html.contains("<script"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        run_pure_path(&raw);
    }

    #[test]
    fn header_shaped_text_never_panics(
        headers in proptest::collection::vec("[A-Za-z-]{1,20}: [ -~]{0,80}", 0..12),
        body in "[ -~\r\n]{0,400}",
    ) {
        let raw = format!("{}\r\n\r\n{body}", headers.join("\r\n"));
        run_pure_path(raw.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_corpus_mail_never_panics(
        pick in 0usize..14,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..24),
    ) {
        let corpus = corpus();
        let mut raw = corpus[pick % corpus.len()].clone();
        for (at, byte, kind) in edits {
            if raw.is_empty() {
                break;
            }
            let i = at.index(raw.len());
            match kind {
                0 => raw[i] = byte,
                1 => raw.insert(i, byte),
                2 => { raw.remove(i); }
                _ => raw.truncate(i),
            }
        }
        run_pure_path(&raw);
    }
}
