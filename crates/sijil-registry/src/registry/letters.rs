//! Letters: registration, the checked read (the one way a record is
//! served), the register's pages, documents and the CSV export.

use super::*;
use crate::types::{LeafIndex, RegistrationNumber, Sha256Digest};

impl Registry {
    /// Checks a letter, computes its metadata hash and queues it.
    fn submit(&self, letter: NewLetter) -> Result<(AccessCode, Answer)> {
        if letter.documents.len() > MAX_DOCUMENTS {
            return Err(RegistryError::Invalid(format!(
                "a letter carries at most {MAX_DOCUMENTS} documents"
            )));
        }
        let metadata = check_metadata(letter.metadata)?;
        let access_code = AccessCode::generate();
        let metadata_mac = metadata_mac(access_code.as_str(), &metadata)?;
        let metadata_json = serde_json::to_string(&metadata)
            .map_err(|e| RegistryError::Invalid(format!("metadata: {e}")))?;
        let answer = self.inner.sequencer.submit(Box::new(PendingRegistration {
            numbering: Arc::clone(&self.inner.numbering),
            metadata_json,
            metadata_mac,
            access_code: access_code.clone(),
            documents: letter.documents,
        }))?;
        Ok((access_code, answer))
    }

    /// The registration of a committed letter.
    fn registration(&self, appended: Appended, access_code: AccessCode) -> Result<Registration> {
        let claims = sijil_receipt::claims::RegistrationClaims::from_payload(&appended.payload)?;
        let bundle = self.appended_bundle(appended);
        Ok(Registration {
            number: claims.number,
            index: claims.index,
            registered_at: claims.registered_at,
            access_code,
            bundle,
        })
    }

    /// The checked read: the one way a letter's record is served. The
    /// receipt must be the leaf the signed checkpoint covers and the stored
    /// record must agree with its claims ([`registration::compare`]);
    /// otherwise nothing is served and the disagreement is an integrity error.
    fn checked(
        &self,
        s: &mut dyn ReadStore,
        row: LetterRow,
        receipt: String,
        checkpoint: CheckpointRow,
    ) -> Result<ReceiptLookup> {
        let number = row.number.clone();
        let mismatch = |what: &str| {
            RegistryError::Integrity(format!(
                "the record of letter {number} does not match the log: {what}"
            ))
        };
        let documents = s.documents_of(row.id, row.id)?;
        let index = u64::try_from(row.leaf_index).map_err(|_| mismatch("its leaf index"))?;
        let tree_size =
            u64::try_from(checkpoint.tree_size).map_err(|_| mismatch("the checkpoint's size"))?;
        let payload = sijil_receipt::jws::parse_compact(&receipt)
            .map_err(|_| mismatch("its receipt is unreadable"))?
            .payload;
        let claims = sijil_receipt::claims::RegistrationClaims::from_payload(&payload)
            .map_err(|_| mismatch("its receipt's claims are not a registration"))?;
        if claims.index != index {
            return Err(mismatch("its receipt's index is not its leaf"));
        }
        let found = registration::compare(&claims, &row, &documents);
        if let Some(what) = found.identity.first().or(found.content.first()) {
            return Err(mismatch(what));
        }
        let bundle = Bundle {
            receipt,
            inclusion_proof: InclusionProof {
                index,
                tree_size,
                hashes: proofs::inclusion(&mut self.nodes(s), index, tree_size)?,
            },
            checkpoint: checkpoint.note,
        };
        let root = self.checkpoint_root(&bundle.checkpoint)?;
        sijil_receipt::merkle::verify_inclusion(
            index,
            tree_size,
            &sijil_receipt::merkle::leaf_hash(&payload),
            &bundle.inclusion_proof.hashes,
            &root,
        )
        .map_err(|_| mismatch("its receipt is not the leaf the signed checkpoint covers"))?;
        let letter = letter_record(row, documents, bundle.receipt.clone())?;
        Ok(ReceiptLookup { letter, bundle })
    }
}

impl Letters<'_> {
    /// Registers a letter whose documents are already stored: numbers it,
    /// signs its receipt, appends it to the log and returns once all of it is
    /// durably committed.
    pub fn register(&self, letter: NewLetter) -> Result<Registration> {
        let (access_code, answer) = self.0.submit(letter)?;
        self.0.registration(wait(answer)?, access_code)
    }

    /// Like [`Registry::register`], as a future: the caller's thread is not
    /// held while the sequencer commits (for the web server's async workers;
    /// the work itself happens on the sequencer's thread).
    pub fn register_async(
        &self,
        letter: NewLetter,
    ) -> impl std::future::Future<Output = Result<Registration>> + Send + 'static {
        let registry = self.0.clone();
        let submitted = self.0.submit(letter);
        async move {
            let (access_code, answer) = submitted?;
            registry.registration(answered(answer).await?, access_code)
        }
    }

    /// The full record of a letter, through the checked read.
    pub fn letter(&self, number: &str) -> Result<LetterRecord> {
        Ok(self.lookup(number)?.letter)
    }

    /// A letter's receipt with a fresh inclusion proof against the latest
    /// checkpoint, and its record, through the checked read.
    pub fn lookup(&self, number: &str) -> Result<ReceiptLookup> {
        // Parsed here, the registry's boundary: a text that cannot be a
        // number (U+0000, which PostgreSQL refuses to compare) is not found,
        // on both backends, without a query.
        let Some(wanted) = RegistrationNumber::parse(number) else {
            return Err(not_found(number));
        };
        self.0.read(|s| {
            let (row, receipt) = s
                .letter_with_leaf(wanted.as_str())?
                .ok_or_else(|| not_found(number))?;
            let covering = LeafIndex::from_row(row.leaf_index)?.next().get();
            let checkpoint = self.0.checkpoint_of_at_least(s, covering)?;
            self.0.checked(s, row, receipt, checkpoint)
        })
    }

    /// The letters that carry a document with this SHA-256, oldest first,
    /// each through the checked read.
    pub fn lookup_by_document(&self, sha256: &str) -> Result<Vec<ReceiptLookup>> {
        let sha256 = Sha256Digest::parse(sha256)?;
        self.0.read(|s| {
            let rows = s.letters_with_document(sha256.as_str())?;
            let mut newest = 0;
            for row in &rows {
                newest = newest.max(LeafIndex::from_row(row.leaf_index)?.next().get());
            }
            let checkpoint = self.0.checkpoint_of_at_least(s, newest)?;
            rows.into_iter()
                .map(|row| {
                    let index = row.leaf_index;
                    let receipt = s
                        .leaf(index)?
                        .ok_or_else(|| {
                            RegistryError::Integrity(format!("leaf {index} is missing"))
                        })?
                        .receipt;
                    self.0.checked(s, row, receipt, checkpoint.clone())
                })
                .collect()
        })
    }

    /// Opens a stored document for reading: a small one from the database, a
    /// larger one from its file.
    pub fn open_document(&self, sha256: &str) -> Result<Box<dyn std::io::Read + Send>> {
        let blob = {
            let mut conn = self.0.inner.db.get()?;
            with_conn!(&mut *conn, c => c.blob(sha256))?
        };
        match blob {
            Some(bytes) => Ok(Box::new(std::io::Cursor::new(bytes))),
            None => Ok(Box::new(self.0.inner.documents.open_document(sha256)?)),
        }
    }

    /// A page of the register: letters registered in `[from, to)` (ms), newest
    /// first, optionally only those whose number or metadata contains `query`.
    pub fn list_letters(
        &self,
        from_ms: i64,
        to_ms: i64,
        query: Option<&str>,
        page: u32,
        per_page: u32,
    ) -> Result<Vec<LetterRecord>> {
        // Checked here, not left to the database: PostgreSQL refuses U+0000
        // in text with an error, SQLite would search for it.
        if query.is_some_and(|q| q.chars().any(char::is_control)) {
            return Err(RegistryError::Invalid(
                "the search text contains control characters".into(),
            ));
        }
        let pattern = query.map(str::trim).filter(|q| !q.is_empty()).map(|q| {
            let escaped = q
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let per_page = per_page.clamp(1, 500) as i64;
        let filter = LetterFilter {
            from_ms,
            to_ms,
            pattern: pattern.as_deref(),
            offset: (page.max(1) as i64 - 1) * per_page,
            limit: per_page,
        };
        let mut conn = self.0.inner.db.get()?;
        let (rows, documents) = with_conn!(&mut *conn, c => c.read_transaction(|c| {
            let rows = c.letters_page(&filter)?;
            let ids: Vec<i64> = rows.iter().map(|(row, _)| row.id).collect();
            let documents = c.documents_of_letters(&ids)?;
            Ok((rows, documents))
        }))?;
        let mut documents = group_by_letter(documents);
        rows.into_iter()
            .map(|(row, receipt)| {
                let documents = documents.remove(&row.id).unwrap_or_default();
                letter_record(row, documents, receipt)
            })
            .collect()
    }

    /// Writes the register of letters registered from `from` to `to` (inclusive,
    /// calendar days in the registry's time zone) as CSV; returns how many.
    pub fn export_csv(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        out: impl std::io::Write,
    ) -> Result<usize> {
        if to < from {
            return Err(RegistryError::Invalid(format!(
                "the period ends ({to}) before it starts ({from})"
            )));
        }
        let start = self.day_start_ms(from)?;
        let end = self.day_start_ms(to.succ_opt().unwrap_or(to))?;
        let (letters, documents) = self.0.read(|s| {
            let letters = s.letters_between(start, end)?;
            let documents = match (letters.first(), letters.last()) {
                (Some(first), Some(last)) => s.documents_of(first.id, last.id)?,
                _ => Vec::new(),
            };
            Ok((letters, documents))
        })?;
        crate::export::write_csv(out, &letters, &documents)
    }

    /// The start of a calendar day in the registry's time zone, in ms.
    pub fn day_start_ms(&self, day: NaiveDate) -> Result<i64> {
        crate::clock::start_of_day(day, self.0.inner.tz)
            .ok_or_else(|| RegistryError::Invalid(format!("{day} is not a day the register knows")))
    }
}

/// Documents grouped by their letter's id, in position order.
fn group_by_letter(
    documents: Vec<DocumentRow>,
) -> std::collections::HashMap<i64, Vec<DocumentRow>> {
    let mut grouped: std::collections::HashMap<i64, Vec<DocumentRow>> =
        std::collections::HashMap::new();
    for d in documents {
        grouped.entry(d.letter_id).or_default().push(d);
    }
    grouped
}

fn not_found(number: &str) -> RegistryError {
    RegistryError::NotFound(format!("no letter is registered under number {number:?}"))
}

/// Builds a letter record from its rows.
pub(crate) fn letter_record(
    row: LetterRow,
    documents: Vec<DocumentRow>,
    receipt: String,
) -> Result<LetterRecord> {
    let metadata: LetterMetadata = serde_json::from_str(&row.metadata).map_err(|e| {
        RegistryError::Integrity(format!(
            "letter {}: stored metadata is unreadable: {e}",
            row.number
        ))
    })?;
    Ok(LetterRecord {
        index: LeafIndex::from_row(row.leaf_index)?.get(),
        registered_at: format_timestamp(row.registered_at_ms),
        status: row.status,
        metadata,
        access_code: AccessCode::parse(&row.access_code)?,
        documents: documents
            .into_iter()
            .map(|d| DocumentRecord {
                position: u32::try_from(d.position).unwrap_or_default(),
                file_name: d.file_name,
                media_type: d.media_type,
                sha256: d.sha256,
                size: u64::try_from(d.size).unwrap_or_default(),
            })
            .collect(),
        receipt,
        number: row.number,
    })
}
