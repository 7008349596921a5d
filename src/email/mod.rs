//! Email to authors: composing a message from an outbox job (`compose`,
//! pure, with `templates`) and handing it to a transport (here).
//!
//! Transports are lettre's synchronous ones: the outbox worker runs on its
//! own threads, never on an actix worker, so blocking I/O is fine there.

pub mod compose;
pub mod templates;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::{FileTransport, Message, SmtpTransport, Transport};

use crate::config::EmailConfig;

pub use compose::{ComposeError, Composed, Composer, LOOP_HEADER, OWN_MESSAGE_ID_PREFIX};
pub use templates::{TemplateError, Templates};

/// How long one SMTP conversation step may take before the attempt fails
/// and the job is retried later.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where composed email goes.
pub enum Mailer {
    /// `OPED_SMTP_URL`: a real SMTP server (lettre pools its connections).
    Smtp(SmtpTransport),
    /// No `OPED_SMTP_URL`: one `.eml` file per email, for development and for
    /// a newcomer to read what would have been sent.
    Files {
        transport: FileTransport,
        dir: PathBuf,
    },
    /// Kept in memory: for tests that read what was sent, where a real SMTP
    /// server is not the point.
    Memory(MemoryMailbox),
}

/// Email kept in memory instead of sent; clones share the messages.
#[derive(Debug, Clone, Default)]
pub struct MemoryMailbox(Arc<Mutex<Vec<SentMail>>>);

/// One message as it would have gone to the SMTP server.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as formatted for the wire (CRLF line ends).
    pub data: Vec<u8>,
}

impl MemoryMailbox {
    /// Every message sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentMail> {
        self.0
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    fn keep(&self, message: &Message) {
        let envelope = message.envelope();
        let mail = SentMail {
            mail_from: envelope.from().map(ToString::to_string).unwrap_or_default(),
            rcpt_to: envelope.to().iter().map(ToString::to_string).collect(),
            data: message.formatted(),
        };
        self.0
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push(mail);
    }
}

impl std::fmt::Debug for Mailer {
    // The transport holds the SMTP credentials: show only the kind.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::Files { dir, .. } => write!(f, "Mailer::Files({})", dir.display()),
            Mailer::Memory(_) => f.write_str("Mailer::Memory"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    /// lettre's own message may quote the URL, which can hold a password.
    #[error("OPED_SMTP_URL cannot be used (its value is not shown: it may hold a password)")]
    SmtpUrl,
    #[error("cannot create the mail directory {}: {source}", dir.display())]
    MailDir {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// Why a message did not leave; the job is retried.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SendError(String);

impl Mailer {
    /// SMTP when `OPED_SMTP_URL` is set, else files under `<data_dir>/mail/`.
    pub fn from_config(mail: &EmailConfig, data_dir: &Path) -> Result<Mailer, MailerError> {
        match &mail.smtp_url {
            Some(url) => Mailer::smtp(url.expose()),
            None => Mailer::files(&data_dir.join("mail")),
        }
    }

    pub fn smtp(url: &str) -> Result<Mailer, MailerError> {
        let transport = SmtpTransport::from_url(url)
            .map_err(|_| MailerError::SmtpUrl)?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer::Smtp(transport))
    }

    pub fn files(dir: &Path) -> Result<Mailer, MailerError> {
        std::fs::create_dir_all(dir).map_err(|source| MailerError::MailDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        Ok(Mailer::Files {
            transport: FileTransport::new(dir),
            dir: dir.to_path_buf(),
        })
    }

    /// For the start-up log line: the kind of transport, never the URL.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp(_) => "SMTP (OPED_SMTP_URL)".into(),
            Mailer::Files { dir, .. } => format!(".eml files in {}", dir.display()),
            Mailer::Memory(_) => "memory".into(),
        }
    }

    pub fn send(&self, message: &Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(transport) => transport
                .send(message)
                .map(drop)
                .map_err(|err| SendError(format!("SMTP: {err}"))),
            Mailer::Files { transport, .. } => transport
                .send(message)
                .map(drop)
                .map_err(|err| SendError(format!("writing the .eml file: {err}"))),
            Mailer::Memory(mailbox) => {
                mailbox.keep(message);
                Ok(())
            }
        }
    }
}
