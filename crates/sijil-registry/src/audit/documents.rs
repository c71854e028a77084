//! Re-hashing the stored documents: small ones from the database, fetched
//! in batches, larger ones from their files.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::AuditContext;
use crate::db::store::{DocumentRow, Store};
use crate::documents::INLINE_MAX;
use crate::error::Result;

/// Most documents re-hashed per query of the stored small documents.
const BLOBS_PER_QUERY: usize = 1_000;
/// Most bytes of small documents held in memory at once.
const BLOB_BYTES_PER_QUERY: u64 = 64 << 20;

/// Re-hashes the `documents` (with their letter's leaf index, in leaf and
/// position order) that no earlier letter named (`seen`), small ones fetched
/// from the database a batch per query; returns the disagreements by leaf
/// index, in order.
pub(super) fn rehash_documents<'a, S: Store>(
    store: &mut S,
    ctx: &AuditContext<'_>,
    documents: impl Iterator<Item = (i64, &'a DocumentRow)>,
    seen: &mut HashSet<String>,
) -> Result<HashMap<i64, Vec<String>>> {
    let fresh: Vec<(i64, &DocumentRow)> = documents
        .filter(|(_, d)| seen.insert(d.sha256.clone()))
        .collect();
    let mut problems: HashMap<i64, Vec<String>> = HashMap::new();
    for batch in blob_batches(&fresh) {
        let wanted: Vec<&str> = batch.iter().map(|(_, d)| d.sha256.as_str()).collect();
        let blobs: HashMap<String, Vec<u8>> = store
            .blobs_in(&wanted)?
            .into_iter()
            .map(|b| (b.sha256, b.content))
            .collect();
        for &(index, d) in batch {
            let stored = match blobs.get(&d.sha256) {
                Some(bytes) => Ok((hex::encode(Sha256::digest(bytes)), bytes.len() as u64)),
                None => ctx.documents.rehash(&d.sha256),
            };
            if let Some(what) = document_problem(index, d, stored) {
                problems.entry(index).or_default().push(what);
            }
        }
    }
    Ok(problems)
}

/// Splits documents into batches of at most [`BLOBS_PER_QUERY`] whose small
/// contents (as their letters state the sizes) hold at most
/// [`BLOB_BYTES_PER_QUERY`] together, so that memory stays bounded.
fn blob_batches<'a, 'b>(
    documents: &'b [(i64, &'a DocumentRow)],
) -> Vec<&'b [(i64, &'a DocumentRow)]> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, (_, d)) in documents.iter().enumerate() {
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
fn document_problem(index: i64, d: &DocumentRow, stored: Result<(String, u64)>) -> Option<String> {
    match stored {
        Ok((sha, size)) if sha == d.sha256 && u64::try_from(d.size).is_ok_and(|s| s == size) => {
            None
        }
        Ok(_) => Some(format!(
            "leaf {index}: document {} has changed in storage",
            d.sha256
        )),
        Err(e) => Some(format!("leaf {index}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(size: i64) -> DocumentRow {
        DocumentRow {
            letter_id: 1,
            position: 1,
            sha256: String::new(),
            size,
            file_name: String::new(),
            media_type: String::new(),
        }
    }

    fn batch_lengths(sizes: &[i64]) -> Vec<usize> {
        let rows: Vec<DocumentRow> = sizes.iter().map(|&s| document(s)).collect();
        let refs: Vec<(i64, &DocumentRow)> = rows.iter().map(|d| (0, d)).collect();
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
