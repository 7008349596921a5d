//! Running the extractor in a child process under OS limits.
//!
//! Document parsers (lopdf above all) can be made to burn CPU, allocate without
//! bound or overflow their stack by a crafted file, and a thread cannot be
//! stopped from outside. A process can: the parent starts `oped extract --kind
//! K`, writes the document to its stdin, reads one JSON line from its stdout,
//! and kills it when its time is up. Whatever the document does, it does to
//! the child; the parent gets an error with a reason, and nothing outlives the
//! call.
//!
//! The child is assumed to be compromised by the document, so it holds
//! nothing worth taking: an empty environment, no working directory of ours,
//! and, when the server runs as root, an unprivileged user of its own
//! ([`child_user`]), so it cannot read the server's files or, through
//! `/proc`, its memory and environment (a server of another user is made
//! undumpable in `main` for the same reason). It starts in a process group
//! of its own, and the whole group is killed when the call ends, so a
//! grandchild dies with it; the parent's reads end at the deadline or the
//! child's exit, whoever holds the pipes (`exchange`).

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Pid, User};
use serde::{Deserialize, Serialize};

use super::exchange::{self, Conversation};
use super::{DocumentKind, ExtractedDocument};

/// The OS limits of one child, and who it runs as.
#[derive(Debug, Clone, Copy)]
pub struct ChildLimits {
    /// Wall clock: the child is killed when it has not finished by then.
    pub wall: Duration,
    /// CPU seconds (RLIMIT_CPU, whole seconds, at least 1).
    pub cpu: Duration,
    /// Address space (RLIMIT_AS).
    pub memory_bytes: u64,
    /// The unprivileged user to run as; `None` runs it as the server's own
    /// user (see [`child_user`]).
    pub user: Option<ChildUser>,
}

/// An unprivileged account a child runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildUser {
    pub uid: u32,
    pub gid: u32,
}

/// The user a root server's children run as when `OPED_EXTRACT_USER` is unset.
pub const DEFAULT_CHILD_USER: &str = "nobody";

/// The largest answer read from a child: 2 million characters of text (the
/// output limit) are at most 8 MB of UTF-8, JSON escaping aside.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;
/// What is kept of the child's stderr: enough for a panic or abort message.
const MAX_STDERR_BYTES: usize = 4 * 1024;
/// File descriptors the child may hold: stdin, stdout, stderr and a few the
/// runtime opens. No document needs a file, a socket or a pipe of its own.
const MAX_OPEN_FILES: u64 = 16;
/// RLIMIT_NPROC. The extractor starts no process and no thread; this bounds
/// what a compromised one can start. The kernel counts every task of the
/// child's real user, system-wide, and refuses a fork once the count reaches
/// the limit of the process that forks. For a root server's child, the user
/// is `nobody` (or `OPED_EXTRACT_USER`), which runs little else: a bomb stops
/// at 32 tasks. For a server run as an ordinary user, the count includes the
/// server's own threads and that user's other processes, so the child can
/// usually fork nothing at all; the server keeps its own, unchanged limit.
/// It is set after the change of user (std calls setuid before `pre_exec`),
/// or by prlimit(2) once a child of the server's own user runs: the kernel
/// judges a new user's count against the limit in force at setuid, the
/// server's own, so the child always starts; only its forks are refused.
const MAX_PROCESSES: u64 = 32;

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
    let mut child = spawn(program, kind, limits)
        .map_err(|err| format!("the extractor could not be started: {err}"))?;
    // A child of the server's own user is limited from here, before it is
    // sent a byte of the document: until then it can only wait on its stdin.
    // (One of another user limited itself before exec, in `spawn`.)
    if limits.user.is_none()
        && let Err(err) = limit(child.id(), limits)
    {
        stop(&mut child);
        return Err(format!("the extractor could not be limited: {err}"));
    }
    let conversation = exchange::converse(
        &mut child,
        bytes,
        started + limits.wall,
        MAX_ANSWER_BYTES,
        MAX_STDERR_BYTES,
    );
    // Whatever happened, the child's whole group goes now, and the child is
    // reaped: nothing it started outlives the call.
    let status = stop(&mut child);
    let result = match (conversation, status) {
        (Ok(conversation), Some(status)) if conversation.child_exited => {
            finished(status, conversation, limits)
        }
        (Ok(_), _) => Err(format!(
            "the extractor was stopped after {}",
            seconds(limits.wall)
        )),
        (Err(err), _) => Err(format!("the extractor's answer was unreadable: {err}")),
    };
    crate::metrics::document_read(
        kind.as_str(),
        result.is_ok(),
        started.elapsed().as_secs_f64(),
    );
    result
}

/// The answer of a child that exited in time.
fn finished(
    status: ExitStatus,
    conversation: Conversation,
    limits: ChildLimits,
) -> Result<ExtractedDocument, String> {
    let diagnostics = String::from_utf8_lossy(&conversation.diagnostics);
    if let Some(signal) = status.signal() {
        return Err(died(signal, &diagnostics, limits));
    }
    if conversation.answer_too_large {
        return Err("the extractor's answer was too large".into());
    }
    match serde_json::from_slice::<Answer>(&conversation.answer) {
        Ok(Answer::Text { text, title }) if status.success() => {
            Ok(ExtractedDocument { text, title })
        }
        Ok(Answer::Error { error }) => Err(error),
        _ => Err(format!("the extractor failed ({status})")),
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

fn spawn(program: &Path, kind: DocumentKind, limits: ChildLimits) -> std::io::Result<Child> {
    let mut command = Command::new(program);
    command
        // What `ps` shows, even when the program is /proc/self/exe.
        .arg0("oped")
        .args(["extract", "--kind", kind.as_str()])
        // No configuration, database URL or secret reaches the child.
        .env_clear()
        .current_dir("/")
        // Its own group, led by the child, so that `stop` reaches whatever
        // it starts.
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(user) = limits.user {
        // std drops privileges in the forked child before exec, in the order
        // that leaves none behind: setgid, then setgroups with no groups
        // (root's supplementary groups would survive setuid), then setuid.
        command.gid(user.gid).uid(user.uid);
        let rlimits = rlimits(limits);
        // The limits too, after the change of user and before exec: the
        // parent may not set another user's limits without
        // CAP_SYS_RESOURCE, which containers often drop. Lowering one's own
        // limits needs no privilege.
        // SAFETY: the closure only makes setrlimit calls on values it owns,
        // which is async-signal-safe, as the code between fork and exec must be.
        unsafe {
            command.pre_exec(move || {
                for (resource, value) in rlimits {
                    if libc::setrlimit(resource, &value) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }
    // For a server that is not root: no `pre_exec` hook and no change of
    // user, so std starts the child with posix_spawn (vfork) instead of
    // fork, which for a server holding hundreds of MB saves ~10 ms of
    // page-table copying per document. The limits are set with prlimit(2)
    // once it runs (`limit`).
    command.spawn()
}

/// Who a server running as `euid` starts its children as: itself, unless it
/// is root; then `configured` (`OPED_EXTRACT_USER`) or `nobody`, which must
/// exist and not be root. A child run as root could read any file and any
/// process's memory and environment, the server's included.
pub fn child_user(configured: Option<&str>) -> Result<Option<ChildUser>, String> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    resolve_user(configured.unwrap_or(DEFAULT_CHILD_USER))
        .map(Some)
        .map_err(|err| format!("the extractor could not be started: {err}"))
}

/// `name`'s uid and gid; an error unless it names an existing user other than root.
pub fn resolve_user(name: &str) -> Result<ChildUser, String> {
    match User::from_name(name) {
        Ok(Some(user)) if !user.uid.is_root() && user.gid.as_raw() != 0 => Ok(ChildUser {
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        }),
        Ok(Some(_)) => Err(format!("the user {name:?} is root, or in root's group")),
        Ok(None) => Err(format!("there is no user {name:?}")),
        Err(err) => Err(format!("the user {name:?} could not be looked up: {err}")),
    }
}

/// The OS limits of a child: address space, CPU seconds (SIGXCPU at the
/// limit, SIGKILL a second later), no file written, few descriptors, few
/// processes, no core dump.
fn rlimits(limits: ChildLimits) -> [(libc::__rlimit_resource_t, libc::rlimit); 6] {
    let cpu_seconds = limits.cpu.as_secs_f64().ceil().max(1.0) as u64;
    let memory = limits.memory_bytes;
    [
        (libc::RLIMIT_AS, memory, memory),
        (libc::RLIMIT_CPU, cpu_seconds, cpu_seconds + 1),
        (libc::RLIMIT_FSIZE, 0, 0),
        (libc::RLIMIT_NOFILE, MAX_OPEN_FILES, MAX_OPEN_FILES),
        (libc::RLIMIT_NPROC, MAX_PROCESSES, MAX_PROCESSES),
        (libc::RLIMIT_CORE, 0, 0),
    ]
    .map(|(resource, soft, hard)| {
        (
            resource,
            libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            },
        )
    })
}

/// Puts the OS limits on the running child `pid`, of the server's own user.
fn limit(pid: u32, limits: ChildLimits) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(std::io::Error::other)?;
    for (resource, value) in rlimits(limits) {
        // SAFETY: prlimit reads `value` and writes nothing (no old value is
        // asked for); `pid` is our own child, not yet reaped.
        if unsafe { libc::prlimit(pid, resource, &value, std::ptr::null_mut()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Kills the child's process group (the child and whatever it started that
/// stayed in it) and reaps the child; its exit status, unless it could not
/// be had. The group is killed before the child is reaped: until then the
/// child's pid, which is the group's id, cannot be given to anyone else. The
/// same thread owns, kills and reaps it.
fn stop(child: &mut Child) -> Option<ExitStatus> {
    if let Ok(pid) = i32::try_from(child.id()) {
        // An error only when no process is left in the group: nothing to do.
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    // The child itself, should the group have been left (it cannot be
    // without exec'ing, but a kill costs nothing).
    let _ = child.kill();
    child.wait().ok()
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
    if let Err(err) = confine() {
        print_answer(&Answer::Error {
            error: format!("the extractor could not confine itself: {err}"),
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

/// Takes from this process, before it reads a byte of the document, what a
/// parser never needs and a subverted one would use (Landlock): every access
/// to files (the document comes on stdin, the answer goes to stdout, both
/// open already), TCP, abstract Unix sockets and signals to processes outside
/// it. Best effort: a kernel older than Landlock (5.13) or than part of it
/// keeps the rest, and the user, the rlimits and the empty environment hold.
fn confine() -> Result<(), landlock::RulesetError> {
    use landlock::{ABI, Access, AccessFs, AccessNet, Ruleset, RulesetAttr, Scope};
    let abi = ABI::V6;
    Ruleset::default()
        .handle_access(AccessFs::from_all(abi))?
        .handle_access(AccessNet::from_all(abi))?
        .scope(Scope::from_all(abi))?
        .create()?
        .restrict_self()?;
    Ok(())
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
        user: None,
    };

    /// As production runs a child: under an unprivileged user when this test
    /// runs as root.
    fn as_production() -> ChildLimits {
        ChildLimits {
            user: child_user(None).unwrap(),
            ..LIMITS
        }
    }

    /// Writes every script once, before any test spawns one: a script still
    /// open for writing when another thread forks cannot be executed.
    fn script(name: &str) -> PathBuf {
        static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
        let dir = DIR.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            // Open to the unprivileged user a root test's children run as.
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let scripts = [
                // Never answers: only the wall clock ends it. The odd
                // argument marks the process, to look for it afterwards.
                ("hang", "exec sleep 31.4159"),
                ("segfault", "kill -SEGV $$"),
                (
                    // What Rust's runtime prints before it aborts.
                    "stack",
                    r#"echo "thread 'main' has overflowed its stack" >&2; kill -ABRT $$"#,
                ),
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
                (
                    // Answers and exits, leaving a grandchild on its stdout.
                    "grandchild",
                    r#"cat >/dev/null; sleep 27.1828 & printf '{"text":"%s","title":null}' "$!""#,
                ),
                (
                    // Starts up to 100 sleepers that hold no pipe, an `x`
                    // for each; a failed fork ends the subshell only.
                    "forks",
                    r#"cat >/dev/null; printf '{"text":"'; (i=0; while [ $i -lt 100 ]; do sleep 16.1803 </dev/null >/dev/null 2>&1 & printf x; i=$((i+1)); done); printf '","title":null}'"#,
                ),
                ("identity", r#"cat >/dev/null; printf '{"text":"%s %s","title":null}' "$(id -u)" "$(id -G)""#),
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

    /// Whether the processes whose command line holds `marker` are gone
    /// within 10 s: a SIGKILL is certain, but its delivery is the kernel's.
    fn gone(marker: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while running(marker) > 0 {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
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
    fn a_grandchild_holding_the_pipes_neither_delays_the_answer_nor_outlives_it() {
        let grandchild = run("grandchild", b"", LIMITS).unwrap().text;
        assert!(grandchild.parse::<u32>().is_ok(), "{grandchild}");
        assert!(gone("27.1828"), "the grandchild {grandchild} is gone");
    }

    #[test]
    fn forks_are_bounded_and_none_outlives_the_call() {
        let started = run("forks", b"", as_production()).unwrap().text;
        assert!(
            started.len() as u64 <= MAX_PROCESSES,
            "{} processes started",
            started.len()
        );
        assert!(gone("16.1803"), "every process of the group is gone");
    }

    #[test]
    fn a_root_servers_child_runs_as_nobody_without_groups() {
        let seen = run("identity", b"", as_production()).unwrap().text;
        let server = nix::unistd::geteuid();
        if server.is_root() {
            let nobody = resolve_user(DEFAULT_CHILD_USER).unwrap();
            assert_eq!(seen, format!("{} {}", nobody.uid, nobody.gid));
        } else {
            assert!(seen.starts_with(&format!("{server} ")), "{seen}");
        }
    }

    /// Run alone, in a process of its own, by the test below: confined,
    /// this process can neither read a file nor connect anywhere.
    #[test]
    #[ignore = "run by the_extractor_confines_itself_before_reading, in a process of its own"]
    fn confined_process_probe() {
        confine().unwrap();
        let denied = std::fs::read("/etc/passwd").unwrap_err();
        assert_eq!(denied.kind(), std::io::ErrorKind::PermissionDenied);
        let listener = std::net::TcpListener::bind("127.0.0.1:0");
        assert!(listener.is_err(), "{listener:?}");
    }

    #[test]
    fn the_extractor_confines_itself_before_reading() {
        assert!(std::fs::read("/etc/passwd").is_ok(), "readable unconfined");
        let probe = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "intake::documents::sandbox::tests::confined_process_probe",
                "--ignored",
                "--test-threads=1",
            ])
            .output()
            .unwrap();
        let output = String::from_utf8_lossy(&probe.stdout);
        assert!(probe.status.success(), "{output}");
        assert!(output.contains("1 passed"), "{output}");
    }

    #[test]
    fn a_crash_is_reported_with_its_signal() {
        let error = run("segfault", b"", LIMITS).unwrap_err();
        assert_eq!(error, "the extractor crashed (signal 11)");
    }

    #[test]
    fn a_stack_overflow_is_named() {
        let error = run("stack", b"", LIMITS).unwrap_err();
        assert_eq!(
            error,
            "the extractor overflowed its stack (the document is nested too deeply)"
        );
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
        assert_eq!(limit("Max processes"), "32 32");
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
