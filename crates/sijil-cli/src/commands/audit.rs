//! `sijil audit`: re-verify the whole register.

use std::process::ExitCode;

use anyhow::Result;
use sijil_registry::{AuditOptions, Registry};

pub fn run(registry: &Registry, skip_documents: bool) -> Result<ExitCode> {
    let report = registry.audit(AuditOptions {
        check_documents: !skip_documents,
    })?;
    let summary = format!(
        "{} leaves, {} tree nodes, {} checkpoints, {} letters, {} document files",
        report.leaves, report.nodes, report.checkpoints, report.letters, report.documents
    );
    match report.first_problem() {
        None => {
            println!("audit passed: {summary}");
            Ok(ExitCode::SUCCESS)
        }
        Some(problem) => {
            let at = problem
                .index
                .map(|i| format!("index {i}"))
                .unwrap_or_else(|| "the register".into());
            println!("audit FAILED at {at}: {}", problem.what);
            for other in report.problems.iter().skip(1).take(20) {
                println!("  also: {}", other.what);
            }
            println!("checked {summary}; {} problem(s)", report.problems.len());
            Ok(ExitCode::from(1))
        }
    }
}
