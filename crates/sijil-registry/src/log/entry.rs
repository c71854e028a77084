//! What the log appends: entries of any kind.
//!
//! The log knows entries, not letters. Each kind of entry (a registration, a
//! configuration change, ...) is a module of its own under `entries/` that
//! implements [`Entry`]: given its place in the log, it returns its claims
//! (the exact leaf bytes) and puts its own rows into its [`Section`] of the
//! batch, which the appender writes in the same transaction.

use std::any::{Any, TypeId};

use sijil_receipt::claims::LeafType;
use sijil_receipt::merkle::Hash;

use crate::db::store::Tables;
use crate::error::{RegistryError, Result};
use crate::types::RegistryTime;

/// Where the log puts an entry.
pub(crate) struct Place<'a> {
    /// The log's origin (the `registry` claim).
    pub origin: &'a str,
    /// The entry's leaf index.
    pub index: u64,
    /// The batch's time (the `registered_at` claim, RFC 3339 with milliseconds).
    pub at: RegistryTime,
    /// The same time in its claim's form, formatted once per batch.
    pub registered_at: &'a str,
}

/// One entry waiting for the log.
pub(crate) trait Entry: Send {
    /// The `type` of its leaf.
    fn leaf_type(&self) -> LeafType;

    /// Work done before the log transaction, outside the head lock (putting
    /// documents in place). An entry that fails here fails alone.
    fn prepare(&mut self) -> Result<()> {
        Ok(())
    }

    /// Its claims at `place`, as the payload bytes that are signed and become
    /// the leaf; its own rows go into its section of `rows`. Runs inside the
    /// log transaction: `tables` reads what the batch's numbering needs.
    fn seal(
        &mut self,
        place: &Place<'_>,
        rows: &mut Sections,
        tables: &mut dyn Tables,
    ) -> Result<Vec<u8>>;
}

/// One kind's rows in a batch.
pub(crate) trait Section: Any + Send {
    /// Writes them (after the batch's leaves, inside the log transaction).
    fn write(&self, tables: &mut dyn Tables) -> Result<()>;
}

/// The rows that a batch's entries add beside the log, one section per kind.
#[derive(Default)]
pub(crate) struct Sections {
    sections: Vec<Box<dyn Section>>,
}

impl Sections {
    /// The section of type `T`, created empty the first time.
    pub(crate) fn section<T: Section + Default>(&mut self) -> Result<&mut T> {
        let position = self
            .sections
            .iter()
            .position(|s| (**s).type_id() == TypeId::of::<T>());
        let position = position.unwrap_or_else(|| {
            self.sections.push(Box::<T>::default());
            self.sections.len() - 1
        });
        let section: &mut dyn Any = &mut *self.sections[position];
        section
            .downcast_mut::<T>()
            .ok_or_else(|| RegistryError::Integrity("a batch section of the wrong type".into()))
    }

    /// Writes every section.
    pub(crate) fn write(&self, tables: &mut dyn Tables) -> Result<()> {
        self.sections.iter().try_for_each(|s| s.write(tables))
    }
}

/// What the log answers for an entry once its batch is durable.
#[derive(Clone, Debug)]
pub(crate) struct Appended {
    /// Its leaf index.
    pub index: u64,
    /// Its claims (the leaf bytes).
    pub payload: Vec<u8>,
    /// The signed receipt (compact JWS over `payload`).
    pub receipt: String,
    /// The batch's signed checkpoint.
    pub checkpoint: String,
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// The inclusion proof of the leaf in that tree.
    pub proof: Vec<Hash>,
}
