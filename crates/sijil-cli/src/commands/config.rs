//! `sijil config`: the settings others rely on, each change a signed `config`
//! entry of the log.

use std::process::ExitCode;

use anyhow::Result;
use sijil_registry::{Registry, Setting};

use crate::cli::ConfigCommand;

/// Who a change made at the machine is attributed to, in the public entry.
const OPERATOR: &str = "operator";

pub fn run(registry: &Registry, command: &ConfigCommand) -> Result<ExitCode> {
    match command {
        ConfigCommand::Set { setting, value } => {
            let setting = Setting::parse(setting)?;
            let bundle = registry
                .settings()
                .change_setting(setting, value, OPERATOR)?;
            eprintln!(
                "{} changed: log entry {}",
                setting.as_str(),
                bundle.inclusion_proof.index
            );
            println!("{}", serde_json::to_string_pretty(&bundle)?);
        }
        ConfigCommand::Show => {
            println!(
                "{}\t{}",
                Setting::InstitutionName.as_str(),
                registry.settings().institution_name()?
            );
        }
    }
    registry.shutdown();
    Ok(ExitCode::SUCCESS)
}
