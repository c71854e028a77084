//! Small helpers shared by the API and the pages.

use actix_web::web;
use sijil_registry::Registry;

use crate::error::ApiError;

/// Percent-encodes a URL component (RFC 3986 unreserved characters stay).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs a short registry read (a lookup, a proof, a token check): in place on
/// an embedded SQLite register, where handing it to the blocking pool costs
/// more than the read (see docs/benchmarks.md), and on the blocking pool when
/// the database is across the network. Long reads (exports, lists, document
/// streams) and writes use [`blocking`].
pub async fn read<T, F>(registry: &Registry, f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, sijil_registry::RegistryError> + Send + 'static,
    T: Send + 'static,
{
    if registry.reads_are_local() {
        f().map_err(ApiError::from)
    } else {
        blocking(f).await
    }
}

/// Runs blocking registry work off the async workers.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, sijil_registry::RegistryError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    web::block(move || span.in_scope(f))
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task failed: {e}")))?
        .map_err(ApiError::from)
}
