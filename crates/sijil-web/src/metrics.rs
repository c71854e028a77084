//! Counters and latency histograms, exposed at `/metrics` in the Prometheus
//! text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sijil_registry::sequencer::BatchStats;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; 12],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// Everything `/metrics` reports (besides the sequencer's batch statistics).
#[derive(Debug, Default)]
pub struct Metrics {
    registrations: AtomicU64,
    registration_failures: AtomicU64,
    lookups: AtomicU64,
    verifications: AtomicU64,
    verification_failures: AtomicU64,
    responses: [AtomicU64; 5],
    registration_seconds: Histogram,
    request_seconds: Histogram,
}

impl Metrics {
    /// A registration attempt and how long it took.
    pub fn registration(&self, elapsed: Duration, ok: bool) {
        if ok {
            self.registrations.fetch_add(1, Ordering::Relaxed);
            self.registration_seconds.observe(elapsed);
        } else {
            self.registration_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A receipt lookup.
    pub fn lookup(&self) {
        self.lookups.fetch_add(1, Ordering::Relaxed);
    }

    /// A verification and its verdict.
    pub fn verification(&self, passed: bool) {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        if !passed {
            self.verification_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A finished HTTP request.
    pub fn response(&self, status: u16, elapsed: Duration) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
        self.request_seconds.observe(elapsed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self, batches: BatchStats) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            &mut out,
            "sijil_registrations_total",
            "Letters registered by this process.",
            get(&self.registrations),
        );
        counter(
            &mut out,
            "sijil_registration_failures_total",
            "Registrations refused or not committed.",
            get(&self.registration_failures),
        );
        counter(
            &mut out,
            "sijil_lookups_total",
            "Receipt lookups.",
            get(&self.lookups),
        );
        counter(
            &mut out,
            "sijil_verifications_total",
            "Verification requests.",
            get(&self.verifications),
        );
        counter(
            &mut out,
            "sijil_verification_failures_total",
            "Verifications whose verdict was not valid.",
            get(&self.verification_failures),
        );
        counter(
            &mut out,
            "sijil_batches_total",
            "Sequencer batches committed.",
            batches.batches,
        );
        counter(
            &mut out,
            "sijil_batched_letters_total",
            "Letters committed by the sequencer.",
            batches.entries,
        );
        let _ = writeln!(out, "# HELP sijil_batch_size_max Largest batch so far.\n# TYPE sijil_batch_size_max gauge\nsijil_batch_size_max {}", batches.max_batch);
        let _ = writeln!(out, "# HELP sijil_batch_size_last Size of the last batch.\n# TYPE sijil_batch_size_last gauge\nsijil_batch_size_last {}", batches.last_batch);
        let _ = writeln!(out, "# HELP sijil_http_responses_total HTTP responses by status class.\n# TYPE sijil_http_responses_total counter");
        for (i, class) in ["1xx", "2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
            let _ = writeln!(
                out,
                "sijil_http_responses_total{{class=\"{class}\"}} {}",
                get(&self.responses[i])
            );
        }
        self.registration_seconds.render(
            &mut out,
            "sijil_registration_seconds",
            "Time to register a letter durably.",
        );
        self.request_seconds.render(
            &mut out,
            "sijil_http_request_seconds",
            "Time to answer an HTTP request.",
        );
        out
    }
}
