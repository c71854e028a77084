//! The verification page: `GET /` (by number, with the access code and a
//! document hash optional) and `POST /verify` (a pasted bundle or JWS).
//!
//! Without JavaScript the server verifies and says so in plain words. With
//! JavaScript, `verify.js` also verifies the receipt itself (WebCrypto) and
//! hashes a dropped document locally, so the file never leaves the computer.

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

fn check_key(name: &str) -> Option<Key> {
    Some(match name {
        "signature" => Key::CheckSignature,
        "claims" => Key::CheckClaims,
        "key validity" => Key::CheckKeyValidity,
        "checkpoint signature" => Key::CheckCheckpoint,
        "inclusion" => Key::CheckInclusion,
        "metadata" => Key::CheckMetadata,
        "registry record" => Key::CheckRecord,
        n if n.starts_with("document") => Key::CheckDocument,
        _ => return None,
    })
}

/// Verifies `bundle` and gathers everything the result shows.
#[allow(clippy::too_many_arguments)]
fn outcome(
    lang: Lang,
    bundle: &Bundle,
    jwks: &Jwks,
    report: Report,
    letter: Option<LetterRecord>,
    code: Option<&str>,
    sha256: Option<&str>,
    source: Source,
) -> (Outcome, bool) {
    let claims: Option<&RegistrationClaims> = report.registration();
    let mut checks: Vec<CheckRow> = report
        .checks
        .iter()
        .map(|c| CheckRow {
            name: c.name.clone(),
            passed: c.passed,
            summary: None,
            technical: Some(c.detail.clone()),
        })
        .collect();

    // The access code: unlocks the personal data, and lets the metadata's
    // HMAC in the receipt be checked against the registry's record.
    let mut code_failed = false;
    let code_state = match (code, &letter) {
        (None, _) => CodeState::Absent,
        (Some(_), None) => CodeState::Wrong,
        (Some(text), Some(letter)) => match AccessCode::parse(text) {
            Err(_) => {
                code_failed = true;
                CodeState::Malformed
            }
            Ok(given) if letter.access_code.matches(&given) => {
                let mac = metadata_mac(letter.access_code.as_str(), &letter.metadata).ok();
                let passed = matches!((&mac, claims), (Some(m), Some(c)) if m.eq_ignore_ascii_case(&c.metadata_sha256));
                checks.push(CheckRow {
                    name: "metadata".into(),
                    passed,
                    summary: Some(
                        t(
                            lang,
                            if passed {
                                Key::MetadataMatches
                            } else {
                                Key::MetadataDiffers
                            },
                        )
                        .to_owned(),
                    ),
                    technical: None,
                });
                CodeState::Matched
            }
            Ok(_) => {
                code_failed = true;
                CodeState::Wrong
            }
        },
    };
    let granted = matches!(code_state, CodeState::Matched);

    let documents: Vec<DocRow> = match (&letter, granted) {
        (Some(letter), true) => letter
            .documents
            .iter()
            .map(|d| DocRow {
                position: d.position,
                name: Some(d.file_name.clone()),
                size: d.size,
                sha256: d.sha256.clone(),
            })
            .collect(),
        _ => claims
            .map(|c| {
                c.documents
                    .iter()
                    .enumerate()
                    .map(|(i, d)| DocRow {
                        position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                        name: None,
                        size: d.size,
                        sha256: d.sha256.to_ascii_lowercase(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };

    let document = sha256.map(|hash| {
        let found = claims.and_then(|c| {
            c.documents
                .iter()
                .position(|d| d.sha256.eq_ignore_ascii_case(hash))
        });
        let text = match found {
            Some(i) => tf(lang, Key::DocMatch, &[("n", &(i + 1).to_string())]),
            None => t(lang, Key::DocMismatch).to_owned(),
        };
        checks.push(CheckRow {
            name: "document".into(),
            passed: found.is_some(),
            summary: Some(text),
            technical: None,
        });
        (hash.to_owned(), found)
    });

    let number = claims
        .map(|c| c.number.clone())
        .or_else(|| letter.as_ref().map(|l| l.number.clone()))
        .unwrap_or_default();
    let outcome = Outcome {
        number,
        registered_at: claims.map(|c| c.registered_at.clone()),
        index: claims.map(|c| c.index),
        status: letter.as_ref().map(|l| l.status.clone()),
        passed: checks.iter().all(|c| c.passed),
        checks,
        documents,
        letter: if granted { letter } else { None },
        code: code_state,
        document,
        bundle_json: serde_json::to_string(bundle).unwrap_or_default(),
        jwks_json: serde_json::to_string(jwks).unwrap_or_default(),
        source,
    };
    (outcome, code_failed)
}

/// The strings `verify.js` shows, in the page's language.
fn script_strings(lang: Lang) -> String {
    let s = |k| t(lang, k);
    serde_json::json!({
        "checking": s(Key::JsChecking),
        "verified": s(Key::JsVerified),
        "verifiedDetail": s(Key::JsVerifiedDetail),
        "failed": s(Key::JsFailed),
        "reasonSignature": s(Key::JsReasonSignature),
        "reasonKey": s(Key::JsReasonKey),
        "reasonCheckpoint": s(Key::JsReasonCheckpoint),
        "reasonInclusion": s(Key::JsReasonInclusion),
        "reasonClaims": s(Key::JsReasonClaims),
        "reasonNetwork": s(Key::JsReasonNetwork),
        "reasonUnsupported": s(Key::JsReasonUnsupported),
        "hashing": s(Key::JsHashing),
        "hashed": s(Key::JsHashed),
        "noReceipt": s(Key::JsNoReceipt),
        "fileError": s(Key::JsFileError),
        "docMatch": s(Key::DocMatch),
        "docMismatch": s(Key::DocMismatch),
    })
    .to_string()
}

/// The whole page.
fn render(ctx: &Ctx, state: &AppState, inputs: &Inputs, view: &View) -> Markup {
    let has_result = matches!(view, View::Result(_));
    let body = html! {
        div #verify-app data-strings=(script_strings(ctx.lang)) {
            h1 { (ctx.t(Key::VerifyTitle)) }
            @match view {
                View::Result(outcome) => { (result(ctx, state, outcome)) }
                View::NotFound => {
                    div #not-found .notice.error role="alert" {
                        p { strong { (ctx.t(Key::NotFound)) } }
                        p { (ctx.t(Key::NotFoundHint)) }
                    }
                }
                View::Search(hash, letters) => { (search(ctx, hash, letters)) }
                View::Error(message, detail) => {
                    div #form-error .notice.error role="alert" {
                        p { (message) }
                        @if let Some(detail) = detail { p.detail lang="en" dir="ltr" { (detail) } }
                    }
                }
                View::Empty => {}
            }
            @if has_result { (drop_zone(ctx)) }
            (number_form(ctx, inputs, has_result))
            @if !has_result { (drop_zone(ctx)) }
            (paste_form(ctx, inputs))
        }
    };
    page(ctx, ctx.t(Key::VerifyTitle), body, &[Asset::VerifyJs])
}

fn number_form(ctx: &Ctx, inputs: &Inputs, has_result: bool) -> Markup {
    html! {
        section.card aria-labelledby="lookup-title" {
            @if has_result {
                h2 #lookup-title { (ctx.t(Key::NavVerify)) }
            } @else {
                h2 #lookup-title .visually-hidden { (ctx.t(Key::NavVerify)) }
                p.intro { (ctx.t(Key::VerifyIntro)) }
            }
            form #lookup-form method="get" action="/" {
                div.grid {
                    div.field {
                        label for="number" { (ctx.t(Key::NumberLabel)) }
                        input #number type="text" name="number" value=(inputs.number) autocomplete="off"
                            spellcheck="false" autocapitalize="characters" dir="ltr" aria-describedby="number-hint";
                        p #number-hint .hint { (ctx.t(Key::NumberHint)) }
                    }
                    div.field {
                        label for="code" { (ctx.t(Key::CodeLabel)) }
                        input #code type="text" name="code" value=(inputs.code) autocomplete="off" spellcheck="false"
                            autocapitalize="characters" dir="ltr" aria-describedby="code-hint";
                        p #code-hint .hint { (ctx.t(Key::CodeHint)) }
                    }
                }
                div.field {
                    label for="sha256" { (ctx.t(Key::Sha256Label)) }
                    input #sha256 type="text" name="sha256" value=(inputs.sha256) autocomplete="off" spellcheck="false"
                        dir="ltr" pattern="[0-9a-fA-F]{64}" aria-describedby="sha256-hint";
                    p #sha256-hint .hint { (ctx.t(Key::Sha256Hint)) }
                }
                div.actions {
                    button #verify-submit .primary type="submit" { (ctx.t(Key::VerifySubmit)) }
                }
            }
        }
    }
}

fn drop_zone(ctx: &Ctx) -> Markup {
    html! {
        section.card aria-labelledby="document-title" {
            h2 #document-title { (ctx.t(Key::DocumentTitle)) }
            div #dropzone .dropzone {
                label for="document" { (ctx.t(Key::DropLabel)) }
                // No name: the file is never part of any form submission.
                input #document type="file" aria-describedby="document-hint";
                p #document-hint .hint { (ctx.t(Key::DropHint)) }
            }
            div #document-status .document-status aria-live="polite" {}
        }
    }
}

fn paste_form(ctx: &Ctx, inputs: &Inputs) -> Markup {
    html! {
        section.card aria-labelledby="paste-title" {
            h2 #paste-title { (ctx.t(Key::PasteTitle)) }
            form #paste-form method="post" action="/verify" {
                div.field {
                    label for="receipt" { (ctx.t(Key::PasteLabel)) }
                    textarea #receipt name="receipt" rows="5" spellcheck="false" autocomplete="off" dir="ltr" {
                        (inputs.receipt)
                    }
                }
                input #receipt-sha256 type="hidden" name="sha256" value=(inputs.sha256);
                div.actions {
                    button #receipt-submit .secondary type="submit" { (ctx.t(Key::PasteSubmit)) }
                }
            }
        }
    }
}

fn search(ctx: &Ctx, hash: &str, letters: &[(String, String)]) -> Markup {
    html! {
        section #search .card aria-labelledby="search-title" {
            h2 #search-title { (ctx.t(Key::SearchTitle)) }
            p { code.hash dir="ltr" { (hash) } }
            @if letters.is_empty() {
                p #search-none { (ctx.t(Key::SearchNone)) }
            } @else {
                ul #search-results {
                    @for (number, when) in letters {
                        li {
                            a href=(format!("/?number={}&sha256={}", url_encode(number), hash)) { bdi dir="ltr" { (number) } }
                            " — " (when)
                        }
                    }
                }
            }
        }
    }
}

fn result(ctx: &Ctx, state: &AppState, outcome: &Outcome) -> Markup {
    let local = outcome
        .registered_at
        .as_deref()
        .and_then(|t| local_time(state, t));
    let hijri = local.and_then(|t| HijriDate::from_gregorian(t.date()));
    let zone = state.registry.time_zone().to_string();
    let source = match outcome.source {
        Source::Registry => "registry",
        Source::Pasted => "pasted",
    };
    html! {
        section #result .card data-number=(outcome.number) data-source=(source)
            data-bundle=(outcome.bundle_json) data-jwks=(outcome.jwks_json) aria-labelledby="result-title" {
            h2 #result-title { (ctx.t(Key::ResultTitle)) }
            @if outcome.passed {
                div #verdict .verdict.ok role="status" { p { (ctx.t(Key::VerdictOk)) } }
            } @else {
                div #verdict .verdict.fail role="alert" { p { (ctx.t(Key::VerdictFail)) } }
            }
            @if let Some(t) = local {
                p #registered-on .lead {
                    (fill_markup(ctx.t(Key::RegisteredOn), &[
                        ("date", html! { strong { (format_date(ctx.lang, t.date())) } }),
                        ("time", html! { strong { (format_time(&t)) } }),
                        ("number", html! { strong.mono { (ltr(&outcome.number)) } }),
                    ]))
                }
                p #registered-hijri {
                    @if let Some(h) = hijri {
                        (tf(ctx.lang, Key::HijriEquivalent, &[("hijri", &format_hijri(ctx.lang, h))])) " "
                    }
                    span.muted { (fill_markup(ctx.t(Key::TimeZoneNote), &[("tz", ltr(&zone))])) }
                }
            } @else {
                p #registered-on .lead { strong.mono { (ltr(&outcome.number)) } }
            }
            p.muted {
                @if let Some(index) = outcome.index {
                    (tf(ctx.lang, Key::LogEntry, &[("n", &index.to_string())])) ". "
                }
                @if let Some(status) = &outcome.status {
                    (ctx.t(Key::StatusLabel)) (colon(ctx.lang))
                    @if status == "registered" { (ctx.t(Key::StatusRegistered)) } @else { (status) }
                }
            }
            @match outcome.code {
                CodeState::Matched => {
                    div #code-result .notice.ok role="status" { p { (ctx.t(Key::CodeOk)) } }
                }
                CodeState::Wrong => {
                    div #code-result .notice.error role="alert" { p { (ctx.t(Key::CodeWrong)) } }
                }
                CodeState::Malformed => {
                    div #code-result .notice.error role="alert" { p { (ctx.t(Key::CodeMalformed)) } }
                }
                CodeState::Absent => {
                    p #personal-hidden .hint { (ctx.t(Key::PersonalHidden)) }
                }
            }
            @if let Some(letter) = &outcome.letter {
                dl #letter-details .facts {
                    dt { (ctx.t(Key::SenderLabel)) }
                    dd #letter-sender { bdi { (letter.metadata.sender.name) } }
                    dt { (ctx.t(Key::SubjectLabel)) }
                    dd #letter-subject { bdi { (letter.metadata.subject) } }
                    @if let Some(addressee) = &letter.metadata.addressee {
                        dt { (ctx.t(Key::AddresseeLabel)) }
                        dd { bdi { (addressee) } }
                    }
                    @if let Some(reference) = &letter.metadata.reference {
                        dt { (ctx.t(Key::ReferenceLabel)) }
                        dd { bdi { (reference) } }
                    }
                    dt { (ctx.t(Key::ChannelLabel)) }
                    dd { (channel_name(ctx, letter.metadata.channel)) }
                }
            }
            @if let Some((hash, found)) = &outcome.document {
                @let class = if found.is_some() { "notice match" } else { "notice mismatch" };
                div #server-document-result class=(class) role="status" {
                    p {
                        @match found {
                            Some(i) => { (tf(ctx.lang, Key::DocMatch, &[("n", &(i + 1).to_string())])) }
                            None => { (ctx.t(Key::DocMismatch)) }
                        }
                    }
                    p { code.hash dir="ltr" { (hash) } }
                }
            }
            div.browser-check {
                p #browser-status .muted { (ctx.t(Key::BrowserNeedsJs)) }
            }
            h3 { (ctx.t(Key::ChecksTitle)) }
            ul #checks .checks {
                @for check in &outcome.checks {
                    @let class = if check.passed { "check pass" } else { "check fail" };
                    li class=(class) data-check=(check.name) {
                        span.badge { (if check.passed { ctx.t(Key::Passed) } else { ctx.t(Key::Failed) }) }
                        " "
                        span.check-name {
                            @match check_key(&check.name) {
                                Some(key) => { (ctx.t(key)) }
                                None => { (check.name) }
                            }
                        }
                        @if let Some(summary) = &check.summary {
                            " — " (summary)
                        }
                        @if let Some(technical) = &check.technical {
                            details {
                                summary { (ctx.t(Key::TechnicalDetail)) }
                                p.detail lang="en" dir="ltr" { (technical) }
                            }
                        }
                    }
                }
            }
            h3 { (ctx.t(Key::DocumentsTitle)) }
            @if outcome.documents.is_empty() {
                p { (ctx.t(Key::NoDocuments)) }
            } @else {
                div.table-scroll {
                    table #documents .documents {
                        thead {
                            tr {
                                th scope="col" { (ctx.t(Key::DocPosition)) }
                                @if outcome.letter.is_some() { th scope="col" { (ctx.t(Key::DocName)) } }
                                th scope="col" { (ctx.t(Key::DocSize)) }
                                th scope="col" { (ctx.t(Key::DocHash)) }
                            }
                        }
                        tbody {
                            @for d in &outcome.documents {
                                tr data-sha256=(d.sha256) {
                                    td { (d.position) }
                                    @if outcome.letter.is_some() {
                                        td { bdi { (d.name.as_deref().unwrap_or_default()) } }
                                    }
                                    td.nowrap { (format_size(ctx.lang, d.size)) }
                                    td.hash { code dir="ltr" { (d.sha256) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
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
                    render(&ctx, &state, &inputs, &view),
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
        return respond(&ctx, StatusCode::OK, render(&ctx, &state, &inputs, &view));
    };
    if number.len() > MAX_NUMBER_LEN {
        return respond(
            &ctx,
            StatusCode::NOT_FOUND,
            render(&ctx, &state, &inputs, &View::NotFound),
        );
    }

    let code = ctx.param("code").map(str::to_owned);
    let ip = client_ip(&request);
    if code.is_some() && state.limiter.check(ip).is_err() {
        return too_many(&ctx);
    }
    let registry = state.registry.clone();
    let found = read(&state.registry, move || {
        let lookup = registry.lookup(&number)?;
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
                render(&ctx, &state, &inputs, &View::NotFound),
            );
        }
        Err(e) => return api_error_page(&ctx, &e),
    };
    let (outcome, code_failed) = outcome(
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
    state.metrics.verification(outcome.passed);
    let view = View::Result(Box::new(outcome));
    respond(&ctx, StatusCode::OK, render(&ctx, &state, &inputs, &view))
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
        registry.lookup_by_document(&wanted)
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
                render(&ctx, &state, &Inputs::default(), &view),
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
            render(&ctx, &state, &inputs, &view),
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
            Some(n) if n.len() <= MAX_NUMBER_LEN => match registry.lookup(&n) {
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
                render(&ctx, &state, &inputs, &View::NotFound),
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
    let (outcome, _) = outcome(
        ctx.lang,
        &bundle,
        &jwks,
        report,
        lookup.map(|l| l.letter),
        None,
        sha256.as_deref(),
        Source::Pasted,
    );
    state.metrics.verification(outcome.passed);
    let view = View::Result(Box::new(outcome));
    respond(&ctx, StatusCode::OK, render(&ctx, &state, &inputs, &view))
}
