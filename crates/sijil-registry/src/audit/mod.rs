//! The audit: re-verify the whole register against its log.
//!
//! It recomputes the tree from the stored leaves and compares every stored
//! node; opens every stored checkpoint and compares its root; re-checks every
//! receipt's signature and every letter's record (number, time, metadata HMAC,
//! documents) against its leaf; and, optionally, re-hashes every stored document.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use chrono_tz::Tz;
use serde::Serialize;
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::claims::{DocumentDigest, RegistrationClaims, REGISTRATION};
use sijil_receipt::jwks::Jwks;
use sijil_receipt::jws::parse_compact;
use sijil_receipt::merkle::{
    empty_root, fold_perfect, leaf_hash, node_hash, subtree_ranges_perfect, Hash,
};
use sijil_receipt::metadata::{metadata_mac, LetterMetadata};

use crate::clock::format_timestamp;
use crate::db::store::{DocumentRow, LeafRow, LetterRow, Store};
use sha2::{Digest, Sha256};

use crate::documents::{DocumentStore, INLINE_MAX};
use crate::error::Result;
use crate::numbering::{year_of, NumberFormat};

/// Rows read per query.
const CHUNK: i64 = 10_000;
/// Most documents re-hashed per query of the stored small documents.
const BLOBS_PER_QUERY: usize = 1_000;
/// Most bytes of small documents held in memory at once.
const BLOB_BYTES_PER_QUERY: u64 = 64 << 20;
/// Problems kept in a report; the audit goes on counting after that.
const MAX_PROBLEMS: usize = 1_000;

/// What the audit checks beyond the log itself.
#[derive(Clone, Copy, Debug)]
pub struct AuditOptions {
    /// Re-hash every stored document file.
    pub check_documents: bool,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            check_documents: true,
        }
    }
}

/// One disagreement found by the audit.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AuditProblem {
    /// The first log index concerned, when there is one.
    pub index: Option<u64>,
    /// What disagrees, in one line.
    pub what: String,
}

/// What the audit checked and what it found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditReport {
    /// The log head's tree size.
    pub tree_size: u64,
    /// Leaves re-hashed.
    pub leaves: u64,
    /// Stored tree nodes compared.
    pub nodes: u64,
    /// Stored checkpoints opened and compared.
    pub checkpoints: u64,
    /// Letters compared with their leaf.
    pub letters: u64,
    /// Distinct document files re-hashed.
    pub documents: u64,
    /// Disagreements, by index (the first is the one to look at).
    pub problems: Vec<AuditProblem>,
}

impl AuditReport {
    /// True when nothing disagrees.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// The disagreement at the lowest index.
    pub fn first_problem(&self) -> Option<&AuditProblem> {
        self.problems.first()
    }

    fn problem(&mut self, index: Option<u64>, what: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(AuditProblem { index, what });
        }
    }
}

/// What the audit compares against.
pub(crate) struct AuditContext<'a> {
    pub origin: &'a str,
    pub prefix: &'a str,
    pub format: &'a NumberFormat,
    pub tz: Tz,
    pub jwks: &'a Jwks,
    pub documents: &'a DocumentStore,
    pub options: AuditOptions,
}

/// Runs the audit inside one read snapshot.
pub(crate) fn run<S: Store>(store: &mut S, ctx: &AuditContext<'_>) -> Result<AuditReport> {
    let head = store.head()?;
    let mut report = AuditReport {
        tree_size: head.tree_size as u64,
        ..AuditReport::default()
    };
    let started = Instant::now();
    let (leaf_hashes, numbering) = check_leaves(store, ctx, &mut report)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "audit: leaves and letters checked"
    );
    check_counters(store, &numbering, head.last_registered_ms, &mut report)?;
    if report.leaves != report.tree_size {
        report.problem(
            Some(report.leaves.min(report.tree_size)),
            format!(
                "the log head counts {} leaves but {} are stored in sequence",
                report.tree_size, report.leaves
            ),
        );
    }
    let stored_leaves = store.leaf_count()? as u64;
    if stored_leaves != report.leaves {
        report.problem(
            Some(report.leaves),
            format!(
                "{} leaves are stored beyond the log's sequence",
                stored_leaves - report.leaves.min(stored_leaves)
            ),
        );
    }
    let stored_letters = store.letter_count()? as u64;
    if stored_letters != report.letters {
        report.problem(
            None,
            format!(
                "{stored_letters} letters are stored but {} belong to the log's leaves",
                report.letters
            ),
        );
    }
    let started = Instant::now();
    let levels = check_nodes(store, leaf_hashes, &mut report)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "audit: tree nodes checked"
    );
    let started = Instant::now();
    check_checkpoints(store, ctx, &levels, &mut report)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "audit: checkpoints checked"
    );
    report.problems.sort_by_key(|p| p.index.unwrap_or(u64::MAX));
    Ok(report)
}

/// Per-year numbering state while walking the log.
#[derive(Default)]
struct Numbering {
    counts: BTreeMap<i32, i64>,
    last_ms: i64,
}

/// Compares the stored per-year counters and the log head's last registration
/// time with what the log says.
fn check_counters<S: Store>(
    store: &mut S,
    numbering: &Numbering,
    last_ms: i64,
    report: &mut AuditReport,
) -> Result<()> {
    for (year, count) in &numbering.counts {
        let stored = store.counter(*year)?.unwrap_or(0);
        if stored != *count {
            report.problem(
                None,
                format!("the {year} counter says {stored} letters but the log has {count}"),
            );
        }
    }
    if report.letters > 0 && last_ms != numbering.last_ms {
        report.problem(
            None,
            format!(
                "the log head's last registration time {} differs from the last letter's {}",
                format_timestamp(last_ms),
                format_timestamp(numbering.last_ms)
            ),
        );
    }
    Ok(())
}

/// Checks every leaf and its letter; returns the leaf hashes in order and
/// the numbering seen.
fn check_leaves<S: Store>(
    store: &mut S,
    ctx: &AuditContext<'_>,
    report: &mut AuditReport,
) -> Result<(Vec<Hash>, Numbering)> {
    let mut hashes = Vec::with_capacity(report.tree_size as usize);
    let mut numbering = Numbering::default();
    let mut rehashed = HashSet::new();
    let mut next: i64 = 0;
    loop {
        let leaves = store.leaves_from(next, CHUNK)?;
        let (Some(first), Some(last)) = (leaves.first(), leaves.last()) else {
            break;
        };
        let (first, last) = (first.leaf_index, last.leaf_index);
        let letters: HashMap<i64, LetterRow> = store
            .letters_from(first, CHUNK)?
            .into_iter()
            .filter(|l| l.leaf_index <= last)
            .map(|l| (l.leaf_index, l))
            .collect();
        let chunk_documents = store.documents_of(first, last)?;
        let mut changed = if ctx.options.check_documents {
            rehash_documents(store, ctx, &chunk_documents, &mut rehashed)?
        } else {
            HashMap::new()
        };
        let mut documents: HashMap<i64, Vec<DocumentRow>> = HashMap::new();
        for d in chunk_documents {
            documents.entry(d.leaf_index).or_default().push(d);
        }
        let receipts = check_receipts(&leaves, ctx);
        for (leaf, (payload, receipt_problem)) in leaves.into_iter().zip(receipts) {
            if leaf.leaf_index != next {
                report.problem(
                    Some(next as u64),
                    format!("leaf {next} is missing from the log"),
                );
                return Ok((hashes, numbering));
            }
            let index = next as u64;
            if let Some(problem) = receipt_problem {
                report.problem(Some(index), problem);
            }
            hashes.push(leaf_hash(&payload));
            report.leaves += 1;
            let letter = letters.get(&leaf.leaf_index);
            let docs = documents.remove(&leaf.leaf_index).unwrap_or_default();
            check_letter(index, &payload, letter, &docs, ctx, &mut numbering, report);
            for what in changed.remove(&leaf.leaf_index).unwrap_or_default() {
                report.problem(Some(index), what);
            }
            next += 1;
        }
    }
    report.documents = rehashed.len() as u64;
    Ok((hashes, numbering))
}

/// Checks a leaf's receipt signature; returns its payload (the leaf bytes).
fn check_receipt(leaf: &LeafRow, ctx: &AuditContext<'_>) -> (Vec<u8>, Option<String>) {
    let index = leaf.leaf_index as u64;
    let jws = match parse_compact(&leaf.receipt) {
        Ok(jws) => jws,
        Err(e) => {
            return (
                leaf.receipt.as_bytes().to_vec(),
                Some(format!("leaf {index}: the receipt is not a JWS: {e}")),
            );
        }
    };
    let key = jws
        .header
        .kid
        .as_deref()
        .and_then(|kid| ctx.jwks.find(kid))
        .and_then(|jwk| jwk.verifying_key().ok());
    let problem = match key {
        Some(key) if jws.verify(&key).is_ok() => None,
        Some(_) => Some(format!(
            "leaf {index}: the receipt signature does not verify"
        )),
        None => Some(format!(
            "leaf {index}: the receipt's key is not in the key ring"
        )),
    };
    (jws.payload, problem)
}

/// Checks the receipts of a chunk of leaves on every core (signature
/// verification dominates the audit); results in leaf order.
fn check_receipts(leaves: &[LeafRow], ctx: &AuditContext<'_>) -> Vec<(Vec<u8>, Option<String>)> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let per_thread = leaves.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = leaves
            .chunks(per_thread)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|leaf| check_receipt(leaf, ctx))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Checks a letter's record against the claims of its leaf.
fn check_letter(
    index: u64,
    payload: &[u8],
    letter: Option<&LetterRow>,
    documents: &[DocumentRow],
    ctx: &AuditContext<'_>,
    numbering: &mut Numbering,
    report: &mut AuditReport,
) {
    let mut problems = Vec::new();
    check_letter_claims(
        index,
        payload,
        letter,
        documents,
        ctx,
        numbering,
        &mut problems,
    );
    if letter.is_some() {
        report.letters += 1;
    }
    for what in problems {
        report.problem(Some(index), format!("leaf {index}: {what}"));
    }
}

/// The disagreements between a letter's record and its leaf's claims.
fn check_letter_claims(
    index: u64,
    payload: &[u8],
    letter: Option<&LetterRow>,
    documents: &[DocumentRow],
    ctx: &AuditContext<'_>,
    numbering: &mut Numbering,
    problems: &mut Vec<String>,
) {
    let mut fail = |what: String| problems.push(what);
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
    let Some(letter) = letter else {
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
    if letter.registered_at_ms < numbering.last_ms {
        fail(format!(
            "registered at {time}, before the letter it follows"
        ));
    }
    numbering.last_ms = numbering.last_ms.max(letter.registered_at_ms);
    let year = year_of(letter.registered_at_ms, ctx.tz);
    let seq = numbering.counts.entry(year).or_insert(0);
    *seq += 1;
    let expected = ctx.format.format(ctx.prefix, year, *seq);
    if claims.number != expected {
        fail(format!(
            "number {} breaks the sequence: expected {expected}",
            claims.number
        ));
    }
    match serde_json::from_str::<LetterMetadata>(&letter.metadata)
        .map_err(|e| e.to_string())
        .and_then(|m| metadata_mac(&letter.access_code, &m).map_err(|e| e.to_string()))
    {
        Ok(mac) if mac == claims.metadata_sha256 => {}
        Ok(_) => fail(
            "the stored metadata or access code does not match the receipt's metadata_sha256"
                .into(),
        ),
        Err(e) => fail(format!("the stored metadata is unreadable: {e}")),
    }
    let stored: Vec<DocumentDigest> = documents
        .iter()
        .map(|d| DocumentDigest {
            sha256: d.sha256.clone(),
            size: d.size as u64,
        })
        .collect();
    let positions_ok = documents
        .iter()
        .enumerate()
        .all(|(i, d)| d.position as usize == i + 1);
    if stored != claims.documents || !positions_ok {
        fail("the stored documents do not match the receipt's documents".into());
    }
}

/// Re-hashes the documents of a chunk (in leaf and position order) that no
/// earlier letter named, small ones fetched from the database a batch per
/// query; returns the disagreements by leaf index, in order.
fn rehash_documents<S: Store>(
    store: &mut S,
    ctx: &AuditContext<'_>,
    documents: &[DocumentRow],
    seen: &mut HashSet<String>,
) -> Result<HashMap<i64, Vec<String>>> {
    let fresh: Vec<&DocumentRow> = documents
        .iter()
        .filter(|d| seen.insert(d.sha256.clone()))
        .collect();
    let mut problems: HashMap<i64, Vec<String>> = HashMap::new();
    for batch in blob_batches(&fresh) {
        let wanted: Vec<&str> = batch.iter().map(|d| d.sha256.as_str()).collect();
        let blobs: HashMap<String, Vec<u8>> = store
            .blobs_in(&wanted)?
            .into_iter()
            .map(|b| (b.sha256, b.content))
            .collect();
        for d in batch {
            let stored = match blobs.get(&d.sha256) {
                Some(bytes) => Ok((hex::encode(Sha256::digest(bytes)), bytes.len() as u64)),
                None => ctx.documents.rehash(&d.sha256),
            };
            if let Some(what) = document_problem(d, stored) {
                problems.entry(d.leaf_index).or_default().push(what);
            }
        }
    }
    Ok(problems)
}

/// Splits documents into batches of at most [`BLOBS_PER_QUERY`] whose small
/// contents (as their letters state the sizes) hold at most
/// [`BLOB_BYTES_PER_QUERY`] together, so that memory stays bounded.
fn blob_batches<'a, 'b>(documents: &'b [&'a DocumentRow]) -> Vec<&'b [&'a DocumentRow]> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, d) in documents.iter().enumerate() {
        let size = d.size.clamp(0, INLINE_MAX as i64) as u64;
        if i > start && (i - start == BLOBS_PER_QUERY || bytes + size > BLOB_BYTES_PER_QUERY) {
            batches.push(&documents[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < documents.len() {
        batches.push(&documents[start..]);
    }
    batches
}

/// The disagreement, if any, between a stored document (re-hashed) and what
/// its letter says.
fn document_problem(d: &DocumentRow, stored: Result<(String, u64)>) -> Option<String> {
    let index = d.leaf_index;
    match stored {
        Ok((sha, size)) if sha == d.sha256 && size == d.size as u64 => None,
        Ok(_) => Some(format!(
            "leaf {index}: document {} has changed in storage",
            d.sha256
        )),
        Err(e) => Some(format!("leaf {index}: {e}")),
    }
}

/// Recomputes the tree level by level and compares every stored node.
/// Returns the recomputed levels (level 0 = leaf hashes).
fn check_nodes<S: Store>(
    store: &mut S,
    leaves: Vec<Hash>,
    report: &mut AuditReport,
) -> Result<Vec<Vec<Hash>>> {
    let mut levels = vec![leaves];
    let mut expected_total = 0u64;
    let mut below_mismatched: HashSet<usize> = HashSet::new();
    let mut level = 0usize;
    while let Some(current) = levels.get(level) {
        if current.is_empty() {
            break;
        }
        expected_total += current.len() as u64;
        let mut position = 0i64;
        let mut mismatched = HashSet::new();
        loop {
            let rows = store.nodes_from(level as i32, position, CHUNK)?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let i = row.node_index as usize;
                let leaf = (row.node_index as u64) << level;
                match current.get(i) {
                    Some(hash) if hash[..] == row.hash[..] => {}
                    Some(_) => {
                        mismatched.insert(i);
                        // A node above a mismatched child differs because of
                        // it: only the lowest disagreement is reported.
                        let below = level > 0
                            && (below_mismatched.contains(&(2 * i)) || below_mismatched.contains(&(2 * i + 1)));
                        if !below {
                            report.problem(
                                Some(leaf),
                                format!("tree node at level {level} index {i} (leaves from {leaf}) differs from the recomputed tree"),
                            );
                        }
                    }
                    None => report.problem(
                        Some(leaf),
                        format!("tree node at level {level} index {i} is stored but the tree has no such node"),
                    ),
                }
                report.nodes += 1;
                position = row.node_index + 1;
            }
        }
        below_mismatched = mismatched;
        let next: Vec<Hash> = current
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
        levels.push(next);
        level += 1;
    }
    let stored = store.node_count()? as u64;
    if stored != expected_total {
        report.problem(
            None,
            format!("{stored} tree nodes are stored where the tree has {expected_total}"),
        );
    }
    Ok(levels)
}

/// The root of the first `size` leaves, from recomputed levels.
fn root_of(levels: &[Vec<Hash>], size: u64) -> Option<Hash> {
    if size == 0 {
        return Some(empty_root());
    }
    let hashes: Option<Vec<Hash>> = subtree_ranges_perfect(0..size)
        .into_iter()
        .map(|(level, index)| levels.get(level as usize)?.get(index as usize).copied())
        .collect();
    hashes.map(|h| fold_perfect(&h))
}

/// Opens every stored checkpoint and compares its root with the recomputed tree.
fn check_checkpoints<S: Store>(
    store: &mut S,
    ctx: &AuditContext<'_>,
    levels: &[Vec<Hash>],
    report: &mut AuditReport,
) -> Result<()> {
    let verifiers = ctx.jwks.note_verifiers(ctx.origin);
    let mut from = 0i64;
    let mut latest = None;
    loop {
        let rows = store.checkpoints_from(from, CHUNK)?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let size = row.tree_size as u64;
            let at = Some(size.saturating_sub(1));
            report.checkpoints += 1;
            from = row.tree_size + 1;
            latest = Some(size);
            let checkpoint = match Checkpoint::open(&row.note, &verifiers) {
                Ok(c) => c,
                Err(e) => {
                    report.problem(at, format!("checkpoint of size {size}: {e}"));
                    continue;
                }
            };
            if checkpoint.size != size || checkpoint.origin != ctx.origin {
                report.problem(
                    at,
                    format!(
                        "checkpoint stored as size {size} says {} of {:?}",
                        checkpoint.size, checkpoint.origin
                    ),
                );
                continue;
            }
            match root_of(levels, size) {
                Some(root) if root == checkpoint.root => {}
                Some(_) => report.problem(
                    at,
                    format!("checkpoint of size {size}: its root differs from the recomputed tree"),
                ),
                None => report.problem(
                    at,
                    format!(
                        "checkpoint of size {size} is beyond the log's {} leaves",
                        report.leaves
                    ),
                ),
            }
        }
    }
    if latest != Some(report.tree_size) {
        report.problem(
            None,
            format!(
                "the latest checkpoint does not cover the log head's {} leaves",
                report.tree_size
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(size: i64) -> DocumentRow {
        DocumentRow {
            leaf_index: 0,
            position: 1,
            sha256: String::new(),
            size,
            file_name: String::new(),
            media_type: String::new(),
        }
    }

    fn batch_lengths(sizes: &[i64]) -> Vec<usize> {
        let rows: Vec<DocumentRow> = sizes.iter().map(|&s| document(s)).collect();
        let refs: Vec<&DocumentRow> = rows.iter().collect();
        blob_batches(&refs).iter().map(|b| b.len()).collect()
    }

    #[test]
    fn blob_batches_are_bounded_by_count() {
        let sizes = vec![10; 2 * BLOBS_PER_QUERY + 1];
        assert_eq!(
            batch_lengths(&sizes),
            vec![BLOBS_PER_QUERY, BLOBS_PER_QUERY, 1]
        );
        assert!(batch_lengths(&[]).is_empty());
    }

    #[test]
    fn blob_batches_are_bounded_by_bytes() {
        let max = INLINE_MAX as i64;
        let per_batch = (BLOB_BYTES_PER_QUERY / INLINE_MAX as u64) as usize;
        let sizes = vec![max; per_batch + 1];
        assert_eq!(batch_lengths(&sizes), vec![per_batch, 1]);
        // Files (beyond INLINE_MAX) count as at most INLINE_MAX; a negative
        // (tampered) size as nothing.
        let sizes = vec![max * 1000, -5, max];
        assert_eq!(batch_lengths(&sizes), vec![3]);
    }
}
