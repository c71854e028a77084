//! Test support for Sijil: a throwaway PostgreSQL cluster, and the request
//! material every suite shares — [`multipart`] bodies and letter metadata
//! [`fixtures`]. This crate depends on neither `sijil-registry` nor
//! `sijil-web` (they use it as a dev-dependency).
//!
//! [`PgCluster::start`] runs `initdb` into a fresh directory under `/tmp` and
//! starts a private server that listens only on a Unix socket in that
//! directory. [`PgCluster::create_database`] hands every test its own
//! database, so tests are isolated and may run in parallel. No pre-existing
//! server is needed, only the PostgreSQL binaries (`initdb`, `pg_ctl`,
//! `createdb`).
//!
//! When the tests run as root (as CI does), the server binaries are run as
//! the unprivileged `postgres` system user, because PostgreSQL refuses to run
//! as root.
//!
//! A cluster never outlives the test process: besides [`Drop`], every cluster
//! has a detached watchdog that stops the server and removes its directory
//! once the process that started it has exited. This matters for
//! [`PgCluster::shared`], whose static is never dropped.

pub mod fixtures;
pub mod multipart;

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

const NOT_INSTALLED: &str = "PostgreSQL is not installed: the tests need initdb and pg_ctl \
     (Debian: apt-get install postgresql) — no pre-existing server is needed";

/// The superuser of every test cluster (`initdb -U postgres`, trust auth).
const SUPERUSER: &str = "postgres";

/// A private, throwaway PostgreSQL server for tests.
///
/// Dropping it stops the server (`pg_ctl stop -m immediate`) and removes
/// its directory.
pub struct PgCluster {
    bins: PgBins,
    runner: Runner,
    /// Holds the whole cluster: `data/`, `sock/` and `server.log`.
    dir: tempfile::TempDir,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    port: u16,
    next_db: AtomicU64,
    watchdog: Mutex<Option<Child>>,
}

impl PgCluster {
    /// Creates and starts a new private cluster, panicking with a clear
    /// message (including the server log) if that is not possible.
    pub fn start() -> PgCluster {
        let bins = PgBins::find();
        let runner = Runner::detect();
        let dir = tempfile::Builder::new()
            .prefix("sijil-pg-")
            .tempdir_in("/tmp")
            .unwrap_or_else(|e| panic!("cannot create a temporary directory under /tmp: {e}"));
        let data_dir = dir.path().join("data");
        let socket_dir = dir.path().join("sock");
        let log_file = dir.path().join("server.log");
        fs::create_dir(&socket_dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", socket_dir.display()));
        if !matches!(runner, Runner::Direct) {
            let target = format!("{SUPERUSER}:{SUPERUSER}");
            let mut chown = Command::new("chown");
            chown.arg("-R").arg(&target).arg(dir.path());
            check(chown, "chown the cluster directory to the postgres user");
        }
        let cluster = PgCluster {
            bins,
            runner,
            dir,
            data_dir,
            socket_dir,
            log_file,
            port: free_port(),
            next_db: AtomicU64::new(1),
            watchdog: Mutex::new(None),
        };
        // Before anything else, so that even a half-made cluster goes away.
        let watchdog = cluster.spawn_watchdog(std::process::id());
        *cluster.lock_watchdog() = Some(watchdog);
        let initdb = cluster.command(
            &cluster.bins.initdb,
            &[
                "-D",
                &path_arg(&cluster.data_dir),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
            .map(String::from),
        );
        check(initdb, "initdb");
        cluster.start_server();
        cluster
    }

    /// The cluster shared by all tests of this process, started on first use.
    ///
    /// It is stopped and removed by its watchdog once the process exits. Do
    /// not call [`stop_server`](Self::stop_server) on it; tests that need to
    /// kill the server should use their own [`PgCluster::start`].
    pub fn shared() -> &'static PgCluster {
        static SHARED: OnceLock<PgCluster> = OnceLock::new();
        SHARED.get_or_init(PgCluster::start)
    }

    /// Creates a fresh, uniquely named, empty database and returns its
    /// connection URL (see [`url`](Self::url)).
    pub fn create_database(&self) -> String {
        let name = format!(
            "sijil_test_{}",
            self.next_db.fetch_add(1, Ordering::Relaxed)
        );
        let createdb = self.command(
            &self.bins.createdb,
            &[
                "-h",
                &path_arg(&self.socket_dir),
                "-p",
                &self.port.to_string(),
                "-U",
                SUPERUSER,
                &name,
            ]
            .map(String::from),
        );
        check(createdb, &format!("createdb {name}"));
        self.url(&name)
    }

    /// The libpq/diesel connection URL of database `db` in this cluster:
    /// `postgres://postgres@localhost/DB?host=SOCKET_DIR&port=PORT`.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@localhost/{db}?host={}&port={}",
            self.socket_dir.display(),
            self.port
        )
    }

    /// The directory holding the server's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The port number; it only names the socket file (there is no TCP).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server abruptly (`pg_ctl stop -m immediate`), as if it
    /// crashed. The data survives; [`start_server`](Self::start_server)
    /// brings it back.
    pub fn stop_server(&self) {
        let stop = self.command(&self.bins.pg_ctl, &self.stop_args());
        check(stop, "pg_ctl stop");
    }

    /// Starts the server on the existing data directory and waits until it
    /// accepts connections, panicking with the log's tail if it does not.
    pub fn start_server(&self) {
        let options = format!(
            "-k {} -p {} -c listen_addresses='' -c fsync=on -c max_connections=200",
            self.socket_dir.display(),
            self.port
        );
        let start = self.command(
            &self.bins.pg_ctl,
            &[
                "start",
                "-w",
                "-D",
                &path_arg(&self.data_dir),
                "-l",
                &path_arg(&self.log_file),
                "-o",
                &options,
            ]
            .map(String::from),
        );
        let output = run(start, "pg_ctl start");
        if !output.status.success() {
            panic!(
                "pg_ctl start failed ({}):\n{}\n--- tail of {} ---\n{}",
                output.status,
                describe(&output),
                self.log_file.display(),
                log_tail(&self.log_file)
            );
        }
    }

    /// `pg_ctl` arguments for an immediate (crash-like) shutdown.
    fn stop_args(&self) -> Vec<String> {
        let data = path_arg(&self.data_dir);
        ["stop", "-w", "-m", "immediate", "-D", &data]
            .map(String::from)
            .to_vec()
    }

    /// Locates `name` (e.g. `psql`) next to the server binaries, else on PATH.
    #[cfg(test)]
    fn tool(&self, name: &str) -> PathBuf {
        sibling_or_path(&self.bins.pg_ctl, name)
            .unwrap_or_else(|| panic!("PostgreSQL client program {name} not found"))
    }

    /// A command running `program args` as the user that owns the cluster.
    fn command(&self, program: &Path, args: &[String]) -> Command {
        let argv = self.runner.argv(program, args);
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Starts a detached process that, once `parent` has exited, stops the
    /// server and removes the cluster directory.
    fn spawn_watchdog(&self, parent: u32) -> Child {
        let stop = self.runner.argv(&self.bins.pg_ctl, &self.stop_args());
        let script = format!(
            "while kill -0 {parent} 2>/dev/null; do sleep 1; done; {} >/dev/null 2>&1; rm -rf {}",
            shell_join(&stop),
            shell_quote(&path_arg(self.dir.path()))
        );
        // A new session, so that a Ctrl-C aimed at the test run does not kill
        // the watchdog before it has cleaned up.
        let mut cmd = match find_on_path("setsid") {
            Some(setsid) => {
                let mut cmd = Command::new(setsid);
                cmd.arg("sh");
                cmd
            }
            None => Command::new("sh"),
        };
        cmd.arg("-c")
            .arg(script)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd.spawn()
            .unwrap_or_else(|e| panic!("cannot start the cluster watchdog (sh): {e}"))
    }

    fn lock_watchdog(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        self.watchdog
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.lock_watchdog().take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        if self.data_dir.join("postmaster.pid").exists() {
            let stop = self.command(&self.bins.pg_ctl, &self.stop_args());
            if let Ok(output) = run_result(stop) {
                if !output.status.success() {
                    eprintln!("sijil-testkit: pg_ctl stop failed:\n{}", describe(&output));
                }
            }
        }
        // The TempDir field removes the directory once this returns.
    }
}

/// The PostgreSQL programs a cluster needs.
struct PgBins {
    initdb: PathBuf,
    pg_ctl: PathBuf,
    createdb: PathBuf,
}

impl PgBins {
    /// `initdb`/`pg_ctl` from PATH, else the highest version under
    /// `/usr/lib/postgresql/*/bin`; panics with [`NOT_INSTALLED`] otherwise.
    fn find() -> PgBins {
        let (initdb, pg_ctl) = match (find_on_path("initdb"), find_on_path("pg_ctl")) {
            (Some(initdb), Some(pg_ctl)) => (initdb, pg_ctl),
            _ => match debian_bin_dir() {
                Some(bin) => (bin.join("initdb"), bin.join("pg_ctl")),
                None => panic!("{NOT_INSTALLED}"),
            },
        };
        let createdb = sibling_or_path(&pg_ctl, "createdb")
            .unwrap_or_else(|| panic!("{NOT_INSTALLED} (createdb is missing)"));
        PgBins {
            initdb,
            pg_ctl,
            createdb,
        }
    }
}

/// The highest-versioned `/usr/lib/postgresql/VERSION/bin` with both programs.
fn debian_bin_dir() -> Option<PathBuf> {
    let entries = fs::read_dir("/usr/lib/postgresql").ok()?;
    entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version: Vec<u32> = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<_>>()?;
            let bin = entry.path().join("bin");
            (is_executable(&bin.join("initdb")) && is_executable(&bin.join("pg_ctl")))
                .then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// `name` in the real (symlink-resolved) directory of `program`, next to the
/// symlink itself, or on PATH.
fn sibling_or_path(program: &Path, name: &str) -> Option<PathBuf> {
    let real = fs::canonicalize(program).ok();
    let found = [real.as_deref(), Some(program)]
        .into_iter()
        .flatten()
        .filter_map(|p| p.parent().map(|dir| dir.join(name)))
        .find(|candidate| is_executable(candidate));
    found.or_else(|| find_on_path(name))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How the server programs are run: directly, or as `postgres` when root.
enum Runner {
    Direct,
    Runuser(PathBuf),
    Su(PathBuf),
}

impl Runner {
    fn detect() -> Runner {
        if !running_as_root() {
            return Runner::Direct;
        }
        let user_exists = Command::new("id")
            .arg("-u")
            .arg(SUPERUSER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !user_exists {
            panic!(
                "running as root, but there is no `{SUPERUSER}` system user to run PostgreSQL as \
                 (PostgreSQL refuses to run as root; create one, e.g. \
                 `useradd --system --user-group --no-create-home {SUPERUSER}`)"
            );
        }
        if let Some(runuser) = find_on_path("runuser")
            .or_else(|| Some(PathBuf::from("/usr/sbin/runuser")).filter(|p| is_executable(p)))
        {
            return Runner::Runuser(runuser);
        }
        match find_on_path("su").or_else(|| Some(PathBuf::from("/bin/su")).filter(|p| is_executable(p))) {
            Some(su) => Runner::Su(su),
            None => panic!(
                "running as root, but neither runuser nor su is available to run PostgreSQL as `{SUPERUSER}`"
            ),
        }
    }

    /// The full argument vector for running `program args`.
    fn argv(&self, program: &Path, args: &[String]) -> Vec<String> {
        let mut inner = vec![path_arg(program)];
        inner.extend(args.iter().cloned());
        match self {
            Runner::Direct => inner,
            Runner::Runuser(runuser) => {
                let mut argv = vec![
                    path_arg(runuser),
                    "-u".into(),
                    SUPERUSER.into(),
                    "--".into(),
                ];
                argv.extend(inner);
                argv
            }
            Runner::Su(su) => vec![
                path_arg(su),
                SUPERUSER.into(),
                "-s".into(),
                "/bin/sh".into(),
                "-c".into(),
                shell_join(&inner),
            ],
        }
    }
}

/// Whether the effective user id is 0, from `/proc/self/status` or `id -u`.
fn running_as_root() -> bool {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
            // Uid: real effective saved filesystem
            return line.split_whitespace().nth(2) == Some("0");
        }
    }
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A currently free port number (used only to name the socket file, but kept
/// distinct between concurrent test processes).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|e| panic!("cannot pick a free port number: {e}"))
}

fn path_arg(path: &Path) -> String {
    path.to_str()
        .unwrap_or_else(|| panic!("path is not valid UTF-8: {}", path.display()))
        .to_owned()
}

fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

fn shell_join(words: &[String]) -> String {
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn run_result(mut cmd: Command) -> std::io::Result<Output> {
    cmd.output()
}

fn run(cmd: Command, what: &str) -> Output {
    let shown = format!("{cmd:?}");
    run_result(cmd).unwrap_or_else(|e| panic!("cannot run {what} ({shown}): {e}"))
}

/// Runs `cmd`, panicking with its output if it fails.
fn check(cmd: Command, what: &str) -> Output {
    let shown = format!("{cmd:?}");
    let output = run(cmd, what);
    if !output.status.success() {
        panic!(
            "{what} failed ({}): {shown}\n{}",
            output.status,
            describe(&output)
        );
    }
    output
}

fn describe(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout).trim_end(),
        String::from_utf8_lossy(&output.stderr).trim_end()
    )
}

fn log_tail(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(log) => {
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        }
        Err(e) => format!("(cannot read the log: {e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Runs `select 1` through psql; `Ok(stdout)` or `Err(stderr)`.
    fn psql_select_1(cluster: &PgCluster, url: &str) -> Result<String, String> {
        let output = Command::new(cluster.tool("psql"))
            .arg(url)
            .arg("-tAc")
            .arg("select 1")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    fn current_db(cluster: &PgCluster, url: &str) -> String {
        let output = Command::new(cluster.tool("psql"))
            .arg(url)
            .arg("-tAc")
            .arg("select current_database()")
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        assert!(output.status.success(), "{}", describe(&output));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    #[test]
    fn databases_are_distinct_and_reachable() {
        let cluster = PgCluster::start();
        let a = cluster.create_database();
        let b = cluster.create_database();
        assert_ne!(a, b);
        assert_eq!(psql_select_1(&cluster, &a), Ok("1".to_owned()));
        assert_eq!(psql_select_1(&cluster, &b), Ok("1".to_owned()));
        assert_eq!(current_db(&cluster, &a), "sijil_test_1");
        assert_eq!(current_db(&cluster, &b), "sijil_test_2");
        assert_eq!(cluster.url("sijil_test_1"), a);
        assert!(a.contains(&format!("port={}", cluster.port())));
        assert!(a.contains(&format!("host={}", cluster.socket_dir().display())));
    }

    #[test]
    fn server_can_die_and_come_back() {
        let cluster = PgCluster::start();
        let url = cluster.create_database();
        assert_eq!(psql_select_1(&cluster, &url), Ok("1".to_owned()));
        cluster.stop_server();
        assert!(psql_select_1(&cluster, &url).is_err());
        cluster.start_server();
        assert_eq!(psql_select_1(&cluster, &url), Ok("1".to_owned()));
    }

    #[test]
    fn shared_cluster_is_one_instance() {
        let first = PgCluster::shared();
        let second = PgCluster::shared();
        assert!(std::ptr::eq(first, second));
        let url = first.create_database();
        assert_eq!(psql_select_1(first, &url), Ok("1".to_owned()));
    }

    #[test]
    fn drop_stops_the_server_and_removes_the_directory() {
        let cluster = PgCluster::start();
        let url = cluster.create_database();
        let dir = cluster.dir.path().to_owned();
        let tool = cluster.tool("psql");
        drop(cluster);
        assert!(!dir.exists(), "{} still exists", dir.display());
        let status = Command::new(tool)
            .arg(&url)
            .arg("-tAc")
            .arg("select 1")
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        assert!(!status.success());
    }

    #[test]
    fn watchdog_cleans_up_after_its_parent_exits() {
        let cluster = PgCluster::start();
        let url = cluster.create_database();
        // Stand-in for the test process: a short-lived child, reaped at once.
        let mut parent = Command::new("sleep")
            .arg("0.2")
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run sleep: {e}"));
        let mut watchdog = cluster.spawn_watchdog(parent.id());
        let _ = parent.wait();
        let deadline = Instant::now() + Duration::from_secs(30);
        while cluster.dir.path().exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = watchdog.wait();
        assert!(
            !cluster.dir.path().exists(),
            "the watchdog did not clean up"
        );
        assert!(psql_select_1(&cluster, &url).is_err());
    }
}
