//! Crash safety under load: `sijil serve` is killed with SIGKILL at random
//! moments while clients register over HTTP, and restarted each time. After
//! every restart, every receipt a client received is served unchanged and
//! verifies, and the new checkpoint is consistent with every checkpoint seen
//! before; at the end `sijil audit` passes (gapless numbering included).
//! On PostgreSQL the database server itself is also killed mid-load.
//!
//! The short version runs in the test suite; `SIJIL_RELIABILITY_KILLS=50
//! cargo test -p sijil-e2e --test reliability -- --nocapture` is the long one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use sijil_e2e::Sandbox;
use sijil_receipt::bundle::Bundle;
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::jwks::Jwks;
use sijil_receipt::merkle::{verify_consistency, Hash};
use sijil_receipt::note::NoteVerifier;
use sijil_testkit::multipart::Multipart;
use sijil_testkit::{fixtures, PgCluster};

fn kills() -> usize {
    std::env::var("SIJIL_RELIABILITY_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(s: &Sandbox, port: u16) -> Server {
    let child = s
        .command()
        .env("SIJIL_LOG", "error")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(s.path("server.log"))
                .unwrap(),
        )
        .spawn()
        .unwrap();
    let server = Server(child);
    let agent = agent();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = agent
            .get(&format!("http://127.0.0.1:{port}/healthz"))
            .call()
        {
            if r.status().as_u16() == 200 {
                return server;
            }
        }
        assert!(
            Instant::now() < deadline,
            "sijil serve did not come up on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// The registration client `n` sends: a letter from the web, one text document.
fn body(n: u64) -> Multipart {
    let metadata = fixtures::edited(
        fixtures::minimal(&format!("Client {n}"), &format!("Crash test {n}")),
        |m| m["channel"] = "web".into(),
    );
    Multipart::new().metadata(&metadata).file(
        "document",
        &format!("d{n}.txt"),
        "text/plain",
        format!("document {n}"),
    )
}

fn get_json(agent: &ureq::Agent, url: &str) -> serde_json::Value {
    let mut r = agent.get(url).call().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn get_text(agent: &ureq::Agent, url: &str) -> String {
    let mut r = agent.get(url).call().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    r.body_mut().read_to_string().unwrap()
}

/// Every bundle received still verifies and is what the registry serves;
/// the checkpoint is consistent with all earlier ones. Returns the checkpoint.
fn check_after_restart(base: &str, received: &[(String, Bundle)], seen: &mut Vec<(u64, Hash)>) {
    let agent = agent();
    let jwks: Jwks =
        serde_json::from_str(&get_text(&agent, &format!("{base}/.well-known/jwks.json"))).unwrap();
    let key =
        NoteVerifier::parse(get_text(&agent, &format!("{base}/api/v1/log/key")).trim()).unwrap();
    let note = get_text(&agent, &format!("{base}/api/v1/log/checkpoint"));
    let checkpoint = Checkpoint::open(&note, &[key]).unwrap();
    for (old_size, old_root) in seen.iter() {
        assert!(
            checkpoint.size >= *old_size,
            "the log shrank from {old_size} to {}",
            checkpoint.size
        );
        if *old_size == 0 {
            continue;
        }
        let proof = get_json(
            &agent,
            &format!(
                "{base}/api/v1/log/proof/consistency?from={old_size}&to={}",
                checkpoint.size
            ),
        );
        let hashes: Vec<Hash> = proof["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| sijil_receipt::serde_base64::decode_hash(h.as_str().unwrap()).unwrap())
            .collect();
        verify_consistency(
            *old_size,
            checkpoint.size,
            old_root,
            &checkpoint.root,
            &hashes,
        )
        .unwrap_or_else(|e| {
            panic!(
                "checkpoint {} is not consistent with {old_size}: {e}",
                checkpoint.size
            )
        });
    }
    seen.push((checkpoint.size, checkpoint.root));
    for (number, bundle) in received {
        assert!(
            sijil_receipt::verify::verify_bundle(bundle, &jwks, &[]).passed(),
            "{number}: the received bundle no longer verifies"
        );
        let served = get_json(&agent, &format!("{base}/api/v1/receipts/{number}"));
        assert_eq!(
            served["bundle"]["receipt"].as_str(),
            Some(bundle.receipt.as_str()),
            "{number} is served with another receipt"
        );
        let fresh: Bundle = serde_json::from_value(served["bundle"].clone()).unwrap();
        assert!(
            sijil_receipt::verify::verify_bundle(&fresh, &jwks, &[]).passed(),
            "{number}: the served bundle does not verify"
        );
    }
}

fn harness(s: &Sandbox, cluster: Option<&PgCluster>) {
    let token = s
        .run(["token", "create", "--role", "clerk", "--name", "crash"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let received: Arc<Mutex<Vec<(String, Bundle)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let mut server = Some(start(s, port));
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let (received, stop, counter, failures) = (
                received.clone(),
                stop.clone(),
                counter.clone(),
                failures.clone(),
            );
            let (base, token) = (base.clone(), token.clone());
            let log_path = s.path("server.log");
            std::thread::spawn(move || {
                let agent = agent();
                // Paced clients, so that re-verifying every receipt after each
                // restart stays quick even in the long version.
                let pause = Duration::from_millis(15);
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(pause);
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let form = body(n);
                    let response = agent
                        .post(&format!("{base}/api/v1/letters"))
                        .header("Authorization", &format!("Bearer {token}"))
                        .header("Content-Type", &form.content_type())
                        .send(&form.body()[..]);
                    match response {
                        Ok(mut r) if r.status().as_u16() == 201 => {
                            let Ok(text) = r.body_mut().read_to_string() else {
                                continue;
                            };
                            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                            let bundle: Bundle =
                                serde_json::from_value(v["bundle"].clone()).unwrap();
                            received
                                .lock()
                                .unwrap()
                                .push((v["number"].as_str().unwrap().to_owned(), bundle));
                        }
                        Ok(mut r) => {
                            // 503 while the database is down or the server is stopping.
                            let status = r.status().as_u16();
                            let text = r.body_mut().read_to_string().unwrap_or_default();
                            if status != 503 {
                                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                                panic!("unexpected status {status}: {text}\nserver log: {tail:#?}");
                            }
                            failures.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        Err(_) => {
                            failures.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
            })
        })
        .collect();
    let mut rng = rand::thread_rng();
    let mut seen = Vec::new();
    let rounds = kills();
    let mut database_kills = 0;
    let mut checked = 0;
    for round in 0..rounds {
        std::thread::sleep(Duration::from_millis(rng.gen_range(150..700)));
        if let (Some(cluster), true) = (cluster, round % 2 == 1) {
            // Kill the database server mid-load, then bring it back.
            cluster.stop_server();
            database_kills += 1;
            std::thread::sleep(Duration::from_millis(rng.gen_range(50..300)));
            cluster.start_server();
        } else {
            // SIGKILL the registry server mid-load, then restart it.
            drop(server.take());
            server = Some(start(s, port));
        }
        std::thread::sleep(Duration::from_millis(200));
        // Every receipt returned since the last restart, and a sample of the
        // older ones (all of them are checked again at the end).
        let snapshot = received.lock().unwrap().clone();
        let mut to_check = snapshot[checked..].to_vec();
        for _ in 0..50.min(checked) {
            to_check.push(snapshot[rng.gen_range(0..checked)].clone());
        }
        checked = snapshot.len();
        check_after_restart(&base, &to_check, &mut seen);
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    drop(server.take());
    let received = received.lock().unwrap().clone();
    let server = start(s, port);
    check_after_restart(&base, &received, &mut seen);
    drop(server);
    assert!(
        received.len() > rounds,
        "the clients must actually register ({} letters)",
        received.len()
    );
    let audit = s.run(["audit"]).ok();
    assert!(audit.stdout.starts_with("audit passed"), "{}", audit.stdout);
    // Numbering continues after the last committed letter, without a gap.
    let server = start(s, port);
    let checkpoint = get_text(&agent(), &format!("{base}/api/v1/log/checkpoint"));
    let size: u64 = checkpoint.lines().nth(1).unwrap().parse().unwrap();
    drop(server);
    let (_, next) = s.register("After the crashes", &[]);
    let seq: u64 = next.rsplit('-').next().unwrap().parse().unwrap();
    assert_eq!(seq, size + 1, "{next} follows {size} letters");
    eprintln!(
        "reliability: {} server kills, {database_kills} database kills, {} receipts received, each re-verified after the restart that followed it and all at the end, {} failed attempts (refused or cut), log of {size} letters, audit passed",
        rounds - database_kills,
        received.len(),
        failures.load(Ordering::Relaxed)
    );
}

#[test]
fn killing_the_server_under_load_loses_no_returned_receipt_on_sqlite() {
    let s = Sandbox::new();
    harness(&s, None);
}

#[test]
fn killing_the_server_or_the_database_under_load_loses_no_returned_receipt_on_postgresql() {
    let cluster = PgCluster::start();
    let s = Sandbox::with_database(cluster.create_database());
    harness(&s, Some(&cluster));
}

#[test]
fn two_servers_writing_to_one_postgresql_keep_one_gapless_consistent_log() {
    let cluster = PgCluster::start();
    let s = Sandbox::with_database(cluster.create_database());
    let token = s
        .run(["token", "create", "--role", "clerk", "--name", "writers"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let ports: Vec<u16> = (0..2)
        .map(|_| {
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let servers: Vec<Server> = ports.iter().map(|p| start(&s, *p)).collect();
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let received: Arc<Mutex<Vec<(String, Bundle)>>> = Arc::default();
    let counter = Arc::new(AtomicU64::new(0));
    let mut seen = Vec::new();
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (received, counter, token) = (received.clone(), counter.clone(), token.clone());
            let base = bases[c % 2].clone();
            std::thread::spawn(move || {
                let agent = agent();
                for _ in 0..40 {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let form = body(n);
                    let mut r = agent
                        .post(&format!("{base}/api/v1/letters"))
                        .header("Authorization", &format!("Bearer {token}"))
                        .header("Content-Type", &form.content_type())
                        .send(&form.body()[..])
                        .unwrap();
                    let text = r.body_mut().read_to_string().unwrap();
                    assert_eq!(r.status().as_u16(), 201, "{text}");
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let bundle: Bundle = serde_json::from_value(v["bundle"].clone()).unwrap();
                    received
                        .lock()
                        .unwrap()
                        .push((v["number"].as_str().unwrap().to_owned(), bundle));
                }
            })
        })
        .collect();
    // While they write, each server's checkpoints stay consistent with all earlier ones.
    for round in 0..6 {
        std::thread::sleep(Duration::from_millis(150));
        check_after_restart(&bases[round % 2], &[], &mut seen);
    }
    for c in clients {
        c.join().unwrap();
    }
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 320);
    let numbers: std::collections::BTreeSet<&String> = received.iter().map(|(n, _)| n).collect();
    assert_eq!(numbers.len(), 320, "no number given twice");
    for base in &bases {
        check_after_restart(base, &received, &mut seen);
    }
    drop(servers);
    let audit = s.run(["audit"]).ok();
    assert!(
        audit.stdout.starts_with("audit passed: 320 leaves"),
        "{}",
        audit.stdout
    );
}
