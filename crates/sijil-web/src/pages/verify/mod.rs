//! The verification page: `GET /` (by number, with the access code and a
//! document hash optional) and `POST /verify` (a pasted bundle or JWS).
//!
//! Without JavaScript the server verifies and says so in plain words. With
//! JavaScript, `verify.js` also verifies the receipt itself (WebCrypto) and
//! hashes a dropped document locally, so the file never leaves the computer.

mod outcome;
mod render;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use sijil_receipt::bundle::Bundle;
use sijil_receipt::claims::RegistrationClaims;
use sijil_receipt::jwks::Jwks;
use sijil_receipt::jws::parse_compact;
use sijil_receipt::metadata::{metadata_mac, Channel};
use sijil_receipt::verify::Report;
use sijil_registry::{AccessCode, LetterRecord, ReceiptToVerify};

use super::assets::Asset;
use super::hijri::HijriDate;
use super::i18n::{
    format_date, format_date_time, format_hijri, format_size, format_time, t, tf, Key, Lang,
};
use super::layout::{api_error_page, fill_markup, ltr, page, respond, too_many, Ctx};
use super::local_time;
use crate::error::ApiError;
use crate::security::client_ip;
use crate::state::AppState;
use crate::util::{read, url_encode};

/// The longest registration number looked up.
const MAX_NUMBER_LEN: usize = 100;

/// The channel's name in the page's language.
pub fn channel_name(ctx: &Ctx, channel: Channel) -> &'static str {
    ctx.t(match channel {
        Channel::Paper => Key::ChannelPaper,
        Channel::Email => Key::ChannelEmail,
        Channel::Web => Key::ChannelWeb,
        Channel::Partner => Key::ChannelPartner,
    })
}

/// A colon as each language writes it after a label ("État : ", "Status: ").
fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "\u{a0}: ",
        Lang::Ar | Lang::En => ": ",
    }
}

/// What the citizen typed, shown again in the forms.
#[derive(Default)]
struct Inputs {
    number: String,
    code: String,
    sha256: String,
    receipt: String,
}

/// What the access code unlocked.
enum CodeState {
    Absent,
    Matched,
    Wrong,
    Malformed,
}

/// One line of the checks list.
struct CheckRow {
    name: String,
    passed: bool,
    /// What it means, in the page's language (our own checks).
    summary: Option<String>,
    /// The verifier's own words (English).
    technical: Option<String>,
}

/// A document of the receipt as listed on the page.
struct DocRow {
    position: u32,
    name: Option<String>,
    size: u64,
    sha256: String,
}

/// Where the browser's script gets the bundle it verifies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// From the registry by number (`/api/v1/receipts/{number}`).
    Registry,
    /// The pasted bundle.
    Pasted,
}

/// A verification result, ready to render.
struct Outcome {
    number: String,
    registered_at: Option<String>,
    index: Option<u64>,
    status: Option<String>,
    passed: bool,
    checks: Vec<CheckRow>,
    documents: Vec<DocRow>,
    letter: Option<LetterRecord>,
    code: CodeState,
    /// The dropped document's hash and the receipt's document it matches.
    document: Option<(String, Option<usize>)>,
    bundle_json: String,
    jwks_json: String,
    source: Source,
}

/// What the page shows below its title.
enum View {
    Empty,
    Result(Box<Outcome>),
    NotFound,
    Search(String, Vec<(String, String)>),
    Error(&'static str, Option<String>),
}

/// Lowercase hex of a SHA-256 typed or computed, if it is one.
fn normalize_sha256(text: &str) -> Option<String> {
    let hex = text.trim().to_ascii_lowercase();
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// `GET /`.
pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = Ctx::new(&request, &state);
    let inputs = Inputs {
        number: ctx.param("number").unwrap_or_default().to_owned(),
        code: ctx.param("code").unwrap_or_default().to_owned(),
        sha256: ctx.param("sha256").unwrap_or_default().to_owned(),
        receipt: String::new(),
    };
    let sha256 = match ctx.param("sha256") {
        None => None,
        Some(text) => match normalize_sha256(text) {
            Some(hash) => Some(hash),
            None => {
                let view = View::Error(ctx.t(Key::BadSha256), None);
                return respond(
                    &ctx,
                    StatusCode::BAD_REQUEST,
                    render::render(&ctx, &state, &inputs, &view),
                );
            }
        },
    };
    let Some(number) = ctx.param("number").map(str::to_owned) else {
        let view = match sha256 {
            None => View::Empty,
            Some(hash) => match search_document(&ctx, &state, &hash).await {
                Ok(letters) => View::Search(hash, letters),
                Err(e) => return api_error_page(&ctx, &e),
            },
        };
        return respond(
            &ctx,
            StatusCode::OK,
            render::render(&ctx, &state, &inputs, &view),
        );
    };
    if number.len() > MAX_NUMBER_LEN {
        return respond(
            &ctx,
            StatusCode::NOT_FOUND,
            render::render(&ctx, &state, &inputs, &View::NotFound),
        );
    }

    let code = ctx.param("code").map(str::to_owned);
    let ip = client_ip(&request);
    if code.is_some() && state.limiter.check(ip).is_err() {
        return too_many(&ctx);
    }
    let registry = state.registry.clone();
    let found = read(&state.registry, move || {
        let lookup = registry.letters().lookup(&number)?;
        let report = registry.verify(&ReceiptToVerify {
            receipt: lookup.bundle.receipt.clone(),
            proof: Some((
                lookup.bundle.inclusion_proof.clone(),
                lookup.bundle.checkpoint.clone(),
            )),
            documents: Vec::new(),
        })?;
        let jwks = registry.jwks()?;
        Ok((lookup, report, jwks))
    })
    .await;
    let (lookup, report, jwks) = match found {
        Ok(found) => found,
        Err(ApiError::NotFound(_)) => {
            return respond(
                &ctx,
                StatusCode::NOT_FOUND,
                render::render(&ctx, &state, &inputs, &View::NotFound),
            );
        }
        Err(e) => return api_error_page(&ctx, &e),
    };
    let (outcome, code_failed) = outcome::outcome(
        ctx.lang,
        &lookup.bundle,
        &jwks,
        report,
        Some(lookup.letter),
        code.as_deref(),
        sha256.as_deref(),
        Source::Registry,
    );
    if code_failed {
        state.limiter.fail(ip);
    }
    state.metrics.lookup();
    show_result(&ctx, &state, &inputs, outcome)
}

/// Counts a verification and shows its result.
fn show_result(ctx: &Ctx, state: &AppState, inputs: &Inputs, outcome: Outcome) -> HttpResponse {
    state.metrics.verification(outcome.passed);
    let view = View::Result(Box::new(outcome));
    respond(
        ctx,
        StatusCode::OK,
        render::render(ctx, state, inputs, &view),
    )
}

/// The letters holding a document, as (number, local date and time).
async fn search_document(
    ctx: &Ctx,
    state: &AppState,
    hash: &str,
) -> Result<Vec<(String, String)>, ApiError> {
    let registry = state.registry.clone();
    let wanted = hash.to_owned();
    let found = read(&state.registry, move || {
        registry.letters().lookup_by_document(&wanted)
    })
    .await?;
    Ok(found
        .into_iter()
        .map(|l| {
            let when = local_time(state, &l.letter.registered_at)
                .map(|t| format_date_time(ctx.lang, &t))
                .unwrap_or_else(|| l.letter.registered_at.clone());
            (l.letter.number, when)
        })
        .collect())
}

/// The pasted receipt form.
#[derive(Deserialize)]
pub struct PasteForm {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    sha256: String,
}

/// `POST /verify`: a pasted bundle (verified as is, and compared with the
/// registry's record) or a bare JWS (verified with the registry's fresh proof).
pub async fn submit(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: Result<web::Form<PasteForm>, actix_web::Error>,
) -> HttpResponse {
    let ctx = Ctx::new(&request, &state).switch_to("/");
    let form = match form {
        Ok(form) => form.into_inner(),
        Err(e) => {
            let view = View::Error(ctx.t(Key::BadReceipt), Some(e.to_string()));
            return respond(
                &ctx,
                StatusCode::BAD_REQUEST,
                render::render(&ctx, &state, &Inputs::default(), &view),
            );
        }
    };
    let text = form.receipt.trim().to_owned();
    let inputs = Inputs {
        sha256: form.sha256.trim().to_owned(),
        receipt: text.clone(),
        ..Inputs::default()
    };
    let fail = |key: Key, detail: Option<String>| {
        let view = View::Error(ctx.t(key), detail);
        respond(
            &ctx,
            StatusCode::BAD_REQUEST,
            render::render(&ctx, &state, &inputs, &view),
        )
    };
    if text.is_empty() {
        return fail(Key::EmptyReceipt, None);
    }
    let sha256 = match inputs.sha256.as_str() {
        "" => None,
        typed => match normalize_sha256(typed) {
            Some(hash) => Some(hash),
            None => return fail(Key::BadSha256, None),
        },
    };

    let registry = state.registry.clone();
    // A bundle is verified as pasted; a bare JWS gets the registry's fresh proof.
    let (bundle, number) = if text.starts_with('{') {
        let bundle: Bundle = match serde_json::from_str(&text) {
            Ok(bundle) => bundle,
            Err(e) => return fail(Key::BadReceipt, Some(e.to_string())),
        };
        let number = parse_compact(&bundle.receipt)
            .ok()
            .and_then(|jws| RegistrationClaims::from_payload(&jws.payload).ok())
            .map(|c| c.number);
        (Some(bundle), number)
    } else {
        let claims = parse_compact(&text)
            .map_err(|e| e.to_string())
            .and_then(|jws| {
                RegistrationClaims::from_payload(&jws.payload).map_err(|e| e.to_string())
            });
        match claims {
            Ok(claims) => (None, Some(claims.number)),
            Err(detail) => return fail(Key::BadReceipt, Some(detail)),
        }
    };
    let found = read(&state.registry, move || {
        let letter = match number {
            Some(n) if n.len() <= MAX_NUMBER_LEN => match registry.letters().lookup(&n) {
                Ok(lookup) => Some(lookup),
                Err(sijil_registry::RegistryError::NotFound(_)) => None,
                Err(e) => return Err(e),
            },
            _ => None,
        };
        Ok((letter, registry.jwks()?))
    })
    .await;
    let (lookup, jwks) = match found {
        Ok(found) => found,
        Err(e) => return api_error_page(&ctx, &e),
    };
    let bundle = match (bundle, &lookup) {
        (Some(bundle), _) => bundle,
        (None, Some(lookup)) => Bundle {
            receipt: text.clone(),
            inclusion_proof: lookup.bundle.inclusion_proof.clone(),
            checkpoint: lookup.bundle.checkpoint.clone(),
        },
        (None, None) => {
            return respond(
                &ctx,
                StatusCode::NOT_FOUND,
                render::render(&ctx, &state, &inputs, &View::NotFound),
            );
        }
    };
    let registry = state.registry.clone();
    let to_verify = ReceiptToVerify {
        receipt: bundle.receipt.clone(),
        proof: Some((bundle.inclusion_proof.clone(), bundle.checkpoint.clone())),
        documents: Vec::new(),
    };
    let report = match read(&state.registry, move || registry.verify(&to_verify)).await {
        Ok(report) => report,
        Err(e) => return api_error_page(&ctx, &e),
    };
    let (outcome, _) = outcome::outcome(
        ctx.lang,
        &bundle,
        &jwks,
        report,
        lookup.map(|l| l.letter),
        None,
        sha256.as_deref(),
        Source::Pasted,
    );
    show_result(&ctx, &state, &inputs, outcome)
}
