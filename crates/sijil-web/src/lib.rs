//! Sijil's web service (actix-web): the public receipt API and verification
//! page, the clerk API and desk, operations endpoints.
//!
//! - [`routes`]: the one route table of the JSON API (the OpenAPI document is
//!   collected from the same declarations) and the application factory;
//! - [`api`]: the JSON handlers; [`pages`]: the HTML pages;
//! - [`error`]: the one mapping of errors to RFC 9457 problem+json;
//! - [`auth`], [`security`]: tokens, brute-force limits, security headers;
//! - [`intake`]: multipart registration requests, documents streamed to disk;
//! - [`metrics`]: Prometheus counters; [`server`]: `sijil serve`.

pub mod api;
pub mod auth;
pub mod caching;
pub mod error;
pub mod intake;
mod json;
pub mod metrics;
pub mod pages;

pub mod routes;
pub mod security;
pub mod server;
pub mod state;
pub mod util;

pub use routes::app;
pub use server::serve;
pub use state::{AppState, WebSettings};
