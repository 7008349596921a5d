//! The parent's side of the conversation with an extractor child: the
//! document written to its stdin, its answer and diagnostics read from its
//! stdout and stderr, all on the calling thread with poll(2), until the
//! child has exited or the deadline has come.
//!
//! Reads that wait for end-of-file wait for the last holder of a pipe, and a
//! child can hand its pipes to a grandchild that outlives it. So the
//! conversation ends when the child itself has exited (what it wrote is in
//! the pipes by then, and is drained without waiting), or at the deadline,
//! whoever still holds the pipes; no thread is left blocked on them.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::Child;
use std::time::{Duration, Instant};

use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use nix::unistd::Pid;

/// How often the child's exit is looked at while its pipes stay open. They
/// close when it exits unless something else holds them, so this bounds
/// only how long such a holder delays an exited child's answer.
const EXIT_CHECK: Duration = Duration::from_millis(20);
/// One read or write on a pipe.
const CHUNK: usize = 64 * 1024;

/// What came back, and how the conversation ended.
pub struct Conversation {
    /// stdout, up to `max_answer` bytes.
    pub answer: Vec<u8>,
    /// The child wrote more than `max_answer` bytes on stdout.
    pub answer_too_large: bool,
    /// The start of stderr, up to `max_diagnostics` bytes.
    pub diagnostics: Vec<u8>,
    /// The child exited before the deadline (it is not reaped yet).
    pub child_exited: bool,
}

/// Writes `input` to the child's stdin and reads its stdout and stderr until
/// it exits or `deadline` passes. The child is left unreaped, so its pid,
/// which is also its process group's id, stays its own for the caller.
pub fn converse(
    child: &mut Child,
    input: &[u8],
    deadline: Instant,
    max_answer: usize,
    max_diagnostics: usize,
) -> std::io::Result<Conversation> {
    let pid = Pid::from_raw(i32::try_from(child.id()).map_err(std::io::Error::other)?);
    let mut stdin = child.stdin.take().map(nonblocking).transpose()?;
    let mut stdout = child.stdout.take().map(nonblocking).transpose()?;
    let mut stderr = child.stderr.take().map(nonblocking).transpose()?;
    let mut conversation = Conversation {
        answer: Vec::new(),
        answer_too_large: false,
        diagnostics: Vec::new(),
        child_exited: false,
    };
    if input.is_empty() {
        stdin = None;
    }
    let mut written = 0;
    // Once both outputs are closed the child is normally exiting: its status
    // is there at once or after a few short naps.
    let mut nap = Duration::from_micros(200);
    loop {
        if has_exited(pid)? {
            conversation.child_exited = true;
            // Drained, not waited for: anything still holding the pipes
            // after the child is gone is not part of its answer.
            if let Some(pipe) = &mut stdout {
                read_available(pipe, &mut conversation.answer, max_answer + 1)?;
            }
            if let Some(pipe) = &mut stderr {
                read_available(pipe, &mut conversation.diagnostics, max_diagnostics)?;
            }
            conversation.answer_too_large |= conversation.answer.len() > max_answer;
            conversation.answer.truncate(max_answer);
            return Ok(conversation);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(conversation);
        }
        if stdout.is_none() && stderr.is_none() {
            std::thread::sleep(nap.min(left));
            nap = (nap * 2).min(EXIT_CHECK);
            continue;
        }
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(3);
        let mut watch = |pipe: &Option<File>, events: libc::c_short| {
            pipe.as_ref().map(|pipe| {
                fds.push(libc::pollfd {
                    fd: pipe.as_raw_fd(),
                    events,
                    revents: 0,
                });
                fds.len() - 1
            })
        };
        let (stdin_at, stdout_at, stderr_at) = (
            watch(&stdin, libc::POLLOUT),
            watch(&stdout, libc::POLLIN),
            watch(&stderr, libc::POLLIN),
        );
        let timeout = left.min(EXIT_CHECK).as_millis().max(1) as libc::c_int;
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs that
        // poll fills in; every descriptor in it is open (owned above).
        let polled = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if polled < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        let ready = |at: Option<usize>| at.is_some_and(|at| fds[at].revents != 0);
        if ready(stdin_at)
            && let Some(pipe) = &mut stdin
        {
            let end = input.len().min(written + CHUNK);
            match pipe.write(&input[written..end]) {
                Ok(n) => written += n,
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                // The child stopped reading (it died, or answered early):
                // not our error, and its answer says what happened.
                Err(_) => written = input.len(),
            }
            if written == input.len() {
                // Closed, so the child reads end-of-file.
                stdin = None;
            }
        }
        if ready(stdout_at)
            && let Some(pipe) = &mut stdout
        {
            let open = read_some(pipe, &mut conversation.answer, max_answer + 1)?;
            if conversation.answer.len() > max_answer {
                // Closed: the child's next write fails, and it is not read.
                conversation.answer_too_large = true;
                conversation.answer.truncate(max_answer);
                stdout = None;
            } else if !open {
                stdout = None;
            }
        }
        if ready(stderr_at)
            && let Some(pipe) = &mut stderr
            && !read_some(pipe, &mut conversation.diagnostics, max_diagnostics)?
        {
            stderr = None;
        }
    }
}

/// Whether the child `pid` has exited, leaving it unreaped.
fn has_exited(pid: Pid) -> std::io::Result<bool> {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    match waitid(Id::Pid(pid), flags) {
        Ok(WaitStatus::StillAlive) => Ok(false),
        Ok(_) => Ok(true),
        Err(nix::errno::Errno::EINTR) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Our end of one of the child's pipes, switched to non-blocking. The flag
/// is on our open file only: the child's end stays as it was.
fn nonblocking(pipe: impl Into<OwnedFd>) -> std::io::Result<File> {
    let file = File::from(pipe.into());
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, reading and setting its status flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(file)
}

/// One read into `kept`, keeping at most `cap` bytes in all (the rest is
/// read and dropped, so the writer is never stuck); false at end-of-file.
fn read_some(pipe: &mut File, kept: &mut Vec<u8>, cap: usize) -> std::io::Result<bool> {
    let mut buffer = [0u8; CHUNK];
    match pipe.read(&mut buffer) {
        Ok(0) => Ok(false),
        Ok(n) => {
            let room = cap.saturating_sub(kept.len());
            kept.extend_from_slice(&buffer[..n.min(room)]);
            Ok(true)
        }
        Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
            Ok(true)
        }
        Err(err) => Err(err),
    }
}

/// Reads what is in the pipe now, without waiting for more, until `cap`
/// bytes are kept (a writer that outlives the child cannot keep us here).
fn read_available(pipe: &mut File, kept: &mut Vec<u8>, cap: usize) -> std::io::Result<()> {
    let mut buffer = [0u8; CHUNK];
    while kept.len() < cap {
        match pipe.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
