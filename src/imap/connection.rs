//! Opening an IMAP session: TCP, TLS (implicit, STARTTLS, or none for a
//! local server), then LOGIN or XOAUTH2. Every failure becomes a
//! [`MailboxError`] whose text says what to fix and never holds the password.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, pki_types::ServerName};

use crate::config::{ImapAuth, ImapConfig, ImapTls};

/// How long a connection, its TLS handshake and the login may take: a
/// provider that does not answer in this time is treated as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Any byte stream a session runs over: plain TCP or TLS.
pub trait ImapStream: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> ImapStream for T {}

pub type ImapSession = Session<Box<dyn ImapStream>>;

/// What went wrong with the mailbox, by what the operator has to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// DNS, TCP, TLS or a connection dropped: the network or the server.
    Unreachable,
    /// The server refused the credentials.
    Login,
    /// The folder read or the processed folder cannot be selected or created.
    Folder,
    /// The server answered something the poller cannot work with.
    Protocol,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Login => "login_failed",
            ErrorKind::Folder => "folder",
            ErrorKind::Protocol => "protocol",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct MailboxError {
    pub kind: ErrorKind,
    pub message: String,
}

impl MailboxError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> MailboxError {
        MailboxError {
            kind,
            message: message.into(),
        }
    }

    /// A failed IMAP command, classified: a dropped connection is
    /// `Unreachable` whatever command it interrupted.
    pub fn imap(kind: ErrorKind, context: &str, err: &async_imap::error::Error) -> MailboxError {
        use async_imap::error::Error;
        let kind = match err {
            Error::Io(_) | Error::ConnectionLost => ErrorKind::Unreachable,
            _ => kind,
        };
        let detail = match err {
            // The rejected input may be the password: say only what kind it was.
            Error::Validate(_) => "a name contains a line break".to_string(),
            other => other.to_string(),
        };
        MailboxError::new(kind, format!("{context}: {detail}"))
    }

    /// Removes `secret` wherever a server or a library may have echoed it.
    fn without(mut self, secret: &str) -> MailboxError {
        if secret.len() >= 3 {
            self.message = self.message.replace(secret, "[redacted]");
        }
        self
    }
}

/// Connects and logs in.
pub async fn open(config: &ImapConfig) -> Result<ImapSession, MailboxError> {
    let server = format!("{}:{}", config.host, config.port);
    let secret = match &config.auth {
        ImapAuth::Password(password) => password.expose().clone(),
        ImapAuth::OAuth2TokenFile(_) => String::new(),
    };
    let session = tokio::time::timeout(CONNECT_TIMEOUT, async {
        let client = connect(config, &server).await?;
        login(client, config, &server).await
    })
    .await
    .unwrap_or_else(|_| {
        Err(MailboxError::new(
            ErrorKind::Unreachable,
            format!(
                "{server} did not complete the connection and login within {} s",
                CONNECT_TIMEOUT.as_secs()
            ),
        ))
    });
    session.map_err(|err| err.without(&secret))
}

async fn connect(
    config: &ImapConfig,
    server: &str,
) -> Result<Client<Box<dyn ImapStream>>, MailboxError> {
    let unreachable = |what: &str, err: &dyn fmt::Display| {
        MailboxError::new(ErrorKind::Unreachable, format!("{what} {server}: {err}"))
    };
    let tcp = TcpStream::connect((config.host.as_str(), config.port))
        .await
        .map_err(|err| unreachable("cannot connect to", &err))?;
    let client: Client<Box<dyn ImapStream>> = match config.tls {
        ImapTls::None => Client::new(Box::new(tcp)),
        ImapTls::Implicit => Client::new(Box::new(tls(config, tcp).await?)),
        ImapTls::StartTls => {
            let mut plain = Client::new(tcp);
            greeting(&mut plain, server).await?;
            plain
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|err| {
                    MailboxError::imap(
                        ErrorKind::Protocol,
                        &format!(
                            "{server} refused STARTTLS (use imaps:// if it offers TLS on port 993)"
                        ),
                        &err,
                    )
                })?;
            // No greeting after STARTTLS: the session continues.
            return Ok(Client::new(Box::new(
                tls(config, plain.into_inner()).await?,
            )));
        }
    };
    let mut client = client;
    greeting(&mut client, server).await?;
    Ok(client)
}

async fn greeting<T: ImapStream>(client: &mut Client<T>, server: &str) -> Result<(), MailboxError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(MailboxError::new(
            ErrorKind::Unreachable,
            format!("{server} closed the connection before greeting"),
        )),
        Err(err) => Err(MailboxError::new(
            ErrorKind::Unreachable,
            format!("no IMAP greeting from {server}: {err}"),
        )),
    }
}

async fn tls(
    config: &ImapConfig,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, MailboxError> {
    let fail = |err: &dyn fmt::Display| {
        MailboxError::new(
            ErrorKind::Unreachable,
            format!("TLS with {}:{} failed: {err}", config.host, config.port),
        )
    };
    let mut roots = rustls::RootCertStore::empty();
    // Certificates the system cannot parse are skipped: one odd file in
    // /etc/ssl must not keep the desk from its mail.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| fail(&err))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(config.host.clone()).map_err(|err| fail(&err))?;
    TlsConnector::from(Arc::new(tls))
        .connect(name, tcp)
        .await
        .map_err(|err| fail(&err))
}

/// XOAUTH2's SASL response (Google, Microsoft): user and bearer token.
struct XOAuth2 {
    user: String,
    token: String,
}

impl async_imap::Authenticator for &XOAuth2 {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
    }
}

async fn login(
    client: Client<Box<dyn ImapStream>>,
    config: &ImapConfig,
    server: &str,
) -> Result<ImapSession, MailboxError> {
    let refused = |err: async_imap::error::Error| {
        MailboxError::imap(
            ErrorKind::Login,
            &format!(
                "{server} refused the login of {} (check the user name and the app password)",
                config.username
            ),
            &err,
        )
    };
    match &config.auth {
        ImapAuth::Password(password) => client
            .login(&config.username, password.expose())
            .await
            .map_err(|(err, _)| refused(err)),
        ImapAuth::OAuth2TokenFile(path) => {
            // A small local file: reading it blocks this poller's own thread only.
            let token = std::fs::read_to_string(path).map_err(|err| {
                MailboxError::new(
                    ErrorKind::Login,
                    format!(
                        "cannot read the OAuth2 token file {}: {err}",
                        path.display()
                    ),
                )
            })?;
            let auth = XOAuth2 {
                user: config.username.clone(),
                token: token.trim().to_string(),
            };
            client
                .authenticate("XOAUTH2", &auth)
                .await
                .map_err(|(err, _)| refused(err).without(&auth.token))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_imap::Authenticator;

    #[test]
    fn xoauth2_names_the_user_and_the_bearer_token() {
        let auth = XOAuth2 {
            user: "oped@news.example".into(),
            token: "ya29.token".into(),
        };
        assert_eq!(
            (&auth).process(b""),
            "user=oped@news.example\x01auth=Bearer ya29.token\x01\x01"
        );
    }

    #[test]
    fn echoed_passwords_are_removed() {
        let err =
            MailboxError::new(ErrorKind::Login, "LOGIN desk hunter22 failed").without("hunter22");
        assert_eq!(err.message, "LOGIN desk [redacted] failed");
    }
}
