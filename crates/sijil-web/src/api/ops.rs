//! Operations: health, metrics, the OpenAPI document.

use actix_web::web::{Data, Json};
use actix_web::{get, HttpResponse};
use utoipa::openapi::OpenApi;

use super::models::Health;
use super::responses::StorageErrors;
use crate::error::ApiError;
use crate::state::AppState;
use crate::util::read;

/// Liveness and readiness: the database answers and the log has a checkpoint.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Healthy", body = Health), StorageErrors)
)]
#[get("/healthz")]
pub async fn healthz(state: Data<AppState>) -> Result<Json<Health>, ApiError> {
    let registry = state.registry.clone();
    let checkpoint = read(&state.registry, move || registry.log().checkpoint()).await?;
    Ok(Json(Health {
        status: "ok".into(),
        tree_size: checkpoint.tree_size,
    }))
}

/// Prometheus metrics: registrations, batch sizes, lookups, verification failures, latencies.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4")))]
#[get("/metrics")]
pub async fn metrics(state: Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(state.registry.batch_stats()))
}

/// This API's OpenAPI 3.1 document, generated from the handlers.
#[utoipa::path(tag = "operations", responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
#[get("/api/v1/openapi.json")]
pub async fn openapi(api: Data<OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(api.get_ref())
}
