//! Our RFC 6962 / RFC 9162 code against published vectors (see
//! `tests/vectors/README.md` for their sources).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use sijil_receipt::merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, root_from_leaf_hashes,
    verify_consistency, verify_inclusion,
};
use sijil_receipt::Hash;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn h(hex_text: &str) -> Hash {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

#[derive(Deserialize)]
struct EightLeaf {
    leaves: Vec<String>,
    roots: Vec<String>,
    inclusion_proofs: Vec<InclusionVector>,
    consistency_proofs: Vec<ConsistencyVector>,
}

#[derive(Deserialize)]
struct InclusionVector {
    leaf: u64,
    size: u64,
    proof: Vec<String>,
}

#[derive(Deserialize)]
struct ConsistencyVector {
    size1: u64,
    size2: u64,
    proof: Vec<String>,
}

fn eight_leaf() -> EightLeaf {
    let text = std::fs::read_to_string(vectors_dir().join("rfc6962_8leaf.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn leaf_hashes(v: &EightLeaf) -> Vec<Hash> {
    v.leaves
        .iter()
        .map(|l| leaf_hash(&hex::decode(l).unwrap()))
        .collect()
}

const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

/// The ways transparency-dev/merkle corrupts a good inclusion proof; every
/// one must be rejected.
fn corrupted_inclusion(
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
    leaf: &Hash,
) -> Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> {
    let some = h(SOME_HASH);
    let mut out = vec![
        (
            "index - 1".into(),
            index.wrapping_sub(1),
            size,
            *root,
            *leaf,
            proof.to_vec(),
        ),
        (
            "index + 1".into(),
            index + 1,
            size,
            *root,
            *leaf,
            proof.to_vec(),
        ),
        (
            "index ^ 2".into(),
            index ^ 2,
            size,
            *root,
            *leaf,
            proof.to_vec(),
        ),
        (
            "size * 2".into(),
            index,
            size * 2,
            *root,
            *leaf,
            proof.to_vec(),
        ),
        (
            "size / 2".into(),
            index,
            size / 2,
            *root,
            *leaf,
            proof.to_vec(),
        ),
        (
            "wrong leaf".into(),
            index,
            size,
            *root,
            leaf_hash(b"WrongLeaf"),
            proof.to_vec(),
        ),
        (
            "empty root".into(),
            index,
            size,
            empty_root(),
            *leaf,
            proof.to_vec(),
        ),
        (
            "random root".into(),
            index,
            size,
            some,
            *leaf,
            proof.to_vec(),
        ),
    ];
    let with = |mut p: Vec<Hash>, at_end: bool, x: Hash| {
        if at_end {
            p.push(x);
        } else {
            p.insert(0, x);
        }
        p
    };
    out.push((
        "trailing root".into(),
        index,
        size,
        *root,
        *leaf,
        with(proof.to_vec(), true, *root),
    ));
    out.push((
        "preceding root".into(),
        index,
        size,
        *root,
        *leaf,
        with(proof.to_vec(), false, *root),
    ));
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 8;
        out.push((
            format!("modified proof[{i}] bit 3"),
            index,
            size,
            *root,
            *leaf,
            p,
        ));
    }
    if !proof.is_empty() {
        let p = proof[..proof.len() - 1].to_vec();
        out.push(("removed component".into(), index, size, *root, *leaf, p));
    }
    if proof.len() > 1 {
        let mut p = proof.to_vec();
        p.insert(1, some);
        out.push(("inserted component".into(), index, size, *root, *leaf, p));
    }
    out
}

#[test]
fn rfc6962_roots_of_the_eight_leaf_tree_match() {
    let v = eight_leaf();
    let leaves = leaf_hashes(&v);
    for (n, root) in v.roots.iter().enumerate() {
        assert_eq!(
            root_from_leaf_hashes(&leaves[..=n]),
            h(root),
            "root of {}",
            n + 1
        );
    }
    assert_eq!(
        hex::encode(root_from_leaf_hashes(&leaves)),
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    );
}

#[test]
fn published_inclusion_proofs_are_generated_and_verify() {
    let v = eight_leaf();
    let leaves = leaf_hashes(&v);
    for case in &v.inclusion_proofs {
        let index = case.leaf - 1;
        let size = case.size;
        let expected: Vec<Hash> = case.proof.iter().map(|p| h(p)).collect();
        let tree = &leaves[..size as usize];
        assert_eq!(
            inclusion_proof(tree, index).unwrap(),
            expected,
            "leaf {index} size {size}"
        );
        let root = h(&v.roots[size as usize - 1]);
        verify_inclusion(index, size, &leaves[index as usize], &expected, &root).unwrap();
    }
}

#[test]
fn corrupted_inclusion_proofs_fail() {
    let v = eight_leaf();
    let leaves = leaf_hashes(&v);
    for case in &v.inclusion_proofs {
        let index = case.leaf - 1;
        let proof: Vec<Hash> = case.proof.iter().map(|p| h(p)).collect();
        let root = h(&v.roots[case.size as usize - 1]);
        for (desc, i, s, r, l, p) in
            corrupted_inclusion(index, case.size, &proof, &root, &leaves[index as usize])
        {
            assert!(
                verify_inclusion(i, s, &l, &p, &r).is_err(),
                "leaf {index} size {}: {desc} verified",
                case.size
            );
        }
    }
}

#[test]
fn published_consistency_proofs_are_generated_and_verify() {
    let v = eight_leaf();
    let leaves = leaf_hashes(&v);
    for case in &v.consistency_proofs {
        let expected: Vec<Hash> = case.proof.iter().map(|p| h(p)).collect();
        let tree = &leaves[..case.size2 as usize];
        assert_eq!(consistency_proof(tree, case.size1).unwrap(), expected);
        let r1 = h(&v.roots[case.size1 as usize - 1]);
        let r2 = h(&v.roots[case.size2 as usize - 1]);
        verify_consistency(case.size1, case.size2, &r1, &r2, &expected).unwrap();
    }
}

#[test]
fn corrupted_consistency_proofs_fail() {
    let v = eight_leaf();
    let some = h(SOME_HASH);
    for case in v.consistency_proofs.iter().filter(|c| !c.proof.is_empty()) {
        let (s1, s2) = (case.size1, case.size2);
        let p: Vec<Hash> = case.proof.iter().map(|x| h(x)).collect();
        let r1 = h(&v.roots[s1 as usize - 1]);
        let r2 = h(&v.roots[s2 as usize - 1]);
        let push = |mut q: Vec<Hash>, x: Hash| {
            q.push(x);
            q
        };
        let front = |mut q: Vec<Hash>, x: Hash| {
            q.insert(0, x);
            q
        };
        let mut probes: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            ("size1 - 1".into(), s1 - 1, s2, r1, r2, p.clone()),
            ("size1 + 1".into(), s1 + 1, s2, r1, r2, p.clone()),
            ("size1 ^ 2".into(), s1 ^ 2, s2, r1, r2, p.clone()),
            ("size2 * 2".into(), s1, s2 * 2, r1, r2, p.clone()),
            ("size2 / 2".into(), s1, s2 / 2, r1, r2, p.clone()),
            ("wrong root1".into(), s1, s2, some, r2, p.clone()),
            ("wrong root2".into(), s1, s2, r1, some, p.clone()),
            ("swapped roots".into(), s1, s2, r2, r1, p.clone()),
            ("empty proof".into(), s1, s2, r1, r2, vec![]),
            ("trailing root1".into(), s1, s2, r1, r2, push(p.clone(), r1)),
            ("trailing root2".into(), s1, s2, r1, r2, push(p.clone(), r2)),
            (
                "preceding root1".into(),
                s1,
                s2,
                r1,
                r2,
                front(p.clone(), r1),
            ),
            (
                "preceding root2".into(),
                s1,
                s2,
                r1,
                r2,
                front(p.clone(), r2),
            ),
            (
                "preceding proof[0]".into(),
                s1,
                s2,
                r1,
                r2,
                front(p.clone(), p[0]),
            ),
            (
                "truncated proof".into(),
                s1,
                s2,
                r1,
                r2,
                p[..p.len() - 1].to_vec(),
            ),
        ];
        for i in 0..p.len() {
            let mut q = p.clone();
            q[i][0] ^= 16;
            probes.push((format!("modified proof[{i}] bit 4"), s1, s2, r1, r2, q));
        }
        for (desc, a, b, ra, rb, q) in probes {
            assert!(
                verify_consistency(a, b, &ra, &rb, &q).is_err(),
                "{s1}->{s2}: {desc} verified"
            );
        }
    }
}

#[test]
fn consistency_edge_cases_are_strict() {
    let root = empty_root();
    let other = h(SOME_HASH);
    // 0 < old <= new is required, even where RFC 9162 would call a case trivially true.
    assert!(verify_consistency(0, 0, &root, &root, &[]).is_err());
    assert!(verify_consistency(0, 1, &root, &other, &[]).is_err());
    assert!(verify_consistency(1, 0, &root, &other, &[]).is_err());
    assert!(verify_consistency(2, 1, &root, &other, &[]).is_err());
    // Equal sizes: equal roots and an empty proof, nothing else.
    assert!(verify_consistency(1, 1, &other, &other, &[]).is_ok());
    assert!(verify_consistency(1, 1, &root, &other, &[]).is_err());
    assert!(verify_consistency(1, 1, &root, &root, &[root]).is_err());
    // Growing with an empty proof.
    assert!(verify_consistency(1, 2, &root, &other, &[]).is_err());
}

#[test]
fn inclusion_edge_cases_are_strict() {
    let some = h(SOME_HASH);
    for (index, size) in [(0, 0), (1, 0), (2, 1), (1, 1)] {
        assert!(verify_inclusion(index, size, &some, &[], &some).is_err());
    }
    let leaf = leaf_hash(b"data");
    assert!(verify_inclusion(0, 1, &leaf, &[], &leaf).is_ok());
    assert!(verify_inclusion(0, 1, &leaf, &[], &empty_root()).is_err());
}

// ---- transparency-dev/merkle testdata files ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionProbe {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Vec<String>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsistencyProbe {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Vec<String>,
    desc: String,
    want_err: bool,
}

/// A base64 hash from a probe file; `None` when it is not 32 bytes (which
/// our types cannot even hold, so it counts as a rejection).
fn b64_hash(text: &str) -> Option<Hash> {
    STANDARD.decode(text).ok()?.try_into().ok()
}

fn json_files(kind: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let base = vectors_dir().join("transparency-dev-merkle").join(kind);
    for dir in std::fs::read_dir(base).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            out.push(file.unwrap().path());
        }
    }
    out.sort();
    assert!(!out.is_empty());
    out
}

#[test]
fn transparency_dev_inclusion_probes_give_the_expected_result() {
    for path in json_files("inclusion") {
        let p: InclusionProbe =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let proof: Option<Vec<Hash>> = p.proof.iter().map(|x| b64_hash(x)).collect();
        let ok = match (b64_hash(&p.root), b64_hash(&p.leaf_hash), proof) {
            (Some(root), Some(leaf), Some(proof)) => {
                verify_inclusion(p.leaf_idx, p.tree_size, &leaf, &proof, &root).is_ok()
            }
            _ => false,
        };
        assert_eq!(ok, !p.want_err, "{}: {}", path.display(), p.desc);
    }
}

#[test]
fn transparency_dev_consistency_probes_give_the_expected_result() {
    for path in json_files("consistency") {
        let p: ConsistencyProbe =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let proof: Option<Vec<Hash>> = p.proof.iter().map(|x| b64_hash(x)).collect();
        let ok = match (b64_hash(&p.root1), b64_hash(&p.root2), proof) {
            (Some(r1), Some(r2), Some(proof)) => {
                verify_consistency(p.size1, p.size2, &r1, &r2, &proof).is_ok()
            }
            _ => false,
        };
        assert_eq!(ok, !p.want_err, "{}: {}", path.display(), p.desc);
    }
}
