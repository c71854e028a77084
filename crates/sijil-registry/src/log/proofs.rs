//! Proofs from the stored tree: each proof hash is the hash of a node range,
//! folded from the stored perfect subtrees that make it up (O(log n) reads).

use std::ops::Range;

use sijil_receipt::merkle::{
    consistency_proof_ranges, empty_root, fold_perfect, inclusion_proof_ranges,
    subtree_ranges_perfect, Hash,
};

use super::frontier::{missing, to_hash};
use crate::db::store::Store;
use crate::error::{RegistryError, Result};

/// Where proofs read stored perfect subtree hashes from.
pub(crate) trait NodeSource {
    /// The stored hash of node (level, index), if any.
    fn stored_node(&mut self, level: i32, index: i64) -> Result<Option<Vec<u8>>>;
}

impl<S: Store> NodeSource for S {
    fn stored_node(&mut self, level: i32, index: i64) -> Result<Option<Vec<u8>>> {
        Ok(self.node(level, index)?)
    }
}

/// The stored hash of the perfect node (level, index), which must exist.
pub(crate) fn perfect_node(store: &mut dyn NodeSource, level: u32, index: u64) -> Result<Hash> {
    let bytes = store
        .stored_node(level as i32, index as i64)?
        .ok_or_else(|| missing(level, index))?;
    to_hash(&bytes, level, index)
}

/// The hash of the subtree over `range` of leaves.
pub(crate) fn subtree_hash(store: &mut dyn NodeSource, range: Range<u64>) -> Result<Hash> {
    let hashes = subtree_ranges_perfect(range)
        .into_iter()
        .map(|(level, index)| perfect_node(store, level, index))
        .collect::<Result<Vec<_>>>()?;
    Ok(fold_perfect(&hashes))
}

/// The root hash of the tree of `size` leaves.
pub(crate) fn root(store: &mut dyn NodeSource, size: u64) -> Result<Hash> {
    if size == 0 {
        Ok(empty_root())
    } else {
        subtree_hash(store, 0..size)
    }
}

/// The inclusion proof of leaf `index` in the tree of `tree_size` leaves.
pub(crate) fn inclusion(
    store: &mut dyn NodeSource,
    index: u64,
    tree_size: u64,
) -> Result<Vec<Hash>> {
    let ranges = inclusion_proof_ranges(index, tree_size).map_err(|_| {
        RegistryError::Invalid(format!(
            "index {index} is not in a tree of size {tree_size}: it must be below the size"
        ))
    })?;
    ranges.into_iter().map(|r| subtree_hash(store, r)).collect()
}

/// The consistency proof between the trees of `old_size` and `new_size` leaves.
pub(crate) fn consistency(
    store: &mut dyn NodeSource,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>> {
    let ranges = consistency_proof_ranges(old_size, new_size).map_err(|_| {
        RegistryError::Invalid(format!(
            "no consistency proof from {old_size} to {new_size}: it needs 0 < from <= to"
        ))
    })?;
    ranges.into_iter().map(|r| subtree_hash(store, r)).collect()
}
