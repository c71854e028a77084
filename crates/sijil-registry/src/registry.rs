//! The registry: the one entry point the CLI and the web server use.
//!
//! `Registry` is cheap to clone and safe to call from many threads: writes go
//! through the sequencer, reads through a connection pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone};
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

/// A registry, open on its data directory and database.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

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

    /// Registers a letter whose documents are already stored: numbers it,
    /// signs its receipt, appends it to the log and returns once all of it is
    /// durably committed.
    pub fn register(&self, letter: NewLetter) -> Result<Registration> {
        let (access_code, answer) = self.submit(letter)?;
        self.registration(wait(answer)?, access_code)
    }

    /// Like [`Registry::register`], as a future: the caller's thread is not
    /// held while the sequencer commits (for the web server's async workers;
    /// the work itself happens on the sequencer's thread).
    pub fn register_async(
        &self,
        letter: NewLetter,
    ) -> impl std::future::Future<Output = Result<Registration>> + Send + 'static {
        let registry = self.clone();
        let submitted = self.submit(letter);
        async move {
            let (access_code, answer) = submitted?;
            registry.registration(answered(answer).await?, access_code)
        }
    }

    /// Checks a letter, computes its metadata hash and queues it.
    fn submit(&self, letter: NewLetter) -> Result<(AccessCode, Answer)> {
        if letter.documents.len() > MAX_DOCUMENTS {
            return Err(RegistryError::Invalid(format!(
                "a letter carries at most {MAX_DOCUMENTS} documents"
            )));
        }
        let metadata = check_metadata(letter.metadata)?;
        let access_code = AccessCode::generate();
        let metadata_mac = metadata_mac(access_code.as_str(), &metadata)?;
        let metadata_json = serde_json::to_string(&metadata)
            .map_err(|e| RegistryError::Invalid(format!("metadata: {e}")))?;
        let answer = self.inner.sequencer.submit(Box::new(PendingRegistration {
            numbering: Arc::clone(&self.inner.numbering),
            metadata_json,
            metadata_mac,
            access_code: access_code.clone(),
            documents: letter.documents,
        }))?;
        Ok((access_code, answer))
    }

    /// The registration of a committed letter.
    fn registration(&self, appended: Appended, access_code: AccessCode) -> Result<Registration> {
        let claims = sijil_receipt::claims::RegistrationClaims::from_payload(&appended.payload)?;
        let bundle = self.appended_bundle(appended);
        Ok(Registration {
            number: claims.number,
            index: claims.index,
            registered_at: claims.registered_at,
            access_code,
            bundle,
        })
    }

    /// The bundle of an entry just appended; its checkpoint becomes the latest known.
    fn appended_bundle(&self, appended: Appended) -> Bundle {
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

    /// Changes a setting: a signed `config` entry in the log, whose row is
    /// the setting's new value. `actor` says who made the change (a role or a
    /// pseudonym, never a person's name: the entry is public). Returns the
    /// entry's bundle.
    pub fn change_setting(&self, setting: Setting, value: &str, actor: &str) -> Result<Bundle> {
        let value = setting.check(value)?;
        let answer = self.inner.sequencer.submit(Box::new(PendingConfigChange {
            setting,
            value,
            actor: actor.to_owned(),
        }))?;
        let bundle = self.appended_bundle(wait(answer)?);
        if let Ok(mut cache) = self.inner.institution.lock() {
            *cache = None;
        }
        Ok(bundle)
    }

    /// The institution's display name: the latest `config` entry that set
    /// it, else the name in `sijil.toml`. Read from the database at most
    /// every few seconds (another process may have changed it).
    pub fn institution_name(&self) -> Result<String> {
        if let Ok(cache) = self.inner.institution.lock() {
            if let Some((read_at, name)) = cache.as_ref() {
                if read_at.elapsed() < SETTING_FRESHNESS {
                    return Ok(name.clone());
                }
            }
        }
        let name = self.read_institution_name()?;
        if let Ok(mut cache) = self.inner.institution.lock() {
            *cache = Some((Instant::now(), name.clone()));
        }
        Ok(name)
    }

    fn read_institution_name(&self) -> Result<String> {
        let latest = {
            let mut conn = self.inner.db.get()?;
            with_conn!(&mut *conn, c => c.latest_config_change(Setting::InstitutionName.as_str()))?
        };
        match latest {
            None => Ok(self.inner.config.institution.clone()),
            Some(row) => match serde_json::from_str::<serde_json::Value>(&row.value) {
                Ok(serde_json::Value::String(name)) => Ok(name),
                _ => Err(RegistryError::Integrity(format!(
                    "the institution's name stored for leaf {} is unreadable",
                    row.leaf_index
                ))),
            },
        }
    }

    /// The latest checkpoint, from memory when read less than a second ago
    /// (this process's own commits update it at once) and covering at least
    /// `size` leaves, else from the database: another process may have
    /// committed since (a letter it registered a moment ago must be served
    /// with a proof).
    fn checkpoint_of_at_least(&self, s: &mut dyn ReadStore, size: u64) -> Result<CheckpointRow> {
        if let Ok(cache) = self.inner.checkpoint.lock() {
            if let Some((read_at, row)) = cache.as_ref() {
                if read_at.elapsed() < CHECKPOINT_FRESHNESS && row.tree_size as u64 >= size {
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
    fn nodes<'a>(&'a self, s: &'a mut dyn ReadStore) -> proofs::Cached<'a> {
        proofs::Cached {
            cache: &self.inner.node_cache,
            inner: s,
        }
    }

    /// The checked read: the one way a letter's record is served. The
    /// receipt must be the leaf the signed checkpoint covers and the stored
    /// record must agree with its claims ([`registration::compare`]);
    /// otherwise nothing is served and the disagreement is an integrity error.
    fn checked(
        &self,
        s: &mut dyn ReadStore,
        row: LetterRow,
        receipt: String,
        checkpoint: CheckpointRow,
    ) -> Result<ReceiptLookup> {
        let number = row.number.clone();
        let mismatch = |what: &str| {
            RegistryError::Integrity(format!(
                "the record of letter {number} does not match the log: {what}"
            ))
        };
        let documents = s.documents_of(row.id, row.id)?;
        let index = u64::try_from(row.leaf_index).map_err(|_| mismatch("its leaf index"))?;
        let tree_size =
            u64::try_from(checkpoint.tree_size).map_err(|_| mismatch("the checkpoint's size"))?;
        let payload = sijil_receipt::jws::parse_compact(&receipt)
            .map_err(|_| mismatch("its receipt is unreadable"))?
            .payload;
        let claims = sijil_receipt::claims::RegistrationClaims::from_payload(&payload)
            .map_err(|_| mismatch("its receipt's claims are not a registration"))?;
        if claims.index != index {
            return Err(mismatch("its receipt's index is not its leaf"));
        }
        let found = registration::compare(&claims, &row, &documents);
        if let Some(what) = found.identity.first().or(found.content.first()) {
            return Err(mismatch(what));
        }
        let bundle = Bundle {
            receipt,
            inclusion_proof: InclusionProof {
                index,
                tree_size,
                hashes: proofs::inclusion(&mut self.nodes(s), index, tree_size)?,
            },
            checkpoint: checkpoint.note,
        };
        let root = self.checkpoint_root(&bundle.checkpoint)?;
        sijil_receipt::merkle::verify_inclusion(
            index,
            tree_size,
            &sijil_receipt::merkle::leaf_hash(&payload),
            &bundle.inclusion_proof.hashes,
            &root,
        )
        .map_err(|_| mismatch("its receipt is not the leaf the signed checkpoint covers"))?;
        let letter = letter_record(row, documents, bundle.receipt.clone())?;
        Ok(ReceiptLookup { letter, bundle })
    }

    /// The root hash of a checkpoint whose signature verifies (verified once per checkpoint).
    fn checkpoint_root(&self, note: &str) -> Result<Hash> {
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
        let latest = self.checkpoint_of_at_least(s, tree_size)?.tree_size as u64;
        if tree_size > latest {
            return Err(RegistryError::Invalid(format!(
                "tree size {tree_size} is beyond the latest checkpoint ({latest})"
            )));
        }
        Ok(())
    }

    /// Runs read queries on a pooled connection.
    fn read<T>(&self, f: impl FnOnce(&mut dyn ReadStore) -> Result<T>) -> Result<T> {
        let mut conn = self.inner.db.get()?;
        with_conn!(&mut *conn, c => f(c))
    }

    /// The full record of a letter, through the checked read.
    pub fn letter(&self, number: &str) -> Result<LetterRecord> {
        Ok(self.lookup(number)?.letter)
    }

    /// A letter's receipt with a fresh inclusion proof against the latest
    /// checkpoint, and its record, through the checked read.
    pub fn lookup(&self, number: &str) -> Result<ReceiptLookup> {
        if !could_be_a_number(number) {
            return Err(not_found(number));
        }
        self.read(|s| {
            let (row, receipt) = s
                .letter_with_leaf(number)?
                .ok_or_else(|| not_found(number))?;
            let covering = u64::try_from(row.leaf_index).unwrap_or(0) + 1;
            let checkpoint = self.checkpoint_of_at_least(s, covering)?;
            self.checked(s, row, receipt, checkpoint)
        })
    }

    /// The letters that carry a document with this SHA-256, oldest first,
    /// each through the checked read.
    pub fn lookup_by_document(&self, sha256: &str) -> Result<Vec<ReceiptLookup>> {
        let sha256 = sha256.to_ascii_lowercase();
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RegistryError::Invalid(
                "sha256 must be 64 hexadecimal characters".into(),
            ));
        }
        self.read(|s| {
            let rows = s.letters_with_document(&sha256)?;
            let newest = rows
                .iter()
                .map(|r| u64::try_from(r.leaf_index).unwrap_or(0) + 1)
                .max();
            let checkpoint = self.checkpoint_of_at_least(s, newest.unwrap_or(0))?;
            rows.into_iter()
                .map(|row| {
                    let index = row.leaf_index;
                    let receipt = s
                        .leaf(index)?
                        .ok_or_else(|| {
                            RegistryError::Integrity(format!("leaf {index} is missing"))
                        })?
                        .receipt;
                    self.checked(s, row, receipt, checkpoint.clone())
                })
                .collect()
        })
    }

    /// Opens a stored document for reading: a small one from the database, a
    /// larger one from its file.
    pub fn open_document(&self, sha256: &str) -> Result<Box<dyn std::io::Read + Send>> {
        let blob = {
            let mut conn = self.inner.db.get()?;
            with_conn!(&mut *conn, c => c.blob(sha256))?
        };
        match blob {
            Some(bytes) => Ok(Box::new(std::io::Cursor::new(bytes))),
            None => Ok(Box::new(self.inner.documents.open_document(sha256)?)),
        }
    }

    /// The latest signed checkpoint.
    pub fn checkpoint(&self) -> Result<SignedCheckpoint> {
        self.read(|s| {
            let row = s
                .latest_checkpoint()?
                .ok_or_else(|| RegistryError::Integrity("no checkpoint".into()))?;
            Ok(SignedCheckpoint {
                tree_size: row.tree_size as u64,
                note: row.note,
            })
        })
    }

    /// The inclusion proof of leaf `index` in the tree of `tree_size` leaves,
    /// which must not exceed the latest checkpoint.
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<InclusionProof> {
        self.read(|s| {
            self.check_size(s, tree_size)?;
            Ok(InclusionProof {
                index,
                tree_size,
                hashes: proofs::inclusion(&mut self.nodes(s), index, tree_size)?,
            })
        })
    }

    /// The consistency proof between two tree sizes, both at most the latest checkpoint's.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>> {
        self.read(|s| {
            self.check_size(s, to)?;
            proofs::consistency(&mut self.nodes(s), from, to)
        })
    }

    /// The receipt JWS of a log leaf.
    pub fn entry(&self, index: u64) -> Result<String> {
        let index = i64::try_from(index)
            .map_err(|_| RegistryError::NotFound(format!("there is no log entry {index}")))?;
        self.read(|s| {
            Ok(s.leaf(index)?
                .ok_or_else(|| RegistryError::NotFound(format!("there is no log entry {index}")))?
                .receipt)
        })
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

    /// Creates a clerk API token; returns it (the only time the secret is shown).
    pub fn create_token(&self, name: &str, role: Role) -> Result<(TokenInfo, String)> {
        let name = tokens::check_name(name)?;
        let secret = tokens::new_secret();
        let now = self.inner.clock.now().timestamp_millis();
        let mut conn = self.inner.db.get()?;
        // Not under the log head: token ids come from an ordinary write
        // transaction, retried if another process took the same id.
        let mut attempts = 0;
        let row = loop {
            attempts += 1;
            let outcome = with_conn!(&mut *conn, c => c.write_transaction(|c| {
                let row = TokenRow {
                    id: c.max_token_id()?.unwrap_or(0) + 1,
                    name: name.clone(),
                    role: role.as_str().to_owned(),
                    token_sha256: tokens::token_hash(&secret),
                    created_at_ms: now,
                    revoked_at_ms: None,
                };
                c.insert_token(&row)?;
                Ok(row)
            }));
            match outcome {
                Err(RegistryError::Database {
                    fault: crate::error::DatabaseFault::Conflict,
                    ..
                }) if attempts < 5 => continue,
                other => break other?,
            }
        };
        Ok((token_info(row)?, secret))
    }

    /// Every token, revoked ones included.
    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        let mut conn = self.inner.db.get()?;
        let rows = with_conn!(&mut *conn, c => c.tokens())?;
        rows.into_iter().map(token_info).collect()
    }

    /// Revokes a token, named by its id or its name (which must then be unique).
    pub fn revoke_token(&self, id_or_name: &str) -> Result<TokenInfo> {
        let tokens = self.list_tokens()?;
        let matching: Vec<&TokenInfo> = tokens
            .iter()
            .filter(|t| t.id.to_string() == id_or_name || t.name == id_or_name)
            .collect();
        let token = match matching.as_slice() {
            [one] => *one,
            [] => {
                return Err(RegistryError::NotFound(format!(
                    "no token has id or name {id_or_name:?}"
                )))
            }
            _ => {
                return Err(RegistryError::Invalid(format!(
                    "several tokens are named {id_or_name:?}: revoke by id"
                )))
            }
        };
        let now = self.inner.clock.now().timestamp_millis();
        let mut conn = self.inner.db.get()?;
        with_conn!(&mut *conn, c => c.revoke_token(token.id, now))?;
        drop(conn);
        self.list_tokens()?
            .into_iter()
            .find(|t| t.id == token.id)
            .ok_or_else(|| RegistryError::NotFound(format!("token {} vanished", token.id)))
    }

    /// The token's holder, if the secret is a live (not revoked) token.
    pub fn authenticate(&self, secret: &str) -> Result<Option<TokenInfo>> {
        if !secret.starts_with(tokens::TOKEN_PREFIX) || secret.len() > 200 {
            return Ok(None);
        }
        let hash = tokens::token_hash(secret);
        let mut conn = self.inner.db.get()?;
        let row = with_conn!(&mut *conn, c => c.token_by_hash(&hash))?;
        match row {
            Some(row)
                if row.revoked_at_ms.is_none()
                    && tokens::constant_time_eq(&row.token_sha256, &hash) =>
            {
                Ok(Some(token_info(row)?))
            }
            _ => Ok(None),
        }
    }

    /// A page of the register: letters registered in `[from, to)` (ms), newest
    /// first, optionally only those whose number or metadata contains `query`.
    pub fn list_letters(
        &self,
        from_ms: i64,
        to_ms: i64,
        query: Option<&str>,
        page: u32,
        per_page: u32,
    ) -> Result<Vec<LetterRecord>> {
        // Checked here, not left to the database: PostgreSQL refuses U+0000
        // in text with an error, SQLite would search for it.
        if query.is_some_and(|q| q.chars().any(char::is_control)) {
            return Err(RegistryError::Invalid(
                "the search text contains control characters".into(),
            ));
        }
        let pattern = query.map(str::trim).filter(|q| !q.is_empty()).map(|q| {
            let escaped = q
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let per_page = per_page.clamp(1, 500) as i64;
        let filter = LetterFilter {
            from_ms,
            to_ms,
            pattern: pattern.as_deref(),
            offset: (page.max(1) as i64 - 1) * per_page,
            limit: per_page,
        };
        let mut conn = self.inner.db.get()?;
        let (rows, documents) = with_conn!(&mut *conn, c => c.read_transaction(|c| {
            let rows = c.letters_page(&filter)?;
            let ids: Vec<i64> = rows.iter().map(|(row, _)| row.id).collect();
            let documents = c.documents_of_letters(&ids)?;
            Ok((rows, documents))
        }))?;
        let mut documents = group_by_letter(documents);
        rows.into_iter()
            .map(|(row, receipt)| {
                let documents = documents.remove(&row.id).unwrap_or_default();
                letter_record(row, documents, receipt)
            })
            .collect()
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

    /// Writes the register of letters registered from `from` to `to` (inclusive,
    /// calendar days in the registry's time zone) as CSV; returns how many.
    pub fn export_csv(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        out: impl std::io::Write,
    ) -> Result<usize> {
        if to < from {
            return Err(RegistryError::Invalid(format!(
                "the period ends ({to}) before it starts ({from})"
            )));
        }
        let start = self.day_start_ms(from)?;
        let end = self.day_start_ms(to.succ_opt().unwrap_or(to))?;
        let (letters, documents) = self.read(|s| {
            let letters = s.letters_between(start, end)?;
            let documents = match (letters.first(), letters.last()) {
                (Some(first), Some(last)) => s.documents_of(first.id, last.id)?,
                _ => Vec::new(),
            };
            Ok((letters, documents))
        })?;
        crate::export::write_csv(out, &letters, &documents)
    }

    /// The start of a calendar day in the registry's time zone, in ms.
    fn day_start_ms(&self, day: NaiveDate) -> Result<i64> {
        let midnight = day
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| RegistryError::Invalid(format!("invalid date {day}")))?;
        self.inner
            .tz
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.timestamp_millis())
            .ok_or_else(|| {
                RegistryError::Invalid(format!("{day} has no midnight in {}", self.inner.tz))
            })
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

/// Documents grouped by their letter's id, in position order.
fn group_by_letter(
    documents: Vec<DocumentRow>,
) -> std::collections::HashMap<i64, Vec<DocumentRow>> {
    let mut grouped: std::collections::HashMap<i64, Vec<DocumentRow>> =
        std::collections::HashMap::new();
    for d in documents {
        grouped.entry(d.letter_id).or_default().push(d);
    }
    grouped
}

/// Whether `number` may be looked up at all: a registration number never
/// holds U+0000, which PostgreSQL cannot even compare (it refuses the query
/// with an error) while SQLite simply finds nothing. Such a number is answered
/// "not found" on both backends, without a query.
fn could_be_a_number(number: &str) -> bool {
    !number.contains('\0')
}

fn not_found(number: &str) -> RegistryError {
    RegistryError::NotFound(format!("no letter is registered under number {number:?}"))
}

/// Builds a letter record from its rows.
pub(crate) fn letter_record(
    row: LetterRow,
    documents: Vec<DocumentRow>,
    receipt: String,
) -> Result<LetterRecord> {
    let metadata: LetterMetadata = serde_json::from_str(&row.metadata).map_err(|e| {
        RegistryError::Integrity(format!(
            "letter {}: stored metadata is unreadable: {e}",
            row.number
        ))
    })?;
    Ok(LetterRecord {
        index: row.leaf_index as u64,
        registered_at: format_timestamp(row.registered_at_ms),
        status: row.status,
        metadata,
        access_code: AccessCode::parse(&row.access_code)?,
        documents: documents
            .into_iter()
            .map(|d| DocumentRecord {
                position: d.position as u32,
                file_name: d.file_name,
                media_type: d.media_type,
                sha256: d.sha256,
                size: d.size as u64,
            })
            .collect(),
        receipt,
        number: row.number,
    })
}

fn token_info(row: TokenRow) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: row.id,
        name: row.name,
        role: row.role.parse()?,
        created_at: format_timestamp(row.created_at_ms),
        revoked_at: row.revoked_at_ms.map(format_timestamp),
    })
}
