//! Protection against brute force, and the security headers of every response.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::middleware::DefaultHeaders;
use actix_web::HttpRequest;

use crate::error::ApiError;

/// The window over which failed attempts are counted.
const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked addresses, expired entries are swept.
const SWEEP_AT: usize = 10_000;

/// Counts failed token and access-code attempts per client address and
/// refuses further attempts once a client has failed too often in a minute.
#[derive(Debug)]
pub struct FailureLimiter {
    per_minute: u32,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailureLimiter {
    /// A limiter allowing `per_minute` failures per address per minute.
    pub fn new(per_minute: u32) -> Self {
        FailureLimiter {
            per_minute: per_minute.max(1),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses (429) a client that has already failed too often.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(ip) = client else { return Ok(()) };
        let failures = self
            .failures
            .lock()
            .map_err(|_| ApiError::Internal("limiter lock poisoned".into()))?;
        match failures.get(&ip) {
            Some((since, count)) if since.elapsed() < WINDOW && *count >= self.per_minute => {
                Err(ApiError::TooManyRequests(
                    "too many failed attempts from this address; wait a minute".into(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Records one failed attempt by a client.
    pub fn fail(&self, client: Option<IpAddr>) {
        let Some(ip) = client else { return };
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() > SWEEP_AT {
                failures.retain(|_, (since, _)| since.elapsed() < WINDOW);
            }
            let entry = failures.entry(ip).or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= WINDOW {
                *entry = (Instant::now(), 0);
            }
            entry.1 += 1;
        }
    }
}

/// The client's address (the TCP peer; put a trusted proxy's own limits in front).
pub fn client_ip(request: &HttpRequest) -> Option<IpAddr> {
    request.peer_addr().map(|a| a.ip())
}

/// The content security policy: our own scripts and styles only, no framing.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; \
     script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Security headers added to every response.
pub fn headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_refused_after_too_many_failures_and_others_are_not() {
        let limiter = FailureLimiter::new(3);
        let a: Option<IpAddr> = "192.0.2.1".parse().ok();
        let b: Option<IpAddr> = "192.0.2.2".parse().ok();
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
            limiter.fail(a);
        }
        assert!(matches!(
            limiter.check(a),
            Err(ApiError::TooManyRequests(_))
        ));
        assert!(limiter.check(b).is_ok());
    }
}
