//! What every page shares: the request's language and query, the one layout
//! (header with the institution and the language switch, main, footer), and
//! the HTML responses, errors included.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::assets::Asset;
use super::i18n::{t, Key, Lang};
use crate::error::ApiError;
use crate::state::AppState;
use crate::util::url_encode;

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "sijil_lang";

/// The request as the pages see it: language, query, institution.
pub struct Ctx {
    /// The page's language.
    pub lang: Lang,
    /// Whether the language was chosen by `?lang=` (and is to be remembered).
    remember_lang: bool,
    /// The path the language switch links to.
    path: String,
    /// The query parameters, `lang` excepted, in order.
    params: Vec<(String, String)>,
    /// The institution's name.
    pub institution: String,
}

impl Ctx {
    /// Reads the language (`?lang=`, else the cookie, else French) and the query.
    pub fn new(request: &HttpRequest, state: &AppState) -> Ctx {
        let all = web::Query::<Vec<(String, String)>>::from_query(request.query_string())
            .map(web::Query::into_inner)
            .unwrap_or_default();
        let chosen = all
            .iter()
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::from_code(v));
        let remembered = request
            .cookie(LANG_COOKIE)
            .and_then(|c| Lang::from_code(c.value()));
        let params = all.into_iter().filter(|(k, _)| k != "lang").collect();
        Ctx {
            lang: chosen.or(remembered).unwrap_or(Lang::Fr),
            remember_lang: chosen.is_some(),
            path: request.path().to_owned(),
            params,
            institution: state
                .registry
                .settings()
                .institution_name()
                .unwrap_or_else(|error| {
                    // A page still renders with the configured name; the fault is logged.
                    tracing::error!(%error, "the institution's name could not be read");
                    state.registry.config().institution.clone()
                }),
        }
    }

    /// The language switch links to `path` (with no query) instead of this
    /// request's address: for answers to POST requests.
    pub fn switch_to(mut self, path: &str) -> Ctx {
        path.clone_into(&mut self.path);
        self.params.clear();
        self
    }

    /// A string in the page's language.
    pub fn t(&self, key: Key) -> &'static str {
        t(self.lang, key)
    }

    /// The first non-blank value of a query parameter, trimmed.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// This page in another language: the same path and query, `lang` replaced.
    pub fn lang_link(&self, lang: Lang) -> String {
        let mut link = self.path.clone();
        let mut separator = '?';
        for (k, v) in &self.params {
            link.push(separator);
            link.push_str(&url_encode(k));
            link.push('=');
            link.push_str(&url_encode(v));
            separator = '&';
        }
        link.push(separator);
        link.push_str("lang=");
        link.push_str(lang.code());
        link
    }
}

/// A page: the layout around `body`, with the page's scripts.
pub fn page(ctx: &Ctx, title: &str, body: Markup, scripts: &[Asset]) -> Markup {
    let lang = ctx.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " — " (ctx.institution) }
                // No favicon request (and no 404 for it).
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(Asset::Css.href());
                @for script in scripts {
                    script src=(script.href()) defer {}
                }
            }
            body {
                a.skip href="#main" { (ctx.t(Key::SkipToContent)) }
                header.site-header {
                    div.wrap.header-row {
                        a.institution href="/" { (ctx.institution) }
                        nav.site-nav aria-label=(ctx.t(Key::NavVerify)) {
                            a href="/" { (ctx.t(Key::NavVerify)) }
                            a href="/desk" { (ctx.t(Key::NavDesk)) }
                        }
                        nav.lang-switch aria-label=(ctx.t(Key::LanguageLabel)) {
                            @for other in Lang::ALL {
                                @if other == lang {
                                    a href=(ctx.lang_link(other)) lang=(other.code()) hreflang=(other.code())
                                        aria-current="true" { (other.own_name()) }
                                } @else {
                                    a href=(ctx.lang_link(other)) lang=(other.code()) hreflang=(other.code()) {
                                        (other.own_name())
                                    }
                                }
                            }
                        }
                    }
                }
                main #main .wrap tabindex="-1" {
                    (body)
                }
                footer.site-footer {
                    div.wrap {
                        p { (ctx.t(Key::FooterAbout)) }
                        p.footer-links {
                            a href="/.well-known/jwks.json" { (ctx.t(Key::FooterKeys)) }
                            " · "
                            a href="/api/v1/log/checkpoint" { (ctx.t(Key::FooterCheckpoint)) }
                        }
                    }
                }
            }
        }
    }
}

/// The HTML response of a page.
pub fn respond(ctx: &Ctx, status: StatusCode, markup: Markup) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        // Pages may show personal data and depend on cookies: never stored.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_LANGUAGE, ctx.lang.code()));
    if ctx.remember_lang {
        response.cookie(
            Cookie::build(LANG_COOKIE, ctx.lang.code())
                .path("/")
                .same_site(SameSite::Lax)
                .max_age(CookieDuration::days(365))
                .finish(),
        );
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        response.insert_header((header::RETRY_AFTER, "60"));
    }
    response.body(markup.into_string())
}

/// A 303 redirect (after a POST).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// An error page: a plain message with the right status.
pub fn error_page(
    ctx: &Ctx,
    status: StatusCode,
    message: &str,
    detail: Option<&str>,
) -> HttpResponse {
    let body = html! {
        h1 { (ctx.t(Key::ErrorTitle)) }
        div.notice.error role="alert" {
            p { (message) }
            @if let Some(detail) = detail {
                p.detail lang="en" dir="ltr" { (detail) }
            }
        }
        p { a href="/" { (ctx.t(Key::BackHome)) } }
    };
    respond(ctx, status, page(ctx, ctx.t(Key::ErrorTitle), body, &[]))
}

/// The words for an error of the API's type: a localized message and, for
/// bad input, the registry's own (English) detail.
pub fn describe_error(ctx: &Ctx, error: &ApiError) -> (StatusCode, &'static str, Option<String>) {
    use actix_web::ResponseError;
    let status = error.status_code();
    let (key, detail) = match error {
        ApiError::BadRequest(d) | ApiError::Conflict(d) | ApiError::UnsupportedMediaType(d) => {
            (Key::ErrorBadRequest, Some(d.clone()))
        }
        ApiError::Unauthorized(_) => (Key::ErrorSignInNeeded, None),
        ApiError::Forbidden(_) => (Key::ErrorForbidden, None),
        ApiError::NotFound(_) => (Key::ErrorNotFound, None),
        ApiError::MethodNotAllowed { detail, .. } => (Key::ErrorBadRequest, Some(detail.clone())),
        ApiError::TooLarge(d) => (Key::ErrorTooLarge, Some(d.clone())),
        ApiError::TooManyRequests(_) => (Key::ErrorTooMany, None),
        ApiError::Unavailable(_) => (Key::ErrorUnavailable, None),
        ApiError::Internal(cause) => {
            tracing::error!(%cause, "internal error on a page");
            (Key::ErrorInternal, None)
        }
    };
    (status, ctx.t(key), detail)
}

/// The error page of an API error.
pub fn api_error_page(ctx: &Ctx, error: &ApiError) -> HttpResponse {
    let (status, message, detail) = describe_error(ctx, error);
    error_page(ctx, status, message, detail.as_deref())
}

/// `template` with each `{name}` replaced by markup (the rest escaped).
pub fn fill_markup(template: &str, args: &[(&str, Markup)]) -> Markup {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, markup)) => {
                out.push_str(&html! { (rest[..start]) }.into_string());
                out.push_str(&markup.0);
            }
            None => out.push_str(&html! { (rest[..start + len + 1]) }.into_string()),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(&html! { (rest) }.into_string());
    PreEscaped(out)
}

/// Text that reads left to right inside any paragraph (numbers, codes, hashes).
pub fn ltr(text: &str) -> Markup {
    html! { bdi dir="ltr" { (text) } }
}

/// The 429 page.
pub fn too_many(ctx: &Ctx) -> HttpResponse {
    error_page(
        ctx,
        StatusCode::TOO_MANY_REQUESTS,
        ctx.t(Key::ErrorTooMany),
        None,
    )
}
