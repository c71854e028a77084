//! What every connection must promise before it writes: a commit survives a
//! crash or a power cut (invariant 1). The settings are asked back from the
//! database after they are set, so that a file system without WAL, a build
//! with other defaults or a server running with `fsync=off` is refused at
//! start instead of losing receipts later.

use diesel::pg::PgConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use diesel::{QueryableByName, RunQueryDsl};

use crate::error::{RegistryError, Result};

#[derive(QueryableByName)]
struct TextValue {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct NumberValue {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// SQLite's settings as it reports them: `journal_mode` and `synchronous`.
pub(crate) fn sqlite_settings(conn: &mut SqliteConnection) -> Result<(String, i64)> {
    let journal = diesel::sql_query("SELECT journal_mode AS value FROM pragma_journal_mode")
        .get_result::<TextValue>(conn)?
        .value;
    let synchronous = diesel::sql_query("SELECT synchronous AS value FROM pragma_synchronous")
        .get_result::<NumberValue>(conn)?
        .value;
    Ok((journal, synchronous))
}

/// PostgreSQL's settings as the server reports them: `synchronous_commit`
/// (this session's) and `fsync` (the server's).
pub(crate) fn postgres_settings(conn: &mut PgConnection) -> Result<(String, String)> {
    let setting = |conn: &mut PgConnection, name: &str| -> Result<String> {
        Ok(
            diesel::sql_query(format!("SELECT current_setting('{name}') AS value"))
                .get_result::<TextValue>(conn)?
                .value,
        )
    };
    Ok((
        setting(conn, "synchronous_commit")?,
        setting(conn, "fsync")?,
    ))
}

/// Refuses SQLite settings that could lose a committed receipt: the journal
/// must be the WAL and `synchronous` FULL (2) or EXTRA (3).
pub(crate) fn check_sqlite(journal: &str, synchronous: i64) -> Result<()> {
    if !journal.eq_ignore_ascii_case("wal") {
        return Err(RegistryError::Setup(format!(
            "the SQLite database runs with journal_mode={journal}, not WAL (is it on a file system without shared memory?): refusing to register on it"
        )));
    }
    if synchronous < 2 {
        return Err(RegistryError::Setup(format!(
            "the SQLite database runs with synchronous={synchronous}, not FULL (2): a power cut could lose committed receipts"
        )));
    }
    Ok(())
}

/// Refuses PostgreSQL settings that could lose a committed receipt.
pub(crate) fn check_postgres(synchronous_commit: &str, fsync: &str) -> Result<()> {
    if synchronous_commit != "on"
        && synchronous_commit != "remote_apply"
        && synchronous_commit != "remote_write"
    {
        return Err(RegistryError::Setup(format!(
            "the PostgreSQL session runs with synchronous_commit={synchronous_commit}: a crash could lose committed receipts"
        )));
    }
    if fsync != "on" {
        return Err(RegistryError::Setup(format!(
            "the PostgreSQL server runs with fsync={fsync}: a power cut could lose committed receipts; refusing to register on it"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_settings_that_keep_a_commit_are_accepted() {
        assert!(check_sqlite("wal", 2).is_ok());
        assert!(check_sqlite("WAL", 3).is_ok());
        assert!(check_sqlite("delete", 2).is_err());
        assert!(check_sqlite("memory", 2).is_err());
        assert!(check_sqlite("wal", 1).is_err());
        assert!(check_sqlite("wal", 0).is_err());
        assert!(check_postgres("on", "on").is_ok());
        assert!(check_postgres("off", "on").is_err());
        assert!(check_postgres("local", "on").is_err());
        assert!(check_postgres("on", "off").is_err());
    }

    #[test]
    fn a_registry_connection_reports_wal_and_full_synchronous() {
        use diesel::Connection;
        let dir = tempfile::tempdir().ok();
        let path = dir.as_ref().map(|d| d.path().join("t.db"));
        let url = super::super::DatabaseUrl::Sqlite(path.unwrap_or_default());
        let mut conn = match super::super::DbConn::establish(&url) {
            Ok(super::super::DbConn::Sqlite(conn)) => conn,
            _ => panic!("no SQLite connection"),
        };
        let settings = sqlite_settings(&mut conn).ok();
        assert_eq!(settings, Some(("wal".to_owned(), 2)));
        // A bare connection, without the registry's settings, is refused.
        let mut bare = SqliteConnection::establish(":memory:").ok();
        let bare = bare.as_mut().and_then(|c| sqlite_settings(c).ok());
        let (journal, synchronous) = bare.unwrap_or_default();
        assert!(check_sqlite(&journal, synchronous).is_err());
    }
}
