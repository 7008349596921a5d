//! Running the extractor in a child process under OS limits.
//!
//! Document parsers (lopdf above all) can be made to burn CPU, allocate without
//! bound or overflow their stack by a crafted file, and a thread cannot be
//! stopped from outside. A process can: the parent starts `oped extract --kind
//! K`, writes the document to its stdin, reads one JSON line from its stdout,
//! and kills it when its time is up. Whatever the document does, it does to
//! the child; the parent gets an error with a reason, and nothing outlives the
//! call.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{DocumentKind, ExtractedDocument};

/// The OS limits of one child.
#[derive(Debug, Clone, Copy)]
pub struct ChildLimits {
    /// Wall clock: the child is killed when it has not finished by then.
    pub wall: Duration,
    /// CPU seconds (RLIMIT_CPU, whole seconds, at least 1).
    pub cpu: Duration,
    /// Address space (RLIMIT_AS).
    pub memory_bytes: u64,
}

/// The largest answer read from a child: 2 million characters of text (the
/// output limit) are at most 8 MB of UTF-8, JSON escaping aside.
const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;
/// What is kept of the child's stderr: enough for a panic or abort message.
const MAX_STDERR_BYTES: u64 = 4 * 1024;
/// File descriptors the child may hold: stdin, stdout, stderr and a few the
/// runtime opens. No document needs a file, a socket or a pipe of its own.
const MAX_OPEN_FILES: u64 = 16;

/// What the child prints on stdout: one JSON object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Text { text: String, title: Option<String> },
    Error { error: String },
}

/// Runs `program extract --kind <kind>` on `bytes` under `limits`.
///
/// The error is a reason for editors ("the extractor was stopped after 5 s").
/// Blocking: call it from a blocking thread, never an async worker.
pub fn extract_in_child(
    program: &Path,
    kind: DocumentKind,
    bytes: &[u8],
    limits: ChildLimits,
) -> Result<ExtractedDocument, String> {
    let started = Instant::now();
    let mut child =
        spawn(program, kind).map_err(|err| format!("the extractor could not be started: {err}"))?;
    // The limits are put on the child from here, before it is sent a byte of
    // the document: until then it can only wait on its stdin.
    if let Err(err) = limit(child.id(), limits) {
        stop(&mut child);
        return Err(format!("the extractor could not be limited: {err}"));
    }

    // stdin is written and stdout read on their own threads: a child that
    // answers before it has read everything, or never reads, must not block
    // us, and the wall-clock limit is kept by this thread alone.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = bytes.to_vec();
    let writer = std::thread::Builder::new()
        .name("extract-stdin".into())
        .spawn(move || {
            // A child that dies or stops reading closes the pipe: not our error.
            let _ = stdin.write_all(&input);
        });
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let (sender, receiver) = mpsc::sync_channel(1);
    let reader = std::thread::Builder::new()
        .name("extract-stdout".into())
        .spawn(move || {
            let mut answer = Vec::new();
            let read = (&mut stdout)
                .take(MAX_ANSWER_BYTES + 1)
                .read_to_end(&mut answer);
            // The child writes to stderr only when it dies (a panic, an
            // abort): a few hundred bytes, which the pipe holds until now.
            // Should it write more, it blocks, and the wall clock ends it.
            let mut diagnostics = Vec::new();
            let _ = (&mut stderr)
                .take(MAX_STDERR_BYTES)
                .read_to_end(&mut diagnostics);
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            let _ = sender.send((read.map(|_| answer), diagnostics));
        });
    let (writer, reader) = match (writer, reader) {
        (Ok(writer), Ok(reader)) => (writer, reader),
        (writer, reader) => {
            // Killing the child closes its pipes, which ends whichever thread did start.
            stop(&mut child);
            if let Ok(thread) = writer {
                let _ = thread.join();
            }
            if let Ok(thread) = reader {
                let _ = thread.join();
            }
            return Err("the extractor could not be started: no thread for its pipes".into());
        }
    };

    let deadline = started + limits.wall;
    let outcome = match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok((answer, diagnostics)) => match wait_until(&mut child, deadline) {
            Some(status) => Finished::Exited {
                status,
                answer,
                diagnostics,
            },
            None => Finished::TimedOut,
        },
        Err(mpsc::RecvTimeoutError::Timeout) => Finished::TimedOut,
        // The reader thread died without an answer (it cannot panic today).
        Err(mpsc::RecvTimeoutError::Disconnected) => Finished::Unreadable,
    };
    if matches!(outcome, Finished::TimedOut | Finished::Unreadable) {
        stop(&mut child);
    }
    // The child is reaped: its pipes are closed, so both threads end now.
    let _ = writer.join();
    let _ = reader.join();
    let result = outcome.into_result(limits);
    crate::metrics::document_read(
        kind.as_str(),
        result.is_ok(),
        started.elapsed().as_secs_f64(),
    );
    result
}

enum Finished {
    Exited {
        status: ExitStatus,
        answer: std::io::Result<Vec<u8>>,
        diagnostics: Vec<u8>,
    },
    TimedOut,
    Unreadable,
}

impl Finished {
    fn into_result(self, limits: ChildLimits) -> Result<ExtractedDocument, String> {
        let (status, answer, diagnostics) = match self {
            Finished::TimedOut => {
                return Err(format!(
                    "the extractor was stopped after {}",
                    seconds(limits.wall)
                ));
            }
            Finished::Unreadable => return Err("the extractor's answer was lost".into()),
            Finished::Exited {
                status,
                answer,
                diagnostics,
            } => (status, answer, diagnostics),
        };
        let diagnostics = String::from_utf8_lossy(&diagnostics);
        if let Some(signal) = status.signal() {
            return Err(died(signal, &diagnostics, limits));
        }
        let answer =
            answer.map_err(|err| format!("the extractor's answer was unreadable: {err}"))?;
        if answer.len() as u64 > MAX_ANSWER_BYTES {
            return Err("the extractor's answer was too large".into());
        }
        match serde_json::from_slice::<Answer>(&answer) {
            Ok(Answer::Text { text, title }) if status.success() => {
                Ok(ExtractedDocument { text, title })
            }
            Ok(Answer::Error { error }) => Err(error),
            _ => Err(format!("the extractor failed ({status})")),
        }
    }
}

/// "5 s", "0.3 s".
fn seconds(time: Duration) -> String {
    if time.subsec_millis() == 0 {
        format!("{} s", time.as_secs())
    } else {
        format!("{:.1} s", time.as_secs_f64())
    }
}

/// Why a child ended by a signal, in words an editor can act on.
fn died(signal: i32, diagnostics: &str, limits: ChildLimits) -> String {
    // Rust aborts (SIGABRT) both when an allocation fails and when a thread
    // overflows its stack, and says which on stderr.
    if diagnostics.contains("memory allocation of") {
        return format!(
            "the extractor ran out of memory (limit {} MiB)",
            limits.memory_bytes >> 20
        );
    }
    if diagnostics.contains("overflowed its stack") {
        return "the extractor overflowed its stack (the document is nested too deeply)".into();
    }
    match signal {
        libc_signal::SIGXCPU => format!(
            "the extractor used up its {} s of CPU time",
            limits.cpu.as_secs_f64().ceil().max(1.0)
        ),
        // Not ours (our own kill is reported as a timeout): the kernel's
        // OOM killer, or an operator.
        libc_signal::SIGKILL => "the extractor was killed (signal 9)".into(),
        _ => format!("the extractor crashed (signal {signal})"),
    }
}

/// Signal numbers, from nix rather than a raw dependency on libc.
mod libc_signal {
    use nix::sys::signal::Signal;
    pub const SIGXCPU: i32 = Signal::SIGXCPU as i32;
    pub const SIGKILL: i32 = Signal::SIGKILL as i32;
}

fn spawn(program: &Path, kind: DocumentKind) -> std::io::Result<Child> {
    let mut command = Command::new(program);
    command
        // What `ps` shows, even when the program is /proc/self/exe.
        .arg0("oped")
        .args(["extract", "--kind", kind.as_str()])
        // No configuration, database URL or secret reaches the child.
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // No `pre_exec` hook: without one, std starts the child with posix_spawn
    // (vfork) instead of fork, which for a server holding hundreds of MB
    // saves ~10 ms of page-table copying per document. The limits are set
    // with prlimit(2) once it runs (`limit`).
    command.spawn()
}

/// Puts the OS limits on the child `pid`: address space, CPU seconds (SIGXCPU
/// at the limit, SIGKILL a second later), no file written, few descriptors,
/// no core dump.
fn limit(pid: u32, limits: ChildLimits) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(std::io::Error::other)?;
    let cpu_seconds = limits.cpu.as_secs_f64().ceil().max(1.0) as u64;
    let memory = limits.memory_bytes;
    for (resource, soft, hard) in [
        (libc::RLIMIT_AS, memory, memory),
        (libc::RLIMIT_CPU, cpu_seconds, cpu_seconds + 1),
        (libc::RLIMIT_FSIZE, 0, 0),
        (libc::RLIMIT_NOFILE, MAX_OPEN_FILES, MAX_OPEN_FILES),
        (libc::RLIMIT_CORE, 0, 0),
    ] {
        let value = libc::rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        };
        // SAFETY: prlimit reads `value` and writes nothing (no old value is
        // asked for); `pid` is our own child, not yet reaped.
        if unsafe { libc::prlimit(pid, resource, &value, std::ptr::null_mut()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Waits for the child to exit until `deadline`; `None` when it is still running.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    // The child has closed its stdout, so it is exiting: its status is
    // normally there at once, or after a few short naps.
    let mut nap = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(nap.min(deadline.saturating_duration_since(Instant::now())));
                nap = (nap * 2).min(Duration::from_millis(20));
            }
            Ok(None) => return None,
            // Not ours to wait for any more (cannot happen with an owned Child).
            Err(_) => return None,
        }
    }
}

/// Kills the child and reaps it, so that no process or zombie is left.
/// The same thread owns, kills and reaps it, so the pid cannot be reused
/// in between.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The small companion binary, installed beside `oped`.
const COMPANION: &str = "oped-extract";

/// The program to start: the configured one; else `oped-extract` beside the
/// running binary (it links only the document readers and starts in a
/// quarter of the time); else the running image itself, `/proc/self/exe`
/// (`oped extract`). Both take the same arguments and speak the same JSON.
pub fn program(configured: Option<&PathBuf>) -> Result<PathBuf, String> {
    const RUNNING_IMAGE: &str = "/proc/self/exe";
    if let Some(path) = configured {
        return Ok(path.clone());
    }
    let running = std::env::current_exe()
        .map_err(|err| format!("the extractor could not be found: {err}"))?;
    let companion = running.with_file_name(COMPANION);
    if companion.is_file() {
        Ok(companion)
    } else if Path::new(RUNNING_IMAGE).exists() {
        Ok(PathBuf::from(RUNNING_IMAGE))
    } else {
        Ok(running)
    }
}

/// `oped extract`: the child's side. Reads the document from stdin, prints
/// one JSON answer on stdout, exits 0. No configuration is read; the parent
/// has put it under its limits before the document arrives.
pub fn serve_child(kind: DocumentKind) -> std::process::ExitCode {
    // Dies with the thread that started it, should the server die first. (If
    // the server died in the microseconds before this, the orphan finds its
    // stdin closed and exits, or its CPU limit ends it.)
    if let Err(err) = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL) {
        print_answer(&Answer::Error {
            error: format!("the extractor could not tie itself to the server: {err}"),
        });
        return std::process::ExitCode::FAILURE;
    }
    // A panic in a parser becomes an answer with its message (and exit 101).
    std::panic::set_hook(Box::new(|info| {
        let message = match info.payload().downcast_ref::<&str>() {
            Some(text) => (*text).to_string(),
            None => info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default(),
        };
        print_answer(&Answer::Error {
            error: format!("the extractor failed: {message}"),
        });
    }));
    let limits = super::DocumentLimits::default();
    let mut bytes = Vec::new();
    let answer = match std::io::stdin()
        .lock()
        .take(limits.max_uncompressed_bytes + 1)
        .read_to_end(&mut bytes)
    {
        Err(err) => Answer::Error {
            error: format!("the extractor could not read the document: {err}"),
        },
        Ok(_) => match super::extract(kind, &bytes, &limits) {
            Ok(doc) => Answer::Text {
                text: doc.text,
                title: doc.title,
            },
            Err(err) => Answer::Error {
                error: err.to_string(),
            },
        },
    };
    print_answer(&answer);
    std::process::ExitCode::SUCCESS
}

fn print_answer(answer: &Answer) {
    let mut stdout = std::io::stdout().lock();
    // Nothing to do if the parent stopped listening.
    let _ = serde_json::to_writer(&mut stdout, answer);
    let _ = stdout.write_all(b"\n");
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    //! The runner against small shell scripts standing in for `oped extract`,
    //! so each failure can be produced on purpose. The real extractor is
    //! tested through the `oped` binary in tests/it/extraction.rs.

    use std::os::unix::fs::PermissionsExt;
    use std::sync::OnceLock;

    use super::*;

    const LIMITS: ChildLimits = ChildLimits {
        wall: Duration::from_secs(20),
        cpu: Duration::from_secs(20),
        memory_bytes: 512 * 1024 * 1024,
    };

    /// Writes every script once, before any test spawns one: a script still
    /// open for writing when another thread forks cannot be executed.
    fn script(name: &str) -> PathBuf {
        static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
        let dir = DIR.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let scripts = [
                // Never answers: only the wall clock ends it. The odd
                // argument marks the process, to look for it afterwards.
                ("hang", "exec sleep 31.4159"),
                ("segfault", "kill -SEGV $$"),
                ("cpu", "kill -XCPU $$"),
                (
                    "environment",
                    r#"printf '{"text":"%s","title":null}' "$(env | tr '\n' ' ')""#,
                ),
                ("arguments", r#"printf '{"text":"%s","title":null}' "$*""#),
                (
                    // Reads the document first: the limits are set by then.
                    "limits",
                    r#"cat >/dev/null; printf '{"text":"%s","title":null}' "$(tr -s ' ' </proc/self/limits | tr '\n' ';')""#,
                ),
                (
                    "reports",
                    r#"cat >/dev/null; echo '{"error":"document is encrypted"}'"#,
                ),
                ("echo", r#"printf '{"text":"%s","title":"T"}' "$(cat)""#),
                ("garbage", "echo 'Segmentation fault'; exit 3"),
            ];
            for (name, body) in scripts {
                let path = dir.path().join(name);
                std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
            dir
        });
        dir.path().join(name)
    }

    fn run(name: &str, input: &[u8], limits: ChildLimits) -> Result<ExtractedDocument, String> {
        extract_in_child(&script(name), DocumentKind::Text, input, limits)
    }

    /// Processes whose command line holds `marker`.
    fn running(marker: &str) -> usize {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|entry| {
                std::fs::read(entry.path().join("cmdline"))
                    .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(marker))
            })
            .count()
    }

    #[test]
    fn a_child_past_its_time_is_killed_and_reaped() {
        let limits = ChildLimits {
            wall: Duration::from_millis(300),
            ..LIMITS
        };
        let error = run("hang", b"", limits).unwrap_err();
        assert_eq!(error, "the extractor was stopped after 0.3 s");
        assert_eq!(running("31.4159"), 0, "the child is gone, zombie included");
    }

    #[test]
    fn a_crash_is_reported_with_its_signal() {
        let error = run("segfault", b"", LIMITS).unwrap_err();
        assert_eq!(error, "the extractor crashed (signal 11)");
    }

    #[test]
    fn the_cpu_limit_is_named() {
        let error = run("cpu", b"", LIMITS).unwrap_err();
        assert_eq!(error, "the extractor used up its 20 s of CPU time");
    }

    #[test]
    fn the_child_inherits_no_environment() {
        let seen = run("environment", b"", LIMITS).unwrap().text;
        // The test process has PATH, HOME and cargo's variables; the child none of them.
        assert!(std::env::var_os("PATH").is_some());
        for name in ["PATH=", "HOME=", "CARGO"] {
            assert!(!seen.contains(name), "{name} reached the child: {seen}");
        }
    }

    #[test]
    fn the_parent_limits_the_child_before_it_sends_the_document() {
        // CPU time is whole seconds, rounded up.
        let limits = ChildLimits {
            cpu: Duration::from_millis(2_300),
            memory_bytes: 300_000_000,
            ..LIMITS
        };
        let seen = run("limits", b"document", limits).unwrap().text;
        let limit = |name: &str| -> String {
            let line = seen.split(';').find(|line| line.starts_with(name)).unwrap();
            line[name.len()..]
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(limit("Max cpu time"), "3 4", "{seen}");
        assert_eq!(limit("Max address space"), "300000000 300000000");
        assert_eq!(limit("Max file size"), "0 0");
        assert_eq!(limit("Max open files"), "16 16");
        assert_eq!(limit("Max core file size"), "0 0");
        assert_eq!(
            run("arguments", b"", LIMITS).unwrap().text,
            "extract --kind text"
        );
    }

    #[test]
    fn answers_and_reasons_come_back() {
        let doc = run("echo", b"Hello", LIMITS).unwrap();
        assert_eq!(
            (doc.text.as_str(), doc.title.as_deref()),
            ("Hello", Some("T"))
        );
        // Larger than a pipe's buffer, so writing and reading must overlap.
        let big = "x".repeat(1 << 20);
        assert_eq!(run("echo", big.as_bytes(), LIMITS).unwrap().text, big);
        assert_eq!(
            run("reports", b"%PDF-", LIMITS).unwrap_err(),
            "document is encrypted"
        );
        assert_eq!(
            run("garbage", b"", LIMITS).unwrap_err(),
            "the extractor failed (exit status: 3)"
        );
    }

    #[test]
    fn production_starts_the_companion_or_the_running_image() {
        // The unit-test binary has no `oped-extract` beside it, as an `oped`
        // installed alone would not.
        let running = std::env::current_exe().unwrap();
        assert!(!running.with_file_name(COMPANION).exists());
        assert_eq!(program(None).unwrap(), PathBuf::from("/proc/self/exe"));
        let configured = PathBuf::from("/opt/oped/bin/oped");
        assert_eq!(program(Some(&configured)).unwrap(), configured);
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_panic() {
        let error = extract_in_child(
            Path::new("/nonexistent/oped"),
            DocumentKind::Pdf,
            b"%PDF-",
            LIMITS,
        )
        .unwrap_err();
        assert!(
            error.starts_with("the extractor could not be started"),
            "{error}"
        );
    }
}
