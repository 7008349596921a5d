//! `oped imap check`: tries the login and both folders, and says what is wrong.

use super::connection::{self, ErrorKind, MailboxError};
use super::poller::folder_exists;
use crate::config::ImapConfig;

/// What the check found, one line each, for the operator.
pub async fn check(config: &ImapConfig) -> Result<Vec<String>, MailboxError> {
    let mut found = Vec::new();
    let mut session = connection::open(config).await?;
    found.push(format!("logged in to {}", config.describe()));
    let folder = &config.folder;
    let selected = session.examine(folder).await.map_err(|err| {
        MailboxError::imap(ErrorKind::Folder, &format!("cannot open {folder:?}"), &err)
    })?;
    found.push(format!(
        "{folder:?}: {} messages waiting (UIDVALIDITY {})",
        selected.exists,
        selected
            .uid_validity
            .map_or_else(|| "missing".to_string(), |v| v.to_string())
    ));
    let processed = &config.processed_folder;
    if folder_exists(&mut session, processed).await? {
        found.push(format!("{processed:?}: exists"));
    } else {
        found.push(format!(
            "{processed:?}: missing; the poller creates it at its first run"
        ));
    }
    let capabilities = session
        .capabilities()
        .await
        .map_err(|err| MailboxError::imap(ErrorKind::Protocol, "CAPABILITY failed", &err))?;
    found.push(format!(
        "new mail: {}; moving: {}",
        if capabilities.has_str("IDLE") {
            "IDLE (immediate)".to_string()
        } else {
            format!(
                "polled every {} s (no IDLE)",
                config.poll_interval.as_secs()
            )
        },
        if capabilities.has_str("MOVE") {
            "UID MOVE"
        } else {
            "UID COPY + expunge (no MOVE)"
        }
    ));
    let _ = session.logout().await;
    Ok(found)
}
