//! Property tests: every proof we generate verifies, and every tampering is
//! caught, over random tree sizes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use sijil_receipt::merkle::{
    consistency_proof, consistency_proof_ranges, fold_perfect, inclusion_proof,
    inclusion_proof_ranges, leaf_hash, root_from_leaf_hashes, subtree_ranges_perfect,
    verify_consistency, verify_inclusion,
};
use sijil_receipt::Hash;

const MAX_SIZE: u64 = 300;

fn leaves(n: u64) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
        .collect()
}

fn root(leaves: &[Hash], size: u64) -> Hash {
    root_from_leaf_hashes(&leaves[..size as usize])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_inclusion_proof_verifies(size in 1..=MAX_SIZE) {
        let l = leaves(size);
        let r = root(&l, size);
        for index in 0..size {
            let proof = inclusion_proof(&l, index).unwrap();
            prop_assert!(verify_inclusion(index, size, &l[index as usize], &proof, &r).is_ok());
        }
    }

    #[test]
    fn every_consistency_proof_verifies(size in 1..=MAX_SIZE) {
        let l = leaves(size);
        let r = root(&l, size);
        for old in 1..=size {
            let proof = consistency_proof(&l, old).unwrap();
            prop_assert!(verify_consistency(old, size, &root(&l, old), &r, &proof).is_ok());
        }
    }

    #[test]
    fn tampered_inclusion_proof_fails(
        size in 1..=MAX_SIZE,
        index_seed in any::<u64>(),
        byte_seed in any::<usize>(),
        bit in 0u8..8,
        extra in any::<[u8; 32]>(),
    ) {
        let l = leaves(size + 1);
        let index = index_seed % size;
        let leaf = l[index as usize];
        let r = root(&l, size);
        let proof = inclusion_proof(&l[..size as usize], index).unwrap();

        // A flipped bit anywhere in the proof.
        if !proof.is_empty() {
            let mut p = proof.clone();
            let at = byte_seed % (p.len() * 32);
            p[at / 32][at % 32] ^= 1 << bit;
            prop_assert!(verify_inclusion(index, size, &leaf, &p, &r).is_err());
        }
        // A flipped bit in the leaf or the root.
        let mut bad_leaf = leaf;
        bad_leaf[byte_seed % 32] ^= 1 << bit;
        prop_assert!(verify_inclusion(index, size, &bad_leaf, &proof, &r).is_err());
        let mut bad_root = r;
        bad_root[byte_seed % 32] ^= 1 << bit;
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &bad_root).is_err());
        // Another index (same leaf hash, same proof).
        for other in [index.wrapping_sub(1), index + 1, index ^ 1, index ^ 2] {
            if other != index {
                prop_assert!(verify_inclusion(other, size, &leaf, &proof, &r).is_err());
            }
        }
        // Another size, against that size's real root. (With the *same* root a
        // different size can share the same path shape, e.g. leaf 0 of 7 and
        // of 8, which is why a verifier takes the size from the signed
        // checkpoint.)
        for other in [size - 1, size + 1, size * 2, size / 2] {
            if other != size && other > index && other <= size + 1 {
                let other_root = root(&l, other);
                prop_assert!(verify_inclusion(index, other, &leaf, &proof, &other_root).is_err());
            }
        }
        // A hash dropped or added.
        if !proof.is_empty() {
            let p = proof[1..].to_vec();
            prop_assert!(verify_inclusion(index, size, &leaf, &p, &r).is_err());
            let p = proof[..proof.len() - 1].to_vec();
            prop_assert!(verify_inclusion(index, size, &leaf, &p, &r).is_err());
        }
        let mut p = proof.clone();
        p.push(extra);
        prop_assert!(verify_inclusion(index, size, &leaf, &p, &r).is_err());
        let mut p = proof.clone();
        p.insert(0, extra);
        prop_assert!(verify_inclusion(index, size, &leaf, &p, &r).is_err());
    }

    #[test]
    fn tampered_consistency_proof_fails(
        size in 2..=MAX_SIZE,
        old_seed in any::<u64>(),
        byte_seed in any::<usize>(),
        bit in 0u8..8,
        extra in any::<[u8; 32]>(),
    ) {
        let l = leaves(size + 1);
        let old = 1 + old_seed % (size - 1); // 1..size, so the proof is non-empty
        let (r1, r2) = (root(&l, old), root(&l, size));
        let proof = consistency_proof(&l[..size as usize], old).unwrap();
        prop_assert!(!proof.is_empty());

        let mut p = proof.clone();
        let at = byte_seed % (p.len() * 32);
        p[at / 32][at % 32] ^= 1 << bit;
        prop_assert!(verify_consistency(old, size, &r1, &r2, &p).is_err());

        let mut bad = r1;
        bad[byte_seed % 32] ^= 1 << bit;
        prop_assert!(verify_consistency(old, size, &bad, &r2, &proof).is_err());
        let mut bad = r2;
        bad[byte_seed % 32] ^= 1 << bit;
        prop_assert!(verify_consistency(old, size, &r1, &bad, &proof).is_err());
        prop_assert!(verify_consistency(old, size, &r2, &r1, &proof).is_err());

        // Other sizes, against the real roots of those sizes.
        for (o, n) in [(old - 1, size), (old + 1, size), (old, size + 1), (old, size - 1)] {
            if (o, n) != (old, size) && o >= 1 && o <= n && n <= size + 1 {
                let same_proof = consistency_proof(&l[..n as usize], o).unwrap() == proof;
                if !same_proof {
                    let res = verify_consistency(o, n, &root(&l, o), &root(&l, n), &proof);
                    prop_assert!(res.is_err(), "{}->{} proof verified as {}->{}", old, size, o, n);
                }
            }
        }

        let p = proof[1..].to_vec();
        prop_assert!(verify_consistency(old, size, &r1, &r2, &p).is_err());
        let p = proof[..proof.len() - 1].to_vec();
        prop_assert!(verify_consistency(old, size, &r1, &r2, &p).is_err());
        let mut p = proof.clone();
        p.push(extra);
        prop_assert!(verify_consistency(old, size, &r1, &r2, &p).is_err());
        let mut p = proof.clone();
        p.insert(0, extra);
        prop_assert!(verify_consistency(old, size, &r1, &r2, &p).is_err());
    }

    #[test]
    fn proof_ranges_are_tree_nodes_that_fold_from_perfect_subtrees(
        size in 1..=MAX_SIZE,
        seed in any::<u64>(),
    ) {
        let l = leaves(size);
        let index = seed % size;
        let old = 1 + seed % size;
        let mut ranges = inclusion_proof_ranges(index, size).unwrap();
        ranges.extend(consistency_proof_ranges(old, size).unwrap());
        for r in ranges {
            // A node of the tree: [k*2^j, min((k+1)*2^j, size)).
            let len = r.end - r.start;
            let width = len.next_power_of_two();
            prop_assert_eq!(r.start % width, 0);
            prop_assert!(r.end == size || len == width);
            let parts: Vec<Hash> = subtree_ranges_perfect(r.clone())
                .into_iter()
                .map(|(level, i)| {
                    let s = (i << level) as usize;
                    root_from_leaf_hashes(&l[s..s + (1usize << level)])
                })
                .collect();
            prop_assert_eq!(
                fold_perfect(&parts),
                root_from_leaf_hashes(&l[r.start as usize..r.end as usize])
            );
        }
    }
}
