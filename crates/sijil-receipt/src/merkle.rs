//! RFC 6962 / RFC 9162 Merkle tree hashing, proof shapes and proof checking.
//!
//! The registry stores the nodes of its tree in a database while tests build
//! trees in memory; both must produce the same proofs. So proofs are first
//! described by their *shape*: the leaf ranges whose subtree hashes they are
//! made of ([`inclusion_proof_ranges`], [`consistency_proof_ranges`]). Every
//! such range is a node of the RFC 6962 tree of size `n`, i.e. a range
//! `[k*2^j, min((k+1)*2^j, n))`, and its hash is the fold of the perfect
//! (power-of-two, aligned) subtrees it decomposes into
//! ([`subtree_ranges_perfect`], [`fold_perfect`]), which a store can keep
//! once and for all since they never change.
//!
//! The verifiers ([`verify_inclusion`], [`verify_consistency`]) are the
//! algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2, with strict checks of
//! sizes and proof lengths before any hashing.

use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// A SHA-256 hash: leaf, node and root hashes are all this size.
pub type Hash = [u8; 32];

/// Hash of a leaf: SHA-256(0x00 ‖ leaf), the domain-separated RFC 6962 leaf hash.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(leaf);
    h.finalize().into()
}

/// Hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Root of the empty tree: SHA-256 of the empty string (RFC 6962 MTH({})).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Largest power of two strictly smaller than `n` (`n` must be at least 2):
/// where RFC 6962 splits a tree of `n` leaves.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Merkle tree hash (RFC 6962 MTH) of a list of leaf hashes, computed in
/// memory: the reference the stored tree must agree with.
pub fn root_from_leaf_hashes(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(
                &root_from_leaf_hashes(&leaves[..k]),
                &root_from_leaf_hashes(&leaves[k..]),
            )
        }
    }
}

/// Leaf ranges whose subtree hashes make up the inclusion proof of leaf
/// `index` in a tree of `tree_size` leaves, in proof order (RFC 9162
/// 2.1.3.1: the leaf's sibling first, the root's child last).
///
/// Errors when `index >= tree_size`.
pub fn inclusion_proof_ranges(index: u64, tree_size: u64) -> Result<Vec<Range<u64>>> {
    if index >= tree_size {
        return Err(Error::Proof(format!(
            "leaf index {index} is not below tree size {tree_size}"
        )));
    }
    let mut out = Vec::new();
    let (mut lo, mut hi) = (0u64, tree_size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            out.push(lo + k..hi);
            hi = lo + k;
        } else {
            out.push(lo..lo + k);
            lo += k;
        }
    }
    out.reverse();
    Ok(out)
}

/// Leaf ranges whose subtree hashes make up the consistency proof from a tree
/// of `old_size` leaves to one of `new_size` leaves, in proof order (RFC 9162
/// 2.1.4.1).
///
/// Errors unless `0 < old_size <= new_size`; equal sizes give an empty proof.
pub fn consistency_proof_ranges(old_size: u64, new_size: u64) -> Result<Vec<Range<u64>>> {
    if old_size == 0 || old_size > new_size {
        return Err(Error::Proof(format!(
            "a consistency proof needs 0 < old size <= new size, got {old_size} and {new_size}"
        )));
    }
    let mut out = Vec::new();
    let (mut lo, mut hi) = (0u64, new_size);
    // `complete` is RFC 9162's `b`: true while the old tree is still a
    // left-aligned subtree whose hash the verifier already has.
    let mut complete = true;
    loop {
        let n = hi - lo;
        let m = old_size - lo;
        if m == n {
            if !complete {
                out.push(lo..hi);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            out.push(lo + k..hi);
            hi = lo + k;
        } else {
            out.push(lo..lo + k);
            lo += k;
            complete = false;
        }
    }
    out.reverse();
    Ok(out)
}

/// Splits a leaf range into perfect subtrees, left to right, as
/// `(level, index)`: the subtree at level `L` and index `i` covers leaves
/// `[i*2^L, (i+1)*2^L)`.
///
/// For a node range of an RFC 6962 tree (`[k*2^j, min((k+1)*2^j, n))`, as
/// returned by the proof-range functions) the node's hash is
/// [`fold_perfect`] of these subtrees' hashes, so a store that keeps perfect
/// subtrees can answer any proof. An empty range gives an empty list.
pub fn subtree_ranges_perfect(range: Range<u64>) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    let mut start = range.start;
    while start < range.end {
        let remaining = range.end - start;
        // Largest level allowed by the alignment of `start`...
        let mut level = if start == 0 {
            63
        } else {
            start.trailing_zeros()
        };
        // ...and by the number of leaves left.
        level = level.min(63 - remaining.leading_zeros());
        out.push((level, start >> level));
        start += 1u64 << level;
    }
    out
}

/// Folds subtree hashes right to left, `node(h0, node(h1, ... h_last))`: the
/// hash of a node range from its perfect subtrees (see
/// [`subtree_ranges_perfect`]). One hash folds to itself; none gives
/// [`empty_root`].
pub fn fold_perfect(hashes: &[Hash]) -> Hash {
    let Some((last, rest)) = hashes.split_last() else {
        return empty_root();
    };
    rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc))
}

fn range_hash(leaves: &[Hash], range: &Range<u64>) -> Result<Hash> {
    let start = usize::try_from(range.start).map_err(|e| Error::Proof(e.to_string()))?;
    let end = usize::try_from(range.end).map_err(|e| Error::Proof(e.to_string()))?;
    leaves
        .get(start..end)
        .map(root_from_leaf_hashes)
        .ok_or_else(|| Error::Proof(format!("range {start}..{end} is outside the tree")))
}

/// Inclusion proof of leaf `index` in the tree made of `leaves`, computed in
/// memory (for tests and small trees; the registry reads stored nodes).
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>> {
    inclusion_proof_ranges(index, leaves.len() as u64)?
        .iter()
        .map(|r| range_hash(leaves, r))
        .collect()
}

/// Consistency proof from the first `old_size` leaves to all of `leaves`,
/// computed in memory (for tests and small trees).
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>> {
    consistency_proof_ranges(old_size, leaves.len() as u64)?
        .iter()
        .map(|r| range_hash(leaves, r))
        .collect()
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves
/// whose root is `root` (RFC 9162 2.1.3.2).
///
/// Strict: the index must be below the size and the proof must have exactly
/// the length the shape requires.
pub fn verify_inclusion(
    index: u64,
    tree_size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<()> {
    let expected = inclusion_proof_ranges(index, tree_size)?.len();
    if proof.len() != expected {
        return Err(Error::Proof(format!(
            "inclusion proof for leaf {index} in a tree of size {tree_size} needs {expected} hashes, got {}",
            proof.len()
        )));
    }
    let mut fn_ = index;
    let mut sn = tree_size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(Error::Proof("inclusion proof is too long".into()));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(Error::Proof("inclusion proof is too short".into()));
    }
    if r != *root {
        return Err(Error::Proof(format!(
            "leaf {index} does not lead to the root of the tree of size {tree_size}"
        )));
    }
    Ok(())
}

/// Checks that the tree of `old_size` leaves with root `old_root` is a prefix
/// of the tree of `new_size` leaves with root `new_root` (RFC 9162 2.1.4.2).
///
/// Strict: `0 < old_size <= new_size`, equal sizes need an empty proof and
/// equal roots, and the proof must have exactly the length the shape requires.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<()> {
    let expected = consistency_proof_ranges(old_size, new_size)?.len();
    if proof.len() != expected {
        return Err(Error::Proof(format!(
            "consistency proof from size {old_size} to {new_size} needs {expected} hashes, got {}",
            proof.len()
        )));
    }
    if old_size == new_size {
        if old_root != new_root {
            return Err(Error::Proof(format!(
                "two different roots for the same tree size {old_size}"
            )));
        }
        return Ok(());
    }
    // RFC 9162 2.1.4.2 step 2: a power-of-two old tree is a node of the new
    // tree, so its hash starts the path.
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof.iter());
    let Some((first, rest)) = path.split_first() else {
        return Err(Error::Proof("consistency proof is empty".into()));
    };
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr = **first;
    let mut sr = **first;
    for c in rest {
        if sn == 0 {
            return Err(Error::Proof("consistency proof is too long".into()));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(Error::Proof("consistency proof is too short".into()));
    }
    if fr != *old_root {
        return Err(Error::Proof(format!(
            "consistency proof does not lead to the root of the old tree of size {old_size}"
        )));
    }
    if sr != *new_root {
        return Err(Error::Proof(format!(
            "consistency proof does not lead to the root of the new tree of size {new_size}"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn split_point_is_largest_power_of_two_below_n() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        // Vectors from transparency-dev/merkle rfc6962_test.go.
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            hex::encode(leaf_hash(b"L123456")),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
        );
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        let mut concat = a.to_vec();
        concat.extend_from_slice(&b);
        assert_ne!(node_hash(&a, &b), leaf_hash(&concat));
        assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
    }

    #[test]
    fn inclusion_ranges_follow_rfc9162_path_order() {
        // Tree of 7: leaf 4's path is leaf 5, then [6,7), then [0,4).
        assert_eq!(
            inclusion_proof_ranges(4, 7).unwrap(),
            vec![5..6, 6..7, 0..4]
        );
        assert_eq!(inclusion_proof_ranges(6, 7).unwrap(), vec![4..6, 0..4]);
        assert!(inclusion_proof_ranges(0, 1).unwrap().is_empty());
        assert!(inclusion_proof_ranges(7, 7).is_err());
        assert!(inclusion_proof_ranges(0, 0).is_err());
    }

    #[test]
    fn consistency_ranges_follow_rfc9162_subproof() {
        // RFC 9162 2.1.4.3 examples, tree of 7 leaves (d0..d6).
        assert_eq!(
            consistency_proof_ranges(3, 7).unwrap(),
            vec![2..3, 3..4, 0..2, 4..7]
        );
        assert_eq!(consistency_proof_ranges(4, 7).unwrap(), vec![4..7]);
        assert_eq!(
            consistency_proof_ranges(6, 7).unwrap(),
            vec![4..6, 6..7, 0..4]
        );
        assert!(consistency_proof_ranges(5, 5).unwrap().is_empty());
        assert!(consistency_proof_ranges(0, 5).is_err());
        assert!(consistency_proof_ranges(6, 5).is_err());
    }

    #[test]
    fn perfect_subtrees_decompose_node_ranges_left_to_right() {
        assert_eq!(subtree_ranges_perfect(0..8), vec![(3, 0)]);
        assert_eq!(subtree_ranges_perfect(8..15), vec![(2, 2), (1, 6), (0, 14)]);
        assert_eq!(subtree_ranges_perfect(4..7), vec![(1, 2), (0, 6)]);
        assert!(subtree_ranges_perfect(3..3).is_empty());
    }

    #[test]
    fn folding_perfect_subtrees_gives_the_range_hash() {
        let l = leaves(300);
        for n in 1..=64u64 {
            for index in 0..n {
                for r in inclusion_proof_ranges(index, n).unwrap() {
                    let parts: Vec<Hash> = subtree_ranges_perfect(r.clone())
                        .into_iter()
                        .map(|(level, i)| {
                            let s = (i << level) as usize;
                            root_from_leaf_hashes(&l[s..s + (1usize << level)])
                        })
                        .collect();
                    assert_eq!(
                        fold_perfect(&parts),
                        root_from_leaf_hashes(&l[r.start as usize..r.end as usize])
                    );
                }
            }
        }
        assert_eq!(fold_perfect(&[]), empty_root());
    }

    #[test]
    fn inclusion_requires_index_below_size() {
        let l = leaves(4);
        let root = root_from_leaf_hashes(&l);
        assert!(verify_inclusion(4, 4, &l[0], &[], &root).is_err());
        assert!(verify_inclusion(0, 0, &l[0], &[], &root).is_err());
        assert!(verify_inclusion(0, 1, &l[0], &[], &l[0]).is_ok());
    }

    #[test]
    fn consistency_of_equal_sizes_needs_equal_roots_and_empty_proof() {
        let l = leaves(5);
        let root = root_from_leaf_hashes(&l);
        assert!(verify_consistency(5, 5, &root, &root, &[]).is_ok());
        assert!(verify_consistency(5, 5, &root, &l[0], &[]).is_err());
        assert!(verify_consistency(5, 5, &root, &root, &[root]).is_err());
        assert!(verify_consistency(0, 5, &root, &root, &[]).is_err());
    }
}
