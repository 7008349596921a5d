//! `oped serve` as a real process on a free port, returned once `/readyz`
//! answers; with its log read as it is written when a test asks what the
//! process said. Stopped with SIGTERM and reaped on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Serve {
    pub child: Child,
    pub base: String,
    /// Everything written to stderr so far, when started [`Serve::logged`].
    log: Option<Arc<Mutex<String>>>,
    _data_dir: tempfile::TempDir,
}

impl Serve {
    /// `oped serve` over `database_url` with the inbound token, a data
    /// directory of its own and `env`.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Serve {
        Serve::spawn(database_url, &[], env, false)
    }

    /// [`Serve::start`] with `args` after `serve`, logging at `info`, its
    /// log kept for [`Serve::log_once`].
    pub fn logged(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Serve {
        Serve::spawn(database_url, args, env, true)
    }

    fn spawn(database_url: &str, args: &[&str], env: &[(&str, &str)], logged: bool) -> Serve {
        let port = super::free_port();
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = super::oped_command(database_url);
        command
            .arg("serve")
            .args(args)
            .env("OPED_BIND", format!("127.0.0.1:{port}"))
            .env("OPED_INBOUND_TOKEN", super::INBOUND_TOKEN)
            .env("OPED_DATA_DIR", data_dir.path())
            .stdout(Stdio::null());
        if logged {
            command.env("RUST_LOG", "info").stderr(Stdio::piped());
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let log = logged.then(|| {
            let log = Arc::new(Mutex::new(String::new()));
            let stderr = child.stderr.take().unwrap();
            let written = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut log = written.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
            log
        });
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&base, &mut child);
        Serve {
            child,
            base,
            log,
            _data_dir: data_dir,
        }
    }

    /// The log so far, once a line holds `needle`; panics after 30 s.
    pub fn log_once(&self, needle: &str) -> String {
        let log = self
            .log
            .as_ref()
            .expect("a server started with Serve::logged");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let log = log.lock().unwrap().clone();
            if log.contains(needle) {
                return log;
            }
            assert!(Instant::now() < deadline, "no {needle:?} in:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server with SIGTERM; its exit status once it has finished
    /// the work in hand (15 s at most, then it is killed and this panics).
    pub fn stop(mut self) -> ExitStatus {
        terminate(&mut self.child)
    }
}

/// Stops a child process with SIGTERM and returns its exit status.
pub fn terminate(child: &mut Child) -> ExitStatus {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    kill(pid, Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `oped serve` at `base` answers `/readyz`; panics if it exits
/// first or is not ready within 90 s.
pub fn wait_ready(base: &str, server: &mut Child) {
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = server.try_wait().unwrap() {
            panic!("oped serve exited early with {status}");
        }
        if client
            .get(format!("{base}/readyz"))
            .send()
            .is_ok_and(|response| response.status().is_success())
        {
            return;
        }
        assert!(Instant::now() < deadline, "oped serve never became ready");
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        // Stopped already (`stop`): its pid may be another process's now.
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }
}
