//! Logging setup: human-readable by default, JSON when `OPED_LOG_FORMAT=json`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Logs go to stderr so that `oped ingest`
/// keeps stdout for its one JSON line. `RUST_LOG` overrides the default level.
pub fn init(format: LogFormat) {
    // lopdf reports every unreadable object of a hostile PDF: noise, not news.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,lopdf=off"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: MTA and systemd logs get plain text.
        .with_ansi(std::io::stderr().is_terminal());
    // A second call (tests) finds a subscriber already installed: that is fine.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
