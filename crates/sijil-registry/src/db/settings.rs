//! The projection of `config` leaves: every change of a setting, keyed by
//! the leaf that records it.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::log::INSERT_CHUNK;
use super::schema::config_changes;

/// One configuration change, as its leaf records it.
#[derive(Queryable, Selectable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = config_changes)]
pub(crate) struct ConfigChangeRow {
    pub leaf_index: i64,
    pub setting: String,
    /// The new value, as JSON.
    pub value: String,
    pub actor: String,
}

/// The configuration queries.
pub(crate) trait SettingStore {
    /// Adds changes (inside the log transaction that appends their leaves).
    fn insert_config_changes(&mut self, rows: &[ConfigChangeRow]) -> QueryResult<()>;
    /// The latest change of `setting`.
    fn latest_config_change(&mut self, setting: &str) -> QueryResult<Option<ConfigChangeRow>>;
    /// Up to `limit` changes from leaf `index` on, in log order.
    fn config_changes_from(&mut self, index: i64, limit: i64) -> QueryResult<Vec<ConfigChangeRow>>;
    /// How many changes are stored.
    fn config_change_count(&mut self) -> QueryResult<i64>;
}

macro_rules! impl_setting_store {
    ($conn:ty) => {
        impl SettingStore for $conn {
            fn insert_config_changes(&mut self, rows: &[ConfigChangeRow]) -> QueryResult<()> {
                for chunk in rows.chunks(INSERT_CHUNK) {
                    diesel::insert_into(config_changes::table)
                        .values(chunk)
                        .execute(self)?;
                }
                Ok(())
            }

            fn latest_config_change(
                &mut self,
                setting: &str,
            ) -> QueryResult<Option<ConfigChangeRow>> {
                config_changes::table
                    .filter(config_changes::setting.eq(setting))
                    .order(config_changes::leaf_index.desc())
                    .select(ConfigChangeRow::as_select())
                    .first(self)
                    .optional()
            }

            fn config_changes_from(
                &mut self,
                index: i64,
                limit: i64,
            ) -> QueryResult<Vec<ConfigChangeRow>> {
                config_changes::table
                    .filter(config_changes::leaf_index.ge(index))
                    .order(config_changes::leaf_index.asc())
                    .limit(limit)
                    .select(ConfigChangeRow::as_select())
                    .load(self)
            }

            fn config_change_count(&mut self) -> QueryResult<i64> {
                config_changes::table.count().get_result(self)
            }
        }
    };
}

impl_setting_store!(SqliteConnection);
impl_setting_store!(PgConnection);
