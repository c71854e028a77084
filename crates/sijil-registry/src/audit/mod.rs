//! The audit: re-verify the whole register against its log.
//!
//! It recomputes the tree from the stored leaves and compares every stored
//! node; opens every stored checkpoint and compares its root; re-checks every
//! receipt's signature, that each stored leaf's type is its claims' type, and
//! re-derives each entry's projection from its leaf: every letter's record
//! (number, time, status, metadata HMAC, documents), every configuration
//! change; and, optionally, re-hashes every stored document.
//!
//! The work that does not depend on what came before (signatures, claims,
//! HMACs, checkpoints) runs on every core, a chunk at a time, while the
//! calling thread, which owns the database connection, reads the next chunk
//! and re-hashes documents; results are then taken in log order.

mod documents;
mod leaves;
mod parallel;
mod signatures;
mod tree;

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use sijil_receipt::jwks::Jwks;

use crate::clock::format_timestamp;
use crate::db::store::Store;
use crate::documents::DocumentStore;
use crate::error::Result;
use crate::numbering::Numbering;
use crate::types::LeafIndex;
use leaves::check_leaves;
use tree::{check_checkpoints, check_nodes};

/// Rows read per query.
const CHUNK: i64 = 10_000;
/// Problems kept in a report; the audit goes on counting after that.
const MAX_PROBLEMS: usize = 1_000;

/// What the audit checks beyond the log itself.
#[derive(Clone, Copy, Debug)]
pub struct AuditOptions {
    /// Re-hash every stored document file.
    pub check_documents: bool,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            check_documents: true,
        }
    }
}

/// One disagreement found by the audit.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AuditProblem {
    /// The first log index concerned, when there is one.
    pub index: Option<u64>,
    /// What disagrees, in one line.
    pub what: String,
}

/// What the audit checked and what it found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditReport {
    /// The log head's tree size.
    pub tree_size: u64,
    /// Leaves re-hashed.
    pub leaves: u64,
    /// Stored tree nodes compared.
    pub nodes: u64,
    /// Stored checkpoints opened and compared.
    pub checkpoints: u64,
    /// Letters compared with their leaf.
    pub letters: u64,
    /// Configuration changes compared with their leaf.
    pub config_changes: u64,
    /// Distinct document files re-hashed.
    pub documents: u64,
    /// Disagreements, by index (the first is the one to look at).
    pub problems: Vec<AuditProblem>,
}

impl AuditReport {
    /// True when nothing disagrees.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// The disagreement at the lowest index.
    pub fn first_problem(&self) -> Option<&AuditProblem> {
        self.problems.first()
    }

    fn problem(&mut self, index: Option<u64>, what: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(AuditProblem { index, what });
        }
    }
}

/// What the audit compares against.
pub(crate) struct AuditContext<'a> {
    pub origin: &'a str,
    pub numbering: &'a Numbering,
    pub jwks: &'a Jwks,
    pub documents: &'a DocumentStore,
    pub options: AuditOptions,
}

/// Runs the audit inside one read snapshot.
pub(crate) fn run<S: Store>(store: &mut S, ctx: &AuditContext<'_>) -> Result<AuditReport> {
    let head = store.head()?;
    let mut report = AuditReport {
        tree_size: LeafIndex::from_row(head.tree_size)?.get(),
        ..AuditReport::default()
    };
    let started = Instant::now();
    let (leaf_hashes, numbering) = check_leaves(store, ctx, &mut report)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "audit: leaves and letters checked"
    );
    check_counters(store, &numbering, head.last_registered_ms, &mut report)?;
    if report.leaves != report.tree_size {
        report.problem(
            Some(report.leaves.min(report.tree_size)),
            format!(
                "the log head counts {} leaves but {} are stored in sequence",
                report.tree_size, report.leaves
            ),
        );
    }
    let stored_leaves = count(store.leaf_count()?);
    if stored_leaves != report.leaves {
        report.problem(
            Some(report.leaves),
            format!(
                "{} leaves are stored beyond the log's sequence",
                stored_leaves - report.leaves.min(stored_leaves)
            ),
        );
    }
    let stored_letters = count(store.letter_count()?);
    if stored_letters != report.letters {
        report.problem(
            None,
            format!(
                "{stored_letters} letters are stored but {} belong to the log's leaves",
                report.letters
            ),
        );
    }
    let stored_changes = count(store.config_change_count()?);
    if stored_changes != report.config_changes {
        report.problem(
            None,
            format!(
                "{stored_changes} configuration changes are stored but {} belong to the log's leaves",
                report.config_changes
            ),
        );
    }
    let started = Instant::now();
    let levels = check_nodes(store, leaf_hashes, &mut report)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "audit: tree nodes checked"
    );
    let started = Instant::now();
    check_checkpoints(store, ctx, &levels, &mut report)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "audit: checkpoints checked"
    );
    report.problems.sort_by_key(|p| p.index.unwrap_or(u64::MAX));
    Ok(report)
}

/// A `COUNT(*)`: never negative.
fn count(rows: i64) -> u64 {
    u64::try_from(rows).unwrap_or(0)
}

/// Per-year numbering state while walking the log.
#[derive(Default)]
struct Sequence {
    /// Letters seen per year.
    counts: BTreeMap<i32, i64>,
    /// The latest registration time seen.
    last_ms: i64,
}

/// Compares the stored per-year counters and the log head's last registration
/// time with what the log says.
fn check_counters<S: Store>(
    store: &mut S,
    numbering: &Sequence,
    last_ms: i64,
    report: &mut AuditReport,
) -> Result<()> {
    for (year, count) in &numbering.counts {
        let stored = store.counter(*year)?.unwrap_or(0);
        if stored != *count {
            report.problem(
                None,
                format!("the {year} counter says {stored} letters but the log has {count}"),
            );
        }
    }
    if report.leaves > 0 && last_ms != numbering.last_ms {
        report.problem(
            None,
            format!(
                "the log head's last entry time {} differs from the last entry's {}",
                format_timestamp(last_ms),
                format_timestamp(numbering.last_ms)
            ),
        );
    }
    Ok(())
}
