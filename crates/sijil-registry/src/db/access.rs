//! Who may act: the clerk API tokens (only their SHA-256 is stored). Written
//! in ordinary write transactions, never behind the log head.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::schema::api_tokens;

/// A clerk API token (its hash only).
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = api_tokens)]
pub(crate) struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub token_sha256: String,
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// The token queries.
pub(crate) trait AccessStore {
    /// Adds a token.
    fn insert_token(&mut self, row: &TokenRow) -> QueryResult<()>;
    /// The largest token id so far.
    fn max_token_id(&mut self) -> QueryResult<Option<i64>>;
    /// Every token, by id.
    fn tokens(&mut self) -> QueryResult<Vec<TokenRow>>;
    /// The token with this hash.
    fn token_by_hash(&mut self, sha256: &str) -> QueryResult<Option<TokenRow>>;
    /// Marks a live token revoked; returns how many rows changed.
    fn revoke_token(&mut self, id: i64, at_ms: i64) -> QueryResult<usize>;
}

macro_rules! impl_access_store {
    ($conn:ty) => {
        impl AccessStore for $conn {
            fn insert_token(&mut self, row: &TokenRow) -> QueryResult<()> {
                diesel::insert_into(api_tokens::table)
                    .values(row)
                    .execute(self)
                    .map(|_| ())
            }

            fn max_token_id(&mut self) -> QueryResult<Option<i64>> {
                api_tokens::table
                    .select(diesel::dsl::max(api_tokens::id))
                    .first(self)
            }

            fn tokens(&mut self) -> QueryResult<Vec<TokenRow>> {
                api_tokens::table
                    .order(api_tokens::id.asc())
                    .select(TokenRow::as_select())
                    .load(self)
            }

            fn token_by_hash(&mut self, sha256: &str) -> QueryResult<Option<TokenRow>> {
                api_tokens::table
                    .filter(api_tokens::token_sha256.eq(sha256))
                    .select(TokenRow::as_select())
                    .first(self)
                    .optional()
            }

            fn revoke_token(&mut self, id: i64, at_ms: i64) -> QueryResult<usize> {
                diesel::update(
                    api_tokens::table
                        .filter(api_tokens::id.eq(id))
                        .filter(api_tokens::revoked_at_ms.is_null()),
                )
                .set(api_tokens::revoked_at_ms.eq(Some(at_ms)))
                .execute(self)
            }
        }
    };
}

impl_access_store!(SqliteConnection);
impl_access_store!(PgConnection);
