//! The embedded default database: without `DATABASE_URL`, oped runs a private
//! PostgreSQL cluster under its data directory with the locally installed
//! server binaries (`initdb`, `pg_ctl`).
//!
//! Layout under `<data_dir>/postgres`:
//! - `cluster/`      the PostgreSQL data directory
//! - `socket/`       the unix socket directory; no TCP listener is opened
//! - `postgres.log`  the server log (`pg_ctl -l`)
//! - `.lock`         flock serialising init/start/stop between oped processes
//!
//! Authentication is `trust`, so the socket directory (and its parent) is kept
//! mode 0700: only the cluster's owner (and root) can reach the socket.
//!
//! PostgreSQL refuses to run as root, so when oped runs as root the cluster is
//! owned by and run as an unprivileged user (`postgres`, else `nobody`). That
//! user must be able to traverse every parent directory of the cluster. When
//! it cannot enter the data directory (a clone in root's 0700 home, say), a
//! new cluster is kept instead under `/var/lib/oped/embedded/<hash of the data
//! directory's path>/` with the same layout, and the log says where; every
//! oped process with that data directory finds it there. A cluster that
//! already exists under the data directory stays where it is.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use nix::unistd::{Gid, Uid, User};
use sha2::{Digest, Sha256};

/// The cluster's superuser; the caller connects as this role.
const SUPERUSER: &str = "oped";
/// No TCP port is opened (`listen_addresses=''`); the number only names the
/// socket file `.s.PGSQL.<port>`, so the default is as good as any and two
/// clusters in different data directories never collide.
const PORT: u16 = 5432;
/// Seconds `pg_ctl` waits for start/stop; crash recovery can take a while.
const PG_CTL_TIMEOUT_SECS: u32 = 60;
/// `pg_ctl -l` appends forever; past this size the log is moved aside on start.
const MAX_LOG_BYTES: u64 = 16 * 1024 * 1024;
/// `sizeof(sockaddr_un.sun_path)` minus the terminating NUL on Linux.
const MAX_SOCKET_PATH: usize = 107;
const INSTALL_HINT: &str = "install the PostgreSQL server binaries (Debian/Ubuntu: `apt-get install postgresql`), \
     put the directory holding initdb and pg_ctl on PATH, or set DATABASE_URL to use an existing server";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// No usable PostgreSQL server binaries; `hint` says what to install or set.
    #[error("no usable PostgreSQL installation: {hint}")]
    NotInstalled { hint: String },
    #[error(
        "PostgreSQL refuses to run as root and neither a `postgres` nor a `nobody` user exists to run it as: \
         create a `postgres` system user, run oped as an unprivileged user, or set DATABASE_URL"
    )]
    NoUnprivilegedUser,
    /// Running as root, the unprivileged user PostgreSQL runs as cannot reach `dir`.
    #[error(
        "PostgreSQL runs as user `{user}` (it refuses to run as root), which cannot enter {}: \
         give it search permission there (e.g. `chmod o+x {}`), choose an OPED_DATA_DIR it can reach, \
         or set DATABASE_URL",
        dir.display(),
        dir.display()
    )]
    Inaccessible { user: String, dir: PathBuf },
    #[error("data directory {} cannot hold the embedded database: {reason}", path.display())]
    BadDataDir { path: PathBuf, reason: String },
    /// An external step (initdb, pg_ctl …) failed; `detail` carries its output
    /// and, for a failed start, the tail of the server log.
    #[error("{step} failed: {detail}")]
    Command { step: &'static str, detail: String },
    #[error("{action} {}: {source}", path.display())]
    Fs {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The unprivileged account the cluster runs as when oped runs as root.
#[derive(Debug, Clone)]
struct RunAs {
    uid: Uid,
    gid: Gid,
    name: String,
}

/// A private PostgreSQL cluster under `<data_dir>/postgres`.
#[derive(Debug)]
pub struct EmbeddedCluster {
    bindir: PathBuf,
    /// `<data_dir>/postgres`, absolute.
    root: PathBuf,
    cluster: PathBuf,
    socket: PathBuf,
    log: PathBuf,
    lock_path: PathBuf,
    run_as: Option<RunAs>,
    /// Held only while `start` runs. Kept in the struct (not a local) so that
    /// an error after the server came up, which drops `self` and stops the
    /// server, reuses this lock instead of deadlocking on a second flock.
    lock: Option<File>,
    started_by_us: bool,
}

impl EmbeddedCluster {
    /// Starts (initialising on first use) the cluster in `<data_dir>/postgres`,
    /// or attaches to the one already running there.
    pub fn start(data_dir: &Path) -> Result<EmbeddedCluster, EmbeddedError> {
        fs::create_dir_all(data_dir).map_err(fs_err("creating data directory", data_dir))?;
        let data_dir =
            fs::canonicalize(data_dir).map_err(fs_err("resolving data directory", data_dir))?;
        let root = cluster_root(&data_dir)?;
        let socket = root.join("socket");
        check_path(&data_dir, &socket)?;

        create_private_dir(&root)?;
        let lock_path = root.join(".lock");
        let lock = acquire_lock(&lock_path)?;

        let cluster = root.join("cluster");
        let cluster_version = read_cluster_version(&cluster)?;
        let existing = if cluster_version.is_some() {
            Cluster::Existing
        } else {
            Cluster::New
        };
        let run_as = choose_run_as(&cluster, existing)?;
        let (bindir, version) = select_bindir(&cluster, cluster_version.as_deref())?;

        let mut this = EmbeddedCluster {
            bindir,
            log: root.join("postgres.log"),
            root,
            cluster,
            socket,
            lock_path,
            run_as,
            lock: Some(lock),
            started_by_us: false,
        };
        this.prepare_dirs()?;

        if cluster_version.is_some() && this.is_running()? {
            this.check_socket("attaching to the running server")?;
            tracing::info!(cluster = %this.cluster.display(), "attached to the running embedded PostgreSQL");
            this.lock = None;
            return Ok(this);
        }
        if cluster_version.is_none() {
            this.initdb(version.as_deref())?;
        }
        this.start_server()?;
        this.lock = None;
        Ok(this)
    }

    /// A libpq URL for database `dbname` on this cluster: the socket directory,
    /// percent-encoded, is the host, e.g.
    /// `postgres://oped@%2Fabs%2Fdata%2Fpostgres%2Fsocket:5432/oped`.
    pub fn database_url(&self, dbname: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@{}:{PORT}/{}",
            percent_encode(self.socket.as_os_str().as_bytes()),
            percent_encode(dbname.as_bytes())
        )
    }

    /// Whether this value started the server (and so stops it on drop), as
    /// opposed to attaching to one that was already running.
    pub fn started_by_us(&self) -> bool {
        self.started_by_us
    }

    /// Creates the socket directory and, as root, hands the tree PostgreSQL
    /// writes to (its parent directory, socket directory, log) to the
    /// unprivileged user. The cluster itself is created by that user, so it
    /// never needs a (potentially long) recursive chown.
    fn prepare_dirs(&self) -> Result<(), EmbeddedError> {
        create_private_dir(&self.socket)?;
        if let Some(user) = &self.run_as {
            let old_log = self.old_log();
            for path in [&self.root, &self.socket, &self.log, &old_log] {
                if path.exists() {
                    std::os::unix::fs::chown(
                        path,
                        Some(user.uid.as_raw()),
                        Some(user.gid.as_raw()),
                    )
                    .map_err(fs_err("changing owner of", path))?;
                }
            }
        }
        Ok(())
    }

    fn initdb(&self, version: Option<&str>) -> Result<(), EmbeddedError> {
        // initdb into a scratch directory and rename it into place, so a crash
        // mid-initdb never leaves a half-made `cluster` that later runs mistake
        // for an initialised one.
        let scratch = self.root.join("cluster.init");
        if scratch.exists() {
            fs::remove_dir_all(&scratch)
                .map_err(fs_err("removing leftover partial cluster", &scratch))?;
        }
        tracing::info!(
            cluster = %self.cluster.display(),
            version = version.unwrap_or("unknown"),
            user = self.run_as.as_ref().map(|u| u.name.as_str()),
            "initialising the embedded PostgreSQL cluster"
        );
        let initdb = self.bindir.join("initdb");
        let mut cmd = self.command(&initdb);
        cmd.arg("-D").arg(&scratch).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ]);
        let out = self.run("initdb", &initdb, &mut cmd)?;
        check("initdb", &out)?;
        fs::rename(&scratch, &self.cluster).map_err(fs_err(
            "moving the new cluster into place at",
            &self.cluster,
        ))?;
        Ok(())
    }

    fn start_server(&mut self) -> Result<(), EmbeddedError> {
        self.rotate_log();
        tracing::info!(
            cluster = %self.cluster.display(),
            socket = %self.socket.display(),
            "starting the embedded PostgreSQL"
        );
        // pg_ctl hands `-o` to /bin/sh, so the socket path is shell-quoted;
        // `check_path` rejected the characters pg_ctl's own quoting of -D/-l
        // cannot carry.
        let options = format!(
            "-c listen_addresses='' -k {} -p {PORT}",
            sh_quote(&self.socket.to_string_lossy())
        );
        let pg_ctl = self.bindir.join("pg_ctl");
        let mut cmd = self.command(&pg_ctl);
        cmd.arg("start")
            .arg("-D")
            .arg(&self.cluster)
            .arg("-l")
            .arg(&self.log)
            .args(["-w", "-t", &PG_CTL_TIMEOUT_SECS.to_string(), "-o", &options]);
        let out = self.run("pg_ctl start", &pg_ctl, &mut cmd)?;
        if !out.status.success() {
            return Err(EmbeddedError::Command {
                step: "pg_ctl start",
                detail: format!(
                    "{}\n--- last lines of {} ---\n{}",
                    describe(&out),
                    self.log.display(),
                    log_tail(&self.log)
                ),
            });
        }
        // From here on an error drops `self`, which stops the server again.
        self.started_by_us = true;
        self.check_socket("starting the server")?;
        tracing::info!(url = %self.database_url("postgres"), "embedded PostgreSQL is up");
        Ok(())
    }

    fn stop(&mut self) -> Result<(), EmbeddedError> {
        // Serialise with a concurrent `start` in another process, so it either
        // attached before this stop (and loses the server, which the spec
        // accepts) or starts afresh after it. Stopping matters more than that
        // ordering, so failing to lock only warns.
        let _guard = match self.lock {
            Some(_) => None,
            None => acquire_lock(&self.lock_path)
                .inspect_err(|e| tracing::warn!(error = %e, "stopping the embedded PostgreSQL without the lock"))
                .ok(),
        };
        tracing::info!(cluster = %self.cluster.display(), "stopping the embedded PostgreSQL");
        let pg_ctl = self.bindir.join("pg_ctl");
        let mut cmd = self.command(&pg_ctl);
        cmd.arg("stop").arg("-D").arg(&self.cluster).args([
            "-m",
            "fast",
            "-w",
            "-t",
            &PG_CTL_TIMEOUT_SECS.to_string(),
        ]);
        let out = self.run("pg_ctl stop", &pg_ctl, &mut cmd)?;
        check("pg_ctl stop", &out)?;
        self.started_by_us = false;
        tracing::info!(cluster = %self.cluster.display(), "embedded PostgreSQL stopped");
        Ok(())
    }

    fn is_running(&self) -> Result<bool, EmbeddedError> {
        let pg_ctl = self.bindir.join("pg_ctl");
        let mut cmd = self.command(&pg_ctl);
        cmd.arg("status").arg("-D").arg(&self.cluster);
        let out = self.run("pg_ctl status", &pg_ctl, &mut cmd)?;
        // pg_ctl status: 0 = running, 3 = not running (including a stale
        // postmaster.pid, which `pg_ctl start` then handles itself).
        match out.status.code() {
            Some(0) => Ok(true),
            Some(3) => Ok(false),
            _ => Err(EmbeddedError::Command {
                step: "pg_ctl status",
                detail: describe(&out),
            }),
        }
    }

    /// The URL names the socket file, so a server without it (e.g. started by
    /// hand with other options) is unusable even though it runs.
    fn check_socket(&self, step: &'static str) -> Result<(), EmbeddedError> {
        let file = self.socket.join(format!(".s.PGSQL.{PORT}"));
        match fs::symlink_metadata(&file) {
            Ok(meta) if meta.file_type().is_socket() => Ok(()),
            _ => Err(EmbeddedError::Command {
                step,
                detail: format!(
                    "the server for {} is running but has no socket at {}; it was not started by oped \
                     (stop it with `pg_ctl stop -D {}`)\n--- last lines of {} ---\n{}",
                    self.cluster.display(),
                    file.display(),
                    self.cluster.display(),
                    self.log.display(),
                    log_tail(&self.log)
                ),
            }),
        }
    }

    fn old_log(&self) -> PathBuf {
        self.root.join("postgres.log.old")
    }

    /// Best effort: a log that cannot be rotated is merely long.
    fn rotate_log(&self) {
        if fs::metadata(&self.log).is_ok_and(|m| m.len() > MAX_LOG_BYTES)
            && let Err(e) = fs::rename(&self.log, self.old_log())
        {
            tracing::warn!(log = %self.log.display(), error = %e, "could not rotate the PostgreSQL log");
        }
    }

    /// A command for a PostgreSQL binary, run as the cluster's user. cwd and
    /// HOME point at our own directory so the child never touches the
    /// caller's (e.g. /root, which the unprivileged user cannot read).
    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root)
            .env("HOME", &self.root)
            // Paths and port are always passed explicitly; these would only
            // confuse a reader of the child's environment.
            .env_remove("PGDATA")
            .env_remove("PGPORT")
            .stdin(Stdio::null());
        if let Some(user) = &self.run_as {
            // std also clears the supplementary groups when root drops to `uid`.
            cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        cmd
    }

    fn run(
        &self,
        step: &'static str,
        program: &Path,
        cmd: &mut Command,
    ) -> Result<Output, EmbeddedError> {
        cmd.output().map_err(|e| {
            // As another user, EACCES at spawn means the child could not chdir
            // into our directory or exec the binary: name the blocking directory
            // instead of surfacing a bare "Permission denied".
            if e.kind() == io::ErrorKind::PermissionDenied
                && let Some(user) = &self.run_as
            {
                let dir = first_blocked_dir(&self.root, user)
                    .or_else(|| first_blocked_dir(&self.bindir, user))
                    .unwrap_or_else(|| self.root.clone());
                return EmbeddedError::Inaccessible {
                    user: user.name.clone(),
                    dir,
                };
            }
            EmbeddedError::Command {
                step,
                detail: format!("could not run {}: {e}", program.display()),
            }
        })
    }
}

impl Drop for EmbeddedCluster {
    /// Stops the server only if this value started it; a process that attached
    /// to an already running cluster leaves it running.
    fn drop(&mut self) {
        if !self.started_by_us {
            return;
        }
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, cluster = %self.cluster.display(), "could not stop the embedded PostgreSQL");
        }
    }
}

fn fs_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EmbeddedError {
    let path = path.to_path_buf();
    move |source| EmbeddedError::Fs {
        action,
        path,
        source,
    }
}

/// Rejects paths the PostgreSQL tooling cannot carry: pg_ctl wraps -D/-l in
/// double quotes for /bin/sh, `unix_socket_directories` is comma-separated,
/// the URL and `-o` need text, and socket paths have a hard length limit.
fn check_path(data_dir: &Path, socket: &Path) -> Result<(), EmbeddedError> {
    let bad = |reason: String| EmbeddedError::BadDataDir {
        path: data_dir.to_path_buf(),
        reason,
    };
    let text = socket
        .to_str()
        .ok_or_else(|| bad("its path is not valid UTF-8".into()))?;
    if let Some(c) = text
        .chars()
        .find(|c| matches!(c, '"' | '$' | '`' | '\\' | ',') || c.is_control())
    {
        return Err(bad(format!(
            "its path contains {c:?}, which PostgreSQL's pg_ctl cannot handle; choose another OPED_DATA_DIR"
        )));
    }
    let socket_file_len = text.len() + format!("/.s.PGSQL.{PORT}").len();
    if socket_file_len > MAX_SOCKET_PATH {
        return Err(bad(format!(
            "the socket path {text}/.s.PGSQL.{PORT} would be {socket_file_len} bytes, over the \
             {MAX_SOCKET_PATH}-byte limit for unix sockets; choose a shorter OPED_DATA_DIR"
        )));
    }
    Ok(())
}

/// Creates `dir` mode 0700 (trust authentication makes the socket a
/// superuser login for anyone who can reach it), tolerating a concurrent
/// creator, and tightens an existing one.
fn create_private_dir(dir: &Path) -> Result<(), EmbeddedError> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(fs_err("restricting permissions of", dir))
        }
        Err(e) => Err(fs_err("creating", dir)(e)),
    }
}

/// Where new clusters go when the user PostgreSQL runs as cannot enter the
/// data directory: owned by root, searchable by all, one folder per data
/// directory (each mode 0700 and owned by the cluster's user).
const SHARED_BASE: &str = "/var/lib/oped/embedded";

/// `<data_dir>/postgres`, unless oped runs as root, no cluster exists there
/// yet and the user the cluster would run as cannot enter `data_dir`: then a
/// folder of its own under [`SHARED_BASE`], named by a hash of `data_dir`
/// (canonical), so that `serve`, `ingest` and `worker` all find it.
fn cluster_root(data_dir: &Path) -> Result<PathBuf, EmbeddedError> {
    let beside = data_dir.join("postgres");
    if !nix::unistd::geteuid().is_root() || read_cluster_version(&beside.join("cluster"))?.is_some()
    {
        return Ok(beside);
    }
    let Some(user) = choose_run_as(&beside.join("cluster"), Cluster::New)? else {
        return Ok(beside);
    };
    let Some(blocked) = first_blocked_dir(data_dir, &user) else {
        return Ok(beside);
    };
    let digest = Sha256::digest(data_dir.as_os_str().as_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let base = Path::new(SHARED_BASE);
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(base)
        .map_err(fs_err("creating", base))?;
    let root = base.join(name);
    tracing::info!(
        cluster = %root.display(),
        data_dir = %data_dir.display(),
        blocked = %blocked.display(),
        user = %user.name,
        "the embedded PostgreSQL is kept outside the data directory, which its user cannot enter"
    );
    Ok(root)
}

/// Two oped processes (e.g. `serve` and `ingest`) may start at once; the flock
/// makes one initialise/start and the other attach.
fn acquire_lock(path: &Path) -> Result<File, EmbeddedError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(fs_err("opening lock file", path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            tracing::info!(lock = %path.display(), "waiting for another oped process to start or stop the embedded PostgreSQL");
            file.lock().map_err(fs_err("locking", path))?;
        }
        Err(TryLockError::Error(e)) => return Err(fs_err("locking", path)(e)),
    }
    Ok(file)
}

/// The major version in `cluster/PG_VERSION`, or `None` if not initialised.
fn read_cluster_version(cluster: &Path) -> Result<Option<String>, EmbeddedError> {
    let file = cluster.join("PG_VERSION");
    match fs::read_to_string(&file) {
        Ok(text) => Ok(Some(text.trim().to_string())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fs_err("reading", &file)(e)),
    }
}

/// Whether a cluster was initialised already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cluster {
    New,
    Existing,
}

/// `None` unless running as root. An existing cluster runs as its owner,
/// because PostgreSQL only accepts a data directory owned by the user it runs
/// as (e.g. one created as `nobody` before a `postgres` user existed).
fn choose_run_as(cluster: &Path, existing: Cluster) -> Result<Option<RunAs>, EmbeddedError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    if existing == Cluster::Existing
        && let Ok(meta) = fs::metadata(cluster)
    {
        let uid = Uid::from_raw(meta.uid());
        if !uid.is_root() {
            let user = User::from_uid(uid).ok().flatten();
            return Ok(Some(RunAs {
                uid,
                gid: user.as_ref().map_or(Gid::from_raw(meta.gid()), |u| u.gid),
                name: user.map_or_else(|| format!("uid {}", uid), |u| u.name),
            }));
        }
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(user)) = User::from_name(name)
            && !user.uid.is_root()
        {
            return Ok(Some(RunAs {
                uid: user.uid,
                gid: user.gid,
                name: user.name,
            }));
        }
    }
    Err(EmbeddedError::NoUnprivilegedUser)
}

/// The first directory on the way to `path` (from `/` down) that `user` may
/// not search, judged by mode bits (ACLs are not consulted, so this only names
/// the culprit after the kernel already refused).
fn first_blocked_dir(path: &Path, user: &RunAs) -> Option<PathBuf> {
    let groups = CString::new(user.name.as_str())
        .ok()
        .and_then(|name| nix::unistd::getgrouplist(&name, user.gid).ok())
        .unwrap_or_else(|| vec![user.gid]);
    let mut chain: Vec<&Path> = path.ancestors().collect();
    chain.reverse();
    chain.into_iter().find_map(|dir| {
        let meta = fs::metadata(dir).ok()?;
        let search_bit = if meta.uid() == user.uid.as_raw() {
            0o100
        } else if groups.contains(&Gid::from_raw(meta.gid())) {
            0o010
        } else {
            0o001
        };
        (meta.is_dir() && meta.mode() & search_bit == 0).then(|| dir.to_path_buf())
    })
}

/// Picks the directory holding initdb, pg_ctl and postgres: from PATH, else
/// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`. An
/// existing cluster needs the major version that created it (Debian keeps the
/// old version installed next to a new one after an upgrade).
fn select_bindir(
    cluster: &Path,
    cluster_version: Option<&str>,
) -> Result<(PathBuf, Option<String>), EmbeddedError> {
    let candidates = candidate_bindirs();
    if candidates.is_empty() {
        return Err(EmbeddedError::NotInstalled {
            hint: format!(
                "initdb and pg_ctl were not found on PATH, via `pg_config --bindir` or in \
                 /usr/lib/postgresql/*/bin; {INSTALL_HINT}"
            ),
        });
    }
    let mut found = Vec::new();
    for dir in candidates {
        let version = binary_version(&dir);
        match cluster_version {
            None => return Ok((dir, version)),
            Some(want) if version.as_deref() == Some(want) => return Ok((dir, version)),
            Some(_) => found.push(format!(
                "{} in {}",
                version.as_deref().unwrap_or("unknown version"),
                dir.display()
            )),
        }
    }
    let want = cluster_version.unwrap_or_default();
    Err(EmbeddedError::NotInstalled {
        hint: format!(
            "the cluster in {} was created by PostgreSQL {want}, but only {} is installed; install the \
             PostgreSQL {want} server binaries (Debian/Ubuntu: `apt-get install postgresql-{want}`), \
             upgrade the cluster with pg_upgrade, or set DATABASE_URL",
            cluster.display(),
            found.join(", ")
        ),
    })
}

fn candidate_bindirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            // An empty PATH entry means the cwd; never pick binaries from there.
            if dir.is_absolute() && is_executable(&dir.join("initdb")) {
                // pg_ctl and initdb find `postgres` next to their resolved
                // selves, so /usr/local/bin symlinks count as their target dir.
                if let Some(real) = fs::canonicalize(dir.join("pg_ctl"))
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                {
                    push_complete(&mut out, real);
                }
            }
        }
    }
    if let Ok(out_cfg) = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        && out_cfg.status.success()
    {
        let dir = String::from_utf8_lossy(&out_cfg.stdout).trim().to_string();
        if !dir.is_empty() {
            push_complete(&mut out, PathBuf::from(dir));
        }
    }
    let mut versioned: Vec<((u32, u32), PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let key = parse_version_key(&entry.file_name().to_string_lossy())?;
            Some((key, entry.path().join("bin")))
        })
        .collect();
    versioned.sort_by_key(|(key, _)| std::cmp::Reverse(*key));
    for (_, dir) in versioned {
        push_complete(&mut out, dir);
    }
    out
}

/// Adds `dir` if it holds all three server binaries (a libpq-dev `pg_config`
/// can point at a bindir whose server package is not installed).
fn push_complete(out: &mut Vec<PathBuf>, dir: PathBuf) {
    let dir = fs::canonicalize(&dir).unwrap_or(dir);
    if ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|bin| is_executable(&dir.join(bin)))
        && !out.contains(&dir)
    {
        out.push(dir);
    }
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
}

/// "15" → (15, 0), "9.6" → (9, 6); anything else is not a version directory.
fn parse_version_key(name: &str) -> Option<(u32, u32)> {
    let mut parts = name.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(minor) => minor.parse().ok()?,
        None => 0,
    };
    parts.next().is_none().then_some((major, minor))
}

fn binary_version(bindir: &Path) -> Option<String> {
    let out = Command::new(bindir.join("pg_ctl"))
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    parse_major_version(&String::from_utf8_lossy(&out.stdout))
}

/// The major version as PG_VERSION spells it, from `pg_ctl --version` output
/// such as "pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)": "15", or
/// "9.6" before PostgreSQL 10.
fn parse_major_version(output: &str) -> Option<String> {
    let version = output
        .split("(PostgreSQL)")
        .nth(1)?
        .split_whitespace()
        .next()?;
    let leading_digits =
        |s: &str| -> String { s.chars().take_while(char::is_ascii_digit).collect() };
    let mut parts = version.split('.');
    let major = leading_digits(parts.next()?);
    let number: u32 = major.parse().ok()?;
    if number >= 10 {
        return Some(major);
    }
    let minor = leading_digits(parts.next()?);
    (!minor.is_empty()).then(|| format!("{number}.{minor}"))
}

/// Single-quotes `s` for /bin/sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Percent-encodes everything but RFC 3986 unreserved characters. libpq only
/// decodes `%XX` (a `+` stays a plus), so form encoding would be wrong here.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn check(step: &'static str, out: &Output) -> Result<(), EmbeddedError> {
    if out.status.success() {
        Ok(())
    } else {
        Err(EmbeddedError::Command {
            step,
            detail: describe(out),
        })
    }
}

fn describe(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let text = [stderr.trim(), stdout.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "{} ({})",
        if text.is_empty() { "no output" } else { &text },
        out.status
    )
}

/// The last lines of the server log, where PostgreSQL explains a failed start.
fn log_tail(path: &Path) -> String {
    const TAIL_BYTES: u64 = 4096;
    const TAIL_LINES: usize = 20;
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
        }
        Err(e) => format!("(could not read the log: {e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_percent_encodes_the_socket_directory() {
        assert_eq!(percent_encode(b"/a b/c+d,e"), "%2Fa%20b%2Fc%2Bd%2Ce");
        assert_eq!(percent_encode(b"oped_test-1.x~"), "oped_test-1.x~");
    }

    /// Callers rewrite the database name with `url::Url` (e.g. to reach
    /// `postgres` for CREATE DATABASE); the encoded host must survive that.
    #[test]
    fn url_survives_a_url_crate_round_trip() {
        let url = format!(
            "postgres://{SUPERUSER}@{}:{PORT}/oped",
            percent_encode(b"/tmp/a b/d\xc3\xa4t\xc3\xa4's/postgres/socket")
        );
        let mut parsed = url::Url::parse(&url).expect("parses");
        parsed.set_path("/postgres");
        assert_eq!(
            parsed.as_str(),
            "postgres://oped@%2Ftmp%2Fa%20b%2Fd%C3%A4t%C3%A4%27s%2Fpostgres%2Fsocket:5432/postgres"
        );
    }

    #[test]
    fn parses_postgres_versions() {
        assert_eq!(
            parse_major_version("pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n").as_deref(),
            Some("15")
        );
        assert_eq!(
            parse_major_version("pg_ctl (PostgreSQL) 9.6.24").as_deref(),
            Some("9.6")
        );
        assert_eq!(
            parse_major_version("pg_ctl (PostgreSQL) 17beta1").as_deref(),
            Some("17")
        );
        assert_eq!(parse_major_version("something else"), None);
        assert_eq!(parse_version_key("16"), Some((16, 0)));
        assert_eq!(parse_version_key("9.6"), Some((9, 6)));
        assert_eq!(parse_version_key("lib"), None);
    }

    #[test]
    fn shell_quotes_single_quotes() {
        assert_eq!(sh_quote("/a'b c"), r"'/a'\''b c'");
    }

    #[test]
    fn rejects_paths_pg_ctl_cannot_carry() {
        let long = PathBuf::from(format!("/{}", "x".repeat(100)));
        assert!(matches!(
            check_path(&long, &long.join("postgres/socket")),
            Err(EmbeddedError::BadDataDir { .. })
        ));
        let quoted = PathBuf::from("/tmp/a\"b");
        assert!(check_path(&quoted, &quoted.join("postgres/socket")).is_err());
        let fine = PathBuf::from("/work/main/data");
        assert!(check_path(&fine, &fine.join("postgres/socket")).is_ok());
    }

    fn server_running(cluster: &EmbeddedCluster) -> bool {
        cluster.is_running().expect("pg_ctl status runs")
    }

    /// Starts a real cluster with the local PostgreSQL: init + start, attach,
    /// stop on drop, restart of the existing cluster. Skips (loudly) on a
    /// machine without PostgreSQL server binaries.
    #[test]
    fn starts_attaches_and_stops_a_real_cluster() {
        let tmp = tempfile::Builder::new()
            // The space exercises the shell quoting of pg_ctl's `-o`.
            .prefix("oped embedded-")
            .tempdir_in(std::env::temp_dir())
            .expect("tempdir");
        // tempfile makes the dir 0700; as root the unprivileged PostgreSQL
        // user must be able to traverse it.
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let data_dir = tmp.path().join("data");

        let first = match EmbeddedCluster::start(&data_dir) {
            Err(EmbeddedError::NotInstalled { hint }) => {
                eprintln!("SKIPPED: no PostgreSQL server binaries: {hint}");
                return;
            }
            other => other.expect("start the embedded cluster"),
        };
        assert!(first.started_by_us());
        let socket = first.socket.join(format!(".s.PGSQL.{PORT}"));
        assert!(
            fs::symlink_metadata(&socket)
                .expect("socket")
                .file_type()
                .is_socket()
        );
        assert!(server_running(&first));

        let url = first.database_url("postgres");
        assert!(url.starts_with("postgres://oped@%2F"), "{url}");
        // libpq (what diesel uses) must accept the URL; psql is libpq.
        match Command::new("psql")
            .args([url.as_str(), "-XAtc", "select 1"])
            .output()
        {
            Ok(out) => {
                assert!(out.status.success(), "psql {url}: {}", describe(&out));
                assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
            }
            Err(e) => eprintln!("psql not available, URL not checked through libpq: {e}"),
        }

        let second = EmbeddedCluster::start(&data_dir).expect("attach");
        assert!(!second.started_by_us());
        assert_eq!(second.database_url("postgres"), url);
        drop(second);
        assert!(
            server_running(&first),
            "an attached value must not stop the server"
        );

        // Same paths, started_by_us = false: only used to ask pg_ctl status.
        let status_probe = clone_paths(&first);
        drop(first);
        assert!(
            !server_running(&status_probe),
            "the starter must stop the server"
        );

        // The existing cluster starts again without initdb.
        let again = EmbeddedCluster::start(&data_dir).expect("restart");
        assert!(again.started_by_us());
        drop(again);
        assert!(!server_running(&status_probe));
        drop(status_probe);

        tmp.close().expect("remove the temporary data directory");
    }

    /// As root, from a data directory the PostgreSQL user cannot enter (a
    /// clone in a 0700 home), the cluster is kept under /var/lib/oped and
    /// found there again. Skipped when not root: the cluster then runs as
    /// the caller, who can enter its own directories.
    #[test]
    fn keeps_the_cluster_where_its_user_can_reach_it() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("SKIPPED: only root hands the cluster to another user");
            return;
        }
        let home = tempfile::Builder::new()
            .prefix("oped-home-")
            .tempdir_in(std::env::temp_dir())
            .expect("tempdir");
        fs::set_permissions(home.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
        let data_dir = home.path().join("clone/data");

        let first = match EmbeddedCluster::start(&data_dir) {
            Err(EmbeddedError::NotInstalled { hint }) => {
                eprintln!("SKIPPED: no PostgreSQL server binaries: {hint}");
                return;
            }
            other => other.expect("start the embedded cluster from a 0700 home"),
        };
        assert!(
            first.root.starts_with(SHARED_BASE),
            "{}",
            first.root.display()
        );
        assert!(server_running(&first));
        let kept = first.root.clone();

        let second = EmbeddedCluster::start(&data_dir).expect("attach");
        assert!(!second.started_by_us());
        assert_eq!(second.root, kept, "every process finds the same cluster");
        drop(second);
        drop(first);
        fs::remove_dir_all(&kept).expect("remove the kept cluster");
    }

    fn clone_paths(c: &EmbeddedCluster) -> EmbeddedCluster {
        EmbeddedCluster {
            bindir: c.bindir.clone(),
            root: c.root.clone(),
            cluster: c.cluster.clone(),
            socket: c.socket.clone(),
            log: c.log.clone(),
            lock_path: c.lock_path.clone(),
            run_as: c.run_as.clone(),
            lock: None,
            started_by_us: false,
        }
    }
}
