//! Proofs from the stored tree: each proof hash is the hash of a node range,
//! folded from the stored perfect subtrees that make it up. All the perfect
//! nodes a proof needs (O(log n)) are fetched at once; immutable upper nodes
//! are kept in a [`NodeCache`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::RwLock;

use sijil_receipt::merkle::{
    consistency_proof_ranges, empty_root, fold_perfect, inclusion_proof_ranges,
    subtree_ranges_perfect, Hash,
};

use super::frontier::{missing, to_hash};
use crate::db::store::{node_key, LogStore};
use crate::error::{RegistryError, Result};

/// A perfect node's position: (level, index at that level).
pub(crate) type NodeId = (u32, u64);

/// Where proofs read stored perfect subtree hashes from.
pub(crate) trait NodeSource {
    /// The hashes of the wanted nodes that exist.
    fn stored_nodes(&mut self, wanted: &[NodeId]) -> Result<HashMap<NodeId, Hash>>;
}

impl<S: LogStore> NodeSource for S {
    fn stored_nodes(&mut self, wanted: &[NodeId]) -> Result<HashMap<NodeId, Hash>> {
        let keys = wanted
            .iter()
            .map(|&id| node_key(id))
            .collect::<Result<Vec<_>>>()?;
        let mut found = HashMap::with_capacity(wanted.len());
        for row in self.nodes_in(&keys)? {
            let id = row.id()?;
            found.insert(id, to_hash(&row.hash, id.0, id.1)?);
        }
        Ok(found)
    }
}

/// Nodes held in memory (a batch being committed).
impl NodeSource for HashMap<NodeId, Hash> {
    fn stored_nodes(&mut self, wanted: &[NodeId]) -> Result<HashMap<NodeId, Hash>> {
        Ok(wanted
            .iter()
            .filter_map(|id| self.get(id).map(|h| (*id, *h)))
            .collect())
    }
}

/// Perfect nodes at or above this level are cached (1/64 of all nodes).
const CACHED_FROM_LEVEL: u32 = 6;
/// The most nodes the cache keeps (32 MiB or so).
const CACHE_CAPACITY: usize = 500_000;

/// A cache of upper perfect nodes, which never change once written.
#[derive(Debug, Default)]
pub(crate) struct NodeCache {
    nodes: RwLock<HashMap<NodeId, Hash>>,
}

/// A node source that answers from the cache first.
pub(crate) struct Cached<'a> {
    pub cache: &'a NodeCache,
    pub inner: &'a mut dyn NodeSource,
}

impl NodeSource for Cached<'_> {
    fn stored_nodes(&mut self, wanted: &[NodeId]) -> Result<HashMap<NodeId, Hash>> {
        let mut found = HashMap::with_capacity(wanted.len());
        let mut misses = Vec::new();
        if let Ok(nodes) = self.cache.nodes.read() {
            for id in wanted {
                match nodes.get(id) {
                    Some(h) => {
                        found.insert(*id, *h);
                    }
                    None => misses.push(*id),
                }
            }
        } else {
            misses.extend_from_slice(wanted);
        }
        if !misses.is_empty() {
            let fetched = self.inner.stored_nodes(&misses)?;
            let cacheable: Vec<_> = fetched
                .iter()
                .filter(|(id, _)| id.0 >= CACHED_FROM_LEVEL)
                .collect();
            if !cacheable.is_empty() {
                if let Ok(mut nodes) = self.cache.nodes.write() {
                    if nodes.len() + cacheable.len() <= CACHE_CAPACITY {
                        nodes.extend(cacheable.into_iter().map(|(id, h)| (*id, *h)));
                    }
                }
            }
            found.extend(fetched);
        }
        Ok(found)
    }
}

/// The hashes of the perfect nodes, which must all exist, in order.
pub(crate) fn perfect_nodes(store: &mut dyn NodeSource, ids: &[NodeId]) -> Result<Vec<Hash>> {
    let found = store.stored_nodes(ids)?;
    ids.iter()
        .map(|id| found.get(id).copied().ok_or_else(|| missing(id.0, id.1)))
        .collect()
}

/// The hashes of the subtrees over `ranges` of leaves, with one fetch.
fn subtree_hashes(store: &mut dyn NodeSource, ranges: &[Range<u64>]) -> Result<Vec<Hash>> {
    let parts: Vec<Vec<NodeId>> = ranges
        .iter()
        .map(|r| subtree_ranges_perfect(r.clone()))
        .collect();
    let all: Vec<NodeId> = parts.iter().flatten().copied().collect();
    let found = store.stored_nodes(&all)?;
    parts
        .iter()
        .map(|ids| {
            let hashes = ids
                .iter()
                .map(|id| found.get(id).copied().ok_or_else(|| missing(id.0, id.1)))
                .collect::<Result<Vec<_>>>()?;
            Ok(fold_perfect(&hashes))
        })
        .collect()
}

/// The root hash of the tree of `size` leaves.
pub(crate) fn root(store: &mut dyn NodeSource, size: u64) -> Result<Hash> {
    if size == 0 {
        Ok(empty_root())
    } else {
        let whole = std::iter::once(0..size).collect::<Vec<_>>();
        Ok(subtree_hashes(store, &whole)?[0])
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
    subtree_hashes(store, &ranges)
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
    subtree_hashes(store, &ranges)
}
