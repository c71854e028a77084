//! The route table: every JSON endpoint is declared once, in [`api_routes`];
//! the OpenAPI document is collected from those same declarations, so the
//! two cannot drift. The pages are declared in [`crate::pages::configure`].

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::middleware::{from_fn, Next};
use actix_web::web::{self, Data};
use actix_web::{App, Error, HttpMessage, HttpRequest, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;

use crate::api::{clerk, ops, public};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::state::AppState;

/// The largest JSON request body (`POST /api/v1/verify`).
const MAX_JSON_BYTES: usize = 1024 * 1024;

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

/// The application: API, pages, error handling, logging and security headers.
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
    app.app_data(Data::new(state))
        .app_data(Data::new(describe(api)))
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_JSON_BYTES)
                .error_handler(|e, _| json_error(e).into()),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(e).into()))
        .app_data(web::PathConfig::default().error_handler(|e, _| path_error(e).into()))
        .configure(crate::pages::configure)
        .default_service(web::to(not_found))
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

/// Unknown routes: problem+json under the API, a page in the visitor's language elsewhere.
async fn not_found(request: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let path = request.path();
    if path.starts_with("/api/") || path.starts_with("/.well-known/") {
        actix_web::ResponseError::error_response(&ApiError::NotFound(format!(
            "there is no endpoint {} {path}",
            request.method()
        )))
    } else {
        crate::pages::not_found(request, state).await
    }
}

/// Logs each request (method, path without its query — which may hold an
/// access code —, status, time, and the clerk's token name) and counts it.
async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let state = request.app_data::<Data<AppState>>().cloned();
    let response = next.call(request).await?;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if let Some(state) = state {
        state.metrics.response(status, elapsed);
    }
    let actor = response
        .request()
        .extensions()
        .get::<Actor>()
        .map(|a| a.0.clone());
    tracing::info!(
        %method,
        %path,
        status,
        ms = elapsed.as_secs_f64() * 1e3,
        clerk = actor.as_deref().unwrap_or("-"),
        "request"
    );
    Ok(response)
}
