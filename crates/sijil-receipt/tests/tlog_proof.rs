//! The `c2sp.org/tlog-proof@v1` text form of an inclusion proof.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::SigningKey;
use sijil_receipt::bundle::{parse_tlog_proof, tlog_proof, InclusionProof, TlogProof};
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::merkle::{inclusion_proof, leaf_hash, root_from_leaf_hashes};

fn fixture(index: u64) -> (InclusionProof, String) {
    let leaves: Vec<_> = (0u32..13).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let checkpoint = Checkpoint {
        origin: "example.com/fancylog".into(),
        size: 13,
        root: root_from_leaf_hashes(&leaves),
        extensions: vec![],
    }
    .sign(&SigningKey::from_bytes(&[9; 32]))
    .unwrap();
    let proof = InclusionProof {
        index,
        tree_size: 13,
        hashes: inclusion_proof(&leaves, index).unwrap(),
    };
    (proof, checkpoint)
}

#[test]
fn tlog_proof_roundtrips() {
    for index in [0, 5, 12] {
        let (proof, checkpoint) = fixture(index);
        let text = tlog_proof(&proof, &checkpoint);
        assert_eq!(parse_tlog_proof(&text).unwrap(), (proof, checkpoint));
    }
}

#[test]
fn tlog_proof_has_the_spec_layout() {
    let (proof, checkpoint) = fixture(5);
    let text = tlog_proof(&proof, &checkpoint);
    let mut expected = String::from("c2sp.org/tlog-proof@v1\nindex 5\n");
    for h in &proof.hashes {
        expected.push_str(&STANDARD.encode(h));
        expected.push('\n');
    }
    expected.push('\n');
    expected.push_str(&checkpoint);
    assert_eq!(text, expected);
    assert!(!text.contains("extra"));
}

#[test]
fn extra_data_line_is_read_and_not_required() {
    let (proof, checkpoint) = fixture(3);
    let text = tlog_proof(&proof, &checkpoint);
    let with_extra = text.replacen("\nindex", "\nextra aGVsbG8=\nindex", 1);
    let parsed = TlogProof::parse(&with_extra).unwrap();
    assert_eq!(parsed.extra.as_deref(), Some(&b"hello"[..]));
    assert_eq!(parsed.proof, proof);
    assert_eq!(parse_tlog_proof(&with_extra).unwrap().0, proof);
    assert_eq!(TlogProof::parse(&text).unwrap().extra, None);
    let bad_extra = text.replacen("\nindex", "\nextra !!\nindex", 1);
    assert!(parse_tlog_proof(&bad_extra).is_err());
}

#[test]
fn tree_size_comes_from_the_checkpoint() {
    let (proof, checkpoint) = fixture(0);
    let mut claimed = proof.clone();
    claimed.tree_size = 999;
    // The size is not written; it is read back from the checkpoint.
    let parsed = parse_tlog_proof(&tlog_proof(&claimed, &checkpoint)).unwrap();
    assert_eq!(parsed.0.tree_size, 13);
}

#[test]
fn malformed_tlog_proofs_are_rejected() {
    let (proof, checkpoint) = fixture(5);
    let good = tlog_proof(&proof, &checkpoint);
    let first_hash = STANDARD.encode(proof.hashes[0]);
    let bad = [
        good.replacen("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1),
        good.replacen("index 5", "index 05", 1),
        good.replacen("index 5", "index -5", 1),
        good.replacen("index 5", "index5", 1),
        good.replacen("index 5", "index 13", 1),
        good.replacen(&first_hash, "AAAA", 1),
        good.replacen(&first_hash, &first_hash.replace('=', ""), 1),
        good.replacen(&format!("{first_hash}\n"), &format!("{first_hash}\n\n"), 1),
        format!("c2sp.org/tlog-proof@v1\nindex 5\n{first_hash}\n"),
        "c2sp.org/tlog-proof@v1\n".into(),
        String::new(),
        tlog_proof(&proof, "not a checkpoint\n"),
    ];
    for text in bad {
        assert!(parse_tlog_proof(&text).is_err(), "{text:?} accepted");
    }
}
