//! The append-only Merkle log: the appender (the one writer of leaves, nodes
//! and checkpoints), the entries it takes, the right frontier used to append,
//! and proofs read from the stored perfect subtrees.

pub(crate) mod appender;
pub(crate) mod entry;
pub(crate) mod frontier;
pub(crate) mod proofs;
