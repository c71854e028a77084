//! Receiving a letter over HTTP: the multipart request of the clerk API and of
//! the desk's form, documents streamed to the store as they arrive.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use futures_util::StreamExt;
use sijil_receipt::metadata::{Channel, LetterMetadata, Sender};
use sijil_registry::{NewLetter, Registration, StoredDocument};

use crate::error::ApiError;
use crate::state::AppState;
use crate::util::blocking;

/// The largest `metadata` part or form field, in bytes.
const MAX_FIELD_BYTES: usize = 64 * 1024;
/// The most parts one request may have.
const MAX_PARTS: usize = 200;

/// What a registration request carried.
#[derive(Debug, Default)]
pub struct Intake {
    /// The `metadata` JSON part, if any.
    pub metadata: Option<LetterMetadata>,
    /// Other text fields (the desk's form), by name.
    pub fields: BTreeMap<String, String>,
    /// The `document` parts, already durable in the store.
    pub documents: Vec<StoredDocument>,
}

impl Intake {
    /// The letter: the `metadata` part, or else the form's fields.
    pub fn into_letter(self) -> Result<NewLetter, ApiError> {
        let metadata = match self.metadata {
            Some(m) => m,
            None => metadata_from_form(&self.fields)?,
        };
        Ok(NewLetter {
            metadata,
            documents: self.documents,
        })
    }
}

/// The desk form's fields as metadata.
fn metadata_from_form(fields: &BTreeMap<String, String>) -> Result<LetterMetadata, ApiError> {
    let get = |name: &str| {
        fields
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let channel = match get("channel") {
        Some(c) => c
            .parse::<Channel>()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?,
        None => Channel::Paper,
    };
    Ok(LetterMetadata {
        sender: Sender {
            name: get("sender_name").ok_or_else(|| {
                ApiError::BadRequest(
                    "the metadata part is missing (or, from a form, sender_name)".into(),
                )
            })?,
            address: get("sender_address"),
            email: get("sender_email"),
            national_id: get("national_id"),
        },
        reference: get("reference"),
        addressee: get("addressee"),
        subject: get("subject")
            .ok_or_else(|| ApiError::BadRequest("subject is required".into()))?,
        channel,
        letter_date: get("letter_date"),
        notes: get("notes"),
    })
}

/// Reads a multipart registration request; documents go to the store as they
/// stream in, within the configured limits.
pub async fn receive(state: &AppState, mut payload: Multipart) -> Result<Intake, ApiError> {
    let limits = &state.settings;
    let mut intake = Intake::default();
    let mut total: u64 = 0;
    let mut parts = 0usize;
    while let Some(field) = payload.next().await {
        let mut field =
            field.map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(ApiError::BadRequest(format!(
                "a registration has at most {MAX_PARTS} parts"
            )));
        }
        let disposition = field.content_disposition().cloned();
        let name = disposition
            .as_ref()
            .and_then(|d| d.get_name())
            .map(str::to_owned)
            .ok_or_else(|| ApiError::BadRequest("a multipart part has no name".into()))?;
        if name == "document" {
            let file_name = disposition
                .as_ref()
                .and_then(|d| d.get_filename())
                .map(str::to_owned)
                .unwrap_or_default();
            let media_type = field
                .content_type()
                .map(|m| m.essence_str().to_owned())
                .unwrap_or_default();
            let documents = state.registry.documents().clone();
            let max = limits.max_document_bytes;
            // An empty file input of a browser form sends a part without a name.
            let mut writer = if file_name.is_empty() {
                None
            } else {
                Some(documents.writer(&file_name, &media_type, Some(max))?)
            };
            while let Some(chunk) = field.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
                total += chunk.len() as u64;
                if total > limits.max_request_bytes {
                    return Err(ApiError::TooLarge(format!(
                        "the request is larger than the limit of {} bytes",
                        limits.max_request_bytes
                    )));
                }
                match writer.take() {
                    // Small documents stay in memory: no file I/O, no thread hop.
                    Some(mut w) if w.stays_in_memory(chunk.len()) => {
                        w.write(&chunk)?;
                        writer = Some(w);
                    }
                    Some(mut w) => {
                        writer = Some(
                            blocking(move || {
                                w.write(&chunk)?;
                                Ok(w)
                            })
                            .await?,
                        );
                    }
                    None if chunk.is_empty() => {}
                    None => {
                        return Err(ApiError::BadRequest(
                            "a document part has no file name".into(),
                        ))
                    }
                }
            }
            if let Some(w) = writer {
                if w.size() == 0 {
                    return Err(ApiError::BadRequest(format!(
                        "document {file_name:?} is empty"
                    )));
                }
                let document = if w.stays_in_memory(0) {
                    w.finish()?
                } else {
                    blocking(move || w.finish()).await?
                };
                intake.documents.push(document);
            }
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
            total += chunk.len() as u64;
            if bytes.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(ApiError::TooLarge(format!(
                    "the {name} part is larger than {MAX_FIELD_BYTES} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| ApiError::BadRequest(format!("the {name} part is not UTF-8")))?;
        if name == "metadata" {
            if intake.metadata.is_some() {
                return Err(ApiError::BadRequest("there are two metadata parts".into()));
            }
            intake.metadata = Some(parse_metadata(&text)?);
        } else if intake.fields.insert(name.clone(), text).is_some() {
            return Err(ApiError::BadRequest(format!(
                "the field {name} is given twice"
            )));
        }
    }
    Ok(intake)
}

/// Parses the `metadata` part strictly: unknown fields and duplicate keys are refused.
pub fn parse_metadata(text: &str) -> Result<LetterMetadata, ApiError> {
    crate::json::reject_duplicate_keys(text)
        .map_err(|e| ApiError::BadRequest(format!("the metadata part is not valid JSON: {e}")))?;
    serde_json::from_str(text)
        .map_err(|e| ApiError::BadRequest(format!("the metadata part is not valid: {e}")))
}

/// Registers a received letter through the sequencer (group commit): the
/// database work happens on the sequencer's thread while this request waits
/// without holding a thread.
pub async fn register(state: &AppState, letter: NewLetter) -> Result<Registration, ApiError> {
    let started = std::time::Instant::now();
    let result = state
        .registry
        .register_async(letter)
        .await
        .map_err(ApiError::from);
    state
        .metrics
        .registration(started.elapsed(), result.is_ok());
    result
}
