//! Several `sijil` processes writing to one PostgreSQL database at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Stdio;

use sijil_e2e::{registered_number, Sandbox};
use sijil_testkit::PgCluster;

#[test]
fn processes_registering_at_once_on_one_postgresql_get_one_gapless_log() {
    let url = PgCluster::shared().create_database();
    let s = Sandbox::with_database(url);
    s.run(["init"]).ok();
    let writers = 2;
    let per_writer = 12;
    let numbers: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let s = &s;
                scope.spawn(move || {
                    (0..per_writer)
                        .map(|i| {
                            // Three at a time per writer, so batches from both processes interleave.
                            let children: Vec<_> = (0..3)
                                .map(|k| {
                                    s.command()
                                        .args([
                                            "register",
                                            "--sender",
                                            &format!("W{w}-{i}-{k}"),
                                            "--subject",
                                            "Concurrent",
                                        ])
                                        .stdout(Stdio::piped())
                                        .stderr(Stdio::piped())
                                        .spawn()
                                        .unwrap()
                                })
                                .collect();
                            children
                                .into_iter()
                                .map(|c| {
                                    let out = c.wait_with_output().unwrap();
                                    let stderr = String::from_utf8(out.stderr).unwrap();
                                    assert!(out.status.success(), "{stderr}");
                                    registered_number(&stderr)
                                })
                                .collect::<Vec<_>>()
                        })
                        .collect::<Vec<_>>()
                        .concat()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let total = writers * per_writer * 3;
    let unique: BTreeSet<&String> = numbers.iter().collect();
    assert_eq!(unique.len(), total, "no duplicate numbers");
    let year = &numbers[0][3..7];
    let expected: BTreeSet<String> = (1..=total).map(|n| format!("BO-{year}-{n:06}")).collect();
    assert_eq!(
        unique.into_iter().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    let audit = s.run(["audit"]).ok();
    assert!(
        audit
            .stdout
            .starts_with(&format!("audit passed: {total} leaves")),
        "{}",
        audit.stdout
    );
}
