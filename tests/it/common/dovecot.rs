//! A real IMAP server for tests: Dovecot from the system (`dovecot-imapd`),
//! started on a free 127.0.0.1 port with its own configuration, one
//! passwd-file user and a Maildir in a temporary folder, without TLS (the
//! poller is pointed at it with `?tls=none`). Stopped when dropped.
//!
//! The helpers (append, count, delete a folder) speak IMAP with the same
//! client library as the poller, each on a short-lived runtime of its own.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oped::config::ImapConfig;
use oped::imap::connection::{self, ImapSession};

pub const USER: &str = "desk@news.example";
pub const PASSWORD: &str = "correct-horse-battery-42";

pub struct Dovecot {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl Dovecot {
    pub fn start() -> Dovecot {
        Dovecot::start_with("")
    }

    /// With `extra` appended to the configuration (e.g. a smaller `imap_capability`).
    pub fn start_with(extra: &str) -> Dovecot {
        let dir = tempfile::Builder::new()
            .prefix("oped-dovecot-")
            .tempdir()
            .unwrap();
        let root = dir.path();
        // The mail processes (user `dovecot`) must get through to the Maildir.
        std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let (uid, gid) = (id("-u"), id("-g"));
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        // Mail processes run as the `dovecot` user (never root): it owns
        // the Maildir. The login and run directories stay root's.
        chown_tree(&root.join("mail"), &uid, &gid);
        std::fs::write(
            root.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .unwrap();
        let port = super::free_port();
        let conf = format!(
            r#"
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%n
mail_fsync = never
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
{extra}
"#,
            root = root.display()
        );
        let conf_path = root.join("dovecot.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = spawn(&conf_path);
        let server = Dovecot { port, dir, child };
        server.wait_until_listening();
        server
    }

    /// Stops the server: its clients see their connections drop, and
    /// nothing answers on its port until [`Dovecot::start_again`].
    pub fn stop(&mut self) {
        self.terminate();
    }

    /// Starts the stopped server again on the same port with the same mail.
    pub fn start_again(&mut self) {
        self.child = spawn(&self.dir.path().join("dovecot.conf"));
        self.wait_until_listening();
    }

    fn terminate(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_until_listening(&self) {
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "Dovecot did not start; its log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// `OPED_IMAP_URL` for `folder`, with `password`.
    pub fn url_with(&self, folder: &str, password: &str) -> String {
        format!(
            "imap://{}:{}@127.0.0.1:{}/{folder}?tls=none",
            USER.replace('@', "%40"),
            password,
            self.port
        )
    }

    pub fn url(&self, folder: &str) -> String {
        self.url_with(folder, PASSWORD)
    }

    /// The poller's configuration for `folder`, polling every 5 s where IDLE
    /// is not used.
    pub fn config(&self, folder: &str) -> ImapConfig {
        let mut config = oped::config::parse_imap_url(&self.url(folder), None).unwrap();
        config.poll_interval = Duration::from_secs(5);
        config
    }

    fn session(&self) -> (tokio::runtime::Runtime, ImapSession) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let session = runtime
            .block_on(connection::open(&self.config("INBOX")))
            .expect("the test user logs in");
        (runtime, session)
    }

    /// APPENDs each message to `folder` (created when missing), in order.
    pub fn append<'a>(&self, folder: &str, messages: impl IntoIterator<Item = &'a [u8]>) {
        let (runtime, mut session) = self.session();
        runtime.block_on(async {
            let _ = session.create(folder).await;
            for message in messages {
                session.append(folder, None, None, message).await.unwrap();
            }
            session.logout().await.unwrap();
        });
    }

    /// How many messages `folder` holds (0 when it does not exist).
    pub fn count(&self, folder: &str) -> u32 {
        let (runtime, mut session) = self.session();
        runtime.block_on(async {
            let count = match session.examine(folder).await {
                Ok(mailbox) => mailbox.exists,
                Err(_) => 0,
            };
            session.logout().await.unwrap();
            count
        })
    }

    /// Deletes `folder` and creates it again: the server gives it a new UIDVALIDITY.
    pub fn recreate(&self, folder: &str) {
        let (runtime, mut session) = self.session();
        runtime.block_on(async {
            session.delete(folder).await.unwrap();
            session.create(folder).await.unwrap();
            session.logout().await.unwrap();
        });
    }

    /// The UIDVALIDITY of `folder`.
    pub fn uid_validity(&self, folder: &str) -> u32 {
        let (runtime, mut session) = self.session();
        runtime.block_on(async {
            let mailbox = session.examine(folder).await.unwrap();
            session.logout().await.unwrap();
            mailbox.uid_validity.unwrap()
        })
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.terminate();
    }
}

fn spawn(conf: &std::path::Path) -> Child {
    Command::new(dovecot_binary())
        .arg("-F")
        .arg("-c")
        .arg(conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tests need Dovecot: apt-get install dovecot-imapd")
}

fn dovecot_binary() -> PathBuf {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from("dovecot"))
}

fn id(flag: &str) -> String {
    let output = Command::new("id")
        .arg(flag)
        .arg("dovecot")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the `dovecot` user is missing: apt-get install dovecot-imapd"
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

fn chown_tree(path: &std::path::Path, uid: &str, gid: &str) {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{gid}"))
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}
