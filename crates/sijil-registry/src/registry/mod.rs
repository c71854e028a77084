//! The registry: the one entry point the CLI and the web server use, and
//! the composition root that holds the log, the letters, access and keys.
//!
//! It hands out views on one shared state, each implemented in its module:
//! - [`Registry::log`] ([`Log`], `log.rs`): checkpoints, proofs, entries and their caches;
//! - [`Registry::letters`] ([`Letters`], `letters.rs`): register, the checked read, lists, documents, export;
//! - [`Registry::access`] ([`Access`], `access.rs`): tokens (staff accounts next);
//! - [`Registry::settings`] ([`Settings`], `settings.rs`): the settings changed through `config` entries;
//! - keys, verification, the audit and the sequencer's statistics on `Registry` itself.
//!
//! `Registry` is cheap to clone and safe to call from many threads: writes go
//! through the sequencer, reads through a connection pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use chrono_tz::Tz;
use sijil_receipt::bundle::{Bundle, InclusionProof};
use sijil_receipt::jwks::Jwks;
use sijil_receipt::merkle::Hash;
use sijil_receipt::metadata::{metadata_mac, LetterMetadata};
use sijil_receipt::note::NoteVerifier;

use crate::access_code::AccessCode;
use crate::clock::{format_timestamp, Clock, SystemClock};
use crate::config::Config;
use crate::db::store::{
    AccessStore, CheckpointRow, DocumentRow, LetterFilter, LetterRow, LetterStore, LogStore,
    SettingStore, Store, TokenRow,
};
use crate::db::{with_conn, Database, DatabaseUrl};
use crate::documents::DocumentStore;
use crate::entries::config_change::{PendingConfigChange, Setting};
use crate::entries::registration::{self, PendingRegistration};
use crate::error::{RegistryError, Result};
use crate::keys::KeyRing;
use crate::letter::{
    check_metadata, DocumentRecord, LetterRecord, NewLetter, Registration, MAX_DOCUMENTS,
};
use crate::log::appender::ensure_checkpoint;
use crate::log::entry::Appended;
use crate::log::proofs;
use crate::numbering::Numbering;
use crate::sequencer::{answered, wait, Answer, BatchStats, Context, Sequencer};
use crate::tokens::{self, Role, TokenInfo};

/// How to open a registry.
#[derive(Clone)]
pub struct RegistryOptions {
    /// The data directory: configuration, keys, documents and the SQLite database.
    pub data_dir: PathBuf,
    /// A database URL; `None` means the embedded SQLite file in the data directory.
    pub database_url: Option<String>,
    /// The origin of a new registry (ignored, but checked, for an existing one).
    pub origin: Option<String>,
    /// The clock (tests inject their own).
    pub clock: Arc<dyn Clock>,
    /// The most pooled reading connections.
    pub pool_size: u32,
}

impl RegistryOptions {
    /// Options for a data directory, with the defaults.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        RegistryOptions {
            data_dir: data_dir.into(),
            database_url: None,
            origin: None,
            clock: Arc::new(SystemClock),
            pool_size: 8,
        }
    }
}

/// A signed checkpoint as stored.
#[derive(Clone, Debug)]
pub struct SignedCheckpoint {
    /// The tree size it commits to.
    pub tree_size: u64,
    /// The signed note text.
    pub note: String,
}

/// A receipt looked up by number, with a fresh proof against the latest checkpoint.
#[derive(Clone, Debug)]
pub struct ReceiptLookup {
    /// The letter's full record (the caller decides what of it to show).
    pub letter: LetterRecord,
    /// Receipt, inclusion proof, checkpoint.
    pub bundle: Bundle,
}

/// How long a setting read from the database is taken as current.
const SETTING_FRESHNESS: Duration = Duration::from_secs(5);

/// How long a checkpoint read from the database is taken as the latest.
const CHECKPOINT_FRESHNESS: Duration = Duration::from_secs(1);

struct Inner {
    config: Config,
    numbering: Arc<Numbering>,
    data_dir: PathBuf,
    tz: Tz,
    db: Database,
    documents: DocumentStore,
    keys: KeyRing,
    clock: Arc<dyn Clock>,
    sequencer: Sequencer,
    checkpoint: Mutex<Option<(Instant, CheckpointRow)>>,
    node_cache: proofs::NodeCache,
    verified_checkpoint: Mutex<Option<(String, Hash)>>,
    institution: Mutex<Option<(Instant, String)>>,
}

/// The log as this registry serves it: the latest checkpoint, proofs, entries.
#[derive(Clone, Copy)]
pub struct Log<'a>(&'a Registry);

/// The letters: registration, the checked read, the register, documents, export.
#[derive(Clone, Copy)]
pub struct Letters<'a>(&'a Registry);

/// Who may act: the clerk API tokens (staff accounts next).
#[derive(Clone, Copy)]
pub struct Access<'a>(&'a Registry);

/// The settings others rely on, each change a signed `config` entry.
#[derive(Clone, Copy)]
pub struct Settings<'a>(&'a Registry);

/// A registry, open on its data directory and database.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

mod access;
mod letters;
mod log;
mod settings;

impl Registry {
    /// Opens the registry, creating it (configuration, first key, database
    /// schema, first checkpoint) if it does not exist yet.
    pub fn open(options: RegistryOptions) -> Result<Self> {
        let data_dir = options.data_dir;
        if !data_dir.exists() {
            // Letters, keys and access codes: for the registry's own user only.
            crate::fsutil::create_dir_durable(&data_dir)?;
            std::fs::set_permissions(
                &data_dir,
                std::os::unix::fs::PermissionsExt::from_mode(0o700),
            )
            .map_err(|e| RegistryError::io(format!("cannot protect {}", data_dir.display()), e))?;
        }
        let config = Config::load_or_create(&data_dir, options.origin.as_deref())?;
        let numbering = Arc::new(config.numbering()?);
        let tz = numbering.tz;
        let now = format_timestamp(options.clock.now().timestamp_millis());
        let keys = KeyRing::open_or_create(data_dir.join("keys"), &config.origin, &now)?;
        let url = match &options.database_url {
            Some(url) => DatabaseUrl::parse(url)?,
            None => DatabaseUrl::sqlite_in(&data_dir),
        };
        let db = Database::open(url.clone(), options.pool_size.max(1))?;
        if let DatabaseUrl::Sqlite(path) = &url {
            // The database holds personal data and access codes (its WAL files follow its mode).
            std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .map_err(|e| RegistryError::io(format!("cannot protect {}", path.display()), e))?;
        }
        {
            let signer = keys.signer()?;
            let mut conn = db.get()?;
            with_conn!(&mut *conn, c => ensure_checkpoint(c, &config.origin, &signer))?;
        }
        let documents = DocumentStore::open(data_dir.join("documents"))?;
        documents.clean_temporary();
        let sequencer = Sequencer::start(Context {
            origin: config.origin.clone(),
            clock: Arc::clone(&options.clock),
            keys: keys.clone(),
            db: db.clone(),
        })?;
        Ok(Registry {
            inner: Arc::new(Inner {
                config,
                numbering,
                data_dir,
                tz,
                db,
                documents,
                keys,
                clock: options.clock,
                sequencer,
                checkpoint: Mutex::new(None),
                node_cache: proofs::NodeCache::default(),
                verified_checkpoint: Mutex::new(None),
                institution: Mutex::new(None),
            }),
        })
    }

    /// The log: checkpoints, proofs, entries.
    pub fn log(&self) -> Log<'_> {
        Log(self)
    }

    /// The letters: register, look up, list, export.
    pub fn letters(&self) -> Letters<'_> {
        Letters(self)
    }

    /// Access: tokens.
    pub fn access(&self) -> Access<'_> {
        Access(self)
    }

    /// The settings changed through the log.
    pub fn settings(&self) -> Settings<'_> {
        Settings(self)
    }

    /// The registry's configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Where the register is stored, safe to print.
    pub fn database_description(&self) -> String {
        self.inner.db.url().describe()
    }

    /// The document store, where documents are streamed before registration.
    pub fn documents(&self) -> &DocumentStore {
        &self.inner.documents
    }

    /// The key ring.
    pub fn keys(&self) -> &KeyRing {
        &self.inner.keys
    }

    /// Runs read queries on a pooled connection.
    fn read<T>(&self, f: impl FnOnce(&mut dyn ReadStore) -> Result<T>) -> Result<T> {
        let mut conn = self.inner.db.get()?;
        with_conn!(&mut *conn, c => f(c))
    }

    /// Every key, retired ones included.
    pub fn jwks(&self) -> Result<Jwks> {
        self.inner.keys.jwks()
    }

    /// The signed-note verifier string of the current key.
    pub fn note_verifier(&self) -> Result<NoteVerifier> {
        self.inner.keys.signer()?.note_verifier()
    }

    /// Makes a new signing key; the old one stays in the key ring.
    ///
    /// The rotation happens under the log head's lock, at a time after every
    /// receipt signed so far, so each receipt falls in its key's validity period.
    pub fn rotate_key(&self) -> Result<String> {
        let now = self.inner.clock.now().timestamp_millis();
        let keys = &self.inner.keys;
        let mut conn = self.inner.db.get()?;
        with_conn!(&mut *conn, c => c.log_transaction(|c| {
            let last = c.head()?.last_registered_ms;
            keys.rotate(&format_timestamp(now.max(last + 1)))
        }))
    }

    /// Whether the register is an embedded SQLite file: its reads take
    /// microseconds and never wait for a writer (WAL), so callers may run them
    /// in place rather than hand them to a thread pool.
    pub fn reads_are_local(&self) -> bool {
        matches!(self.inner.db.url(), DatabaseUrl::Sqlite(_))
    }

    /// Batch statistics of this process's sequencer.
    pub fn batch_stats(&self) -> BatchStats {
        self.inner.sequencer.stats()
    }

    /// The current time of the registry's clock, in ms.
    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now().timestamp_millis()
    }

    /// The registry's time zone.
    pub fn time_zone(&self) -> Tz {
        self.inner.tz
    }

    /// Refuses new registrations and waits for queued ones to commit.
    pub fn shutdown(&self) {
        self.inner.sequencer.shutdown();
    }

    /// Re-verifies the whole register against its log.
    pub fn audit(&self, options: crate::audit::AuditOptions) -> Result<crate::audit::AuditReport> {
        let jwks = self.jwks()?;
        let mut conn = self.inner.db.get()?;
        let ctx = crate::audit::AuditContext {
            origin: &self.inner.config.origin,
            numbering: &self.inner.numbering,
            jwks: &jwks,
            documents: &self.inner.documents,
            options,
        };
        with_conn!(&mut *conn, c => c.read_transaction(|c| crate::audit::run(c, &ctx)))
    }
}

/// The queries a reader uses, as an object so that one closure serves both backends.
pub(crate) trait ReadStore: proofs::NodeSource {
    fn letters_with_document(&mut self, sha256: &str) -> Result<Vec<LetterRow>>;
    fn letters_between(&mut self, from_ms: i64, to_ms: i64) -> Result<Vec<LetterRow>>;
    fn documents_of(&mut self, first: i64, last: i64) -> Result<Vec<DocumentRow>>;
    fn leaf(&mut self, index: i64) -> Result<Option<crate::db::store::LeafRow>>;
    fn latest_checkpoint(&mut self) -> Result<Option<CheckpointRow>>;
    fn letter_with_leaf(&mut self, number: &str) -> Result<Option<(LetterRow, String)>>;
}

impl<S: Store> ReadStore for S {
    fn letters_with_document(&mut self, sha256: &str) -> Result<Vec<LetterRow>> {
        Ok(LetterStore::letters_with_document(self, sha256)?)
    }
    fn letters_between(&mut self, from_ms: i64, to_ms: i64) -> Result<Vec<LetterRow>> {
        Ok(LetterStore::letters_between(self, from_ms, to_ms)?)
    }
    fn documents_of(&mut self, first: i64, last: i64) -> Result<Vec<DocumentRow>> {
        Ok(LetterStore::documents_of(self, first, last)?)
    }
    fn leaf(&mut self, index: i64) -> Result<Option<crate::db::store::LeafRow>> {
        Ok(LogStore::leaf(self, index)?)
    }
    fn latest_checkpoint(&mut self) -> Result<Option<CheckpointRow>> {
        Ok(LogStore::latest_checkpoint(self)?)
    }
    fn letter_with_leaf(&mut self, number: &str) -> Result<Option<(LetterRow, String)>> {
        Ok(LetterStore::letter_with_leaf(self, number)?)
    }
}
