//! Public endpoints: no authentication, no personal data without the access code.

use actix_web::http::header::ContentType;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{get, post, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use sijil_receipt::claims::RegistrationClaims;
use sijil_receipt::jws::parse_compact;
use sijil_receipt::metadata::metadata_mac;
use sijil_receipt::verify::{DocumentCheckInput, Verdict};
use sijil_registry::{AccessCode, ReceiptLookup, ReceiptToVerify};
use utoipa::{IntoParams, ToSchema};

use super::models::{
    CheckBody, ConsistencyProofBody, DocumentBody, InclusionProofBody, MetadataCheckBody,
    ReceiptBody, VerifyRequest, VerifyResponse,
};
use super::responses::{JsonBodyErrors, StorageErrors};
use crate::error::{ApiError, Problem};
use crate::security::client_ip;
use crate::state::AppState;
use crate::util::read;

/// The header that may carry the access code instead of `?code=`.
pub const ACCESS_CODE_HEADER: &str = "X-Access-Code";

/// `?code=`: the letter's access code.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CodeQuery {
    /// The access code printed on the citizen's copy (or send it in the X-Access-Code header).
    code: Option<String>,
}

/// The access code of a request, from the query or the header.
fn access_code(request: &HttpRequest, query: &CodeQuery) -> Option<String> {
    query.code.clone().filter(|c| !c.is_empty()).or_else(|| {
        request
            .headers()
            .get(ACCESS_CODE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
}

/// The public view of a looked-up receipt; with the right code, the metadata too.
pub fn receipt_body(lookup: ReceiptLookup, code: Option<&AccessCode>) -> ReceiptBody {
    let letter = lookup.letter;
    let with_code = code.filter(|c| letter.access_code.matches(c));
    let metadata_check = with_code.map(|code| {
        let claimed = parse_compact(&letter.receipt)
            .ok()
            .and_then(|jws| RegistrationClaims::from_payload(&jws.payload).ok())
            .map(|c| c.metadata_sha256);
        let computed = metadata_mac(code.as_str(), &letter.metadata).ok();
        let passed = claimed.is_some() && claimed == computed;
        MetadataCheckBody {
            passed,
            detail: if passed {
                "the metadata matches the receipt's metadata_sha256".into()
            } else {
                "the stored metadata does NOT match the receipt's metadata_sha256".into()
            },
        }
    });
    ReceiptBody {
        number: letter.number.clone(),
        status: letter.status.clone(),
        registered_at: letter.registered_at.clone(),
        bundle: lookup.bundle.into(),
        metadata: with_code.map(|_| (&letter.metadata).into()),
        documents: with_code.map(|_| letter.documents.iter().map(DocumentBody::from).collect()),
        metadata_check,
    }
}

/// A letter's receipt with a fresh inclusion proof against the latest checkpoint.
///
/// With the access code (`?code=` or the `X-Access-Code` header), also the
/// sender, subject and document names, and the check of the receipt's
/// metadata hash against them.
#[utoipa::path(
    tag = "public",
    params(("number" = String, Path, description = "Registration number, e.g. BO-2026-000123"), CodeQuery),
    responses(
        (status = 200, description = "The receipt", body = ReceiptBody),
        (status = 400, description = "Malformed access code, or an unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Wrong access code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown number", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong access codes from this address in the last minute", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait (60)"))),
        StorageErrors,
    )
)]
#[get("/api/v1/receipts/{number}")]
pub async fn get_receipt(
    state: Data<AppState>,
    request: HttpRequest,
    number: Path<String>,
    query: Query<CodeQuery>,
) -> Result<Json<ReceiptBody>, ApiError> {
    state.metrics.lookup();
    let ip = client_ip(&request);
    let code = match access_code(&request, &query) {
        Some(text) => {
            state.limiter.check(ip)?;
            Some(AccessCode::parse(&text).map_err(|e| {
                state.limiter.fail(ip);
                ApiError::BadRequest(e.to_string())
            })?)
        }
        None => None,
    };
    let registry = state.registry.clone();
    let number = number.into_inner();
    let lookup = read(&state.registry, move || registry.letters().lookup(&number)).await?;
    if let Some(code) = &code {
        if !lookup.letter.access_code.matches(code) {
            state.limiter.fail(ip);
            return Err(ApiError::Forbidden(
                "the access code does not match this letter".into(),
            ));
        }
    }
    Ok(Json(receipt_body(lookup, code.as_ref())))
}

/// `?sha256=`: a document hash.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    /// Hex SHA-256 of a document.
    sha256: String,
}

/// The letters that contain a document.
#[derive(Serialize, ToSchema)]
pub struct ReceiptList {
    /// Their receipts, oldest first (no metadata).
    pub receipts: Vec<ReceiptBody>,
}

/// Was this file registered, and when? The receipts of the letters that
/// contain a document with this SHA-256 (no personal data).
#[utoipa::path(
    tag = "public",
    params(DocumentQuery),
    responses(
        (status = 200, description = "Matching receipts (possibly none)", body = ReceiptList),
        (status = 400, description = "sha256 missing or not 64 hex digits, or an unknown query parameter", body = Problem, content_type = "application/problem+json"),
        StorageErrors,
    )
)]
#[get("/api/v1/receipts")]
pub async fn find_receipts(
    state: Data<AppState>,
    query: Query<DocumentQuery>,
) -> Result<Json<ReceiptList>, ApiError> {
    state.metrics.lookup();
    let registry = state.registry.clone();
    let sha256 = query.into_inner().sha256;
    let found = read(&state.registry, move || {
        registry.letters().lookup_by_document(&sha256)
    })
    .await?;
    Ok(Json(ReceiptList {
        receipts: found.into_iter().map(|l| receipt_body(l, None)).collect(),
    }))
}

/// Checks a bundle, or a bare receipt against the registry's own log: each
/// check separately, and an overall verdict.
///
/// Checks: signature, claims, key validity (receipts of rotated keys are
/// accepted), checkpoint signature, inclusion, the registry's own record, and
/// each document hash given.
#[utoipa::path(
    tag = "public",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "The checks and the verdict (also when invalid)", body = VerifyResponse),
        (status = 400, description = "Not a verification request: invalid JSON, unknown field, proof without checkpoint (or the reverse), a document hash that is not 64 hex digits", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        StorageErrors,
    )
)]
#[post("/api/v1/verify")]
pub async fn verify(
    state: Data<AppState>,
    body: Json<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let request = body.into_inner();
    for d in &request.documents {
        if d.sha256.len() != 64 || !d.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::BadRequest(format!(
                "{:?} is not a hex SHA-256",
                d.sha256
            )));
        }
    }
    let proof =
        match (request.inclusion_proof, request.checkpoint) {
            (Some(proof), Some(checkpoint)) => Some((proof.into(), checkpoint)),
            (None, None) => None,
            _ => return Err(ApiError::BadRequest(
                "give both inclusion_proof and checkpoint (a bundle), or neither (a bare receipt)"
                    .into(),
            )),
        };
    let to_verify = ReceiptToVerify {
        receipt: request.receipt,
        proof,
        documents: request
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| DocumentCheckInput {
                label: (i + 1).to_string(),
                sha256: d.sha256.to_ascii_lowercase(),
                size: d.size,
            })
            .collect(),
    };
    let registry = state.registry.clone();
    let report = read(&state.registry, move || registry.verify(&to_verify)).await?;
    let registration = report.registration();
    let response = VerifyResponse {
        verdict: match report.verdict() {
            Verdict::Verified => "valid",
            Verdict::Failed => "invalid",
            Verdict::UnknownType(_) => "unknown_type",
        }
        .into(),
        number: registration.map(|c| c.number.clone()),
        registered_at: report.claims.as_ref().map(|c| c.envelope().registered_at),
        checks: report
            .checks
            .into_iter()
            .map(|c| CheckBody {
                name: c.name,
                passed: c.passed,
                detail: c.detail,
            })
            .collect(),
    };
    state.metrics.verification(response.verdict == "valid");
    Ok(Json(response))
}

/// The latest signed checkpoint (a C2SP signed note).
#[utoipa::path(
    tag = "log",
    responses(
        (status = 200, description = "The signed note", body = String, content_type = "text/plain; charset=utf-8"),
        StorageErrors,
    )
)]
#[get("/api/v1/log/checkpoint")]
pub async fn get_checkpoint(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    let registry = state.registry.clone();
    let checkpoint = read(&state.registry, move || registry.log().checkpoint()).await?;
    // Cache-Control (no-cache) and ETag: crate::caching.
    Ok(HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body(checkpoint.note))
}

/// `?index=&tree_size=`.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    /// The leaf index (0-based).
    index: u64,
    /// The tree size, at most the latest checkpoint's.
    tree_size: u64,
}

/// The inclusion proof of a leaf in a tree size (RFC 9162).
#[utoipa::path(
    tag = "log",
    params(InclusionQuery),
    responses(
        (status = 200, description = "The proof", body = InclusionProofBody),
        (status = 400, description = "index >= tree_size, tree_size beyond the log, a missing, unknown or non-numeric parameter", body = Problem, content_type = "application/problem+json"),
        StorageErrors,
    )
)]
#[get("/api/v1/log/proof/inclusion")]
pub async fn inclusion_proof(
    state: Data<AppState>,
    query: Query<InclusionQuery>,
) -> Result<Json<InclusionProofBody>, ApiError> {
    let registry = state.registry.clone();
    let InclusionQuery { index, tree_size } = query.into_inner();
    let proof = read(&state.registry, move || {
        registry.log().inclusion_proof(index, tree_size)
    })
    .await?;
    Ok(Json(proof.into()))
}

/// `?from=&to=`.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    /// The older tree size (> 0).
    from: u64,
    /// The newer tree size, at most the latest checkpoint's.
    to: u64,
}

/// The consistency proof between two tree sizes (RFC 9162).
#[utoipa::path(
    tag = "log",
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "The proof", body = ConsistencyProofBody),
        (status = 400, description = "Not 0 < from <= to <= latest, or a missing, unknown or non-numeric parameter", body = Problem, content_type = "application/problem+json"),
        StorageErrors,
    )
)]
#[get("/api/v1/log/proof/consistency")]
pub async fn consistency_proof(
    state: Data<AppState>,
    query: Query<ConsistencyQuery>,
) -> Result<Json<ConsistencyProofBody>, ApiError> {
    let registry = state.registry.clone();
    let ConsistencyQuery { from, to } = query.into_inner();
    let hashes = read(&state.registry, move || {
        registry.log().consistency_proof(from, to)
    })
    .await?;
    Ok(Json(ConsistencyProofBody { from, to, hashes }))
}

/// The receipt JWS at a leaf index (its payload is the leaf).
#[utoipa::path(
    tag = "log",
    params(("index" = u64, Path, description = "Leaf index")),
    responses(
        (status = 200, description = "The compact JWS", body = String, content_type = "application/jose"),
        (status = 400, description = "The index is not a whole number from 0 to 18446744073709551615", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such leaf", body = Problem, content_type = "application/problem+json"),
        StorageErrors,
    )
)]
#[get("/api/v1/log/entries/{index}")]
pub async fn entry(state: Data<AppState>, index: Path<u64>) -> Result<HttpResponse, ApiError> {
    let registry = state.registry.clone();
    let index = index.into_inner();
    let receipt = read(&state.registry, move || registry.log().entry(index)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/jose")
        .body(receipt))
}

/// The signed-note verifier key of the current key (for checkpoints).
#[utoipa::path(
    tag = "keys",
    responses((status = 200, description = "`<name>+<hex key hash>+<base64 key>`", body = String, content_type = "text/plain; charset=utf-8"))
)]
#[get("/api/v1/log/key")]
pub async fn log_key(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    let registry = state.registry.clone();
    let verifier = read(&state.registry, move || registry.note_verifier()).await?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body(format!("{verifier}\n")))
}

/// Every signing key, retired ones included, with its validity period (JWKS).
#[utoipa::path(
    tag = "keys",
    responses((status = 200, description = "The JWKS", body = Object, content_type = "application/json"))
)]
#[get("/.well-known/jwks.json")]
pub async fn get_jwks(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    let registry = state.registry.clone();
    let jwks = read(&state.registry, move || registry.jwks()).await?;
    // Cache-Control (five minutes) and ETag: crate::caching.
    Ok(HttpResponse::Ok()
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(jwks))
}
