//! The append-only Merkle log: the right frontier used to append, and proofs
//! read from the stored perfect subtrees.

pub(crate) mod frontier;
pub(crate) mod proofs;
