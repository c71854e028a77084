//! The leaves and their projections: every receipt's signature, its type, and
//! its claims against the rows it projects to (a registration's letter and
//! documents, a configuration change's row), on every core; then, in log
//! order, what depends on the entry before (the per-year numbering sequence,
//! the never-decreasing time).

use std::collections::{HashMap, HashSet};

use ed25519_dalek::VerifyingKey;
use sijil_receipt::claims::{LeafClaims, RegistrationClaims};
use sijil_receipt::jwks::Jwks;
use sijil_receipt::jws::{parse_compact, CompactJws};
use sijil_receipt::merkle::{leaf_hash, Hash};

use super::documents::rehash_documents;
use super::parallel::overlapped;
use super::signatures::{batch_verifies, Signed, BATCH};
use super::{AuditContext, AuditReport, Sequence, CHUNK};
use crate::clock::format_timestamp;
use crate::db::store::{ConfigChangeRow, DocumentRow, LeafRow, LetterRow, Store};
use crate::entries::config_change;
use crate::entries::registration;
use crate::error::Result;
use crate::types::{LeafIndex, RegistryTime};

/// A leaf with the rows stored for its index: a letter and its documents, a
/// configuration change.
struct LeafInput {
    leaf: LeafRow,
    letter: Option<LetterRow>,
    documents: Vec<DocumentRow>,
    config: Option<ConfigChangeRow>,
}

/// What a worker found about one leaf, before the checks that need the
/// letter before it.
struct LeafCheck {
    /// The leaf hash of the receipt's payload.
    hash: Hash,
    /// Whether the leaf has a letter's record.
    has_letter: bool,
    /// Whether the leaf has a configuration change's row.
    has_config: bool,
    /// Disagreements found before the sequence checks (receipt, claims, record).
    before: Vec<String>,
    /// What the sequence checks need, when the claims and record are readable.
    sequence: Option<Sequenced>,
    /// Disagreements found after the sequence checks (metadata, documents).
    after: Vec<String>,
}

/// An entry's place in the log's time order and, for a letter, in its
/// year's numbering.
struct Sequenced {
    /// The entry's time: a letter's as its record states it, any other
    /// entry's as its claims do.
    registered_at_ms: i64,
    /// For a letter: its numbering year and number.
    numbered: Option<Numbered>,
}

/// A letter's place in its year's numbering.
struct Numbered {
    year: i32,
    number: String,
}

/// The key ring's verifying keys by `kid`, decoded once for the whole audit.
struct KeyRing(Vec<(String, Option<VerifyingKey>)>);

impl KeyRing {
    fn new(jwks: &Jwks) -> Self {
        KeyRing(
            jwks.keys
                .iter()
                .map(|jwk| (jwk.kid.clone(), jwk.verifying_key().ok()))
                .collect(),
        )
    }

    /// The key of the first entry named `kid` (as [`Jwks::find`] picks it).
    fn find(&self, kid: &str) -> Option<&VerifyingKey> {
        self.0
            .iter()
            .find(|(k, _)| k == kid)
            .and_then(|(_, key)| key.as_ref())
    }
}

/// Checks every leaf and its letter; returns the leaf hashes in order and
/// the numbering seen.
///
/// While the workers check a chunk, this thread re-hashes the chunk's
/// documents and reads the next chunk.
pub(super) fn check_leaves<S: Store>(
    store: &mut S,
    ctx: &AuditContext<'_>,
    report: &mut AuditReport,
) -> Result<(Vec<Hash>, Sequence)> {
    let keys = KeyRing::new(ctx.jwks);
    let mut hashes = Vec::with_capacity(usize::try_from(report.tree_size).unwrap_or(0));
    let mut numbering = Sequence::default();
    let mut rehashed = HashSet::new();
    let mut next: u64 = 0;
    let mut chunk = read_chunk(store, 0)?;
    while let Some(last) = chunk.last() {
        let following = last.leaf.leaf_index + 1;
        let (checks, (changed, read)) = overlapped(
            &chunk,
            |part| check_part(part, &keys, ctx),
            || {
                let changed = if ctx.options.check_documents {
                    let documents = chunk.iter().flat_map(|input| {
                        let index = input.leaf.leaf_index;
                        input.documents.iter().map(move |d| (index, d))
                    });
                    rehash_documents(store, ctx, documents, &mut rehashed)
                } else {
                    Ok(HashMap::new())
                };
                (changed, read_chunk(store, following))
            },
        );
        let mut changed = changed?;
        for (input, check) in chunk.iter().zip(checks) {
            if LeafIndex::from_row(input.leaf.leaf_index).ok() != Some(LeafIndex::new(next)) {
                report.problem(Some(next), format!("leaf {next} is missing from the log"));
                return Ok((hashes, numbering));
            }
            let index = next;
            hashes.push(check.hash);
            record(index, check, ctx, &mut numbering, report);
            for what in changed.remove(&input.leaf.leaf_index).unwrap_or_default() {
                report.problem(Some(index), what);
            }
            next += 1;
        }
        chunk = read?;
    }
    report.documents = rehashed.len() as u64;
    Ok((hashes, numbering))
}

/// Reads up to [`CHUNK`] leaves from `from` on, each with its letter and
/// documents.
fn read_chunk<S: Store>(store: &mut S, from: i64) -> Result<Vec<LeafInput>> {
    let leaves = store.leaves_from(from, CHUNK)?;
    let (Some(first), Some(last)) = (leaves.first(), leaves.last()) else {
        return Ok(Vec::new());
    };
    let (first, last) = (first.leaf_index, last.leaf_index);
    let letters: Vec<LetterRow> = store
        .letters_from(first, CHUNK)?
        .into_iter()
        .filter(|l| l.leaf_index <= last)
        .collect();
    let mut documents: HashMap<i64, Vec<DocumentRow>> = HashMap::new();
    let ids = letters.iter().map(|l| l.id);
    if let (Some(low), Some(high)) = (ids.clone().min(), ids.max()) {
        for d in store.documents_of(low, high)? {
            documents.entry(d.letter_id).or_default().push(d);
        }
    }
    let mut letters: HashMap<i64, LetterRow> =
        letters.into_iter().map(|l| (l.leaf_index, l)).collect();
    let mut configs: HashMap<i64, ConfigChangeRow> = store
        .config_changes_from(first, CHUNK)?
        .into_iter()
        .filter(|c| c.leaf_index <= last)
        .map(|c| (c.leaf_index, c))
        .collect();
    Ok(leaves
        .into_iter()
        .map(|leaf| {
            let letter = letters.remove(&leaf.leaf_index);
            let documents = letter
                .as_ref()
                .and_then(|l| documents.remove(&l.id))
                .unwrap_or_default();
            LeafInput {
                letter,
                documents,
                config: configs.remove(&leaf.leaf_index),
                leaf,
            }
        })
        .collect())
}

/// Checks a worker's part of a chunk, [`BATCH`] receipts at a time.
fn check_part(inputs: &[LeafInput], keys: &KeyRing, ctx: &AuditContext<'_>) -> Vec<LeafCheck> {
    inputs
        .chunks(BATCH)
        .flat_map(|batch| check_batch(batch, keys, ctx))
        .collect()
}

/// Everything about each leaf of a batch that does not depend on the letter
/// before it: the receipt's signature (verified as a batch, one by one only
/// if the batch fails), its claims against the letter's record, the metadata
/// HMAC and the list of documents.
fn check_batch(inputs: &[LeafInput], keys: &KeyRing, ctx: &AuditContext<'_>) -> Vec<LeafCheck> {
    let receipts: Vec<Receipt<'_>> = inputs
        .iter()
        .map(|input| Receipt::parse(&input.leaf, keys))
        .collect();
    let signed: Vec<Signed<'_>> = receipts
        .iter()
        .filter_map(|receipt| match receipt {
            Receipt::Keyed(jws, key) => Some(Signed {
                message: jws.signing_input().as_bytes(),
                signature: jws.signature(),
                key,
            }),
            _ => None,
        })
        .collect();
    let all_verify = batch_verifies(&signed);
    inputs
        .iter()
        .zip(receipts)
        .map(|(input, receipt)| {
            // A negative stored index is reported as a missing leaf by the caller.
            let index = LeafIndex::from_row(input.leaf.leaf_index)
                .map(LeafIndex::get)
                .unwrap_or_default();
            let (payload, problem) = receipt.check(index, all_verify);
            let mut check = LeafCheck {
                hash: leaf_hash(&payload),
                has_letter: input.letter.is_some(),
                has_config: input.config.is_some(),
                before: problem.into_iter().collect(),
                sequence: None,
                after: Vec::new(),
            };
            check_claims(index, &payload, input, ctx, &mut check);
            check
        })
        .collect()
}

/// A leaf's receipt, parsed, with the key its `kid` names.
enum Receipt<'k> {
    /// Not a JWS: the leaf bytes are the stored text.
    Unreadable(Vec<u8>, String),
    /// Signed by a key the key ring does not have.
    Unknown(CompactJws),
    /// Signed by a key of the key ring.
    Keyed(CompactJws, &'k VerifyingKey),
}

impl<'k> Receipt<'k> {
    fn parse(leaf: &LeafRow, keys: &'k KeyRing) -> Self {
        match parse_compact(&leaf.receipt) {
            Ok(jws) => match jws.header.kid.as_deref().and_then(|kid| keys.find(kid)) {
                Some(key) => Receipt::Keyed(jws, key),
                None => Receipt::Unknown(jws),
            },
            Err(e) => Receipt::Unreadable(leaf.receipt.as_bytes().to_vec(), e.to_string()),
        }
    }

    /// The payload (the leaf bytes) and what is wrong with the receipt, if
    /// anything; `batch_verified` says its signature verified in a batch.
    fn check(self, index: u64, batch_verified: bool) -> (Vec<u8>, Option<String>) {
        match self {
            Receipt::Unreadable(bytes, e) => (
                bytes,
                Some(format!("leaf {index}: the receipt is not a JWS: {e}")),
            ),
            Receipt::Unknown(jws) => (
                jws.payload,
                Some(format!(
                    "leaf {index}: the receipt's key is not in the key ring"
                )),
            ),
            Receipt::Keyed(jws, key) => {
                let problem = (!batch_verified && jws.verify(key).is_err())
                    .then(|| format!("leaf {index}: the receipt signature does not verify"));
                (jws.payload, problem)
            }
        }
    }
}

/// Compares what is stored for a leaf with its claims: the stored type, the
/// envelope, then the projection of its kind.
fn check_claims(
    index: u64,
    payload: &[u8],
    input: &LeafInput,
    ctx: &AuditContext<'_>,
    check: &mut LeafCheck,
) {
    let claims = match LeafClaims::from_payload(payload) {
        Ok(c) => c,
        Err(e) => {
            return check
                .before
                .push(format!("leaf {index}: the claims are unreadable: {e}"))
        }
    };
    let envelope = claims.envelope();
    let mut fail = |what: String| check.before.push(format!("leaf {index}: {what}"));
    if envelope.kind != input.leaf.kind {
        fail(format!(
            "stored as a leaf of type {:?} but its claims are of type {:?}",
            input.leaf.kind, envelope.kind
        ));
    }
    if envelope.index != index {
        fail(format!("the receipt says index {}", envelope.index));
    }
    if envelope.registry != ctx.origin {
        fail(format!(
            "the receipt names registry {:?}",
            envelope.registry
        ));
    }
    if input.letter.is_some() && claims.as_registration().is_none() {
        fail(format!(
            "a letter's record points at this leaf of type {:?}",
            envelope.kind
        ));
    }
    if input.config.is_some() && !matches!(claims, LeafClaims::Config(_)) {
        fail(format!(
            "a configuration change points at this leaf of type {:?}",
            envelope.kind
        ));
    }
    match &claims {
        LeafClaims::Registration(c) => check_registration(index, c, input, ctx, check),
        LeafClaims::Config(c) => {
            check_config_change(index, &claims, input, check);
            match RegistryTime::parse(&c.registered_at) {
                Some(at) => {
                    check.sequence = Some(Sequenced {
                        registered_at_ms: at.millis(),
                        numbered: None,
                    })
                }
                None => check.before.push(format!(
                    "leaf {index}: its time {:?} is not an RFC 3339 time",
                    c.registered_at
                )),
            }
        }
        LeafClaims::Unknown(e) => check.before.push(format!(
            "leaf {index}: of type {:?}, which this registry never writes",
            e.kind
        )),
    }
}

/// A configuration change's row against its leaf.
fn check_config_change(index: u64, claims: &LeafClaims, input: &LeafInput, check: &mut LeafCheck) {
    let expected = config_change::row_of(index, claims);
    match (&input.config, expected) {
        (None, _) => check
            .before
            .push(format!("leaf {index}: the configuration change has no row")),
        (Some(stored), Ok(expected)) if *stored == expected => {}
        (Some(_), Ok(_)) => check.before.push(format!(
            "leaf {index}: the stored configuration change differs from its leaf"
        )),
        (Some(_), Err(e)) => check.before.push(format!("leaf {index}: {e}")),
    }
}

/// A letter's record against the claims of its registration (all but the
/// sequence checks, whose inputs go to `check.sequence`).
fn check_registration(
    index: u64,
    claims: &RegistrationClaims,
    input: &LeafInput,
    ctx: &AuditContext<'_>,
    check: &mut LeafCheck,
) {
    let Some(letter) = &input.letter else {
        return check.before.push(format!(
            "leaf {index}: letter {} has no record",
            claims.number
        ));
    };
    let found = registration::compare(claims, letter, &input.documents);
    check.before.extend(
        found
            .identity
            .into_iter()
            .map(|w| format!("leaf {index}: {w}")),
    );
    check.after.extend(
        found
            .content
            .into_iter()
            .map(|w| format!("leaf {index}: {w}")),
    );
    check.sequence = Some(Sequenced {
        registered_at_ms: letter.registered_at_ms,
        numbered: Some(Numbered {
            year: ctx.numbering.year_of(letter.registered_at_ms),
            number: claims.number.clone(),
        }),
    });
}

/// Adds one leaf's findings to the report, in log order, with the checks
/// that depend on the letter before it: the time never decreases and the
/// number follows the year's sequence.
fn record(
    index: u64,
    check: LeafCheck,
    ctx: &AuditContext<'_>,
    numbering: &mut Sequence,
    report: &mut AuditReport,
) {
    report.leaves += 1;
    if check.has_letter {
        report.letters += 1;
    }
    if check.has_config {
        report.config_changes += 1;
    }
    for what in check.before {
        report.problem(Some(index), what);
    }
    if let Some(seq) = check.sequence {
        if seq.registered_at_ms < numbering.last_ms {
            let time = format_timestamp(seq.registered_at_ms);
            report.problem(
                Some(index),
                format!("leaf {index}: registered at {time}, before the entry it follows"),
            );
        }
        numbering.last_ms = numbering.last_ms.max(seq.registered_at_ms);
        if let Some(seq) = seq.numbered {
            let count = numbering.counts.entry(seq.year).or_insert(0);
            *count += 1;
            let expected = ctx.numbering.number(seq.year, *count);
            if seq.number != expected {
                report.problem(
                    Some(index),
                    format!(
                        "leaf {index}: number {} breaks the sequence: expected {expected}",
                        seq.number
                    ),
                );
            }
        }
    }
    for what in check.after {
        report.problem(Some(index), what);
    }
}
