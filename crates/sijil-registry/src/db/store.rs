//! The registry's storage, by concern: the log ([`LogStore`]), the letters
//! ([`LetterStore`]), access ([`AccessStore`]) and configuration changes
//! ([`SettingStore`]), each written once for both backends; and the three
//! kinds of transaction.
//!
//! A *log transaction* appends to the log: SQLite takes the write lock with
//! `BEGIN IMMEDIATE`, PostgreSQL locks the log head row, so appenders of
//! every process queue behind each other. An ordinary *write transaction*
//! (tokens, later sessions and routing data) does not take the log head, so
//! it never queues behind registrations on PostgreSQL. A *read transaction*
//! sees one consistent snapshot.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

pub(crate) use super::access::{AccessStore, TokenRow};
pub(crate) use super::letters::{
    BlobRow, DocumentRow, LetterFilter, LetterRow, LetterRows, LetterStore,
};
pub(crate) use super::log::{
    node_key, CheckpointRow, HeadRow, LeafRow, LogRows, LogStore, NodeRow,
};
use super::schema::log_head;
pub(crate) use super::settings::{ConfigChangeRow, SettingStore};
use crate::error::Result;

/// Every table, as one object: what an entry's rows are written through.
pub(crate) trait Tables: LogStore + LetterStore + AccessStore + SettingStore {}

impl<T: LogStore + LetterStore + AccessStore + SettingStore> Tables for T {}

/// A connection with its transactions.
pub(crate) trait Store: Tables + Sized {
    /// Runs `f` in a transaction that holds the log head exclusively.
    fn log_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T>;
    /// Runs `f` in a write transaction that does not hold the log head.
    fn write_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T>;
    /// Runs `f` in a transaction that sees one consistent snapshot.
    fn read_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T>;
}

impl Store for SqliteConnection {
    fn log_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.immediate_transaction(f)
    }

    fn write_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        // SQLite has one writer at a time anyway; IMMEDIATE avoids the
        // "database is locked" of a deferred transaction that reads first.
        self.immediate_transaction(f)
    }

    fn read_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.transaction(f)
    }
}

impl Store for PgConnection {
    fn log_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.transaction(|conn| {
            log_head::table
                .filter(log_head::id.eq(1))
                .select(log_head::tree_size)
                .for_update()
                .first::<i64>(conn)?;
            f(conn)
        })
    }

    fn write_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.transaction(f)
    }

    fn read_transaction<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.build_transaction()
            .repeatable_read()
            .read_only()
            .run(f)
    }
}
