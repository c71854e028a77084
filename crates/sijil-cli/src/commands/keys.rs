//! `sijil keys`: rotate and export the signing keys.

use std::process::ExitCode;

use anyhow::Result;
use sijil_registry::Registry;

use crate::cli::KeysCommand;

pub fn run(registry: &Registry, command: &KeysCommand) -> Result<ExitCode> {
    match command {
        KeysCommand::Rotate => {
            let kid = registry.rotate_key()?;
            eprintln!("new signing key {kid}; the previous key stays in the key ring");
            println!("{}", registry.note_verifier()?);
        }
        KeysCommand::Export { jwks: true, .. } => {
            println!("{}", serde_json::to_string_pretty(&registry.jwks()?)?);
        }
        KeysCommand::Export { .. } => println!("{}", registry.note_verifier()?),
    }
    Ok(ExitCode::SUCCESS)
}
