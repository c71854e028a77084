//! The server-rendered pages: the public verification page (`/`, `/verify`),
//! the printable acknowledgement of receipt (`/r/{number}`) and the clerk
//! desk (`/desk`), with their stylesheet and scripts (`/assets/{file}`).
//!
//! Every page works without JavaScript; the scripts add the browser's own
//! verification, the local hashing of a dropped document, keyboard shortcuts
//! and the print button. Pages are in French by default, Arabic (right to
//! left) and English a click away (`?lang=`, remembered in a cookie).

mod assets;
mod desk;
pub mod hijri;
pub mod i18n;
mod layout;
mod receipt;
mod verify;

#[cfg(test)]
mod tests;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime};

use crate::state::AppState;

/// The largest pasted receipt form accepted by `POST /verify`, in bytes.
const MAX_PASTE_BYTES: usize = 256 * 1024;

/// Registers the pages' routes. Each path is a resource, so that a known
/// path with another method gets actix's 405 with `Allow` (a route added
/// with `cfg.route` would fall through to the 404 page instead).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/assets/{file}").route(web::get().to(assets::serve)))
        .service(web::resource("/").route(web::get().to(verify::show)))
        .service(
            web::resource("/verify")
                .app_data(web::FormConfig::default().limit(MAX_PASTE_BYTES))
                .route(web::post().to(verify::submit))
                // A reload or a bookmark of a result: back to the page.
                .route(web::get().to(|| async { layout::see_other("/") })),
        )
        .service(web::resource("/r/{number}").route(web::get().to(receipt::show)))
        .service(web::resource("/desk").route(web::get().to(desk::show)))
        .service(
            web::resource("/desk/login")
                .app_data(web::FormConfig::default().limit(4 * 1024))
                .route(web::post().to(desk::login)),
        )
        .service(
            web::resource("/desk/logout")
                .app_data(web::FormConfig::default().limit(4 * 1024))
                .route(web::post().to(desk::logout)),
        )
        .service(web::resource("/desk/letters").route(web::post().to(desk::register)));
}

/// A "page not found" page in the visitor's language (for the application's
/// default service, outside `/api/`).
pub async fn not_found(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = layout::Ctx::new(&request, &state).switch_to("/");
    layout::error_page(
        &ctx,
        StatusCode::NOT_FOUND,
        ctx.t(i18n::Key::ErrorNotFound),
        None,
    )
}

/// An RFC 3339 instant as a date and time in the registry's time zone.
fn local_time(state: &AppState, rfc3339: &str) -> Option<NaiveDateTime> {
    let instant = DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(
        instant
            .with_timezone(&state.registry.time_zone())
            .naive_local(),
    )
}
