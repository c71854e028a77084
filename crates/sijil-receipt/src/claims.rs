//! The claims of a log leaf: the JSON payload of the JWS, whose exact bytes
//! are also the leaf in the log.
//!
//! Every leaf carries the envelope `type`, `registry`, `index` and
//! `registered_at`; `type` says which claims follow ([`LeafType`]). Claims
//! hold no personal data in clear. Claims may be added later, never removed
//! or renamed, so parsing accepts unknown members.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The `type` of a registered letter's claims.
pub const REGISTRATION: &str = "registration";

/// Every kind of leaf the log may hold (design.md's leaf-type table), by its
/// stable `type` string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeafType {
    /// An incoming letter.
    Registration,
    /// A step in a letter's life (routing, status, deadline, answer).
    Event,
    /// A published version of the holiday table.
    Calendar,
    /// A change an administrator made that others rely on.
    Config,
    /// An outgoing letter.
    Outgoing,
    /// A delivery to a partner registry, with its signed receipt.
    ExchangeDelivered,
    /// A delivery the partner registry refused.
    ExchangeRejected,
    /// A delivery that could not be made.
    ExchangeFailed,
    /// The enrolment, suspension or new keys of a partner institution.
    PartnerChanged,
}

impl LeafType {
    /// Every leaf type, in the order of design.md's table.
    pub const ALL: [LeafType; 9] = [
        LeafType::Registration,
        LeafType::Event,
        LeafType::Calendar,
        LeafType::Config,
        LeafType::Outgoing,
        LeafType::ExchangeDelivered,
        LeafType::ExchangeRejected,
        LeafType::ExchangeFailed,
        LeafType::PartnerChanged,
    ];

    /// The `type` claim's value.
    pub fn as_str(self) -> &'static str {
        match self {
            LeafType::Registration => REGISTRATION,
            LeafType::Event => "event",
            LeafType::Calendar => "calendar",
            LeafType::Config => "config",
            LeafType::Outgoing => "outgoing",
            LeafType::ExchangeDelivered => "exchange.delivered",
            LeafType::ExchangeRejected => "exchange.rejected",
            LeafType::ExchangeFailed => "exchange.failed",
            LeafType::PartnerChanged => "partner.changed",
        }
    }

    /// The leaf type named `text`, if it is one.
    pub fn parse(text: &str) -> Option<LeafType> {
        LeafType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl std::fmt::Display for LeafType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every leaf carries, whatever its type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The leaf's `type`, as written (it may be one this verifier does not know).
    #[serde(rename = "type")]
    pub kind: String,
    /// The log's origin name, equal to the checkpoint's first line.
    pub registry: String,
    /// Leaf index in the log (0-based).
    pub index: u64,
    /// When the log appended the leaf, RFC 3339 UTC with milliseconds; never
    /// decreases along the log.
    pub registered_at: String,
}

/// Digest and size of one attached document.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DocumentDigest {
    /// Lowercase hex SHA-256 of the document's bytes.
    pub sha256: String,
    /// Size of the document in bytes.
    pub size: u64,
}

/// Claims of a registration receipt (after the `type`). Field order is
/// serialization order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegistrationClaims {
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

/// Claims of a `config` leaf: one setting an administrator changed. Settings
/// recorded this way are public organisation data, so the value is in clear.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConfigClaims {
    /// The log's origin name.
    pub registry: String,
    /// Leaf index in the log (0-based).
    pub index: u64,
    /// When the change was appended.
    pub registered_at: String,
    /// Which setting changed, e.g. `institution.name`.
    pub setting: String,
    /// Its new value.
    pub value: serde_json::Value,
    /// Who made the change: a pseudonym or a role, never a person's name.
    pub actor: String,
}

/// The claims of any leaf, tagged by `type` (serialized with `type` first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafClaims {
    /// An incoming letter.
    Registration(RegistrationClaims),
    /// A configuration change.
    Config(ConfigClaims),
    /// A leaf of a type this version does not check beyond its envelope.
    Unknown(Envelope),
}

/// The known types, serialized with their tag first.
#[derive(Serialize)]
#[serde(tag = "type")]
enum Tagged<'a> {
    #[serde(rename = "registration")]
    Registration(&'a RegistrationClaims),
    #[serde(rename = "config")]
    Config(&'a ConfigClaims),
}

impl Serialize for LeafClaims {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            LeafClaims::Registration(c) => Tagged::Registration(c).serialize(s),
            LeafClaims::Config(c) => Tagged::Config(c).serialize(s),
            LeafClaims::Unknown(envelope) => envelope.serialize(s),
        }
    }
}

/// A registration with its `type`, read in one pass (a duplicated member is
/// refused, as in the general path).
#[derive(Deserialize)]
struct TaggedRegistration<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    registry: String,
    number: String,
    index: u64,
    registered_at: String,
    documents: Vec<DocumentDigest>,
    metadata_sha256: String,
}

/// The `type` member alone, read before the rest.
#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

impl LeafClaims {
    /// The payload bytes: compact JSON, `type` first, then the members in
    /// field order. These exact bytes are signed and are the log leaf.
    pub fn to_payload(&self) -> Vec<u8> {
        // Serializing strings, integers and JSON values into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads the claims of any leaf: a known type with all its members, any
    /// other type by its envelope alone. Unknown members are ignored.
    pub fn from_payload(bytes: &[u8]) -> Result<Self> {
        // Registrations are nearly every leaf: read them in one pass.
        if let Ok(r) = serde_json::from_slice::<TaggedRegistration<'_>>(bytes) {
            if r.kind == REGISTRATION {
                return Ok(LeafClaims::Registration(RegistrationClaims {
                    registry: r.registry,
                    number: r.number,
                    index: r.index,
                    registered_at: r.registered_at,
                    documents: r.documents,
                    metadata_sha256: r.metadata_sha256,
                }));
            }
        }
        let tag: Tag<'_> = serde_json::from_slice(bytes)
            .map_err(|e| Error::Json(format!("not leaf claims (no \"type\"): {e}")))?;
        Ok(match LeafType::parse(&tag.kind) {
            Some(LeafType::Registration) => {
                LeafClaims::Registration(serde_json::from_slice(bytes)?)
            }
            Some(LeafType::Config) => LeafClaims::Config(serde_json::from_slice(bytes)?),
            _ => LeafClaims::Unknown(serde_json::from_slice(bytes)?),
        })
    }

    /// The leaf's type, when this version knows it.
    pub fn leaf_type(&self) -> Option<LeafType> {
        match self {
            LeafClaims::Registration(_) => Some(LeafType::Registration),
            LeafClaims::Config(_) => Some(LeafType::Config),
            LeafClaims::Unknown(envelope) => LeafType::parse(&envelope.kind),
        }
    }

    /// The envelope every leaf carries.
    pub fn envelope(&self) -> Envelope {
        let (kind, registry, index, registered_at) = match self {
            LeafClaims::Registration(c) => (REGISTRATION, &c.registry, c.index, &c.registered_at),
            LeafClaims::Config(c) => ("config", &c.registry, c.index, &c.registered_at),
            LeafClaims::Unknown(e) => return e.clone(),
        };
        Envelope {
            kind: kind.to_owned(),
            registry: registry.clone(),
            index,
            registered_at: registered_at.clone(),
        }
    }

    /// The registration claims, if this is a registration.
    pub fn as_registration(&self) -> Option<&RegistrationClaims> {
        match self {
            LeafClaims::Registration(c) => Some(c),
            _ => None,
        }
    }
}

impl RegistrationClaims {
    /// The payload bytes of these claims as a registration leaf.
    pub fn to_payload(&self) -> Vec<u8> {
        // Serializing strings and integers into a Vec cannot fail.
        serde_json::to_vec(&Tagged::Registration(self)).unwrap_or_default()
    }

    /// Reads registration claims from payload bytes; any other `type` is refused.
    pub fn from_payload(bytes: &[u8]) -> Result<Self> {
        match LeafClaims::from_payload(bytes)? {
            LeafClaims::Registration(c) => Ok(c),
            other => Err(Error::Json(format!(
                "the leaf is of type {:?}, not {REGISTRATION:?}",
                other.envelope().kind
            ))),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> RegistrationClaims {
        RegistrationClaims {
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
    fn payload_is_compact_json_with_the_type_first_then_field_order() {
        let text = String::from_utf8(sample().to_payload()).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"type":"registration","registry":"bo.example","number":"BO-2026-000001","index":0,"registered_at":"2026-11-20T09:15:00.123Z","documents":[{{"sha256":"{}","size":3}}],"metadata_sha256":"{}"}}"#,
                "ab".repeat(32),
                "cd".repeat(32)
            )
        );
    }

    #[test]
    fn unknown_claims_are_accepted() {
        let mut v = serde_json::to_value(LeafClaims::Registration(sample())).unwrap();
        v["workflow"] = serde_json::json!({"step": 2});
        let parsed = RegistrationClaims::from_payload(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(parsed, sample());
    }

    #[test]
    fn missing_claims_are_rejected() {
        assert!(RegistrationClaims::from_payload(br#"{"type":"registration"}"#).is_err());
        assert!(RegistrationClaims::from_payload(b"not json").is_err());
        assert!(LeafClaims::from_payload(br#"{"registry":"x"}"#).is_err());
    }

    #[test]
    fn a_leaf_of_a_type_this_version_does_not_check_is_read_by_its_envelope() {
        let payload = br#"{"type":"event","registry":"bo.example","index":7,"registered_at":"2026-11-20T09:15:00.123Z","event":"assigned"}"#;
        let claims = LeafClaims::from_payload(payload).unwrap();
        assert_eq!(claims.leaf_type(), Some(LeafType::Event));
        assert_eq!(claims.envelope().index, 7);
        assert!(matches!(claims, LeafClaims::Unknown(_)));
        let strange = br#"{"type":"weather","registry":"bo.example","index":8,"registered_at":"2026-11-20T09:15:00.123Z"}"#;
        let claims = LeafClaims::from_payload(strange).unwrap();
        assert_eq!(claims.leaf_type(), None);
        assert_eq!(claims.envelope().kind, "weather");
        assert!(RegistrationClaims::from_payload(strange).is_err());
    }

    #[test]
    fn a_duplicated_type_is_refused_whatever_path_reads_it() {
        let text = String::from_utf8(sample().to_payload()).unwrap();
        let twice = text.replacen('{', r#"{"type":"config","#, 1);
        assert!(LeafClaims::from_payload(twice.as_bytes()).is_err());
        let spaced = text.replacen(
            r#"{"type":"registration""#,
            r#"{ "type" : "registration" "#,
            1,
        );
        assert_eq!(
            LeafClaims::from_payload(spaced.as_bytes()).unwrap(),
            LeafClaims::Registration(sample())
        );
    }

    #[test]
    fn config_claims_round_trip_with_the_type_first() {
        let claims = LeafClaims::Config(ConfigClaims {
            registry: "bo.example".into(),
            index: 3,
            registered_at: "2026-11-20T09:15:00.123Z".into(),
            setting: "institution.name".into(),
            value: serde_json::json!("Médiateur du Royaume"),
            actor: "admin".into(),
        });
        let payload = claims.to_payload();
        assert!(payload.starts_with(br#"{"type":"config","registry":"bo.example","index":3,"#));
        assert_eq!(LeafClaims::from_payload(&payload).unwrap(), claims);
    }

    #[test]
    fn every_leaf_type_has_one_stable_name() {
        let names: Vec<&str> = LeafType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            names,
            [
                "registration",
                "event",
                "calendar",
                "config",
                "outgoing",
                "exchange.delivered",
                "exchange.rejected",
                "exchange.failed",
                "partner.changed"
            ]
        );
        for t in LeafType::ALL {
            assert_eq!(LeafType::parse(t.as_str()), Some(t));
        }
    }
}
