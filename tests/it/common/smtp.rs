//! A real SMTP server for tests: listens on 127.0.0.1, speaks enough SMTP
//! for lettre (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP,
//! QUIT) and keeps every message it accepts, so a test reads what arrived.
//! `set_down(true)` makes it answer 421 to everything, as a server that is
//! away does, until `set_down(false)`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One accepted message: its envelope and its bytes as they were sent
/// (after dot-unstuffing, lines ending in CRLF).
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

impl ReceivedMail {
    pub fn parsed(&self) -> mail_parser::Message<'static> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parseable message")
            .into_owned()
    }

    /// The Message-ID, without angle brackets.
    pub fn message_id(&self) -> String {
        self.parsed()
            .message_id()
            .expect("a Message-ID")
            .to_string()
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<ReceivedMail>>,
    down: AtomicBool,
    closed: AtomicBool,
}

pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.closed.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let session = Arc::clone(&accepting);
                std::thread::spawn(move || {
                    let _ = serve_session(stream, &session);
                });
            }
        });
        SmtpSink { addr, shared }
    }

    /// `smtp://127.0.0.1:<port>`: plain SMTP, no TLS, no credentials.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// While down, every greeting and every command is answered `421`.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages arrived (or `timeout` passed).
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() > deadline {
                return received;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees `closed`.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_session(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    // An idle pooled client connection is closed eventually, as real servers do.
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    // Small replies at once: with Nagle and delayed ACKs each command would wait ~40 ms.
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let down = || shared.down.load(Ordering::SeqCst);
    if down() {
        writer.write_all(b"421 4.3.2 sink.test Service not available\r\n")?;
        return Ok(());
    }
    writer.write_all(b"220 sink.test ESMTP test sink\r\n")?;
    let mut mail_from = None::<String>;
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || shared.closed.load(Ordering::SeqCst) {
            return Ok(());
        }
        if down() {
            writer.write_all(b"421 4.3.2 sink.test Service not available\r\n")?;
            return Ok(());
        }
        let command = line.trim_end();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => writer.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?,
            "HELO" => writer.write_all(b"250 sink.test\r\n")?,
            "MAIL" => {
                mail_from = Some(path_of(command));
                rcpt_to.clear();
                writer.write_all(b"250 2.1.0 OK\r\n")?;
            }
            "RCPT" if mail_from.is_some() => {
                rcpt_to.push(path_of(command));
                writer.write_all(b"250 2.1.5 OK\r\n")?;
            }
            "DATA" if !rcpt_to.is_empty() => {
                writer.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let data = read_data(&mut reader)?;
                shared.received.lock().unwrap().push(ReceivedMail {
                    mail_from: mail_from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                });
                writer.write_all(b"250 2.0.0 OK queued\r\n")?;
            }
            "RCPT" | "DATA" => writer.write_all(b"503 5.5.1 Bad sequence of commands\r\n")?,
            "RSET" => {
                mail_from = None;
                rcpt_to.clear();
                writer.write_all(b"250 2.0.0 OK\r\n")?;
            }
            "NOOP" => writer.write_all(b"250 2.0.0 OK\r\n")?,
            "QUIT" => {
                writer.write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(());
            }
            _ => writer.write_all(b"502 5.5.2 Command not implemented\r\n")?,
        }
    }
}

/// `MAIL FROM:<a@b> SIZE=…` → `a@b`.
fn path_of(command: &str) -> String {
    let after = command.split_once(':').map_or("", |(_, rest)| rest);
    let path = after.split_whitespace().next().unwrap_or("");
    path.trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// Reads up to the lone `.` line; a leading `..` was a stuffed `.`.
fn read_data(reader: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(data);
        }
        let unstuffed = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(unstuffed);
    }
}

/// Sends what the outbox holds through a real SMTP server; returns what
/// arrived there. On a plain thread: lettre's SMTP client blocks.
pub fn mail_through_smtp(database_url: &str) -> Vec<ReceivedMail> {
    use diesel::Connection;
    let sink = SmtpSink::start();
    let (url, database_url) = (sink.url(), database_url.to_string());
    std::thread::spawn(move || {
        let composer = oped::email::Composer::new(
            oped::email::Templates::built_in(),
            "Op-Ed Desk <oped@desk.example>".parse().unwrap(),
            "desk.example",
            super::SITE_URL,
        );
        let mailer = oped::email::Mailer::smtp(&url).unwrap();
        let mut conn = diesel::PgConnection::establish(&database_url).unwrap();
        oped::outbox::worker::drain(&mut conn, &mailer, &composer, chrono::Utc::now()).unwrap()
    })
    .join()
    .unwrap();
    sink.received()
}
