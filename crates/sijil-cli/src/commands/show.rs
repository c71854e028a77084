//! `sijil show`: the full record of a letter.

use std::process::ExitCode;

use anyhow::Result;
use sijil_registry::Registry;

pub fn run(registry: &Registry, number: &str) -> Result<ExitCode> {
    let record = registry.letters().letter(number)?;
    println!("{}", serde_json::to_string_pretty(&record)?);
    Ok(ExitCode::SUCCESS)
}
