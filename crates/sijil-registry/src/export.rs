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

/// Writes letters (in log order) as CSV; document hashes are joined by `;`.
pub(crate) fn write_csv(
    out: impl Write,
    letters: &[LetterRow],
    documents: &[DocumentRow],
) -> Result<usize> {
    let fail = |e: csv::Error| RegistryError::Invalid(format!("cannot write the CSV: {e}"));
    let mut hashes: HashMap<i64, Vec<&str>> = HashMap::new();
    for d in documents {
        hashes.entry(d.leaf_index).or_default().push(&d.sha256);
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
            .get(&letter.leaf_index)
            .map(|h| h.join(";"))
            .unwrap_or_default();
        writer
            .write_record([
                letter.number.as_str(),
                &format_timestamp(letter.registered_at_ms),
                &metadata.channel.to_string(),
                &metadata.sender.name,
                &metadata.subject,
                metadata.addressee.as_deref().unwrap_or(""),
                &docs,
            ])
            .map_err(fail)?;
    }
    writer
        .flush()
        .map_err(|e| RegistryError::io("cannot write the CSV", e))?;
    Ok(letters.len())
}
