//! The load benchmark: `cargo run --release -p sijil-bench -- --letters 1000000`.
//!
//! It builds a fresh data directory, starts `sijil serve` on a free loopback
//! port, drives it with `wrk` and Lua scripts it generates (registrations at
//! C = 1, 16, 64, 256; lookups, verifications and proofs as the register grows
//! to 10^4, 10^5, 10^6 letters), measures the baselines in the same run (raw
//! CPU limit, one-transaction-per-letter inserts, a trivial actix handler),
//! and writes the results into docs/benchmarks.md and docs/benchmarks-{sqlite,postgresql}.json.

mod baselines;
mod letter;
mod load;
mod lua;
mod report;
mod server;
mod wrk;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use rand::Rng;

use letter::Numbering;
use load::{with_server_cpu, PhaseResult};
use lua::Requests;

/// Command line of the load benchmark.
#[derive(Parser, Debug)]
#[command(
    name = "sijil-bench",
    about = "Load benchmark of sijil serve (driven by wrk), with baselines"
)]
struct Args {
    /// Letters in the register at the end (lookups are measured at 10^4, 10^5, 10^6 on the way).
    #[arg(long, default_value_t = 100_000)]
    letters: u64,
    /// Seconds each measured phase runs (rounded up to whole seconds, as wrk takes them).
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// The sijil binary (default: build it in release mode with cargo).
    #[arg(long)]
    sijil: Option<PathBuf>,
    /// The wrk program (Debian: apt-get install wrk).
    #[arg(long, default_value = "wrk")]
    wrk: PathBuf,
    /// wrk threads (default: one per core).
    #[arg(long)]
    wrk_threads: Option<usize>,
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

impl Args {
    fn wrk(&self) -> Result<wrk::Wrk> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        wrk::Wrk::find(&self.wrk, self.wrk_threads.unwrap_or(cores))
    }
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
    /// The database, as in the report's title.
    pub backend: String,
    /// Letters in the register at the end.
    pub letters: u64,
    /// Where the run was made.
    pub machine: report::Machine,
    /// The load generator, e.g. `wrk 4.1.0, 2 threads`.
    pub load_generator: String,
    /// SHA-256 + Ed25519 + Merkle append in one thread, no I/O.
    pub raw_limit_per_second: f64,
    /// One SQLite transaction and fsync per letter.
    pub naive_inserts_per_second: f64,
    /// The trivial actix-web handler.
    pub trivial: PhaseResult,
    /// Registrations at each concurrency.
    pub registrations: Vec<PhaseResult>,
    /// Reads at each register size.
    pub stages: Vec<Stage>,
    /// The server's peak resident memory.
    pub peak_rss_kib: u64,
    /// The database's size on disk.
    pub database_bytes: u64,
    /// Database bytes per letter besides its 1 KiB document.
    pub database_bytes_per_letter: f64,
    /// Bytes per table and index, largest first: where the database's size goes.
    pub storage: Vec<(String, u64)>,
    /// `sijil audit` of the whole register.
    pub audit_seconds: f64,
}

/// Lookups, verifications and proofs with a given number of letters registered.
#[derive(serde::Serialize, Debug)]
pub struct Stage {
    /// Letters in the register during the stage.
    pub letters: u64,
    /// `GET /api/v1/receipts/{number}` of random letters.
    pub lookups: PhaseResult,
    /// `GET /api/v1/log/proof/inclusion` of random leaves.
    pub proofs: PhaseResult,
    /// `POST /api/v1/verify` of bundles of random letters.
    pub verifications: PhaseResult,
}

/// The register under load: the server, its numbering and how many letters
/// it holds (counted on the server, not guessed from wrk's answers).
struct Register<'a> {
    wrk: &'a wrk::Wrk,
    server: &'a server::Server,
    agent: ureq::Agent,
    token: String,
    numbering: Numbering,
    /// Letters registered (exactly: see [`load::count_letters`]).
    letters: u64,
    /// The next letter counter for a body (see [`letter::body`]).
    next: u64,
}

impl<'a> Register<'a> {
    /// One registration by hand: checks that registrations work and learns
    /// the numbering from the answer.
    fn first_letter(
        wrk: &'a wrk::Wrk,
        server: &'a server::Server,
        token: String,
    ) -> Result<Register<'a>> {
        let agent = load::agent();
        let mut response = agent
            .post(&format!("{}/api/v1/letters", server.base))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", &letter::content_type())
            .send(&letter::body(0)[..])
            .context("the first registration failed")?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string()?;
        if status != 201 {
            bail!("the first registration was answered {status}: {text}");
        }
        let answer: serde_json::Value = serde_json::from_str(&text)?;
        let number = answer["number"].as_str().unwrap_or_default();
        let numbering = Numbering::learn(number)
            .with_context(|| format!("unexpected letter number {number:?}"))?;
        Ok(Register {
            wrk,
            server,
            agent,
            token,
            numbering,
            letters: 1,
            next: 1,
        })
    }

    /// A timed phase of registrations with `c` connections.
    fn registrations(&mut self, c: usize, phase: Duration) -> Result<PhaseResult> {
        let name = "durable registrations";
        let requests = Requests::Registrations {
            token: self.token.clone(),
            first: self.next,
            quotas: None,
        };
        let mut last = -1;
        let result = with_server_cpu(self.server.pid(), || {
            let summary = self.wrk.run(name, &self.server.base, c, phase, &requests)?;
            last = summary.last;
            Ok(summary.phase(name, c))
        })?;
        self.next = self.next.max(u64::try_from(last + 1).unwrap_or(0));
        self.letters = self.settled(self.letters + result.requests)?;
        Ok(result)
    }

    /// The register's size once the registrations wrk left in flight when
    /// it stopped are in (two counts 300 ms apart agree).
    fn settled(&self, at_least: u64) -> Result<u64> {
        let mut letters = self.count(at_least)?;
        loop {
            std::thread::sleep(Duration::from_millis(300));
            let now = self.count(letters)?;
            if now == letters {
                return Ok(letters);
            }
            letters = now;
        }
    }

    fn count(&self, at_least: u64) -> Result<u64> {
        load::count_letters(&self.agent, &self.server.base, &self.numbering, at_least)
    }

    /// Registers letters (64 connections) until the register holds `target`:
    /// each wrk thread sends its share and stops; the bench watches the
    /// register and stops wrk once every letter is in.
    fn preload(&mut self, target: u64) -> Result<()> {
        if target <= self.letters {
            return Ok(());
        }
        let started = Instant::now();
        let c = 64;
        let threads = self.wrk.threads_for(c);
        let quotas = lua::quotas(target - self.letters, threads);
        let widest = quotas.iter().copied().max().unwrap_or(0);
        let requests = Requests::Registrations {
            token: self.token.clone(),
            first: self.next,
            quotas: Some(quotas),
        };
        let mut running = self.wrk.start(&self.server.base, c, &requests)?;
        let mut progress = Instant::now();
        while self.letters < target {
            std::thread::sleep(Duration::from_millis(500));
            running.exited()?;
            let now = self.count(self.letters)?;
            if now > self.letters {
                self.letters = now;
                progress = Instant::now();
            } else if progress.elapsed() > Duration::from_secs(60) {
                bail!(
                    "the preload stalled at {} letters (target {target})",
                    self.letters
                );
            }
        }
        running.stop()?;
        self.next += widest * threads as u64;
        eprintln!(
            "  preloaded to {} letters in {:.1} s",
            self.letters,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

fn bench(args: &Args) -> Result<Results> {
    let wrk = args.wrk()?;
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
    let trivial = with_server_cpu(trivial_server.pid(), || {
        let name = "trivial actix handler";
        let fixed = Requests::Fixed { path: "/".into() };
        Ok(wrk
            .run(name, &trivial_server.base, 64, phase, &fixed)?
            .phase(name, 64))
    })?;
    drop(trivial_server);

    let token = server::run({
        let mut c = server::command(&sijil, &data_dir, url);
        c.args(["token", "create", "--role", "clerk", "--name", "bench"]);
        c
    })?
    .trim()
    .to_owned();
    let server = server::Server::start(server::command(&sijil, &data_dir, url))?;
    eprintln!("sijil serve on {}", server.base);
    let mut register = Register::first_letter(&wrk, &server, token)?;

    eprintln!("registrations (1 KiB document each):");
    let mut registrations = Vec::new();
    for c in [1usize, 16, 64, 256] {
        registrations.push(register.registrations(c, phase)?);
    }

    let mut stages: Vec<Stage> = Vec::new();
    for target in stage_targets(args.letters) {
        register.preload(target)?;
        // A register that did not grow since the last stage is not measured twice.
        if stages.last().map(|s| s.letters) == Some(register.letters) {
            continue;
        }
        stages.push(measure_stage(
            &wrk,
            &server,
            &register.numbering,
            register.letters,
            phase,
        )?);
    }
    let letters = register.letters;
    let (peak_rss_kib, _) = server.memory_kib();
    server.stop()?;
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
        load_generator: wrk.describe(),
        raw_limit_per_second: raw,
        naive_inserts_per_second: naive,
        trivial,
        registrations,
        stages,
        peak_rss_kib,
        database_bytes,
        // Each letter's 1 KiB document is stored in the database (small documents are).
        database_bytes_per_letter: database_bytes.saturating_sub(letters * letter::DOCUMENT_BYTES)
            as f64
            / letters.max(1) as f64,
        storage,
        audit_seconds,
    })
}

/// The register sizes the reads are measured at: 10^4, 10^5, … up to `letters`.
fn stage_targets(letters: u64) -> Vec<u64> {
    let mut targets = Vec::new();
    let mut target = 10_000u64;
    loop {
        targets.push(target.min(letters));
        if target >= letters {
            return targets;
        }
        target = target.saturating_mul(10);
    }
}

/// Serves an existing register and measures its read phases only.
fn reads_only(args: &Args, data_dir: &std::path::Path) -> Result<()> {
    let wrk = args.wrk()?;
    let sijil = server::sijil_binary(args.sijil.clone())?;
    let server = server::Server::start(server::command(&sijil, data_dir, None))?;
    let agent = load::agent();
    let first = {
        let mut r = agent
            .get(&format!("{}/api/v1/log/entries/0", server.base))
            .call()?;
        let jws = sijil_receipt::jws::parse_compact(r.body_mut().read_to_string()?.trim())?;
        let claims = sijil_receipt::claims::RegistrationClaims::from_payload(&jws.payload)?;
        claims.number
    };
    let numbering =
        Numbering::learn(&first).with_context(|| format!("unexpected letter number {first:?}"))?;
    let letters = load::count_letters(&agent, &server.base, &numbering, 1)?;
    measure_stage(
        &wrk,
        &server,
        &numbering,
        letters,
        Duration::from_secs_f64(args.seconds),
    )?;
    let (peak, _) = server.memory_kib();
    eprintln!("server peak RSS {:.1} MiB", peak as f64 / 1024.0);
    server.stop()
}

/// One wrk phase at C = 64, with the server's CPU time per request.
fn read_phase(
    wrk: &wrk::Wrk,
    server: &server::Server,
    name: &str,
    phase: Duration,
    requests: &Requests,
) -> Result<PhaseResult> {
    with_server_cpu(server.pid(), || {
        Ok(wrk
            .run(name, &server.base, 64, phase, requests)?
            .phase(name, 64))
    })
}

/// Lookups, proofs and verifications over random letters of the register.
fn measure_stage(
    wrk: &wrk::Wrk,
    server: &server::Server,
    numbering: &Numbering,
    letters: u64,
    phase: Duration,
) -> Result<Stage> {
    eprintln!("with {letters} letters:");
    let lookups = read_phase(
        wrk,
        server,
        "receipt lookups",
        phase,
        &Requests::Lookups {
            numbering: numbering.clone(),
            letters,
        },
    )?;
    let proofs = read_phase(
        wrk,
        server,
        "inclusion proofs",
        phase,
        &Requests::Proofs { letters },
    )?;
    // Verification requests: bundles of random letters, fetched first and
    // checked once to verify (wrk then only sees the status of each answer).
    let agent = load::agent();
    let mut bodies = Vec::new();
    for _ in 0..64 {
        let n = rand::thread_rng().gen_range(1..=letters);
        let url = format!(
            "{}/api/v1/receipts/{}",
            server.base,
            numbering.path_segment(n)
        );
        let mut response = agent.get(&url).call()?;
        let body: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string()?)
            .with_context(|| format!("GET {url}"))?;
        let bundle = serde_json::to_vec(&body["bundle"])?;
        let mut check = agent
            .post(&format!("{}/api/v1/verify", server.base))
            .header("Content-Type", "application/json")
            .send(&bundle[..])?;
        let answer: serde_json::Value = serde_json::from_str(&check.body_mut().read_to_string()?)?;
        if answer["verdict"] != "valid" {
            bail!("the bundle of letter {n} does not verify: {answer}");
        }
        bodies.push(bundle);
    }
    let verifications = read_phase(
        wrk,
        server,
        "verifications",
        phase,
        &Requests::Verifications { bodies },
    )?;
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

#[cfg(test)]
mod tests {
    use super::stage_targets;

    #[test]
    fn stages_grow_tenfold_to_the_register_size() {
        assert_eq!(stage_targets(1_000_000), vec![10_000, 100_000, 1_000_000]);
        assert_eq!(stage_targets(250_000), vec![10_000, 100_000, 250_000]);
        assert_eq!(stage_targets(5_000), vec![5_000]);
    }
}
