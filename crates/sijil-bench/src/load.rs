//! The load phases' figures, the server's CPU time around them, and the few
//! plain requests the bench makes itself (setting up phases, counting letters);
//! the load itself comes from `wrk` (see [`crate::wrk`]).

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use ureq::Agent;

use crate::letter::Numbering;

/// What a phase measured.
#[derive(Clone, Debug, Serialize)]
pub struct PhaseResult {
    /// The phase, as in the report.
    pub name: String,
    /// Connections kept busy (wrk's `-c`).
    pub concurrency: usize,
    /// Answers received.
    pub requests: u64,
    /// Failed requests (always 0 in a report: a failure fails the run).
    pub errors: u64,
    /// How long the phase ran.
    pub seconds: f64,
    /// Answers per second.
    pub per_second: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th-percentile latency.
    pub p99_ms: f64,
    /// Largest latency.
    pub max_ms: f64,
    /// The server's CPU time (user + system, all threads) per request, in µs:
    /// a cost that holds on a noisy machine where throughput does not.
    pub server_cpu_us: Option<f64>,
}

impl PhaseResult {
    /// Prints the phase's line on standard error.
    pub fn print(&self) {
        eprintln!(
            "  {:<28} C={:<4} {:>9.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  errors {}  ({} requests)",
            self.name, self.concurrency, self.per_second, self.p50_ms, self.p99_ms, self.max_ms, self.errors, self.requests
        );
    }
}

/// A process's CPU time (user + system, all its threads) in seconds, from
/// /proc/PID/stat (clock ticks of 1/100 s, Linux's USER_HZ).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Runs a phase and records the CPU time process `pid` spent per request.
pub fn with_server_cpu(
    pid: u32,
    phase: impl FnOnce() -> Result<PhaseResult>,
) -> Result<PhaseResult> {
    let before = cpu_seconds(pid);
    let mut result = phase()?;
    result.print();
    if let (Some(before), Some(after)) = (before, cpu_seconds(pid)) {
        let per_request = (after - before) * 1e6 / result.requests.max(1) as f64;
        eprintln!("  {:<28} server CPU {per_request:.0} µs per request", "");
        result.server_cpu_us = Some(per_request);
    }
    Ok(result)
}

/// A keep-alive client that does not treat 4xx/5xx as transport errors.
pub fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Whether the letter numbered `n` exists (its receipt answers 200; 404: not).
fn exists(agent: &Agent, base: &str, numbering: &Numbering, n: u64) -> Result<bool> {
    if n == 0 {
        return Ok(true);
    }
    let url = format!("{base}/api/v1/receipts/{}", numbering.path_segment(n));
    let mut response = agent
        .get(&url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    let _ = response.body_mut().read_to_vec();
    match response.status().as_u16() {
        200 => Ok(true),
        404 => Ok(false),
        status => bail!("GET {url} answered {status}"),
    }
}

/// How many letters the register holds, knowing it holds at least
/// `at_least`: numbers are gapless, so the last one is found by doubling
/// then halving steps (a few dozen lookups).
pub fn count_letters(
    agent: &Agent,
    base: &str,
    numbering: &Numbering,
    at_least: u64,
) -> Result<u64> {
    if !exists(agent, base, numbering, at_least)? {
        bail!(
            "the register holds fewer than the {at_least} letters answered as registered: \
             was an answer not 201?"
        );
    }
    let (mut low, mut step) = (at_least, 1u64);
    // Invariant: `low` exists; find a `high` that does not.
    let mut high = loop {
        let probe = low + step;
        if exists(agent, base, numbering, probe)? {
            low = probe;
            step *= 2;
        } else {
            break probe;
        }
    };
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if exists(agent, base, numbering, middle)? {
            low = middle;
        } else {
            high = middle;
        }
    }
    Ok(low)
}
