//! The report: a Markdown table with ratios and targets, and the raw JSON.

use std::fmt::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::load::PhaseResult;
use crate::Results;

/// The machine the run was on.
#[derive(Serialize, Debug)]
pub struct Machine {
    /// When the run was made (UTC).
    pub date: String,
    /// The CPU's model name.
    pub cpu: String,
    /// Cores available to the run.
    pub cores: usize,
    /// Total memory.
    pub memory: String,
    /// The kernel (`uname -sr`).
    pub kernel: String,
    /// The data directory's device, file system and size.
    pub filesystem: String,
}

impl Machine {
    /// Reads the machine's description from /proc and a few commands.
    pub fn describe(data_dir: &Path) -> Self {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .unwrap_or("unknown")
            .trim()
            .to_owned();
        let memory = read("/proc/meminfo")
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
            .unwrap_or_default();
        let command = |program: &str, args: &[&str]| {
            std::process::Command::new(program)
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        };
        let df = command("df", &["-hT", &data_dir.to_string_lossy()]);
        Machine {
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            cpu,
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory,
            kernel: command("uname", &["-sr"]),
            filesystem: df
                .lines()
                .nth(1)
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
        }
    }
}

fn row(out: &mut String, p: &PhaseResult) {
    let _ = writeln!(
        out,
        "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
        p.name,
        p.concurrency,
        p.per_second,
        p.p50_ms,
        p.p99_ms,
        p.max_ms,
        p.errors,
        p.requests,
        p.server_cpu_us
            .map(|c| format!("{c:.0}"))
            .unwrap_or_default()
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

/// The Markdown section of one run.
pub fn markdown(r: &Results) -> String {
    let mut out = String::new();
    let m = &r.machine;
    let _ = writeln!(
        out,
        "### Load benchmark — {} — {} letters\n",
        r.backend, r.letters
    );
    let _ = writeln!(
        out,
        "Run {} on {} ({} cores), {}, {}; data on `{}`; load from {}.\n",
        m.date, m.cpu, m.cores, m.memory, m.kernel, m.filesystem, r.load_generator
    );
    let _ = writeln!(
        out,
        "| phase | C | per second | p50 ms | p99 ms | max ms | errors | requests | server CPU µs/request |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    row(&mut out, &r.trivial);
    for p in &r.registrations {
        row(&mut out, p);
    }
    for s in &r.stages {
        for p in [&s.lookups, &s.proofs, &s.verifications] {
            let mut named = p.clone();
            named.name = format!("{} @ {} letters", p.name, s.letters);
            row(&mut out, &named);
        }
    }
    let c64 = r
        .registrations
        .iter()
        .find(|p| p.concurrency == 64)
        .map(|p| p.per_second)
        .unwrap_or(0.0);
    let last = r.stages.last();
    let first = r.stages.first();
    let lookups = last.map(|s| s.lookups.per_second).unwrap_or(0.0);
    let lookup_p99 = last.map(|s| s.lookups.p99_ms).unwrap_or(0.0);
    let flat = |f: fn(&crate::Stage) -> f64| match (first, last) {
        (Some(a), Some(b)) if f(a) > 0.0 => f(b) / f(a),
        _ => 0.0,
    };
    let lookup_growth = flat(|s| s.lookups.p50_ms);
    let proof_growth = flat(|s| s.proofs.p50_ms);
    let rss_mib = r.peak_rss_kib as f64 / 1024.0;
    let _ = writeln!(out, "\n| baseline and resources | value |\n|---|---:|");
    let _ = writeln!(
        out,
        "| raw limit: SHA-256 + Ed25519 + Merkle append, one thread, no I/O | {:.0} letters/s |",
        r.raw_limit_per_second
    );
    let _ = writeln!(
        out,
        "| naive durable inserts: one transaction and fsync per letter | {:.0} letters/s |",
        r.naive_inserts_per_second
    );
    let _ = writeln!(
        out,
        "| trivial actix-web handler, C = 64 | {:.0} requests/s |",
        r.trivial.per_second
    );
    let _ = writeln!(out, "| server peak RSS | {rss_mib:.1} MiB |");
    let _ = writeln!(
        out,
        "| database size | {} bytes, {:.0} bytes per letter besides its document |",
        r.database_bytes, r.database_bytes_per_letter
    );
    let _ = writeln!(
        out,
        "| `sijil audit` of {} letters (documents re-hashed) | {:.1} s |",
        r.letters, r.audit_seconds
    );
    let _ = writeln!(
        out,
        "\n| table or index | bytes | bytes per letter |\n|---|---:|---:|"
    );
    for (name, bytes) in &r.storage {
        let _ = writeln!(
            out,
            "| `{name}` | {bytes} | {:.0} |",
            *bytes as f64 / r.letters.max(1) as f64
        );
    }
    let _ = writeln!(
        out,
        "\n| ratio / target | value | target | verdict |\n|---|---:|---:|---|"
    );
    let _ = writeln!(
        out,
        "| registrations at C = 64 | {c64:.0}/s | ≥ 5,000/s | {} |",
        verdict(c64 >= 5000.0)
    );
    let naive_ratio = c64 / r.naive_inserts_per_second.max(1e-9);
    let _ = writeln!(
        out,
        "| registrations at C = 64 ÷ naive inserts | {naive_ratio:.1}× | ≥ 10× | {} |",
        verdict(naive_ratio >= 10.0)
    );
    let _ = writeln!(
        out,
        "| registrations at C = 64 ÷ raw limit | {:.0} % | — | — |",
        100.0 * c64 / r.raw_limit_per_second.max(1e-9)
    );
    let _ = writeln!(
        out,
        "| lookups at C = 64 with {} letters | {lookups:.0}/s | ≥ 20,000/s | {} |",
        r.letters,
        verdict(lookups >= 20_000.0)
    );
    let _ = writeln!(
        out,
        "| lookup p99 | {lookup_p99:.2} ms | < 10 ms | {} |",
        verdict(lookup_p99 < 10.0)
    );
    let trivial_ratio = lookups / r.trivial.per_second.max(1e-9);
    let _ = writeln!(
        out,
        "| lookups ÷ trivial handler | {:.0} % | ≥ 40 % | {} |",
        100.0 * trivial_ratio,
        verdict(trivial_ratio >= 0.4)
    );
    let _ = writeln!(
        out,
        "| lookup p50 growth, {} → {} letters | {lookup_growth:.2}× | ≤ 2× | {} |",
        first.map(|s| s.letters).unwrap_or(0),
        r.letters,
        verdict(lookup_growth <= 2.0)
    );
    let _ = writeln!(
        out,
        "| proof p50 growth, {} → {} letters | {proof_growth:.2}× | ≤ 2× | {} |",
        first.map(|s| s.letters).unwrap_or(0),
        r.letters,
        verdict(proof_growth <= 2.0)
    );
    let _ = writeln!(
        out,
        "| server peak RSS | {rss_mib:.1} MiB | < 150 MiB | {} |",
        verdict(rss_mib < 150.0)
    );
    let _ = writeln!(
        out,
        "| database bytes per letter besides documents | {:.0} | ≤ 1024 | {} |",
        r.database_bytes_per_letter,
        verdict(r.database_bytes_per_letter <= 1024.0)
    );
    let audit_per_million = r.audit_seconds * 1e6 / r.letters.max(1) as f64;
    let _ = writeln!(
        out,
        "| audit time scaled to 10^6 letters | {audit_per_million:.1} s | < 60 s | {} |",
        verdict(audit_per_million < 60.0)
    );
    out
}

/// Writes the section into `path` between the markers of its backend
/// (`sqlite` or `postgresql`, so that each backend's run keeps the other's
/// figures), and the raw results next to it as `<stem>-<backend>.json`.
pub fn write(path: &Path, backend: &str, section: &str, results: &Results) -> Result<()> {
    let (begin, end) = (
        format!("<!-- load-benchmark:{backend}:begin -->"),
        format!("<!-- load-benchmark:{backend}:end -->"),
    );
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{begin}\n{section}\n{end}");
    let text = match (existing.find(&begin), existing.find(&end)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{block}{}", &existing[..b], &existing[e + end.len()..])
        }
        _ => format!("{existing}\n{block}\n"),
    };
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("benchmarks");
    let json = path.with_file_name(format!("{stem}-{backend}.json"));
    std::fs::write(&json, serde_json::to_vec_pretty(results)?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    Ok(())
}
