//! The log as the registry serves it: the latest checkpoint (cached for a
//! moment, and this process's own at once), proofs from the stored nodes
//! (upper nodes cached), entries.

use super::*;
use crate::types::LeafIndex;

impl Registry {
    /// The bundle of an entry just appended; its checkpoint becomes the latest known.
    pub(super) fn appended_bundle(&self, appended: Appended) -> Bundle {
        self.remember_checkpoint(CheckpointRow {
            tree_size: i64::try_from(appended.tree_size).unwrap_or(i64::MAX),
            note: appended.checkpoint.clone(),
        });
        Bundle {
            receipt: appended.receipt,
            inclusion_proof: InclusionProof {
                index: appended.index,
                tree_size: appended.tree_size,
                hashes: appended.proof,
            },
            checkpoint: appended.checkpoint,
        }
    }

    /// The latest checkpoint, from memory when read less than a second ago
    /// (this process's own commits update it at once) and covering at least
    /// `size` leaves, else from the database: another process may have
    /// committed since (a letter it registered a moment ago must be served
    /// with a proof).
    pub(super) fn checkpoint_of_at_least(
        &self,
        s: &mut dyn ReadStore,
        size: u64,
    ) -> Result<CheckpointRow> {
        if let Ok(cache) = self.inner.checkpoint.lock() {
            if let Some((read_at, row)) = cache.as_ref() {
                if read_at.elapsed() < CHECKPOINT_FRESHNESS
                    && LeafIndex::from_row(row.tree_size).is_ok_and(|known| known.get() >= size)
                {
                    return Ok(row.clone());
                }
            }
        }
        let row = s
            .latest_checkpoint()?
            .ok_or_else(|| RegistryError::Integrity("no checkpoint".into()))?;
        self.remember_checkpoint(row.clone());
        Ok(row)
    }

    /// Keeps a checkpoint as the latest known, unless a larger one is known.
    fn remember_checkpoint(&self, row: CheckpointRow) {
        if let Ok(mut cache) = self.inner.checkpoint.lock() {
            let newer = cache
                .as_ref()
                .is_none_or(|(_, known)| row.tree_size >= known.tree_size);
            if newer {
                *cache = Some((Instant::now(), row));
            } else if let Some((read_at, _)) = cache.as_mut() {
                *read_at = Instant::now();
            }
        }
    }

    /// The proof source: the node cache in front of the database.
    pub(super) fn nodes<'a>(&'a self, s: &'a mut dyn ReadStore) -> proofs::Cached<'a> {
        proofs::Cached {
            cache: &self.inner.node_cache,
            inner: s,
        }
    }

    /// The root hash of a checkpoint whose signature verifies (verified once per checkpoint).
    pub(super) fn checkpoint_root(&self, note: &str) -> Result<Hash> {
        if let Ok(cache) = self.inner.verified_checkpoint.lock() {
            if let Some((known, root)) = cache.as_ref() {
                if known == note {
                    return Ok(*root);
                }
            }
        }
        let verifiers = self.inner.keys.note_verifiers()?;
        let checkpoint =
            sijil_receipt::checkpoint::Checkpoint::open(note, &verifiers).map_err(|e| {
                RegistryError::Integrity(format!("the latest checkpoint does not verify: {e}"))
            })?;
        if let Ok(mut cache) = self.inner.verified_checkpoint.lock() {
            *cache = Some((note.to_owned(), checkpoint.root));
        }
        Ok(checkpoint.root)
    }

    /// Refuses a tree size beyond the latest checkpoint.
    fn check_size(&self, s: &mut dyn ReadStore, tree_size: u64) -> Result<()> {
        let latest =
            LeafIndex::from_row(self.checkpoint_of_at_least(s, tree_size)?.tree_size)?.get();
        if tree_size > latest {
            return Err(RegistryError::Invalid(format!(
                "tree size {tree_size} is beyond the latest checkpoint ({latest})"
            )));
        }
        Ok(())
    }
}

impl Log<'_> {
    /// The latest signed checkpoint.
    pub fn checkpoint(&self) -> Result<SignedCheckpoint> {
        self.0.read(|s| {
            let row = s
                .latest_checkpoint()?
                .ok_or_else(|| RegistryError::Integrity("no checkpoint".into()))?;
            Ok(SignedCheckpoint {
                tree_size: LeafIndex::from_row(row.tree_size)?.get(),
                note: row.note,
            })
        })
    }

    /// The inclusion proof of leaf `index` in the tree of `tree_size` leaves,
    /// which must not exceed the latest checkpoint.
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<InclusionProof> {
        self.0.read(|s| {
            self.0.check_size(s, tree_size)?;
            Ok(InclusionProof {
                index,
                tree_size,
                hashes: proofs::inclusion(&mut self.0.nodes(s), index, tree_size)?,
            })
        })
    }

    /// The consistency proof between two tree sizes, both at most the latest checkpoint's.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>> {
        self.0.read(|s| {
            self.0.check_size(s, to)?;
            proofs::consistency(&mut self.0.nodes(s), from, to)
        })
    }

    /// The receipt JWS of a log leaf.
    pub fn entry(&self, index: u64) -> Result<String> {
        let index = i64::try_from(index)
            .map_err(|_| RegistryError::NotFound(format!("there is no log entry {index}")))?;
        self.0.read(|s| {
            Ok(s.leaf(index)?
                .ok_or_else(|| RegistryError::NotFound(format!("there is no log entry {index}")))?
                .receipt)
        })
    }
}
