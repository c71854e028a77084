//! The sequencer: the one writer of a process.
//!
//! Registrations from any number of threads queue here; the sequencer thread
//! takes every letter waiting, and in one write transaction (holding the log
//! head, so other processes wait) assigns numbers and indices, signs the
//! receipts, appends the leaves and tree nodes, signs one checkpoint and
//! commits once — one fsync for the whole batch (group commit). Only then does
//! each waiting caller get its answer.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

use std::collections::HashMap;

use chrono_tz::Tz;
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::claims::{DocumentDigest, RegistrationClaims, REGISTRATION};
use sijil_receipt::merkle::leaf_hash;
use sijil_receipt::merkle::Hash;

use crate::access_code::AccessCode;
use crate::clock::{format_timestamp, registration_time, Clock};
use crate::db::store::{
    BatchRows, BlobRow, CheckpointRow, DocumentRow, HeadRow, LeafRow, LetterRow, Store,
};
use crate::db::{with_conn, Database, DbConn};
use crate::documents::StoredDocument;
use crate::error::{RegistryError, Result};
use crate::keys::{KeyRing, Signer};
use crate::log::frontier::Frontier;
use crate::log::proofs::NodeId;
use crate::numbering::{year_of, NumberFormat};
use crate::reply::{reply, ReplyReceiver, ReplySender};

/// The most letters committed in one transaction.
pub const MAX_BATCH: usize = 1_024;
/// How many registrations may wait for the sequencer.
const QUEUE_DEPTH: usize = 8_192;

/// A checked letter, waiting for its number.
pub(crate) struct PreparedLetter {
    pub metadata_json: String,
    pub metadata_mac: String,
    pub access_code: AccessCode,
    pub documents: Vec<StoredDocument>,
}

/// What the sequencer answers once the batch is durable.
#[derive(Clone, Debug)]
pub(crate) struct Committed {
    pub number: String,
    pub index: u64,
    pub registered_at: String,
    pub receipt: String,
    pub checkpoint: String,
    pub tree_size: u64,
    pub proof: Vec<sijil_receipt::merkle::Hash>,
}

/// Batch statistics, for the metrics of the web server.
#[derive(Clone, Copy, Debug, Default)]
pub struct BatchStats {
    /// Batches committed.
    pub batches: u64,
    /// Letters committed.
    pub letters: u64,
    /// Size of the last batch.
    pub last_batch: u64,
    /// Largest batch so far.
    pub max_batch: u64,
}

/// Everything the sequencer needs to number and sign.
pub(crate) struct Context {
    pub origin: String,
    pub prefix: String,
    pub format: NumberFormat,
    pub tz: Tz,
    pub clock: Arc<dyn Clock>,
    pub keys: KeyRing,
    pub db: Database,
}

struct Job {
    letter: PreparedLetter,
    reply: ReplySender<Result<Committed>>,
}

/// The handle through which threads submit registrations.
pub(crate) struct Sequencer {
    sender: Mutex<Option<SyncSender<Job>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<Mutex<BatchStats>>,
}

impl Sequencer {
    /// Starts the sequencer thread with its own database connection.
    pub(crate) fn start(context: Context) -> Result<Self> {
        let signer = context.keys.signer()?;
        let conn = context.db.dedicated()?;
        let (sender, receiver) = sync_channel(QUEUE_DEPTH);
        let stats = Arc::new(Mutex::new(BatchStats::default()));
        let worker_stats = Arc::clone(&stats);
        let worker = std::thread::Builder::new()
            .name("sijil-sequencer".into())
            .spawn(move || {
                Worker {
                    key_modified: context.keys.key_modified(),
                    context,
                    signer,
                    conn: Some(conn),
                    stats: worker_stats,
                }
                .run(receiver)
            })
            .map_err(|e| RegistryError::io("cannot start the sequencer thread", e))?;
        Ok(Sequencer {
            sender: Mutex::new(Some(sender)),
            worker: Mutex::new(Some(worker)),
            stats,
        })
    }

    /// Queues a letter; the answer comes once its batch is durably committed.
    pub(crate) fn submit(
        &self,
        letter: PreparedLetter,
    ) -> Result<ReplyReceiver<Result<Committed>>> {
        let sender = self
            .sender
            .lock()
            .map_err(|_| RegistryError::ShuttingDown)?
            .clone()
            .ok_or(RegistryError::ShuttingDown)?;
        let (reply, answer) = reply();
        sender
            .send(Job { letter, reply })
            .map_err(|_| RegistryError::ShuttingDown)?;
        Ok(answer)
    }

    /// Refuses new registrations, lets the queued ones commit, and waits for
    /// the sequencer thread to finish.
    pub(crate) fn shutdown(&self) {
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        let worker = self.worker.lock().ok().and_then(|mut w| w.take());
        if let Some(worker) = worker {
            let _ = worker.join();
        }
    }

    /// Batch statistics so far.
    pub(crate) fn stats(&self) -> BatchStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }
}

impl Drop for Sequencer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Worker {
    context: Context,
    signer: Signer,
    key_modified: Option<SystemTime>,
    conn: Option<DbConn>,
    stats: Arc<Mutex<BatchStats>>,
}

impl Worker {
    fn run(mut self, jobs: Receiver<Job>) {
        while let Ok(first) = jobs.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let started = Instant::now();
            let batch = put_documents_in_place(batch);
            if batch.is_empty() {
                continue;
            }
            let letters: Vec<&PreparedLetter> = batch.iter().map(|j| &j.letter).collect();
            match self.commit(&letters) {
                Ok(committed) => {
                    tracing::debug!(
                        letters = batch.len(),
                        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
                        "batch committed"
                    );
                    self.count(batch.len() as u64);
                    for (job, done) in batch.into_iter().zip(committed) {
                        job.reply.send(Ok(done));
                    }
                }
                Err(error) => {
                    tracing::error!(letters = batch.len(), %error, "batch not committed");
                    // The connection may be broken (server restarted): open a new one next time.
                    self.conn = None;
                    let storage_full = error.is_storage_full();
                    for job in batch {
                        job.reply.send(Err(RegistryError::CommitFailed {
                            message: error.to_string(),
                            storage_full,
                        }));
                    }
                }
            }
        }
    }

    fn count(&self, letters: u64) {
        if let Ok(mut stats) = self.stats.lock() {
            stats.batches += 1;
            stats.letters += letters;
            stats.last_batch = letters;
            stats.max_batch = stats.max_batch.max(letters);
        }
    }

    /// Picks up a key rotated by `sijil keys rotate` since the last batch.
    fn refresh_key(&mut self) -> Result<()> {
        let modified = self.context.keys.key_modified();
        if modified != self.key_modified {
            self.signer = self.context.keys.signer()?;
            self.key_modified = modified;
            tracing::info!(kid = self.signer.kid(), "signing key reloaded");
        }
        Ok(())
    }

    fn commit(&mut self, letters: &[&PreparedLetter]) -> Result<Vec<Committed>> {
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.context.db.dedicated()?,
        };
        let result = with_conn!(&mut conn, c => c.write_transaction(|c| {
            // Under the log head's lock, so that a key rotation is either
            // wholly before this batch or wholly after it.
            self.refresh_key()?;
            commit_batch(c, &self.context, &self.signer, letters)
        }));
        self.conn = Some(conn);
        result
    }
}

/// Puts the batch's large documents in place (renamed out of `tmp/` to their
/// content address, folder synced) before its transaction, outside the log
/// head's lock: the letters were checked when they were queued, so a document
/// of a refused request never gets here. A letter whose document cannot be
/// stored (disk full...) fails alone; the others go on.
fn put_documents_in_place(batch: Vec<Job>) -> Vec<Job> {
    let mut ready = Vec::with_capacity(batch.len());
    for job in batch {
        match job
            .letter
            .documents
            .iter()
            .try_for_each(StoredDocument::put_in_place)
        {
            Ok(()) => ready.push(job),
            Err(error) => {
                tracing::error!(%error, "a document could not be stored: letter not registered");
                let storage_full = error.is_storage_full();
                job.reply.send(Err(RegistryError::CommitFailed {
                    message: error.to_string(),
                    storage_full,
                }));
            }
        }
    }
    ready
}

/// Numbers, signs and appends one batch; runs inside the write transaction.
fn commit_batch<S: Store>(
    store: &mut S,
    context: &Context,
    signer: &Signer,
    letters: &[&PreparedLetter],
) -> Result<Vec<Committed>> {
    {
        let head = store.head()?;
        let size = u64::try_from(head.tree_size)
            .map_err(|_| RegistryError::Integrity("negative tree size".into()))?;
        let mut frontier = Frontier::load(store, size)?;
        // The batch's proofs need only the frontier before it and the nodes it adds.
        let mut nodes: HashMap<NodeId, Hash> = frontier.nodes().collect();
        let clock_ms = context.clock.now().timestamp_millis();
        let (ms, stepped_back) = registration_time(
            head.last_registered_ms.max(signer.valid_from_ms()),
            clock_ms,
        );
        if stepped_back {
            tracing::warn!(
                clock = %format_timestamp(clock_ms),
                kept = %format_timestamp(ms),
                "the clock is behind the last registration: keeping the last registration time"
            );
        }
        let registered_at = format_timestamp(ms);
        let year = year_of(ms, context.tz);
        let mut seq = store.counter(year)?.unwrap_or(0);
        let mut rows = BatchRows::default();
        let mut committed = Vec::with_capacity(letters.len());
        for letter in letters {
            seq += 1;
            let index = frontier.size();
            let claims = RegistrationClaims {
                kind: REGISTRATION.into(),
                registry: context.origin.clone(),
                number: context.format.format(&context.prefix, year, seq),
                index,
                registered_at: registered_at.clone(),
                documents: letter
                    .documents
                    .iter()
                    .map(|d| DocumentDigest {
                        sha256: d.sha256.clone(),
                        size: d.size,
                    })
                    .collect(),
                metadata_sha256: letter.metadata_mac.clone(),
            };
            let payload = claims.to_payload();
            let receipt = signer.sign_receipt(&payload);
            frontier.append(leaf_hash(&payload), &mut rows.nodes);
            let leaf_index = index as i64;
            rows.leaves.push(LeafRow {
                leaf_index,
                receipt: receipt.clone(),
            });
            rows.letters.push(LetterRow {
                leaf_index,
                number: claims.number.clone(),
                registered_at_ms: ms,
                metadata: letter.metadata_json.clone(),
                access_code: letter.access_code.as_str().to_owned(),
                status: "registered".into(),
            });
            for document in &letter.documents {
                if let Some(content) = &document.content {
                    rows.blobs.push(BlobRow {
                        sha256: document.sha256.clone(),
                        content: content.0.to_vec(),
                    });
                }
            }
            for (position, document) in letter.documents.iter().enumerate() {
                rows.documents.push(DocumentRow {
                    leaf_index,
                    position: position as i32 + 1,
                    sha256: document.sha256.clone(),
                    size: document.size as i64,
                    file_name: document.file_name.clone(),
                    media_type: document.media_type.clone(),
                });
            }
            committed.push(Committed {
                number: claims.number,
                index,
                registered_at: registered_at.clone(),
                receipt,
                checkpoint: String::new(),
                tree_size: 0,
                proof: Vec::new(),
            });
        }
        let checkpoint = Checkpoint {
            origin: context.origin.clone(),
            size: frontier.size(),
            root: frontier.root(),
            extensions: Vec::new(),
        };
        let note = signer.sign_checkpoint(&checkpoint)?;
        rows.checkpoint = Some(CheckpointRow {
            tree_size: checkpoint.size as i64,
            note: note.clone(),
        });
        rows.head = Some(HeadRow {
            tree_size: checkpoint.size as i64,
            last_registered_ms: ms,
        });
        rows.counters.push((year, seq));
        store.write_batch(&rows)?;
        nodes.extend(rows.nodes.iter().filter_map(|n| {
            Some((
                (n.level as u32, n.node_index as u64),
                Hash::try_from(&n.hash[..]).ok()?,
            ))
        }));
        for done in &mut committed {
            done.checkpoint = note.clone();
            done.tree_size = checkpoint.size;
            done.proof = crate::log::proofs::inclusion(&mut nodes, done.index, checkpoint.size)?;
        }
        Ok(committed)
    }
}

/// Signs and stores a checkpoint of the current tree if none exists yet (a new
/// registry publishes the empty tree's checkpoint).
pub(crate) fn ensure_checkpoint<S: Store>(
    store: &mut S,
    origin: &str,
    signer: &Signer,
) -> Result<()> {
    store.write_transaction(|store| {
        if store.latest_checkpoint()?.is_some() {
            return Ok(());
        }
        let size = store.head()?.tree_size as u64;
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size,
            root: crate::log::proofs::root(store, size)?,
            extensions: Vec::new(),
        };
        let rows = BatchRows {
            checkpoint: Some(CheckpointRow {
                tree_size: size as i64,
                note: signer.sign_checkpoint(&checkpoint)?,
            }),
            ..BatchRows::default()
        };
        store.write_batch(&rows)?;
        Ok(())
    })
}
