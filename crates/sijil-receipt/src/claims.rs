//! The receipt's claims: the JSON payload of the JWS, whose exact bytes are
//! also the letter's leaf in the log.
//!
//! Claims hold no personal data in clear. Claims may be added later, never
//! removed or renamed, so parsing accepts unknown members.

use serde::{Deserialize, Serialize};

use crate::Result;

/// The `type` of a registered letter's claims.
pub const REGISTRATION: &str = "registration";

/// Digest and size of one attached document.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DocumentDigest {
    /// Lowercase hex SHA-256 of the document's bytes.
    pub sha256: String,
    /// Size of the document in bytes.
    pub size: u64,
}

/// Claims of a registration receipt. Field order is serialization order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegistrationClaims {
    /// Kind of leaf: [`REGISTRATION`] here.
    #[serde(rename = "type")]
    pub kind: String,
    /// The log's origin name, equal to the checkpoint's first line.
    pub registry: String,
    /// Registration number, e.g. `BO-2026-000123`.
    pub number: String,
    /// Leaf index in the log (0-based).
    pub index: u64,
    /// Registration time, RFC 3339 UTC with milliseconds.
    pub registered_at: String,
    /// One digest per attached document, in order.
    pub documents: Vec<DocumentDigest>,
    /// Hex HMAC-SHA256 of the canonical metadata, keyed with the access code
    /// (see [`crate::metadata::metadata_mac`]).
    pub metadata_sha256: String,
}

impl RegistrationClaims {
    /// The payload bytes: compact JSON, members in field order. These exact
    /// bytes are signed and are the log leaf.
    pub fn to_payload(&self) -> Vec<u8> {
        // Serializing plain strings and integers into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads claims from payload bytes, ignoring unknown members.
    pub fn from_payload(bytes: &[u8]) -> Result<Self> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> RegistrationClaims {
        RegistrationClaims {
            kind: REGISTRATION.into(),
            registry: "bo.example".into(),
            number: "BO-2026-000001".into(),
            index: 0,
            registered_at: "2026-11-20T09:15:00.123Z".into(),
            documents: vec![DocumentDigest {
                sha256: "ab".repeat(32),
                size: 3,
            }],
            metadata_sha256: "cd".repeat(32),
        }
    }

    #[test]
    fn payload_is_compact_json_in_field_order() {
        let text = String::from_utf8(sample().to_payload()).unwrap();
        assert!(text.starts_with(
            r#"{"type":"registration","registry":"bo.example","number":"BO-2026-000001","index":0,"registered_at":"#
        ));
        assert!(!text.contains(' '));
    }

    #[test]
    fn unknown_claims_are_accepted() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["workflow"] = serde_json::json!({"step": 2});
        let parsed = RegistrationClaims::from_payload(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(parsed, sample());
    }

    #[test]
    fn missing_claims_are_rejected() {
        assert!(RegistrationClaims::from_payload(br#"{"type":"registration"}"#).is_err());
        assert!(RegistrationClaims::from_payload(b"not json").is_err());
    }
}
