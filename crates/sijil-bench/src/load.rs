//! The load generator: C threads, each with its own keep-alive HTTP client,
//! issuing requests until a deadline or a count, recording every latency.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use ureq::Agent;

/// How long a phase runs.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// For this long.
    Elapsed(Duration),
    /// Until this many requests were sent.
    Count(u64),
}

/// What a phase measured.
#[derive(Clone, Debug, Serialize)]
pub struct PhaseResult {
    pub name: String,
    pub concurrency: usize,
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The server's CPU time (user + system, all threads) per request, in µs:
    /// a cost that holds on a noisy machine where throughput does not.
    pub server_cpu_us: Option<f64>,
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
pub fn with_server_cpu(pid: u32, phase: impl FnOnce() -> PhaseResult) -> PhaseResult {
    let before = cpu_seconds(pid);
    let mut result = phase();
    if let (Some(before), Some(after)) = (before, cpu_seconds(pid)) {
        let per_request = (after - before) * 1e6 / result.requests.max(1) as f64;
        eprintln!("  {:<28} server CPU {per_request:.0} µs per request", "");
        result.server_cpu_us = Some(per_request);
    }
    result
}

/// A new keep-alive client that does not treat 4xx/5xx as transport errors.
pub fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .max_idle_connections_per_host(4)
        .build()
        .into()
}

/// Runs `request(agent, n)` from `concurrency` threads; `request` returns
/// whether the answer was the expected one. `n` counts requests across threads.
pub fn run<F>(name: &str, concurrency: usize, until: Until, request: F) -> PhaseResult
where
    F: Fn(&Agent, u64) -> bool + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = match until {
        Until::Elapsed(d) => Some(started + d),
        Until::Count(_) => None,
    };
    let limit = match until {
        Until::Count(n) => n,
        Until::Elapsed(_) => u64::MAX,
    };
    let handles: Vec<_> = (0..concurrency)
        .map(|_| {
            let request = Arc::clone(&request);
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                let agent = agent();
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                loop {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        break;
                    }
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    if n >= limit {
                        break;
                    }
                    let t = Instant::now();
                    let ok = request(&agent, n);
                    latencies.push(t.elapsed().as_micros() as u32);
                    if !ok {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for handle in handles {
        if let Ok((l, e)) = handle.join() {
            latencies.extend(l);
            errors += e;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pick = |q: f64| {
        if latencies.is_empty() {
            0.0
        } else {
            let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
            latencies[i] as f64 / 1000.0
        }
    };
    let result = PhaseResult {
        name: name.to_owned(),
        concurrency,
        requests: latencies.len() as u64,
        errors,
        seconds,
        per_second: latencies.len() as f64 / seconds,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
        server_cpu_us: None,
    };
    eprintln!(
        "  {:<28} C={:<4} {:>9.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  errors {}  ({} requests)",
        result.name, concurrency, result.per_second, result.p50_ms, result.p99_ms, result.max_ms, result.errors, result.requests
    );
    result
}
