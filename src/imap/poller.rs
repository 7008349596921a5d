//! The poller: one per mailbox across all processes, on its own thread with
//! its own tokio runtime (the IMAP client is async; diesel and intake are
//! not, and may block this thread: nothing else runs on its runtime).
//!
//! Nothing lost, nothing twice:
//! - leadership is a session advisory lock on the poller's own database
//!   connection, and every record is written on that same connection, so a
//!   poller that lost its connection has lost its lock and cannot commit;
//! - each message is recorded through the same intake as the other doors,
//!   and the mailbox row advances in that transaction;
//! - only after the commit is the message moved to the processed folder. A
//!   crash in between leaves it in the folder: the next pass records it
//!   again, and intake's Message-ID/hash dedup makes that a `duplicate`;
//! - a changed UIDVALIDITY resets the stored last UID; whatever is still in
//!   the folder goes through intake again, and dedup keeps it exactly once.

use std::time::{Duration, Instant};

use async_imap::types::Capabilities;
use diesel::{Connection, PgConnection};
use futures_util::StreamExt;

use super::connection::{self, ErrorKind, ImapSession, MailboxError};
use super::state;
use crate::config::{ImapConfig, IntakeConfig};
use crate::intake::{self, IngestReport, IntakeError};
use crate::jobs::Stop;
use crate::secret::Secret;

/// IDLE is re-issued after this long at most: RFC 2177 has servers drop an
/// IDLE client after 30 minutes, and some providers (Gmail) a little
/// earlier. It is re-issued sooner, every `OPED_IMAP_POLL_SECONDS`, since
/// not every server pushes new mail during IDLE (Debian's Dovecot without
/// inotify, proxies, some hosted servers): each renewal reads the folder.
const IDLE_RENEW: Duration = Duration::from_secs(25 * 60);
/// How often a waiting poller looks at its stop flag.
const STOP_CHECK: Duration = Duration::from_millis(200);
/// Reconnection waits double from 1 s up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Recorded messages moved to the processed folder in one command.
const MOVE_BATCH: usize = 50;
/// How much of an oversized message is kept with its quarantine record, as
/// `oped ingest` does.
const OVERSIZED_HEAD_BYTES: usize = 1024 * 1024;

/// Test hooks. Production code leaves them at their defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct Failpoints {
    /// Ends the poller right after the first commit, before the message is
    /// moved: what a `kill -9` at the worst moment leaves behind.
    pub crash_after_commit: bool,
}

pub struct Poller {
    pub config: ImapConfig,
    pub intake: IntakeConfig,
    pub database_url: Secret<String>,
    pub stop: Stop,
    /// Who polls, in the mailbox row and the logs (`host:pid`).
    pub name: String,
    /// How often a poller standing by tries to take over.
    pub standby_interval: Duration,
    pub failpoints: Failpoints,
}

/// Why a leading poller gave the mailbox up.
enum Handover {
    Stopped,
    Crashed,
    /// The database went away: the lock went with it.
    Database(String),
}

/// Why a session with the server ended.
enum SessionEnd {
    Stopped,
    Crashed,
    Mailbox(MailboxError),
    /// The database refused a message and even its quarantine record.
    Record(String),
    Database(String),
}

impl From<MailboxError> for SessionEnd {
    fn from(err: MailboxError) -> SessionEnd {
        SessionEnd::Mailbox(err)
    }
}

impl From<diesel::result::Error> for SessionEnd {
    fn from(err: diesel::result::Error) -> SessionEnd {
        SessionEnd::Database(err.to_string())
    }
}

/// How waiting for the mailbox's lock ended.
enum Acquired {
    Leader(PgConnection, i64),
    Stopped,
    Unavailable(String),
}

impl Poller {
    /// `host:pid`: tells an operator which process holds the mailbox.
    pub fn default_name() -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        format!("{host}:{}", std::process::id())
    }

    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("oped-imap".into())
            .spawn(move || self.run())
    }

    /// Stands by or polls until stopped.
    pub fn run(self) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(err) => {
                tracing::error!(error = %err, "imap: cannot start the poller's runtime");
                return;
            }
        };
        runtime.block_on(self.run_async());
    }

    async fn run_async(self) {
        let mailbox = self.config.describe();
        let mut database_failures = 0;
        let mut standing_by = false;
        while !self.stop.is_stopped() {
            let (mut conn, id) = match self.acquire(&mailbox, &mut standing_by).await {
                Acquired::Leader(conn, id) => (conn, id),
                Acquired::Stopped => return,
                Acquired::Unavailable(error) => {
                    database_failures += 1;
                    tracing::warn!(%mailbox, %error, "imap: database unavailable");
                    if self.sleep(backoff(database_failures)).await {
                        break;
                    }
                    continue;
                }
            };
            standing_by = false;
            tracing::info!(%mailbox, poller = %self.name, "imap: polling this mailbox");
            let leading_since = Instant::now();
            match self.lead(&mut conn, id).await {
                Handover::Stopped | Handover::Crashed => return,
                Handover::Database(error) => {
                    // Only a lead that lasted starts the backoff afresh: a
                    // database that connects but fails every message at
                    // once is not tried again every second.
                    if leading_since.elapsed() > MAX_BACKOFF {
                        database_failures = 0;
                    }
                    database_failures += 1;
                    tracing::warn!(%mailbox, %error, "imap: database lost; the mailbox is free for another poller");
                    // `conn` closes here, and the lock with it.
                    if self.sleep(backoff(database_failures)).await {
                        break;
                    }
                }
            }
        }
    }

    /// Connects, registers the mailbox and waits for its lock: the same
    /// connection stands by, and leads once the lock is ours.
    async fn acquire(&self, mailbox: &str, standing_by: &mut bool) -> Acquired {
        let mut conn = match PgConnection::establish(self.database_url.expose()) {
            Ok(conn) => conn,
            Err(err) => return Acquired::Unavailable(err.to_string()),
        };
        // Intake tells a refused message from a busy database by its error.
        crate::db::errors::pin_messages(&mut conn);
        let id = match state::register(&mut conn, &self.config.mailbox_key()) {
            Ok(id) => id,
            Err(err) => return Acquired::Unavailable(err.to_string()),
        };
        loop {
            match state::try_lock(&mut conn, id) {
                Ok(true) => break,
                Ok(false) => {
                    if !*standing_by {
                        tracing::info!(%mailbox, "imap: another process polls this mailbox; standing by");
                        *standing_by = true;
                    }
                    if self.sleep(self.standby_interval).await {
                        return Acquired::Stopped;
                    }
                }
                Err(err) => return Acquired::Unavailable(err.to_string()),
            }
        }
        match state::claim(&mut conn, id, &self.name) {
            Ok(()) => Acquired::Leader(conn, id),
            Err(err) => Acquired::Unavailable(err.to_string()),
        }
    }

    /// Holds the mailbox: sessions with the server, reconnecting with
    /// backoff, until stopped or the database goes away.
    async fn lead(&self, conn: &mut PgConnection, id: i64) -> Handover {
        let mailbox = self.config.describe();
        let mut failures: u32 = 0;
        loop {
            match self.session(conn, id, &mut failures).await {
                SessionEnd::Stopped => return Handover::Stopped,
                SessionEnd::Crashed => return Handover::Crashed,
                SessionEnd::Database(error) => return Handover::Database(error),
                // The database is there but takes nothing: said on the
                // mailbox's row, and tried again after a backoff, never in
                // a tight loop.
                SessionEnd::Record(error) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff(failures);
                    tracing::error!(%mailbox, %error, retry_in_seconds = wait.as_secs(),
                        "imap: a message could not be recorded");
                    if let Err(db) = state::failed(conn, id, &error) {
                        return Handover::Database(db.to_string());
                    }
                    if self.sleep(wait).await {
                        return Handover::Stopped;
                    }
                }
                SessionEnd::Mailbox(err) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff(failures);
                    tracing::error!(%mailbox, kind = err.kind.as_str(), error = %err,
                        retry_in_seconds = wait.as_secs(), "imap: mailbox unavailable");
                    if let Err(db) = state::failed(conn, id, &err.to_string()) {
                        return Handover::Database(db.to_string());
                    }
                    if self.sleep(wait).await {
                        return Handover::Stopped;
                    }
                }
            }
        }
    }

    /// One connection to the server: passes over the folder, with IDLE (or
    /// polling) in between.
    async fn session(&self, conn: &mut PgConnection, id: i64, failures: &mut u32) -> SessionEnd {
        match connection::open(&self.config).await {
            Ok(session) => self.poll_loop(session, conn, id, failures).await,
            Err(err) => err.into(),
        }
    }

    async fn poll_loop(
        &self,
        mut session: ImapSession,
        conn: &mut PgConnection,
        id: i64,
        failures: &mut u32,
    ) -> SessionEnd {
        let capabilities = match session.capabilities().await {
            Ok(capabilities) => capabilities,
            Err(err) => {
                return MailboxError::imap(ErrorKind::Protocol, "CAPABILITY failed", &err).into();
            }
        };
        if let Err(err) = ensure_folder(&mut session, &self.config.processed_folder).await {
            return err.into();
        }
        let idle = capabilities.has_str("IDLE");
        loop {
            match self.pass(&mut session, conn, id, &capabilities).await {
                Ok(()) => *failures = 0,
                // A crash leaves the connection as it is: no LOGOUT, no move.
                Err(SessionEnd::Crashed) => return SessionEnd::Crashed,
                Err(end) => return logout(session, end).await,
            }
            if self.stop.is_stopped() {
                return logout(session, SessionEnd::Stopped).await;
            }
            if idle {
                session = match self.idle(session).await {
                    Ok(session) => session,
                    Err(end) => return end,
                };
            } else if self.sleep(self.config.poll_interval).await {
                return logout(session, SessionEnd::Stopped).await;
            }
        }
    }

    /// Records everything in the folder, oldest UID first.
    async fn pass(
        &self,
        session: &mut ImapSession,
        conn: &mut PgConnection,
        id: i64,
        capabilities: &Capabilities,
    ) -> Result<(), SessionEnd> {
        let folder = &self.config.folder;
        let selected = session.select(folder).await.map_err(|err| {
            MailboxError::imap(
                ErrorKind::Folder,
                &format!("cannot select {folder:?}"),
                &err,
            )
        })?;
        let validity = selected.uid_validity.ok_or_else(|| {
            MailboxError::new(ErrorKind::Protocol, "the server gives no UIDVALIDITY")
        })?;
        let (row, previous) = state::observe_validity(conn, id, validity)?;
        if let Some(previous) = previous {
            tracing::warn!(mailbox = %self.config.describe(), previous, validity,
                "imap: UIDVALIDITY changed; resynchronising (dedup keeps every message once)");
        }
        let messages = if selected.exists == 0 {
            Vec::new()
        } else {
            list_messages(session).await?
        };
        state::set_backlog(conn, id, messages.len())?;
        // Recorded (committed) but not yet moved. Moving them in batches
        // rather than one by one matters: on a Maildir server every move
        // rescans the folder, which made a 5,000-mail backlog quadratic.
        let mut recorded: Vec<u32> = Vec::new();
        for (uid, size) in messages {
            if self.stop.is_stopped() {
                self.move_recorded(session, &mut recorded, capabilities)
                    .await?;
                return Err(SessionEnd::Stopped);
            }
            let report = self.record(session, conn, id, validity, uid, size).await?;
            tracing::info!(uid, outcome = %report.outcome, reference = report.reference.as_deref(),
                redelivered = i64::from(uid) <= row.last_uid, "imap: message recorded");
            if self.failpoints.crash_after_commit {
                return Err(SessionEnd::Crashed);
            }
            recorded.push(uid);
            if recorded.len() >= MOVE_BATCH {
                self.move_recorded(session, &mut recorded, capabilities)
                    .await?;
            }
        }
        self.move_recorded(session, &mut recorded, capabilities)
            .await?;
        drain_unsolicited(session);
        state::succeeded(conn, id)?;
        Ok(())
    }

    /// Moves the recorded messages to the processed folder.
    async fn move_recorded(
        &self,
        session: &mut ImapSession,
        recorded: &mut Vec<u32>,
        capabilities: &Capabilities,
    ) -> Result<(), MailboxError> {
        if recorded.is_empty() {
            return Ok(());
        }
        let set = recorded
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        move_to_processed(session, &set, &self.config.processed_folder, capabilities).await?;
        recorded.clear();
        Ok(())
    }

    /// Fetches one message and records it with the mailbox's advance, in one
    /// transaction. Oversized mail is quarantined with its head, like any
    /// door. The server's size is not trusted to be small: at most one byte
    /// over the limit is fetched, and a message that fills it is oversized.
    async fn record(
        &self,
        session: &mut ImapSession,
        conn: &mut PgConnection,
        id: i64,
        validity: u32,
        uid: u32,
        size: usize,
    ) -> Result<IngestReport, SessionEnd> {
        let limit = self.intake.limits.max_message_bytes;
        let announced_oversized = size > limit;
        let query = if announced_oversized {
            format!("BODY.PEEK[]<0.{OVERSIZED_HEAD_BYTES}>")
        } else {
            format!("BODY.PEEK[]<0.{}>", limit.saturating_add(1))
        };
        let started = std::time::Instant::now();
        let mut raw = fetch_body(session, uid, &query).await?;
        let oversized = announced_oversized || raw.len() > limit;
        // Parsing and extraction happen before the transaction opens, so no
        // row lock waits on a slow document.
        let prepared = if oversized {
            let arrived = size.max(raw.len());
            raw.truncate(OVERSIZED_HEAD_BYTES);
            intake::prepare_oversized(arrived, &self.intake)
        } else {
            intake::prepare(&raw, &self.intake)
        };
        let report = intake::record_with(conn, &raw, prepared, &self.intake, |conn| {
            state::advance(conn, id, validity, uid)
        })
        .map_err(|err| match err {
            IntakeError::Unavailable(err) => SessionEnd::Database(err.to_string()),
            IntakeError::Refused(err) => {
                SessionEnd::Record(format!("UID {uid} could not be recorded: {err}"))
            }
        })?;
        crate::metrics::message_recorded("imap", report.outcome.as_str(), started);
        Ok(report)
    }

    /// IDLE until the server reports a change, the poll interval (at most
    /// `IDLE_RENEW`) passes, or we are stopped.
    async fn idle(&self, session: ImapSession) -> Result<ImapSession, SessionEnd> {
        let context = format!(
            "the connection to {}:{} failed while idling",
            self.config.host, self.config.port
        );
        let unreachable = |err: async_imap::error::Error| {
            MailboxError::imap(ErrorKind::Unreachable, &context, &err)
        };
        let mut handle = session.idle();
        handle.init().await.map_err(unreachable)?;
        let renew = self.config.poll_interval.min(IDLE_RENEW);
        let deadline = Instant::now() + renew;
        {
            // The library's own timeout restarts at every "still here" from
            // the server, so the renewal deadline is kept here.
            let (wait, interrupt) = handle.wait_with_timeout(renew);
            let mut interrupt = Some(interrupt);
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    response = &mut wait => {
                        response.map_err(unreachable)?;
                        break;
                    }
                    () = tokio::time::sleep(STOP_CHECK) => {
                        if self.stop.is_stopped() || Instant::now() >= deadline {
                            // Dropping the stop source ends the wait.
                            interrupt.take();
                        }
                    }
                }
            }
        }
        Ok(handle.done().await.map_err(unreachable)?)
    }

    /// Sleeps unless stopped first; true when stopped.
    async fn sleep(&self, duration: Duration) -> bool {
        let until = Instant::now() + duration;
        while Instant::now() < until {
            if self.stop.is_stopped() {
                return true;
            }
            tokio::time::sleep(STOP_CHECK.min(until - Instant::now())).await;
        }
        self.stop.is_stopped()
    }
}

/// Says goodbye to the server (briefly: it may be the thing that is gone).
async fn logout(mut session: ImapSession, end: SessionEnd) -> SessionEnd {
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
    end
}

/// 1 s, 2 s, 4 s … up to five minutes.
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(9)).min(MAX_BACKOFF)
}

/// The folder's messages as (UID, size), oldest first.
async fn list_messages(session: &mut ImapSession) -> Result<Vec<(u32, usize)>, MailboxError> {
    let failed = |err: async_imap::error::Error| {
        MailboxError::imap(ErrorKind::Protocol, "cannot list the folder", &err)
    };
    let mut listing = Vec::new();
    {
        let mut fetches = session
            .uid_fetch("1:*", "(UID RFC822.SIZE)")
            .await
            .map_err(failed)?;
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch.map_err(failed)?;
            if let (Some(uid), Some(size)) = (fetch.uid, fetch.size) {
                listing.push((uid, size as usize));
            }
        }
    }
    listing.sort_unstable();
    Ok(listing)
}

async fn fetch_body(
    session: &mut ImapSession,
    uid: u32,
    query: &str,
) -> Result<Vec<u8>, MailboxError> {
    let failed = |err: async_imap::error::Error| {
        MailboxError::imap(
            ErrorKind::Protocol,
            &format!("cannot fetch UID {uid}"),
            &err,
        )
    };
    let mut body = None;
    let mut fetches = session
        .uid_fetch(uid.to_string(), query)
        .await
        .map_err(failed)?;
    while let Some(fetch) = fetches.next().await {
        let fetch = fetch.map_err(failed)?;
        if fetch.uid == Some(uid)
            && let Some(bytes) = fetch.body()
        {
            body = Some(bytes.to_vec());
        }
    }
    body.ok_or_else(|| {
        MailboxError::new(
            ErrorKind::Protocol,
            format!("the server sent no body for UID {uid}"),
        )
    })
}

/// `UID MOVE`, or `UID COPY` + `\Deleted` + expunge where MOVE is missing,
/// of the UIDs in `set` (`4,5,9`).
async fn move_to_processed(
    session: &mut ImapSession,
    set: &str,
    folder: &str,
    capabilities: &Capabilities,
) -> Result<(), MailboxError> {
    let failed = |err: async_imap::error::Error| {
        MailboxError::imap(
            ErrorKind::Folder,
            &format!("cannot move UID {set} to {folder:?}"),
            &err,
        )
    };
    if capabilities.has_str("MOVE") {
        return session.uid_mv(set, folder).await.map_err(failed);
    }
    session.uid_copy(set, folder).await.map_err(failed)?;
    {
        let mut stored = session
            .uid_store(set, "+FLAGS.SILENT (\\Deleted)")
            .await
            .map_err(failed)?;
        while let Some(response) = stored.next().await {
            response.map_err(failed)?;
        }
    }
    if capabilities.has_str("UIDPLUS") {
        let expunged = session.uid_expunge(set).await.map_err(failed)?;
        let mut expunged = std::pin::pin!(expunged);
        while let Some(response) = expunged.next().await {
            response.map_err(failed)?;
        }
    } else {
        // Without UIDPLUS, EXPUNGE removes every \Deleted message of the
        // folder: the desk's mailbox holds nothing else worth keeping there.
        let expunged = session.expunge().await.map_err(failed)?;
        let mut expunged = std::pin::pin!(expunged);
        while let Some(response) = expunged.next().await {
            response.map_err(failed)?;
        }
    }
    Ok(())
}

/// Creates `folder` unless it exists.
pub(super) async fn ensure_folder(
    session: &mut ImapSession,
    folder: &str,
) -> Result<(), MailboxError> {
    let failed = |err: async_imap::error::Error| {
        MailboxError::imap(
            ErrorKind::Folder,
            &format!("cannot create the processed folder {folder:?}"),
            &err,
        )
    };
    if folder_exists(session, folder).await? {
        return Ok(());
    }
    session.create(folder).await.map_err(failed)?;
    tracing::info!(folder, "imap: created the processed folder");
    Ok(())
}

pub(super) async fn folder_exists(
    session: &mut ImapSession,
    folder: &str,
) -> Result<bool, MailboxError> {
    let failed = |err: async_imap::error::Error| {
        MailboxError::imap(ErrorKind::Folder, &format!("cannot list {folder:?}"), &err)
    };
    let pattern = format!("\"{}\"", folder.replace('\\', "\\\\").replace('"', "\\\""));
    let mut names = session.list(None, Some(&pattern)).await.map_err(failed)?;
    let mut found = false;
    while let Some(name) = names.next().await {
        let name = name.map_err(failed)?;
        found |= name.name() == folder;
    }
    Ok(found)
}

/// The client queues the server's unsolicited responses (EXISTS, EXPUNGE)
/// for whoever wants them; each pass re-reads the folder instead.
fn drain_unsolicited(session: &mut ImapSession) {
    while session.unsolicited_responses.try_recv().is_ok() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(100), MAX_BACKOFF);
    }
}
