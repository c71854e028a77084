//! Running `wrk` (the HTTP load generator, Debian's `wrk` package) with a
//! script from [`crate::lua`], and reading the figures its `done()` hook prints.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::load::PhaseResult;
use crate::lua::{self, Requests};

/// How long wrk waits for one answer before it counts a timeout.
const TIMEOUT: &str = "60s";

/// The wrk program and how many threads it may use.
#[derive(Debug, Clone)]
pub struct Wrk {
    program: PathBuf,
    max_threads: usize,
    /// The first words of `wrk --version`, e.g. `wrk debian/4.1.0-3+b2`.
    version: String,
}

/// Socket errors and error answers, as wrk counts them.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct Errors {
    /// Connections that could not be made.
    pub connect: u64,
    /// Socket read errors.
    pub read: u64,
    /// Socket write errors.
    pub write: u64,
    /// Answers with a status above 399.
    pub status: u64,
    /// Requests not answered within the timeout.
    pub timeout: u64,
}

impl Errors {
    /// All of them.
    pub fn total(&self) -> u64 {
        self.connect + self.read + self.write + self.status + self.timeout
    }
}

/// What one wrk run measured (the `done()` hook's JSON; times in µs).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Summary {
    /// Answers received (error answers included).
    pub requests: u64,
    /// How long the run lasted.
    pub duration_us: u64,
    /// Median latency.
    pub p50_us: u64,
    /// 99th-percentile latency.
    pub p99_us: u64,
    /// Largest latency.
    pub max_us: u64,
    /// Requests built by the script's `request()` (0 for a fixed request).
    pub sent: u64,
    /// The largest letter counter a registration used (-1: none).
    pub last: i64,
    /// Socket errors and error answers.
    pub errors: Errors,
}

impl Summary {
    /// Fails, naming the phase, if any request failed or none was answered.
    pub fn check(&self, phase: &str) -> Result<()> {
        let e = &self.errors;
        if e.total() > 0 {
            bail!(
                "phase {phase:?} failed: {} of {} answers were errors (status > 399), \
                 {} connect, {} read, {} write errors and {} timeouts",
                e.status,
                self.requests,
                e.connect,
                e.read,
                e.write,
                e.timeout
            );
        }
        if self.requests == 0 {
            bail!("phase {phase:?} failed: no request was answered");
        }
        Ok(())
    }

    /// The phase's figures (server CPU added by the caller).
    pub fn phase(&self, name: &str, concurrency: usize) -> PhaseResult {
        let seconds = self.duration_us as f64 / 1e6;
        PhaseResult {
            name: name.to_owned(),
            concurrency,
            requests: self.requests,
            errors: self.errors.total(),
            seconds,
            per_second: self.requests as f64 / seconds.max(1e-9),
            p50_ms: self.p50_us as f64 / 1000.0,
            p99_ms: self.p99_us as f64 / 1000.0,
            max_ms: self.max_us as f64 / 1000.0,
            server_cpu_us: None,
        }
    }
}

/// Finds the `done()` hook's line in wrk's standard output and reads it.
pub fn parse(stdout: &str) -> Result<Summary> {
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(lua::MARKER))
        .context("wrk printed no summary line (did the script's done() hook run?)")?;
    serde_json::from_str(line).with_context(|| format!("unreadable wrk summary {line:?}"))
}

/// A wrk run in progress (a preload, stopped by the bench).
pub struct Running {
    child: Child,
    _script: tempfile::NamedTempFile,
}

impl Running {
    /// Whether wrk has exited, and then its failure as an error.
    pub fn exited(&mut self) -> Result<bool> {
        match self.child.try_wait()? {
            None => Ok(false),
            Some(status) => {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    use std::io::Read as _;
                    let _ = pipe.read_to_string(&mut stderr);
                }
                bail!("wrk exited ({status}) before the end: {}", stderr.trim())
            }
        }
    }

    /// Stops wrk (it has done its part).
    pub fn stop(mut self) -> Result<()> {
        let _ = self.child.kill();
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Wrk {
    /// The wrk program, checked to be installed; at most `max_threads` threads.
    pub fn find(program: &Path, max_threads: usize) -> Result<Wrk> {
        // `wrk --version` prints its version and usage, and exits with 1.
        match Command::new(program).arg("--version").output() {
            Ok(output) => Ok(Wrk {
                program: program.to_owned(),
                max_threads: max_threads.max(1),
                version: String::from_utf8_lossy(&output.stdout)
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" "),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "{} is not installed: the load benchmark drives sijil serve with wrk \
                 (Debian: apt-get install wrk)",
                program.display()
            ),
            Err(e) => bail!("cannot run {}: {e}", program.display()),
        }
    }

    /// The load generator as the report names it: version and threads.
    pub fn describe(&self) -> String {
        let version = if self.version.is_empty() {
            "wrk"
        } else {
            &self.version
        };
        format!("{version}, at most {} threads", self.max_threads)
    }

    /// wrk threads for `connections` connections: as many as allowed that
    /// divide the connections evenly (wrk gives each thread connections / threads).
    pub fn threads_for(&self, connections: usize) -> usize {
        (1..=self.max_threads.min(connections.max(1)))
            .rev()
            .find(|t| connections.is_multiple_of(*t))
            .unwrap_or(1)
    }

    fn command(
        &self,
        base: &str,
        connections: usize,
        seconds: u64,
        requests: &Requests,
    ) -> Result<(Command, tempfile::NamedTempFile)> {
        let threads = self.threads_for(connections);
        let mut file = tempfile::Builder::new()
            .prefix("sijil-bench-")
            .suffix(".lua")
            .tempfile()
            .context("cannot create wrk's script file")?;
        file.write_all(lua::script(requests, threads).as_bytes())
            .context("cannot write wrk's script file")?;
        file.flush()?;
        let mut command = Command::new(&self.program);
        command
            .arg("-t")
            .arg(threads.to_string())
            .arg("-c")
            .arg(connections.to_string())
            .arg("-d")
            .arg(format!("{}s", seconds.max(1)))
            .arg("--timeout")
            .arg(TIMEOUT)
            .arg("-s")
            .arg(file.path())
            .arg(format!("{base}/"));
        Ok((command, file))
    }

    /// Runs a timed phase (whole seconds, at least one) and checks that every
    /// answer was a success and no socket failed.
    pub fn run(
        &self,
        name: &str,
        base: &str,
        connections: usize,
        duration: Duration,
        requests: &Requests,
    ) -> Result<Summary> {
        let seconds = duration.as_secs_f64().ceil() as u64;
        let (mut command, _script) = self.command(base, connections, seconds, requests)?;
        let output = command
            .output()
            .with_context(|| format!("cannot run {}", self.program.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "phase {name:?}: wrk failed ({}): {} {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim(),
                stdout.trim()
            );
        }
        let summary = parse(&stdout).with_context(|| format!("phase {name:?}"))?;
        summary.check(name)?;
        Ok(summary)
    }

    /// Starts a preload of registrations that ends when each thread has sent
    /// its quota; the caller watches the register and stops it.
    pub fn start(&self, base: &str, connections: usize, requests: &Requests) -> Result<Running> {
        let (mut command, script) = self.command(base, connections, 86_400, requests)?;
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {}", self.program.display()))?;
        Ok(Running {
            child,
            _script: script,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    const OUTPUT: &str = "Running 5s test @ http://127.0.0.1:41234/\n  2 threads and 64 connections\n\
        \x20 Thread Stats   Avg      Stdev     Max   +/- Stdev\n\
        \x20   Latency     4.20ms    1.10ms  31.00ms   90.00%\n\
        \x20 98765 requests in 5.00s, 12.00MB read\n\
        Requests/sec:  19753.00\nTransfer/sec:      2.40MB\n\
        SIJIL-WRK {\"requests\":98765,\"duration_us\":5000123,\"p50_us\":3100,\"p99_us\":17250,\"max_us\":31000,\"sent\":0,\"last\":-1,\"errors\":{\"connect\":0,\"read\":0,\"write\":0,\"status\":0,\"timeout\":0}}\n";

    #[test]
    fn the_summary_line_is_read_among_wrk_s_text() {
        let s = parse(OUTPUT).unwrap();
        assert_eq!(s.requests, 98_765);
        assert_eq!(s.duration_us, 5_000_123);
        assert_eq!((s.p50_us, s.p99_us, s.max_us), (3100, 17_250, 31_000));
        assert_eq!(s.last, -1);
        s.check("lookups").unwrap();
        let p = s.phase("lookups", 64);
        assert!((p.per_second - 19_752.5).abs() < 0.1, "{}", p.per_second);
        assert_eq!(p.p99_ms, 17.25);
        assert_eq!(p.errors, 0);
    }

    #[test]
    fn errors_and_missing_summaries_fail_the_phase() {
        let failing = OUTPUT.replace("\"status\":0", "\"status\":12");
        let err = parse(&failing).unwrap().check("registrations").unwrap_err();
        assert!(
            err.to_string().contains("12 of 98765 answers were errors"),
            "{err}"
        );
        let timeouts = OUTPUT.replace("\"timeout\":0", "\"timeout\":3");
        assert!(parse(&timeouts).unwrap().check("x").is_err());
        let none = OUTPUT.replace("\"requests\":98765", "\"requests\":0");
        assert!(parse(&none).unwrap().check("x").is_err());
        assert!(parse("Running 5s test @ http://x/\n").is_err());
        assert!(parse("SIJIL-WRK {\"requests\":1}\n").is_err());
    }

    #[test]
    fn threads_divide_the_connections() {
        let wrk = Wrk {
            program: "wrk".into(),
            max_threads: 2,
            version: String::new(),
        };
        assert_eq!(wrk.threads_for(1), 1);
        assert_eq!(wrk.threads_for(16), 2);
        assert_eq!(wrk.threads_for(63), 1);
        assert_eq!(wrk.threads_for(256), 2);
    }

    #[test]
    fn a_missing_wrk_is_a_clear_error() {
        let err = Wrk::find(Path::new("/nonexistent/wrk"), 2).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("is not installed") && text.contains("apt-get install wrk"));
        assert!(!text.contains('\n'));
    }

    /// A request as the test server received it: its request line and body.
    type Received = (String, Vec<u8>);

    /// The requests a real wrk sends, with `requests`' script, to a small
    /// HTTP server that answers 201 to everything: for one second, or (a
    /// preload) until the quotas are sent. `None` if wrk is not installed.
    fn capture(requests: &Requests, connections: usize, preload: bool) -> Option<Vec<Received>> {
        let wrk = match Wrk::find(Path::new("wrk"), 2) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("skipped: {e}");
                return None;
            }
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        {
            let received = Arc::clone(&received);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { break };
                    let received = Arc::clone(&received);
                    std::thread::spawn(move || serve(stream, &received));
                }
            });
        }
        let posts = |r: &Mutex<Vec<Received>>| {
            r.lock()
                .unwrap()
                .iter()
                .filter(|(line, _)| line.starts_with("POST "))
                .count() as u64
        };
        if preload {
            let mut running = wrk.start(&base, connections, requests).unwrap();
            std::thread::sleep(Duration::from_millis(1500));
            assert!(!running.exited().unwrap());
            running.stop().unwrap();
        } else {
            let s = wrk
                .run("test", &base, connections, Duration::from_secs(1), requests)
                .unwrap();
            assert!(s.requests > 0);
            if matches!(requests, Requests::Registrations { .. }) {
                // Every registration the script built reached the server
                // (allow it time to read the last ones).
                for _ in 0..40 {
                    if posts(&received) >= s.sent {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                assert_eq!(s.sent, posts(&received));
            }
        }
        let r = received.lock().unwrap().clone();
        Some(r)
    }

    fn serve(stream: std::net::TcpStream, received: &Mutex<Vec<Received>>) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        loop {
            let mut length = 0usize;
            let mut request_line = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if request_line.is_empty() {
                    request_line = line.trim_end().to_owned();
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            received.lock().unwrap().push((request_line, body));
            let answer = b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}";
            if writer.write_all(answer).is_err() {
                return;
            }
        }
    }

    /// The path of a request line `GET /path HTTP/1.1`.
    fn path(line: &str) -> &str {
        line.split(' ').nth(1).unwrap()
    }

    #[test]
    fn the_read_scripts_run_in_wrk_and_stay_in_the_register() {
        let Some(fixed) = capture(&Requests::Fixed { path: "/".into() }, 2, false) else {
            return;
        };
        assert!(fixed.iter().all(|(line, _)| line == "GET / HTTP/1.1"));

        let numbering = crate::letter::Numbering::learn("BO-2026-000001").unwrap();
        let lookups = Requests::Lookups {
            numbering,
            letters: 5,
        };
        let mut seen = std::collections::BTreeSet::new();
        for (line, _) in capture(&lookups, 2, false).unwrap() {
            let n = path(&line)
                .strip_prefix("/api/v1/receipts/BO-2026-")
                .unwrap();
            assert_eq!(n.len(), 6, "{line}");
            seen.insert(n.parse::<u64>().unwrap());
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);

        let mut seen = std::collections::BTreeSet::new();
        for (line, _) in capture(&Requests::Proofs { letters: 3 }, 2, false).unwrap() {
            let query = path(&line)
                .strip_prefix("/api/v1/log/proof/inclusion?index=")
                .unwrap();
            let index = query.strip_suffix("&tree_size=3").unwrap();
            seen.insert(index.parse::<u64>().unwrap());
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![0, 1, 2]);

        let bodies = vec![
            b"{\"receipt\":\"a\"}".to_vec(),
            "{\"receipt\":\"\u{e9}\\n\"}".as_bytes().to_vec(),
        ];
        let verifications = Requests::Verifications {
            bodies: bodies.clone(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for (line, body) in capture(&verifications, 2, false).unwrap() {
            assert_eq!(line, "POST /api/v1/verify HTTP/1.1");
            seen.insert(bodies.iter().position(|b| *b == body).unwrap());
        }
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn wrk_sends_the_registrations_the_bench_builds() {
        let requests = Requests::Registrations {
            token: "sijil_token".into(),
            first: 100,
            quotas: None,
        };
        let Some(received) = capture(&requests, 4, false) else {
            return;
        };
        assert!(!received.is_empty());
        let mut counters: Vec<u64> = Vec::new();
        for (line, body) in &received {
            assert_eq!(line, "POST /api/v1/letters HTTP/1.1");
            let text = String::from_utf8_lossy(body);
            let n: u64 = text
                .split("Sender ")
                .nth(1)
                .and_then(|t| t.split('"').next())
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(body, &crate::letter::body(n), "letter {n}");
            counters.push(n);
        }
        counters.sort_unstable();
        let len = counters.len();
        counters.dedup();
        assert_eq!(counters.len(), len, "a counter was used twice");
        assert!(counters[0] >= 100);
    }

    #[test]
    fn a_preload_sends_exactly_its_quotas() {
        let requests = Requests::Registrations {
            token: "sijil_token".into(),
            first: 0,
            quotas: Some(lua::quotas(37, 2)),
        };
        let Some(received) = capture(&requests, 4, true) else {
            return;
        };
        let posts = received
            .iter()
            .filter(|(line, _)| line.starts_with("POST "))
            .count();
        assert_eq!(posts, 37);
    }
}
