//! The registry's values, parsed once at its boundary: past it, nothing
//! re-checks them, and the conversions to and from the database's signed
//! integers happen here, not in the domain code.

use std::fmt;

use crate::error::{RegistryError, Result};

/// A position in the log: a leaf's index, or a tree size (the number of
/// leaves). Stored as a non-negative `BIGINT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LeafIndex(u64);

impl LeafIndex {
    /// The position `n`.
    pub const fn new(n: u64) -> Self {
        LeafIndex(n)
    }

    /// Its value.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The next position.
    pub const fn next(self) -> Self {
        LeafIndex(self.0 + 1)
    }

    /// Reads a stored value; a negative one means the database was altered.
    pub(crate) fn from_row(value: i64) -> Result<Self> {
        u64::try_from(value).map(LeafIndex).map_err(|_| {
            RegistryError::Integrity(format!("a stored leaf index is negative ({value})"))
        })
    }

    /// The value as the database stores it.
    pub(crate) fn to_row(self) -> Result<i64> {
        i64::try_from(self.0).map_err(|_| {
            RegistryError::Integrity(format!("leaf index {} is beyond the log's range", self.0))
        })
    }
}

impl fmt::Display for LeafIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A registration number as asked for (e.g. `BO-2026-000123`): at most 100
/// characters, without control characters (U+0000 cannot even be compared by
/// PostgreSQL). Anything else is no number of this registry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegistrationNumber(String);

impl RegistrationNumber {
    /// The longest number looked up.
    pub const MAX_LEN: usize = 100;

    /// Reads a number; `None` when it cannot be one.
    pub fn parse(text: &str) -> Option<Self> {
        let ok =
            !text.is_empty() && text.len() <= Self::MAX_LEN && !text.chars().any(char::is_control);
        ok.then(|| RegistrationNumber(text.to_owned()))
    }

    /// The number's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegistrationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SHA-256 digest as 64 lowercase hex characters (the form of receipts and
/// of the document store); parsing accepts either case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sha256Digest(String);

impl Sha256Digest {
    /// Reads a hex digest; a clear error otherwise.
    pub fn parse(text: &str) -> Result<Self> {
        let hex = text.to_ascii_lowercase();
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Sha256Digest(hex))
        } else {
            Err(RegistryError::Invalid(
                "sha256 must be 64 hexadecimal characters".into(),
            ))
        }
    }

    /// The lowercase hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A time of the registry: milliseconds since the epoch, written in claims
/// as RFC 3339 UTC with milliseconds (`2026-11-20T09:15:00.123Z`). The one
/// value behind an entry's `registered_at` claim and its stored `_ms` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegistryTime(i64);

impl RegistryTime {
    /// The time `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        RegistryTime(ms)
    }

    /// Milliseconds since the epoch, as stored.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Reads a claim's time; `None` if it is not RFC 3339.
    pub fn parse(text: &str) -> Option<Self> {
        crate::clock::parse_timestamp(text).map(RegistryTime)
    }

    /// The claim's form: RFC 3339, UTC, milliseconds, `Z`.
    pub fn to_rfc3339(self) -> String {
        crate::clock::format_timestamp(self.0)
    }
}

impl fmt::Display for RegistryTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_negative_index_is_an_integrity_error_never_a_huge_number() {
        assert!(matches!(
            LeafIndex::from_row(-1),
            Err(RegistryError::Integrity(_))
        ));
        assert_eq!(LeafIndex::from_row(7).ok(), Some(LeafIndex::new(7)));
        assert!(LeafIndex::new(u64::MAX).to_row().is_err());
        assert_eq!(LeafIndex::new(7).to_row().ok(), Some(7));
    }

    #[test]
    fn numbers_with_control_characters_or_too_long_are_no_numbers() {
        assert!(RegistrationNumber::parse("BO-2026-000001").is_some());
        assert!(RegistrationNumber::parse("BO-2026\0").is_none());
        assert!(RegistrationNumber::parse("").is_none());
        assert!(RegistrationNumber::parse(&"9".repeat(101)).is_none());
    }

    #[test]
    fn a_registry_time_reads_back_what_it_writes() {
        let t = RegistryTime::from_millis(1_795_000_000_123);
        assert_eq!(t.to_rfc3339(), "2026-11-18T11:06:40.123Z");
        assert_eq!(RegistryTime::parse(&t.to_rfc3339()), Some(t));
        assert_eq!(RegistryTime::parse("yesterday"), None);
    }

    #[test]
    fn digests_are_64_hex_characters_kept_lowercase() {
        let upper = "AB".repeat(32);
        assert_eq!(
            Sha256Digest::parse(&upper).map(|d| d.to_string()).ok(),
            Some("ab".repeat(32))
        );
        assert!(Sha256Digest::parse("xyz").is_err());
        assert!(Sha256Digest::parse(&"a".repeat(63)).is_err());
    }
}
