//! Error answers that several operations share, documented once: each is a
//! type to list in a `#[utoipa::path]`'s `responses(...)`, next to the
//! operation's own answers. Each answer is a problem document
//! ([`crate::error::Problem`]), like every other error of the API.

use std::collections::BTreeMap;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{Object, Ref, Type};
use utoipa::openapi::{Content, RefOr, Response, ResponseBuilder};
use utoipa::IntoResponses;

/// The media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem+json response, optionally with headers (name, description).
fn problem(description: &str, headers: &[(&str, &str)]) -> RefOr<Response> {
    response(
        description,
        PROBLEM_JSON,
        Content::new(Some(Ref::from_schema_name("Problem"))),
        headers,
    )
}

/// A response with one media type and string headers (name, description).
fn response(
    description: &str,
    media_type: &str,
    content: Content,
    headers: &[(&str, &str)],
) -> RefOr<Response> {
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(media_type, content);
    for (name, about) in headers {
        response = response.header(
            *name,
            HeaderBuilder::new()
                .schema(Object::with_type(Type::String))
                .description(Some(*about))
                .build(),
        );
    }
    response.build().into()
}

/// A stored document's bytes: any media type (the document's own), no
/// schema, since the body is not JSON but the file itself (OpenAPI 3.1
/// describes a binary body by its media type alone).
pub struct DocumentBytes;

impl IntoResponses for DocumentBytes {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([(
            "200".to_owned(),
            response(
                "The document's bytes, with the media type it was registered with (application/pdf, image/jpeg, ...)",
                "*/*",
                Content::default(),
                &[
                    (
                        "Content-Disposition",
                        "attachment, with the document's file name (filename*, UTF-8)",
                    ),
                    ("X-Document-Sha256", "The document's SHA-256, lowercase hex"),
                ],
            ),
        )])
    }
}

/// The answers of the clerk API's authentication (`Authorization: Bearer
/// TOKEN`), checked before anything else: 401 and 429.
pub struct ClerkAuth;

impl IntoResponses for ClerkAuth {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([
            (
                "401".to_owned(),
                problem(
                    "No valid token: the Authorization header is missing or malformed, or the token is unknown or revoked",
                    &[("WWW-Authenticate", "Always `Bearer`")],
                ),
            ),
            (
                "429".to_owned(),
                problem(
                    "Too many failed tokens or access codes from this address in the last minute",
                    &[("Retry-After", "Seconds to wait (60)")],
                ),
            ),
        ])
    }
}

/// The answers of an operation that reads or writes the register when the
/// register cannot be served: 409 and 503.
pub struct StorageErrors;

impl IntoResponses for StorageErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([
            (
                "409".to_owned(),
                problem(
                    "The stored register does not match its own log (altered or damaged behind the log's back): nothing is served from it",
                    &[],
                ),
            ),
            (
                "503".to_owned(),
                problem(
                    "The database is unreachable, the disk is full or the service is shutting down: nothing was changed; try again",
                    &[("Retry-After", "Seconds to wait (30)")],
                ),
            ),
        ])
    }
}

/// The answers of a JSON request body that cannot be read as JSON at all:
/// 413 and 415 (a body that is JSON but not the expected one is a 400).
pub struct JsonBodyErrors;

impl IntoResponses for JsonBodyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([
            (
                "413".to_owned(),
                problem(
                    &format!(
                        "The JSON body is larger than {} bytes",
                        crate::routes::MAX_JSON_BYTES
                    ),
                    &[],
                ),
            ),
            (
                "415".to_owned(),
                problem(
                    "The body is missing or not `Content-Type: application/json`",
                    &[],
                ),
            ),
        ])
    }
}
