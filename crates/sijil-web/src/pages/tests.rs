//! The pages through the production application (`crate::app`, its
//! middleware and default service included) on a real registry (SQLite in a
//! temporary directory): the shape of `tests/common::TestApp`, with the
//! request bodies and metadata of `sijil_testkit`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use serde_json::json;
use sijil_receipt::metadata::{Channel, LetterMetadata};
use sijil_registry::{NewLetter, Registration, Registry, RegistryOptions, Role};
use sijil_testkit::fixtures;
use sijil_testkit::multipart::{Multipart, Part};
use tempfile::TempDir;

use super::desk::csrf_token;
use crate::state::{AppState, WebSettings};

const SENDER: &str = "Fatima Zahra Bennani";
const SUBJECT: &str = "Réclamation logement social";
const DOCUMENT: &[u8] = b"%PDF-1.4 the scanned letter";

/// A registry in a temporary directory, and the state the application serves.
struct Fixture {
    _dir: TempDir,
    state: AppState,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(RegistryOptions::new(dir.path().join("data"))).unwrap();
    let state = AppState::new(registry, WebSettings::new("http://localhost:8080"));
    Fixture { _dir: dir, state }
}

impl Fixture {
    /// The production application on this fixture's state, as a test service.
    async fn app(
        &self,
    ) -> impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    > {
        actix_web::test::init_service(crate::app(self.state.clone())).await
    }
}

/// Registers a letter with one document, directly in the registry.
fn register(fixture: &Fixture) -> Registration {
    let registry = &fixture.state.registry;
    let stored = registry
        .documents()
        .store("plainte.pdf", "application/pdf", &mut &DOCUMENT[..], None)
        .unwrap();
    let metadata = fixtures::edited(fixtures::minimal(SENDER, SUBJECT), |m| {
        m["addressee"] = json!("Service des plaintes")
    });
    let metadata: LetterMetadata = serde_json::from_value(metadata).unwrap();
    registry
        .letters()
        .register(NewLetter {
            metadata,
            documents: vec![stored],
        })
        .unwrap()
}

fn document_sha256() -> String {
    sijil_receipt::sha256_hex(DOCUMENT)
}

async fn body_of<B: MessageBody>(response: ServiceResponse<B>) -> String {
    String::from_utf8(actix_web::test::read_body(response).await.to_vec()).unwrap()
}

fn get(uri: &str) -> actix_web::test::TestRequest {
    actix_web::test::TestRequest::get().uri(uri)
}

fn peer() -> std::net::SocketAddr {
    "192.0.2.7:40000".parse().unwrap()
}

fn url(text: &str) -> String {
    crate::util::url_encode(text)
}

#[actix_web::test]
async fn the_verification_page_renders_in_french_arabic_and_english() {
    let fixture = fixture();
    let app = fixture.app().await;

    let response = actix_web::test::call_service(&app, get("/").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = body_of(response).await;
    assert!(html.contains(r#"<html lang="fr" dir="ltr">"#), "{html}");
    assert!(html.contains("Vérifier un accusé de réception"));
    for id in [
        "number",
        "code",
        "document",
        "verify-submit",
        "receipt",
        "dropzone",
        "sha256",
    ] {
        assert!(html.contains(&format!(r#"id="{id}""#)), "missing #{id}");
    }
    assert!(html.contains(r#"<label for="number""#) && html.contains(r#"<label for="document""#));
    // The file input has no name: the file is never part of a form submission.
    assert!(
        html.contains(r#"<input id="document" type="file" aria"#),
        "{html}"
    );
    assert!(html.contains("/assets/verify.js?v="));
    assert!(
        !html.contains("style=") && !html.contains("onclick"),
        "inline style or handler"
    );
    assert!(
        html.contains(r#"href="/.well-known/jwks.json""#)
            && html.contains(r#"href="/api/v1/log/checkpoint""#)
    );

    let response = actix_web::test::call_service(&app, get("/?lang=ar").to_request()).await;
    let cookie = response
        .response()
        .cookies()
        .find(|c| c.name() == "sijil_lang")
        .unwrap()
        .into_owned();
    assert_eq!(cookie.value(), "ar");
    assert_eq!(cookie.same_site(), Some(SameSite::Lax));
    let html = body_of(response).await;
    assert!(html.contains(r#"<html lang="ar" dir="rtl">"#));
    assert!(html.contains("التحقق من وصل الإيداع"));

    // The cookie remembers the choice; ?lang= wins over it.
    let request = get("/")
        .cookie(Cookie::new("sijil_lang", "en"))
        .to_request();
    let html = body_of(actix_web::test::call_service(&app, request).await).await;
    assert!(html.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(html.contains("Verify an acknowledgement of receipt"));
    let request = get("/?lang=fr")
        .cookie(Cookie::new("sijil_lang", "en"))
        .to_request();
    let html = body_of(actix_web::test::call_service(&app, request).await).await;
    assert!(html.contains(r#"<html lang="fr" dir="ltr">"#));
}

#[actix_web::test]
async fn the_language_switch_keeps_the_other_parameters() {
    let fixture = fixture();
    let app = fixture.app().await;
    let html = body_of(
        actix_web::test::call_service(&app, get("/?number=BO-X&lang=en").to_request()).await,
    )
    .await;
    assert!(
        html.contains(r#"href="/?number=BO-X&amp;lang=ar""#),
        "{html}"
    );
    assert!(html.contains(r#"href="/?number=BO-X&amp;lang=fr""#));
}

#[actix_web::test]
async fn a_number_with_its_code_shows_the_sender_and_without_it_does_not() {
    let fixture = fixture();
    let registration = register(&fixture);
    let app = fixture.app().await;
    let number = url(&registration.number);
    let code = registration.access_code.as_str().to_owned();

    let uri = format!("/?number={number}&code={}", url(&code));
    let response =
        actix_web::test::call_service(&app, get(&uri).peer_addr(peer()).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let html = body_of(response).await;
    assert!(html.contains(SENDER) && html.contains(SUBJECT), "{html}");
    assert!(html.contains("plainte.pdf"));
    assert!(html.contains("Cet accusé est authentique"));
    assert!(html.contains("Enregistré le "));
    assert!(html.contains("de l'Hégire"));
    assert!(html.contains(&registration.number));
    assert!(html.contains(&document_sha256()));
    assert!(html.contains(r#"data-check="metadata""#));
    assert!(!html.contains("check fail"), "{html}");
    assert!(html.contains(r#"id="browser-status""#));
    assert!(html.contains(r#"data-source="registry""#));

    // Without the code: the hashes and sizes, nothing personal.
    let uri = format!("/?number={number}");
    let html = body_of(actix_web::test::call_service(&app, get(&uri).to_request()).await).await;
    assert!(
        !html.contains(SENDER) && !html.contains(SUBJECT) && !html.contains("plainte.pdf"),
        "{html}"
    );
    assert!(!html.contains(&code));
    assert!(html.contains(&document_sha256()));
    assert!(html.contains("Cet accusé est authentique"));
    assert!(html.contains(r#"id="personal-hidden""#));

    // A wrong code: a message, still nothing personal.
    let wrong = if code.starts_with('A') {
        "BBBB-BBBB-BBBB"
    } else {
        "AAAA-AAAA-AAAA"
    };
    let uri = format!("/?number={number}&code={wrong}");
    let response =
        actix_web::test::call_service(&app, get(&uri).peer_addr(peer()).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = body_of(response).await;
    assert!(html.contains("ne correspond pas à ce courrier"), "{html}");
    assert!(!html.contains(SENDER) && !html.contains(SUBJECT));

    // Not even a code.
    let uri = format!("/?number={number}&code=hello&lang=en");
    let html = body_of(actix_web::test::call_service(&app, get(&uri).to_request()).await).await;
    assert!(html.contains("This access code is not valid"));
    assert!(!html.contains(SENDER));
}

#[actix_web::test]
async fn wrong_codes_are_rate_limited_per_client() {
    let fixture = fixture();
    let registration = register(&fixture);
    let app = fixture.app().await;
    let number = url(&registration.number);
    let wrong = if registration.access_code.as_str().starts_with('A') {
        "BBBB-BBBB-BBBB"
    } else {
        "AAAA-AAAA-AAAA"
    };
    for _ in 0..20 {
        let uri = format!("/?number={number}&code={wrong}");
        let response =
            actix_web::test::call_service(&app, get(&uri).peer_addr(peer()).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let uri = format!(
        "/?number={number}&code={}",
        url(registration.access_code.as_str())
    );
    let response =
        actix_web::test::call_service(&app, get(&uri).peer_addr(peer()).to_request()).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!body_of(response).await.contains(SENDER));
    // The receipt page shares the limit.
    let uri = format!(
        "/r/{number}?code={}",
        url(registration.access_code.as_str())
    );
    let response =
        actix_web::test::call_service(&app, get(&uri).peer_addr(peer()).to_request()).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client is not affected; the public view needs no code.
    let other: std::net::SocketAddr = "192.0.2.8:40000".parse().unwrap();
    let response =
        actix_web::test::call_service(&app, get(&uri).peer_addr(other).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_web::test]
async fn an_unknown_number_is_a_404_page() {
    let fixture = fixture();
    let app = fixture.app().await;
    let response =
        actix_web::test::call_service(&app, get("/?number=BO-2026-999999").to_request()).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = body_of(response).await;
    assert!(
        html.contains("Aucun courrier n'est enregistré sous ce numéro"),
        "{html}"
    );
    assert!(html.contains(r#"id="number""#));

    let response =
        actix_web::test::call_service(&app, get("/r/BO-2026-999999?lang=en").to_request()).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body_of(response)
        .await
        .contains("No letter is registered under this number"));
}

#[actix_web::test]
async fn a_dropped_document_hash_is_compared_with_the_receipt() {
    let fixture = fixture();
    let registration = register(&fixture);
    let app = fixture.app().await;
    let number = url(&registration.number);

    let uri = format!(
        "/?number={number}&sha256={}",
        document_sha256().to_uppercase()
    );
    let html = body_of(actix_web::test::call_service(&app, get(&uri).to_request()).await).await;
    assert!(
        html.contains(r#"id="server-document-result" class="notice match""#),
        "{html}"
    );
    assert!(html.contains("Ce document correspond au document n°1 de l'accusé"));

    let other = sijil_receipt::sha256_hex(b"another file");
    let uri = format!("/?number={number}&sha256={other}&lang=ar");
    let html = body_of(actix_web::test::call_service(&app, get(&uri).to_request()).await).await;
    assert!(html.contains(r#"class="notice mismatch""#));
    assert!(html.contains("هذه الوثيقة لا تطابق أي وثيقة في هذا الوصل"));

    let uri = format!("/?number={number}&sha256=12ab");
    let response = actix_web::test::call_service(&app, get(&uri).to_request()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Without a number: which letters hold this document?
    let uri = format!("/?sha256={}", document_sha256());
    let html = body_of(actix_web::test::call_service(&app, get(&uri).to_request()).await).await;
    assert!(
        html.contains(r#"id="search-results""#) && html.contains(&registration.number),
        "{html}"
    );
    assert!(!html.contains(SENDER));
}

#[actix_web::test]
async fn a_pasted_bundle_or_jws_is_verified() {
    let fixture = fixture();
    let registration = register(&fixture);
    let app = fixture.app().await;
    let bundle = serde_json::to_string(&registration.bundle).unwrap();

    let request = actix_web::test::TestRequest::post()
        .uri("/verify")
        .set_form([
            ("receipt", bundle.as_str()),
            ("sha256", document_sha256().as_str()),
        ])
        .to_request();
    let response = actix_web::test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = body_of(response).await;
    assert!(html.contains("Cet accusé est authentique"), "{html}");
    assert!(
        html.contains(r#"data-check="registry record""#)
            && html.contains(r#"data-source="pasted""#)
    );
    assert!(html.contains("correspond au document n°1"));
    assert!(!html.contains(SENDER));

    let request = actix_web::test::TestRequest::post()
        .uri("/verify?lang=en")
        .set_form([("receipt", registration.bundle.receipt.as_str())])
        .to_request();
    let html = body_of(actix_web::test::call_service(&app, request).await).await;
    assert!(html.contains("This receipt is genuine"), "{html}");

    // A receipt whose signature was tampered with fails, in plain words.
    let mut tampered = registration.bundle.clone();
    let last = tampered.receipt.pop().unwrap();
    tampered.receipt.push(if last == 'A' { 'B' } else { 'A' });
    let request = actix_web::test::TestRequest::post()
        .uri("/verify")
        .set_form([("receipt", serde_json::to_string(&tampered).unwrap())])
        .to_request();
    let response = actix_web::test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = body_of(response).await;
    assert!(
        html.contains("au moins une vérification a échoué"),
        "{html}"
    );
    assert!(html.contains("check fail"));

    let request = actix_web::test::TestRequest::post()
        .uri("/verify")
        .set_form([("receipt", "not a receipt")])
        .to_request();
    let response = actix_web::test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = body_of(response).await;
    assert!(html.contains("n'est pas un accusé lisible") && html.contains("not a receipt"));
}

#[actix_web::test]
async fn the_acknowledgement_shows_personal_data_only_with_the_code() {
    let fixture = fixture();
    let registration = register(&fixture);
    let app = fixture.app().await;
    let number = url(&registration.number);
    let code = registration.access_code.as_str().to_owned();

    let response =
        actix_web::test::call_service(&app, get(&format!("/r/{number}")).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = body_of(response).await;
    assert!(html.contains("Accusé de réception"));
    assert!(html.contains("Bureau d'ordre"), "the institution's name");
    assert!(html.contains(r#"id="receipt-number""#) && html.contains(&registration.number));
    assert!(html.contains(r#"<div id="qr"><svg role="img""#), "{html}");
    assert!(html.contains(r#"id="receipt-hijri""#) && html.contains("de l'Hégire"));
    assert!(html.contains(&document_sha256()));
    assert!(!html.contains(SENDER) && !html.contains("plainte.pdf") && !html.contains(&code));
    assert!(!html.contains(r#"id="access-code""#));
    let public_url = fixture.state.verify_url(&registration.number, None);
    assert!(
        html.contains(&format!(
            r#"id="qr-link" href="{}""#,
            public_url.replace('&', "&amp;")
        )),
        "{html}"
    );
    assert!(html.contains(r#"id="print-button""#) && html.contains("/assets/desk.js?v="));

    let uri = format!("/r/{number}?code={}&lang=ar", url(&code));
    let response =
        actix_web::test::call_service(&app, get(&uri).peer_addr(peer()).to_request()).await;
    let html = body_of(response).await;
    assert!(html.contains(r#"lang="ar" dir="rtl""#));
    assert!(html.contains("وصل الإيداع"));
    assert!(html.contains(SENDER) && html.contains(SUBJECT) && html.contains("plainte.pdf"));
    assert!(
        html.contains(&format!(r#"id="access-code" dir="ltr">{code}<"#)),
        "{html}"
    );
    let with_code = fixture.state.verify_url(&registration.number, Some(&code));
    assert!(html.contains(&format!(
        r#"id="qr-link" href="{}""#,
        with_code.replace('&', "&amp;")
    )));
    assert!(html.contains(" هـ"), "Hijri date in Arabic");
    assert!(html.contains("ورقي"), "the channel");

    let uri = format!("/r/{number}?code=AAAA-AAAA-AAA0");
    let html = body_of(actix_web::test::call_service(&app, get(&uri).to_request()).await).await;
    assert!(html.contains(r#"id="code-result""#) && !html.contains(SENDER));
}

/// Signs in at the desk; checks the cookie; returns the session token.
macro_rules! sign_in {
    ($app:expr, $token:expr) => {{
        let request = actix_web::test::TestRequest::post()
            .uri("/desk/login")
            .peer_addr(peer())
            .set_form([("token", $token.as_str())])
            .to_request();
        let response = actix_web::test::call_service(&$app, request).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers().get(header::LOCATION).unwrap(), "/desk");
        let cookie = response
            .response()
            .cookies()
            .find(|c| c.name() == "sijil_desk")
            .unwrap()
            .into_owned();
        assert_eq!(cookie.value(), $token.as_str());
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Strict));
        assert_eq!(cookie.path(), Some("/"));
        cookie.value().to_owned()
    }};
}

fn post_letter(
    token: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> actix_web::test::TestRequest {
    let form = Multipart::new()
        .parts(fields.iter().map(|(name, value)| Part::field(name, value)))
        .parts(
            files
                .iter()
                .map(|(file_name, bytes)| Part::document(file_name, bytes)),
        );
    actix_web::test::TestRequest::post()
        .uri("/desk/letters")
        .peer_addr(peer())
        .cookie(Cookie::new("sijil_desk", token.to_owned()))
        .insert_header((header::CONTENT_TYPE, form.content_type()))
        .set_payload(form.body())
}

#[actix_web::test]
async fn a_clerk_signs_in_registers_a_letter_and_prints_its_receipt() {
    let fixture = fixture();
    let (_, token) = fixture
        .state
        .registry
        .access()
        .create_token("Amina", Role::Clerk)
        .unwrap();
    let app = fixture.app().await;

    // Signed out: the sign-in form.
    let html = body_of(actix_web::test::call_service(&app, get("/desk").to_request()).await).await;
    assert!(html.contains(r#"id="token""#) && html.contains(r#"id="login-submit""#));
    assert!(html.contains(r#"action="/desk/login""#));

    let token = sign_in!(app, token);
    let request = get("/desk")
        .cookie(Cookie::new("sijil_desk", token.clone()))
        .to_request();
    let html = body_of(actix_web::test::call_service(&app, request).await).await;
    assert!(html.contains("Amina"), "{html}");
    assert!(html.contains(r#"id="register-submit""#) && html.contains(r#"id="register-form""#));
    assert!(html.contains(&format!(r#"name="csrf" value="{}""#, csrf_token(&token))));
    assert!(
        html.contains(r#"name="sender_name" required autofocus"#),
        "{html}"
    );
    assert!(html.contains(r#"<option value="paper" selected>"#));
    assert!(html.contains(r#"name="document" multiple"#));
    assert!(html.contains("Aucun courrier enregistré aujourd'hui"));

    // Without the CSRF token: refused, nothing registered.
    let fields = [
        ("sender_name", SENDER),
        ("subject", SUBJECT),
        ("channel", "paper"),
    ];
    let response = actix_web::test::call_service(
        &app,
        post_letter(&token, &fields, &[("scan.pdf", DOCUMENT)]).to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let zeros = "0".repeat(64);
    let wrong = [
        ("csrf", zeros.as_str()),
        ("sender_name", SENDER),
        ("subject", SUBJECT),
    ];
    let response =
        actix_web::test::call_service(&app, post_letter(&token, &wrong, &[]).to_request()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(body_of(response).await.contains("Ce formulaire a expiré"));

    // With it: registered, and the clerk is sent to the receipt with its code.
    let csrf = csrf_token(&token);
    let fields = [
        ("csrf", csrf.as_str()),
        ("sender_name", SENDER),
        ("subject", SUBJECT),
        ("channel", "email"),
        ("reference", "REF-42"),
        ("letter_date", ""),
        ("notes", ""),
    ];
    let response = actix_web::test::call_service(
        &app,
        post_letter(&token, &fields, &[("scan.pdf", DOCUMENT)]).to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response
        .headers()
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with("/r/") && location.contains("?code="),
        "{location}"
    );
    let number = location
        .trim_start_matches("/r/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let letter = fixture.state.registry.letters().letter(&number).unwrap();
    assert_eq!(letter.metadata.sender.name, SENDER);
    assert_eq!(letter.metadata.channel, Channel::Email);
    assert_eq!(letter.metadata.reference.as_deref(), Some("REF-42"));
    assert_eq!(letter.documents.len(), 1);
    assert_eq!(letter.documents[0].sha256, document_sha256());
    assert!(location.ends_with(&url(letter.access_code.as_str())));

    let request = get(&location)
        .cookie(Cookie::new("sijil_desk", token.clone()))
        .peer_addr(peer())
        .to_request();
    let html = body_of(actix_web::test::call_service(&app, request).await).await;
    assert!(
        html.contains(SENDER)
            && html.contains("scan.pdf")
            && html.contains(letter.access_code.as_str())
    );

    // The desk session alone shows the receipt in full (reprint).
    let request = get(&format!("/r/{number}"))
        .cookie(Cookie::new("sijil_desk", token.clone()))
        .to_request();
    let html = body_of(actix_web::test::call_service(&app, request).await).await;
    assert!(html.contains(SENDER) && html.contains(r#"id="access-code""#));

    // Today's register lists it, with a reprint link.
    let request = get("/desk")
        .cookie(Cookie::new("sijil_desk", token.clone()))
        .to_request();
    let html = body_of(actix_web::test::call_service(&app, request).await).await;
    assert!(
        html.contains(r#"id="today""#) && html.contains(&format!(r#"href="/r/{number}""#)),
        "{html}"
    );
    assert!(html.contains(SUBJECT));
}

#[actix_web::test]
async fn a_failed_registration_keeps_the_form_values() {
    let fixture = fixture();
    let (_, token) = fixture
        .state
        .registry
        .access()
        .create_token("Amina", Role::Clerk)
        .unwrap();
    let app = fixture.app().await;
    let csrf = csrf_token(&token);
    let fields = [
        ("csrf", csrf.as_str()),
        ("sender_name", SENDER),
        ("subject", ""),
        ("reference", "REF-7"),
    ];
    let response =
        actix_web::test::call_service(&app, post_letter(&token, &fields, &[]).to_request()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = body_of(response).await;
    assert!(html.contains(r#"id="register-error""#), "{html}");
    assert!(html.contains("subject is required"));
    assert!(html.contains(&format!(r#"value="{SENDER}""#)) && html.contains(r#"value="REF-7""#));
}

#[actix_web::test]
async fn a_wrong_token_is_refused_and_counted() {
    let fixture = fixture();
    let app = fixture.app().await;
    let request = actix_web::test::TestRequest::post()
        .uri("/desk/login")
        .peer_addr(peer())
        .set_form([("token", "sijil_not-a-real-token")])
        .to_request();
    let response = actix_web::test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response
        .response()
        .cookies()
        .all(|c| c.name() != "sijil_desk"));
    let html = body_of(response).await;
    assert!(html.contains("Ce jeton n'est pas valide") && html.contains(r#"id="token""#));

    for _ in 0..19 {
        let request = actix_web::test::TestRequest::post()
            .uri("/desk/login")
            .peer_addr(peer())
            .set_form([("token", "sijil_guess")])
            .to_request();
        assert_eq!(
            actix_web::test::call_service(&app, request).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let request = actix_web::test::TestRequest::post()
        .uri("/desk/login")
        .peer_addr(peer())
        .set_form([("token", "sijil_guess")])
        .to_request();
    let response = actix_web::test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
}

#[actix_web::test]
async fn an_auditor_cannot_register() {
    let fixture = fixture();
    let (_, token) = fixture
        .state
        .registry
        .access()
        .create_token("Karim", Role::Auditor)
        .unwrap();
    let app = fixture.app().await;
    let token = sign_in!(app, token);

    let request = get("/desk")
        .cookie(Cookie::new("sijil_desk", token.clone()))
        .to_request();
    let html = body_of(actix_web::test::call_service(&app, request).await).await;
    assert!(!html.contains(r#"id="register-form""#));
    assert!(html.contains("ne permet pas d'enregistrer"));

    let csrf = csrf_token(&token);
    let fields = [
        ("csrf", csrf.as_str()),
        ("sender_name", SENDER),
        ("subject", SUBJECT),
    ];
    let response =
        actix_web::test::call_service(&app, post_letter(&token, &fields, &[]).to_request()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let registry = &fixture.state.registry;
    assert!(registry
        .letters()
        .list_letters(0, i64::MAX, None, 1, 10)
        .unwrap()
        .is_empty());
}

#[actix_web::test]
async fn sign_out_needs_the_csrf_token_and_revoked_tokens_stop_at_once() {
    let fixture = fixture();
    let (_, token) = fixture
        .state
        .registry
        .access()
        .create_token("Amina", Role::Clerk)
        .unwrap();
    let app = fixture.app().await;
    let token = sign_in!(app, token);

    let request = actix_web::test::TestRequest::post()
        .uri("/desk/logout")
        .cookie(Cookie::new("sijil_desk", token.clone()))
        .set_form([("csrf", "wrong")])
        .to_request();
    assert_eq!(
        actix_web::test::call_service(&app, request).await.status(),
        StatusCode::FORBIDDEN
    );

    let request = actix_web::test::TestRequest::post()
        .uri("/desk/logout")
        .cookie(Cookie::new("sijil_desk", token.clone()))
        .set_form([("csrf", csrf_token(&token))])
        .to_request();
    let response = actix_web::test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let removal = response
        .response()
        .cookies()
        .find(|c| c.name() == "sijil_desk")
        .unwrap()
        .into_owned();
    assert_eq!(removal.value(), "");

    fixture
        .state
        .registry
        .access()
        .revoke_token("Amina")
        .unwrap();
    let request = get("/desk")
        .cookie(Cookie::new("sijil_desk", token.clone()))
        .to_request();
    let html = body_of(actix_web::test::call_service(&app, request).await).await;
    assert!(html.contains(r#"id="token""#) && !html.contains(r#"id="register-form""#));
    let csrf = csrf_token(&token);
    let fields = [
        ("csrf", csrf.as_str()),
        ("sender_name", SENDER),
        ("subject", SUBJECT),
    ];
    let response =
        actix_web::test::call_service(&app, post_letter(&token, &fields, &[]).to_request()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn assets_are_served_with_their_types() {
    let fixture = fixture();
    let app = fixture.app().await;
    for (file, kind) in [
        ("sijil.css", "text/css"),
        ("verify.js", "text/javascript"),
        ("desk.js", "text/javascript"),
    ] {
        let response =
            actix_web::test::call_service(&app, get(&format!("/assets/{file}?v=1")).to_request())
                .await;
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with(kind), "{file}: {content_type}");
        assert_eq!(
            response.headers().get(header::CACHE_CONTROL).unwrap(),
            "public, max-age=3600"
        );
        assert!(!body_of(response).await.is_empty());
    }
    let response =
        actix_web::test::call_service(&app, get("/assets/secret.txt").to_request()).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response =
        actix_web::test::call_service(&app, get("/assets/..%2Fsrc%2Flib.rs").to_request()).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn unknown_pages_and_get_verify_are_handled() {
    let fixture = fixture();
    let app = fixture.app().await;
    let response = actix_web::test::call_service(&app, get("/nowhere?lang=en").to_request()).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body_of(response)
        .await
        .contains("This page does not exist."));
    let response = actix_web::test::call_service(&app, get("/verify").to_request()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers().get(header::LOCATION).unwrap(), "/");
}

#[test]
fn the_stylesheet_prints_on_a4() {
    let css = include_str!("../../assets/sijil.css");
    assert!(css.contains("@page { size: A4"));
    assert!(css.contains("@media print"));
    assert!(css.contains(":focus-visible"));
}
