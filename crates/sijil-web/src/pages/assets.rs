//! The stylesheet and scripts, compiled into the binary and served from
//! `/assets/{file}` (the content security policy allows no other source).

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

/// A file under `/assets/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asset {
    /// The one stylesheet, print styles included.
    Css,
    /// The verification page's script: WebCrypto checks and the document drop.
    VerifyJs,
    /// The desk's and the receipt's script: keyboard shortcuts, print button.
    DeskJs,
}

impl Asset {
    const ALL: [Asset; 3] = [Asset::Css, Asset::VerifyJs, Asset::DeskJs];

    /// The file name under `/assets/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Asset::Css => "sijil.css",
            Asset::VerifyJs => "verify.js",
            Asset::DeskJs => "desk.js",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Asset::Css => "text/css; charset=utf-8",
            Asset::VerifyJs | Asset::DeskJs => "text/javascript; charset=utf-8",
        }
    }

    fn body(self) -> &'static str {
        match self {
            Asset::Css => include_str!("../../assets/sijil.css"),
            Asset::VerifyJs => include_str!("../../assets/verify.js"),
            Asset::DeskJs => include_str!("../../assets/desk.js"),
        }
    }

    /// The address pages link to: with a version derived from the content,
    /// so that a new binary's assets are not hidden by an hour of caching.
    pub fn href(self) -> String {
        static VERSIONS: OnceLock<Vec<String>> = OnceLock::new();
        let versions = VERSIONS.get_or_init(|| {
            Asset::ALL
                .iter()
                .map(|a| hex::encode(&Sha256::digest(a.body().as_bytes())[..6]))
                .collect()
        });
        let index = Asset::ALL
            .iter()
            .position(|a| *a == self)
            .unwrap_or_default();
        let version = versions.get(index).map(String::as_str).unwrap_or_default();
        format!("/assets/{}?v={version}", self.file_name())
    }
}

/// `GET /assets/{file}`.
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    match Asset::ALL
        .into_iter()
        .find(|a| a.file_name() == file.as_str())
    {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type())
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(asset.body()),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("not found\n"),
    }
}
