//! A configuration change: a setting an administrator changed that others
//! rely on (the institution's display name first), as a signed `config`
//! leaf and its row in `config_changes`.

use sijil_receipt::claims::{ConfigClaims, LeafClaims, LeafType};

use crate::db::store::{ConfigChangeRow, Tables};
use crate::error::{RegistryError, Result};
use crate::log::entry::{Entry, Place, Section, Sections};
use crate::types::LeafIndex;

/// The settings an administrator may change through the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// The institution's display name, printed on acknowledgements and pages.
    InstitutionName,
}

impl Setting {
    /// Every setting.
    pub const ALL: [Setting; 1] = [Setting::InstitutionName];

    /// Its stable name, the `setting` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::InstitutionName => "institution.name",
        }
    }

    /// The setting named `name`.
    pub fn parse(name: &str) -> Result<Setting> {
        Setting::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| {
                RegistryError::Invalid(format!(
                    "unknown setting {name:?}: the settings are {}",
                    Setting::ALL.map(Setting::as_str).join(", ")
                ))
            })
    }

    /// Checks and normalizes a new value of this setting.
    pub(crate) fn check(self, value: &str) -> Result<serde_json::Value> {
        match self {
            Setting::InstitutionName => {
                let name = value.trim();
                if name.is_empty() {
                    return Err(RegistryError::Invalid(
                        "the institution's name cannot be empty".into(),
                    ));
                }
                if name.chars().count() > 200 {
                    return Err(RegistryError::Invalid(
                        "the institution's name is longer than 200 characters".into(),
                    ));
                }
                if name
                    .chars()
                    .any(|c| c.is_control() || crate::documents::is_bidi_control(c))
                {
                    return Err(RegistryError::Invalid(
                        "the institution's name contains control characters".into(),
                    ));
                }
                Ok(serde_json::Value::String(name.to_owned()))
            }
        }
    }
}

/// A checked change, waiting for the log.
pub(crate) struct PendingConfigChange {
    pub setting: Setting,
    pub value: serde_json::Value,
    pub actor: String,
}

impl Entry for PendingConfigChange {
    fn leaf_type(&self) -> LeafType {
        LeafType::Config
    }

    fn seal(
        &mut self,
        place: &Place<'_>,
        rows: &mut Sections,
        _tables: &mut dyn Tables,
    ) -> Result<Vec<u8>> {
        let claims = LeafClaims::Config(ConfigClaims {
            registry: place.origin.to_owned(),
            index: place.index,
            registered_at: place.registered_at.to_owned(),
            setting: self.setting.as_str().to_owned(),
            value: self.value.clone(),
            actor: self.actor.clone(),
        });
        rows.section::<Changes>()?
            .0
            .push(row_of(place.index, &claims)?);
        Ok(claims.to_payload())
    }
}

/// The row that a `config` leaf projects to; the audit compares the stored
/// row with it.
pub(crate) fn row_of(index: u64, claims: &LeafClaims) -> Result<ConfigChangeRow> {
    let LeafClaims::Config(c) = claims else {
        return Err(RegistryError::Integrity(format!(
            "leaf {index} is not a configuration change"
        )));
    };
    Ok(ConfigChangeRow {
        leaf_index: LeafIndex::new(index).to_row()?,
        setting: c.setting.clone(),
        value: c.value.to_string(),
        actor: c.actor.clone(),
    })
}

/// A batch's configuration changes.
#[derive(Default)]
struct Changes(Vec<ConfigChangeRow>);

impl Section for Changes {
    fn write(&self, tables: &mut dyn Tables) -> Result<()> {
        Ok(tables.insert_config_changes(&self.0)?)
    }
}
