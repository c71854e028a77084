//! What caches may do with each answer (RFC 9111), decided in one place: the
//! table [`policy_of`] names the `Cache-Control` of every API route's
//! successful answers, and the middleware [`apply`] sets it, with an `ETag`
//! (answering a matching `If-None-Match` with 304) on the answers that caches
//! may keep. docs/api.md ("Caching") shows the same table.
//!
//! - what never changes once answered — a log entry, a proof between given
//!   tree sizes, an asset whose address names its content's version — may be
//!   kept by anyone, forever;
//! - what changes with every batch — the checkpoint, a receipt's fresh
//!   inclusion proof — may be kept but is revalidated on every use;
//! - the keys change only at a rotation (which adds one): five minutes;
//! - personal data (a receipt asked for with its access code), a clerk's or
//!   an administrator's answers, live state (health, metrics) and every
//!   error are never stored: an error says nothing lasting (the entry that
//!   is missing now is appended with the next batch) and may echo the request.
//!
//! A route outside the table (the pages, the assets) keeps the
//! `Cache-Control` its handler set, and gets `no-store` if it set none.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::api::public::ACCESS_CODE_HEADER;

/// What caches may do with an answer: one `Cache-Control` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Never changes: anyone may keep it for a year without asking again.
    Immutable,
    /// Anyone may keep it for this many seconds.
    Public(u32),
    /// May be kept, but must be revalidated (`If-None-Match`) before each use.
    Revalidate,
    /// Must not be kept at all, by a shared cache or the browser's own.
    NoStore,
}

/// The policy of the keys (JWKS, the current note key): a rotation adds a
/// key, which verifiers should see within five minutes.
pub const KEYS: Policy = Policy::Public(300);

impl Policy {
    /// The `Cache-Control` header value.
    pub fn header_value(self) -> HeaderValue {
        match self {
            Policy::Immutable => HeaderValue::from_static("public, max-age=31536000, immutable"),
            Policy::Public(seconds) => HeaderValue::from_str(&format!("public, max-age={seconds}"))
                .unwrap_or_else(|_| HeaderValue::from_static("no-cache")),
            Policy::Revalidate => HeaderValue::from_static("no-cache"),
            Policy::NoStore => HeaderValue::from_static("no-store"),
        }
    }

    /// Whether a cache may keep the answer, and so whether it gets an `ETag`.
    fn storable(self) -> bool {
        self != Policy::NoStore
    }
}

/// The policy of a successful answer of the API route `pattern` (as actix
/// routed `request`), or `None` for a route that is not the API's.
pub fn policy_of(pattern: &str, request: &HttpRequest) -> Option<Policy> {
    Some(match pattern {
        // A leaf of an append-only log, and proofs between explicit tree
        // sizes: the same bytes for ever (an index or a size beyond the log
        // is an error, never stored).
        "/api/v1/log/entries/{index}"
        | "/api/v1/log/proof/inclusion"
        | "/api/v1/log/proof/consistency" => Policy::Immutable,
        // The latest checkpoint, and receipts with a proof against it: they
        // change with every batch.
        "/api/v1/log/checkpoint" | "/api/v1/receipts" => Policy::Revalidate,
        "/api/v1/receipts/{number}" if carries_access_code(request) => Policy::NoStore,
        "/api/v1/receipts/{number}" => Policy::Revalidate,
        // Changes with the binary.
        "/api/v1/openapi.json" => Policy::Revalidate,
        "/api/v1/log/key" | "/.well-known/jwks.json" => KEYS,
        // A verdict on the request's own body; the clerk's and the
        // administrator's answers (personal data, access codes); live state.
        "/api/v1/verify"
        | "/api/v1/letters"
        | "/api/v1/letters/{number}"
        | "/api/v1/letters/{number}/documents/{n}"
        | "/api/v1/register.csv"
        | "/api/v1/settings/{setting}"
        | "/healthz"
        | "/metrics" => Policy::NoStore,
        _ => return None,
    })
}

/// Whether a receipt request asks for the personal data: an access code in
/// the header, or any query (`code` is the only parameter the endpoint
/// takes; anything else is refused, and so not stored either).
fn carries_access_code(request: &HttpRequest) -> bool {
    !request.query_string().is_empty() || request.headers().contains_key(ACCESS_CODE_HEADER)
}

/// Sets `Cache-Control` on every answer as the module says; on answers that
/// caches may keep, an `ETag` (a hash of the body), and 304 Not Modified to
/// an `If-None-Match` that names it (RFC 9110 §13.1.2).
pub async fn apply(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let if_none_match: Vec<String> = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let mut response = next.call(request).await?.map_into_boxed_body();
    let policy = response
        .request()
        .match_pattern()
        .and_then(|pattern| policy_of(&pattern, response.request()));
    let policy = match policy {
        Some(policy) if response.status().is_success() => policy,
        Some(_) => Policy::NoStore,
        None => {
            let headers = response.headers_mut();
            if !headers.contains_key(header::CACHE_CONTROL) {
                headers.insert(header::CACHE_CONTROL, Policy::NoStore.header_value());
            }
            return Ok(response);
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, policy.header_value());
    if !policy.storable() {
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let (response, body) = response.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        // A streamed body (none of the storable answers is one): no ETag.
        Err(body) => return Ok(ServiceResponse::new(request, response.set_body(body))),
    };
    let etag = entity_tag(&bytes);
    if if_none_match.iter().any(|v| names(v, &etag)) {
        let mut not_modified = HttpResponse::NotModified().finish();
        copy_validators(response.headers(), not_modified.headers_mut());
        not_modified.headers_mut().insert(header::ETAG, etag);
        return Ok(ServiceResponse::new(request, not_modified));
    }
    let mut response = response.set_body(BoxBody::new(bytes));
    response.headers_mut().insert(header::ETAG, etag);
    Ok(ServiceResponse::new(request, response))
}

/// A strong entity tag of a body: the first 128 bits of its SHA-256, in hex.
fn entity_tag(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let tag = format!("\"{}\"", hex::encode(&digest[..16]));
    HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// Whether an `If-None-Match` value names `etag` (weak comparison) or is `*`.
fn names(if_none_match: &str, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == etag)
}

/// The headers a 304 carries over from the 200 it stands for (RFC 9110 §15.4.5).
fn copy_validators(from: &HeaderMap, to: &mut HeaderMap) {
    for name in [
        header::CACHE_CONTROL,
        header::VARY,
        header::CONTENT_LOCATION,
    ] {
        for value in from.get_all(&name) {
            to.append(name.clone(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_path_has_a_cache_policy() {
        let request = actix_web::test::TestRequest::default().to_http_request();
        let api = crate::routes::openapi();
        let missing: Vec<&String> = api
            .paths
            .paths
            .keys()
            .filter(|path| policy_of(path, &request).is_none())
            .collect();
        assert!(missing.is_empty(), "no cache policy for {missing:?}");
    }

    #[test]
    fn a_receipt_with_an_access_code_is_never_stored() {
        let pattern = "/api/v1/receipts/{number}";
        let bare = actix_web::test::TestRequest::get()
            .uri("/api/v1/receipts/BO-1")
            .to_http_request();
        assert_eq!(policy_of(pattern, &bare), Some(Policy::Revalidate));
        let query = actix_web::test::TestRequest::get()
            .uri("/api/v1/receipts/BO-1?code=ABCD")
            .to_http_request();
        assert_eq!(policy_of(pattern, &query), Some(Policy::NoStore));
        let header = actix_web::test::TestRequest::get()
            .uri("/api/v1/receipts/BO-1")
            .insert_header((ACCESS_CODE_HEADER, "ABCD"))
            .to_http_request();
        assert_eq!(policy_of(pattern, &header), Some(Policy::NoStore));
    }

    #[test]
    fn if_none_match_names_a_tag_weakly_or_with_a_star() {
        let etag = entity_tag(b"checkpoint");
        let tag = etag.to_str().unwrap_or_default().to_owned();
        assert!(names(&tag, &etag));
        assert!(names(&format!("\"x\", W/{tag}"), &etag));
        assert!(names("*", &etag));
        assert!(!names("\"x\"", &etag));
        assert!(!names(&tag.replace('"', ""), &etag));
    }
}
