//! The letters' tables: each letter's record, its documents, the small
//! documents' bytes and the per-year numbering counters. A letter has its own
//! id; `leaf_index` is the leaf of its registration.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel::upsert::excluded;

use super::log::INSERT_CHUNK;
use super::schema::{counters, document_blobs, leaves, letter_documents, letters};

/// A registered letter.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = letters)]
pub(crate) struct LetterRow {
    pub id: i64,
    pub leaf_index: i64,
    pub number: String,
    pub registered_at_ms: i64,
    pub metadata: String,
    pub access_code: String,
    /// The projection of the letter's entries (`registered` until events exist).
    pub status: String,
}

/// A document attached to a letter.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = letter_documents)]
pub(crate) struct DocumentRow {
    pub letter_id: i64,
    pub position: i32,
    pub sha256: String,
    pub size: i64,
    pub file_name: String,
    pub media_type: String,
}

/// A small document stored in the database.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = document_blobs)]
pub(crate) struct BlobRow {
    pub sha256: String,
    pub content: Vec<u8>,
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

/// What one batch of registrations writes besides the log.
#[derive(Default)]
pub(crate) struct LetterRows {
    pub letters: Vec<LetterRow>,
    pub documents: Vec<DocumentRow>,
    pub blobs: Vec<BlobRow>,
    /// (year, last sequence number used).
    pub counters: Vec<(i32, i64)>,
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The letters' queries.
pub(crate) trait LetterStore {
    /// The last sequence number used in `year`.
    fn counter(&mut self, year: i32) -> QueryResult<Option<i64>>;
    /// The largest letter id so far.
    fn max_letter_id(&mut self) -> QueryResult<Option<i64>>;
    /// The letter registered under `number`, with its registration receipt.
    fn letter_with_leaf(&mut self, number: &str) -> QueryResult<Option<(LetterRow, String)>>;
    /// Up to `limit` letters whose registration leaf is `index` or later, in log order.
    fn letters_from(&mut self, index: i64, limit: i64) -> QueryResult<Vec<LetterRow>>;
    /// The letters registered in `[from_ms, to_ms)`, in log order.
    fn letters_between(&mut self, from_ms: i64, to_ms: i64) -> QueryResult<Vec<LetterRow>>;
    /// The letters that carry a document with this SHA-256, in log order.
    fn letters_with_document(&mut self, sha256: &str) -> QueryResult<Vec<LetterRow>>;
    /// The documents of letters `first..=last` (ids), by letter and position.
    fn documents_of(&mut self, first: i64, last: i64) -> QueryResult<Vec<DocumentRow>>;
    /// The documents of the letters `ids`, by letter and position.
    fn documents_of_letters(&mut self, ids: &[i64]) -> QueryResult<Vec<DocumentRow>>;
    /// How many letters are stored.
    fn letter_count(&mut self) -> QueryResult<i64>;
    /// A small document's bytes.
    fn blob(&mut self, sha256: &str) -> QueryResult<Option<Vec<u8>>>;
    /// The stored small documents among `sha256`, in one query (callers keep
    /// the list short: SQLite binds one parameter per hash).
    fn blobs_in(&mut self, sha256: &[&str]) -> QueryResult<Vec<BlobRow>>;
    /// A page of the register, newest first, each letter with its receipt.
    fn letters_page(&mut self, filter: &LetterFilter<'_>) -> QueryResult<Vec<(LetterRow, String)>>;
    /// Writes a batch's letters, documents, blobs and counters.
    fn write_letters(&mut self, rows: &LetterRows) -> QueryResult<()>;
}

macro_rules! impl_letter_store {
    ($conn:ty) => {
        impl LetterStore for $conn {
            fn counter(&mut self, year: i32) -> QueryResult<Option<i64>> {
                counters::table
                    .filter(counters::year.eq(year))
                    .select(counters::value)
                    .first(self)
                    .optional()
            }

            fn max_letter_id(&mut self) -> QueryResult<Option<i64>> {
                letters::table
                    .select(diesel::dsl::max(letters::id))
                    .first(self)
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
                let ids = letter_documents::table
                    .filter(letter_documents::sha256.eq(sha256))
                    .select(letter_documents::letter_id);
                letters::table
                    .filter(letters::id.eq_any(ids))
                    .order(letters::leaf_index.asc())
                    .select(LetterRow::as_select())
                    .load(self)
            }

            fn documents_of(&mut self, first: i64, last: i64) -> QueryResult<Vec<DocumentRow>> {
                letter_documents::table
                    .filter(letter_documents::letter_id.ge(first))
                    .filter(letter_documents::letter_id.le(last))
                    .order((
                        letter_documents::letter_id.asc(),
                        letter_documents::position.asc(),
                    ))
                    .select(DocumentRow::as_select())
                    .load(self)
            }

            fn documents_of_letters(&mut self, ids: &[i64]) -> QueryResult<Vec<DocumentRow>> {
                letter_documents::table
                    .filter(letter_documents::letter_id.eq_any(ids))
                    .order((
                        letter_documents::letter_id.asc(),
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

            fn letters_page(
                &mut self,
                filter: &LetterFilter<'_>,
            ) -> QueryResult<Vec<(LetterRow, String)>> {
                let mut query = letters::table
                    .inner_join(leaves::table)
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
                    .select((LetterRow::as_select(), leaves::receipt))
                    .load(self)
            }

            fn write_letters(&mut self, rows: &LetterRows) -> QueryResult<()> {
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
                for (year, value) in &rows.counters {
                    diesel::insert_into(counters::table)
                        .values((counters::year.eq(year), counters::value.eq(value)))
                        .on_conflict(counters::year)
                        .do_update()
                        .set(counters::value.eq(excluded(counters::value)))
                        .execute(self)?;
                }
                Ok(())
            }
        }
    };
}

impl_letter_store!(SqliteConnection);
impl_letter_store!(PgConnection);
