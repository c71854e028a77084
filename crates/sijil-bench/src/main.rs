//! The load benchmark: `cargo run --release -p sijil-bench -- --letters 1000000`.
//!
//! It builds a fresh data directory, starts `sijil serve` on a free loopback
//! port, drives it with its own keep-alive HTTP client (registrations at
//! C = 1, 16, 64, 256; lookups, verifications and proofs as the register grows
//! to 10^4, 10^5, 10^6 letters), measures the baselines in the same run (raw
//! CPU limit, one-transaction-per-letter inserts, a trivial actix handler),
//! and writes the results into docs/benchmarks.md and docs/benchmarks-{sqlite,postgresql}.json.

mod baselines;
mod load;
mod report;
mod server;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use rand::Rng;

use load::{run, with_server_cpu, PhaseResult, Until};

/// Command line of the load benchmark.
#[derive(Parser, Debug)]
#[command(
    name = "sijil-bench",
    about = "Load benchmark of sijil serve, with baselines"
)]
struct Args {
    /// Letters in the register at the end (lookups are measured at 10^4, 10^5, 10^6 on the way).
    #[arg(long, default_value_t = 100_000)]
    letters: u64,
    /// Seconds each measured phase runs.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// The sijil binary (default: build it in release mode with cargo).
    #[arg(long)]
    sijil: Option<PathBuf>,
    /// Run on a throwaway PostgreSQL cluster instead of SQLite.
    #[arg(long)]
    postgres: bool,
    /// Where to write the Markdown report (between its backend's load-benchmark markers).
    #[arg(long, default_value = "docs/benchmarks.md")]
    out: PathBuf,
    /// Do not write the reports (smoke test).
    #[arg(long)]
    no_write: bool,
    /// Internal: serve the trivial baseline handler on this address.
    #[arg(long, hide = true)]
    trivial_server: Option<String>,
    /// Profiling aid: serve this existing SQLite data directory and measure
    /// only its lookups, proofs and verifications (nothing is written).
    #[arg(long, hide = true)]
    reads_only: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(listen) = &args.trivial_server {
        return baselines::trivial_server(listen);
    }
    if let Some(data_dir) = &args.reads_only {
        return reads_only(&args, data_dir);
    }
    let results = bench(&args)?;
    let markdown = report::markdown(&results);
    println!("{markdown}");
    if !args.no_write {
        let backend = if args.postgres {
            "postgresql"
        } else {
            "sqlite"
        };
        report::write(&args.out, backend, &markdown, &results)?;
        eprintln!("wrote {} and its .json", args.out.display());
    }
    Ok(())
}

/// Everything one run measured.
#[derive(serde::Serialize, Debug)]
pub struct Results {
    pub backend: String,
    pub letters: u64,
    pub machine: report::Machine,
    pub raw_limit_per_second: f64,
    pub naive_inserts_per_second: f64,
    pub trivial: PhaseResult,
    pub registrations: Vec<PhaseResult>,
    pub stages: Vec<Stage>,
    pub peak_rss_kib: u64,
    pub database_bytes: u64,
    pub database_bytes_per_letter: f64,
    /// Bytes per table and index, largest first: where the database's size goes.
    pub storage: Vec<(String, u64)>,
    pub audit_seconds: f64,
}

/// Lookups, verifications and proofs with a given number of letters registered.
#[derive(serde::Serialize, Debug)]
pub struct Stage {
    pub letters: u64,
    pub lookups: PhaseResult,
    pub proofs: PhaseResult,
    pub verifications: PhaseResult,
}

const BOUNDARY: &str = "sijil-bench-boundary";
/// The size of each letter's document.
const DOCUMENT_BYTES: u64 = 1024;

/// The multipart body of the n-th letter, with its own 1 KiB document.
fn letter_body(n: u64) -> Vec<u8> {
    let metadata = format!(
        r#"{{"sender":{{"name":"Sender {n}","address":"{n} avenue Mohammed V, Rabat"}},"subject":"Benchmark letter {n}","channel":"paper","addressee":"Service des réclamations"}}"#
    );
    let mut document = vec![b'.'; DOCUMENT_BYTES as usize];
    let stamp = format!("document of letter {n} ");
    document[..stamp.len()].copy_from_slice(stamp.as_bytes());
    let mut body = Vec::with_capacity(2048);
    body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n").as_bytes());
    body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"scan-{n}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
    body.extend_from_slice(&document);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A registration request; true on 201.
fn register(agent: &ureq::Agent, base: &str, token: &str, n: u64) -> bool {
    agent
        .post(&format!("{base}/api/v1/letters"))
        .header("Authorization", &format!("Bearer {token}"))
        .header(
            "Content-Type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .send(&letter_body(n)[..])
        .map(|mut r| {
            let ok = r.status().as_u16() == 201;
            let _ = r.body_mut().read_to_vec();
            ok
        })
        .unwrap_or(false)
}

fn get_ok(agent: &ureq::Agent, url: &str) -> bool {
    agent
        .get(url)
        .call()
        .map(|mut r| {
            let ok = r.status().as_u16() == 200;
            let _ = r.body_mut().read_to_vec();
            ok
        })
        .unwrap_or(false)
}

fn bench(args: &Args) -> Result<Results> {
    let phase = Duration::from_secs_f64(args.seconds);
    let sijil = server::sijil_binary(args.sijil.clone())?;
    let dir = tempfile::Builder::new().prefix("sijil-bench-").tempdir()?;
    let data_dir = dir.path().join("data");
    let cluster = if args.postgres {
        Some(sijil_testkit::PgCluster::start())
    } else {
        None
    };
    let database_url = cluster.as_ref().map(|c| c.create_database());
    let url = database_url.as_deref();
    let backend = if args.postgres {
        "PostgreSQL"
    } else {
        "SQLite (WAL, synchronous=FULL)"
    };
    eprintln!("data directory {} on {backend}", data_dir.display());

    eprintln!("baselines:");
    let raw = baselines::raw_limit(phase);
    eprintln!("  raw limit (SHA-256 + Ed25519 + Merkle append, one thread): {raw:.0} letters/s");
    let naive = baselines::naive_inserts(dir.path(), phase)?;
    eprintln!("  one transaction per letter (SQLite, synchronous=FULL): {naive:.0} letters/s");
    let trivial_server = baselines::TrivialServer::start()?;
    let trivial_url = format!("{}/", trivial_server.base);
    let trivial = with_server_cpu(trivial_server.pid(), || {
        run(
            "trivial actix handler",
            64,
            Until::Elapsed(phase),
            move |a, _| get_ok(a, &trivial_url),
        )
    });
    drop(trivial_server);

    let token = server::run({
        let mut c = server::command(&sijil, &data_dir, url);
        c.args(["token", "create", "--role", "clerk", "--name", "bench"]);
        c
    })?
    .trim()
    .to_owned();
    let server = server::Server::start(server::command(&sijil, &data_dir, url))?;
    let base = server.base.clone();
    eprintln!("sijil serve on {base}");

    let registered = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let register_phase = |name: &str, c: usize, until: Until| {
        let (base, token, registered) = (base.clone(), token.clone(), Arc::clone(&registered));
        with_server_cpu(server.pid(), || {
            run(name, c, until, move |a, _| {
                let n = registered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                register(a, &base, &token, n)
            })
        })
    };
    eprintln!("registrations (1 KiB document each):");
    let mut registrations = Vec::new();
    for c in [1usize, 16, 64, 256] {
        registrations.push(register_phase(
            "durable registrations",
            c,
            Until::Elapsed(phase),
        ));
    }
    if registrations
        .iter()
        .any(|r| r.requests > 0 && r.errors == r.requests)
    {
        bail!("every registration failed: is the server healthy?");
    }
    let year = {
        let agent = load::agent();
        let mut r = agent.get(&format!("{base}/api/v1/log/entries/0")).call()?;
        let jws = r.body_mut().read_to_string()?;
        let jws = sijil_receipt::jws::parse_compact(jws.trim())?;
        let claims = sijil_receipt::claims::RegistrationClaims::from_payload(&jws.payload)?;
        claims.number[3..7].to_owned()
    };

    let mut stages = Vec::new();
    let mut target = 10_000u64;
    loop {
        let have = registered.load(std::sync::atomic::Ordering::Relaxed);
        let stage_size = target.min(args.letters.max(have));
        if stage_size > have {
            let started = Instant::now();
            register_phase("preload", 64, Until::Count(stage_size - have));
            eprintln!(
                "  preloaded to {stage_size} letters in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let letters = registered
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(stage_size);
        stages.push(measure_stage(&server, &year, letters, phase)?);
        if target >= args.letters {
            break;
        }
        target = (target * 10).min(args.letters);
    }
    let (peak_rss_kib, _) = server.memory_kib();
    server.stop()?;
    let letters = registered.load(std::sync::atomic::Ordering::Relaxed);
    let database_bytes = match &database_url {
        None => ["sijil.db", "sijil.db-wal"]
            .iter()
            .map(|f| {
                std::fs::metadata(data_dir.join(f))
                    .map(|m| m.len())
                    .unwrap_or(0)
            })
            .sum(),
        Some(url) => postgres_database_bytes(url)?,
    };
    let storage = storage_by_relation(&data_dir, url)?;
    eprintln!("auditing {letters} letters...");
    let started = Instant::now();
    let audit = server::run({
        let mut c = server::command(&sijil, &data_dir, url);
        c.arg("audit");
        c
    })?;
    let audit_seconds = started.elapsed().as_secs_f64();
    eprintln!("  {} in {audit_seconds:.1} s", audit.trim());
    Ok(Results {
        backend: backend.into(),
        letters,
        machine: report::Machine::describe(dir.path()),
        raw_limit_per_second: raw,
        naive_inserts_per_second: naive,
        trivial,
        registrations,
        stages,
        peak_rss_kib,
        database_bytes,
        // Each letter's 1 KiB document is stored in the database (small documents are).
        database_bytes_per_letter: database_bytes.saturating_sub(letters * DOCUMENT_BYTES) as f64
            / letters.max(1) as f64,
        storage,
        audit_seconds,
    })
}

/// Serves an existing register and measures its read phases only.
fn reads_only(args: &Args, data_dir: &std::path::Path) -> Result<()> {
    let sijil = server::sijil_binary(args.sijil.clone())?;
    let server = server::Server::start(server::command(&sijil, data_dir, None))?;
    let agent = load::agent();
    let checkpoint = agent
        .get(&format!("{}/api/v1/log/checkpoint", server.base))
        .call()?
        .body_mut()
        .read_to_string()?;
    let letters: u64 = checkpoint
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .context("unreadable checkpoint")?;
    let year = {
        let mut r = agent
            .get(&format!("{}/api/v1/log/entries/0", server.base))
            .call()?;
        let jws = sijil_receipt::jws::parse_compact(r.body_mut().read_to_string()?.trim())?;
        let claims = sijil_receipt::claims::RegistrationClaims::from_payload(&jws.payload)?;
        claims.number[3..7].to_owned()
    };
    measure_stage(
        &server,
        &year,
        letters,
        Duration::from_secs_f64(args.seconds),
    )?;
    let (peak, _) = server.memory_kib();
    eprintln!("server peak RSS {:.1} MiB", peak as f64 / 1024.0);
    server.stop()
}

/// Lookups, proofs and verifications over random letters of the register.
fn measure_stage(
    server: &server::Server,
    year: &str,
    letters: u64,
    phase: Duration,
) -> Result<Stage> {
    eprintln!("with {letters} letters:");
    let (base, pid) = (server.base.as_str(), server.pid());
    let year = year.to_owned();
    let number = move |n: u64| format!("BO-{year}-{n:06}");
    let url = {
        let (base, number) = (base.to_owned(), number.clone());
        move |n: u64| format!("{base}/api/v1/receipts/{}", number(n))
    };
    let lookup_url = url.clone();
    let lookups = with_server_cpu(pid, || {
        run("receipt lookups", 64, Until::Elapsed(phase), move |a, _| {
            let n = rand::thread_rng().gen_range(1..=letters);
            get_ok(a, &lookup_url(n))
        })
    });
    let proof_base = base.to_owned();
    let proofs = with_server_cpu(pid, || {
        run(
            "inclusion proofs",
            64,
            Until::Elapsed(phase),
            move |a, _| {
                let index = rand::thread_rng().gen_range(0..letters);
                get_ok(
                    a,
                    &format!(
                        "{proof_base}/api/v1/log/proof/inclusion?index={index}&tree_size={letters}"
                    ),
                )
            },
        )
    });
    // Verification requests: bundles of random letters, fetched first.
    let agent = load::agent();
    let mut bundles = Vec::new();
    for _ in 0..64 {
        let n = rand::thread_rng().gen_range(1..=letters);
        let mut response = agent.get(&url(n)).call()?;
        let body: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
        bundles.push(serde_json::to_vec(&body["bundle"])?);
    }
    let bundles = Arc::new(Mutex::new(bundles));
    let verify_url = format!("{base}/api/v1/verify");
    let verifications = with_server_cpu(pid, || {
        run("verifications", 64, Until::Elapsed(phase), move |a, n| {
            let body = match bundles.lock() {
                Ok(b) => b[(n % b.len() as u64) as usize].clone(),
                Err(_) => return false,
            };
            a.post(&verify_url)
                .header("Content-Type", "application/json")
                .send(&body[..])
                .map(|mut r| {
                    r.status().as_u16() == 200
                        && r.body_mut()
                            .read_to_string()
                            .is_ok_and(|t| t.contains("\"valid\""))
                })
                .unwrap_or(false)
        })
    });
    Ok(Stage {
        letters,
        lookups,
        proofs,
        verifications,
    })
}

#[derive(diesel::QueryableByName)]
struct RelationSize {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    bytes: i64,
}

/// The PostgreSQL database's size, from `pg_database_size`.
fn postgres_database_bytes(url: &str) -> Result<u64> {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let mut conn = PgConnection::establish(url).context("cannot connect to PostgreSQL")?;
    let size: RelationSize = diesel::sql_query(
        "SELECT current_database()::text AS name, pg_database_size(current_database()) AS bytes",
    )
    .get_result(&mut conn)?;
    Ok(size.bytes as u64)
}

/// Bytes per table and index, largest first: SQLite's `dbstat` (pages in
/// use), or PostgreSQL's relation sizes (a table with its TOAST data).
fn storage_by_relation(
    data_dir: &std::path::Path,
    url: Option<&str>,
) -> Result<Vec<(String, u64)>> {
    use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
    let rows: Vec<RelationSize> = match url {
        None => {
            let path = data_dir.join("sijil.db");
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                .context("cannot open the SQLite register")?;
            diesel::sql_query(
                "SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC",
            )
            .load(&mut conn)?
        }
        Some(url) => {
            let mut conn = PgConnection::establish(url).context("cannot connect to PostgreSQL")?;
            diesel::sql_query(
                "SELECT c.relname::text AS name, \
                 (pg_relation_size(c.oid) + COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0))::bigint AS bytes \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') ORDER BY bytes DESC",
            )
            .load(&mut conn)?
        }
    };
    Ok(rows
        .into_iter()
        .filter(|r| r.bytes > 8192)
        .map(|r| (r.name, r.bytes as u64))
        .collect())
}
