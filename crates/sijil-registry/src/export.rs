//! The chronological register as CSV, for archives and spreadsheets.

use std::collections::HashMap;
use std::io::Write;

use sijil_receipt::metadata::LetterMetadata;

use crate::clock::format_timestamp;
use crate::db::store::{DocumentRow, LetterRow};
use crate::error::{RegistryError, Result};

/// The CSV header.
pub const HEADER: [&str; 7] = [
    "number",
    "registered_at",
    "channel",
    "sender",
    "subject",
    "addressee",
    "document_sha256",
];

/// Defuses text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`
/// at the start) by prefixing an apostrophe, as OWASP advises for CSV exports.
fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// Writes letters (in log order) as CSV; document hashes are joined by `;`.
pub(crate) fn write_csv(
    out: impl Write,
    letters: &[LetterRow],
    documents: &[DocumentRow],
) -> Result<usize> {
    let fail = |e: csv::Error| RegistryError::Invalid(format!("cannot write the CSV: {e}"));
    let mut hashes: HashMap<i64, Vec<&str>> = HashMap::new();
    for d in documents {
        hashes.entry(d.letter_id).or_default().push(&d.sha256);
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER).map_err(fail)?;
    for letter in letters {
        let metadata: LetterMetadata = serde_json::from_str(&letter.metadata).map_err(|e| {
            RegistryError::Integrity(format!(
                "letter {}: stored metadata is unreadable: {e}",
                letter.number
            ))
        })?;
        let docs = hashes
            .get(&letter.id)
            .map(|h| h.join(";"))
            .unwrap_or_default();
        let sender = spreadsheet_safe(&metadata.sender.name);
        let subject = spreadsheet_safe(&metadata.subject);
        let addressee = spreadsheet_safe(metadata.addressee.as_deref().unwrap_or(""));
        writer
            .write_record([
                letter.number.as_str(),
                &format_timestamp(letter.registered_at_ms),
                &metadata.channel.to_string(),
                &sender,
                &subject,
                &addressee,
                &docs,
            ])
            .map_err(fail)?;
    }
    writer
        .flush()
        .map_err(|e| RegistryError::io("cannot write the CSV", e))?;
    Ok(letters.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_for_spreadsheets() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("Fatima"), "Fatima");
    }
}
