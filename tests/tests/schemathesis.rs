//! The API answers as its OpenAPI document says: schemathesis (PyPI) reads
//! `/api/v1/openapi.json` from a running `sijil serve`, generates requests
//! for every operation (valid and invalid ones, a bounded number of examples
//! per operation, from a fixed seed), sends them with a clerk token and
//! checks each response: no 5xx (`not_a_server_error`), the body matches the
//! documented schema (`response_schema_conformance`), the status code and the
//! content type are documented ones (`status_code_conformance`,
//! `content_type_conformance`), and a method the document does not list for
//! a path is answered 405 with an `Allow` header (`unsupported_method`).
//!
//! schemathesis is a Python program: `.ci/run` installs the pinned version
//! (`python3 -m pip install schemathesis==4.32.5`). The test runs
//! `$SIJIL_SCHEMATHESIS` if set, else `python3 -m schemathesis.cli`, else
//! `schemathesis` on the PATH; it fails if none is a schemathesis 4.
//! Hypothesis' deadline is always off in schemathesis 4 (it sets
//! `deadline=None` itself; the 3.x option `--hypothesis-deadline` is gone).
//! Reproduce a run by hand: docs/reliability.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsString;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sijil_e2e::{registered_number, ProcessLog as Log, Reaped, Sandbox};

const NOT_INSTALLED: &str =
    "schemathesis is not installed: run .ci/run or pip install schemathesis";

/// Test cases per API operation and phase (schemathesis `--max-examples`).
const MAX_EXAMPLES: u32 = 30;
/// Fixed seed: the same requests every run (schemathesis `--seed`).
const SEED: u64 = 20261128;
/// Longest a whole schemathesis run may take (it takes about 80 s on 2 cores).
const TIME_LIMIT: Duration = Duration::from_secs(170);
/// Longest `sijil serve` may take to listen.
const START: Duration = Duration::from_secs(60);

#[test]
fn every_api_operation_answers_as_the_openapi_document_says() {
    let started = Instant::now();
    let schemathesis = find_schemathesis();

    let sandbox = Sandbox::new();
    let token = sandbox
        .run(["token", "create", "--role", "clerk", "--name", "Fuzz"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    assert!(!token.is_empty(), "token create printed no token");

    // Two letters, so that the operations on a number, a document, a hash or
    // a log index also reach real records (schemathesis draws half of those
    // parameters from the dictionaries below, the other half it makes up).
    let document_bytes = b"%PDF-1.7\n% Demande de certificat de residence\n";
    let document = sandbox.file("lettre.pdf", document_bytes);
    let mut numbers = Vec::new();
    let mut access_code = String::new();
    let mut receipt = String::new();
    for sender in ["Khadija Benali", "Youssef Amrani"] {
        let mut args: Vec<OsString> = ["register", "--sender", sender]
            .into_iter()
            .chain(["--subject", "Demande de certificat"])
            .map(OsString::from)
            .collect();
        args.push(document.clone().into_os_string());
        let run = sandbox.run(args).ok();
        numbers.push(registered_number(&run.stderr));
        access_code = run
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("access code: "))
            .unwrap_or_else(|| panic!("no access code in:\n{}", run.stderr))
            .trim()
            .to_owned();
        let bundle: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        receipt = bundle["receipt"].as_str().unwrap().to_owned();
    }
    let config = sandbox.file(
        "schemathesis.toml",
        config(
            &numbers,
            &sijil_receipt::sha256_hex(document_bytes),
            &access_code,
            &receipt,
        )
        .as_bytes(),
    );

    let mut server = Server::start(&sandbox);
    let schema = format!("{}/api/v1/openapi.json", server.base);
    let mut command = schemathesis.command();
    command
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .arg("run")
        .arg(&schema)
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--max-examples", &MAX_EXAMPLES.to_string()])
        .args(["--seed", &SEED.to_string()])
        // One worker: the requests, and so the registry's state, in a fixed order.
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        // No example database: a run does not replay an earlier run's failures.
        .args(["--generation-database", "none"])
        .current_dir(sandbox.dir.path())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .stdin(Stdio::null());
    eprintln!(
        "schemathesis test: {} against {schema}, {MAX_EXAMPLES} examples per operation, seed {SEED}",
        schemathesis.version
    );
    let (code, output) = run_bounded(command, TIME_LIMIT);
    // A server that died mid-run makes schemathesis fail on connection errors:
    // say so rather than leave it to be guessed from the output.
    let server_exit = server.process.0.try_wait().unwrap();

    let summary = output
        .find("SUMMARY")
        .and_then(|i| output[..i].rfind('\n').map(|start| &output[start + 1..]))
        .unwrap_or(&output);
    println!("{summary}");
    eprintln!(
        "schemathesis test: done in {:.1?} (schemathesis exit code {code:?})",
        started.elapsed()
    );
    assert_eq!(
        code,
        Some(0),
        "schemathesis found failures (or could not run):\n{output}\n--- sijil serve ({}) (last lines) ---\n{}",
        match server_exit {
            None => "still running".to_owned(),
            Some(_) if server.log.tail(Log::KEEP).contains("SIGTERM received") => {
                "stopped during the run by a SIGTERM from outside the test: not an API \
                 finding, run the test again"
                    .to_owned()
            }
            Some(status) => format!("exited during the run: {status}"),
        },
        server.log.tail(60)
    );
    assert!(
        !server.log.tail(Log::KEEP).contains("panicked"),
        "sijil serve panicked:\n{}",
        server.log.tail(Log::KEEP)
    );
}

/// The schemathesis configuration: which checks run, and realistic values
/// for parameters that the schema cannot describe (numbers, hashes, access
/// codes, a receipt, metadata JSON).
fn config(numbers: &[String], sha256: &str, access_code: &str, receipt: &str) -> String {
    let numbers = numbers
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# Written by tests/tests/schemathesis.rs for one run.

[checks]
enabled = false
not_a_server_error.enabled = true
response_schema_conformance.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
unsupported_method.enabled = true

[dictionaries.numbers]
values = [{numbers}]
[dictionaries.digests]
values = ["{sha256}"]
[dictionaries.codes]
values = ["{access_code}"]
[dictionaries.receipts]
values = ["{receipt}"]
[dictionaries.metadata]
values = ['{{"sender":{{"name":"Schemathesis"}},"subject":"API test","channel":"paper"}}']
[dictionaries.small]
values = [0, 1, 2, 3]

[parameters]
"path.number" = {{ dictionary = "numbers", probability = 0.5 }}
"path.n" = {{ dictionary = "small", probability = 0.5 }}
"path.index" = {{ dictionary = "small", probability = 0.5 }}
"query.sha256" = {{ dictionary = "digests", probability = 0.5 }}
"query.code" = {{ dictionary = "codes", probability = 0.5 }}
"query.index" = {{ dictionary = "small", probability = 0.5 }}
"query.tree_size" = {{ dictionary = "small", probability = 0.5 }}
"body.metadata" = {{ dictionary = "metadata", probability = 0.5 }}
"body.receipt" = {{ dictionary = "receipts", probability = 0.5 }}

[[operations]]
include-path = "/api/v1/log/proof/consistency"
parameters = {{ "query.from" = {{ dictionary = "small", probability = 0.5 }}, "query.to" = {{ dictionary = "small", probability = 0.5 }} }}
"#
    )
}

/// How to run schemathesis, and which version it is.
struct Schemathesis {
    program: OsString,
    args: Vec<OsString>,
    version: String,
}

impl Schemathesis {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        command
    }
}

/// `$SIJIL_SCHEMATHESIS`, else `python3 -m schemathesis.cli` (what `.ci/run`
/// installs), else `schemathesis` on the PATH: the first that is version 4.
fn find_schemathesis() -> Schemathesis {
    let mut candidates: Vec<(OsString, Vec<OsString>)> = Vec::new();
    if let Some(program) = std::env::var_os("SIJIL_SCHEMATHESIS") {
        candidates.push((program, Vec::new()));
    }
    candidates.push((
        "python3".into(),
        vec!["-m".into(), "schemathesis.cli".into()],
    ));
    candidates.push(("schemathesis".into(), Vec::new()));
    let mut found = Vec::new();
    for (program, args) in candidates {
        let Ok(output) = Command::new(&program)
            .args(&args)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
        else {
            continue;
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Some(version) = stdout
            .split_once("version ")
            .map(|(_, v)| v.trim().to_owned())
            .filter(|_| output.status.success())
        else {
            continue;
        };
        if version.starts_with("4.") {
            return Schemathesis {
                program,
                args,
                version: format!("schemathesis {version}"),
            };
        }
        found.push(format!(
            "{} is schemathesis {version}",
            program.to_string_lossy()
        ));
    }
    if found.is_empty() {
        panic!("{NOT_INSTALLED}");
    }
    panic!(
        "{NOT_INSTALLED} (version 4 is needed: {})",
        found.join("; ")
    );
}

/// Runs `command` to the end or until `limit`; returns its exit code (None if
/// it had to be killed) and everything it printed.
fn run_bounded(mut command: Command, limit: Duration) -> (Option<i32>, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start schemathesis ({e}). {NOT_INSTALLED}"));
    let output = Arc::new(Mutex::new(String::new()));
    let readers = [
        read_all(child.stdout.take().unwrap(), output.clone()),
        read_all(child.stderr.take().unwrap(), output.clone()),
    ];
    let deadline = Instant::now() + limit;
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            for reader in readers {
                let _ = reader.join();
            }
            let output = output.lock().unwrap_or_else(|e| e.into_inner()).clone();
            panic!("schemathesis did not finish within {limit:?}:\n{output}");
        }
        thread::sleep(Duration::from_millis(200));
    };
    for reader in readers {
        let _ = reader.join();
    }
    let output = output.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (code, output)
}

fn read_all(
    mut stream: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        into.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_str(&String::from_utf8_lossy(&bytes));
    })
}

/// `sijil serve` on the sandbox's registry, on a port the system chose.
struct Server {
    base: String,
    log: Log,
    process: Reaped,
}

impl Server {
    fn start(sandbox: &Sandbox) -> Server {
        let mut child = sandbox
            .command()
            .env_remove("SIJIL_LISTEN")
            .env_remove("SIJIL_PUBLIC_URL")
            .env("NO_COLOR", "1")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start sijil serve: {e}"));
        let log = Log::default();
        let (lines, printed) = mpsc::channel();
        log.collect(child.stdout.take().unwrap(), Some(lines));
        log.collect(child.stderr.take().unwrap(), None);
        let process = Reaped(child);
        let deadline = Instant::now() + START;
        loop {
            match printed.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    if let Some(address) = line.strip_prefix("Sijil is listening on ") {
                        return Server {
                            base: address.trim().to_owned(),
                            log,
                            process,
                        };
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    thread::sleep(Duration::from_millis(100));
                    panic!("sijil serve exited:\n{}", log.tail(50));
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "sijil serve did not say it was listening within {START:?}:\n{}",
                    log.tail(50)
                ),
            }
        }
    }
}
