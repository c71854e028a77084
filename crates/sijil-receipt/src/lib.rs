//! Sijil receipt formats and offline verification.
//!
//! This crate is the part of Sijil that third parties depend on: it defines
//! every format a receipt is made of and checks them, with no database and no
//! network. With a [`bundle::Bundle`] and the registry's published
//! [`jwks::Jwks`], [`verify::verify_bundle`] tells whether a letter was
//! registered as its receipt says.
//!
//! - [`merkle`]: RFC 6962 / RFC 9162 hashing, proof shapes, proof checking.
//! - [`note`] and [`checkpoint`]: c2sp.org signed notes and tlog checkpoints.
//! - [`jws`] and [`jwks`]: the receipt itself, a compact JWS signed with
//!   Ed25519 (RFC 7515, RFC 8037), and the key set that verifies it.
//! - [`claims`]: the receipt's payload, which is also the letter's log leaf.
//! - [`bundle`]: receipt + inclusion proof + checkpoint, and the
//!   `c2sp.org/tlog-proof@v1` text form of the proof.
//! - [`metadata`]: letter metadata, RFC 8785 canonical JSON and its keyed MAC.
//! - [`verify`]: the full offline check, as a list of named results.

pub mod bundle;
pub mod checkpoint;
pub mod claims;
mod error;
pub mod jwks;
pub mod jws;
pub mod merkle;
pub mod metadata;
pub mod note;
pub mod serde_base64;
pub mod verify;

pub use error::{Error, Result};
pub use merkle::Hash;

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `data`: the digest form used for documents in
/// receipts, so every crate computes it the same way.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_is_lowercase_hex_of_the_digest() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
