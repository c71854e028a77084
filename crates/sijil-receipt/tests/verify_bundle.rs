//! End-to-end offline verification over a small in-memory log: a good bundle
//! passes every check, and each kind of tampering fails its own check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ed25519_dalek::SigningKey;
use sijil_receipt::bundle::{parse_tlog_proof, Bundle, InclusionProof};
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::claims::{DocumentDigest, LeafType, RegistrationClaims};
use sijil_receipt::jwks::{Jwk, Jwks};
use sijil_receipt::jws::sign_compact;
use sijil_receipt::merkle::{inclusion_proof, leaf_hash, root_from_leaf_hashes};
use sijil_receipt::note::key_id;
use sijil_receipt::sha256_hex;
use sijil_receipt::verify::{
    verify_bundle, verify_bundle_of_type, CheckName, DocumentCheckInput, Report, Verdict,
};

const REGISTRY: &str = "bo.mediateur.example";

fn log_key() -> SigningKey {
    SigningKey::from_bytes(&[11; 32])
}

fn document(i: u64) -> Vec<u8> {
    format!("letter {i}, page 1").into_bytes()
}

fn keys() -> Jwks {
    let vk = log_key().verifying_key();
    Jwks {
        keys: vec![Jwk::new(
            &vk,
            &key_id(REGISTRY, &vk),
            "2026-01-01T00:00:00.000Z",
            None,
        )],
    }
}

fn claims(i: u64) -> RegistrationClaims {
    RegistrationClaims {
        registry: REGISTRY.into(),
        number: format!("BO-2026-{:06}", i + 1),
        index: i,
        registered_at: format!("2026-11-20T09:15:{:02}.000Z", i),
        documents: vec![
            DocumentDigest {
                sha256: sha256_hex(&document(i)),
                size: document(i).len() as u64,
            },
            DocumentDigest {
                sha256: sha256_hex(b"annex"),
                size: 5,
            },
        ],
        metadata_sha256: "00".repeat(32),
    }
}

/// A log of `n` receipts signed by `key`, and the bundle of receipt `i`.
struct Log {
    receipts: Vec<String>,
    leaves: Vec<[u8; 32]>,
    checkpoint: String,
}

fn log_with(n: u64, key: &SigningKey, claims_of: impl Fn(u64) -> RegistrationClaims) -> Log {
    let kid = key_id(REGISTRY, &key.verifying_key());
    let mut receipts = Vec::new();
    let mut leaves = Vec::new();
    for i in 0..n {
        let payload = claims_of(i).to_payload();
        leaves.push(leaf_hash(&payload));
        receipts.push(sign_compact(&payload, &kid, key));
    }
    let checkpoint = Checkpoint {
        origin: REGISTRY.into(),
        size: n,
        root: root_from_leaf_hashes(&leaves),
        extensions: vec![],
    }
    .sign(key)
    .unwrap();
    Log {
        receipts,
        leaves,
        checkpoint,
    }
}

fn log() -> Log {
    log_with(9, &log_key(), claims)
}

fn bundle_of(log: &Log, i: u64) -> Bundle {
    Bundle {
        receipt: log.receipts[i as usize].clone(),
        inclusion_proof: InclusionProof {
            index: i,
            tree_size: log.leaves.len() as u64,
            hashes: inclusion_proof(&log.leaves, i).unwrap(),
        },
        checkpoint: log.checkpoint.clone(),
    }
}

fn doc_input(label: &str, bytes: &[u8]) -> DocumentCheckInput {
    DocumentCheckInput {
        label: label.into(),
        sha256: sha256_hex(bytes),
        size: Some(bytes.len() as u64),
    }
}

const NAMES: [&str; 5] = [
    "signature",
    "claims",
    "key validity",
    "checkpoint signature",
    "inclusion",
];

/// Asserts that exactly the checks in `failing` failed.
fn assert_failing(report: &Report, failing: &[&str]) {
    for check in &report.checks {
        assert_eq!(
            !check.passed,
            failing.contains(&check.name.as_str()),
            "{}: {}",
            check.name,
            check.detail
        );
    }
    assert!(!report.passed());
}

#[test]
fn good_bundle_passes_every_check() {
    let log = log();
    for i in 0..9 {
        let report = verify_bundle(
            &bundle_of(&log, i),
            &keys(),
            &[doc_input("a.pdf", &document(i))],
        );
        assert!(report.passed(), "{:#?}", report.checks);
        let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names[..5], NAMES);
        assert_eq!(names[5], "document a.pdf");
        assert_eq!(
            report.check("document a.pdf").unwrap().detail,
            "matches document 1 of 2"
        );
        assert_eq!(report.registration().unwrap().index, i);
        assert_eq!(report.checkpoint.as_ref().unwrap().size, 9);
    }
    let report = verify_bundle(&bundle_of(&log, 3), &keys(), &[]);
    assert_eq!(
        report.check("signature").unwrap().detail,
        format!("signed by key {}", keys().keys[0].kid)
    );
    assert!(report
        .check("inclusion")
        .unwrap()
        .detail
        .starts_with("leaf 3 is in the tree of size 9"));
}

#[test]
fn report_with_no_checks_does_not_pass() {
    let report = Report {
        checks: vec![],
        claims: None,
        checkpoint: None,
    };
    assert!(!report.passed());
}

#[test]
fn tampered_payload_fails_signature_and_inclusion() {
    let log = log();
    let mut b = bundle_of(&log, 4);
    let parts: Vec<&str> = b.receipt.split('.').collect();
    let mut c = claims(4);
    c.number = "BO-2026-999999".into();
    let forged = base64_url(&c.to_payload());
    b.receipt = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_failing(
        &verify_bundle(&b, &keys(), &[]),
        &["signature", "inclusion"],
    );
}

#[test]
fn receipt_signed_by_unknown_key_fails_signature() {
    let log = log();
    let mut b = bundle_of(&log, 2);
    let other = SigningKey::from_bytes(&[12; 32]);
    b.receipt = sign_compact(
        &claims(2).to_payload(),
        &key_id(REGISTRY, &other.verifying_key()),
        &other,
    );
    let report = verify_bundle(&b, &keys(), &[]);
    assert_failing(&report, &["signature", "key validity"]);
    assert!(report
        .check("signature")
        .unwrap()
        .detail
        .contains("not in the key set"));
}

#[test]
fn receipt_signed_with_wrong_key_under_known_kid_fails_signature() {
    let log = log();
    let mut b = bundle_of(&log, 2);
    let other = SigningKey::from_bytes(&[12; 32]);
    b.receipt = sign_compact(&claims(2).to_payload(), &keys().keys[0].kid, &other);
    assert_failing(&verify_bundle(&b, &keys(), &[]), &["signature"]);
}

#[test]
fn garbage_receipt_fails_every_dependent_check() {
    let log = log();
    let mut b = bundle_of(&log, 0);
    b.receipt = "not a jws".into();
    let report = verify_bundle(&b, &keys(), &[doc_input("a.pdf", &document(0))]);
    assert_failing(
        &report,
        &[
            "signature",
            "claims",
            "key validity",
            "checkpoint signature",
            "inclusion",
            "document a.pdf",
        ],
    );
    assert_eq!(report.checks.len(), 6);
    assert!(report.claims.is_none());
}

/// A log whose leaf 1 is of another type: `kind`, signed and included like any leaf.
fn log_with_leaf_of_type(kind: &str) -> (Log, Bundle) {
    let key = log_key();
    let kid = key_id(REGISTRY, &key.verifying_key());
    let mut payloads: Vec<Vec<u8>> = (0..3).map(|i| claims(i).to_payload()).collect();
    payloads[1] = format!(
        r#"{{"type":"{kind}","registry":"{REGISTRY}","index":1,"registered_at":"2026-11-20T09:15:01.000Z","event":"assigned"}}"#
    )
    .into_bytes();
    let leaves: Vec<[u8; 32]> = payloads.iter().map(|p| leaf_hash(p)).collect();
    let checkpoint = Checkpoint {
        origin: REGISTRY.into(),
        size: 3,
        root: root_from_leaf_hashes(&leaves),
        extensions: vec![],
    }
    .sign(&key)
    .unwrap();
    let log = Log {
        receipts: payloads
            .iter()
            .map(|p| sign_compact(p, &kid, &key))
            .collect(),
        leaves,
        checkpoint,
    };
    let bundle = bundle_of(&log, 1);
    (log, bundle)
}

#[test]
fn a_leaf_of_another_type_fails_claims_when_a_registration_is_expected() {
    let (_, bundle) = log_with_leaf_of_type("workflow");
    let report = verify_bundle_of_type(&bundle, &keys(), LeafType::Registration, &[]);
    assert_failing(&report, &["claims"]);
    assert!(report.check("claims").unwrap().detail.contains("workflow"));
    assert_eq!(report.verdict(), Verdict::Failed);
}

#[test]
fn a_leaf_of_an_unknown_type_is_reported_as_such_never_as_a_forgery() {
    for kind in ["workflow", "event"] {
        let (_, bundle) = log_with_leaf_of_type(kind);
        let report = verify_bundle(&bundle, &keys(), &[]);
        for check in &report.checks {
            assert!(check.passed, "{}: {}", check.name, check.detail);
        }
        assert_eq!(report.verdict(), Verdict::UnknownType(kind.to_owned()));
        assert!(!report.passed(), "its own claims were not checked");
        assert!(report
            .check("claims")
            .unwrap()
            .detail
            .contains("does not know"));
    }
    // Tampered, it is a forgery like any other leaf.
    let (_, mut bundle) = log_with_leaf_of_type("event");
    bundle.inclusion_proof.hashes[0][0] ^= 1;
    let report = verify_bundle(&bundle, &keys(), &[]);
    assert_eq!(report.verdict(), Verdict::Failed);
    assert!(!report.check("inclusion").unwrap().passed);
}

#[test]
fn a_registration_passes_when_a_registration_is_expected() {
    let log = log();
    let report = verify_bundle_of_type(&bundle_of(&log, 2), &keys(), LeafType::Registration, &[]);
    assert!(report.passed());
    assert_eq!(report.registration().unwrap().number, "BO-2026-000003");
}

#[test]
fn check_names_are_the_stable_strings_of_one_enum() {
    let log = log();
    let report = verify_bundle(
        &bundle_of(&log, 1),
        &keys(),
        &[doc_input("a.pdf", &document(1))],
    );
    let kinds: Vec<CheckName> = report.checks.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            CheckName::Signature,
            CheckName::Claims,
            CheckName::KeyValidity,
            CheckName::CheckpointSignature,
            CheckName::Inclusion,
            CheckName::Document
        ]
    );
    for (check, name) in report.checks.iter().zip(NAMES) {
        assert_eq!(check.kind.as_str(), name);
        assert_eq!(check.name, name);
    }
    assert_eq!(report.checks[5].name, "document a.pdf");
    assert_eq!(CheckName::RegistryRecord.as_str(), "registry record");
}

#[test]
fn payload_that_is_not_claims_fails_claims() {
    let key = log_key();
    let kid = key_id(REGISTRY, &key.verifying_key());
    let b = Bundle {
        receipt: sign_compact(b"{\"hello\":1}", &kid, &key),
        inclusion_proof: InclusionProof {
            index: 0,
            tree_size: 1,
            hashes: vec![],
        },
        checkpoint: log().checkpoint,
    };
    assert_failing(
        &verify_bundle(&b, &keys(), &[]),
        &[
            "claims",
            "key validity",
            "checkpoint signature",
            "inclusion",
        ],
    );
}

#[test]
fn key_outside_its_validity_period_fails_key_validity() {
    let log = log();
    let b = bundle_of(&log, 1);
    let mut retired = keys();
    retired.keys[0].not_after = Some("2026-11-20T09:15:01.000Z".into());
    // Leaf 1 was registered at 09:15:01.000, the instant the key was retired.
    assert_failing(&verify_bundle(&b, &retired, &[]), &["key validity"]);
    // Leaf 0, one second earlier, is still fine.
    assert!(verify_bundle(&bundle_of(&log, 0), &retired, &[]).passed());
    let mut future = keys();
    future.keys[0].not_before = "2027-01-01T00:00:00.000Z".into();
    assert_failing(&verify_bundle(&b, &future, &[]), &["key validity"]);
}

#[test]
fn tampered_checkpoint_fails_checkpoint_signature() {
    let log = log();
    let mut b = bundle_of(&log, 5);
    b.checkpoint = b.checkpoint.replacen("\n9\n", "\n10\n", 1);
    assert_failing(
        &verify_bundle(&b, &keys(), &[]),
        &["checkpoint signature", "inclusion"],
    );
}

#[test]
fn checkpoint_of_another_origin_fails_checkpoint_signature() {
    let log = log();
    let mut b = bundle_of(&log, 5);
    let other = Checkpoint {
        origin: "elsewhere.example".into(),
        size: 9,
        root: root_from_leaf_hashes(&log.leaves),
        extensions: vec![],
    };
    b.checkpoint = other.sign(&log_key()).unwrap();
    assert_failing(
        &verify_bundle(&b, &keys(), &[]),
        &["checkpoint signature", "inclusion"],
    );
}

#[test]
fn checkpoint_signed_by_unknown_key_fails_checkpoint_signature() {
    let log = log();
    let mut b = bundle_of(&log, 5);
    b.checkpoint = Checkpoint::open(&log.checkpoint, &keys().note_verifiers(REGISTRY))
        .unwrap()
        .sign(&SigningKey::from_bytes(&[13; 32]))
        .unwrap();
    assert_failing(
        &verify_bundle(&b, &keys(), &[]),
        &["checkpoint signature", "inclusion"],
    );
}

#[test]
fn tampered_proof_hash_fails_inclusion() {
    let log = log();
    let mut b = bundle_of(&log, 6);
    b.inclusion_proof.hashes[1][0] ^= 1;
    assert_failing(&verify_bundle(&b, &keys(), &[]), &["inclusion"]);
}

#[test]
fn proof_for_another_index_fails_inclusion() {
    let log = log();
    let mut b = bundle_of(&log, 6);
    b.inclusion_proof = bundle_of(&log, 7).inclusion_proof;
    let report = verify_bundle(&b, &keys(), &[]);
    assert_failing(&report, &["inclusion"]);
    assert!(report.check("inclusion").unwrap().detail.contains("leaf 7"));
}

#[test]
fn proof_for_another_tree_size_fails_inclusion() {
    let log = log();
    let mut b = bundle_of(&log, 0);
    // A valid proof against the first 8 leaves, with the size-9 checkpoint.
    b.inclusion_proof = InclusionProof {
        index: 0,
        tree_size: 8,
        hashes: inclusion_proof(&log.leaves[..8], 0).unwrap(),
    };
    assert_failing(&verify_bundle(&b, &keys(), &[]), &["inclusion"]);
    // The same hashes claimed for size 9 do not lead to the root either.
    b.inclusion_proof.tree_size = 9;
    assert_failing(&verify_bundle(&b, &keys(), &[]), &["inclusion"]);
}

#[test]
fn dropped_or_added_proof_hash_fails_inclusion() {
    let log = log();
    let mut b = bundle_of(&log, 3);
    b.inclusion_proof.hashes.pop();
    assert_failing(&verify_bundle(&b, &keys(), &[]), &["inclusion"]);
    let mut b = bundle_of(&log, 3);
    b.inclusion_proof.hashes.push([0; 32]);
    assert_failing(&verify_bundle(&b, &keys(), &[]), &["inclusion"]);
}

#[test]
fn receipt_of_a_letter_not_in_the_log_fails_inclusion() {
    let log = log();
    let mut b = bundle_of(&log, 8);
    let kid = key_id(REGISTRY, &log_key().verifying_key());
    let mut c = claims(8);
    c.registered_at = "2026-11-20T10:00:00.000Z".into();
    b.receipt = sign_compact(&c.to_payload(), &kid, &log_key());
    assert_failing(&verify_bundle(&b, &keys(), &[]), &["inclusion"]);
}

#[test]
fn document_check_names_its_position_or_fails() {
    let log = log();
    let b = bundle_of(&log, 2);
    let report = verify_bundle(
        &b,
        &keys(),
        &[
            doc_input("annex.txt", b"annex"),
            doc_input("other.pdf", b"something else"),
            DocumentCheckInput {
                label: "resized.pdf".into(),
                sha256: sha256_hex(&document(2)).to_uppercase(),
                size: Some(1),
            },
        ],
    );
    assert_eq!(
        report.check("document annex.txt").unwrap().detail,
        "matches document 2 of 2"
    );
    assert!(report.check("document annex.txt").unwrap().passed);
    let other = report.check("document other.pdf").unwrap();
    assert!(!other.passed);
    assert!(
        other.detail.contains("none of the 2 documents"),
        "{}",
        other.detail
    );
    assert!(!report.check("document resized.pdf").unwrap().passed);
    assert_failing(&report, &["document other.pdf", "document resized.pdf"]);
}

#[test]
fn bundle_json_has_the_documented_shape() {
    let log = log();
    let b = bundle_of(&log, 4);
    let v = serde_json::to_value(&b).unwrap();
    assert_eq!(v["inclusion_proof"]["index"], 4);
    assert_eq!(v["inclusion_proof"]["tree_size"], 9);
    assert!(v["inclusion_proof"]["hashes"][0]
        .as_str()
        .unwrap()
        .ends_with('='));
    let back: Bundle = serde_json::from_value(v).unwrap();
    assert_eq!(back, b);
    assert!(verify_bundle(&back, &keys(), &[]).passed());
}

#[test]
fn bundle_rebuilt_from_tlog_proof_verifies() {
    let log = log();
    let b = bundle_of(&log, 7);
    let text = b.to_tlog_proof();
    let (proof, checkpoint) = parse_tlog_proof(&text).unwrap();
    assert_eq!(proof, b.inclusion_proof);
    assert_eq!(checkpoint, b.checkpoint);
    let rebuilt = Bundle::from_receipt_and_tlog_proof(&b.receipt, &text).unwrap();
    assert_eq!(rebuilt, b);
    assert!(verify_bundle(&rebuilt, &keys(), &[]).passed());
}

#[test]
fn report_serializes_to_json() {
    let log = log();
    let report = verify_bundle(&bundle_of(&log, 1), &keys(), &[]);
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["checks"][0]["name"], "signature");
    assert_eq!(v["checks"][0]["passed"], true);
    assert_eq!(v["claims"]["type"], "registration");
    assert_eq!(v["checkpoint"]["size"], 9);
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
