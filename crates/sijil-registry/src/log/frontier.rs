//! The right frontier of the tree: the perfect subtrees that make up `[0, size)`.
//!
//! Appending a leaf needs only these (at most log2(n) hashes), so the sequencer
//! loads them once per batch, appends in memory and writes the new nodes.

use sijil_receipt::merkle::{empty_root, fold_perfect, node_hash, subtree_ranges_perfect, Hash};

use super::proofs::{perfect_nodes, NodeSource};
use crate::db::store::NodeRow;
use crate::error::{RegistryError, Result};

/// The perfect subtrees covering the leaves `[0, size)`, largest first.
#[derive(Clone, Debug)]
pub(crate) struct Frontier {
    size: u64,
    /// (level, hash), levels strictly decreasing.
    nodes: Vec<(u32, Hash)>,
}

impl Frontier {
    /// The frontier of the empty tree.
    #[cfg(test)]
    pub(crate) fn empty() -> Self {
        Frontier {
            size: 0,
            nodes: Vec::new(),
        }
    }

    /// Reads the frontier of a tree of `size` leaves from the stored nodes.
    pub(crate) fn load(store: &mut dyn NodeSource, size: u64) -> Result<Self> {
        let ids = if size > 0 {
            subtree_ranges_perfect(0..size)
        } else {
            Vec::new()
        };
        let hashes = perfect_nodes(store, &ids)?;
        let nodes = ids.iter().map(|id| id.0).zip(hashes).collect();
        Ok(Frontier { size, nodes })
    }

    /// The number of leaves.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; pushes the nodes it completes (the leaf itself
    /// included) onto `out`.
    pub(crate) fn append(&mut self, leaf: Hash, out: &mut Vec<NodeRow>) {
        let mut level = 0u32;
        let mut index = self.size;
        let mut hash = leaf;
        out.push(node_row(level, index, hash));
        while index & 1 == 1 {
            match self.nodes.pop() {
                Some((_, left)) => hash = node_hash(&left, &hash),
                None => break,
            }
            level += 1;
            index >>= 1;
            out.push(node_row(level, index, hash));
        }
        self.nodes.push((level, hash));
        self.size += 1;
    }

    /// The perfect nodes of the frontier, by position (for in-memory proofs).
    pub(crate) fn nodes(&self) -> impl Iterator<Item = ((u32, u64), Hash)> + '_ {
        let mut start = 0u64;
        self.nodes.iter().map(move |(level, hash)| {
            let id = (*level, start >> level);
            start += 1u64 << level;
            (id, *hash)
        })
    }

    /// The root hash of the tree.
    pub(crate) fn root(&self) -> Hash {
        if self.nodes.is_empty() {
            return empty_root();
        }
        let hashes: Vec<Hash> = self.nodes.iter().map(|(_, h)| *h).collect();
        fold_perfect(&hashes)
    }
}

fn node_row(level: u32, index: u64, hash: Hash) -> NodeRow {
    // A tree of at most 2^63 leaves: its positions always fit the database's.
    NodeRow::new(level, index, &hash).unwrap_or(NodeRow {
        level: i32::MAX,
        node_index: i64::MAX,
        hash: hash.to_vec(),
    })
}

pub(crate) fn missing(level: u32, index: u64) -> RegistryError {
    RegistryError::Integrity(format!(
        "tree node at level {level} index {index} is missing"
    ))
}

pub(crate) fn to_hash(bytes: &[u8], level: u32, index: u64) -> Result<Hash> {
    Hash::try_from(bytes).map_err(|_| {
        RegistryError::Integrity(format!(
            "tree node at level {level} index {index} is not 32 bytes"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sijil_receipt::merkle::{leaf_hash, root_from_leaf_hashes};

    #[test]
    fn appending_leaves_gives_the_rfc6962_root_and_every_perfect_node_once() {
        let mut frontier = Frontier::empty();
        let mut leaves = Vec::new();
        let mut nodes = Vec::new();
        for i in 0u32..300 {
            let leaf = leaf_hash(&i.to_be_bytes());
            leaves.push(leaf);
            frontier.append(leaf, &mut nodes);
            assert_eq!(
                frontier.root(),
                root_from_leaf_hashes(&leaves),
                "size {}",
                i + 1
            );
        }
        // A tree of n leaves has n + n/2 + n/4 + ... perfect nodes.
        let expected: u64 = (0..9).map(|level| 300u64 >> level).sum();
        assert_eq!(nodes.len() as u64, expected);
        let level2 = nodes.iter().find(|n| n.level == 2 && n.node_index == 1);
        let want = root_from_leaf_hashes(&leaves[4..8]);
        assert_eq!(level2.map(|n| n.hash.clone()), Some(want.to_vec()));
    }
}
