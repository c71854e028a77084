//! The web crate's one error type, rendered as RFC 9457 problem+json.
//!
//! Policy: handlers return `ApiError`. Registry errors are mapped here, in one
//! place: bad input → 400, unknown → 404, too large → 413, shutting down or
//! disk full → 503; faults of the installation are logged with their cause and
//! answered 500 without details.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use sijil_registry::{DatabaseFault, RegistryError};

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or invalid.
    #[error("{0}")]
    BadRequest(String),
    /// No credentials, or credentials that are not valid.
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credentials without the right to do this.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there.
    #[error("{0}")]
    NotFound(String),
    /// The path exists, but not with this method.
    #[error("{detail}")]
    MethodNotAllowed {
        /// What was asked, and what the path answers, in plain words.
        detail: String,
        /// The methods the path answers, as sent in the `Allow` header (`GET, POST`).
        allow: String,
    },
    /// The stored record disagrees with the log.
    #[error("{0}")]
    Conflict(String),
    /// Over a size limit.
    #[error("{0}")]
    TooLarge(String),
    /// Unsupported request body type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Too many failed attempts from this client.
    #[error("{0}")]
    TooManyRequests(String),
    /// The service cannot take this now (shutting down, disk full).
    #[error("{0}")]
    Unavailable(String),
    /// A fault of the installation; the detail is logged, not answered.
    #[error("{0}")]
    Internal(String),
}

/// The RFC 9457 body.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem (stable).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request, in plain words.
    pub detail: String,
}

impl ApiError {
    fn slug(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("bad-request", "The request is not valid"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication is required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("record-mismatch", "The record does not match the log"),
            ApiError::TooLarge(_) => ("too-large", "Too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::TooManyRequests(_) => ("too-many-requests", "Too many attempts"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug();
        let detail = match self {
            ApiError::Internal(_) => {
                "the server could not complete the request; the fault was logged".to_owned()
            }
            other => other.to_string(),
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            ApiError::Unauthorized(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                if let Ok(allow) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, allow));
                }
            }
            ApiError::TooManyRequests(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("60")));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("30")));
            }
            _ => {}
        }
        let body = serde_json::to_string(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::Invalid(m) => ApiError::BadRequest(m),
            RegistryError::NotFound(m) => ApiError::NotFound(m),
            RegistryError::TooLarge(m) => ApiError::TooLarge(m),
            RegistryError::ShuttingDown => {
                ApiError::Unavailable("the service is shutting down; try again in a moment".into())
            }
            e if e.is_storage_full() => ApiError::Unavailable(
                "the registry's storage is full: nothing was registered; try again later".into(),
            ),
            e if e.is_unavailable() => {
                tracing::error!(cause = %e, "database unreachable");
                ApiError::Unavailable("the database is not reachable; try again shortly".into())
            }
            RegistryError::Database {
                fault: DatabaseFault::Conflict,
                message,
            } => {
                tracing::warn!(%message, "conflict with another writer");
                ApiError::Unavailable(
                    "another request changed the same data at the same moment; try again".into(),
                )
            }
            RegistryError::Integrity(m) => {
                // The detail (which table, which letter) is for the operators, not the public.
                tracing::error!(detail = %m, "integrity");
                ApiError::Conflict(
                    "the registry's stored record does not match its log, so it is not served; \
                     the registry's operators have been alerted"
                        .into(),
                )
            }
            RegistryError::CommitFailed { message, .. } => {
                tracing::error!(%message, "registration not committed");
                ApiError::Unavailable(
                    "the registration could not be committed: nothing was registered; try again"
                        .into(),
                )
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Turns actix's own extractor errors (bad JSON, bad query, bad path) into problems.
pub fn bad_request(error: impl std::fmt::Display) -> actix_web::Error {
    ApiError::BadRequest(error.to_string()).into()
}
