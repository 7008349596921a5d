//! The pure intake path: raw message bytes -> analysis -> submission draft.
//! No database is touched; every step here must return, not panic or hang.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use oped::config::IntakeConfig;
use oped::intake::documents::Runner;
use oped::intake::{Analysis, IntakeLimits, analyse, draft::build_draft};

static CONFIG: LazyLock<IntakeConfig> = LazyLock::new(|| {
    let mut limits = IntakeLimits::default();
    // In process, so the target stays a pure function of its bytes (the
    // fuzzer binary is no `oped extract` to start as a child).
    limits.extraction.runner = Runner::InProcess;
    IntakeConfig {
        inbound_token: None,
        trusted_authserv_id: Some("mx.desk.example".into()),
        own_domain: "desk.example".into(),
        limits,
        ack_limit_per_hour: 3,
    }
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
