//! A full disk: registrations fail with a clear 503 once the disk is full,
//! nothing is half-written, and registration resumes when space returns.
//!
//! The data directory lives on a small tmpfs mounted for the test (the tests
//! run as root in CI, which mounting needs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sijil_e2e::Sandbox;
use sijil_testkit::fixtures;
use sijil_testkit::multipart::Multipart;

/// A tmpfs of a given size, unmounted on drop.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &std::path::Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .unwrap_or_else(|e| panic!("cannot run mount: {e}"));
        assert!(
            status.success(),
            "cannot mount a tmpfs for the full-disk test: the tests must run as root (as .ci/run does)"
        );
        SmallDisk(dir.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A registration of letter `n` with one document.
fn request(n: u64, document: &[u8]) -> Multipart {
    Multipart::new()
        .metadata(&fixtures::minimal(&format!("Sender {n}"), "Disk test"))
        .document(&format!("scan-{n}.pdf"), document)
}

#[test]
fn a_full_disk_refuses_registrations_with_503_writes_nothing_and_recovers() {
    let s = Sandbox::new();
    let _disk = SmallDisk::mount(&s.data_dir(), "6m");
    let token = s
        .run(["token", "create", "--role", "clerk", "--name", "disk"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = s
        .command()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let deadline = Instant::now() + Duration::from_secs(20);
    while agent.get(&format!("{base}/healthz")).call().is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let register = |n: u64, size: usize| {
        let document: Vec<u8> = (0..size)
            .map(|i| ((i as u64 * 7 + n * 13) % 251) as u8)
            .collect();
        let form = request(n, &document);
        let mut r = agent
            .post(&format!("{base}/api/v1/letters"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", &form.content_type())
            .send(&form.body()[..])
            .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        )
    };
    // Fill the disk: 200 KiB documents (stored in the database) and 400 KiB ones (files).
    let mut registered = 0u64;
    let mut refusal = None;
    for n in 0..200 {
        let (status, body) = register(n, if n % 2 == 0 { 200 * 1024 } else { 400 * 1024 });
        match status {
            201 => registered += 1,
            _ => {
                refusal = Some((status, body));
                break;
            }
        }
    }
    let (status, body) = refusal.expect("the 6 MiB disk must fill up");
    assert_eq!(status, 503, "{body}");
    let problem: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("not problem+json: {body}"));
    assert_eq!(problem["status"], 503);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was registered"),
        "{body}"
    );
    assert!(registered > 0);
    // Still full: small registrations are refused too, and nothing is counted.
    let checkpoint = |agent: &ureq::Agent| {
        let mut r = agent
            .get(&format!("{base}/api/v1/log/checkpoint"))
            .call()
            .unwrap();
        r.body_mut()
            .read_to_string()
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(
        checkpoint(&agent),
        registered,
        "refused registrations leave no trace in the log"
    );
    // Space returns (the disk grows): registration resumes, numbering goes on.
    let status = Command::new("mount")
        .args(["-o", "remount,size=24m"])
        .arg(s.data_dir())
        .status()
        .unwrap();
    assert!(status.success(), "cannot grow the tmpfs");
    let (status, body) = register(10_000, 1024);
    assert_eq!(
        status, 201,
        "registration resumes once space returns: {body}"
    );
    assert_eq!(checkpoint(&agent), registered + 1);
    let _ = server.kill();
    let _ = server.wait();
    let audit = s.run(["audit"]).ok();
    assert!(
        audit
            .stdout
            .starts_with(&format!("audit passed: {} leaves", registered + 1)),
        "{}",
        audit.stdout
    );
}
