//! Document storage, hashed while the bytes stream in.
//!
//! Small documents (up to [`INLINE_MAX`]) stay in memory and are stored in the
//! database, in the same transaction as their letter: the batch's one fsync
//! covers them. Larger ones are written to a temporary file in `tmp/` and
//! fsync'ed as they arrive, and stay there, pending, until their letter has
//! been checked and handed to the sequencer: only then, just before the
//! letter's transaction, are they renamed to `documents/ab/abcdef...` (their
//! hash) and the folder synced. A document whose request is refused (bad
//! metadata, a bad part after it, a wrong CSRF token...) is dropped with it,
//! and its temporary file removed: it never reaches `documents/`. A file whose
//! transaction fails after the rename is an orphan that no letter refers to,
//! never a letter without its file. Either way, identical documents are
//! stored once.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::error::{RegistryError, Result};
use crate::fsutil;

/// The longest file name kept with a document, in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// Documents up to this size are stored in the database with their letter.
pub const INLINE_MAX: usize = 256 * 1024;

/// The bytes of a small document, committed with its letter.
#[derive(Clone, PartialEq, Eq)]
pub struct InlineContent(pub(crate) std::sync::Arc<[u8]>);

impl std::fmt::Debug for InlineContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InlineContent({} bytes)", self.0.len())
    }
}

/// A document received, ready to be attached to a letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDocument {
    /// The file name as the sender gave it (checked, without any folder).
    pub file_name: String,
    /// The media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The bytes of a small document (stored with the letter), or `None`
    /// for a document stored as a file.
    pub content: Option<InlineContent>,
    /// A large document's file while it waits in `tmp/` for its letter's
    /// registration (`None` once in place, or when it already was).
    pub(crate) pending: Option<PendingFile>,
}

impl StoredDocument {
    /// Puts a large document's file in place at its content address: renames
    /// it out of `tmp/` and syncs the folder, so that it is durable before
    /// the letter's transaction commits. The sequencer calls this once the
    /// letter has been checked. Nothing to do for a small document or one
    /// already in place; an identical document already stored is kept and
    /// the temporary file removed.
    pub(crate) fn put_in_place(&self) -> Result<()> {
        match &self.pending {
            Some(pending) => pending.put_in_place(),
            None => Ok(()),
        }
    }
}

/// A large document's temporary file (its bytes already fsync'ed) and the
/// content address it is to be renamed to. Shared by the clones of its
/// [`StoredDocument`]; removed when the last of them is dropped unless it
/// was put in place.
#[derive(Clone)]
pub(crate) struct PendingFile {
    temp: Arc<Mutex<Option<tempfile::TempPath>>>,
    target: PathBuf,
}

impl PendingFile {
    fn put_in_place(&self) -> Result<()> {
        let mut slot = self.temp.lock().map_err(|_| {
            RegistryError::Integrity("a pending document's lock is poisoned".into())
        })?;
        if slot.is_none() {
            // Already put in place through a clone.
            return Ok(());
        }
        if self.target.exists() {
            // Stored once: the temporary copy is removed as it drops.
            slot.take();
            return Ok(());
        }
        let shard = self.target.parent().unwrap_or(&self.target);
        fsutil::create_dir_durable(shard)?;
        let Some(temp) = slot.take() else {
            return Ok(());
        };
        if let Err(e) = temp.persist(&self.target) {
            // Kept pending (and removed with its document) if this fails.
            *slot = Some(e.path);
            return Err(RegistryError::io("cannot store a document", e.error));
        }
        fsutil::sync_dir(shard)
    }
}

impl std::fmt::Debug for PendingFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pending = self.temp.lock().map(|t| t.is_some()).unwrap_or(false);
        f.debug_struct("PendingFile")
            .field("target", &self.target)
            .field("pending", &pending)
            .finish()
    }
}

/// The same pending file (clones of one received document).
impl PartialEq for PendingFile {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.temp, &other.temp)
    }
}

impl Eq for PendingFile {}

/// Where document bytes live.
#[derive(Clone, Debug)]
pub struct DocumentStore {
    dir: PathBuf,
}

impl DocumentStore {
    /// The store in `dir`, created if missing.
    pub fn open(dir: PathBuf) -> Result<Self> {
        fsutil::create_dir_durable(&dir.join("tmp"))?;
        Ok(DocumentStore { dir })
    }

    /// Starts writing a document that arrives in pieces (an HTTP upload).
    /// Refuses documents larger than `max_size` bytes, if given.
    pub fn writer(
        &self,
        file_name: &str,
        media_type: &str,
        max_size: Option<u64>,
    ) -> Result<DocumentWriter> {
        let file_name = check_file_name(file_name)?;
        let media_type = check_media_type(media_type)?;
        Ok(DocumentWriter {
            dir: self.dir.clone(),
            file_name,
            media_type,
            buffer: Vec::new(),
            tmp: None,
            hasher: Sha256::new(),
            size: 0,
            max_size,
        })
    }

    /// Streams `reader` into the store, hashing on the way (a large document's
    /// file waits in `tmp/` until its letter is registered, see
    /// [`DocumentWriter::finish`]). Refuses documents larger than `max_size`
    /// bytes, if given.
    pub fn store(
        &self,
        file_name: &str,
        media_type: &str,
        reader: &mut dyn Read,
        max_size: Option<u64>,
    ) -> Result<StoredDocument> {
        let mut writer = self.writer(file_name, media_type, max_size)?;
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(RegistryError::io(
                        format!("cannot read {}", writer.file_name),
                        e,
                    ))
                }
            };
            writer.write(&buffer[..n])?;
        }
        writer.finish()
    }

    /// Stores a file from disk, with its own name.
    pub fn store_file(&self, path: &Path, media_type: &str) -> Result<StoredDocument> {
        let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            RegistryError::Invalid(format!("{} has no usable file name", path.display()))
        })?;
        let mut file = File::open(path)
            .map_err(|e| RegistryError::io(format!("cannot open {}", path.display()), e))?;
        self.store(name, media_type, &mut file, None)
    }

    /// Where the document with this hash is stored.
    pub fn path(&self, sha256: &str) -> PathBuf {
        shard_path(&self.dir, sha256)
    }

    /// Opens a stored document for reading.
    pub fn open_document(&self, sha256: &str) -> Result<File> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RegistryError::Invalid(format!(
                "{sha256:?} is not a SHA-256 hash"
            )));
        }
        File::open(self.path(sha256)).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                RegistryError::Integrity(format!("document {sha256} is missing from the store"))
            } else {
                RegistryError::io(format!("cannot open document {sha256}"), e)
            }
        })
    }

    /// Re-hashes a stored document: its SHA-256 and size as they are on disk now.
    pub fn rehash(&self, sha256: &str) -> Result<(String, u64)> {
        let mut file = self.open_document(sha256)?;
        let mut hasher = Sha256::new();
        let size = std::io::copy(&mut file, &mut hasher)
            .map_err(|e| RegistryError::io(format!("cannot read document {sha256}"), e))?;
        Ok((hex::encode(hasher.finalize()), size))
    }

    /// Removes temporary files left by interrupted uploads more than a day ago
    /// (younger ones may belong to an upload in progress in another process).
    pub fn clean_temporary(&self) {
        let day = std::time::Duration::from_secs(24 * 3600);
        if let Ok(entries) = fs::read_dir(self.dir.join("tmp")) {
            for entry in entries.flatten() {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > day);
                if old {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }
}

/// `dir/ab/abcdef...`: documents are spread over 256 folders by their hash.
fn shard_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(sha256.get(..2).unwrap_or("xx")).join(sha256)
}

/// A document being written: hashed and counted as it arrives; once finished,
/// ready to be attached to a letter. Dropped unfinished, it leaves nothing.
pub struct DocumentWriter {
    dir: PathBuf,
    file_name: String,
    media_type: String,
    buffer: Vec<u8>,
    tmp: Option<tempfile::NamedTempFile>,
    hasher: Sha256,
    size: u64,
    max_size: Option<u64>,
}

impl DocumentWriter {
    /// Appends a piece of the document.
    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if let Some(max) = self.max_size.filter(|max| self.size > *max) {
            return Err(RegistryError::TooLarge(format!(
                "document {} is larger than the limit of {max} bytes",
                self.file_name
            )));
        }
        self.hasher.update(chunk);
        if self.tmp.is_none() && self.buffer.len() + chunk.len() <= INLINE_MAX {
            self.buffer.extend_from_slice(chunk);
            return Ok(());
        }
        let tmp = match self.tmp.as_mut() {
            Some(tmp) => tmp,
            None => {
                let mut tmp = tempfile::NamedTempFile::new_in(self.dir.join("tmp"))
                    .map_err(|e| RegistryError::io("cannot create a temporary document file", e))?;
                tmp.write_all(&self.buffer)
                    .map_err(|e| RegistryError::io("cannot write a document", e))?;
                self.buffer = Vec::new();
                self.tmp.insert(tmp)
            }
        };
        tmp.write_all(chunk)
            .map_err(|e| RegistryError::io("cannot write a document", e))
    }

    /// Whether `more` bytes will still be kept in memory (no file I/O).
    pub fn stays_in_memory(&self, more: usize) -> bool {
        self.tmp.is_none() && self.buffer.len() + more <= INLINE_MAX
    }

    /// Bytes received so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Finishes the document: a small one is kept for its letter's
    /// transaction; a large one has its bytes fsync'ed and waits in `tmp/`
    /// until its letter is registered (then it is put in place under its
    /// hash), or is removed with the document if the letter never is.
    /// Identical documents are stored once.
    pub fn finish(mut self) -> Result<StoredDocument> {
        let sha256 = hex::encode(self.hasher.finalize_reset());
        let Some(tmp) = self.tmp.take() else {
            return Ok(StoredDocument {
                file_name: self.file_name,
                media_type: self.media_type,
                sha256,
                size: self.size,
                content: Some(InlineContent(self.buffer.into())),
                pending: None,
            });
        };
        let target = shard_path(&self.dir, &sha256);
        // Already stored: the temporary file is removed as `tmp` drops.
        let pending = if target.exists() {
            None
        } else {
            tmp.as_file()
                .sync_all()
                .map_err(|e| RegistryError::io("cannot write a document", e))?;
            Some(PendingFile {
                temp: Arc::new(Mutex::new(Some(tmp.into_temp_path()))),
                target,
            })
        };
        Ok(StoredDocument {
            file_name: self.file_name,
            media_type: self.media_type,
            sha256,
            size: self.size,
            content: None,
            pending,
        })
    }
}

/// Accepts a file name that is safe to store and show: no folder, no control
/// or bidirectional-override characters, not empty, at most 255 bytes.
pub fn check_file_name(name: &str) -> Result<String> {
    let name = name.trim();
    let bad =
        |why: &str| RegistryError::Invalid(format!("file name {name:?} is not accepted: {why}"));
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.len() > MAX_FILE_NAME_BYTES {
        return Err(bad("it is longer than 255 bytes"));
    }
    if name == "." || name == ".." || name.contains('/') || name.contains('\\') {
        return Err(bad("it must not name a folder"));
    }
    if name.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(bad("it contains control characters"));
    }
    Ok(name.to_owned())
}

/// Characters that reorder text and can disguise a file name's extension.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Accepts a media type of the form `type/subtype` (parameters dropped).
pub fn check_media_type(media_type: &str) -> Result<String> {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence.is_empty() {
        return Ok("application/octet-stream".into());
    }
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => Ok(essence),
        _ => Err(RegistryError::Invalid(format!(
            "media type {media_type:?} is not of the form type/subtype"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporary_files(store: &DocumentStore) -> usize {
        fs::read_dir(store.dir.join("tmp"))
            .map(|entries| entries.count())
            .unwrap_or(0)
    }

    #[test]
    fn identical_documents_are_stored_once_under_their_hash() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| RegistryError::io("tempdir", e))?;
        let store = DocumentStore::open(dir.path().join("documents"))?;
        let big = vec![7u8; INLINE_MAX + 1];
        let a = store.store("a.pdf", "application/pdf", &mut &big[..], None)?;
        let b = store.store("b.pdf", "application/pdf", &mut &big[..], None)?;
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.sha256, hex::encode(Sha256::digest(&big)));
        assert_eq!(a.size, big.len() as u64);
        assert!(a.content.is_none(), "a large document is a file");
        assert!(
            !store.path(&a.sha256).exists(),
            "not in place before its letter is registered"
        );
        assert_eq!(temporary_files(&store), 2);
        a.put_in_place()?;
        assert_eq!(fs::read(store.path(&a.sha256)).ok(), Some(big.clone()));
        assert_eq!(temporary_files(&store), 1);
        b.put_in_place()?;
        assert_eq!(temporary_files(&store), 0, "the second copy is removed");
        assert_eq!(
            store.rehash(&a.sha256)?,
            (a.sha256.clone(), big.len() as u64)
        );
        let c = store.store("c.pdf", "application/pdf", &mut &big[..], None)?;
        assert!(c.pending.is_none(), "already stored");
        assert_eq!(temporary_files(&store), 0);
        c.put_in_place()?;
        Ok(())
    }

    #[test]
    fn a_large_document_never_registered_leaves_no_file() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| RegistryError::io("tempdir", e))?;
        let store = DocumentStore::open(dir.path().join("documents"))?;
        let big = vec![9u8; INLINE_MAX + 1];
        let document = store.store("a.pdf", "application/pdf", &mut &big[..], None)?;
        let copy = document.clone();
        assert_eq!(copy, document);
        assert_eq!(temporary_files(&store), 1);
        drop(document);
        assert_eq!(temporary_files(&store), 1, "a clone still holds it");
        drop(copy);
        assert_eq!(temporary_files(&store), 0);
        assert!(!store.path(&hex::encode(Sha256::digest(&big))).exists());
        // Put in place through one clone, the other has nothing left to do.
        let document = store.store("a.pdf", "application/pdf", &mut &big[..], None)?;
        let copy = document.clone();
        document.put_in_place()?;
        drop(document);
        copy.put_in_place()?;
        drop(copy);
        assert!(store.path(&hex::encode(Sha256::digest(&big))).exists());
        assert_eq!(temporary_files(&store), 0);
        Ok(())
    }

    #[test]
    fn small_documents_stay_in_memory_for_their_letters_transaction() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| RegistryError::io("tempdir", e))?;
        let store = DocumentStore::open(dir.path().join("documents"))?;
        let small = store.store("a.txt", "text/plain", &mut &b"small bytes"[..], None)?;
        assert_eq!(small.content.as_ref().map(|c| c.0.len()), Some(11));
        assert!(
            !store.path(&small.sha256).exists(),
            "no file for a small document"
        );
        Ok(())
    }

    #[test]
    fn documents_over_the_limit_are_refused() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| RegistryError::io("tempdir", e))?;
        let store = DocumentStore::open(dir.path().join("documents"))?;
        let too_big = store.store("big.bin", "", &mut &[0u8; 100][..], Some(99));
        assert!(matches!(too_big, Err(RegistryError::TooLarge(_))));
        let fits = store.store("small.bin", "", &mut &[0u8; 99][..], Some(99))?;
        assert_eq!(fits.size, 99);
        Ok(())
    }

    #[test]
    fn file_names_with_folders_or_control_characters_are_refused() {
        assert!(check_file_name("../etc/passwd").is_err());
        assert!(check_file_name("a\\b.pdf").is_err());
        assert!(check_file_name("").is_err());
        assert!(check_file_name("invoice\u{202E}fdp.exe").is_err());
        assert!(check_file_name("line\nbreak.pdf").is_err());
        assert!(check_file_name(&"x".repeat(256)).is_err());
        assert_eq!(
            check_file_name(" شكاية.pdf ").ok().as_deref(),
            Some("شكاية.pdf")
        );
    }

    #[test]
    fn media_types_must_be_type_slash_subtype() {
        assert_eq!(
            check_media_type("Application/PDF; q=1").ok().as_deref(),
            Some("application/pdf")
        );
        assert_eq!(
            check_media_type("").ok().as_deref(),
            Some("application/octet-stream")
        );
        assert!(check_media_type("pdf").is_err());
        assert!(check_media_type("text/<script>").is_err());
    }
}
