//! The pure intake path: raw message bytes -> analysis -> submission draft.
//! No database is touched; every step here must return, not panic or hang.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use oped::config::{Config, IntakeConfig};
use oped::intake::documents::Runner;
use oped::intake::{Analysis, analyse, draft::build_draft};

static CONFIG: LazyLock<IntakeConfig> = LazyLock::new(|| {
    // Read as `oped serve` reads its environment, so the target follows
    // every new setting without being edited.
    let variables = [
        ("OPED_JWT_SECRET", "fuzzing-secret-of-at-least-32-bytes!!"),
        ("OPED_TRUSTED_AUTHSERV_ID", "mx.desk.example"),
        ("OPED_FROM", "Op-Ed Desk <oped@desk.example>"),
        ("OPED_DESK_LISTS", "oped.desk.example"),
    ];
    let config = Config::from_lookup(|name| {
        variables
            .iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| value.to_string())
    })
    .expect("the fuzzing configuration is valid");
    let mut intake = config.intake;
    // In process, so the target stays a pure function of its bytes (the
    // fuzzer binary is no `oped extract` to start as a child).
    intake.limits.extraction.runner = Runner::InProcess;
    intake
});

fuzz_target!(|data: &[u8]| {
    let config = &*CONFIG;
    if let Analysis::Mail(analysis) = analyse(data, config) {
        let _ = build_draft(
            &analysis.mail,
            &config.limits,
            config.trusted_authserv_id.as_deref(),
        );
    }
});
