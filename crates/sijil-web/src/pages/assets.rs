//! The stylesheet and scripts, compiled into the binary and served from
//! `/assets/{file}` (the content security policy allows no other source).

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::caching::Policy;

/// How long an asset asked for without its current version may be kept.
const UNVERSIONED: Policy = Policy::Public(3600);

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

    /// The version of the content: the first 48 bits of its SHA-256, in hex.
    fn version(self) -> &'static str {
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
        versions.get(index).map(String::as_str).unwrap_or_default()
    }

    /// The address pages link to: with the content's version, so that a new
    /// binary's assets are not hidden by cached old ones, and so that what
    /// the address serves never changes (cached for good).
    pub fn href(self) -> String {
        format!("/assets/{}?v={}", self.file_name(), self.version())
    }

    /// How caches may keep the asset at the address with this query: for
    /// good under its current version, an hour otherwise (an old page's
    /// address, or none, gets today's content, which may change).
    fn policy(self, query: &str) -> Policy {
        let current = query
            .split('&')
            .any(|pair| pair.strip_prefix("v=") == Some(self.version()));
        if current {
            Policy::Immutable
        } else {
            UNVERSIONED
        }
    }
}

/// `GET /assets/{file}`.
pub async fn serve(request: HttpRequest, file: web::Path<String>) -> HttpResponse {
    match Asset::ALL
        .into_iter()
        .find(|a| a.file_name() == file.as_str())
    {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type())
            .insert_header((
                header::CACHE_CONTROL,
                asset.policy(request.query_string()).header_value(),
            ))
            .body(asset.body()),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, Policy::NoStore.header_value()))
            .body("not found\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asset_is_immutable_only_under_its_current_version() {
        for asset in Asset::ALL {
            let current = format!("v={}", asset.version());
            assert_eq!(asset.policy(&current), Policy::Immutable, "{asset:?}");
            assert_eq!(
                asset.policy(&format!("lang=ar&{current}")),
                Policy::Immutable
            );
            assert_eq!(asset.policy("v=000000000000"), UNVERSIONED, "{asset:?}");
            assert_eq!(asset.policy(""), UNVERSIONED, "{asset:?}");
            assert!(asset.href().ends_with(&current), "{asset:?}");
        }
    }
}
