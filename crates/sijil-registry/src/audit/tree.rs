//! The tree: every stored node against the tree recomputed from the leaves,
//! and every stored checkpoint (opened on every core) against its root.

use std::collections::HashSet;

use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::merkle::{empty_root, fold_perfect, node_hash, subtree_ranges_perfect, Hash};
use sijil_receipt::note::NoteVerifier;

use super::parallel::overlapped;
use super::{AuditContext, AuditReport, CHUNK};
use crate::db::store::{CheckpointRow, Store};
use crate::error::Result;
use crate::types::LeafIndex;

/// Recomputes the tree level by level and compares every stored node.
/// Returns the recomputed levels (level 0 = leaf hashes).
pub(super) fn check_nodes<S: Store>(
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
    let stored = u64::try_from(store.node_count()?).unwrap_or(0);
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

/// Opens every stored checkpoint and compares its root with the recomputed
/// tree; the workers open a chunk while this thread reads the next one.
pub(super) fn check_checkpoints<S: Store>(
    store: &mut S,
    ctx: &AuditContext<'_>,
    levels: &[Vec<Hash>],
    report: &mut AuditReport,
) -> Result<()> {
    let verifiers = ctx.jwks.note_verifiers(ctx.origin);
    let leaves = report.leaves;
    let mut latest = None;
    let mut rows = store.checkpoints_from(0, CHUNK)?;
    while let Some(last) = rows.last() {
        let from = last.tree_size + 1;
        let (found, read) = overlapped(
            &rows,
            |part| {
                part.iter()
                    .map(|row| check_checkpoint(row, ctx, &verifiers, levels, leaves))
                    .collect()
            },
            || store.checkpoints_from(from, CHUNK),
        );
        for (row, problem) in rows.iter().zip(found) {
            // `check_checkpoint` reports a negative stored size.
            let size = LeafIndex::from_row(row.tree_size)
                .map(LeafIndex::get)
                .unwrap_or_default();
            report.checkpoints += 1;
            latest = Some(size);
            if let Some(what) = problem {
                report.problem(Some(size.saturating_sub(1)), what);
            }
        }
        rows = read?;
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

/// Opens one stored checkpoint and compares it with the recomputed tree of
/// `leaves` leaves; returns the disagreement, if any.
fn check_checkpoint(
    row: &CheckpointRow,
    ctx: &AuditContext<'_>,
    verifiers: &[NoteVerifier],
    levels: &[Vec<Hash>],
    leaves: u64,
) -> Option<String> {
    let size = match LeafIndex::from_row(row.tree_size) {
        Ok(size) => size.get(),
        Err(_) => {
            return Some(format!(
                "a checkpoint is stored with size {}",
                row.tree_size
            ))
        }
    };
    let checkpoint = match Checkpoint::open(&row.note, verifiers) {
        Ok(c) => c,
        Err(e) => return Some(format!("checkpoint of size {size}: {e}")),
    };
    if checkpoint.size != size || checkpoint.origin != ctx.origin {
        return Some(format!(
            "checkpoint stored as size {size} says {} of {:?}",
            checkpoint.size, checkpoint.origin
        ));
    }
    match root_of(levels, size) {
        Some(root) if root == checkpoint.root => None,
        Some(_) => Some(format!(
            "checkpoint of size {size}: its root differs from the recomputed tree"
        )),
        None => Some(format!(
            "checkpoint of size {size} is beyond the log's {leaves} leaves"
        )),
    }
}
