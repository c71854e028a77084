//! Upgrading a register written by the previous release (0.1.0).
//!
//! `tests/fixtures/upgrade/v0.1.0-*` were made by the 0.1.0 binary and must
//! never be regenerated (see their README). Each test copies one to a
//! temporary directory, opens it with the current code — which applies every
//! newer migration — and checks that what the old release handed out (receipts,
//! bundles, checkpoints, documents, tokens) survives byte for byte, and that
//! the log and the numbering go on from where it stopped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use common::{Backend, ManualClock};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde::Deserialize;
use sijil_receipt::bundle::Bundle;
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::jws::parse_compact;
use sijil_receipt::merkle;
use sijil_receipt::metadata::{metadata_mac, LetterMetadata};
use sijil_receipt::note::NoteVerifier;
use sijil_receipt::sha256_hex;
use sijil_receipt::verify::{verify_bundle, DocumentCheckInput};
use sijil_registry::{AuditOptions, Clock, NewLetter, Registry, RegistryOptions, Role};
use tempfile::TempDir;

on_both_backends!(
    the_fixture_is_the_old_release_output_untouched,
    an_upgraded_registry_passes_the_audit,
    every_old_receipt_is_served_with_the_same_bytes_and_verifies,
    every_old_bundle_still_verifies_with_the_current_key_ring,
    every_old_document_opens_and_hashes_to_its_receipt,
    the_old_latest_checkpoint_is_served_unchanged,
    the_old_checkpoints_are_consistent_with_new_ones,
    the_old_token_still_authenticates_and_the_revoked_one_does_not,
    new_letters_continue_the_numbering_and_the_log,
);

// ---------------------------------------------------------------------------
// The fixture

#[derive(Deserialize)]
struct Expected {
    origin: String,
    /// The note verifier keys the old release published (`init`, `keys rotate`).
    note_verifiers: Vec<String>,
    tokens: Vec<ExpectedToken>,
    /// The last leaf signed by the first key.
    rotation_after_index: u64,
    letters: Vec<ExpectedLetter>,
    latest_checkpoint: ExpectedCheckpoint,
}

#[derive(Deserialize)]
struct ExpectedToken {
    id: i64,
    name: String,
    role: String,
    secret: String,
    revoked: bool,
}

#[derive(Deserialize)]
struct ExpectedLetter {
    number: String,
    index: u64,
    registered_at: String,
    access_code: String,
    metadata: serde_json::Value,
    documents: Vec<ExpectedDocument>,
    bundle_file: String,
    bundle: Bundle,
}

#[derive(Deserialize)]
struct ExpectedDocument {
    file_name: String,
    media_type: String,
    sha256: String,
    size: u64,
}

#[derive(Deserialize)]
struct ExpectedCheckpoint {
    tree_size: u64,
    note: String,
}

impl ExpectedLetter {
    fn document_inputs(&self) -> Vec<DocumentCheckInput> {
        self.documents
            .iter()
            .map(|d| document_input(&d.file_name, &d.sha256, d.size))
            .collect()
    }
}

/// A document for `verify_bundle`'s document check.
fn document_input(label: &str, sha256: &str, size: u64) -> DocumentCheckInput {
    DocumentCheckInput {
        label: label.into(),
        sha256: sha256.into(),
        size: Some(size),
    }
}

fn fixture_dir(backend: Backend) -> PathBuf {
    let name = match backend {
        Backend::Sqlite => "v0.1.0-sqlite",
        Backend::Postgres => "v0.1.0-postgres",
    };
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upgrade")
        .join(name)
}

fn expected(backend: Backend) -> Expected {
    let path = fixture_dir(backend).join("expected.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A copy of the old register, opened (and so migrated) by the current code.
struct Upgraded {
    registry: Registry,
    expected: Expected,
    clock: Arc<ManualClock>,
    database_url: Option<String>,
    dir: TempDir,
}

impl Upgraded {
    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn last_old_letter(&self) -> &ExpectedLetter {
        self.expected.letters.last().unwrap()
    }

    /// The checkpoint a client kept from the old release, opened with the
    /// verifier keys the old release published.
    fn open_old_checkpoint(&self, note: &str) -> Checkpoint {
        let verifiers: Vec<NoteVerifier> = self
            .expected
            .note_verifiers
            .iter()
            .map(|v| NoteVerifier::parse(v).unwrap())
            .collect();
        Checkpoint::open(note, &verifiers).unwrap()
    }

    /// A checkpoint served now, opened with the registry's current key ring.
    fn open_current_checkpoint(&self, note: &str) -> Checkpoint {
        let verifiers = self
            .registry
            .jwks()
            .unwrap()
            .note_verifiers(&self.expected.origin);
        Checkpoint::open(note, &verifiers).unwrap()
    }
}

fn upgrade(backend: Backend) -> Upgraded {
    let fixture = fixture_dir(backend);
    let expected = expected(backend);
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir(&data_dir).unwrap();
    std::fs::copy(fixture.join("sijil.toml"), data_dir.join("sijil.toml")).unwrap();
    copy_tree(&fixture.join("keys"), &data_dir.join("keys"));
    copy_tree(&fixture.join("documents"), &data_dir.join("documents"));
    let database_url = match backend {
        Backend::Sqlite => {
            std::fs::copy(fixture.join("sijil.db"), data_dir.join("sijil.db")).unwrap();
            None
        }
        Backend::Postgres => {
            let url = sijil_testkit::PgCluster::shared().create_database();
            restore_dump(&url, &fixture.join("dump.sql"));
            Some(url)
        }
    };
    // Git keeps no file modes; the registry insists on these.
    set_mode(&data_dir, 0o700);
    set_mode(&data_dir.join("keys/signing-key.pem"), 0o600);

    // Just after the fixture's last registration: same year, no rollover.
    let last = DateTime::parse_from_rfc3339(&expected.letters.last().unwrap().registered_at)
        .unwrap()
        .with_timezone(&Utc);
    let clock = ManualClock::at(last + Duration::seconds(1));
    let mut options = RegistryOptions::new(&data_dir);
    options.database_url = database_url.clone();
    options.clock = clock.clone();
    let registry =
        Registry::open(options).expect("the current code opens (and migrates) the old register");
    Upgraded {
        registry,
        expected,
        clock,
        database_url,
        dir,
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Restores a `pg_dump --format=plain --inserts` file: plain SQL but for the
/// `\restrict` / `\unrestrict` psql meta-commands of recent pg_dump versions.
fn restore_dump(url: &str, dump: &Path) {
    let text = std::fs::read_to_string(dump).unwrap();
    let sql: String = text
        .lines()
        .filter(|line| !line.starts_with("\\restrict ") && !line.starts_with("\\unrestrict "))
        .flat_map(|line| [line, "\n"])
        .collect();
    assert!(
        !sql.lines().any(|l| l.starts_with('\\')),
        "the dump has psql meta-commands batch_execute cannot run"
    );
    PgConnection::establish(url)
        .unwrap()
        .batch_execute(&sql)
        .expect("the old dump restores");
}

fn read_document(registry: &Registry, sha256: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    registry
        .letters()
        .open_document(sha256)
        .unwrap_or_else(|e| panic!("document {sha256}: {e}"))
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

/// The claims of a receipt as raw JSON (independent of the claims types).
fn claims_of(receipt: &str) -> serde_json::Value {
    serde_json::from_slice(&parse_compact(receipt).unwrap().payload).unwrap()
}

fn kid_of(receipt: &str) -> String {
    parse_compact(receipt).unwrap().header.kid.unwrap()
}

fn assert_audit_passes(registry: &Registry) {
    let report = registry.audit(AuditOptions::default()).unwrap();
    assert!(report.passed(), "audit problems: {:#?}", report.problems);
}

// ---------------------------------------------------------------------------
// The tests

fn the_fixture_is_the_old_release_output_untouched(backend: Backend) {
    let fixture = fixture_dir(backend);
    let expected = expected(backend);
    // A clean close of the old release: nothing left in a WAL beside the file.
    for leftover in ["sijil.db-wal", "sijil.db-shm", "sijil.db-journal"] {
        assert!(
            !fixture.join(leftover).exists(),
            "{leftover} in the fixture"
        );
    }
    assert_eq!(
        fixture.join("sijil.db").exists(),
        matches!(backend, Backend::Sqlite)
    );
    assert_eq!(expected.letters.len(), 7);
    assert_eq!(
        expected.latest_checkpoint.tree_size,
        expected.letters.len() as u64
    );
    for (i, letter) in expected.letters.iter().enumerate() {
        assert_eq!(letter.index, i as u64);
        // The bundle file is exactly what `sijil register --out` wrote.
        let file = fixture.join("bundles").join(&letter.bundle_file);
        let printed: Bundle = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        assert_eq!(printed, letter.bundle, "{}", letter.number);
    }
    assert_eq!(
        expected.letters.last().unwrap().bundle.checkpoint,
        expected.latest_checkpoint.note
    );
}

fn an_upgraded_registry_passes_the_audit(backend: Backend) {
    let t = upgrade(backend);
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    assert!(report.passed(), "audit problems: {:#?}", report.problems);
    assert_eq!(report.tree_size, t.expected.letters.len() as u64);
    assert_eq!(t.registry.config().origin, t.expected.origin);
}

fn every_old_receipt_is_served_with_the_same_bytes_and_verifies(backend: Backend) {
    let t = upgrade(backend);
    let jwks = t.registry.jwks().unwrap();
    let size = t.expected.latest_checkpoint.tree_size;
    for old in &t.expected.letters {
        let found = t
            .registry
            .letters()
            .lookup(&old.number)
            .unwrap_or_else(|e| panic!("lookup {}: {e}", old.number));
        assert_eq!(found.bundle.receipt, old.bundle.receipt, "{}", old.number);
        assert_eq!(
            t.registry.log().entry(old.index).unwrap(),
            old.bundle.receipt,
            "log entry {}",
            old.index
        );
        // A fresh proof against the latest (old) checkpoint, with every document.
        assert_eq!(found.bundle.inclusion_proof.index, old.index);
        assert_eq!(found.bundle.inclusion_proof.tree_size, size);
        let report = verify_bundle(&found.bundle, &jwks, &old.document_inputs());
        assert!(report.passed(), "{}: {:#?}", old.number, report.checks);

        // The record behind the receipt is readable and unchanged.
        let record = serde_json::to_value(&found.letter).unwrap();
        assert_eq!(record["number"], old.number.as_str());
        assert_eq!(record["index"], old.index);
        assert_eq!(record["registered_at"], old.registered_at.as_str());
        assert_eq!(record["access_code"], old.access_code.as_str());
        assert_eq!(record["metadata"], old.metadata, "{}", old.number);
        let documents = record["documents"].as_array().unwrap();
        assert_eq!(documents.len(), old.documents.len(), "{}", old.number);
        for (i, (got, want)) in documents.iter().zip(&old.documents).enumerate() {
            assert_eq!(got["position"], i as u64 + 1);
            assert_eq!(got["file_name"], want.file_name.as_str());
            assert_eq!(got["media_type"], want.media_type.as_str());
            assert_eq!(got["sha256"], want.sha256.as_str());
            assert_eq!(got["size"], want.size);
        }
        // And it still opens the receipt's metadata hash.
        let metadata: LetterMetadata = serde_json::from_value(old.metadata.clone()).unwrap();
        let claims = claims_of(&found.bundle.receipt);
        assert_eq!(
            claims["metadata_sha256"],
            metadata_mac(&old.access_code, &metadata).unwrap().as_str()
        );
        assert_eq!(claims["number"], old.number.as_str());
        assert_eq!(claims["index"], old.index);
    }
    // The Arabic letter came through intact.
    let arabic = t.registry.letters().lookup("BO-2026-000002").unwrap();
    assert_eq!(arabic.letter.metadata.sender.name, "محمد بن عبد الله");
    assert_eq!(arabic.letter.metadata.subject, "طلب شهادة السكنى");
}

fn every_old_bundle_still_verifies_with_the_current_key_ring(backend: Backend) {
    let t = upgrade(backend);
    let jwks = t.registry.jwks().unwrap();
    assert_eq!(jwks.keys.len(), 2, "both keys of the old key ring are kept");
    let first_kid = kid_of(&t.expected.letters[0].bundle.receipt);
    let second_kid = kid_of(&t.last_old_letter().bundle.receipt);
    assert_ne!(first_kid, second_kid);
    assert!(jwks.find(&first_kid).unwrap().not_after.is_some());
    assert!(jwks.find(&second_kid).unwrap().not_after.is_none());
    for old in &t.expected.letters {
        let kid = if old.index <= t.expected.rotation_after_index {
            &first_kid
        } else {
            &second_kid
        };
        assert_eq!(&kid_of(&old.bundle.receipt), kid, "{}", old.number);
        // The bundle exactly as the old release printed it at registration.
        let report = verify_bundle(&old.bundle, &jwks, &old.document_inputs());
        assert!(report.passed(), "{}: {:#?}", old.number, report.checks);
    }
}

fn every_old_document_opens_and_hashes_to_its_receipt(backend: Backend) {
    let t = upgrade(backend);
    let mut seen_large = false;
    for old in &t.expected.letters {
        for doc in &old.documents {
            let bytes = read_document(&t.registry, &doc.sha256);
            assert_eq!(bytes.len() as u64, doc.size, "{}", doc.file_name);
            assert_eq!(sha256_hex(&bytes), doc.sha256, "{}", doc.file_name);
            if doc.size > 256 * 1024 {
                seen_large = true;
                // The old release stored it as a file, named by its hash.
                let file = t
                    .data_dir()
                    .join("documents")
                    .join(&doc.sha256[..2])
                    .join(&doc.sha256);
                assert_eq!(std::fs::read(file).unwrap(), bytes);
            }
        }
    }
    assert!(seen_large, "the fixture has a document over 256 KiB");
    // A document shared by two letters is found with both.
    let shared = &t.expected.letters[0].documents[0];
    let numbers: Vec<String> = t
        .registry
        .letters()
        .lookup_by_document(&shared.sha256)
        .unwrap()
        .into_iter()
        .map(|found| found.letter.number)
        .collect();
    assert_eq!(numbers, ["BO-2026-000001", "BO-2026-000004"]);
}

fn the_old_latest_checkpoint_is_served_unchanged(backend: Backend) {
    let t = upgrade(backend);
    let served = t.registry.log().checkpoint().unwrap();
    assert_eq!(served.tree_size, t.expected.latest_checkpoint.tree_size);
    assert_eq!(served.note, t.expected.latest_checkpoint.note);
    let old = t.open_old_checkpoint(&t.expected.latest_checkpoint.note);
    assert_eq!(old.origin, t.expected.origin);
    assert_eq!(old.size, t.expected.latest_checkpoint.tree_size);
}

fn the_old_checkpoints_are_consistent_with_new_ones(backend: Backend) {
    let t = upgrade(backend);
    let new_letter = t
        .registry
        .letters()
        .register(NewLetter {
            metadata: common::metadata("Après la mise à jour"),
            documents: vec![],
        })
        .unwrap();
    let latest = t.registry.log().checkpoint().unwrap();
    assert_eq!(latest.note, new_letter.bundle.checkpoint);
    let new = t.open_current_checkpoint(&latest.note);
    assert_eq!(new.size, t.expected.latest_checkpoint.tree_size + 1);
    // The latest old checkpoint, and the one in every old bundle (signed by
    // either key), are prefixes of the new tree.
    let old_notes = std::iter::once(&t.expected.latest_checkpoint.note)
        .chain(t.expected.letters.iter().map(|l| &l.bundle.checkpoint));
    for note in old_notes {
        let old = t.open_old_checkpoint(note);
        let proof = t
            .registry
            .log()
            .consistency_proof(old.size, new.size)
            .unwrap();
        merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &proof)
            .unwrap_or_else(|e| panic!("from size {} to {}: {e}", old.size, new.size));
        let proof = sijil_receipt::bundle::ConsistencyProof {
            from: old.size,
            to: new.size,
            hashes: proof,
        };
        proof.verify(&old.root, &new.root).unwrap();
    }
}

fn the_old_token_still_authenticates_and_the_revoked_one_does_not(backend: Backend) {
    let t = upgrade(backend);
    for token in &t.expected.tokens {
        let found = t.registry.access().authenticate(&token.secret).unwrap();
        if token.revoked {
            assert!(found.is_none(), "revoked token {} accepted", token.name);
        } else {
            let info = found.unwrap_or_else(|| panic!("token {} refused", token.name));
            assert_eq!(info.id, token.id);
            assert_eq!(info.name, token.name);
            assert_eq!(info.role.as_str(), token.role);
            assert!(info.revoked_at.is_none());
        }
    }
    let amina = t
        .registry
        .access()
        .authenticate(&t.expected.tokens[0].secret)
        .unwrap()
        .unwrap();
    assert_eq!((amina.name.as_str(), amina.role), ("Amina", Role::Clerk));
    let listed = t.registry.access().list_tokens().unwrap();
    assert_eq!(listed.len(), t.expected.tokens.len());
    // A token made after the upgrade takes the next id and works too.
    let (info, secret) = t
        .registry
        .access()
        .create_token("Nouvel agent", Role::Auditor)
        .unwrap();
    assert_eq!(info.id, t.expected.tokens.len() as i64 + 1);
    assert_eq!(
        t.registry
            .access()
            .authenticate(&secret)
            .unwrap()
            .unwrap()
            .role,
        Role::Auditor
    );
}

fn new_letters_continue_the_numbering_and_the_log(backend: Backend) {
    let t = upgrade(backend);
    let last = t.last_old_letter();
    let next_index = last.index + 1;
    let current_kid = kid_of(&last.bundle.receipt);
    let small = t
        .registry
        .documents()
        .store(
            "suite.pdf",
            "application/pdf",
            &mut &b"%PDF-1.7 after the upgrade"[..],
            None,
        )
        .unwrap();
    let large_bytes: Vec<u8> = (0..300 * 1024u32).map(|i| (i * 7 % 251) as u8).collect();
    let large = t
        .registry
        .documents()
        .store("plan.tif", "image/tiff", &mut &large_bytes[..], None)
        .unwrap();
    let first = t
        .registry
        .letters()
        .register(NewLetter {
            metadata: common::metadata("Première lettre après la mise à jour"),
            documents: vec![small.clone(), large.clone()],
        })
        .unwrap();
    t.clock.set(t.clock.now() + Duration::seconds(5));
    let second = t
        .registry
        .letters()
        .register(NewLetter {
            metadata: common::metadata("Deuxième lettre après la mise à jour"),
            documents: vec![],
        })
        .unwrap();
    assert_eq!(
        [first.number.as_str(), second.number.as_str()],
        ["BO-2026-000008", "BO-2026-000009"],
        "the numbering goes on from the old counter, without a gap"
    );
    assert_eq!([first.index, second.index], [next_index, next_index + 1]);
    assert!(first.registered_at > last.registered_at);
    assert_eq!(kid_of(&first.bundle.receipt), current_kid);
    let jwks = t.registry.jwks().unwrap();
    let documents = [
        document_input("suite.pdf", &small.sha256, small.size),
        document_input("plan.tif", &large.sha256, large.size),
    ];
    for registration in [&first, &second] {
        let docs: &[DocumentCheckInput] = if registration.index == first.index {
            &documents
        } else {
            &[]
        };
        let report = verify_bundle(&registration.bundle, &jwks, docs);
        assert!(
            report.passed(),
            "{}: {:#?}",
            registration.number,
            report.checks
        );
        let found = t.registry.letters().lookup(&registration.number).unwrap();
        assert_eq!(found.bundle.receipt, registration.bundle.receipt);
        assert!(verify_bundle(&found.bundle, &jwks, docs).passed());
    }
    assert_eq!(read_document(&t.registry, &large.sha256), large_bytes);
    // Old receipts are still served with proofs into the grown tree.
    for old in &t.expected.letters {
        let found = t.registry.letters().lookup(&old.number).unwrap();
        assert_eq!(found.bundle.receipt, old.bundle.receipt);
        assert_eq!(found.bundle.inclusion_proof.tree_size, next_index + 2);
        assert!(verify_bundle(&found.bundle, &jwks, &old.document_inputs()).passed());
    }
    assert_audit_passes(&t.registry);

    // Another process opening the upgraded register (no migration left to run).
    t.registry.shutdown();
    let mut options = RegistryOptions::new(t.data_dir());
    options.database_url = t.database_url.clone();
    options.clock = t.clock.clone();
    let reopened = Registry::open(options).unwrap();
    let third = reopened
        .letters()
        .register(NewLetter {
            metadata: common::metadata("Après réouverture"),
            documents: vec![],
        })
        .unwrap();
    assert_eq!(third.number, "BO-2026-000010");
    assert_eq!(third.index, next_index + 2);
    assert_audit_passes(&reopened);
}
