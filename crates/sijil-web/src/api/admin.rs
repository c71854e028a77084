//! Administrator endpoints (`Authorization: Bearer TOKEN` of the admin role):
//! the settings others rely on, each change a signed `config` entry of the log.

use actix_web::web::{Data, Json, Path};
use actix_web::{put, HttpResponse};
use serde::Deserialize;
use sijil_registry::{Permission, Setting};
use utoipa::ToSchema;

use super::models::BundleBody;
use super::responses::{ClerkAuth, JsonBodyErrors, StorageErrors};
use crate::auth::Clerk;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::util::blocking;

/// A setting's new value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingChange {
    /// The new value (for `institution.name`: the institution's display
    /// name, 1 to 200 characters).
    pub value: String,
}

/// Changes a setting: appends a signed `config` entry to the log and answers
/// with its bundle once it is durable. The entry names the token (by id, not
/// by its holder's name), since log entries are public.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("setting" = String, Path, description = "The setting: `institution.name`")),
    request_body = SettingChange,
    responses(
        (status = 200, description = "Changed: the `config` entry's receipt, proof and checkpoint", body = BundleBody),
        (status = 400, description = "Not a valid value for this setting, or not the expected JSON", body = Problem, content_type = "application/problem+json"),
        ClerkAuth,
        (status = 403, description = "Only an administrator may change settings", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such setting", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        StorageErrors,
    )
)]
#[put("/api/v1/settings/{setting}")]
pub async fn change_setting(
    state: Data<AppState>,
    clerk: Clerk,
    setting: Path<String>,
    body: Json<SettingChange>,
) -> Result<HttpResponse, ApiError> {
    clerk.require(Permission::Configure)?;
    let setting = Setting::parse(&setting).map_err(|e| ApiError::NotFound(e.to_string()))?;
    let actor = format!("token:{}", clerk.0.id);
    let registry = state.registry.clone();
    let value = body.into_inner().value;
    let bundle =
        blocking(move || registry.settings().change_setting(setting, &value, &actor)).await?;
    tracing::info!(admin = %clerk.0.name, setting = setting.as_str(), "setting changed");
    Ok(HttpResponse::Ok().json(BundleBody::from(bundle)))
}
