//! The baselines measured in the same run, so that every figure is also a ratio.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Binary, Text};
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use sijil_receipt::claims::{DocumentDigest, RegistrationClaims};
use sijil_receipt::merkle::{leaf_hash, node_hash, Hash};

/// The raw limit: SHA-256 of a 1 KiB document, an Ed25519-signed receipt and
/// a Merkle append, in one thread (like the sequencer), with no I/O.
pub fn raw_limit(duration: Duration) -> f64 {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let document: Vec<u8> = (0..1024u32).map(|i| (i * 31 % 251) as u8).collect();
    let mut frontier: Vec<(u32, Hash)> = Vec::new();
    let mut size = 0u64;
    let started = Instant::now();
    while started.elapsed() < duration {
        for _ in 0..100 {
            let mut doc = document.clone();
            doc[..8].copy_from_slice(&size.to_be_bytes());
            let sha256 = hex(&Sha256::digest(&doc));
            let claims = RegistrationClaims {
                registry: "bench.example".into(),
                number: format!("BO-2026-{:06}", size + 1),
                index: size,
                registered_at: "2026-11-28T12:00:00.000Z".into(),
                documents: vec![DocumentDigest { sha256, size: 1024 }],
                metadata_sha256: "0".repeat(64),
            };
            let payload = claims.to_payload();
            let receipt = sijil_receipt::jws::sign_compact(&payload, "01020304", &key);
            std::hint::black_box(&receipt);
            let mut hash = leaf_hash(&payload);
            let mut index = size;
            let mut level = 0;
            while index & 1 == 1 {
                if let Some((_, left)) = frontier.pop() {
                    hash = node_hash(&left, &hash);
                }
                index >>= 1;
                level += 1;
            }
            frontier.push((level, hash));
            size += 1;
        }
    }
    size as f64 / started.elapsed().as_secs_f64()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The naive design: one transaction (one fsync) per letter, in SQLite with
/// WAL and `synchronous=FULL`, on the same disk as the registry.
pub fn naive_inserts(dir: &Path, duration: Duration) -> Result<f64> {
    let path = dir.join("naive.db");
    let mut conn = SqliteConnection::establish(path.to_str().context("path")?)?;
    conn.batch_execute(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
         CREATE TABLE letters (id BIGINT PRIMARY KEY, receipt TEXT NOT NULL, document BLOB NOT NULL);",
    )?;
    let receipt = "x".repeat(600);
    let document = vec![0u8; 1024];
    let started = Instant::now();
    let mut n = 0i64;
    while started.elapsed() < duration {
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::sql_query("INSERT INTO letters (id, receipt, document) VALUES (?, ?, ?)")
                .bind::<BigInt, _>(n)
                .bind::<Text, _>(&receipt)
                .bind::<Binary, _>(&document)
                .execute(c)?;
            Ok(())
        })?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Serves `GET /` with a fixed short body, with actix-web's defaults (one
/// worker per core, like `sijil serve`); runs until killed.
pub fn trivial_server(listen: &str) -> Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let server = actix_web::HttpServer::new(|| {
            actix_web::App::new().route("/", actix_web::web::get().to(|| async { "ok" }))
        })
        .bind(listen)?;
        let address = server.addrs().first().copied().context("no address")?;
        println!("trivial server on http://{address}");
        server.run().await?;
        Ok(())
    })
}

/// The trivial server as a child process of this benchmark.
pub struct TrivialServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl TrivialServer {
    /// Starts this program again with `--trivial-server`.
    pub fn start() -> Result<Self> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(["--trivial-server", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let base = match lines.next() {
            Some(Ok(line)) => match line.strip_prefix("trivial server on ") {
                Some(b) => b.to_owned(),
                None => bail!("unexpected output {line:?}"),
            },
            _ => bail!("the trivial server did not start"),
        };
        std::thread::spawn(move || for _ in lines {});
        Ok(TrivialServer { child, base })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for TrivialServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
