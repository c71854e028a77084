//! Receiving a letter over HTTP: the multipart request of the clerk API and of
//! the desk's form, documents streamed to the store's temporary folder as they
//! arrive (nothing reaches `documents/` unless the letter is registered).
//!
//! The whole request body counts against `max_request_bytes` (documents, text
//! parts, part headers, boundaries and any preamble alike): a declared
//! `Content-Length` over the limit is refused before a byte is read, and a
//! body without one (chunked) is cut off as soon as it passes the limit.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use actix_multipart::{Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderMap, CONTENT_LENGTH};
use actix_web::web::{Bytes, Payload};
use actix_web::HttpRequest;
use futures_util::{Stream, StreamExt};
use sijil_receipt::metadata::{Channel, LetterMetadata, Sender};
use sijil_registry::{NewLetter, Registration, StoredDocument};

use crate::error::ApiError;
use crate::state::AppState;
use crate::util::blocking;

/// The largest `metadata` part or form field, in bytes.
const MAX_FIELD_BYTES: usize = 64 * 1024;
/// The most parts one request may have.
const MAX_PARTS: usize = 200;
/// The multipart parser's buffer (actix-multipart's default): a part's headers,
/// or the text before the first boundary, longer than this are refused.
const PARSER_BUFFER_BYTES: usize = 64 * 1024;

/// What a registration request carried.
#[derive(Debug, Default)]
pub struct Intake {
    /// The `metadata` JSON part, if any.
    pub metadata: Option<LetterMetadata>,
    /// Other text fields (the desk's form), by name.
    pub fields: BTreeMap<String, String>,
    /// The `document` parts: small ones in memory, large ones fsync'ed in the
    /// store's `tmp/`, put in place when the letter is registered and removed
    /// if this is dropped first (the request was refused).
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
/// stream in, within the configured limits (see the module's documentation
/// for how the request's size is counted).
pub async fn receive(
    state: &AppState,
    request: &HttpRequest,
    payload: Payload,
) -> Result<Intake, ApiError> {
    let limits = &state.settings;
    let meter = Meter::new(limits.max_request_bytes);
    meter.check_declared(request.headers())?;
    let mut payload = Multipart::new(request.headers(), meter.count(payload));
    let mut intake = Intake::default();
    let mut parts = 0usize;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| meter.error(e))?;
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
                let chunk = chunk.map_err(|e| meter.error(e))?;
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
            let chunk = chunk.map_err(|e| meter.error(e))?;
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
    // Whatever the parser made of a body cut off at the limit, it is refused.
    if meter.exceeded() {
        return Err(meter.too_large());
    }
    Ok(intake)
}

/// Counts a request body's bytes as the multipart parser reads them, and cuts
/// the body off (a payload error for the parser) once it passes the limit.
#[derive(Clone)]
struct Meter {
    limit: u64,
    read: Rc<Cell<u64>>,
}

impl Meter {
    fn new(limit: u64) -> Self {
        Meter {
            limit,
            read: Rc::new(Cell::new(0)),
        }
    }

    /// Refuses a body whose declared length is over the limit, before reading it.
    fn check_declared(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(value) = headers.get(CONTENT_LENGTH) else {
            return Ok(());
        };
        let length = value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                ApiError::BadRequest("the Content-Length header is not a number".into())
            })?;
        if length > self.limit {
            return Err(ApiError::TooLarge(format!(
                "the request's Content-Length ({length} bytes) is larger than the limit of {} bytes",
                self.limit
            )));
        }
        Ok(())
    }

    /// The body, counted.
    fn count(&self, payload: Payload) -> impl Stream<Item = Result<Bytes, PayloadError>> + 'static {
        let meter = self.clone();
        payload.map(move |chunk| {
            let chunk = chunk?;
            let read = meter.read.get().saturating_add(chunk.len() as u64);
            meter.read.set(read);
            if meter.exceeded() {
                Err(PayloadError::Overflow)
            } else {
                Ok(chunk)
            }
        })
    }

    fn exceeded(&self) -> bool {
        self.read.get() > self.limit
    }

    fn too_large(&self) -> ApiError {
        ApiError::TooLarge(format!(
            "the request is larger than the limit of {} bytes",
            self.limit
        ))
    }

    /// The answer to an error of the multipart parser: the request limit if
    /// the body passed it, else what is wrong with the body, in plain words.
    fn error(&self, error: MultipartError) -> ApiError {
        if self.exceeded() {
            return self.too_large();
        }
        match error {
            MultipartError::ContentTypeMissing | MultipartError::ContentTypeIncompatible => {
                ApiError::UnsupportedMediaType(
                    "the body must be multipart/form-data (with a boundary)".into(),
                )
            }
            MultipartError::ContentTypeParse => ApiError::BadRequest(
                "malformed multipart body: the Content-Type header cannot be parsed".into(),
            ),
            MultipartError::BoundaryMissing => ApiError::BadRequest(
                "malformed multipart body: the Content-Type has no boundary".into(),
            ),
            MultipartError::Incomplete | MultipartError::Payload(PayloadError::Incomplete(_)) => {
                ApiError::BadRequest("the multipart body ended before its final boundary".into())
            }
            MultipartError::Payload(PayloadError::Overflow) => ApiError::TooLarge(format!(
                "malformed multipart body: a part's headers, or the text before the first \
                 boundary, are longer than {PARSER_BUFFER_BYTES} bytes"
            )),
            other => {
                let mut detail = other.to_string();
                let mut source = std::error::Error::source(&other);
                while let Some(cause) = source {
                    detail.push_str(": ");
                    detail.push_str(&cause.to_string());
                    source = cause.source();
                }
                ApiError::BadRequest(format!("malformed multipart body: {detail}"))
            }
        }
    }
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
        .letters()
        .register_async(letter)
        .await
        .map_err(ApiError::from);
    state
        .metrics
        .registration(started.elapsed(), result.is_ok());
    result
}
