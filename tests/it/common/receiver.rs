//! A real webhook receiver for tests: an HTTP/1.1 server on 127.0.0.1 that
//! checks `Oped-Signature` the way the site would (HMAC-SHA256 with the
//! shared secret over `"<t>.<raw body>"`, `t` within five minutes of its own
//! clock, the header parsed strictly) and keeps every request it read.
//!
//! It answers 204 to a validly signed request, 401 to any other, 500 while
//! told to fail (`fail_next`), and while `set_dead(true)` it closes each
//! connection without an answer. `refused_url()` names a port nobody listens on.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signature's `t` may be from the receiver's clock.
pub const TOLERANCE_SECONDS: i64 = 300;
/// Requests larger than this are refused (a test never sends one).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub method: String,
    pub target: String,
    /// Names lower-cased, in the order they came.
    pub headers: Vec<(String, String)>,
    /// The raw body bytes, as signed.
    pub body: Vec<u8>,
    /// `Ok(t)`: the signature verified, made at `t`; `Err`: why not.
    pub signature: Result<i64, String>,
    /// The status the receiver answered.
    pub status: u16,
}

impl ReceivedRequest {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn verified(&self) -> bool {
        self.signature.is_ok()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

struct Shared {
    secret: Vec<u8>,
    requests: Mutex<Vec<ReceivedRequest>>,
    fail_next: AtomicU32,
    dead: AtomicBool,
    closed: AtomicBool,
}

pub struct WebhookReceiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl WebhookReceiver {
    /// Starts listening on a free port, verifying with `secret`.
    pub fn start(secret: &str) -> WebhookReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            secret: secret.as_bytes().to_vec(),
            requests: Mutex::new(Vec::new()),
            fail_next: AtomicU32::new(0),
            dead: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.closed.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let session = Arc::clone(&accepting);
                std::thread::spawn(move || serve_connection(stream, &session));
            }
        });
        WebhookReceiver { addr, shared }
    }

    /// The endpoint, with a path and a query as a site's would have.
    pub fn url(&self) -> String {
        format!("http://{}/hooks/oped?source=desk", self.addr)
    }

    /// The next `n` requests are answered 500 (and still recorded).
    pub fn fail_next(&self, n: u32) {
        self.shared.fail_next.store(n, Ordering::SeqCst);
    }

    /// While dead, every connection is closed before anything is read or
    /// answered; nothing is recorded.
    pub fn set_dead(&self, dead: bool) {
        self.shared.dead.store(dead, Ordering::SeqCst);
    }

    /// Every request read so far, in order of arrival.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees `closed` and ends.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// A URL on 127.0.0.1 where the connection is refused: a port that was
/// just free, its listener dropped.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hooks/oped")
}

/// `t=<unix seconds>,v1=<64 lower-case hex>` over `"<t>.<body>"`, `t` within
/// the tolerance of `now`. Strict: nothing else in the header, no spaces,
/// no repeated or missing part.
pub fn verify(secret: &[u8], header: Option<&str>, body: &[u8], now: i64) -> Result<i64, String> {
    let header = header.ok_or("no Oped-Signature header")?;
    let (t_part, v1_part) = header
        .split_once(',')
        .ok_or_else(|| format!("malformed signature {header:?}"))?;
    let t_text = t_part
        .strip_prefix("t=")
        .ok_or_else(|| format!("no t= first in {header:?}"))?;
    let v1 = v1_part
        .strip_prefix("v1=")
        .ok_or_else(|| format!("no v1= second in {header:?}"))?;
    if t_text.is_empty() || t_text.len() > 12 || !t_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("t is not unix seconds in {header:?}"));
    }
    if v1.len() != 64
        || !v1
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!("v1 is not 64 lower-case hex digits in {header:?}"));
    }
    let t: i64 = t_text.parse().map_err(|_| "t out of range".to_string())?;
    if (now - t).abs() > TOLERANCE_SECONDS {
        return Err(format!("t={t} is {} s from now: a replay", now - t));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(t_text.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    if expected != v1 {
        return Err("the signature does not match the body".into());
    }
    Ok(t)
}

fn unix_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// Serves requests on one connection until the client closes it (keep-alive
/// is honoured, as a real server would).
fn serve_connection(stream: TcpStream, shared: &Shared) {
    if shared.dead.load(Ordering::SeqCst) {
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return;
    }
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let request = match read_request(&mut reader) {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(problem) => {
                let _ = respond(&mut writer, 400, &problem);
                return;
            }
        };
        let (method, target, headers, body) = request;
        let mut received = ReceivedRequest {
            method,
            target,
            headers,
            body,
            signature: Err(String::new()),
            status: 0,
        };
        received.signature = verify(
            &shared.secret,
            received.header("oped-signature"),
            &received.body,
            unix_now(),
        );
        let failing = shared
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let (status, answer) = if failing {
            (500, "told to fail".to_string())
        } else if received.method != "POST" {
            (405, "POST only".to_string())
        } else if let Err(why) = &received.signature {
            (401, why.clone())
        } else {
            (204, String::new())
        };
        received.status = status;
        let close = received
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        // Recorded before answering: when the sender has its answer, the
        // test sees the request.
        shared.requests.lock().unwrap().push(received);
        if respond(&mut writer, status, &answer).is_err() || close {
            return;
        }
    }
}

type Request = (String, String, Vec<(String, String)>, Vec<u8>);

/// One request, `Ok(None)` at a clean end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<Request>, String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) | Err(_) => return Ok(None),
        Ok(_) => {}
    }
    let request_line = line.trim_end_matches(['\r', '\n']).to_string();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("bad request line {request_line:?}"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(format!("unsupported version {version:?}"));
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("the connection closed inside the headers".into());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let lengths: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .map(|(_, v)| v.as_str())
        .collect();
    if headers.iter().any(|(n, _)| n == "transfer-encoding") {
        return Err("chunked bodies are not expected".into());
    }
    let length: usize = match lengths[..] {
        [] => 0,
        [one] => one
            .parse()
            .map_err(|_| format!("bad Content-Length {one:?}"))?,
        _ => return Err("more than one Content-Length".into()),
    };
    if length > MAX_BODY_BYTES {
        return Err("too large".into());
    }
    let mut body = vec![0; length];
    reader
        .read_exact(&mut body)
        .map_err(|e| format!("short body: {e}"))?;
    Ok(Some((
        method.to_string(),
        target.to_string(),
        headers,
        body,
    )))
}

fn respond(writer: &mut TcpStream, status: u16, text: &str) -> std::io::Result<()> {
    let reason = match status {
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        _ => "Status",
    };
    let head = if status == 204 {
        format!("HTTP/1.1 204 {reason}\r\n\r\n")
    } else {
        format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
            text.len()
        )
    };
    writer.write_all(head.as_bytes())?;
    if status != 204 {
        writer.write_all(text.as_bytes())?;
    }
    writer.flush()
}
