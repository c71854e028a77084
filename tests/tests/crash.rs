//! Crashes: registering processes killed with SIGKILL at random moments lose
//! no returned receipt, leave no half-written letter, and numbering goes on
//! without a gap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use rand::Rng;
use sijil_e2e::{registered_number, Sandbox};

/// Registers with some processes killed mid-way; returns the bundles of the
/// processes that finished (the receipts their clients received).
fn register_while_killing(s: &Sandbox, rounds: usize) -> (Vec<(String, String)>, usize) {
    let mut rng = rand::thread_rng();
    let mut returned = Vec::new();
    let mut killed = 0;
    let scan = s.file("scan.pdf", b"scan bytes for the crash test");
    for round in 0..rounds {
        let mut children: Vec<_> = (0..4)
            .map(|i| {
                s.command()
                    .args([
                        "register",
                        "--sender",
                        &format!("R{round}-{i}"),
                        "--subject",
                        "Crash test",
                    ])
                    .arg(&scan)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..60)));
        for (i, child) in children.iter_mut().enumerate() {
            if i % 2 == 0 && child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                killed += 1;
            }
        }
        for child in children {
            let out = child.wait_with_output().unwrap();
            if out.status.success() {
                let stderr = String::from_utf8(out.stderr).unwrap();
                returned.push((
                    registered_number(&stderr),
                    String::from_utf8(out.stdout).unwrap(),
                ));
            }
        }
    }
    (returned, killed)
}

#[test]
fn receipts_returned_before_a_sigkill_survive_and_numbering_has_no_gap() {
    let s = Sandbox::new();
    s.run(["init"]).ok();
    let (returned, killed) = register_while_killing(&s, 12);
    assert!(
        killed > 0,
        "the test must actually kill registering processes"
    );
    assert!(!returned.is_empty());
    // Every bundle a client received verifies and is what the registry serves.
    for (number, bundle) in &returned {
        let path = s.file("returned.json", bundle.as_bytes());
        s.run(["verify".as_ref(), path.as_os_str()]).ok();
        let record: serde_json::Value =
            serde_json::from_str(&s.run(["show", number]).ok().stdout).unwrap();
        let bundle: serde_json::Value = serde_json::from_str(bundle).unwrap();
        assert_eq!(record["receipt"], bundle["receipt"], "{number}");
    }
    // The audit re-checks the whole log, gapless numbering included.
    let audit = s.run(["audit"]).ok();
    let leaves: usize = audit
        .stdout
        .trim_start_matches("audit passed: ")
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(leaves >= returned.len());
    // Numbering continues right after the last committed letter.
    let (_, next) = s.register("After the crashes", &[]);
    let seq: usize = next.rsplit('-').next().unwrap().parse().unwrap();
    assert_eq!(seq, leaves + 1, "{next} after {leaves} letters");
}
