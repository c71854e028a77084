//! The registration of an incoming letter: its number (the next of its year),
//! its claims, and its rows (the letter, its documents, the small documents'
//! bytes, the year's counter).

use std::sync::Arc;

use sijil_receipt::claims::{DocumentDigest, LeafType, RegistrationClaims};

use crate::access_code::AccessCode;
use crate::db::store::{BlobRow, DocumentRow, LetterRow, LetterRows, Tables};
use crate::documents::StoredDocument;
use crate::error::Result;
use crate::log::entry::{Entry, Place, Section, Sections};
use crate::numbering::Numbering;
use crate::types::{LeafIndex, RegistryTime};

/// The status of a letter whose only entry is its registration.
pub(crate) const REGISTERED: &str = "registered";

/// A checked letter, waiting for its number.
pub(crate) struct PendingRegistration {
    pub numbering: Arc<Numbering>,
    pub metadata_json: String,
    pub metadata_mac: String,
    pub access_code: AccessCode,
    pub documents: Vec<StoredDocument>,
}

impl Entry for PendingRegistration {
    fn leaf_type(&self) -> LeafType {
        LeafType::Registration
    }

    /// Puts the letter's large documents in place, so that a committed letter
    /// never lacks its file.
    fn prepare(&mut self) -> Result<()> {
        self.documents
            .iter()
            .try_for_each(StoredDocument::put_in_place)
    }

    fn seal(
        &mut self,
        place: &Place<'_>,
        rows: &mut Sections,
        tables: &mut dyn Tables,
    ) -> Result<Vec<u8>> {
        let section = rows.section::<Letters>()?;
        let year = self.numbering.year_of(place.at.millis());
        let seq = section.next_seq(year, tables)?;
        let id = section.next_id(tables)?;
        let claims = RegistrationClaims {
            registry: place.origin.to_owned(),
            number: self.numbering.number(year, seq),
            index: place.index,
            registered_at: place.registered_at.to_owned(),
            documents: self
                .documents
                .iter()
                .map(|d| DocumentDigest {
                    sha256: d.sha256.clone(),
                    size: d.size,
                })
                .collect(),
            metadata_sha256: self.metadata_mac.clone(),
        };
        let payload = claims.to_payload();
        let rows = &mut section.rows;
        rows.letters.push(LetterRow {
            id,
            leaf_index: LeafIndex::new(place.index).to_row()?,
            number: claims.number,
            registered_at_ms: place.at.millis(),
            metadata: std::mem::take(&mut self.metadata_json),
            access_code: self.access_code.as_str().to_owned(),
            status: REGISTERED.into(),
        });
        for (position, document) in self.documents.iter_mut().enumerate() {
            if let Some(content) = document.content.take() {
                rows.blobs.push(BlobRow {
                    sha256: document.sha256.clone(),
                    content: content.0.to_vec(),
                });
            }
            rows.documents.push(DocumentRow {
                letter_id: id,
                position: i32::try_from(position + 1).unwrap_or(i32::MAX),
                sha256: document.sha256.clone(),
                size: i64::try_from(document.size).unwrap_or(i64::MAX),
                file_name: document.file_name.clone(),
                media_type: document.media_type.clone(),
            });
        }
        Ok(payload)
    }
}

/// A batch's letters, with the numbering state of the batch: each year's last
/// sequence number (`rows.counters`) and the last letter id, read once per
/// batch under the log head's lock.
#[derive(Default)]
struct Letters {
    rows: LetterRows,
    last_id: Option<i64>,
}

impl Letters {
    fn next_seq(&mut self, year: i32, tables: &mut dyn Tables) -> Result<i64> {
        let counters = &mut self.rows.counters;
        let position = match counters.iter().position(|(y, _)| *y == year) {
            Some(position) => position,
            None => {
                counters.push((year, tables.counter(year)?.unwrap_or(0)));
                counters.len() - 1
            }
        };
        counters[position].1 += 1;
        Ok(counters[position].1)
    }

    fn next_id(&mut self, tables: &mut dyn Tables) -> Result<i64> {
        let last = match self.last_id {
            Some(id) => id,
            None => tables.max_letter_id()?.unwrap_or(0),
        };
        self.last_id = Some(last + 1);
        Ok(last + 1)
    }
}

impl Section for Letters {
    fn write(&self, tables: &mut dyn Tables) -> Result<()> {
        Ok(tables.write_letters(&self.rows)?)
    }
}

/// How a letter's stored rows disagree with the claims of its registration.
#[derive(Debug, Default)]
pub(crate) struct Disagreements {
    /// Number, time, status: what the letter is.
    pub identity: Vec<String>,
    /// Metadata and documents: what it holds.
    pub content: Vec<String>,
}

/// Whether a letter's record agrees with its registration leaf: the one
/// place this is decided, for the audit and for every read that serves a
/// record. The status is the projection of the letter's entries (its
/// registration alone, so far).
pub(crate) fn compare(
    claims: &RegistrationClaims,
    letter: &LetterRow,
    documents: &[DocumentRow],
) -> Disagreements {
    let mut found = Disagreements::default();
    if letter.number != claims.number {
        found.identity.push(format!(
            "the record says number {} but the receipt {}",
            letter.number, claims.number
        ));
    }
    let time = RegistryTime::from_millis(letter.registered_at_ms).to_rfc3339();
    if time != claims.registered_at {
        found.identity.push(format!(
            "the record says registered at {time} but the receipt {}",
            claims.registered_at
        ));
    }
    if letter.status != REGISTERED {
        found.identity.push(format!(
            "the record says status {:?} but the log has only its registration ({REGISTERED:?})",
            letter.status
        ));
    }
    match serde_json::from_str::<sijil_receipt::metadata::LetterMetadata>(&letter.metadata)
        .map_err(|e| e.to_string())
        .and_then(|m| {
            sijil_receipt::metadata::metadata_mac(&letter.access_code, &m)
                .map_err(|e| e.to_string())
        }) {
        Ok(mac) if mac == claims.metadata_sha256 => {}
        Ok(_) => found.content.push(
            "the stored metadata or access code does not match the receipt's metadata_sha256"
                .into(),
        ),
        Err(e) => found
            .content
            .push(format!("the stored metadata is unreadable: {e}")),
    }
    let positions_ok = documents
        .iter()
        .enumerate()
        .all(|(i, d)| usize::try_from(d.position).is_ok_and(|p| p == i + 1));
    let same = documents.len() == claims.documents.len()
        && documents
            .iter()
            .zip(&claims.documents)
            .all(|(d, c)| d.sha256 == c.sha256 && u64::try_from(d.size).is_ok_and(|s| s == c.size));
    if !same || !positions_ok {
        found
            .content
            .push("the stored documents do not match the receipt's documents".into());
    }
    found
}
