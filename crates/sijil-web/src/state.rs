//! What every handler shares: the registry, the settings, the metrics and
//! the brute-force limiter.

use std::sync::Arc;

use sijil_registry::Registry;

use crate::metrics::Metrics;
use crate::security::FailureLimiter;

/// Room a registration request needs besides its documents: the metadata part
/// (at most 64 KiB) or the desk's fields, the part headers, the boundaries.
/// The request limit must exceed the document limit by at least this much, so
/// that a document of the largest accepted size can be registered.
pub const REQUEST_OVERHEAD_BYTES: u64 = 1024 * 1024;

/// Settings of the web service.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// The address citizens reach the service at, e.g. `https://bo.example.ma`
    /// (used in receipt URLs and QR codes), without a trailing slash.
    pub public_url: String,
    /// The largest accepted document, in bytes.
    pub max_document_bytes: u64,
    /// The largest accepted registration request, in bytes: the whole body
    /// (all documents, the metadata, part headers and boundaries).
    pub max_request_bytes: u64,
    /// Set the `Secure` flag on the desk's session cookie (when served over HTTPS).
    pub secure_cookies: bool,
    /// Failed token or access-code attempts allowed per client address per minute.
    pub failures_per_minute: u32,
}

impl WebSettings {
    /// Defaults for a service reachable at `public_url`.
    pub fn new(public_url: &str) -> Self {
        WebSettings {
            public_url: public_url.trim_end_matches('/').to_owned(),
            max_document_bytes: 256 * 1024 * 1024,
            max_request_bytes: 1024 * 1024 * 1024,
            secure_cookies: public_url.starts_with("https://"),
            failures_per_minute: 20,
        }
    }

    /// Checks that the limits fit together: the request limit leaves
    /// [`REQUEST_OVERHEAD_BYTES`] above the document limit, or a document of
    /// the largest accepted size could never be registered.
    pub fn check(&self) -> Result<(), String> {
        let needed = self
            .max_document_bytes
            .saturating_add(REQUEST_OVERHEAD_BYTES);
        if self.max_request_bytes < needed {
            return Err(format!(
                "the request limit ({} bytes) must exceed the document limit ({} bytes) by at \
                 least {REQUEST_OVERHEAD_BYTES} bytes: a request carries its documents, its \
                 metadata and the multipart framing",
                self.max_request_bytes, self.max_document_bytes
            ));
        }
        Ok(())
    }
}

/// The state shared by all workers (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The register.
    pub registry: Registry,
    /// The settings.
    pub settings: Arc<WebSettings>,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Rate limit of failed authentication attempts per client address.
    pub limiter: Arc<FailureLimiter>,
}

impl AppState {
    /// The state for a registry and settings.
    pub fn new(registry: Registry, settings: WebSettings) -> Self {
        let limiter = FailureLimiter::new(settings.failures_per_minute);
        AppState {
            registry,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::default()),
            limiter: Arc::new(limiter),
        }
    }

    /// The printable acknowledgement's address, with the access code.
    pub fn receipt_url(&self, number: &str, access_code: Option<&str>) -> String {
        let mut url = format!(
            "{}/r/{}",
            self.settings.public_url,
            crate::util::url_encode(number)
        );
        if let Some(code) = access_code {
            url.push_str("?code=");
            url.push_str(&crate::util::url_encode(code));
        }
        url
    }

    /// The verification page's address for a number (and code): what the QR code opens.
    pub fn verify_url(&self, number: &str, access_code: Option<&str>) -> String {
        let mut url = format!(
            "{}/?number={}",
            self.settings.public_url,
            crate::util::url_encode(number)
        );
        if let Some(code) = access_code {
            url.push_str("&code=");
            url.push_str(&crate::util::url_encode(code));
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_limit_must_leave_room_for_a_largest_document_and_its_metadata() {
        let mut settings = WebSettings::new("https://bo.example.ma");
        assert_eq!(settings.check(), Ok(()), "the defaults fit together");
        settings.max_document_bytes = 10 * 1024 * 1024;
        settings.max_request_bytes = 10 * 1024 * 1024;
        assert!(settings
            .check()
            .is_err_and(|e| e.contains("must exceed the document limit")));
        settings.max_request_bytes = 11 * 1024 * 1024 - 1;
        assert!(settings.check().is_err());
        settings.max_request_bytes = 11 * 1024 * 1024;
        assert_eq!(settings.check(), Ok(()));
        settings.max_document_bytes = u64::MAX;
        assert!(settings.check().is_err());
    }
}
