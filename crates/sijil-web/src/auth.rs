//! Clerk API authentication: `Authorization: Bearer TOKEN`.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use sijil_registry::{Permission, TokenInfo};

use crate::error::ApiError;
use crate::security::client_ip;
use crate::state::AppState;
use crate::util::read;

/// The authenticated holder of a clerk API token.
#[derive(Clone, Debug)]
pub struct Clerk(pub TokenInfo);

/// The name of the token holder, stored in the request for the request log.
#[derive(Clone, Debug)]
pub struct Actor(pub String);

impl Clerk {
    /// Refuses (403) a token whose role does not allow `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.0.role.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "the {} role may not do this",
                self.0.role
            )))
        }
    }
}

impl FromRequest for Clerk {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("no application state".into()))?
                .clone();
            let ip = client_ip(&request);
            state.limiter.check(ip)?;
            let header = request
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    ApiError::Unauthorized("this endpoint needs Authorization: Bearer TOKEN".into())
                })?;
            let secret = header
                .strip_prefix("Bearer ")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    ApiError::Unauthorized("the Authorization header must be: Bearer TOKEN".into())
                })?
                .to_owned();
            let registry = state.registry.clone();
            match read(&state.registry, move || {
                registry.access().authenticate(&secret)
            })
            .await?
            {
                Some(token) => {
                    request.extensions_mut().insert(Actor(token.name.clone()));
                    Ok(Clerk(token))
                }
                None => {
                    state.limiter.fail(ip);
                    Err(ApiError::Unauthorized(
                        "the token is not valid or was revoked".into(),
                    ))
                }
            }
        })
    }
}
