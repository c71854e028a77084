//! Storage: one diesel code base over SQLite and PostgreSQL.
//!
//! The backend is chosen from the database URL's scheme (never by trying each
//! backend in turn). Queries are written once in [`store`] and compiled for both
//! connection types; [`with_conn!`] dispatches a pooled [`DbConn`] to them.

mod access;
mod durability;
mod letters;
mod log;
pub(crate) mod schema;
mod settings;
pub(crate) mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{RegistryError, Result};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Advisory lock key under which PostgreSQL migrations run, so that several
/// nodes starting at once do not race.
const MIGRATION_LOCK_KEY: i64 = 0x5131_4a11;

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 30_000;

/// Where the register is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An embedded SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL server, as a libpq connection URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads a URL: `postgres://` or `postgresql://` selects PostgreSQL,
    /// `sqlite://PATH` or a plain path selects SQLite.
    pub fn parse(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if url.contains("://") {
            Err(RegistryError::Setup(format!(
                "unsupported database URL scheme in {:?}: use postgres://... or a SQLite file path",
                redact(url)
            )))
        } else if url.is_empty() {
            Err(RegistryError::Setup("the database URL is empty".into()))
        } else {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(url)))
        }
    }

    /// The default embedded database inside a data directory.
    pub fn sqlite_in(data_dir: &Path) -> Self {
        DatabaseUrl::Sqlite(data_dir.join("sijil.db"))
    }

    /// A description safe to print (no password).
    pub fn describe(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("SQLite {}", path.display()),
            DatabaseUrl::Postgres(url) => format!("PostgreSQL {}", redact(url)),
        }
    }
}

/// Hides the password of a URL before it is shown or logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A connection to either backend.
pub(crate) enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside a [`DbConn`].
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Pg($c) => $body,
        }
    };
}
pub(crate) use with_conn;

impl DbConn {
    /// Opens one connection and sets the per-connection settings.
    pub(crate) fn establish(url: &DatabaseUrl) -> Result<Self> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                let path_text = path.to_str().ok_or_else(|| {
                    RegistryError::Setup(format!("database path {} is not UTF-8", path.display()))
                })?;
                let mut conn = SqliteConnection::establish(path_text)
                    .map_err(|e| RegistryError::Connection(e.to_string()))?;
                // Only journal_mode persists in the file: set the rest on every connection.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                     PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON;"
                ))?;
                let (journal, synchronous) = durability::sqlite_settings(&mut conn)?;
                durability::check_sqlite(&journal, synchronous)?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)
                    .map_err(|e| RegistryError::Connection(e.to_string()))?;
                conn.batch_execute("SET synchronous_commit = on;")?;
                let (synchronous_commit, fsync) = durability::postgres_settings(&mut conn)?;
                durability::check_postgres(&synchronous_commit, &fsync)?;
                Ok(DbConn::Pg(conn))
            }
        }
    }

    /// Applies the embedded migrations that have not run yet.
    pub(crate) fn migrate(&mut self) -> Result<()> {
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
            RegistryError::Setup(format!("database migration failed: {e}"))
        };
        match self {
            DbConn::Sqlite(conn) => conn.immediate_transaction(|conn| {
                conn.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|_| ())
                    .map_err(failed)
            }),
            DbConn::Pg(conn) => {
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                    .execute(conn)?;
                let outcome = conn
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|_| ())
                    .map_err(failed);
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                    .execute(conn)?;
                outcome
            }
        }
    }
}

/// Opens connections for the pool.
#[derive(Debug)]
pub(crate) struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = RegistryError;

    fn connect(&self) -> Result<DbConn> {
        DbConn::establish(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<()> {
        with_conn!(conn, c => c.batch_execute("SELECT 1")).map_err(RegistryError::from)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// A pool of reading connections, plus the URL to open dedicated ones.
#[derive(Clone)]
pub(crate) struct Database {
    url: DatabaseUrl,
    pool: Pool<Manager>,
}

impl Database {
    /// Connects, applies migrations and builds the pool.
    pub(crate) fn open(url: DatabaseUrl, pool_size: u32) -> Result<Self> {
        DbConn::establish(&url)?.migrate()?;
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            // A PostgreSQL connection breaks when the server restarts: test it
            // before use. A SQLite file does not, and the test would cost a query.
            .test_on_check_out(matches!(url, DatabaseUrl::Postgres(_)))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager { url: url.clone() })
            .map_err(|e| RegistryError::Connection(e.to_string()))?;
        Ok(Database { url, pool })
    }

    /// A pooled connection.
    pub(crate) fn get(&self) -> Result<PooledConnection<Manager>> {
        self.pool
            .get()
            .map_err(|e| RegistryError::Connection(e.to_string()))
    }

    /// A new connection outside the pool (the sequencer's own).
    pub(crate) fn dedicated(&self) -> Result<DbConn> {
        DbConn::establish(&self.url)
    }

    /// Where the register is stored.
    pub(crate) fn url(&self) -> &DatabaseUrl {
        &self.url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_select_postgres_and_paths_select_sqlite() {
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").ok(),
            Some(DatabaseUrl::Sqlite(PathBuf::from("/tmp/x.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("data/x.db").ok(),
            Some(DatabaseUrl::Sqlite(PathBuf::from("data/x.db")))
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn descriptions_never_show_the_password() {
        let url = DatabaseUrl::parse("postgres://sijil:s3cret@db.example/sijil");
        let text = url.map(|u| u.describe()).unwrap_or_default();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("sijil:***@db.example"), "{text}");
    }
}
