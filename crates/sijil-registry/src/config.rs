//! The registry's configuration, kept as `sijil.toml` in the data directory.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{RegistryError, Result};
use crate::numbering::{NumberFormat, DEFAULT_FORMAT};

/// The configuration file's name inside the data directory.
pub const CONFIG_FILE: &str = "sijil.toml";

/// What an institution sets once, at `init`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The log's origin: the checkpoint's first line, the `registry` claim and
    /// the signed-note key name, e.g. `bo.mediateur.example`.
    pub origin: String,
    /// The institution's name, printed on acknowledgements.
    #[serde(default = "default_institution")]
    pub institution: String,
    /// The registration number format, e.g. `{prefix}-{year}-{seq:06}`.
    #[serde(default = "default_format")]
    pub number_format: String,
    /// The `{prefix}` of registration numbers.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// The IANA time zone in which the numbering year starts (e.g. `Africa/Casablanca`).
    #[serde(default = "default_timezone")]
    pub timezone: String,
}

fn default_institution() -> String {
    "Bureau d'ordre".into()
}
fn default_format() -> String {
    DEFAULT_FORMAT.into()
}
fn default_prefix() -> String {
    "BO".into()
}
fn default_timezone() -> String {
    "UTC".into()
}

/// The default origin of a new registry.
pub const DEFAULT_ORIGIN: &str = "sijil.localhost";

impl Config {
    /// A configuration with the defaults and the given origin.
    pub fn new(origin: &str) -> Self {
        Config {
            origin: origin.to_owned(),
            institution: default_institution(),
            number_format: default_format(),
            prefix: default_prefix(),
            timezone: default_timezone(),
        }
    }

    /// The configuration file of a data directory.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(CONFIG_FILE)
    }

    /// Reads the data directory's configuration, writing a new one with
    /// `origin` (or the default origin) when there is none yet.
    pub fn load_or_create(data_dir: &Path, origin: Option<&str>) -> Result<Self> {
        let path = Self::path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let config: Config = toml::from_str(&text).map_err(|e| {
                    RegistryError::Setup(format!("{}: {}", path.display(), e.message()))
                })?;
                if let Some(wanted) = origin {
                    if wanted != config.origin {
                        return Err(RegistryError::Setup(format!(
                            "this registry's origin is {:?}, not {wanted:?}: an origin cannot change",
                            config.origin
                        )));
                    }
                }
                config.check()?;
                Ok(config)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let config = Config::new(origin.unwrap_or(DEFAULT_ORIGIN));
                config.check()?;
                let text = toml::to_string(&config).map_err(|e| {
                    RegistryError::Setup(format!("cannot write configuration: {e}"))
                })?;
                crate::fsutil::write_atomic(&path, text.as_bytes(), 0o644)?;
                Ok(config)
            }
            Err(e) => Err(RegistryError::io(
                format!("cannot read {}", path.display()),
                e,
            )),
        }
    }

    /// Checks every setting, so that a bad file is refused at start.
    pub fn check(&self) -> Result<()> {
        sijil_receipt::note::check_key_name(&self.origin).map_err(|_| {
            RegistryError::Setup(format!(
                "invalid origin {:?}: use a name without spaces or '+', like bo.example.ma",
                self.origin
            ))
        })?;
        self.number_format()?;
        self.time_zone()?;
        Ok(())
    }

    /// The parsed number format.
    pub fn number_format(&self) -> Result<NumberFormat> {
        NumberFormat::parse(&self.number_format)
    }

    /// The numbering: format, prefix and time zone, parsed.
    pub fn numbering(&self) -> Result<crate::numbering::Numbering> {
        Ok(crate::numbering::Numbering {
            format: self.number_format()?,
            prefix: self.prefix.clone(),
            tz: self.time_zone()?,
        })
    }

    /// The parsed time zone.
    pub fn time_zone(&self) -> Result<Tz> {
        Tz::from_str(&self.timezone).map_err(|_| {
            RegistryError::Setup(format!(
                "unknown time zone {:?}: use an IANA name such as Africa/Casablanca or UTC",
                self.timezone
            ))
        })
    }
}
