//! `sijil token`: clerk API tokens.

use std::process::ExitCode;

use anyhow::Result;
use sijil_registry::Registry;

use crate::cli::TokenCommand;

pub fn run(registry: &Registry, command: &TokenCommand) -> Result<ExitCode> {
    match command {
        TokenCommand::Create { role, name } => {
            let (info, secret) = registry.access().create_token(name, *role)?;
            println!("{secret}");
            eprintln!(
                "token {} ({}, {}) created; it is shown only this once",
                info.id, info.name, info.role
            );
        }
        TokenCommand::List => {
            println!("id\trole\tname\tcreated\trevoked");
            for t in registry.access().list_tokens()? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.role,
                    t.name,
                    t.created_at,
                    t.revoked_at.as_deref().unwrap_or("-")
                );
            }
        }
        TokenCommand::Revoke { token } => {
            let info = registry.access().revoke_token(token)?;
            eprintln!("token {} ({}) revoked", info.id, info.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
