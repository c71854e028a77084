//! Letters: what a clerk registers, what the registry returns, what it keeps.

use chrono::NaiveDate;
use serde::Serialize;
use sijil_receipt::bundle::Bundle;
use sijil_receipt::metadata::LetterMetadata;

use crate::access_code::AccessCode;
use crate::documents::{is_bidi_control, StoredDocument};
use crate::error::{RegistryError, Result};

/// The most documents one letter may carry.
pub const MAX_DOCUMENTS: usize = 100;

/// A letter to register: its metadata and the documents already in the store.
#[derive(Clone, Debug)]
pub struct NewLetter {
    /// Sender, subject, channel, ...
    pub metadata: LetterMetadata,
    /// The scanned or attached documents, in order.
    pub documents: Vec<StoredDocument>,
}

/// What registering a letter returns.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The registration number, e.g. `BO-2026-000123`.
    pub number: String,
    /// The leaf index in the log.
    pub index: u64,
    /// RFC 3339 registration time.
    pub registered_at: String,
    /// The access code to print on the citizen's copy.
    pub access_code: AccessCode,
    /// Receipt, inclusion proof and checkpoint.
    pub bundle: Bundle,
}

/// A document of a registered letter, as the registry keeps it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DocumentRecord {
    /// Position in the letter, from 1.
    pub position: u32,
    /// The file name as given.
    pub file_name: String,
    /// The media type.
    pub media_type: String,
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// The full record of a registered letter, for the registry's own staff.
#[derive(Clone, Debug, Serialize)]
pub struct LetterRecord {
    /// The registration number.
    pub number: String,
    /// The leaf index in the log.
    pub index: u64,
    /// RFC 3339 registration time.
    pub registered_at: String,
    /// The letter's status (`registered` for now).
    pub status: String,
    /// The metadata as registered.
    pub metadata: LetterMetadata,
    /// The access code printed on the citizen's copy.
    #[serde(serialize_with = "serialize_code")]
    pub access_code: AccessCode,
    /// The documents, in order.
    pub documents: Vec<DocumentRecord>,
    /// The receipt JWS.
    pub receipt: String,
}

fn serialize_code<S: serde::Serializer>(code: &AccessCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.as_str())
}

/// The longest accepted text of each metadata field, in characters.
const LIMITS: &[(&str, usize)] = &[
    ("sender.name", 200),
    ("sender.address", 500),
    ("sender.email", 254),
    ("sender.national_id", 32),
    ("reference", 100),
    ("addressee", 200),
    ("subject", 500),
    ("notes", 5_000),
];

fn limit(field: &str) -> usize {
    LIMITS
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, max)| *max)
        .unwrap_or(200)
}

/// Trims every text field and checks the metadata, so that what is hashed and
/// stored is exactly what the clerk meant. Returns the cleaned metadata.
pub fn check_metadata(mut m: LetterMetadata) -> Result<LetterMetadata> {
    fn text(field: &str, value: &mut String, multiline: bool) -> Result<()> {
        *value = value.trim().to_owned();
        if value.chars().count() > limit(field) {
            return Err(RegistryError::Invalid(format!(
                "{field} is longer than {} characters",
                limit(field)
            )));
        }
        let bad = |c: char| {
            (c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
                || is_bidi_control(c)
        };
        if value.chars().any(bad) {
            return Err(RegistryError::Invalid(format!(
                "{field} contains control characters"
            )));
        }
        Ok(())
    }
    fn optional(field: &str, value: &mut Option<String>, multiline: bool) -> Result<()> {
        if let Some(v) = value.as_mut() {
            text(field, v, multiline)?;
            if v.is_empty() {
                *value = None;
            }
        }
        Ok(())
    }
    text("sender.name", &mut m.sender.name, false)?;
    if m.sender.name.is_empty() {
        return Err(RegistryError::Invalid("sender.name is required".into()));
    }
    text("subject", &mut m.subject, false)?;
    if m.subject.is_empty() {
        return Err(RegistryError::Invalid("subject is required".into()));
    }
    optional("sender.address", &mut m.sender.address, true)?;
    optional("sender.email", &mut m.sender.email, false)?;
    optional("sender.national_id", &mut m.sender.national_id, false)?;
    optional("reference", &mut m.reference, false)?;
    optional("addressee", &mut m.addressee, false)?;
    optional("letter_date", &mut m.letter_date, false)?;
    optional("notes", &mut m.notes, true)?;
    if let Some(email) = &m.sender.email {
        let well_formed = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !email.contains(' ')
        });
        if !well_formed {
            return Err(RegistryError::Invalid(format!(
                "sender.email {email:?} is not an e-mail address"
            )));
        }
    }
    if let Some(date) = &m.letter_date {
        NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
            RegistryError::Invalid(format!(
                "letter_date {date:?} is not a date like 2026-11-20"
            ))
        })?;
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sijil_receipt::metadata::{Channel, Sender};

    fn metadata() -> LetterMetadata {
        LetterMetadata {
            sender: Sender {
                name: "  Fatima Zahra Bennani ".into(),
                address: None,
                email: Some("fz.bennani@example.ma".into()),
                national_id: Some("".into()),
            },
            reference: None,
            addressee: Some("Service des plaintes".into()),
            subject: "Réclamation logement".into(),
            channel: Channel::Paper,
            letter_date: Some("2026-11-20".into()),
            notes: None,
        }
    }

    #[test]
    fn metadata_is_trimmed_and_empty_optionals_dropped() {
        let m = check_metadata(metadata()).ok();
        let m = m.as_ref();
        assert_eq!(
            m.map(|m| m.sender.name.as_str()),
            Some("Fatima Zahra Bennani")
        );
        assert_eq!(m.and_then(|m| m.sender.national_id.clone()), None);
    }

    #[test]
    fn required_fields_and_formats_are_enforced() {
        let mut m = metadata();
        m.sender.name = "   ".into();
        assert!(check_metadata(m).is_err());
        let mut m = metadata();
        m.subject = String::new();
        assert!(check_metadata(m).is_err());
        let mut m = metadata();
        m.letter_date = Some("20/11/2026".into());
        assert!(check_metadata(m).is_err());
        let mut m = metadata();
        m.sender.email = Some("not an address".into());
        assert!(check_metadata(m).is_err());
        let mut m = metadata();
        m.subject = "x".repeat(501);
        assert!(check_metadata(m).is_err());
        let mut m = metadata();
        m.subject = "evil\u{202E}txt".into();
        assert!(check_metadata(m).is_err());
    }
}
