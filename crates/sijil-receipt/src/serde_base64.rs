//! Serde helpers writing hashes as standard base64 strings (RFC 4648 §4,
//! padded), the form used in bundles, proofs and checkpoints.
//!
//! Reading is strict: every string must decode to exactly 32 bytes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::merkle::Hash;
use crate::{Error, Result};

/// Decodes one standard-base64 hash, rejecting anything but 32 bytes.
pub fn decode_hash(text: &str) -> Result<Hash> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| Error::Format(format!("hash {text:?} is not standard base64: {e}")))?;
    Hash::try_from(bytes.as_slice()).map_err(|_| {
        Error::Format(format!(
            "hash {text:?} has {} bytes, expected 32",
            bytes.len()
        ))
    })
}

/// Encodes one hash as standard base64.
pub fn encode_hash(hash: &Hash) -> String {
    STANDARD.encode(hash)
}

/// `#[serde(with = "sijil_receipt::serde_base64::hash")]` for one 32-byte hash.
pub mod hash {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::merkle::Hash;

    /// Writes the hash as a standard base64 string.
    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode_hash(hash))
    }

    /// Reads a standard base64 string of exactly 32 bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(d)?;
        super::decode_hash(&text).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "sijil_receipt::serde_base64::hashes")]` for a `Vec<Hash>`.
pub mod hashes {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::merkle::Hash;

    /// Writes the hashes as an array of standard base64 strings.
    pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for h in hashes {
            seq.serialize_element(&super::encode_hash(h))?;
        }
        seq.end()
    }

    /// Reads an array of standard base64 strings of exactly 32 bytes each.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| super::decode_hash(t).map_err(serde::de::Error::custom))
            .collect()
    }
}
