//! Bundles: `serde_json::from_slice::<Bundle>` then `verify::verify_bundle`
//! with the fixed key set and one document; the bundle's tlog-proof form is
//! parsed back. Also consistency proofs in their JSON form, checked against a
//! reference tree so that both completeness and soundness are tested.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sijil_fuzz::{documents, jwks, reference_leaves, REFERENCE_LEAVES};
use sijil_receipt::bundle::{parse_tlog_proof, Bundle, ConsistencyProof};
use sijil_receipt::merkle::{self, root_from_leaf_hashes};
use sijil_receipt::verify::verify_bundle;

const CHECKS: [&str; 6] = [
    "signature",
    "claims",
    "key validity",
    "checkpoint signature",
    "inclusion",
    "document a.txt",
];

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = serde_json::from_slice::<Bundle>(data) {
        let report = verify_bundle(&bundle, jwks(), &documents());
        let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, CHECKS, "every check is recorded, in order");
        if report.passed() {
            let claims = report.claims.as_ref().expect("claims of a passing bundle");
            let checkpoint = report
                .checkpoint
                .as_ref()
                .expect("checkpoint of a passing bundle");
            assert_eq!(claims.index, bundle.inclusion_proof.index);
            assert_eq!(checkpoint.size, bundle.inclusion_proof.tree_size);
            assert!(claims.index < checkpoint.size);
        }
        // The tlog-proof form carries the same proof and checkpoint.
        if let Ok((proof, checkpoint)) = parse_tlog_proof(&bundle.to_tlog_proof()) {
            assert_eq!(proof.index, bundle.inclusion_proof.index);
            assert_eq!(proof.hashes, bundle.inclusion_proof.hashes);
            assert_eq!(checkpoint, bundle.checkpoint);
        }
    }

    if let Ok(proof) = serde_json::from_slice::<ConsistencyProof>(data) {
        let leaves = reference_leaves();
        if proof.from <= proof.to && proof.to <= REFERENCE_LEAVES {
            // Sizes within the reference tree: check against its real roots.
            let new = &leaves[..proof.to as usize];
            let old_root = root_from_leaf_hashes(&new[..proof.from as usize]);
            let new_root = root_from_leaf_hashes(new);
            let real = merkle::consistency_proof(new, proof.from);
            let accepted = proof.verify(&old_root, &new_root).is_ok();
            match real {
                Ok(real) => assert_eq!(
                    accepted,
                    proof.hashes == real,
                    "a consistency proof {} -> {} is accepted iff it is the real one",
                    proof.from,
                    proof.to
                ),
                Err(_) => assert!(!accepted, "proof accepted for sizes with no proof"),
            }
        } else {
            let _ = proof.verify(&leaves[0], &leaves[1]);
        }
    }
});
