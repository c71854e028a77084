//! Sijil's micro-benchmarks: the primitives a registration and a verification
//! are made of, measured one by one.
//!
//! - `sha256/<size>`: hashing a document, 1 KiB to 64 MiB;
//! - `receipt/sign`, `receipt/verify`: the Ed25519 compact JWS of a receipt;
//! - `checkpoint/sign`, `checkpoint/open`: the C2SP signed checkpoint;
//! - `merkle_append/<leaves>`: leaf hash plus frontier update, in memory,
//!   per batch of 1024 consecutive appends starting at a tree of that size;
//! - `inclusion_proof/<leaves>`, `consistency_proof/<leaves>`: proof
//!   generation from the tree a registry stores in SQLite, through
//!   `Registry::inclusion_proof` / `Registry::consistency_proof`;
//! - `bundle/verify`: `verify_bundle` on a real registry's bundle, in a log of
//!   1000 letters.
//!
//! Run: `cargo bench -p sijil-bench --bench primitives`. The proof trees are
//! bulk-loaded fixtures at 10^3, 10^5 and 10^7 leaves (the last one takes
//! about a minute and ~1 GB of temporary disk); `SIJIL_BENCH_SMALL=1` skips
//! 10^7. Outside `cargo bench` (e.g. `cargo test --benches`, where criterion
//! runs each benchmark once) only 10^3 is built.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::OnceCell;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use sijil_receipt::bundle::Bundle;
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::claims::{DocumentDigest, RegistrationClaims};
use sijil_receipt::jwks::Jwks;
use sijil_receipt::jws::{parse_compact, sign_compact};
use sijil_receipt::merkle::{
    fold_perfect, leaf_hash, node_hash, subtree_ranges_perfect, verify_consistency,
    verify_inclusion, Hash,
};
use sijil_receipt::metadata::{metadata_mac, Channel, LetterMetadata, Sender};
use sijil_receipt::note::{key_id, NoteVerifier};
use sijil_receipt::verify::{verify_bundle, DocumentCheckInput};
use sijil_registry::{NewLetter, Registry, RegistryOptions};
use tempfile::TempDir;

const ORIGIN: &str = "bo.mediateur.example";

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn random_bytes(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

fn random_hash(rng: &mut StdRng) -> Hash {
    let mut h = [0u8; 32];
    rng.fill_bytes(&mut h);
    h
}

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&random_hash(&mut rng(7)))
}

/// True when criterion measures (`cargo bench` passes `--bench`); false in
/// its test mode (`cargo test --benches`, or `--test`), where each benchmark
/// runs once, and when it only lists them.
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list")
}

/// Tree sizes of the proof and append benchmarks.
fn tree_sizes() -> Vec<u64> {
    let small = std::env::var("SIJIL_BENCH_SMALL").is_ok_and(|v| !v.is_empty() && v != "0");
    if !measuring() {
        vec![1_000]
    } else if small {
        vec![1_000, 100_000]
    } else {
        vec![1_000, 100_000, 10_000_000]
    }
}

// ---------------------------------------------------------------- SHA-256

fn bench_sha256(c: &mut Criterion) {
    let mut group = c.benchmark_group("sha256");
    let sizes: [(&str, usize); 5] = [
        ("1KiB", 1 << 10),
        ("64KiB", 64 << 10),
        ("1MiB", 1 << 20),
        ("16MiB", 16 << 20),
        ("64MiB", 64 << 20),
    ];
    let data = random_bytes(&mut rng(1), 64 << 20);
    for (name, size) in sizes {
        group.sample_size(if size >= 16 << 20 { 10 } else { 50 });
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(name),
            &data[..size],
            |b, doc| b.iter(|| Sha256::digest(black_box(doc))),
        );
    }
    group.finish();
}

// ---------------------------------------------------------------- receipts

fn sample_metadata() -> LetterMetadata {
    LetterMetadata {
        sender: Sender {
            name: "Fatima Zahra El Idrissi".into(),
            address: Some("12 rue des Orangers, Hay Riad, Rabat".into()),
            email: Some("f.elidrissi@example.ma".into()),
            national_id: Some("AB123456".into()),
        },
        reference: Some("REC-2026-0042".into()),
        addressee: Some("Service des réclamations".into()),
        subject: "Demande de relogement suite à la démolition".into(),
        channel: Channel::Paper,
        letter_date: Some("2026-11-20".into()),
        notes: None,
    }
}

/// A realistic receipt payload: one 180 KiB scanned document.
fn sample_claims() -> RegistrationClaims {
    let document = random_bytes(&mut rng(2), 180 << 10);
    RegistrationClaims {
        registry: ORIGIN.into(),
        number: "BO-2026-000123".into(),
        index: 122,
        registered_at: "2026-11-20T09:15:00.123Z".into(),
        documents: vec![DocumentDigest {
            sha256: sijil_receipt::sha256_hex(&document),
            size: document.len() as u64,
        }],
        metadata_sha256: metadata_mac("7KQF-2M9X-PL4D", &sample_metadata()).unwrap(),
    }
}

fn bench_receipt(c: &mut Criterion) {
    let key = signing_key();
    let verifying_key = key.verifying_key();
    let kid = key_id(ORIGIN, &verifying_key);
    let payload = sample_claims().to_payload();
    let jws = sign_compact(&payload, &kid, &key);
    parse_compact(&jws).unwrap().verify(&verifying_key).unwrap();

    let mut group = c.benchmark_group("receipt");
    group.bench_function("sign", |b| {
        b.iter(|| sign_compact(black_box(&payload), &kid, &key))
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            parse_compact(black_box(&jws))
                .unwrap()
                .verify(&verifying_key)
                .unwrap()
        })
    });
    group.finish();
}

fn bench_checkpoint(c: &mut Criterion) {
    let key = signing_key();
    let verifier = NoteVerifier::new(ORIGIN, key.verifying_key()).unwrap();
    let checkpoint = Checkpoint {
        origin: ORIGIN.into(),
        size: 1_234_567,
        root: random_hash(&mut rng(3)),
        extensions: Vec::new(),
    };
    let note = checkpoint.sign(&key).unwrap();
    assert_eq!(
        Checkpoint::open(&note, std::slice::from_ref(&verifier)).unwrap(),
        checkpoint
    );
    let verifiers = [verifier];

    let mut group = c.benchmark_group("checkpoint");
    group.bench_function("sign", |b| {
        b.iter(|| black_box(&checkpoint).sign(&key).unwrap())
    });
    group.bench_function("open", |b| {
        b.iter(|| Checkpoint::open(black_box(&note), &verifiers).unwrap())
    });
    group.finish();
}

// ---------------------------------------------------------------- Merkle append

/// The right frontier of a tree, as in sijil-registry's `log/frontier.rs`:
/// the perfect subtrees covering `[0, size)`, largest first.
#[derive(Clone)]
struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    /// A frontier of `size` leaves made of random perfect-node hashes (an
    /// append costs the same whatever the values).
    fn random(size: u64, rng: &mut StdRng) -> Self {
        let nodes = subtree_ranges_perfect(0..size)
            .into_iter()
            .map(|_| random_hash(rng))
            .collect();
        Frontier { size, nodes }
    }

    /// Appends a leaf hash; pushes every node it completes (the leaf
    /// included) onto `out`, as the sequencer does to write them.
    fn append(&mut self, leaf: Hash, out: &mut Vec<(u32, u64, Hash)>) {
        let mut level = 0u32;
        let mut index = self.size;
        let mut hash = leaf;
        out.push((level, index, hash));
        while index & 1 == 1 {
            match self.nodes.pop() {
                Some(left) => hash = node_hash(&left, &hash),
                None => break,
            }
            level += 1;
            index >>= 1;
            out.push((level, index, hash));
        }
        self.nodes.push(hash);
        self.size += 1;
    }

    fn root(&self) -> Hash {
        fold_perfect(&self.nodes)
    }
}

/// Appends measured per iteration of `merkle_append`.
const APPENDS: u64 = 1024;

fn bench_merkle_append(c: &mut Criterion) {
    let payload = sample_claims().to_payload();
    let mut group = c.benchmark_group("merkle_append");
    group.throughput(Throughput::Elements(APPENDS));
    let mut r = rng(4);
    for n in tree_sizes() {
        let frontier = Frontier::random(n, &mut r);
        group.bench_with_input(BenchmarkId::from_parameter(n), &frontier, |b, frontier| {
            b.iter_batched_ref(
                || {
                    (
                        frontier.clone(),
                        Vec::with_capacity(2 * APPENDS as usize + 64),
                    )
                },
                |(frontier, out)| {
                    for _ in 0..APPENDS {
                        frontier.append(leaf_hash(black_box(&payload)), out);
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

// ---------------------------------------------------------------- proofs

diesel::table! {
    tree_nodes (level, node_index) {
        level -> Integer,
        node_index -> BigInt,
        hash -> Binary,
    }
}

#[derive(Insertable)]
#[diesel(table_name = tree_nodes)]
struct NodeInsert<'a> {
    level: i32,
    node_index: i64,
    hash: &'a [u8],
}

/// Rows per multi-row INSERT (3 variables each, well under SQLite's limit).
const INSERT_CHUNK: usize = 2_000;

fn flush(conn: &mut SqliteConnection, rows: &mut Vec<(u32, u64, Hash)>) -> QueryResult<()> {
    let values: Vec<NodeInsert<'_>> = rows
        .iter()
        .map(|(level, index, hash)| NodeInsert {
            level: *level as i32,
            node_index: *index as i64,
            hash: &hash[..],
        })
        .collect();
    diesel::insert_into(tree_nodes::table)
        .values(&values)
        .execute(conn)?;
    rows.clear();
    Ok(())
}

/// A registry whose stored tree holds `n` random leaves, and what the
/// benchmark checks its proofs against.
struct ProofFixture {
    registry: Registry,
    _dir: TempDir,
    n: u64,
    /// Random leaf indices, and random old sizes in `1..n`, to cycle through.
    indices: Vec<u64>,
    old_sizes: Vec<u64>,
}

/// What the bulk load remembers to check the registry's proofs with.
struct Expected {
    root: Hash,
    /// (index, leaf hash) of a few leaves.
    leaves: Vec<(u64, Hash)>,
    /// (size, root) of one earlier tree.
    old: (u64, Hash),
}

/// Writes every perfect node of a tree of `n` random leaves into the
/// registry's SQLite file, in one transaction, in the order the sequencer
/// writes them (each leaf, then the nodes it completes). Memory stays
/// O(log n): only the frontier and one insert chunk are held.
fn bulk_load(db: &Path, n: u64, seed: u64) -> (Expected, u64) {
    let mut r = rng(seed);
    let wanted: Vec<u64> = vec![0, n - 1, n / 2, r.gen_range(0..n), r.gen_range(0..n)];
    let old_size = r.gen_range(1..n);
    let mut conn = SqliteConnection::establish(&db.to_string_lossy()).unwrap();
    conn.batch_execute(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
         PRAGMA cache_size = -262144; PRAGMA locking_mode = EXCLUSIVE;",
    )
    .unwrap();
    let mut expected = Expected {
        root: [0; 32],
        leaves: Vec::new(),
        old: (old_size, [0; 32]),
    };
    let mut rows_total = 0u64;
    conn.transaction(|conn| {
        let mut frontier = Frontier {
            size: 0,
            nodes: Vec::new(),
        };
        let mut rows = Vec::with_capacity(INSERT_CHUNK + 64);
        for i in 0..n {
            let leaf = random_hash(&mut r);
            if wanted.contains(&i) {
                expected.leaves.push((i, leaf));
            }
            frontier.append(leaf, &mut rows);
            if frontier.size == old_size {
                expected.old.1 = frontier.root();
            }
            if rows.len() >= INSERT_CHUNK {
                rows_total += rows.len() as u64;
                flush(conn, &mut rows)?;
            }
        }
        rows_total += rows.len() as u64;
        flush(conn, &mut rows)?;
        expected.root = frontier.root();
        diesel::sql_query("INSERT INTO checkpoints (tree_size, note) VALUES (?, 'bench')")
            .bind::<diesel::sql_types::BigInt, _>(n as i64)
            .execute(conn)?;
        diesel::sql_query("UPDATE log_head SET tree_size = ?")
            .bind::<diesel::sql_types::BigInt, _>(n as i64)
            .execute(conn)?;
        QueryResult::Ok(())
    })
    .unwrap();
    (expected, rows_total)
}

fn registry_options(dir: &Path) -> RegistryOptions {
    let mut options = RegistryOptions::new(dir);
    options.origin = Some(ORIGIN.into());
    options
}

fn proof_fixture(n: u64) -> ProofFixture {
    let dir = tempfile::tempdir().unwrap();
    {
        let registry = Registry::open(registry_options(dir.path())).unwrap();
        registry.shutdown();
    }
    let started = Instant::now();
    let (expected, rows) = bulk_load(&dir.path().join("sijil.db"), n, n ^ 0x5131);
    let load = started.elapsed();
    let registry = Registry::open(registry_options(dir.path())).unwrap();
    let db_bytes = std::fs::metadata(dir.path().join("sijil.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    eprintln!(
        "fixture: {n} leaves, {rows} tree nodes bulk-loaded into SQLite in {:.2} s \
         ({:.0} rows/s, database {:.1} MiB)",
        load.as_secs_f64(),
        rows as f64 / load.as_secs_f64(),
        db_bytes as f64 / (1 << 20) as f64,
    );
    assert_eq!(rows, (0..64).map(|level| n >> level).sum::<u64>());

    // The fixture is right: proofs from the stored tree check against the
    // root computed while loading.
    for (index, leaf) in &expected.leaves {
        let proof = registry.log().inclusion_proof(*index, n).unwrap();
        verify_inclusion(*index, n, leaf, &proof.hashes, &expected.root).unwrap();
    }
    let (old_size, old_root) = expected.old;
    let proof = registry.log().consistency_proof(old_size, n).unwrap();
    verify_consistency(old_size, n, &old_root, &expected.root, &proof).unwrap();

    let mut r = rng(n ^ 0xbe4c);
    let indices: Vec<u64> = (0..4096).map(|_| r.gen_range(0..n)).collect();
    let old_sizes: Vec<u64> = (0..4096).map(|_| r.gen_range(1..n)).collect();
    // Warm the pool and the page cache before criterion's own warm-up, which
    // ends early when the fixture is built inside it.
    for (i, m) in indices.iter().zip(&old_sizes).take(2000) {
        registry.log().inclusion_proof(*i, n).unwrap();
        registry.log().consistency_proof(*m, n).unwrap();
    }
    ProofFixture {
        registry,
        _dir: dir,
        n,
        indices,
        old_sizes,
    }
}

fn bench_proofs(c: &mut Criterion) {
    for n in tree_sizes() {
        // Built on first use only, so that a filter skipping these
        // benchmarks skips the bulk load too.
        let fixture: OnceCell<ProofFixture> = OnceCell::new();
        let mut group = c.benchmark_group("inclusion_proof");
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let f = fixture.get_or_init(|| proof_fixture(n));
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) % f.indices.len();
                f.registry.log().inclusion_proof(f.indices[i], f.n).unwrap()
            })
        });
        group.finish();
        let mut group = c.benchmark_group("consistency_proof");
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let f = fixture.get_or_init(|| proof_fixture(n));
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) % f.old_sizes.len();
                f.registry
                    .log()
                    .consistency_proof(f.old_sizes[i], f.n)
                    .unwrap()
            })
        });
        group.finish();
        // Dropping the fixture closes the registry and deletes its directory.
        drop(fixture);
    }
}

// ---------------------------------------------------------------- bundle

/// Letters in the log of the bundle benchmark.
const BUNDLE_LOG: usize = 1000;

struct BundleFixture {
    bundle: Bundle,
    jwks: Jwks,
    document: DocumentCheckInput,
    _registry: Registry,
    _dir: TempDir,
}

fn bundle_fixture() -> BundleFixture {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(registry_options(dir.path())).unwrap();
    let bytes = random_bytes(&mut rng(5), 180 << 10);
    let stored = registry
        .documents()
        .store("scan.pdf", "application/pdf", &mut &bytes[..], None)
        .unwrap();
    let started = Instant::now();
    // Several writers, so the sequencer batches the commits.
    let threads = 8;
    let mut numbers: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let registry = registry.clone();
                let stored = stored.clone();
                s.spawn(move || {
                    (t..BUNDLE_LOG)
                        .step_by(threads)
                        .map(|_| {
                            let letter = NewLetter {
                                metadata: sample_metadata(),
                                documents: vec![stored.clone()],
                            };
                            registry.letters().register(letter).unwrap().number
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    eprintln!(
        "fixture: {BUNDLE_LOG} letters registered in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    // A letter from the middle of the log (numbers are zero-padded, so they
    // sort in log order), with a fresh proof against the latest checkpoint.
    numbers.sort();
    let lookup = registry
        .letters()
        .lookup(&numbers[numbers.len() / 2])
        .unwrap();
    let bundle = lookup.bundle;
    assert_eq!(bundle.inclusion_proof.tree_size, BUNDLE_LOG as u64);
    let jwks = registry.jwks().unwrap();
    let document = DocumentCheckInput {
        label: "scan.pdf".into(),
        sha256: stored.sha256.clone(),
        size: Some(stored.size),
    };
    let report = verify_bundle(&bundle, &jwks, std::slice::from_ref(&document));
    assert!(report.passed(), "{:#?}", report.checks);
    for _ in 0..200 {
        black_box(verify_bundle(
            &bundle,
            &jwks,
            std::slice::from_ref(&document),
        ));
    }
    eprintln!(
        "fixture: bundle of leaf {} in a tree of {}, {} proof hashes",
        bundle.inclusion_proof.index,
        bundle.inclusion_proof.tree_size,
        bundle.inclusion_proof.hashes.len()
    );
    BundleFixture {
        bundle,
        jwks,
        document,
        _registry: registry,
        _dir: dir,
    }
}

fn bench_bundle(c: &mut Criterion) {
    let fixture: OnceCell<BundleFixture> = OnceCell::new();
    let mut group = c.benchmark_group("bundle");
    group.bench_function("verify", |b| {
        let f = fixture.get_or_init(bundle_fixture);
        let documents = std::slice::from_ref(&f.document);
        b.iter(|| {
            let report = verify_bundle(black_box(&f.bundle), &f.jwks, documents);
            assert!(report.passed());
            report
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_sha256, bench_receipt, bench_checkpoint, bench_merkle_append,
        bench_proofs, bench_bundle
}
criterion_main!(benches);
