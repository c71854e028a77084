//! Settings changed through signed `config` entries.

use super::*;

impl Registry {
    fn read_institution_name(&self) -> Result<String> {
        let latest = {
            let mut conn = self.inner.db.get()?;
            with_conn!(&mut *conn, c => c.latest_config_change(Setting::InstitutionName.as_str()))?
        };
        match latest {
            None => Ok(self.inner.config.institution.clone()),
            Some(row) => match serde_json::from_str::<serde_json::Value>(&row.value) {
                Ok(serde_json::Value::String(name)) => Ok(name),
                _ => Err(RegistryError::Integrity(format!(
                    "the institution's name stored for leaf {} is unreadable",
                    row.leaf_index
                ))),
            },
        }
    }
}

impl Settings<'_> {
    /// Changes a setting: a signed `config` entry in the log, whose row is
    /// the setting's new value. `actor` says who made the change (a role or a
    /// pseudonym, never a person's name: the entry is public). Returns the
    /// entry's bundle.
    pub fn change_setting(&self, setting: Setting, value: &str, actor: &str) -> Result<Bundle> {
        let value = setting.check(value)?;
        let answer = self
            .0
            .inner
            .sequencer
            .submit(Box::new(PendingConfigChange {
                setting,
                value,
                actor: actor.to_owned(),
            }))?;
        let bundle = self.0.appended_bundle(wait(answer)?);
        if let Ok(mut cache) = self.0.inner.institution.lock() {
            *cache = None;
        }
        Ok(bundle)
    }

    /// The institution's display name: the latest `config` entry that set
    /// it, else the name in `sijil.toml`. Read from the database at most
    /// every few seconds (another process may have changed it).
    pub fn institution_name(&self) -> Result<String> {
        if let Ok(cache) = self.0.inner.institution.lock() {
            if let Some((read_at, name)) = cache.as_ref() {
                if read_at.elapsed() < SETTING_FRESHNESS {
                    return Ok(name.clone());
                }
            }
        }
        let name = self.0.read_institution_name()?;
        if let Ok(mut cache) = self.0.inner.institution.lock() {
            *cache = Some((Instant::now(), name.clone()));
        }
        Ok(name)
    }
}
