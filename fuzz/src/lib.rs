//! Fixed inputs shared by the fuzz targets: the public keys of a real
//! registry (`fixtures/jwks.json`, exported with `sijil keys export --jwks`
//! from the registry that produced the seed corpora), so that seeds carry
//! valid signatures and mutations of them exercise every verification step.
#![allow(clippy::expect_used)]

use std::sync::OnceLock;

use sijil_receipt::jwks::Jwks;
use sijil_receipt::merkle::{leaf_hash, Hash};
use sijil_receipt::note::NoteVerifier;
use sijil_receipt::verify::DocumentCheckInput;

/// The registry name (log origin and note key name) of the seed registry.
pub const ORIGIN: &str = "sijil.localhost";

/// Access code used to compute metadata MACs (any text keys HMAC-SHA256).
pub const ACCESS_CODE: &str = "KQHS-VKFQ-BWJ3";

/// The seed registry's key set: a retired key and the current one.
pub fn jwks() -> &'static Jwks {
    static JWKS: OnceLock<Jwks> = OnceLock::new();
    JWKS.get_or_init(|| {
        serde_json::from_str(include_str!("../fixtures/jwks.json")).expect("fixtures/jwks.json")
    })
}

/// The keys (JWKs) of [`jwks`].
pub fn keys() -> &'static [sijil_receipt::jwks::Jwk] {
    &jwks().keys
}

/// Signed-note verifiers for checkpoints of [`ORIGIN`], from [`jwks`].
pub fn note_verifiers() -> &'static [NoteVerifier] {
    static VERIFIERS: OnceLock<Vec<NoteVerifier>> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        let verifiers = jwks().note_verifiers(ORIGIN);
        assert_eq!(verifiers.len(), 2, "both fixture keys sign checkpoints");
        verifiers
    })
}

/// The document the seed bundles were registered with (`hello letter\n`).
pub fn documents() -> Vec<DocumentCheckInput> {
    vec![DocumentCheckInput {
        label: "a.txt".into(),
        sha256: sijil_receipt::sha256_hex(b"hello letter\n"),
        size: 13,
    }]
}

/// Number of leaves of the in-memory reference tree used to check proofs.
pub const REFERENCE_LEAVES: u64 = 64;

/// Leaf hashes of a reference tree: leaf `i` is `leaf_hash(i as 8 bytes)`.
pub fn reference_leaves() -> &'static [Hash] {
    static LEAVES: OnceLock<Vec<Hash>> = OnceLock::new();
    LEAVES.get_or_init(|| {
        (0..REFERENCE_LEAVES)
            .map(|i| leaf_hash(&i.to_be_bytes()))
            .collect()
    })
}
