//! Access: the clerk API tokens (staff accounts next).

use super::*;

impl Access<'_> {
    /// Creates a clerk API token; returns it (the only time the secret is shown).
    pub fn create_token(&self, name: &str, role: Role) -> Result<(TokenInfo, String)> {
        let name = tokens::check_name(name)?;
        let secret = tokens::new_secret();
        let now = self.0.inner.clock.now().timestamp_millis();
        let mut conn = self.0.inner.db.get()?;
        // Not under the log head: token ids come from an ordinary write
        // transaction, retried if another process took the same id.
        let mut attempts = 0;
        let row = loop {
            attempts += 1;
            let outcome = with_conn!(&mut *conn, c => c.write_transaction(|c| {
                let row = TokenRow {
                    id: c.max_token_id()?.unwrap_or(0) + 1,
                    name: name.clone(),
                    role: role.as_str().to_owned(),
                    token_sha256: tokens::token_hash(&secret),
                    created_at_ms: now,
                    revoked_at_ms: None,
                };
                c.insert_token(&row)?;
                Ok(row)
            }));
            match outcome {
                Err(RegistryError::Database {
                    fault: crate::error::DatabaseFault::Conflict,
                    ..
                }) if attempts < 5 => continue,
                other => break other?,
            }
        };
        Ok((token_info(row)?, secret))
    }

    /// Every token, revoked ones included.
    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        let mut conn = self.0.inner.db.get()?;
        let rows = with_conn!(&mut *conn, c => c.tokens())?;
        rows.into_iter().map(token_info).collect()
    }

    /// Revokes a token, named by its id or its name (which must then be unique).
    pub fn revoke_token(&self, id_or_name: &str) -> Result<TokenInfo> {
        let tokens = self.list_tokens()?;
        let matching: Vec<&TokenInfo> = tokens
            .iter()
            .filter(|t| t.id.to_string() == id_or_name || t.name == id_or_name)
            .collect();
        let token = match matching.as_slice() {
            [one] => *one,
            [] => {
                return Err(RegistryError::NotFound(format!(
                    "no token has id or name {id_or_name:?}"
                )))
            }
            _ => {
                return Err(RegistryError::Invalid(format!(
                    "several tokens are named {id_or_name:?}: revoke by id"
                )))
            }
        };
        let now = self.0.inner.clock.now().timestamp_millis();
        let mut conn = self.0.inner.db.get()?;
        with_conn!(&mut *conn, c => c.revoke_token(token.id, now))?;
        drop(conn);
        self.list_tokens()?
            .into_iter()
            .find(|t| t.id == token.id)
            .ok_or_else(|| RegistryError::NotFound(format!("token {} vanished", token.id)))
    }

    /// The token's holder, if the secret is a live (not revoked) token.
    pub fn authenticate(&self, secret: &str) -> Result<Option<TokenInfo>> {
        if !secret.starts_with(tokens::TOKEN_PREFIX) || secret.len() > 200 {
            return Ok(None);
        }
        let hash = tokens::token_hash(secret);
        let mut conn = self.0.inner.db.get()?;
        let row = with_conn!(&mut *conn, c => c.token_by_hash(&hash))?;
        match row {
            Some(row)
                if row.revoked_at_ms.is_none()
                    && tokens::constant_time_eq(&row.token_sha256, &hash) =>
            {
                Ok(Some(token_info(row)?))
            }
            _ => Ok(None),
        }
    }
}

fn token_info(row: TokenRow) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: row.id,
        name: row.name,
        role: row.role.parse()?,
        created_at: format_timestamp(row.created_at_ms),
        revoked_at: row.revoked_at_ms.map(format_timestamp),
    })
}
