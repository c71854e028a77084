//! The sequencer: the one writer of a process.
//!
//! Entries of any kind from any number of threads queue here; the sequencer
//! thread takes every entry waiting and, in one log transaction (holding the
//! log head, so other processes wait), hands them to the appender, which
//! numbers, signs and appends them and signs one checkpoint; then it commits
//! once — one fsync for the whole batch (group commit). Only then does each
//! waiting caller get its answer.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

use futures_channel::oneshot;

use crate::clock::Clock;
use crate::db::store::Store;
use crate::db::{with_conn, Database, DbConn};
use crate::error::{RegistryError, Result};
use crate::keys::{KeyRing, Signer};
use crate::log::appender::append_batch;
use crate::log::entry::{Appended, Entry};

/// The most entries committed in one transaction.
pub const MAX_BATCH: usize = 1_024;
/// How many entries may wait for the sequencer.
const QUEUE_DEPTH: usize = 8_192;

/// Batch statistics, for the metrics of the web server.
#[derive(Clone, Copy, Debug, Default)]
pub struct BatchStats {
    /// Batches committed.
    pub batches: u64,
    /// Entries committed.
    pub entries: u64,
    /// Size of the last batch.
    pub last_batch: u64,
    /// Largest batch so far.
    pub max_batch: u64,
}

/// Everything the sequencer needs to append.
pub(crate) struct Context {
    pub origin: String,
    pub clock: Arc<dyn Clock>,
    pub keys: KeyRing,
    pub db: Database,
}

/// The answer to one entry, once its batch is durable (or failed).
pub(crate) type Answer = oneshot::Receiver<Result<Appended>>;

struct Job {
    entry: Box<dyn Entry>,
    reply: oneshot::Sender<Result<Appended>>,
}

/// The handle through which threads submit entries.
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

    /// Queues an entry; the answer comes once its batch is durably committed.
    pub(crate) fn submit(&self, entry: Box<dyn Entry>) -> Result<Answer> {
        let sender = self
            .sender
            .lock()
            .map_err(|_| RegistryError::ShuttingDown)?
            .clone()
            .ok_or(RegistryError::ShuttingDown)?;
        let (reply, answer) = oneshot::channel();
        sender
            .send(Job { entry, reply })
            .map_err(|_| RegistryError::ShuttingDown)?;
        Ok(answer)
    }

    /// Refuses new entries, lets the queued ones commit, and waits for the
    /// sequencer thread to finish.
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

/// Waits, blocking the thread, for an entry's answer (also from inside an
/// async runtime's thread, as tests and the CLI do).
pub(crate) fn wait(answer: Answer) -> Result<Appended> {
    futures_executor::block_on(answer).map_err(|_| RegistryError::ShuttingDown)?
}

/// Waits, as a future, for an entry's answer.
pub(crate) async fn answered(answer: Answer) -> Result<Appended> {
    answer.await.map_err(|_| RegistryError::ShuttingDown)?
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
            let batch = prepare(batch);
            if batch.is_empty() {
                continue;
            }
            let (mut entries, replies): (Vec<Box<dyn Entry>>, Vec<_>) =
                batch.into_iter().map(|job| (job.entry, job.reply)).unzip();
            match self.commit(&mut entries) {
                Ok(appended) => {
                    tracing::debug!(
                        entries = replies.len(),
                        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
                        "batch committed"
                    );
                    self.count(replies.len() as u64);
                    for (reply, done) in replies.into_iter().zip(appended) {
                        let _ = reply.send(Ok(done));
                    }
                }
                Err(error) => {
                    tracing::error!(entries = replies.len(), %error, "batch not committed");
                    // The connection may be broken (server restarted): open a new one next time.
                    self.conn = None;
                    let storage_full = error.is_storage_full();
                    for reply in replies {
                        let _ = reply.send(Err(RegistryError::CommitFailed {
                            message: error.to_string(),
                            storage_full,
                        }));
                    }
                }
            }
        }
    }

    fn count(&self, entries: u64) {
        if let Ok(mut stats) = self.stats.lock() {
            stats.batches += 1;
            stats.entries += entries;
            stats.last_batch = entries;
            stats.max_batch = stats.max_batch.max(entries);
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

    fn commit(&mut self, entries: &mut [Box<dyn Entry>]) -> Result<Vec<Appended>> {
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.context.db.dedicated()?,
        };
        let result = with_conn!(&mut conn, c => c.log_transaction(|c| {
            // Under the log head's lock, so that a key rotation is either
            // wholly before this batch or wholly after it.
            self.refresh_key()?;
            append_batch(c, &self.context.origin, &*self.context.clock, &self.signer, entries)
        }));
        self.conn = Some(conn);
        result
    }
}

/// Runs each entry's work that comes before the transaction, outside the log
/// head's lock (a registration's large documents are put in place: renamed
/// out of `tmp/` to their content address, folder synced). The entries were
/// checked when they were queued, so nothing of a refused request gets here.
/// An entry that fails here (disk full...) fails alone; the others go on.
fn prepare(batch: Vec<Job>) -> Vec<Job> {
    let mut ready = Vec::with_capacity(batch.len());
    for mut job in batch {
        match job.entry.prepare() {
            Ok(()) => ready.push(job),
            Err(error) => {
                tracing::error!(%error, "an entry could not be prepared: not appended");
                let storage_full = error.is_storage_full();
                let _ = job.reply.send(Err(RegistryError::CommitFailed {
                    message: error.to_string(),
                    storage_full,
                }));
            }
        }
    }
    ready
}
