//! Clerk API tokens: who may register letters and read the register.
//!
//! A token is shown once, when created; the registry keeps only its SHA-256,
//! so a copy of the database gives nobody a usable token.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{RegistryError, Result};

/// The prefix of every token, so that leaked tokens are easy to recognise.
pub const TOKEN_PREFIX: &str = "sijil_";

/// What a token's holder may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Registers letters and reads the register.
    Clerk,
    /// Reads the register, documents and exports; registers nothing.
    Auditor,
    /// Everything.
    Admin,
}

/// An action that needs a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Register letters.
    Register,
    /// Read letters, documents and the CSV register.
    ReadRegister,
    /// Change the settings others rely on (each change a `config` entry).
    Configure,
}

impl Role {
    /// Whether this role may do `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::Register => matches!(self, Role::Clerk | Role::Admin),
            Permission::ReadRegister => true,
            Permission::Configure => matches!(self, Role::Admin),
        }
    }

    /// The role's name as written in commands and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = RegistryError;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "clerk" => Ok(Role::Clerk),
            "auditor" => Ok(Role::Auditor),
            "admin" => Ok(Role::Admin),
            other => Err(RegistryError::Invalid(format!(
                "unknown role {other:?}: expected clerk, auditor or admin"
            ))),
        }
    }
}

/// A token as listed (never the secret itself).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TokenInfo {
    /// Sequential id.
    pub id: i64,
    /// Whose token it is (a person or a system), shown in the logs.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 revocation time, if revoked.
    pub revoked_at: Option<String>,
}

/// A new random token secret: the prefix and 32 random bytes, base64url.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The stored form of a token: lowercase hex SHA-256.
pub(crate) fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets (or their hashes) in constant time, so that timing
/// reveals nothing of them: the one such comparison of the registry.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Checks a token's name: not empty, one line, at most 100 characters.
pub(crate) fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(RegistryError::Invalid(
            "a token name is one line of 1 to 100 characters".into(),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clerks_and_admins_register_but_every_role_reads() {
        assert!(Role::Clerk.allows(Permission::Register));
        assert!(Role::Admin.allows(Permission::Register));
        assert!(!Role::Auditor.allows(Permission::Register));
        assert!(Role::Auditor.allows(Permission::ReadRegister));
    }

    #[test]
    fn secrets_are_random_prefixed_and_stored_as_hashes() {
        let a = new_secret();
        let b = new_secret();
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() > 40);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert!(constant_time_eq(&token_hash(&a), &token_hash(&a)));
        assert!(!constant_time_eq(&token_hash(&a), &token_hash(&b)));
        assert!("clerk".parse::<Role>().is_ok() && "root".parse::<Role>().is_err());
    }
}
