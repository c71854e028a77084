//! The leaves and their letters: every receipt's signature and claims against
//! the letter's record, on every core; then, in log order, what depends on the
//! letter before (the per-year numbering sequence, the never-decreasing time).

use std::collections::{HashMap, HashSet};

use ed25519_dalek::VerifyingKey;
use sijil_receipt::claims::{DocumentDigest, RegistrationClaims, REGISTRATION};
use sijil_receipt::jwks::Jwks;
use sijil_receipt::jws::{parse_compact, CompactJws};
use sijil_receipt::merkle::{leaf_hash, Hash};
use sijil_receipt::metadata::{metadata_mac, LetterMetadata};

use super::documents::rehash_documents;
use super::parallel::overlapped;
use super::signatures::{batch_verifies, Signed, BATCH};
use super::{AuditContext, AuditReport, Numbering, CHUNK};
use crate::clock::format_timestamp;
use crate::db::store::{DocumentRow, LeafRow, LetterRow, Store};
use crate::error::Result;
use crate::numbering::year_of;

/// A leaf with the letter and documents stored for its index.
struct LeafInput {
    leaf: LeafRow,
    letter: Option<LetterRow>,
    documents: Vec<DocumentRow>,
}

/// What a worker found about one leaf, before the checks that need the
/// letter before it.
struct LeafCheck {
    /// The leaf hash of the receipt's payload.
    hash: Hash,
    /// Whether the leaf's letter has a record.
    has_letter: bool,
    /// Disagreements found before the sequence checks (receipt, claims, record).
    before: Vec<String>,
    /// What the sequence checks need, when the claims and record are readable.
    sequence: Option<Sequenced>,
    /// Disagreements found after the sequence checks (metadata, documents).
    after: Vec<String>,
}

/// A letter's place in the numbering sequence, as its receipt states it.
struct Sequenced {
    registered_at_ms: i64,
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
) -> Result<(Vec<Hash>, Numbering)> {
    let keys = KeyRing::new(ctx.jwks);
    let mut hashes = Vec::with_capacity(report.tree_size as usize);
    let mut numbering = Numbering::default();
    let mut rehashed = HashSet::new();
    let mut next: i64 = 0;
    let mut chunk = read_chunk(store, next)?;
    while let Some(last) = chunk.last() {
        let following = last.leaf.leaf_index + 1;
        let (checks, (changed, read)) = overlapped(
            &chunk,
            |part| check_part(part, &keys, ctx),
            || {
                let changed = if ctx.options.check_documents {
                    let documents = chunk.iter().flat_map(|input| &input.documents);
                    rehash_documents(store, ctx, documents, &mut rehashed)
                } else {
                    Ok(HashMap::new())
                };
                (changed, read_chunk(store, following))
            },
        );
        let mut changed = changed?;
        for (input, check) in chunk.iter().zip(checks) {
            if input.leaf.leaf_index != next {
                report.problem(
                    Some(next as u64),
                    format!("leaf {next} is missing from the log"),
                );
                return Ok((hashes, numbering));
            }
            let index = next as u64;
            hashes.push(check.hash);
            record(index, check, ctx, &mut numbering, report);
            for what in changed.remove(&next).unwrap_or_default() {
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
    let mut letters: HashMap<i64, LetterRow> = store
        .letters_from(first, CHUNK)?
        .into_iter()
        .filter(|l| l.leaf_index <= last)
        .map(|l| (l.leaf_index, l))
        .collect();
    let mut documents: HashMap<i64, Vec<DocumentRow>> = HashMap::new();
    for d in store.documents_of(first, last)? {
        documents.entry(d.leaf_index).or_default().push(d);
    }
    Ok(leaves
        .into_iter()
        .map(|leaf| LeafInput {
            letter: letters.remove(&leaf.leaf_index),
            documents: documents.remove(&leaf.leaf_index).unwrap_or_default(),
            leaf,
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
            let index = input.leaf.leaf_index as u64;
            let (payload, problem) = receipt.check(index, all_verify);
            let mut check = LeafCheck {
                hash: leaf_hash(&payload),
                has_letter: input.letter.is_some(),
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

/// Compares a letter's record with the claims of its leaf (all but the
/// sequence checks, whose inputs go to `check.sequence`).
fn check_claims(
    index: u64,
    payload: &[u8],
    input: &LeafInput,
    ctx: &AuditContext<'_>,
    check: &mut LeafCheck,
) {
    let mut fail = |what: String| check.before.push(format!("leaf {index}: {what}"));
    let claims = match RegistrationClaims::from_payload(payload) {
        Ok(c) if c.kind == REGISTRATION => c,
        Ok(c) => return fail(format!("unexpected leaf type {:?}", c.kind)),
        Err(e) => return fail(format!("the claims are unreadable: {e}")),
    };
    if claims.index != index {
        fail(format!("the receipt says index {}", claims.index));
    }
    if claims.registry != ctx.origin {
        fail(format!("the receipt names registry {:?}", claims.registry));
    }
    let Some(letter) = &input.letter else {
        return fail(format!("letter {} has no record", claims.number));
    };
    if letter.number != claims.number {
        fail(format!(
            "the record says number {} but the receipt {}",
            letter.number, claims.number
        ));
    }
    let time = format_timestamp(letter.registered_at_ms);
    if time != claims.registered_at {
        fail(format!(
            "the record says registered at {time} but the receipt {}",
            claims.registered_at
        ));
    }
    let mut fail = |what: &str| check.after.push(format!("leaf {index}: {what}"));
    match serde_json::from_str::<LetterMetadata>(&letter.metadata)
        .map_err(|e| e.to_string())
        .and_then(|m| metadata_mac(&letter.access_code, &m).map_err(|e| e.to_string()))
    {
        Ok(mac) if mac == claims.metadata_sha256 => {}
        Ok(_) => {
            fail("the stored metadata or access code does not match the receipt's metadata_sha256")
        }
        Err(e) => fail(&format!("the stored metadata is unreadable: {e}")),
    }
    let stored: Vec<DocumentDigest> = input
        .documents
        .iter()
        .map(|d| DocumentDigest {
            sha256: d.sha256.clone(),
            size: d.size as u64,
        })
        .collect();
    let positions_ok = input
        .documents
        .iter()
        .enumerate()
        .all(|(i, d)| d.position as usize == i + 1);
    if stored != claims.documents || !positions_ok {
        fail("the stored documents do not match the receipt's documents");
    }
    check.sequence = Some(Sequenced {
        registered_at_ms: letter.registered_at_ms,
        year: year_of(letter.registered_at_ms, ctx.tz),
        number: claims.number,
    });
}

/// Adds one leaf's findings to the report, in log order, with the checks
/// that depend on the letter before it: the time never decreases and the
/// number follows the year's sequence.
fn record(
    index: u64,
    check: LeafCheck,
    ctx: &AuditContext<'_>,
    numbering: &mut Numbering,
    report: &mut AuditReport,
) {
    report.leaves += 1;
    if check.has_letter {
        report.letters += 1;
    }
    for what in check.before {
        report.problem(Some(index), what);
    }
    if let Some(seq) = check.sequence {
        if seq.registered_at_ms < numbering.last_ms {
            let time = format_timestamp(seq.registered_at_ms);
            report.problem(
                Some(index),
                format!("leaf {index}: registered at {time}, before the letter it follows"),
            );
        }
        numbering.last_ms = numbering.last_ms.max(seq.registered_at_ms);
        let count = numbering.counts.entry(seq.year).or_insert(0);
        *count += 1;
        let expected = ctx.format.format(ctx.prefix, seq.year, *count);
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
    for what in check.after {
        report.problem(Some(index), what);
    }
}
