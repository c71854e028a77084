//! Opening throwaway registries on SQLite or PostgreSQL, for the shared suite.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use sijil_receipt::metadata::{Channel, LetterMetadata, Sender};
use sijil_registry::{Clock, NewLetter, Registry, RegistryOptions, StoredDocument};
use tempfile::TempDir;

/// Runs each listed test (a function of [`Backend`]) on both backends, as
/// `sqlite::<name>` and `postgres::<name>`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )*
        }
    };
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A clock the test moves by hand.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(time: DateTime<Utc>) -> Arc<Self> {
        Arc::new(ManualClock(AtomicI64::new(time.timestamp_millis())))
    }
    pub fn set(&self, time: DateTime<Utc>) {
        self.0.store(time.timestamp_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0.load(Ordering::SeqCst))
            .unwrap()
    }
}

/// A registry in a temporary data directory, on the chosen backend.
pub struct TestRegistry {
    pub registry: Registry,
    pub dir: TempDir,
    pub database_url: String,
    pub backend: Backend,
}

impl TestRegistry {
    pub fn open(backend: Backend) -> Self {
        Self::open_with_clock(backend, None)
    }

    pub fn open_with_clock(backend: Backend, clock: Option<Arc<dyn Clock>>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            Backend::Sqlite => dir.path().join("sijil.db").to_string_lossy().into_owned(),
            Backend::Postgres => sijil_testkit::PgCluster::shared().create_database(),
        };
        let registry = Self::reopen_at(&dir, &database_url, clock);
        TestRegistry {
            registry,
            dir,
            database_url,
            backend,
        }
    }

    /// Another `Registry` on the same data directory and database (another "process").
    pub fn reopen_at(dir: &TempDir, database_url: &str, clock: Option<Arc<dyn Clock>>) -> Registry {
        let mut options = RegistryOptions::new(dir.path());
        options.database_url = Some(database_url.to_owned());
        options.origin = Some("bo.test.example".into());
        if let Some(clock) = clock {
            options.clock = clock;
        }
        Registry::open(options).unwrap()
    }

    /// Runs raw SQL on the test's database, behind the registry's back.
    pub fn execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => SqliteConnection::establish(&self.database_url)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
            Backend::Postgres => PgConnection::establish(&self.database_url)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
        }
    }

    pub fn store(&self, name: &str, bytes: &[u8]) -> StoredDocument {
        self.registry
            .documents()
            .store(name, "application/pdf", &mut &bytes[..], None)
            .unwrap()
    }
}

/// A letter's metadata, with the sender's name given.
pub fn metadata(sender: &str) -> LetterMetadata {
    LetterMetadata {
        sender: Sender {
            name: sender.into(),
            address: Some("12 rue des Orangers, Rabat".into()),
            email: None,
            national_id: Some("AB123456".into()),
        },
        reference: Some("REF-1".into()),
        addressee: Some("Service des réclamations".into()),
        subject: "Demande de relogement".into(),
        channel: Channel::Paper,
        letter_date: Some("2026-11-20".into()),
        notes: None,
    }
}

pub fn letter(sender: &str, documents: Vec<StoredDocument>) -> NewLetter {
    NewLetter {
        metadata: metadata(sender),
        documents,
    }
}
