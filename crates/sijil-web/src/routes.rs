//! The route table: every JSON endpoint is declared once, in [`api_routes`];
//! the OpenAPI document is collected from those same declarations, so the
//! two cannot drift. The pages are declared in [`crate::pages::configure`].

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::web::{self, Bytes, Data};
use actix_web::{App, Error, HttpMessage, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;

use crate::api::{admin, clerk, ops, public};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::state::AppState;

/// The largest JSON request body (`POST /api/v1/verify`).
pub(crate) const MAX_JSON_BYTES: usize = 1024 * 1024;

/// Every endpoint of the JSON API.
pub fn api_routes(cfg: &mut ServiceConfig<'_>) {
    cfg.service(public::get_receipt)
        .service(public::find_receipts)
        .service(public::verify)
        .service(public::get_checkpoint)
        .service(public::inclusion_proof)
        .service(public::consistency_proof)
        .service(public::entry)
        .service(public::log_key)
        .service(public::get_jwks)
        .service(clerk::register_letter)
        .service(clerk::list_letters)
        .service(clerk::get_letter)
        .service(clerk::get_document)
        .service(clerk::register_csv)
        .service(admin::change_setting)
        .service(ops::healthz)
        .service(ops::metrics)
        .service(ops::openapi);
}

/// The OpenAPI document's title, version and security scheme.
fn describe(mut api: OpenApi) -> OpenApi {
    api.info = InfoBuilder::new()
        .title("Sijil")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The digital bureau d'ordre: receipts, verification, the transparency log, and the clerk API.",
        ))
        .build();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    api
}

/// The OpenAPI document of [`api_routes`].
pub fn openapi() -> OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .configure(api_routes)
        .split_for_parts();
    describe(api)
}

/// The application: API, pages, `HEAD`, caching, error handling, logging and
/// security headers.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .configure(api_routes)
        .split_for_parts();
    let api = describe(api);
    app.app_data(Data::new(state))
        .app_data(Data::new(Endpoints::of(&api)))
        .app_data(Data::new(api))
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_JSON_BYTES)
                .error_handler(|e, _| json_error(e).into()),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(e).into()))
        .app_data(web::PathConfig::default().error_handler(|e, _| path_error(e).into()))
        .configure(crate::pages::configure)
        .default_service(web::to(not_found))
        // Inside `head_as_get`, so that a HEAD answer gets the same
        // Cache-Control and ETag as the GET answer, computed on its body.
        .wrap(from_fn(crate::caching::apply))
        // Innermost but for caching: it changes the method before routing,
        // which needs the request unshared.
        .wrap(from_fn(head_as_get))
        .wrap(from_fn(catch_panics))
        .wrap(crate::security::headers())
        .wrap(from_fn(log_request))
}

fn json_error(error: JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("the body must be application/json".into())
        }
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::TooLarge(format!(
                "the JSON body is larger than {MAX_JSON_BYTES} bytes"
            ))
        }
        other => ApiError::BadRequest(format!("the JSON body is not valid: {other}")),
    }
}

fn query_error(error: QueryPayloadError) -> ApiError {
    let detail = match error {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::BadRequest(format!("invalid query: {detail}"))
}

fn path_error(error: PathError) -> ApiError {
    let detail = match error {
        PathError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::BadRequest(format!("invalid path: {detail}"))
}

/// Whether a path belongs to the JSON API (errors as problem+json) rather than the pages.
fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/.well-known/")
}

/// The methods each path of [`api_routes`] answers, read from its OpenAPI
/// document: a request for one of these paths with another method gets 405
/// and an `Allow` header (RFC 9110), not 404. The pages' resources do the
/// same on their own (actix answers 405 with `Allow` for them).
///
/// `HEAD` is answered wherever `GET` is ([`head_as_get`]) without being
/// declared in the document (HEAD is implied by GET, RFC 9110 §9.3.2, and
/// schemathesis' `unsupported_method` check never sends it), so it is listed
/// after `GET` here.
struct Endpoints(Vec<(String, Vec<&'static str>)>);

impl Endpoints {
    /// Every path template of `api` with its methods, in a fixed order.
    fn of(api: &OpenApi) -> Self {
        let endpoints = api
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.head.is_some() || item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                    ("TRACE", item.trace.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, declared)| declared.then_some(method))
                .collect();
                (template.clone(), methods)
            })
            .collect();
        Endpoints(endpoints)
    }

    /// The methods that `path` answers; empty when it is no endpoint's path.
    fn allowed(&self, path: &str) -> Vec<&'static str> {
        let mut allowed: Vec<&'static str> = Vec::new();
        for (template, methods) in &self.0 {
            if matches_template(template, path) {
                for method in methods {
                    if !allowed.contains(method) {
                        allowed.push(method);
                    }
                }
            }
        }
        allowed
    }
}

/// Whether `path` fits an OpenAPI path template as actix routes it: the same
/// segments, each `{name}` standing for one non-empty segment.
fn matches_template(template: &str, path: &str) -> bool {
    let mut templates = template.split('/');
    let mut segments = path.split('/');
    loop {
        match (templates.next(), segments.next()) {
            (None, None) => return true,
            (Some(t), Some(s)) if t.starts_with('{') && t.ends_with('}') && !s.is_empty() => {}
            (Some(t), Some(s)) if t == s => {}
            _ => return false,
        }
    }
}

/// Unknown routes: 405 for a known API path with another method;
/// otherwise 404, problem+json under the API, a page in the visitor's
/// language elsewhere.
async fn not_found(
    request: HttpRequest,
    state: Data<AppState>,
    endpoints: Data<Endpoints>,
) -> HttpResponse {
    let path = request.path();
    // A HEAD request is routed as a GET ([`head_as_get`]): it gets GET's
    // answer, whose Content-Length it carries.
    let method = request.method().as_str();
    // The path as actix routed it (percent-decoded where that is safe).
    let allowed = endpoints.allowed(request.match_info().as_str());
    if !allowed.is_empty() && !allowed.contains(&method) {
        let allow = allowed.join(", ");
        return actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed {
            detail: format!("{path} answers {allow} only, not {method}"),
            allow,
        });
    }
    if is_api_path(path) {
        actix_web::ResponseError::error_response(&ApiError::NotFound(format!(
            "there is no endpoint {} {path}",
            request.method()
        )))
    } else {
        crate::pages::not_found(request, state).await
    }
}

/// Answers `HEAD` wherever `GET` is answered (RFC 9110 §9.3.2): the request
/// is routed and handled as a GET, and the answer keeps its status and every
/// header but loses its body ([`HeadBody`] keeps the body's size, which
/// actix-http sends as `Content-Length`). One middleware covers every GET
/// route, the API's, the pages' and the assets', present and future; actix
/// itself answers HEAD only on routes that declare it (actix-web#2702).
///
/// It also lists `HEAD` after `GET` in the `Allow` header of every 405 (the
/// pages' 405s come from actix, which knows only the declared methods).
async fn head_as_get(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let head = request.method() == Method::HEAD;
    if head {
        request.head_mut().method = Method::GET;
    }
    let mut response = next.call(request).await?;
    advertise_head(response.headers_mut());
    Ok(if head {
        response.map_body(|_, body| EitherBody::right(HeadBody(body.size())))
    } else {
        response.map_body(|_, body| EitherBody::left(body))
    })
}

/// Adds `HEAD` after `GET` to an `Allow` header that lists GET only.
fn advertise_head(headers: &mut HeaderMap) {
    let Some(allow) = headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return;
    };
    let methods: Vec<&str> = allow.split(',').map(str::trim).collect();
    if !methods.contains(&"GET") || methods.contains(&"HEAD") {
        return;
    }
    let mut with_head = Vec::with_capacity(methods.len() + 1);
    for method in methods {
        with_head.push(method);
        if method == "GET" {
            with_head.push("HEAD");
        }
    }
    if let Ok(value) = HeaderValue::from_str(&with_head.join(", ")) {
        headers.insert(header::ALLOW, value);
    }
}

/// The body of an answer to HEAD: no bytes, but the size of the GET
/// answer's body, so that the `Content-Length` is the one GET would send.
/// actix-http knows the request was HEAD (its HTTP/1 codec and HTTP/2
/// dispatcher send a HEAD answer's headers only), so it writes the length
/// and expects no bytes; a streamed body (a document) is dropped unread.
///
/// One limit, actix-http's: its HTTP/1 codec remembers the method of the
/// last request it decoded, so when a client pipelines a request behind a
/// HEAD whose answer is still pending (a document), the HEAD answer is
/// framed as a GET's. With no bytes to send, that connection is then closed
/// instead of carrying a body the client does not expect.
struct HeadBody(BodySize);

impl MessageBody for HeadBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        self.0
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}

/// Turns a panic in a handler or an extractor (a bug, ours or a dependency's,
/// e.g. a parser meeting hostile input) into a logged 500 problem+json
/// instead of a connection dropped without an answer. The request cannot be
/// kept for an HTML page (the router needs it unshared), so pages get the
/// problem too: this is the answer to a bug, not to bad input.
async fn catch_panics(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let method = request.method().clone();
    let path = request.path().to_owned();
    match AssertUnwindSafe(next.call(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "(no message)".to_owned());
            Err(ApiError::Internal(format!("{method} {path} panicked: {message}")).into())
        }
    }
}

/// Logs each request (method, path without its query — which may hold an
/// access code —, status, time, and the clerk's token name) and counts it,
/// also when it ended in an error rather than a response (a caught panic).
async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let state = request.app_data::<Data<AppState>>().cloned();
    let result = next.call(request).await;
    let elapsed = started.elapsed();
    let (status, actor) = match &result {
        Ok(response) => (
            response.status().as_u16(),
            response
                .request()
                .extensions()
                .get::<Actor>()
                .map(|a| a.0.clone()),
        ),
        Err(error) => (error.as_response_error().status_code().as_u16(), None),
    };
    if let Some(state) = state {
        state.metrics.response(status, elapsed);
    }
    tracing::info!(
        %method,
        %path,
        status,
        ms = elapsed.as_secs_f64() * 1e3,
        clerk = actor.as_deref().unwrap_or("-"),
        "request"
    );
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn broken() -> HttpResponse {
        panic!("a bug met hostile input")
    }

    #[actix_web::test]
    async fn a_panicking_handler_gets_a_problem_instead_of_a_dropped_connection() {
        let service = actix_web::test::init_service(
            App::new()
                .route("/api/v1/broken", web::get().to(broken))
                .route("/api/v1/fine", web::get().to(HttpResponse::NoContent))
                .wrap(from_fn(catch_panics)),
        )
        .await;
        let request = actix_web::test::TestRequest::get()
            .uri("/api/v1/broken")
            .to_request();
        // The error becomes the answer in the server's dispatcher, as here.
        let error = match actix_web::test::try_call_service(&service, request).await {
            Ok(response) => panic!("expected an error, got {}", response.status()),
            Err(error) => error,
        };
        let response = error.error_response();
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.headers().get("content-type").map(|v| v.as_bytes()),
            Some(&b"application/problem+json"[..])
        );
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap_or_default();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(problem["status"], 500);
        assert_eq!(problem["type"], "/problems/internal");
        // The service goes on answering after a panic.
        let request = actix_web::test::TestRequest::get()
            .uri("/api/v1/fine")
            .to_request();
        let response = actix_web::test::call_service(&service, request).await;
        assert_eq!(response.status(), 204);
    }

    #[test]
    fn head_is_advertised_after_get_only_where_get_is() {
        let allow = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ALLOW, HeaderValue::from_static(value));
            advertise_head(&mut headers);
            headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_default()
        };
        assert_eq!(allow("GET"), "GET, HEAD");
        assert_eq!(allow("POST, GET"), "POST, GET, HEAD");
        assert_eq!(allow("GET, HEAD, POST"), "GET, HEAD, POST");
        assert_eq!(allow("POST"), "POST");
    }

    #[test]
    fn paths_match_templates_segment_by_segment() {
        let template = "/api/v1/letters/{number}/documents/{n}";
        assert!(matches_template(
            template,
            "/api/v1/letters/BO-1/documents/1"
        ));
        assert!(matches_template(
            template,
            "/api/v1/letters/BO%2F1/documents/x"
        ));
        assert!(!matches_template(template, "/api/v1/letters//documents/1"));
        assert!(!matches_template(
            template,
            "/api/v1/letters/BO-1/documents/1/"
        ));
        assert!(!matches_template(
            template,
            "/api/v1/letters/BO-1/documents"
        ));
        assert!(!matches_template(
            template,
            "/api/v1/letter/BO-1/documents/1"
        ));
        assert!(matches_template("/healthz", "/healthz"));
        assert!(!matches_template("/healthz", "/healthz/"));
    }

    #[test]
    fn every_api_path_lists_its_methods() {
        let endpoints = Endpoints::of(&openapi());
        assert_eq!(
            endpoints.allowed("/api/v1/letters"),
            ["GET", "HEAD", "POST"]
        );
        assert_eq!(endpoints.allowed("/api/v1/verify"), ["POST"]);
        assert_eq!(endpoints.allowed("/api/v1/log/entries/7"), ["GET", "HEAD"]);
        assert!(endpoints.allowed("/api/v1/log/entries").is_empty());
        assert!(endpoints.allowed("/desk").is_empty());
    }
}
