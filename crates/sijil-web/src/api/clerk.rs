//! Clerk endpoints (`Authorization: Bearer TOKEN`): register letters, read the
//! register and its documents. Every request is attributed to the token's name.

use std::io::Read;

use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::web::{Bytes, Data, Json, Path, Payload, Query};
use actix_web::{get, post, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use futures_util::stream;
use serde::Deserialize;
use sijil_registry::Permission;
use utoipa::{IntoParams, ToSchema};

use super::models::{LetterBody, LetterPage, RegistrationBody};
use super::responses::{ClerkAuth, DocumentBytes, StorageErrors};
use crate::auth::Clerk;
use crate::error::{ApiError, Problem};
use crate::intake;
use crate::state::AppState;
use crate::util::{blocking, read};

/// The registration request: one `metadata` part and zero or more `document` parts.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RegistrationForm {
    /// The letter's metadata as JSON: `{"sender":{"name":..,"address":..,"email":..,"national_id":..},
    /// "reference":..,"addressee":..,"subject":..,"channel":"paper|email|web|partner","letter_date":"YYYY-MM-DD","notes":..}`;
    /// sender.name, subject and channel are required.
    metadata: String,
    /// The documents, in order (each part with a file name and its media type).
    #[schema(value_type = Vec<String>, format = Binary)]
    document: Vec<Vec<u8>>,
}

/// Registers a letter: numbers it, signs its receipt, appends it to the log and
/// answers once everything is durably committed.
#[utoipa::path(
    tag = "clerk",
    security(("bearer" = [])),
    request_body(content = RegistrationForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Registered", body = RegistrationBody),
        (status = 400, description = "Invalid metadata or documents, or a malformed multipart body", body = Problem, content_type = "application/problem+json"),
        ClerkAuth,
        (status = 403, description = "The token's role may not register", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A document or the request (the whole body) is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not multipart/form-data", body = Problem, content_type = "application/problem+json"),
        StorageErrors,
    )
)]
#[post("/api/v1/letters")]
pub async fn register_letter(
    state: Data<AppState>,
    clerk: Clerk,
    request: HttpRequest,
    payload: Payload,
) -> Result<HttpResponse, ApiError> {
    clerk.require(Permission::Register)?;
    let received = intake::receive(&state, &request, payload).await?;
    if !received.fields.is_empty() {
        let names: Vec<&str> = received.fields.keys().map(String::as_str).collect();
        return Err(ApiError::BadRequest(format!(
            "unexpected parts {names:?}: send one metadata part and document parts"
        )));
    }
    if received.metadata.is_none() {
        return Err(ApiError::BadRequest("the metadata part is missing".into()));
    }
    let registration = intake::register(&state, received.into_letter()?).await?;
    tracing::info!(clerk = %clerk.0.name, number = %registration.number, "letter registered");
    let body = RegistrationBody {
        receipt_url: state.receipt_url(
            &registration.number,
            Some(registration.access_code.as_str()),
        ),
        number: registration.number,
        access_code: registration.access_code.as_str().to_owned(),
        bundle: registration.bundle.into(),
    };
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/letters/{}", crate::util::url_encode(&body.number)),
        ))
        .json(body))
}

/// A letter's full record.
#[utoipa::path(
    tag = "clerk",
    security(("bearer" = [])),
    params(("number" = String, Path, description = "Registration number")),
    responses(
        (status = 200, description = "The record", body = LetterBody),
        ClerkAuth,
        (status = 404, description = "Unknown number", body = Problem, content_type = "application/problem+json"),
        StorageErrors,
    )
)]
#[get("/api/v1/letters/{number}")]
pub async fn get_letter(
    state: Data<AppState>,
    clerk: Clerk,
    number: Path<String>,
) -> Result<Json<LetterBody>, ApiError> {
    clerk.require(Permission::ReadRegister)?;
    let registry = state.registry.clone();
    let number = number.into_inner();
    let letter = read(&state.registry, move || registry.letters().letter(&number)).await?;
    Ok(Json((&letter).into()))
}

/// Size of the pieces a document is streamed in.
const DOWNLOAD_CHUNK: usize = 256 * 1024;

/// A stored document's bytes, with its media type and file name.
#[utoipa::path(
    tag = "clerk",
    security(("bearer" = [])),
    params(("number" = String, Path, description = "Registration number"), ("n" = u32, Path, description = "Document position, from 1")),
    responses(
        DocumentBytes,
        (status = 400, description = "The position is not a whole number from 0 to 4294967295", body = Problem, content_type = "application/problem+json"),
        ClerkAuth,
        (status = 404, description = "No such letter or document", body = Problem, content_type = "application/problem+json"),
        StorageErrors,
    )
)]
#[get("/api/v1/letters/{number}/documents/{n}")]
pub async fn get_document(
    state: Data<AppState>,
    clerk: Clerk,
    path: Path<(String, u32)>,
) -> Result<HttpResponse, ApiError> {
    clerk.require(Permission::ReadRegister)?;
    let (number, n) = path.into_inner();
    let registry = state.registry.clone();
    let (document, file) = blocking(move || {
        let letter = registry.letters().letter(&number)?;
        let document = letter
            .documents
            .into_iter()
            .find(|d| d.position == n)
            .ok_or_else(|| {
                sijil_registry::RegistryError::NotFound(format!(
                    "letter {number} has no document {n}"
                ))
            })?;
        let file = registry.letters().open_document(&document.sha256)?;
        Ok((document, file))
    })
    .await?;
    let body = stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = actix_web::web::block(move || {
            let mut buffer = vec![0u8; DOWNLOAD_CHUNK];
            let n = file.read(&mut buffer)?;
            buffer.truncate(n);
            Ok::<_, std::io::Error>((buffer, file))
        })
        .await;
        match read {
            Ok(Ok((buffer, _))) if buffer.is_empty() => None,
            Ok(Ok((buffer, file))) => {
                Some((Ok::<_, std::io::Error>(Bytes::from(buffer)), Some(file)))
            }
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            // An ASCII fallback for clients that ignore `filename*`.
            DispositionParam::Filename(
                document
                    .file_name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_graphic() && c != '"' && c != '\\' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect(),
            ),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: document.file_name.clone().into_bytes(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .content_type(document.media_type.as_str())
        .insert_header(disposition)
        .insert_header(("X-Document-Sha256", document.sha256.clone()))
        .no_chunking(document.size)
        .streaming(body))
}

/// `?from=&to=&q=&page=`.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegisterQuery {
    /// First day (YYYY-MM-DD, registry time zone); default: the beginning.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<NaiveDate>,
    /// Last day, included; default: no end.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<NaiveDate>,
    /// Search in number, sender, subject, reference, addressee.
    q: Option<String>,
    /// Page, from 1 (50 letters a page).
    page: Option<u32>,
}

/// Letters per page of the register.
const PER_PAGE: u32 = 50;

/// The register, newest first, searchable.
#[utoipa::path(
    tag = "clerk",
    security(("bearer" = [])),
    params(RegisterQuery),
    responses(
        (status = 200, description = "A page of the register", body = LetterPage),
        (status = 400, description = "Bad dates or page, a search text over 200 characters or with control characters, or an unknown query parameter", body = Problem, content_type = "application/problem+json"),
        ClerkAuth,
        StorageErrors,
    )
)]
#[get("/api/v1/letters")]
pub async fn list_letters(
    state: Data<AppState>,
    clerk: Clerk,
    query: Query<RegisterQuery>,
) -> Result<Json<LetterPage>, ApiError> {
    clerk.require(Permission::ReadRegister)?;
    let query = query.into_inner();
    let from = match query.from {
        Some(d) => state.registry.letters().day_start_ms(d)?,
        None => i64::MIN,
    };
    let to = match query.to {
        Some(d) => state
            .registry
            .letters()
            .day_start_ms(d.succ_opt().unwrap_or(d))?,
        None => i64::MAX,
    };
    if to < from {
        return Err(ApiError::BadRequest(
            "the period ends before it starts".into(),
        ));
    }
    let page = query.page.unwrap_or(1);
    if page == 0 || page > 1_000_000 {
        return Err(ApiError::BadRequest("page counts from 1".into()));
    }
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::BadRequest(
            "the search text is longer than 200 characters".into(),
        ));
    }
    let registry = state.registry.clone();
    let letters = blocking(move || {
        registry
            .letters()
            .list_letters(from, to, query.q.as_deref(), page, PER_PAGE)
    })
    .await?;
    Ok(Json(LetterPage {
        page,
        per_page: PER_PAGE,
        letters: letters.iter().map(LetterBody::from).collect(),
    }))
}

/// `?from=&to=`.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// First day (YYYY-MM-DD), registry time zone.
    #[param(value_type = String, format = Date)]
    from: NaiveDate,
    /// Last day, included.
    #[param(value_type = String, format = Date)]
    to: NaiveDate,
}

/// The chronological register of a period as CSV.
#[utoipa::path(
    tag = "clerk",
    security(("bearer" = [])),
    params(PeriodQuery),
    responses(
        (status = 200, description = "number,registered_at,channel,sender,subject,addressee,document_sha256", body = String, content_type = "text/csv"),
        (status = 400, description = "Bad or missing dates, or an unknown query parameter", body = Problem, content_type = "application/problem+json"),
        ClerkAuth,
        StorageErrors,
    )
)]
#[get("/api/v1/register.csv")]
pub async fn register_csv(
    state: Data<AppState>,
    clerk: Clerk,
    query: Query<PeriodQuery>,
) -> Result<HttpResponse, ApiError> {
    clerk.require(Permission::ReadRegister)?;
    let PeriodQuery { from, to } = query.into_inner();
    let registry = state.registry.clone();
    let csv = blocking(move || {
        let mut out = Vec::new();
        registry.letters().export_csv(from, to, &mut out)?;
        Ok(out)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"register-{from}-{to}.csv\""),
        ))
        .body(csv))
}
