//! Offline verification of a bundle, as a list of named checks.
//!
//! [`verify_bundle`] never stops at the first problem: it runs every check it
//! can and records why the others could not run, so a citizen or an auditor
//! sees exactly what holds and what does not. Check names are stable:
//! `signature`, `claims`, `key validity`, `checkpoint signature`,
//! `inclusion`, and `document <label>` per document given.

use serde::Serialize;

use crate::bundle::Bundle;
use crate::checkpoint::Checkpoint;
use crate::claims::{RegistrationClaims, REGISTRATION};
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
    /// Its size in bytes.
    pub size: u64,
}

/// The outcome of one check.
#[derive(Serialize, Clone, Debug)]
pub struct Check {
    /// Stable name of the check.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// One plain-English line saying what was found.
    pub detail: String,
}

/// Everything [`verify_bundle`] found.
#[derive(Serialize, Clone, Debug)]
pub struct Report {
    /// Every check, in a fixed order.
    pub checks: Vec<Check>,
    /// The receipt's claims, when its payload could be read (even if a check
    /// failed: look at `checks` before trusting them).
    pub claims: Option<RegistrationClaims>,
    /// The checkpoint, only when its signature verified.
    pub checkpoint: Option<Checkpoint>,
}

impl Report {
    /// True when there is at least one check and every check passed.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// The check with this name, if it was recorded.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    fn record(&mut self, name: &str, outcome: Result<String, String>) {
        let (passed, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        self.checks.push(Check {
            name: name.to_owned(),
            passed,
            detail,
        });
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
    claims: &RegistrationClaims,
    checkpoint: &Checkpoint,
) -> Result<String, String> {
    let proof = &bundle.inclusion_proof;
    if proof.index != claims.index {
        return Err(format!(
            "the proof is for leaf {}, the receipt says leaf {}",
            proof.index, claims.index
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

fn check_document(doc: &DocumentCheckInput, claims: &RegistrationClaims) -> Result<String, String> {
    let n = claims.documents.len();
    let found = claims
        .documents
        .iter()
        .position(|d| d.sha256.eq_ignore_ascii_case(&doc.sha256) && d.size == doc.size);
    match found {
        Some(i) => Ok(format!("matches document {} of {n}", i + 1)),
        None if n == 0 => Err("the receipt lists no documents".into()),
        None => Err(format!(
            "matches none of the {n} documents of the receipt (sha256 {}, {} bytes)",
            doc.sha256, doc.size
        )),
    }
}

/// Verifies a bundle offline with the registry's key set, and checks that
/// each of `documents` is one the receipt lists.
///
/// Never panics and always records every check (those that cannot run fail
/// with the reason): `signature`, `claims`, `key validity`,
/// `checkpoint signature`, `inclusion`, then `document <label>` for each
/// document.
pub fn verify_bundle(bundle: &Bundle, keys: &Jwks, documents: &[DocumentCheckInput]) -> Report {
    let mut report = Report {
        checks: Vec::new(),
        claims: None,
        checkpoint: None,
    };

    let jws = parse_compact(&bundle.receipt).map_err(|e| e.to_string());
    let (jwk, outcome) = check_signature(&jws, keys);
    report.record("signature", outcome);

    let payload = jws.as_ref().ok().map(|j| j.payload.as_slice());
    let claims = match payload {
        None => Err("not checked: the receipt could not be read".to_owned()),
        Some(p) => RegistrationClaims::from_payload(p)
            .map_err(|e| format!("the payload is not registration claims: {e}")),
    };
    match &claims {
        Err(e) => report.record("claims", Err(e.clone())),
        Ok(c) if c.kind != REGISTRATION => report.record(
            "claims",
            Err(format!(
                "the claims are of type {:?}, expected {REGISTRATION:?}",
                c.kind
            )),
        ),
        Ok(c) => report.record(
            "claims",
            Ok(format!(
                "registration {} in {}, leaf {}",
                c.number, c.registry, c.index
            )),
        ),
    }
    let claims = claims.ok();

    let validity = match (jwk, &claims) {
        (None, _) => Err("not checked: the signing key is unknown".to_owned()),
        (_, None) => Err("not checked: the claims could not be read".to_owned()),
        (Some(jwk), Some(c)) => {
            let period = match &jwk.not_after {
                Some(end) => format!("from {} until {end}", jwk.not_before),
                None => format!("from {}", jwk.not_before),
            };
            if jwk.valid_at(&c.registered_at) {
                Ok(format!(
                    "key {} was valid at {} ({period})",
                    jwk.kid, c.registered_at
                ))
            } else {
                Err(format!(
                    "key {} was not valid at {} (valid {period})",
                    jwk.kid, c.registered_at
                ))
            }
        }
    };
    report.record("key validity", validity);

    let checkpoint = match &claims {
        None => Err("not checked: the claims could not be read".to_owned()),
        Some(c) => check_checkpoint(bundle, keys, &c.registry),
    };
    match checkpoint {
        Ok((cp, kid)) => {
            report.record(
                "checkpoint signature",
                Ok(format!(
                    "checkpoint of {} at size {} signed by key {kid}",
                    cp.origin, cp.size
                )),
            );
            report.checkpoint = Some(cp);
        }
        Err(e) => report.record("checkpoint signature", Err(e)),
    }

    let inclusion = match (payload, &claims, &report.checkpoint) {
        (None, _, _) => Err("not checked: the receipt could not be read".to_owned()),
        (_, None, _) => Err("not checked: the claims could not be read".to_owned()),
        (_, _, None) => Err("not checked: the checkpoint is not verified".to_owned()),
        (Some(p), Some(c), Some(cp)) => check_inclusion(bundle, p, c, cp),
    };
    report.record("inclusion", inclusion);

    for doc in documents {
        let outcome = match &claims {
            None => Err("not checked: the claims could not be read".to_owned()),
            Some(c) => check_document(doc, c),
        };
        report.record(&format!("document {}", doc.label), outcome);
    }

    report.claims = claims;
    report
}
