//! `sijil export`: the register of a period as CSV.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use sijil_registry::Registry;

use crate::output;

pub fn run(
    registry: &Registry,
    from: NaiveDate,
    to: NaiveDate,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let mut csv = Vec::new();
    let count = registry.letters().export_csv(from, to, &mut csv)?;
    output::emit(out, &csv)?;
    eprintln!("{count} letter(s) from {from} to {to}");
    Ok(ExitCode::SUCCESS)
}
