//! One module per command.

mod audit;
mod config;
mod export;
mod keys;
mod register;
mod serve;
mod show;
mod token;
mod verify;

use std::process::ExitCode;

use anyhow::Result;
use sijil_registry::{Registry, RegistryOptions};

use crate::cli::{Cli, Command};

/// Runs a parsed command line; the exit code tells success or failure.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let open = |origin: Option<String>| -> Result<Registry> {
        let mut options = RegistryOptions::new(&cli.data_dir);
        options.database_url = cli.database_url.clone();
        options.origin = origin;
        options.pool_size = 2;
        Ok(Registry::open(options)?)
    };
    match cli.command {
        Command::Init { ref origin } => {
            let registry = open(origin.clone())?;
            eprintln!(
                "registry {} ready in {} ({})",
                registry.config().origin,
                registry.data_dir().display(),
                registry.database_description()
            );
            println!("{}", registry.note_verifier()?);
            registry.shutdown();
            Ok(ExitCode::SUCCESS)
        }
        Command::Register(ref args) => register::run(&open(None)?, args),
        Command::Show { ref number } => show::run(&open(None)?, number),
        Command::Verify(ref args) => verify::run(&cli.data_dir, args),
        Command::Audit { skip_documents } => audit::run(&open(None)?, skip_documents),
        Command::Export { from, to, ref out } => {
            export::run(&open(None)?, from, to, out.as_deref())
        }
        Command::Keys { ref command } => keys::run(&open(None)?, command),
        Command::Token { ref command } => token::run(&open(None)?, command),
        Command::Config { ref command } => config::run(&open(None)?, command),
        Command::Serve(ref args) => {
            let mut options = RegistryOptions::new(&cli.data_dir);
            options.database_url = cli.database_url.clone();
            // Every worker may hold a connection for an in-place read (SQLite),
            // and the blocking pool's exports and lists hold more.
            let workers = args.workers.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            });
            options.pool_size = u32::try_from(workers + 8).unwrap_or(u32::MAX).max(16);
            serve::run(sijil_registry::Registry::open(options)?, args)
        }
    }
}
