//! Offline verification of a bundle, as a list of named checks.
//!
//! [`verify_bundle`] never stops at the first problem: it runs every check it
//! can and records why the others could not run, so a citizen or an auditor
//! sees exactly what holds and what does not. It checks the envelope,
//! signature, checkpoint and inclusion of a leaf of any type, then the checks
//! of its type; a leaf of a type this version does not know is reported as
//! such ([`Verdict::UnknownType`]), never as a forgery. Check names are one
//! enum with stable strings ([`CheckName`]): `signature`, `claims`,
//! `key validity`, `checkpoint signature`, `inclusion`, `document <label>`
//! per document given, and `registry record` for the registry's own check.

use serde::Serialize;

use crate::bundle::Bundle;
use crate::checkpoint::Checkpoint;
use crate::claims::{LeafClaims, LeafType, RegistrationClaims};
use crate::jwks::{Jwk, Jwks};
use crate::jws::{parse_compact, CompactJws};
use crate::merkle::leaf_hash;
use crate::note::open_note;
use crate::serde_base64::encode_hash;

/// A document the verifier hashed, to compare with the receipt's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentCheckInput {
    /// How to name it in the report (usually the file name).
    pub label: String,
    /// Hex SHA-256 of its bytes (case is ignored).
    pub sha256: String,
    /// Its size in bytes, when known (else only the hash is compared).
    pub size: Option<u64>,
}

/// What a check checks; its string is stable (the API, the CLI and the pages
/// all name checks by it).
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckName {
    /// The receipt's JWS signature, with the key its `kid` names.
    #[serde(rename = "signature")]
    Signature,
    /// The claims: readable, of the expected type.
    #[serde(rename = "claims")]
    Claims,
    /// The signing key was valid when the leaf was appended.
    #[serde(rename = "key validity")]
    KeyValidity,
    /// The checkpoint's signed note.
    #[serde(rename = "checkpoint signature")]
    CheckpointSignature,
    /// The leaf is in the checkpointed tree.
    #[serde(rename = "inclusion")]
    Inclusion,
    /// A given document is one the receipt lists.
    #[serde(rename = "document")]
    Document,
    /// The registry's stored record agrees with the leaf (online checks only).
    #[serde(rename = "registry record")]
    RegistryRecord,
}

impl CheckName {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Signature => "signature",
            CheckName::Claims => "claims",
            CheckName::KeyValidity => "key validity",
            CheckName::CheckpointSignature => "checkpoint signature",
            CheckName::Inclusion => "inclusion",
            CheckName::Document => "document",
            CheckName::RegistryRecord => "registry record",
        }
    }
}

/// What a report says as a whole.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed.
    Verified,
    /// At least one check failed.
    Failed,
    /// Signature, checkpoint and inclusion hold, but the leaf is of a type this
    /// verifier does not know, so its own claims were not checked.
    UnknownType(String),
}

/// The outcome of one check.
#[derive(Serialize, Clone, Debug)]
pub struct Check {
    /// What was checked.
    #[serde(rename = "check")]
    pub kind: CheckName,
    /// Its name as shown: the [`CheckName`], followed by the document's label
    /// for a document check (`document scan.pdf`).
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// One plain-English line saying what was found.
    pub detail: String,
}

impl Check {
    /// A check's outcome: `Ok(detail)` passed, `Err(detail)` failed.
    pub fn new(kind: CheckName, label: Option<&str>, outcome: Result<String, String>) -> Self {
        let (passed, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        let name = match label {
            Some(label) => format!("{} {label}", kind.as_str()),
            None => kind.as_str().to_owned(),
        };
        Check {
            kind,
            name,
            passed,
            detail,
        }
    }
}

/// Everything [`verify_bundle`] found.
#[derive(Serialize, Clone, Debug)]
pub struct Report {
    /// Every check, in a fixed order.
    pub checks: Vec<Check>,
    /// The leaf's claims, when its payload could be read (even if a check
    /// failed: look at `checks` before trusting them).
    pub claims: Option<LeafClaims>,
    /// The checkpoint, only when its signature verified.
    pub checkpoint: Option<Checkpoint>,
}

impl Report {
    /// True when there is at least one check, every check passed and the
    /// leaf's type is one this verifier knows.
    pub fn passed(&self) -> bool {
        self.verdict() == Verdict::Verified
    }

    /// The report as a whole.
    pub fn verdict(&self) -> Verdict {
        if self.checks.is_empty() || !self.checks.iter().all(|c| c.passed) {
            return Verdict::Failed;
        }
        match &self.claims {
            Some(LeafClaims::Unknown(envelope)) => Verdict::UnknownType(envelope.kind.clone()),
            _ => Verdict::Verified,
        }
    }

    /// The check with this name, if it was recorded.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The registration claims, when the leaf is a registration.
    pub fn registration(&self) -> Option<&RegistrationClaims> {
        self.claims.as_ref().and_then(LeafClaims::as_registration)
    }

    /// Adds a check's outcome.
    pub fn record(&mut self, kind: CheckName, outcome: Result<String, String>) {
        self.checks.push(Check::new(kind, None, outcome));
    }

    /// Checks that each of `documents` is one the receipt lists, one
    /// `document <label>` check each.
    pub fn check_documents(&mut self, documents: &[DocumentCheckInput]) {
        for doc in documents {
            let outcome = match &self.claims {
                None => Err("not checked: the claims could not be read".to_owned()),
                Some(c) => check_document(doc, c),
            };
            self.checks
                .push(Check::new(CheckName::Document, Some(&doc.label), outcome));
        }
    }
}

/// Checks the receipt's JWS signature against the key named by its `kid`.
fn check_signature<'k>(
    jws: &Result<CompactJws, String>,
    keys: &'k Jwks,
) -> (Option<&'k Jwk>, Result<String, String>) {
    let jws = match jws {
        Ok(jws) => jws,
        Err(e) => return (None, Err(format!("the receipt is not a valid JWS: {e}"))),
    };
    let Some(kid) = jws.header.kid.as_deref() else {
        return (
            None,
            Err("the receipt names no key (no \"kid\" in its header)".into()),
        );
    };
    let Some(jwk) = keys.find(kid) else {
        return (None, Err(format!("key {kid} is not in the key set")));
    };
    let outcome = match jwk.verifying_key() {
        Err(e) => Err(format!("key {kid} cannot be used: {e}")),
        Ok(key) => match jws.verify(&key) {
            Ok(()) => Ok(format!("signed by key {kid}")),
            Err(_) => Err(format!("the signature does not verify with key {kid}")),
        },
    };
    (Some(jwk), outcome)
}

/// Opens the checkpoint with the registry's keys; returns it with the key id
/// that signed it.
fn check_checkpoint(
    bundle: &Bundle,
    keys: &Jwks,
    registry: &str,
) -> Result<(Checkpoint, String), String> {
    let verifiers = keys.note_verifiers(registry);
    if verifiers.is_empty() {
        return Err(format!(
            "no key in the key set can sign checkpoints for {registry}"
        ));
    }
    let note = open_note(&bundle.checkpoint, &verifiers)
        .map_err(|e| format!("the checkpoint does not verify: {e}"))?;
    let checkpoint = Checkpoint::parse_body(&note.text)
        .map_err(|e| format!("the checkpoint is signed but malformed: {e}"))?;
    if checkpoint.origin != registry {
        return Err(format!(
            "the checkpoint is for {:?}, the receipt for {registry:?}",
            checkpoint.origin
        ));
    }
    let kid = note
        .signatures
        .first()
        .map(|s| hex::encode(s.key_hash))
        .unwrap_or_default();
    Ok((checkpoint, kid))
}

fn check_inclusion(
    bundle: &Bundle,
    payload: &[u8],
    index: u64,
    checkpoint: &Checkpoint,
) -> Result<String, String> {
    let proof = &bundle.inclusion_proof;
    if proof.index != index {
        return Err(format!(
            "the proof is for leaf {}, the receipt says leaf {index}",
            proof.index
        ));
    }
    if proof.tree_size != checkpoint.size {
        return Err(format!(
            "the proof is for a tree of size {}, the checkpoint has size {}",
            proof.tree_size, checkpoint.size
        ));
    }
    proof
        .verify(&leaf_hash(payload), &checkpoint.root)
        .map_err(|e| format!("the receipt is not in the checkpointed tree: {e}"))?;
    Ok(format!(
        "leaf {} is in the tree of size {} with root {}",
        proof.index,
        checkpoint.size,
        encode_hash(&checkpoint.root)
    ))
}

fn check_document(doc: &DocumentCheckInput, claims: &LeafClaims) -> Result<String, String> {
    let Some(claims) = claims.as_registration() else {
        return Err(format!(
            "a leaf of type {:?} lists no documents",
            claims.envelope().kind
        ));
    };
    let n = claims.documents.len();
    let found = claims.documents.iter().position(|d| {
        d.sha256.eq_ignore_ascii_case(&doc.sha256) && doc.size.is_none_or(|s| s == d.size)
    });
    match found {
        Some(i) => Ok(format!("matches document {} of {n}", i + 1)),
        None if n == 0 => Err("the receipt lists no documents".into()),
        None => Err(match doc.size {
            Some(size) => format!(
                "matches none of the {n} documents of the receipt (sha256 {}, {size} bytes)",
                doc.sha256
            ),
            None => format!(
                "matches none of the {n} documents of the receipt (sha256 {})",
                doc.sha256
            ),
        }),
    }
}

/// Verifies a bundle of any type offline with the registry's key set, and
/// checks that each of `documents` is one the receipt lists.
///
/// Never panics and always records every check (those that cannot run fail
/// with the reason): `signature`, `claims`, `key validity`,
/// `checkpoint signature`, `inclusion`, then `document <label>` for each
/// document.
pub fn verify_bundle(bundle: &Bundle, keys: &Jwks, documents: &[DocumentCheckInput]) -> Report {
    verify_leaf(bundle, keys, None, documents)
}

/// Like [`verify_bundle`], for a leaf that must be of type `expected`: a leaf
/// of another type fails the `claims` check.
pub fn verify_bundle_of_type(
    bundle: &Bundle,
    keys: &Jwks,
    expected: LeafType,
    documents: &[DocumentCheckInput],
) -> Report {
    verify_leaf(bundle, keys, Some(expected), documents)
}

fn verify_leaf(
    bundle: &Bundle,
    keys: &Jwks,
    expected: Option<LeafType>,
    documents: &[DocumentCheckInput],
) -> Report {
    let mut report = Report {
        checks: Vec::new(),
        claims: None,
        checkpoint: None,
    };

    let jws = parse_compact(&bundle.receipt).map_err(|e| e.to_string());
    let (jwk, outcome) = check_signature(&jws, keys);
    report.record(CheckName::Signature, outcome);

    let payload = jws.as_ref().ok().map(|j| j.payload.as_slice());
    let claims = match payload {
        None => Err("not checked: the receipt could not be read".to_owned()),
        Some(p) => LeafClaims::from_payload(p)
            .map_err(|e| format!("the payload is not the claims of a log leaf: {e}")),
    };
    match &claims {
        Err(e) => report.record(CheckName::Claims, Err(e.clone())),
        Ok(c) => report.record(CheckName::Claims, describe_claims(c, expected)),
    }
    let claims = claims.ok();
    let envelope = claims.as_ref().map(LeafClaims::envelope);

    let validity = match (jwk, &envelope) {
        (None, _) => Err("not checked: the signing key is unknown".to_owned()),
        (_, None) => Err("not checked: the claims could not be read".to_owned()),
        (Some(jwk), Some(e)) => {
            let period = match &jwk.not_after {
                Some(end) => format!("from {} until {end}", jwk.not_before),
                None => format!("from {}", jwk.not_before),
            };
            if jwk.valid_at(&e.registered_at) {
                Ok(format!(
                    "key {} was valid at {} ({period})",
                    jwk.kid, e.registered_at
                ))
            } else {
                Err(format!(
                    "key {} was not valid at {} (valid {period})",
                    jwk.kid, e.registered_at
                ))
            }
        }
    };
    report.record(CheckName::KeyValidity, validity);

    let checkpoint = match &envelope {
        None => Err("not checked: the claims could not be read".to_owned()),
        Some(e) => check_checkpoint(bundle, keys, &e.registry),
    };
    match checkpoint {
        Ok((cp, kid)) => {
            report.record(
                CheckName::CheckpointSignature,
                Ok(format!(
                    "checkpoint of {} at size {} signed by key {kid}",
                    cp.origin, cp.size
                )),
            );
            report.checkpoint = Some(cp);
        }
        Err(e) => report.record(CheckName::CheckpointSignature, Err(e)),
    }

    let inclusion = match (payload, &envelope, &report.checkpoint) {
        (None, _, _) => Err("not checked: the receipt could not be read".to_owned()),
        (_, None, _) => Err("not checked: the claims could not be read".to_owned()),
        (_, _, None) => Err("not checked: the checkpoint is not verified".to_owned()),
        (Some(p), Some(e), Some(cp)) => check_inclusion(bundle, p, e.index, cp),
    };
    report.record(CheckName::Inclusion, inclusion);

    report.claims = claims;
    report.check_documents(documents);
    report
}

/// The `claims` check: the claims say what they are, of the expected type.
fn describe_claims(claims: &LeafClaims, expected: Option<LeafType>) -> Result<String, String> {
    let envelope = claims.envelope();
    if let Some(expected) = expected {
        if claims.leaf_type() != Some(expected) {
            return Err(format!(
                "the claims are of type {:?}, expected {:?}",
                envelope.kind,
                expected.as_str()
            ));
        }
        if let LeafClaims::Unknown(_) = claims {
            return Err(format!(
                "leaves of type {:?} cannot be checked by this version of the verifier",
                envelope.kind
            ));
        }
    }
    Ok(match claims {
        LeafClaims::Registration(c) => format!(
            "registration {} in {}, leaf {}",
            c.number, c.registry, c.index
        ),
        LeafClaims::Config(c) => format!(
            "configuration change of {} in {}, leaf {}",
            c.setting, c.registry, c.index
        ),
        LeafClaims::Unknown(e) => format!(
            "a leaf of type {:?} in {}, leaf {}, which this verifier does not know: only its envelope, signature, key and inclusion were checked",
            e.kind, e.registry, e.index
        ),
    })
}
