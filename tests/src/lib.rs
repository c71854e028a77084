//! Helpers for the end-to-end tests: run the built `sijil` binary on a
//! temporary data directory and read what it prints.
//!
//! The binary is the one cargo builds for `sijil-cli`'s own tests, next to
//! this package's test executables (`target/<profile>/sijil`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `sijil` binary built by cargo for this test run.
pub fn sijil_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("no current exe: {e}"));
    // target/<profile>/deps/<test> -> target/<profile>/sijil
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("unexpected test executable path {}", exe.display()));
    let binary = profile_dir.join("sijil");
    assert!(
        binary.is_file(),
        "{} is missing: run the tests with `cargo test --workspace` so that cargo builds sijil",
        binary.display()
    );
    binary
}

/// One registry in a temporary data directory.
pub struct Sandbox {
    /// Holds the data directory and the test's files.
    pub dir: tempfile::TempDir,
    /// Used instead of SQLite when set.
    pub database_url: Option<String>,
}

/// What a command printed, and how it ended.
pub struct Run {
    /// Exit code (None when killed).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with everything printed unless the command succeeded.
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code,
            Some(0),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

impl Sandbox {
    /// A new sandbox on the embedded SQLite database.
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")),
            database_url: None,
        }
    }

    /// A new sandbox on a PostgreSQL database.
    pub fn with_database(url: String) -> Self {
        Sandbox {
            database_url: Some(url),
            ..Sandbox::new()
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A path inside the sandbox.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file into the sandbox and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// A `sijil` command on this sandbox's registry.
    pub fn command(&self) -> Command {
        let mut command = Command::new(sijil_binary());
        command
            .current_dir(self.dir.path())
            .env_remove("SIJIL_DATA_DIR")
            .env_remove("SIJIL_DATABASE_URL")
            .arg("--data-dir")
            .arg(self.data_dir());
        if let Some(url) = &self.database_url {
            command.arg("--database-url").arg(url);
        }
        command
    }

    /// Runs `sijil ARGS...` and waits for it.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let output = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run sijil: {e}"));
        Run::from(output)
    }

    /// Registers a letter from `sender`; returns the bundle JSON and the number.
    pub fn register(&self, sender: &str, files: &[&Path]) -> (serde_json::Value, String) {
        let mut args: Vec<std::ffi::OsString> =
            ["register", "--sender", sender, "--subject", "Réclamation"]
                .iter()
                .map(Into::into)
                .collect();
        args.extend(files.iter().map(|f| f.as_os_str().to_owned()));
        let run = self.run(args).ok();
        let bundle = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("register printed no bundle ({e}):\n{}", run.stdout));
        (bundle, registered_number(&run.stderr))
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

/// The number in `registered NUMBER at TIME`, as `register` prints on stderr.
pub fn registered_number(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("registered "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no registration number in:\n{stderr}"))
        .to_owned()
}

/// The last lines a child process printed, kept for failure messages.
#[derive(Clone, Default)]
pub struct ProcessLog(std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>);

impl ProcessLog {
    /// How many lines are kept.
    pub const KEEP: usize = 400;

    /// Reads `stream` line by line on a thread, until it closes; `lines`
    /// (when given) also receives each line.
    pub fn collect(
        &self,
        stream: impl std::io::Read + Send + 'static,
        lines: Option<std::sync::mpsc::Sender<String>>,
    ) {
        use std::io::BufRead;
        let log = self.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if let Some(lines) = &lines {
                    let _ = lines.send(line.clone());
                }
                let mut kept = log.0.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() == Self::KEEP {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
    }

    /// The last `n` lines, joined.
    pub fn tail(&self, n: usize) -> String {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let skip = kept.len().saturating_sub(n);
        kept.iter()
            .skip(skip)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A child process, killed when dropped (also when a test panics).
pub struct Reaped(pub std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
