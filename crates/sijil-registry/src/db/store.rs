//! The queries of the registry, written once and compiled for both backends.
//!
//! `impl_store!` expands the same query code for `SqliteConnection` and
//! `PgConnection`; only the write transaction differs: SQLite takes the write
//! lock with `BEGIN IMMEDIATE`, PostgreSQL locks the log head row.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel::upsert::excluded;

use super::schema::{
    api_tokens, checkpoints, counters, document_blobs, leaves, letter_documents, letters, log_head,
    tree_nodes,
};
use crate::error::Result;

/// Nodes fetched per query (each is one OR term).
const NODES_PER_QUERY: usize = 100;

/// Rows are inserted in chunks so that no statement exceeds a backend's bind limit.
const INSERT_CHUNK: usize = 1_000;

/// The log head: how many leaves the log has and the last registration time.
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

/// A log leaf: the receipt JWS whose payload is the leaf.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = leaves)]
pub(crate) struct LeafRow {
    pub leaf_index: i64,
    pub receipt: String,
}

/// A signed checkpoint.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = checkpoints)]
pub(crate) struct CheckpointRow {
    pub tree_size: i64,
    pub note: String,
}

/// A registered letter.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = letters)]
pub(crate) struct LetterRow {
    pub leaf_index: i64,
    pub number: String,
    pub registered_at_ms: i64,
    pub metadata: String,
    pub access_code: String,
    pub status: String,
}

/// A document attached to a letter.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = letter_documents)]
pub(crate) struct DocumentRow {
    pub leaf_index: i64,
    pub position: i32,
    pub sha256: String,
    pub size: i64,
    pub file_name: String,
    pub media_type: String,
}

/// A clerk API token (its hash only).
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = api_tokens)]
pub(crate) struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub token_sha256: String,
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// Which letters a register listing shows.
pub(crate) struct LetterFilter<'a> {
    pub from_ms: i64,
    pub to_ms: i64,
    /// A LIKE pattern over the lower-cased number and metadata.
    pub pattern: Option<&'a str>,
    pub offset: i64,
    pub limit: i64,
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A small document stored in the database.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = document_blobs)]
pub(crate) struct BlobRow {
    pub sha256: String,
    pub content: Vec<u8>,
}

/// Everything one batch writes, inserted in one transaction.
#[derive(Default)]
pub(crate) struct BatchRows {
    pub leaves: Vec<LeafRow>,
    pub letters: Vec<LetterRow>,
    pub documents: Vec<DocumentRow>,
    pub blobs: Vec<BlobRow>,
    pub nodes: Vec<NodeRow>,
    pub counters: Vec<(i32, i64)>,
    pub checkpoint: Option<CheckpointRow>,
    pub head: Option<HeadRow>,
}

/// The registry's queries.
pub(crate) trait Store: Sized {
    /// Runs `f` in a write transaction that holds the log head exclusively.
    fn write_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T>;
    /// Runs `f` in a transaction that sees one consistent snapshot.
    fn read_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T>;

    fn head(&mut self) -> QueryResult<HeadRow>;
    fn nodes_in(&mut self, wanted: &[(i32, i64)]) -> QueryResult<Vec<NodeRow>>;
    fn letter_with_leaf(&mut self, number: &str) -> QueryResult<Option<(LetterRow, String)>>;
    fn counter(&mut self, year: i32) -> QueryResult<Option<i64>>;
    fn write_batch(&mut self, rows: &BatchRows) -> QueryResult<()>;

    fn latest_checkpoint(&mut self) -> QueryResult<Option<CheckpointRow>>;
    fn checkpoints_from(&mut self, size: i64, limit: i64) -> QueryResult<Vec<CheckpointRow>>;
    fn leaf(&mut self, index: i64) -> QueryResult<Option<LeafRow>>;
    fn leaves_from(&mut self, index: i64, limit: i64) -> QueryResult<Vec<LeafRow>>;
    fn nodes_from(&mut self, level: i32, index: i64, limit: i64) -> QueryResult<Vec<NodeRow>>;
    fn node_count(&mut self) -> QueryResult<i64>;
    fn leaf_count(&mut self) -> QueryResult<i64>;
    fn letter_by_number(&mut self, number: &str) -> QueryResult<Option<LetterRow>>;
    fn letters_from(&mut self, index: i64, limit: i64) -> QueryResult<Vec<LetterRow>>;
    fn letters_between(&mut self, from_ms: i64, to_ms: i64) -> QueryResult<Vec<LetterRow>>;
    fn letters_with_document(&mut self, sha256: &str) -> QueryResult<Vec<LetterRow>>;
    fn documents_of(&mut self, first: i64, last: i64) -> QueryResult<Vec<DocumentRow>>;
    fn letter_count(&mut self) -> QueryResult<i64>;
    fn blob(&mut self, sha256: &str) -> QueryResult<Option<Vec<u8>>>;
    /// The stored small documents among `sha256`, in one query (callers keep
    /// the list short: SQLite binds one parameter per hash).
    fn blobs_in(&mut self, sha256: &[&str]) -> QueryResult<Vec<BlobRow>>;
    fn letters_page(&mut self, filter: &LetterFilter<'_>) -> QueryResult<Vec<LetterRow>>;

    fn insert_token(&mut self, row: &TokenRow) -> QueryResult<()>;
    fn max_token_id(&mut self) -> QueryResult<Option<i64>>;
    fn tokens(&mut self) -> QueryResult<Vec<TokenRow>>;
    fn token_by_hash(&mut self, sha256: &str) -> QueryResult<Option<TokenRow>>;
    fn revoke_token(&mut self, id: i64, at_ms: i64) -> QueryResult<usize>;
}

macro_rules! impl_store {
    ($conn:ty, |$c:ident, $f:ident| write: $write_tx:block read: $read_tx:block) => {
        impl Store for $conn {
            fn write_transaction<T>(
                &mut self,
                $f: impl FnOnce(&mut Self) -> Result<T>,
            ) -> Result<T> {
                let $c = self;
                $write_tx
            }

            fn read_transaction<T>(
                &mut self,
                $f: impl FnOnce(&mut Self) -> Result<T>,
            ) -> Result<T> {
                let $c = self;
                $read_tx
            }

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

            fn letter_with_leaf(
                &mut self,
                number: &str,
            ) -> QueryResult<Option<(LetterRow, String)>> {
                letters::table
                    .inner_join(leaves::table)
                    .filter(letters::number.eq(number))
                    .select((LetterRow::as_select(), leaves::receipt))
                    .first(self)
                    .optional()
            }

            fn counter(&mut self, year: i32) -> QueryResult<Option<i64>> {
                counters::table
                    .filter(counters::year.eq(year))
                    .select(counters::value)
                    .first(self)
                    .optional()
            }

            fn write_batch(&mut self, rows: &BatchRows) -> QueryResult<()> {
                for chunk in rows.leaves.chunks(INSERT_CHUNK) {
                    diesel::insert_into(leaves::table)
                        .values(chunk)
                        .execute(self)?;
                }
                for chunk in rows.letters.chunks(INSERT_CHUNK) {
                    diesel::insert_into(letters::table)
                        .values(chunk)
                        .execute(self)?;
                }
                for chunk in rows.documents.chunks(INSERT_CHUNK) {
                    diesel::insert_into(letter_documents::table)
                        .values(chunk)
                        .execute(self)?;
                }
                for blob in &rows.blobs {
                    diesel::insert_into(document_blobs::table)
                        .values(blob)
                        .on_conflict(document_blobs::sha256)
                        .do_nothing()
                        .execute(self)?;
                }
                for chunk in rows.nodes.chunks(INSERT_CHUNK) {
                    diesel::insert_into(tree_nodes::table)
                        .values(chunk)
                        .execute(self)?;
                }
                for (year, value) in &rows.counters {
                    diesel::insert_into(counters::table)
                        .values((counters::year.eq(year), counters::value.eq(value)))
                        .on_conflict(counters::year)
                        .do_update()
                        .set(counters::value.eq(excluded(counters::value)))
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

            fn leaf_count(&mut self) -> QueryResult<i64> {
                leaves::table.count().get_result(self)
            }

            fn letter_by_number(&mut self, number: &str) -> QueryResult<Option<LetterRow>> {
                letters::table
                    .filter(letters::number.eq(number))
                    .select(LetterRow::as_select())
                    .first(self)
                    .optional()
            }

            fn letters_from(&mut self, index: i64, limit: i64) -> QueryResult<Vec<LetterRow>> {
                letters::table
                    .filter(letters::leaf_index.ge(index))
                    .order(letters::leaf_index.asc())
                    .limit(limit)
                    .select(LetterRow::as_select())
                    .load(self)
            }

            fn letters_between(&mut self, from_ms: i64, to_ms: i64) -> QueryResult<Vec<LetterRow>> {
                letters::table
                    .filter(letters::registered_at_ms.ge(from_ms))
                    .filter(letters::registered_at_ms.lt(to_ms))
                    .order(letters::leaf_index.asc())
                    .select(LetterRow::as_select())
                    .load(self)
            }

            fn letters_with_document(&mut self, sha256: &str) -> QueryResult<Vec<LetterRow>> {
                let indices = letter_documents::table
                    .filter(letter_documents::sha256.eq(sha256))
                    .select(letter_documents::leaf_index);
                letters::table
                    .filter(letters::leaf_index.eq_any(indices))
                    .order(letters::leaf_index.asc())
                    .select(LetterRow::as_select())
                    .load(self)
            }

            fn documents_of(&mut self, first: i64, last: i64) -> QueryResult<Vec<DocumentRow>> {
                letter_documents::table
                    .filter(letter_documents::leaf_index.ge(first))
                    .filter(letter_documents::leaf_index.le(last))
                    .order((
                        letter_documents::leaf_index.asc(),
                        letter_documents::position.asc(),
                    ))
                    .select(DocumentRow::as_select())
                    .load(self)
            }

            fn letter_count(&mut self) -> QueryResult<i64> {
                letters::table.count().get_result(self)
            }

            fn blob(&mut self, sha256: &str) -> QueryResult<Option<Vec<u8>>> {
                document_blobs::table
                    .filter(document_blobs::sha256.eq(sha256))
                    .select(document_blobs::content)
                    .first(self)
                    .optional()
            }

            fn blobs_in(&mut self, sha256: &[&str]) -> QueryResult<Vec<BlobRow>> {
                document_blobs::table
                    .filter(document_blobs::sha256.eq_any(sha256))
                    .select(BlobRow::as_select())
                    .load(self)
            }

            fn letters_page(&mut self, filter: &LetterFilter<'_>) -> QueryResult<Vec<LetterRow>> {
                let mut query = letters::table
                    .filter(letters::registered_at_ms.ge(filter.from_ms))
                    .filter(letters::registered_at_ms.lt(filter.to_ms))
                    .into_boxed();
                if let Some(pattern) = filter.pattern {
                    query = query.filter(
                        lower(letters::metadata)
                            .like(pattern)
                            .escape('\\')
                            .or(lower(letters::number).like(pattern).escape('\\')),
                    );
                }
                query
                    .order(letters::leaf_index.desc())
                    .offset(filter.offset)
                    .limit(filter.limit)
                    .select(LetterRow::as_select())
                    .load(self)
            }

            fn insert_token(&mut self, row: &TokenRow) -> QueryResult<()> {
                diesel::insert_into(api_tokens::table)
                    .values(row)
                    .execute(self)
                    .map(|_| ())
            }

            fn max_token_id(&mut self) -> QueryResult<Option<i64>> {
                api_tokens::table
                    .select(diesel::dsl::max(api_tokens::id))
                    .first(self)
            }

            fn tokens(&mut self) -> QueryResult<Vec<TokenRow>> {
                api_tokens::table
                    .order(api_tokens::id.asc())
                    .select(TokenRow::as_select())
                    .load(self)
            }

            fn token_by_hash(&mut self, sha256: &str) -> QueryResult<Option<TokenRow>> {
                api_tokens::table
                    .filter(api_tokens::token_sha256.eq(sha256))
                    .select(TokenRow::as_select())
                    .first(self)
                    .optional()
            }

            fn revoke_token(&mut self, id: i64, at_ms: i64) -> QueryResult<usize> {
                diesel::update(
                    api_tokens::table
                        .filter(api_tokens::id.eq(id))
                        .filter(api_tokens::revoked_at_ms.is_null()),
                )
                .set(api_tokens::revoked_at_ms.eq(Some(at_ms)))
                .execute(self)
            }
        }
    };
}

impl_store!(SqliteConnection, |conn, f| write: {
    conn.immediate_transaction(f)
} read: {
    conn.transaction(f)
});

impl_store!(PgConnection, |conn, f| write: {
    conn.transaction(|conn| {
        log_head::table
            .filter(log_head::id.eq(1))
            .select(log_head::tree_size)
            .for_update()
            .first::<i64>(conn)?;
        f(conn)
    })
} read: {
    conn.build_transaction().repeatable_read().read_only().run(f)
});
