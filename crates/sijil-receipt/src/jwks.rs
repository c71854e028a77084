//! The registry's public keys as a JWK Set (RFC 7517, OKP keys of RFC 8037).
//!
//! Retired keys stay in the set so that old receipts remain verifiable; each
//! key carries its validity period in two extra members, `not_before` and
//! `not_after`, both RFC 3339 UTC timestamps with milliseconds.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use crate::note::{key_id, NoteVerifier};
use crate::{Error, Result};

/// One Ed25519 public key as a JWK, with its validity period.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Jwk {
    /// Key type: `OKP` for Ed25519.
    pub kty: String,
    /// Curve: `Ed25519`.
    pub crv: String,
    /// The 32-byte public key, unpadded base64url.
    pub x: String,
    /// Key id: lowercase hex of the signed-note key hash under the registry
    /// name (see [`key_id`]).
    pub kid: String,
    /// Algorithm: `EdDSA`.
    pub alg: String,
    /// Public key use: `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// First instant the key signs, `YYYY-MM-DDTHH:MM:SS.mmmZ` (inclusive).
    pub not_before: String,
    /// Instant the key was retired, same format (exclusive); absent while in use.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub not_after: Option<String>,
}

/// Whether `t` has the one timestamp format we compare:
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339, UTC, milliseconds), exactly 24 bytes.
///
/// Strings of this fixed format order lexicographically as the instants they
/// denote, which is what [`Jwk::valid_at`] relies on.
pub fn is_fixed_rfc3339(t: &str) -> bool {
    const PATTERN: &[u8; 24] = b"dddd-dd-ddTdd:dd:dd.dddZ";
    let b = t.as_bytes();
    if b.len() != PATTERN.len() {
        return false;
    }
    let shape_ok = b.iter().zip(PATTERN.iter()).all(|(&c, &p)| {
        if p == b'd' {
            c.is_ascii_digit()
        } else {
            c == p
        }
    });
    if !shape_ok {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        b[r].iter()
            .fold(0, |acc, &d| acc * 10 + u32::from(d - b'0'))
    };
    let (month, day, hour, minute, second) =
        (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60 && second < 61
}

impl Jwk {
    /// Describes `key` as a JWK with the given `kid` and validity period.
    pub fn new(key: &VerifyingKey, kid: &str, not_before: &str, not_after: Option<&str>) -> Self {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: URL_SAFE_NO_PAD.encode(key.as_bytes()),
            kid: kid.into(),
            alg: "EdDSA".into(),
            use_: "sig".into(),
            not_before: not_before.into(),
            not_after: not_after.map(str::to_owned),
        }
    }

    /// The Ed25519 public key, after checking `kty` is `OKP`, `crv` is
    /// `Ed25519` and `x` is 32 bytes of unpadded base64url.
    pub fn verifying_key(&self) -> Result<VerifyingKey> {
        if self.kty != "OKP" {
            return Err(Error::Key(format!(
                "key {} has kty {:?}, expected \"OKP\"",
                self.kid, self.kty
            )));
        }
        if self.crv != "Ed25519" {
            return Err(Error::Key(format!(
                "key {} has crv {:?}, expected \"Ed25519\"",
                self.kid, self.crv
            )));
        }
        let raw = URL_SAFE_NO_PAD
            .decode(&self.x)
            .map_err(|e| Error::Key(format!("key {} x is not base64url: {e}", self.kid)))?;
        let bytes: [u8; 32] = raw.as_slice().try_into().map_err(|_| {
            Error::Key(format!(
                "key {} x has {} bytes, expected 32",
                self.kid,
                raw.len()
            ))
        })?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|e| Error::Key(format!("key {} is not a valid Ed25519 key: {e}", self.kid)))
    }

    /// Whether the key was valid at `rfc3339_time`: `not_before <= t` and,
    /// if retired, `t < not_after`.
    ///
    /// All three timestamps must have the fixed format
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (see [`is_fixed_rfc3339`]); anything else
    /// gives `false`.
    pub fn valid_at(&self, rfc3339_time: &str) -> bool {
        if !is_fixed_rfc3339(rfc3339_time) || !is_fixed_rfc3339(&self.not_before) {
            return false;
        }
        if self.not_before.as_str() > rfc3339_time {
            return false;
        }
        match &self.not_after {
            None => true,
            Some(end) => is_fixed_rfc3339(end) && rfc3339_time < end.as_str(),
        }
    }
}

/// A JWK Set: every key the registry ever signed with.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Jwks {
    /// The keys, current and retired.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The key with this `kid`, if any.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Signed-note verifiers for checkpoints of the log `name`: one per key
    /// whose `kid` equals its note key id under `name`; other keys (invalid,
    /// or of another name) are skipped.
    pub fn note_verifiers(&self, name: &str) -> Vec<NoteVerifier> {
        self.keys
            .iter()
            .filter_map(|jwk| {
                let key = jwk.verifying_key().ok()?;
                if jwk.kid != key_id(name, &key) {
                    return None;
                }
                NoteVerifier::new(name, key).ok()
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    #[test]
    fn fixed_rfc3339_accepts_only_the_millisecond_utc_form() {
        assert!(is_fixed_rfc3339("2026-11-20T09:15:00.123Z"));
        assert!(!is_fixed_rfc3339("2026-11-20T09:15:00Z"));
        assert!(!is_fixed_rfc3339("2026-11-20T09:15:00.123+00:00"));
        assert!(!is_fixed_rfc3339("2026-11-20t09:15:00.123Z"));
        assert!(!is_fixed_rfc3339("2026-13-20T09:15:00.123Z"));
        assert!(!is_fixed_rfc3339("2026-11-20T24:15:00.123Z"));
    }

    #[test]
    fn validity_period_is_inclusive_start_exclusive_end() {
        let key = SigningKey::from_bytes(&[1; 32]).verifying_key();
        let jwk = Jwk::new(
            &key,
            "k",
            "2026-01-01T00:00:00.000Z",
            Some("2026-06-01T00:00:00.000Z"),
        );
        assert!(jwk.valid_at("2026-01-01T00:00:00.000Z"));
        assert!(jwk.valid_at("2026-05-31T23:59:59.999Z"));
        assert!(!jwk.valid_at("2026-06-01T00:00:00.000Z"));
        assert!(!jwk.valid_at("2025-12-31T23:59:59.999Z"));
        assert!(!jwk.valid_at("2026-03-01T00:00:00Z"));
        let open = Jwk::new(&key, "k", "2026-01-01T00:00:00.000Z", None);
        assert!(open.valid_at("2099-01-01T00:00:00.000Z"));
    }

    #[test]
    fn jwk_json_uses_use_member_and_omits_absent_not_after() {
        let key = SigningKey::from_bytes(&[1; 32]).verifying_key();
        let jwk = Jwk::new(&key, "k", "2026-01-01T00:00:00.000Z", None);
        let v = serde_json::to_value(&jwk).unwrap();
        assert_eq!(v["use"], "sig");
        assert_eq!(v["kty"], "OKP");
        assert!(v.get("not_after").is_none());
        let back: Jwk = serde_json::from_value(v).unwrap();
        assert_eq!(back, jwk);
        assert_eq!(back.verifying_key().unwrap(), key);
    }

    #[test]
    fn verifying_key_checks_kty_and_crv() {
        let key = SigningKey::from_bytes(&[1; 32]).verifying_key();
        let mut jwk = Jwk::new(&key, "k", "2026-01-01T00:00:00.000Z", None);
        jwk.crv = "X25519".into();
        assert!(jwk.verifying_key().is_err());
        jwk.crv = "Ed25519".into();
        jwk.kty = "EC".into();
        assert!(jwk.verifying_key().is_err());
    }

    #[test]
    fn note_verifiers_skip_keys_of_another_name() {
        let key = SigningKey::from_bytes(&[1; 32]).verifying_key();
        let other = SigningKey::from_bytes(&[2; 32]).verifying_key();
        let set = Jwks {
            keys: vec![
                Jwk::new(
                    &key,
                    &key_id("bo.example", &key),
                    "2026-01-01T00:00:00.000Z",
                    None,
                ),
                Jwk::new(
                    &other,
                    &key_id("elsewhere", &other),
                    "2026-01-01T00:00:00.000Z",
                    None,
                ),
            ],
        };
        let vs = set.note_verifiers("bo.example");
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].key, key);
    }
}
