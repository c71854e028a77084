//! The log's tables: the head, the leaves, the tree's perfect subtrees and
//! the signed checkpoints. Written only by the appender, inside a log
//! transaction.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::schema::{checkpoints, leaves, log_head, tree_nodes};
use crate::error::{RegistryError, Result};

/// Nodes fetched per query (each is one OR term).
const NODES_PER_QUERY: usize = 100;

/// Rows are inserted in chunks so that no statement exceeds a backend's bind limit.
pub(crate) const INSERT_CHUNK: usize = 1_000;

/// The log head: how many leaves the log has and the last append time.
#[derive(Queryable, Selectable, Clone, Copy, Debug)]
#[diesel(table_name = log_head)]
pub(crate) struct HeadRow {
    pub tree_size: i64,
    pub last_registered_ms: i64,
}

/// A stored perfect subtree hash.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = tree_nodes)]
pub(crate) struct NodeRow {
    pub level: i32,
    pub node_index: i64,
    pub hash: Vec<u8>,
}

impl NodeRow {
    /// The row of node (`level`, `index`).
    pub(crate) fn new(level: u32, index: u64, hash: &[u8]) -> Result<Self> {
        let (level, node_index) = node_key((level, index))?;
        Ok(NodeRow {
            level,
            node_index,
            hash: hash.to_vec(),
        })
    }

    /// Its (level, index), as the tree counts them.
    pub(crate) fn id(&self) -> Result<(u32, u64)> {
        let bad = || {
            RegistryError::Integrity(format!(
                "a stored node has a negative position ({}, {})",
                self.level, self.node_index
            ))
        };
        Ok((
            u32::try_from(self.level).map_err(|_| bad())?,
            u64::try_from(self.node_index).map_err(|_| bad())?,
        ))
    }
}

/// A node's (level, index) as the database stores it.
pub(crate) fn node_key((level, index): (u32, u64)) -> Result<(i32, i64)> {
    let bad =
        || RegistryError::Integrity(format!("node ({level}, {index}) is beyond the log's range"));
    Ok((
        i32::try_from(level).map_err(|_| bad())?,
        i64::try_from(index).map_err(|_| bad())?,
    ))
}

/// A log leaf: the receipt JWS whose payload is the leaf, and its type.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = leaves)]
pub(crate) struct LeafRow {
    pub leaf_index: i64,
    pub receipt: String,
    pub kind: String,
}

/// A signed checkpoint.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = checkpoints)]
pub(crate) struct CheckpointRow {
    pub tree_size: i64,
    pub note: String,
}

/// What one batch adds to the log.
#[derive(Default)]
pub(crate) struct LogRows {
    pub leaves: Vec<LeafRow>,
    pub nodes: Vec<NodeRow>,
    pub checkpoint: Option<CheckpointRow>,
    pub head: Option<HeadRow>,
}

/// The log's queries.
pub(crate) trait LogStore {
    /// The log head.
    fn head(&mut self) -> QueryResult<HeadRow>;
    /// The stored nodes among `wanted` (level, index).
    fn nodes_in(&mut self, wanted: &[(i32, i64)]) -> QueryResult<Vec<NodeRow>>;
    /// Up to `limit` nodes of `level` from `index` on.
    fn nodes_from(&mut self, level: i32, index: i64, limit: i64) -> QueryResult<Vec<NodeRow>>;
    /// How many nodes are stored.
    fn node_count(&mut self) -> QueryResult<i64>;
    /// The leaf at `index`.
    fn leaf(&mut self, index: i64) -> QueryResult<Option<LeafRow>>;
    /// Up to `limit` leaves from `index` on.
    fn leaves_from(&mut self, index: i64, limit: i64) -> QueryResult<Vec<LeafRow>>;
    /// How many leaves are stored.
    fn leaf_count(&mut self) -> QueryResult<i64>;
    /// The checkpoint of the largest tree.
    fn latest_checkpoint(&mut self) -> QueryResult<Option<CheckpointRow>>;
    /// Up to `limit` checkpoints of trees of `size` leaves or more.
    fn checkpoints_from(&mut self, size: i64, limit: i64) -> QueryResult<Vec<CheckpointRow>>;
    /// Writes a batch's leaves, nodes, checkpoint and head.
    fn write_log(&mut self, rows: &LogRows) -> QueryResult<()>;
}

macro_rules! impl_log_store {
    ($conn:ty) => {
        impl LogStore for $conn {
            fn head(&mut self) -> QueryResult<HeadRow> {
                log_head::table
                    .filter(log_head::id.eq(1))
                    .select(HeadRow::as_select())
                    .first(self)
            }

            fn nodes_in(&mut self, wanted: &[(i32, i64)]) -> QueryResult<Vec<NodeRow>> {
                let mut rows = Vec::with_capacity(wanted.len());
                for chunk in wanted.chunks(NODES_PER_QUERY) {
                    let mut query = tree_nodes::table.select(NodeRow::as_select()).into_boxed();
                    for (level, index) in chunk {
                        query = query.or_filter(
                            tree_nodes::level
                                .eq(*level)
                                .and(tree_nodes::node_index.eq(*index)),
                        );
                    }
                    rows.extend(query.load(self)?);
                }
                Ok(rows)
            }

            fn nodes_from(
                &mut self,
                level: i32,
                index: i64,
                limit: i64,
            ) -> QueryResult<Vec<NodeRow>> {
                tree_nodes::table
                    .filter(tree_nodes::level.eq(level))
                    .filter(tree_nodes::node_index.ge(index))
                    .order(tree_nodes::node_index.asc())
                    .limit(limit)
                    .select(NodeRow::as_select())
                    .load(self)
            }

            fn node_count(&mut self) -> QueryResult<i64> {
                tree_nodes::table.count().get_result(self)
            }

            fn leaf(&mut self, index: i64) -> QueryResult<Option<LeafRow>> {
                leaves::table
                    .filter(leaves::leaf_index.eq(index))
                    .select(LeafRow::as_select())
                    .first(self)
                    .optional()
            }

            fn leaves_from(&mut self, index: i64, limit: i64) -> QueryResult<Vec<LeafRow>> {
                leaves::table
                    .filter(leaves::leaf_index.ge(index))
                    .order(leaves::leaf_index.asc())
                    .limit(limit)
                    .select(LeafRow::as_select())
                    .load(self)
            }

            fn leaf_count(&mut self) -> QueryResult<i64> {
                leaves::table.count().get_result(self)
            }

            fn latest_checkpoint(&mut self) -> QueryResult<Option<CheckpointRow>> {
                checkpoints::table
                    .order(checkpoints::tree_size.desc())
                    .select(CheckpointRow::as_select())
                    .first(self)
                    .optional()
            }

            fn checkpoints_from(
                &mut self,
                size: i64,
                limit: i64,
            ) -> QueryResult<Vec<CheckpointRow>> {
                checkpoints::table
                    .filter(checkpoints::tree_size.ge(size))
                    .order(checkpoints::tree_size.asc())
                    .limit(limit)
                    .select(CheckpointRow::as_select())
                    .load(self)
            }

            fn write_log(&mut self, rows: &LogRows) -> QueryResult<()> {
                for chunk in rows.leaves.chunks(INSERT_CHUNK) {
                    diesel::insert_into(leaves::table)
                        .values(chunk)
                        .execute(self)?;
                }
                for chunk in rows.nodes.chunks(INSERT_CHUNK) {
                    diesel::insert_into(tree_nodes::table)
                        .values(chunk)
                        .execute(self)?;
                }
                if let Some(checkpoint) = &rows.checkpoint {
                    diesel::insert_into(checkpoints::table)
                        .values(checkpoint)
                        .on_conflict(checkpoints::tree_size)
                        .do_nothing()
                        .execute(self)?;
                }
                if let Some(head) = &rows.head {
                    diesel::update(log_head::table.filter(log_head::id.eq(1)))
                        .set((
                            log_head::tree_size.eq(head.tree_size),
                            log_head::last_registered_ms.eq(head.last_registered_ms),
                        ))
                        .execute(self)?;
                }
                Ok(())
            }
        }
    };
}

impl_log_store!(SqliteConnection);
impl_log_store!(PgConnection);
