//! The clerk desk: sign in with a token, register a letter (then print its
//! acknowledgement at once), see today's register, reprint a receipt.
//!
//! The session is the token itself in an HttpOnly, SameSite=Strict cookie,
//! re-authenticated on every request so that a revoked token stops working at
//! once. Every desk form that changes something carries a CSRF token derived
//! from the session token.

use std::collections::BTreeMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sijil_receipt::metadata::Channel;
use sijil_registry::{LetterRecord, Permission, Registry, Role, TokenInfo};

use super::assets::Asset;
use super::i18n::{format_date, format_time, Key};
use super::layout::{describe_error, error_page, page, respond, see_other, too_many, Ctx};
use super::local_time;
use crate::error::ApiError;
use crate::intake;
use crate::security::client_ip;
use crate::state::AppState;
use crate::util::{blocking, read, url_encode};

/// The desk's session cookie: the clerk's token.
pub const DESK_COOKIE: &str = "sijil_desk";

/// The most letters today's register shows.
const TODAY_MAX: u32 = 500;

/// Who is at the desk.
pub enum Session {
    /// No session cookie.
    None,
    /// A cookie whose token is not (or no longer) valid.
    Invalid,
    /// A live token.
    Valid {
        /// The token's holder and role.
        info: TokenInfo,
        /// The token itself (the CSRF token derives from it).
        token: String,
    },
}

/// Authenticates the desk cookie, if any (failures count against the client).
pub async fn session(request: &HttpRequest, state: &AppState) -> Result<Session, ApiError> {
    let Some(cookie) = request.cookie(DESK_COOKIE) else {
        return Ok(Session::None);
    };
    let token = cookie.value().to_owned();
    if token.is_empty() {
        return Ok(Session::None);
    }
    let ip = client_ip(request);
    state.limiter.check(ip)?;
    let registry = state.registry.clone();
    let secret = token.clone();
    match read(&state.registry, move || {
        registry.access().authenticate(&secret)
    })
    .await?
    {
        Some(info) => Ok(Session::Valid { info, token }),
        None => {
            state.limiter.fail(ip);
            Ok(Session::Invalid)
        }
    }
}

/// The CSRF token of a session: lowercase hex SHA-256 of `"sijil-csrf:" + token`.
pub fn csrf_token(token: &str) -> String {
    hex::encode(Sha256::digest(format!("sijil-csrf:{token}").as_bytes()))
}

/// Whether a form's `csrf` field is the session's (compared in constant time).
fn csrf_matches(token: &str, given: Option<&str>) -> bool {
    let expected = csrf_token(token);
    let given = given.unwrap_or_default().trim();
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn session_cookie(state: &AppState, token: &str) -> Cookie<'static> {
    Cookie::build(DESK_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.secure_cookies)
        .finish()
}

fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = session_cookie(state, "");
    cookie.make_removal();
    cookie
}

fn role_name(ctx: &Ctx, role: Role) -> &'static str {
    ctx.t(match role {
        Role::Clerk => Key::RoleClerk,
        Role::Auditor => Key::RoleAuditor,
        Role::Admin => Key::RoleAdmin,
    })
}

/// The sign-in page.
fn sign_in(ctx: &Ctx, status: StatusCode, error: Option<&str>) -> HttpResponse {
    let body = html! {
        h1 { (ctx.t(Key::SignInTitle)) }
        section.card.narrow aria-labelledby="sign-in-title" {
            h2 #sign-in-title .visually-hidden { (ctx.t(Key::SignInTitle)) }
            @if let Some(error) = error {
                div #login-error .notice.error role="alert" { p { (error) } }
            }
            p { (ctx.t(Key::SignInIntro)) }
            form #login-form method="post" action="/desk/login" {
                div.field {
                    label for="token" { (ctx.t(Key::TokenLabel)) }
                    input #token type="password" name="token" required autofocus autocomplete="off"
                        spellcheck="false" autocapitalize="off" dir="ltr";
                }
                div.actions {
                    button #login-submit .primary type="submit" { (ctx.t(Key::SignIn)) }
                }
            }
        }
    };
    respond(ctx, status, page(ctx, ctx.t(Key::SignInTitle), body, &[]))
}

/// Today's letters, newest first, and today's date, in the registry's time zone.
fn today(registry: &Registry) -> sijil_registry::Result<(NaiveDate, Vec<LetterRecord>)> {
    let tz = registry.time_zone();
    let now = DateTime::<Utc>::from_timestamp_millis(registry.now_ms()).unwrap_or_default();
    let day = now.with_timezone(&tz).date_naive();
    let start = registry.letters().day_start_ms(day)?;
    let end = registry
        .letters()
        .day_start_ms(day.succ_opt().unwrap_or(day))?;
    let letters = registry
        .letters()
        .list_letters(start, end, None, 1, TODAY_MAX)?;
    Ok((day, letters))
}

/// One labelled single-line input of the registration form.
struct Field<'a> {
    name: &'a str,
    label: Key,
    kind: &'a str,
    required: bool,
    autofocus: bool,
    autocomplete: &'a str,
    ltr: bool,
}

impl Field<'_> {
    fn render(&self, ctx: &Ctx, values: &BTreeMap<String, String>) -> Markup {
        let id = format!("f-{}", self.name.replace('_', "-"));
        html! {
            div.field {
                label for=(id) {
                    (ctx.t(self.label))
                    @if self.required {
                        " " span.required { "(" (ctx.t(Key::Required)) ")" }
                    }
                }
                input id=(id) type=(self.kind) name=(self.name) value=[values.get(self.name)]
                    required[self.required] autofocus[self.autofocus] autocomplete=(self.autocomplete)
                    dir=[self.ltr.then_some("ltr")];
            }
        }
    }
}

fn field<'a>(name: &'a str, label: Key) -> Field<'a> {
    Field {
        name,
        label,
        kind: "text",
        required: false,
        autofocus: false,
        autocomplete: "off",
        ltr: false,
    }
}

fn channel_label(ctx: &Ctx, channel: Channel) -> &'static str {
    ctx.t(match channel {
        Channel::Paper => Key::ChannelPaper,
        Channel::Email => Key::ChannelEmail,
        Channel::Web => Key::ChannelWeb,
        Channel::Partner => Key::ChannelPartner,
    })
}

/// The registration form, `values` kept after an error.
fn register_form(ctx: &Ctx, csrf: &str, values: &BTreeMap<String, String>) -> Markup {
    let channel = values.get("channel").map(String::as_str).unwrap_or("paper");
    html! {
        form #register-form method="post" action="/desk/letters" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            fieldset {
                legend { (ctx.t(Key::EssentialLegend)) }
                (Field { required: true, autofocus: true, ..field("sender_name", Key::SenderNameLabel) }.render(ctx, values))
                (Field { required: true, ..field("subject", Key::SubjectLabel) }.render(ctx, values))
                div.field {
                    label for="f-channel" { (ctx.t(Key::ChannelLabel)) }
                    select #f-channel name="channel" {
                        @for c in Channel::ALL {
                            option value=(c.as_str()) selected[c.as_str() == channel] { (channel_label(ctx, c)) }
                        }
                    }
                }
                div.field {
                    label for="f-document" { (ctx.t(Key::DocumentsLabel)) }
                    input #f-document type="file" name="document" multiple aria-describedby="f-document-hint";
                    p #f-document-hint .hint { (ctx.t(Key::DocumentsHint)) }
                }
            }
            fieldset {
                legend { (ctx.t(Key::DetailsLegend)) }
                div.grid {
                    (field("reference", Key::ReferenceLabel).render(ctx, values))
                    (Field { kind: "date", ..field("letter_date", Key::LetterDateLabel) }.render(ctx, values))
                    (field("addressee", Key::AddresseeLabel).render(ctx, values))
                    (Field { autocomplete: "street-address", ..field("sender_address", Key::SenderAddressLabel) }.render(ctx, values))
                    (Field { kind: "email", autocomplete: "email", ltr: true, ..field("sender_email", Key::SenderEmailLabel) }.render(ctx, values))
                    (Field { ltr: true, ..field("national_id", Key::NationalIdLabel) }.render(ctx, values))
                }
                (field("notes", Key::NotesLabel).render(ctx, values))
            }
            p.hint { (ctx.t(Key::NewLetterHint)) }
            div.actions {
                button #register-submit .primary type="submit" data-busy=(ctx.t(Key::Registering)) {
                    (ctx.t(Key::RegisterSubmit))
                }
            }
        }
    }
}

/// The desk of a signed-in clerk.
async fn desk(
    ctx: &Ctx,
    state: &AppState,
    info: &TokenInfo,
    token: &str,
    values: &BTreeMap<String, String>,
    error: Option<&ApiError>,
    status: StatusCode,
) -> HttpResponse {
    let registry = state.registry.clone();
    let (day, letters) = match blocking(move || today(&registry)).await {
        Ok(today) => today,
        Err(e) => return super::layout::api_error_page(ctx, &e),
    };
    let csrf = csrf_token(token);
    let role = role_name(ctx, info.role);
    let can_register = info.role.allows(Permission::Register);
    let failure = error.map(|e| describe_error(ctx, e));
    let body = html! {
        div.desk-head {
            h1 { (ctx.t(Key::DeskTitle)) }
            div.session {
                span #signed-in-as {
                    (super::i18n::tf(ctx.lang, Key::SignedInAs, &[("name", &info.name), ("role", role)]))
                }
                form #logout-form method="post" action="/desk/logout" {
                    input type="hidden" name="csrf" value=(csrf);
                    button #logout-submit .secondary type="submit" { (ctx.t(Key::SignOut)) }
                }
            }
        }
        @if can_register {
            section.card aria-labelledby="register-title" {
                h2 #register-title { (ctx.t(Key::NewLetterTitle)) }
                @if let Some((_, message, detail)) = &failure {
                    div #register-error .notice.error role="alert" {
                        p { (super::i18n::tf(ctx.lang, Key::RegisterFailed, &[("reason", message)])) }
                        @if let Some(detail) = detail {
                            p.detail lang="en" dir="ltr" { (detail) }
                        }
                    }
                }
                (register_form(ctx, &csrf, values))
            }
        } @else {
            div #register-error .notice role="status" {
                p { (super::i18n::tf(ctx.lang, Key::CannotRegister, &[("role", role)])) }
            }
        }
        section.card aria-labelledby="today-title" {
            h2 #today-title { (super::i18n::tf(ctx.lang, Key::TodayTitle, &[("date", &format_date(ctx.lang, day))])) }
            @if letters.is_empty() {
                p #today-empty { (ctx.t(Key::TodayEmpty)) }
            } @else {
                div.table-scroll {
                    table #today {
                        thead {
                            tr {
                                th scope="col" { (ctx.t(Key::TableNumber)) }
                                th scope="col" { (ctx.t(Key::TimeLabel)) }
                                th scope="col" { (ctx.t(Key::SenderLabel)) }
                                th scope="col" { (ctx.t(Key::SubjectLabel)) }
                                th scope="col" { (ctx.t(Key::TableReceipt)) }
                            }
                        }
                        tbody {
                            @for letter in &letters {
                                tr {
                                    td.mono { bdi dir="ltr" { (letter.number) } }
                                    td.mono {
                                        @if let Some(t) = local_time(state, &letter.registered_at) { (format_time(&t)) }
                                    }
                                    td { bdi { (letter.metadata.sender.name) } }
                                    td { bdi { (letter.metadata.subject) } }
                                    td {
                                        a href=(format!("/r/{}", url_encode(&letter.number))) {
                                            (ctx.t(Key::Reprint)) span.visually-hidden { " " (letter.number) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(
        ctx,
        status,
        page(ctx, ctx.t(Key::DeskTitle), body, &[Asset::DeskJs]),
    )
}

/// `GET /desk`.
pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = Ctx::new(&request, &state);
    match session(&request, &state).await {
        Ok(Session::Valid { info, token }) => {
            desk(
                &ctx,
                &state,
                &info,
                &token,
                &BTreeMap::new(),
                None,
                StatusCode::OK,
            )
            .await
        }
        Ok(Session::None) => sign_in(&ctx, StatusCode::OK, None),
        Ok(Session::Invalid) => {
            let mut response = sign_in(&ctx, StatusCode::OK, Some(ctx.t(Key::ErrorSignInNeeded)));
            let _ = response.add_cookie(&removal_cookie(&state));
            response
        }
        Err(ApiError::TooManyRequests(_)) => too_many(&ctx),
        Err(e) => super::layout::api_error_page(&ctx, &e),
    }
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
}

/// `POST /desk/login`.
pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: Result<web::Form<LoginForm>, actix_web::Error>,
) -> HttpResponse {
    let ctx = Ctx::new(&request, &state).switch_to("/desk");
    let ip = client_ip(&request);
    if state.limiter.check(ip).is_err() {
        return too_many(&ctx);
    }
    let token = form
        .map(|f| f.into_inner().token.trim().to_owned())
        .unwrap_or_default();
    if token.is_empty() {
        return sign_in(
            &ctx,
            StatusCode::UNAUTHORIZED,
            Some(ctx.t(Key::SignInFailed)),
        );
    }
    let registry = state.registry.clone();
    let secret = token.clone();
    match read(&state.registry, move || {
        registry.access().authenticate(&secret)
    })
    .await
    {
        Ok(Some(info)) => {
            tracing::info!(clerk = %info.name, role = %info.role, "desk sign-in");
            let mut response = see_other("/desk");
            let _ = response.add_cookie(&session_cookie(&state, &token));
            response
        }
        Ok(None) => {
            state.limiter.fail(ip);
            tracing::warn!(client = ?ip, "desk sign-in with an invalid token");
            sign_in(
                &ctx,
                StatusCode::UNAUTHORIZED,
                Some(ctx.t(Key::SignInFailed)),
            )
        }
        Err(e) => super::layout::api_error_page(&ctx, &e),
    }
}

/// A form that only carries the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /desk/logout`.
pub async fn logout(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: Result<web::Form<CsrfForm>, actix_web::Error>,
) -> HttpResponse {
    let ctx = Ctx::new(&request, &state).switch_to("/desk");
    match session(&request, &state).await {
        Ok(Session::Valid { info, token }) => {
            let csrf = form.ok().map(|f| f.into_inner().csrf);
            if !csrf_matches(&token, csrf.as_deref()) {
                return error_page(&ctx, StatusCode::FORBIDDEN, ctx.t(Key::ErrorCsrf), None);
            }
            tracing::info!(clerk = %info.name, "desk sign-out");
        }
        Ok(Session::None | Session::Invalid) => {}
        Err(ApiError::TooManyRequests(_)) => return too_many(&ctx),
        Err(e) => return super::layout::api_error_page(&ctx, &e),
    }
    let mut response = see_other("/desk");
    let _ = response.add_cookie(&removal_cookie(&state));
    response
}

/// `POST /desk/letters`: registers the form's letter, then sends the clerk
/// to its acknowledgement (with the access code) to print it.
pub async fn register(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let ctx = Ctx::new(&request, &state).switch_to("/desk");
    let (info, token) = match session(&request, &state).await {
        Ok(Session::Valid { info, token }) => (info, token),
        Ok(Session::None | Session::Invalid) => {
            let mut response = sign_in(
                &ctx,
                StatusCode::UNAUTHORIZED,
                Some(ctx.t(Key::ErrorSignInNeeded)),
            );
            let _ = response.add_cookie(&removal_cookie(&state));
            return response;
        }
        Err(ApiError::TooManyRequests(_)) => return too_many(&ctx),
        Err(e) => return super::layout::api_error_page(&ctx, &e),
    };
    if !info.role.allows(Permission::Register) {
        let role = role_name(&ctx, info.role);
        let message = super::i18n::tf(ctx.lang, Key::CannotRegister, &[("role", role)]);
        return error_page(&ctx, StatusCode::FORBIDDEN, &message, None);
    }
    // Documents stream into the store's tmp/ as they arrive and are put in
    // place only when the letter is registered; a refused request (a wrong
    // CSRF token included) drops them and their files, so checking the token
    // after reading the body is safe.
    let mut received = match intake::receive(&state, &request, payload).await {
        Ok(received) => received,
        Err(e) => {
            let status = failure_status(&e);
            return desk(
                &ctx,
                &state,
                &info,
                &token,
                &BTreeMap::new(),
                Some(&e),
                status,
            )
            .await;
        }
    };
    let csrf = received.fields.remove("csrf");
    if !csrf_matches(&token, csrf.as_deref()) {
        tracing::warn!(clerk = %info.name, "desk registration refused: missing or wrong CSRF token");
        return error_page(&ctx, StatusCode::FORBIDDEN, ctx.t(Key::ErrorCsrf), None);
    }
    let values = received.fields.clone();
    let documents = received.documents.len();
    let letter = match received.into_letter() {
        Ok(letter) => letter,
        Err(e) => {
            let status = failure_status(&e);
            return desk(&ctx, &state, &info, &token, &values, Some(&e), status).await;
        }
    };
    match intake::register(&state, letter).await {
        Ok(registration) => {
            tracing::info!(
                clerk = %info.name,
                number = %registration.number,
                index = registration.index,
                documents,
                "letter registered at the desk"
            );
            see_other(&format!(
                "/r/{}?code={}",
                url_encode(&registration.number),
                url_encode(registration.access_code.as_str())
            ))
        }
        Err(e) => {
            tracing::warn!(clerk = %info.name, error = %e, "desk registration failed");
            let status = failure_status(&e);
            desk(&ctx, &state, &info, &token, &values, Some(&e), status).await
        }
    }
}

/// The status of a failed registration: the error's own.
fn failure_status(error: &ApiError) -> StatusCode {
    actix_web::ResponseError::status_code(error)
}
