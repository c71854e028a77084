//! The appender: the one piece of code that writes to the log.
//!
//! Inside a log transaction it owns the head, the frontier, the JWS signing
//! and the checkpoint: it gives every entry of the batch its index and the
//! batch's time, signs each entry's claims as its receipt, appends the leaves
//! and the nodes they complete, writes every entry's own rows, and signs one
//! checkpoint for the whole batch.

use std::collections::HashMap;

use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::merkle::{leaf_hash, Hash};

use super::entry::{Appended, Entry, Place, Sections};
use super::frontier::Frontier;
use super::proofs::NodeId;
use crate::clock::{format_timestamp, registration_time, Clock};
use crate::db::store::{CheckpointRow, HeadRow, LeafRow, LogRows, Store};
use crate::error::Result;
use crate::keys::Signer;
use crate::types::{LeafIndex, RegistryTime};

/// Appends one batch; runs inside the log transaction, which it expects to
/// hold the log head. Every entry is appended, or (on error) none.
pub(crate) fn append_batch<S: Store>(
    store: &mut S,
    origin: &str,
    clock: &dyn Clock,
    signer: &Signer,
    entries: &mut [Box<dyn Entry>],
) -> Result<Vec<Appended>> {
    let head = store.head()?;
    let size = LeafIndex::from_row(head.tree_size)?.get();
    let mut frontier = Frontier::load(store, size)?;
    // The batch's proofs need only the frontier before it and the nodes it adds.
    let mut nodes: HashMap<NodeId, Hash> = frontier.nodes().collect();
    let clock_ms = clock.now().timestamp_millis();
    let (ms, stepped_back) = registration_time(
        head.last_registered_ms.max(signer.valid_from_ms()),
        clock_ms,
    );
    if stepped_back {
        tracing::warn!(
            clock = %format_timestamp(clock_ms),
            kept = %format_timestamp(ms),
            "the clock is behind the last entry: keeping the last entry's time"
        );
    }
    let at = RegistryTime::from_millis(ms);
    let registered_at = at.to_rfc3339();
    let mut log = LogRows::default();
    let mut sections = Sections::default();
    let mut appended = Vec::with_capacity(entries.len());
    for entry in entries.iter_mut() {
        let index = frontier.size();
        let place = Place {
            origin,
            index,
            at,
            registered_at: &registered_at,
        };
        let payload = entry.seal(&place, &mut sections, store)?;
        let receipt = signer.sign_receipt(&payload);
        frontier.append(leaf_hash(&payload), &mut log.nodes);
        log.leaves.push(LeafRow {
            leaf_index: LeafIndex::new(index).to_row()?,
            receipt: receipt.clone(),
            kind: entry.leaf_type().as_str().to_owned(),
        });
        appended.push(Appended {
            index,
            payload,
            receipt,
            checkpoint: String::new(),
            tree_size: 0,
            proof: Vec::new(),
        });
    }
    let checkpoint = Checkpoint {
        origin: origin.to_owned(),
        size: frontier.size(),
        root: frontier.root(),
        extensions: Vec::new(),
    };
    let note = signer.sign_checkpoint(&checkpoint)?;
    let tree_size = LeafIndex::new(checkpoint.size).to_row()?;
    log.checkpoint = Some(CheckpointRow {
        tree_size,
        note: note.clone(),
    });
    log.head = Some(HeadRow {
        tree_size,
        last_registered_ms: ms,
    });
    // Leaves first: the entries' rows refer to them.
    store.write_log(&log)?;
    sections.write(store)?;
    nodes.extend(log.nodes.iter().filter_map(|n| {
        Some((
            (
                u32::try_from(n.level).ok()?,
                u64::try_from(n.node_index).ok()?,
            ),
            Hash::try_from(&n.hash[..]).ok()?,
        ))
    }));
    for done in &mut appended {
        done.checkpoint = note.clone();
        done.tree_size = checkpoint.size;
        done.proof = super::proofs::inclusion(&mut nodes, done.index, checkpoint.size)?;
    }
    Ok(appended)
}

/// Signs and stores a checkpoint of the current tree if none exists yet (a new
/// registry publishes the empty tree's checkpoint).
pub(crate) fn ensure_checkpoint<S: Store>(
    store: &mut S,
    origin: &str,
    signer: &Signer,
) -> Result<()> {
    store.log_transaction(|store| {
        if store.latest_checkpoint()?.is_some() {
            return Ok(());
        }
        let size = LeafIndex::from_row(store.head()?.tree_size)?.get();
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size,
            root: super::proofs::root(store, size)?,
            extensions: Vec::new(),
        };
        let rows = LogRows {
            checkpoint: Some(CheckpointRow {
                tree_size: LeafIndex::new(size).to_row()?,
                note: signer.sign_checkpoint(&checkpoint)?,
            }),
            ..LogRows::default()
        };
        store.write_log(&rows)?;
        Ok(())
    })
}
