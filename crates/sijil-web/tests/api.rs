//! The JSON API through actix's test service: every endpoint, its success and
//! its error paths, on a real registry (SQLite in a temporary directory).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use serde_json::{json, Value};
use sijil_registry::{Registry, RegistryOptions, Role};
use sijil_web::{app, AppState, WebSettings};

const BOUNDARY: &str = "sijil-test-boundary";

struct Setup {
    dir: tempfile::TempDir,
    registry: Registry,
    state: AppState,
    clerk: String,
    auditor: String,
    admin: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut options = RegistryOptions::new(dir.path());
    options.origin = Some("bo.test.example".into());
    let registry = Registry::open(options).unwrap();
    let (_, clerk) = registry.create_token("Amina", Role::Clerk).unwrap();
    let (_, auditor) = registry.create_token("Karim", Role::Auditor).unwrap();
    let (_, admin) = registry.create_token("Nadia", Role::Admin).unwrap();
    let mut settings = WebSettings::new("https://bo.test.example");
    settings.max_document_bytes = 1024;
    settings.failures_per_minute = 5;
    let state = AppState::new(registry.clone(), settings);
    Setup {
        dir,
        registry,
        state,
        clerk,
        auditor,
        admin,
    }
}

/// A multipart body with the given (name, file name, content type, bytes) parts.
fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content_type, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file_name {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n")
                    .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(format!("Content-Type: {content_type}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn metadata(sender: &str) -> String {
    json!({"sender": {"name": sender, "national_id": "AB123456"}, "subject": "Demande de relogement", "channel": "paper", "addressee": "Service social"}).to_string()
}

fn register_request(token: &str, body: Vec<u8>) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/letters")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ))
        .set_payload(body)
}

async fn json_of<B: MessageBody>(response: ServiceResponse<B>) -> Value {
    let bytes = read_body(response).await;
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

/// Checks a problem+json answer: its status and that its detail mentions `needle`.
async fn assert_problem<B: MessageBody>(
    response: ServiceResponse<B>,
    status: StatusCode,
    needle: &str,
) {
    assert_eq!(response.status(), status);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap(),
        "application/problem+json"
    );
    let body = json_of(response).await;
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["type"].as_str().unwrap().starts_with("/problems/"),
        "{body}"
    );
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(needle),
        "detail {detail:?} should mention {needle:?}"
    );
}

async fn register<S, B>(service: &S, token: &str, sender: &str, document: &[u8]) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let meta = metadata(sender);
    let body = multipart(&[
        ("metadata", None, "application/json", meta.as_bytes()),
        ("document", Some("plainte.pdf"), "application/pdf", document),
    ]);
    let response = call_service(service, register_request(token, body).to_request()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json_of(response).await
}

#[actix_web::test]
async fn a_clerk_registers_a_letter_and_gets_a_verifiable_bundle() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let body = register(&service, &s.clerk, "Fatima Zahra", b"%PDF scanned").await;
    assert!(body["number"].as_str().unwrap().ends_with("-000001"));
    let code = body["access_code"].as_str().unwrap();
    assert_eq!(
        body["receipt_url"],
        format!(
            "https://bo.test.example/r/{}?code={}",
            body["number"].as_str().unwrap(),
            code
        )
    );
    let bundle: sijil_receipt::bundle::Bundle =
        serde_json::from_value(body["bundle"].clone()).unwrap();
    let report = sijil_receipt::verify::verify_bundle(&bundle, &s.registry.jwks().unwrap(), &[]);
    assert!(report.passed(), "{:?}", report.checks);
}

#[actix_web::test]
async fn registration_refuses_bad_requests_with_problems_and_registers_nothing() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let meta = metadata("A");
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (multipart(&[("document", Some("a.pdf"), "application/pdf", b"x")]), StatusCode::BAD_REQUEST, "metadata part is missing"),
        (multipart(&[("metadata", None, "application/json", b"{not json")]), StatusCode::BAD_REQUEST, "not valid"),
        (
            multipart(&[("metadata", None, "application/json", br#"{"sender":{"name":"A"},"subject":"B","channel":"fax"}"#)]),
            StatusCode::BAD_REQUEST,
            "fax",
        ),
        (
            multipart(&[("metadata", None, "application/json", br#"{"sender":{"name":"A"},"subject":"B","channel":"paper","extra":1}"#)]),
            StatusCode::BAD_REQUEST,
            "extra",
        ),
        (
            multipart(&[("metadata", None, "application/json", br#"{"sender":{"name":"A"},"subject":"B","subject":"C","channel":"paper"}"#)]),
            StatusCode::BAD_REQUEST,
            "duplicate key",
        ),
        (
            multipart(&[("metadata", None, "application/json", br#"{"sender":{"name":" "},"subject":"B","channel":"paper"}"#)]),
            StatusCode::BAD_REQUEST,
            "sender.name is required",
        ),
        (
            multipart(&[("metadata", None, "application/json", meta.as_bytes()), ("document", Some("big.pdf"), "application/pdf", &[0u8; 2000])]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the limit",
        ),
        (
            multipart(&[("metadata", None, "application/json", meta.as_bytes()), ("document", Some("empty.pdf"), "application/pdf", b"")]),
            StatusCode::BAD_REQUEST,
            "empty",
        ),
        (
            multipart(&[("metadata", None, "application/json", meta.as_bytes()), ("document", Some("../../etc/passwd"), "text/plain", b"x")]),
            StatusCode::BAD_REQUEST,
            "folder",
        ),
        (
            multipart(&[("metadata", None, "application/json", meta.as_bytes()), ("surprise", None, "text/plain", b"x")]),
            StatusCode::BAD_REQUEST,
            "unexpected parts",
        ),
        (b"--sijil-test-boundary\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"sen".to_vec(), StatusCode::BAD_REQUEST, "multipart"),
    ];
    for (body, status, needle) in cases {
        let response = call_service(&service, register_request(&s.clerk, body).to_request()).await;
        assert_problem(response, status, needle).await;
    }
    assert_eq!(
        s.registry.checkpoint().unwrap().tree_size,
        0,
        "nothing may be registered"
    );
}

/// The request limit counts the whole body; with the request limit set as
/// `WebSettings::check` demands, a document of the largest accepted size with
/// full metadata is registered, and a body of exactly the limit is accepted
/// while one byte more is refused, with or without a Content-Length.
#[actix_web::test]
async fn requests_up_to_the_limit_are_registered_and_one_byte_more_is_refused() {
    let s = setup();
    let mut settings = WebSettings::new("https://bo.test.example");
    // Over 256 KiB: stored as a file, not with the letter.
    settings.max_document_bytes = 300 * 1024;
    settings.max_request_bytes =
        settings.max_document_bytes + sijil_web::state::REQUEST_OVERHEAD_BYTES;
    settings.check().unwrap();
    let (max_document, limit) = (settings.max_document_bytes, settings.max_request_bytes);
    let state = AppState::new(s.registry.clone(), settings);
    let service = init_service(app(state)).await;
    let meta = json!({
        "sender": {"name": "N".repeat(200), "address": "A".repeat(500), "email": "a@example.ma", "national_id": "AB123456"},
        "reference": "R".repeat(100), "addressee": "D".repeat(200), "subject": "S".repeat(500),
        "channel": "paper", "letter_date": "2026-01-15", "notes": "ن".repeat(5000),
    })
    .to_string();
    let largest = vec![b'x'; max_document as usize];
    let body = multipart(&[
        ("metadata", None, "application/json", meta.as_bytes()),
        ("document", Some("largest.pdf"), "application/pdf", &largest),
    ]);
    let response = call_service(
        &service,
        register_request(&s.clerk, body.clone()).to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut chunked = register_request(&s.clerk, body).to_request();
    chunked.headers_mut().remove("content-length");
    let response = call_service(&service, chunked).await;
    assert_eq!(response.status(), StatusCode::CREATED);

    // Documents that fill the body to exactly `limit + extra` bytes.
    let body_of = |extra: u64| {
        let sizes = |sizes: &[u64]| {
            let documents: Vec<Vec<u8>> = sizes.iter().map(|n| vec![b'y'; *n as usize]).collect();
            let mut parts = vec![("metadata", None, "application/json", meta.as_bytes())];
            parts.extend(documents.iter().enumerate().map(|(i, d)| {
                (
                    "document",
                    Some(if i % 2 == 0 { "a.pdf" } else { "b.pdf" }),
                    "application/pdf",
                    &d[..],
                )
            }));
            multipart(&parts)
        };
        let mut n = 1;
        loop {
            let framing = sizes(&vec![0; n]).len() as u64;
            let room = limit + extra - framing;
            if room <= n as u64 * max_document {
                let mut split = vec![room / n as u64; n];
                split[0] += room % n as u64;
                let body = sizes(&split);
                assert_eq!(body.len() as u64, limit + extra);
                return body;
            }
            n += 1;
        }
    };
    let response = call_service(
        &service,
        register_request(&s.clerk, body_of(0)).to_request(),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "a body of exactly the limit"
    );
    let mut chunked = register_request(&s.clerk, body_of(0)).to_request();
    chunked.headers_mut().remove("content-length");
    let response = call_service(&service, chunked).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "a chunked body of exactly the limit"
    );
    let response = call_service(
        &service,
        register_request(&s.clerk, body_of(1)).to_request(),
    )
    .await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "Content-Length").await;
    let mut chunked = register_request(&s.clerk, body_of(1)).to_request();
    chunked.headers_mut().remove("content-length");
    let response = call_service(&service, chunked).await;
    assert_problem(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "request is larger than the limit",
    )
    .await;
    assert_eq!(s.registry.checkpoint().unwrap().tree_size, 4);
}

#[actix_web::test]
async fn the_clerk_api_needs_a_valid_token_of_the_right_role() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let meta = metadata("A");
    let body = || multipart(&[("metadata", None, "application/json", meta.as_bytes())]);
    let no_token = TestRequest::post()
        .uri("/api/v1/letters")
        .insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ))
        .set_payload(body())
        .to_request();
    let response = call_service(&service, no_token).await;
    assert!(response.headers().contains_key("www-authenticate"));
    assert_problem(response, StatusCode::UNAUTHORIZED, "Bearer").await;
    let response = call_service(
        &service,
        register_request("sijil_wrong", body()).to_request(),
    )
    .await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "not valid").await;
    let response = call_service(&service, register_request(&s.auditor, body()).to_request()).await;
    assert_problem(response, StatusCode::FORBIDDEN, "auditor").await;
    // Revoked tokens stop working at once.
    s.registry.revoke_token("Amina").unwrap();
    let response = call_service(&service, register_request(&s.clerk, body()).to_request()).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "revoked").await;
    for uri in [
        "/api/v1/letters",
        "/api/v1/letters/BO-2026-000001",
        "/api/v1/letters/BO-2026-000001/documents/1",
        "/api/v1/register.csv?from=2026-01-01&to=2026-12-31",
    ] {
        let response = call_service(&service, TestRequest::get().uri(uri).to_request()).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "Bearer").await;
    }
}

#[actix_web::test]
async fn repeated_wrong_tokens_are_rate_limited_per_client() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let peer = "198.51.100.7:4000".parse().unwrap();
    let attempt = |token: &str| {
        TestRequest::get()
            .uri("/api/v1/letters")
            .peer_addr(peer)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    for _ in 0..5 {
        assert_eq!(
            call_service(&service, attempt("sijil_guess"))
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = call_service(&service, attempt("sijil_guess")).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "too many").await;
    // Even the right token waits: the limit is per address, not per token.
    assert_eq!(
        call_service(&service, attempt(&s.clerk)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let other = TestRequest::get()
        .uri("/api/v1/letters")
        .peer_addr("198.51.100.8:4000".parse().unwrap())
        .insert_header(("Authorization", format!("Bearer {}", s.clerk)))
        .to_request();
    assert_eq!(call_service(&service, other).await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn receipt_lookups_show_personal_data_only_with_the_access_code() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let registered = register(&service, &s.clerk, "Fatima Zahra", b"%PDF scanned").await;
    let number = registered["number"].as_str().unwrap();
    let code = registered["access_code"].as_str().unwrap();

    let response = call_service(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/receipts/{number}"))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8(read_body(response).await.to_vec()).unwrap();
    assert!(
        !text.contains("Fatima") && !text.contains("AB123456") && !text.contains("plainte.pdf"),
        "{text}"
    );
    let public: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(public["status"], "registered");
    assert!(public["bundle"]["receipt"].is_string() && public.get("metadata").is_none());

    let response = call_service(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/receipts/{number}?code={code}"))
            .to_request(),
    )
    .await;
    let private = json_of(response).await;
    assert_eq!(private["metadata"]["sender"]["name"], "Fatima Zahra");
    assert_eq!(private["documents"][0]["file_name"], "plainte.pdf");
    assert_eq!(private["metadata_check"]["passed"], true);

    let by_header = TestRequest::get()
        .uri(&format!("/api/v1/receipts/{number}"))
        .insert_header(("X-Access-Code", code.to_lowercase()))
        .to_request();
    assert_eq!(
        json_of(call_service(&service, by_header).await).await["metadata"]["subject"],
        "Demande de relogement"
    );

    let wrong = call_service(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/receipts/{number}?code=0000-0000-0000"))
            .to_request(),
    )
    .await;
    assert_problem(wrong, StatusCode::FORBIDDEN, "does not match").await;
    let malformed = call_service(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/receipts/{number}?code=hello"))
            .to_request(),
    )
    .await;
    assert_problem(malformed, StatusCode::BAD_REQUEST, "access code").await;
    let unknown = call_service(
        &service,
        TestRequest::get()
            .uri("/api/v1/receipts/BO-1999-000001")
            .to_request(),
    )
    .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "BO-1999-000001").await;
    let extra = call_service(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/receipts/{number}?codes=1"))
            .to_request(),
    )
    .await;
    assert_problem(extra, StatusCode::BAD_REQUEST, "invalid query").await;
}

#[actix_web::test]
async fn wrong_access_codes_are_rate_limited() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let registered = register(&service, &s.clerk, "Fatima", b"doc").await;
    let number = registered["number"].as_str().unwrap();
    let peer = "203.0.113.9:5000".parse().unwrap();
    let guess = || {
        TestRequest::get()
            .uri(&format!("/api/v1/receipts/{number}?code=0000-0000-0000"))
            .peer_addr(peer)
            .to_request()
    };
    for _ in 0..5 {
        assert_eq!(
            call_service(&service, guess()).await.status(),
            StatusCode::FORBIDDEN
        );
    }
    assert_problem(
        call_service(&service, guess()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too many",
    )
    .await;
}

#[actix_web::test]
async fn receipts_are_found_by_document_hash() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    register(&service, &s.clerk, "A", b"shared document").await;
    register(&service, &s.clerk, "B", b"other document").await;
    let sha = sijil_receipt::sha256_hex(b"shared document");
    let body = json_of(
        call_service(
            &service,
            TestRequest::get()
                .uri(&format!("/api/v1/receipts?sha256={sha}"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(body["receipts"].as_array().unwrap().len(), 1);
    assert!(body["receipts"][0].get("metadata").is_none());
    let none = json_of(
        call_service(
            &service,
            TestRequest::get()
                .uri(&format!("/api/v1/receipts?sha256={}", "0".repeat(64)))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(none["receipts"].as_array().unwrap().len(), 0);
    let bad = call_service(
        &service,
        TestRequest::get()
            .uri("/api/v1/receipts?sha256=xyz")
            .to_request(),
    )
    .await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "64 hexadecimal").await;
    let missing = call_service(
        &service,
        TestRequest::get().uri("/api/v1/receipts").to_request(),
    )
    .await;
    assert_problem(missing, StatusCode::BAD_REQUEST, "sha256").await;
}

#[actix_web::test]
async fn verify_answers_each_check_for_bundles_and_bare_receipts() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let registered = register(&service, &s.clerk, "A", b"the document").await;
    let mut bundle = registered["bundle"].clone();
    let sha = sijil_receipt::sha256_hex(b"the document");
    bundle["documents"] = json!([{"sha256": sha, "size": 12}]);
    let verify = |body: Value| {
        TestRequest::post()
            .uri("/api/v1/verify")
            .set_json(body)
            .to_request()
    };

    let answer = json_of(call_service(&service, verify(bundle.clone())).await).await;
    assert_eq!(answer["verdict"], "valid", "{answer}");
    let names: Vec<&str> = answer["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for expected in [
        "signature",
        "key validity",
        "checkpoint signature",
        "inclusion",
        "registry record",
        "document 1",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }

    let bare = json!({"receipt": registered["bundle"]["receipt"], "documents": [{"sha256": sijil_receipt::sha256_hex(b"another")}]});
    let answer = json_of(call_service(&service, verify(bare)).await).await;
    assert_eq!(answer["verdict"], "invalid");
    let failed: Vec<&str> = answer["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, vec!["document 1"], "{answer}");

    let mut forged = bundle.clone();
    // Another receipt's signature on this payload: a forgery.
    let receipt = forged["receipt"].as_str().unwrap().to_owned();
    let other = register(&service, &s.clerk, "B", b"another document").await;
    let other_signature = other["bundle"]["receipt"]
        .as_str()
        .unwrap()
        .rsplit('.')
        .next()
        .unwrap()
        .to_owned();
    let (signed, _) = receipt.rsplit_once('.').unwrap();
    forged["receipt"] = format!("{signed}.{other_signature}").into();
    let answer = json_of(call_service(&service, verify(forged)).await).await;
    assert_eq!(answer["verdict"], "invalid");

    let garbage =
        json_of(call_service(&service, verify(json!({"receipt": "not.a.jws"}))).await).await;
    assert_eq!(garbage["verdict"], "invalid");

    let half = json!({"receipt": registered["bundle"]["receipt"], "checkpoint": "x"});
    assert_problem(
        call_service(&service, verify(half)).await,
        StatusCode::BAD_REQUEST,
        "both",
    )
    .await;
    let unknown_field = json!({"receipt": "x", "evil": true});
    assert_problem(
        call_service(&service, verify(unknown_field)).await,
        StatusCode::BAD_REQUEST,
        "evil",
    )
    .await;
    let not_json = TestRequest::post()
        .uri("/api/v1/verify")
        .insert_header(("Content-Type", "text/plain"))
        .set_payload("x")
        .to_request();
    assert_problem(
        call_service(&service, not_json).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "application/json",
    )
    .await;
    let bad_hash = json!({"receipt": "x", "documents": [{"sha256": "zz"}]});
    assert_problem(
        call_service(&service, verify(bad_hash)).await,
        StatusCode::BAD_REQUEST,
        "SHA-256",
    )
    .await;
}

#[actix_web::test]
async fn verify_accepts_receipts_of_rotated_keys() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let before = register(&service, &s.clerk, "A", b"doc a").await;
    s.registry.rotate_key().unwrap();
    register(&service, &s.clerk, "B", b"doc b").await;
    let answer = json_of(
        call_service(
            &service,
            TestRequest::post()
                .uri("/api/v1/verify")
                .set_json(before["bundle"].clone())
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(answer["verdict"], "valid", "{answer}");
    let jwks = json_of(
        call_service(
            &service,
            TestRequest::get()
                .uri("/.well-known/jwks.json")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn the_log_endpoints_serve_checkpoints_proofs_entries_and_keys() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    for i in 0..5 {
        register(
            &service,
            &s.clerk,
            &format!("S{i}"),
            format!("doc {i}").as_bytes(),
        )
        .await;
    }
    let response = call_service(
        &service,
        TestRequest::get()
            .uri("/api/v1/log/checkpoint")
            .to_request(),
    )
    .await;
    assert!(response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let note = String::from_utf8(read_body(response).await.to_vec()).unwrap();
    assert!(note.starts_with("bo.test.example\n5\n"), "{note}");
    let key = String::from_utf8(
        read_body(
            call_service(
                &service,
                TestRequest::get().uri("/api/v1/log/key").to_request(),
            )
            .await,
        )
        .await
        .to_vec(),
    )
    .unwrap();
    let verifier = sijil_receipt::note::NoteVerifier::parse(key.trim()).unwrap();
    sijil_receipt::checkpoint::Checkpoint::open(&note, &[verifier]).unwrap();

    let proof = json_of(
        call_service(
            &service,
            TestRequest::get()
                .uri("/api/v1/log/proof/inclusion?index=2&tree_size=5")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(proof["index"], 2);
    assert_eq!(proof["hashes"].as_array().unwrap().len(), 3);
    let consistency = json_of(
        call_service(
            &service,
            TestRequest::get()
                .uri("/api/v1/log/proof/consistency?from=3&to=5")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (consistency["from"].as_u64(), consistency["to"].as_u64()),
        (Some(3), Some(5))
    );

    let entry = call_service(
        &service,
        TestRequest::get().uri("/api/v1/log/entries/4").to_request(),
    )
    .await;
    assert_eq!(
        entry.headers().get("content-type").unwrap(),
        "application/jose"
    );
    let jws = String::from_utf8(read_body(entry).await.to_vec()).unwrap();
    assert_eq!(jws.split('.').count(), 3);

    for (uri, status, needle) in [
        (
            "/api/v1/log/proof/inclusion?index=5&tree_size=5",
            StatusCode::BAD_REQUEST,
            "below the size",
        ),
        (
            "/api/v1/log/proof/inclusion?index=0&tree_size=6",
            StatusCode::BAD_REQUEST,
            "beyond the latest checkpoint",
        ),
        (
            "/api/v1/log/proof/inclusion?index=-1&tree_size=5",
            StatusCode::BAD_REQUEST,
            "invalid query",
        ),
        (
            "/api/v1/log/proof/inclusion?index=99999999999999999999999&tree_size=5",
            StatusCode::BAD_REQUEST,
            "invalid query",
        ),
        (
            "/api/v1/log/proof/inclusion?index=1",
            StatusCode::BAD_REQUEST,
            "tree_size",
        ),
        (
            "/api/v1/log/proof/consistency?from=0&to=5",
            StatusCode::BAD_REQUEST,
            "0 < from",
        ),
        (
            "/api/v1/log/proof/consistency?from=4&to=3",
            StatusCode::BAD_REQUEST,
            "0 < from",
        ),
        (
            "/api/v1/log/entries/5",
            StatusCode::NOT_FOUND,
            "no log entry 5",
        ),
        (
            "/api/v1/log/entries/-3",
            StatusCode::BAD_REQUEST,
            "invalid path",
        ),
        (
            "/api/v1/log/entries/18446744073709551615",
            StatusCode::NOT_FOUND,
            "no log entry",
        ),
        ("/api/v1/nothing-here", StatusCode::NOT_FOUND, "no endpoint"),
    ] {
        let response = call_service(&service, TestRequest::get().uri(uri).to_request()).await;
        assert_problem(response, status, needle).await;
    }
}

#[actix_web::test]
async fn clerks_read_the_register_letters_documents_and_csv() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let first = register(&service, &s.clerk, "Fatima Zahra", b"first document").await;
    register(&service, &s.clerk, "Ahmed Alaoui", b"second document").await;
    let number = first["number"].as_str().unwrap();
    let get = |uri: String, token: &str| {
        TestRequest::get()
            .uri(&uri)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    let letter = json_of(
        call_service(
            &service,
            get(format!("/api/v1/letters/{number}"), &s.auditor),
        )
        .await,
    )
    .await;
    assert_eq!(letter["metadata"]["sender"]["name"], "Fatima Zahra");
    assert_eq!(letter["access_code"], first["access_code"]);

    let document = call_service(
        &service,
        get(format!("/api/v1/letters/{number}/documents/1"), &s.clerk),
    )
    .await;
    assert_eq!(document.status(), StatusCode::OK);
    assert_eq!(
        document.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    assert!(document
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("plainte.pdf"));
    assert_eq!(read_body(document).await.as_ref(), b"first document");
    let missing = call_service(
        &service,
        get(format!("/api/v1/letters/{number}/documents/2"), &s.clerk),
    )
    .await;
    assert_problem(missing, StatusCode::NOT_FOUND, "no document 2").await;
    let unknown = call_service(
        &service,
        get("/api/v1/letters/BO-1999-000009".into(), &s.clerk),
    )
    .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "BO-1999-000009").await;

    let page = json_of(call_service(&service, get("/api/v1/letters".into(), &s.clerk)).await).await;
    assert_eq!(page["letters"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["letters"][0]["metadata"]["sender"]["name"], "Ahmed Alaoui",
        "newest first"
    );
    let found =
        json_of(call_service(&service, get("/api/v1/letters?q=fatima".into(), &s.clerk)).await)
            .await;
    assert_eq!(found["letters"].as_array().unwrap().len(), 1);
    let by_number = json_of(
        call_service(
            &service,
            get(format!("/api/v1/letters?q={number}"), &s.clerk),
        )
        .await,
    )
    .await;
    assert_eq!(by_number["letters"][0]["number"], number);
    let percent =
        json_of(call_service(&service, get("/api/v1/letters?q=%25".into(), &s.clerk)).await).await;
    assert_eq!(
        percent["letters"].as_array().unwrap().len(),
        0,
        "% is searched literally"
    );
    let old = json_of(
        call_service(
            &service,
            get(
                "/api/v1/letters?from=2000-01-01&to=2000-12-31".into(),
                &s.clerk,
            ),
        )
        .await,
    )
    .await;
    assert_eq!(old["letters"].as_array().unwrap().len(), 0);
    for (uri, needle) in [
        ("/api/v1/letters?page=0", "page"),
        ("/api/v1/letters?from=2026-13-01", "invalid query"),
        (
            "/api/v1/letters?from=2026-02-01&to=2026-01-01",
            "ends before",
        ),
        ("/api/v1/register.csv?from=2026-01-01", "to"),
    ] {
        assert_problem(
            call_service(&service, get(uri.into(), &s.clerk)).await,
            StatusCode::BAD_REQUEST,
            needle,
        )
        .await;
    }

    let csv = call_service(
        &service,
        get(
            "/api/v1/register.csv?from=2000-01-01&to=2100-01-01".into(),
            &s.auditor,
        ),
    )
    .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = String::from_utf8(read_body(csv).await.to_vec()).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(
        text.contains("Fatima Zahra")
            && text.contains(&sijil_receipt::sha256_hex(b"first document"))
    );
}

#[actix_web::test]
async fn health_metrics_and_security_headers() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    register(&service, &s.clerk, "A", b"doc").await;
    let health = call_service(&service, TestRequest::get().uri("/healthz").to_request()).await;
    for header in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ] {
        assert!(health.headers().contains_key(header), "{header}");
    }
    assert!(health
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(json_of(health).await["tree_size"], 1);
    let metrics = String::from_utf8(
        read_body(call_service(&service, TestRequest::get().uri("/metrics").to_request()).await)
            .await
            .to_vec(),
    )
    .unwrap();
    for line in [
        "sijil_registrations_total 1",
        "sijil_batches_total 1",
        "sijil_registration_seconds_count 1",
        "sijil_http_responses_total{class=\"2xx\"}",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
}

/// Resolves `#/components/schemas/X` references.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.push(v.as_str().unwrap_or_default().to_owned());
                }
                refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn the_openapi_document_is_valid_and_lists_every_route() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let api = json_of(
        call_service(
            &service,
            TestRequest::get().uri("/api/v1/openapi.json").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(api["openapi"], "3.1.0");
    assert_eq!(api["info"]["title"], "Sijil");
    let expected = [
        ("/api/v1/receipts/{number}", "get"),
        ("/api/v1/receipts", "get"),
        ("/api/v1/verify", "post"),
        ("/api/v1/log/checkpoint", "get"),
        ("/api/v1/log/proof/inclusion", "get"),
        ("/api/v1/log/proof/consistency", "get"),
        ("/api/v1/log/entries/{index}", "get"),
        ("/api/v1/log/key", "get"),
        ("/.well-known/jwks.json", "get"),
        ("/api/v1/letters", "post"),
        ("/api/v1/letters", "get"),
        ("/api/v1/letters/{number}", "get"),
        ("/api/v1/letters/{number}/documents/{n}", "get"),
        ("/api/v1/register.csv", "get"),
        ("/api/v1/settings/{setting}", "put"),
        ("/api/v1/openapi.json", "get"),
        ("/healthz", "get"),
        ("/metrics", "get"),
    ];
    let paths = api["paths"].as_object().unwrap();
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        operations,
        expected.len(),
        "every route and no other: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
    for (path, method) in expected {
        let operation = &api["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
        // Every path parameter in the template is declared.
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            let declared = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
            assert!(
                declared,
                "{method} {path}: path parameter {name} not declared"
            );
        }
        // And the route answers something other than "no such endpoint".
        let request = match method {
            "post" => TestRequest::post(),
            _ => TestRequest::get(),
        };
        let uri = path
            .replace("{number}", "BO-2026-000001")
            .replace("{index}", "0")
            .replace("{n}", "1");
        let response = call_service(&service, request.uri(&uri).to_request()).await;
        let body = read_body(response).await;
        assert!(
            !String::from_utf8_lossy(&body).contains("no endpoint"),
            "{method} {uri} is not routed"
        );
    }
    let mut references = Vec::new();
    refs(&api, &mut references);
    for reference in references {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
        assert!(
            api["components"]["schemas"][name].is_object(),
            "{reference} does not resolve"
        );
    }
    assert_eq!(
        api["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// The OpenAPI document of `service`.
async fn openapi_of<S, B>(service: &S) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    json_of(
        call_service(
            service,
            TestRequest::get().uri("/api/v1/openapi.json").to_request(),
        )
        .await,
    )
    .await
}

#[actix_web::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    register(&service, &s.clerk, "A", b"doc").await;

    // Every path of the document, with every method it does not declare.
    let api = openapi_of(&service).await;
    let methods = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
    ];
    let mut tried = 0;
    for (template, item) in api["paths"].as_object().unwrap() {
        let declared: Vec<&str> = methods
            .into_iter()
            .filter(|m| item.get(m.to_lowercase()).is_some())
            .collect();
        let uri = template
            .replace("{number}", "BO-2026-000001")
            .replace("{index}", "0")
            .replace("{n}", "1");
        for method in methods.into_iter().filter(|m| !declared.contains(m)) {
            let request = TestRequest::default()
                .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {}", s.clerk)))
                .to_request();
            let response = call_service(&service, request).await;
            let allow = response
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(
                allow.as_deref(),
                Some(declared.join(", ").as_str()),
                "{method} {uri}: Allow"
            );
            assert_problem(response, StatusCode::METHOD_NOT_ALLOWED, method).await;
            tried += 1;
        }
    }
    assert!(tried > 100, "only {tried} requests");

    // The examples of the finding, with their detail.
    for (method, uri, allow) in [
        ("DELETE", "/api/v1/log/checkpoint", "GET"),
        ("POST", "/api/v1/receipts/BO-2026-999999", "GET"),
        ("PUT", "/api/v1/letters", "GET, POST"),
        ("GET", "/api/v1/verify", "POST"),
        ("POST", "/.well-known/jwks.json", "GET"),
        ("DELETE", "/api/v1/letters/x/documents/1", "GET"),
        // Routed on the decoded path, as actix does.
        ("DELETE", "/api/v1/%6Cog/checkpoint", "GET"),
    ] {
        let request = TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri)
            .to_request();
        let response = call_service(&service, request).await;
        assert_eq!(response.headers().get("allow").unwrap(), allow, "{uri}");
        assert_problem(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("answers {allow} only, not {method}"),
        )
        .await;
    }

    // Paths that are no endpoint's stay 404, whatever the method.
    for (method, uri) in [
        ("DELETE", "/api/v1/nothing"),
        ("POST", "/api/v1/log/entries/0/1"),
        ("DELETE", "/api/v1/receipts/BO-2026-000001/"),
        ("PUT", "/api/v1/log/entries/"),
    ] {
        let request = TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri)
            .to_request();
        let response = call_service(&service, request).await;
        assert!(response.headers().get("allow").is_none(), "{uri}");
        assert_problem(response, StatusCode::NOT_FOUND, "no endpoint").await;
    }

    // The pages answer 405 with Allow too (actix's, without a body).
    for (method, uri, allow) in [
        ("DELETE", "/desk/login", "POST"),
        ("DELETE", "/desk", "GET"),
        ("POST", "/", "GET"),
        ("GET", "/desk/letters", "POST"),
        ("PUT", "/r/BO-2026-000001", "GET"),
        ("POST", "/assets/sijil.css", "GET"),
    ] {
        let request = TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri)
            .to_request();
        let response = call_service(&service, request).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
        assert_eq!(response.headers().get("allow").unwrap(), allow, "{uri}");
    }
}

/// The problem+json answers the server gives that schemathesis found
/// undocumented (S1–S4), and a few like them: each is given, and documented
/// for its operation with the Problem schema.
#[actix_web::test]
async fn error_answers_are_the_documented_ones() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let number = register(&service, &s.clerk, "A", b"doc").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = openapi_of(&service).await;
    let bearer = ("Authorization", format!("Bearer {}", s.clerk));
    let documents = format!("/api/v1/letters/{number}/documents");
    let too_big = format!("{{\"receipt\":\"{}\"}}", "a".repeat(1024 * 1024));
    let cases: Vec<(TestRequest, &str, &str, StatusCode, &str)> = vec![
        (
            TestRequest::get().uri("/api/v1/log/entries/-1"),
            "/api/v1/log/entries/{index}",
            "get",
            StatusCode::BAD_REQUEST,
            "invalid path",
        ),
        (
            TestRequest::get()
                .uri(&format!("{documents}/-1"))
                .insert_header(bearer.clone()),
            "/api/v1/letters/{number}/documents/{n}",
            "get",
            StatusCode::BAD_REQUEST,
            "invalid path",
        ),
        (
            TestRequest::get()
                .uri(&format!("{documents}/99999999999"))
                .insert_header(bearer.clone()),
            "/api/v1/letters/{number}/documents/{n}",
            "get",
            StatusCode::BAD_REQUEST,
            "invalid path",
        ),
        (
            TestRequest::post().uri("/api/v1/verify"),
            "/api/v1/verify",
            "post",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            TestRequest::post()
                .uri("/api/v1/verify")
                .insert_header(("Content-Type", "text/plain"))
                .set_payload("{}"),
            "/api/v1/verify",
            "post",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            TestRequest::post()
                .uri("/api/v1/verify")
                .insert_header(("Content-Type", "application/json"))
                .set_payload(too_big),
            "/api/v1/verify",
            "post",
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than",
        ),
        (
            TestRequest::get().uri("/api/v1/receipts/x?extra=1"),
            "/api/v1/receipts/{number}",
            "get",
            StatusCode::BAD_REQUEST,
            "unknown field",
        ),
        (
            TestRequest::get()
                .uri("/api/v1/log/checkpoint")
                .insert_header(bearer.clone()),
            "/api/v1/log/checkpoint",
            "get",
            StatusCode::OK,
            "",
        ),
        (
            TestRequest::get().uri("/api/v1/letters"),
            "/api/v1/letters",
            "get",
            StatusCode::UNAUTHORIZED,
            "Bearer",
        ),
        (
            TestRequest::get()
                .uri("/api/v1/register.csv?from=2026-01-01")
                .insert_header(bearer.clone()),
            "/api/v1/register.csv",
            "get",
            StatusCode::BAD_REQUEST,
            "invalid query",
        ),
        (
            TestRequest::get()
                .uri("/api/v1/letters?q=%00")
                .insert_header(bearer.clone()),
            "/api/v1/letters",
            "get",
            StatusCode::BAD_REQUEST,
            "control characters",
        ),
    ];
    for (request, path, method, status, needle) in cases {
        let response = call_service(&service, request.to_request()).await;
        let documented = &api["paths"][path][method]["responses"][status.as_str()];
        assert!(
            documented.is_object(),
            "{method} {path}: {status} is not documented"
        );
        if status.is_success() {
            assert_eq!(response.status(), status);
            continue;
        }
        assert_eq!(
            documented["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "{method} {path} {status}: {documented}"
        );
        assert_problem(response, status, needle).await;
    }

    // S3: a document keeps its own media type, and the document says any.
    let download = call_service(
        &service,
        TestRequest::get()
            .uri(&format!("{documents}/1"))
            .insert_header(bearer.clone())
            .to_request(),
    )
    .await;
    assert_eq!(
        download.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    let ok = &api["paths"]["/api/v1/letters/{number}/documents/{n}"]["get"]["responses"]["200"];
    let types: Vec<&String> = ok["content"].as_object().unwrap().keys().collect();
    assert_eq!(types, ["*/*"], "{ok}");
    // Binary: no JSON schema for the bytes.
    assert!(ok["content"]["*/*"].get("schema").is_none(), "{ok}");

    // Every clerk operation documents 401 and 429, every error answer is
    // problem+json with the Problem schema.
    for (path, item) in api["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            if operation.get("security").is_some() {
                for status in ["401", "429"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: no {status}"
                    );
                }
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{method} {path} {status}: {response}"
                    );
                }
            }
        }
    }
}

#[actix_web::test]
async fn text_with_nul_characters_is_refused_with_a_problem() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let number = register(&service, &s.clerk, "A", b"doc").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    // JSON escapes: U+0000 inside the metadata's strings.
    for (metadata, needle) in [
        (
            r#"{"sender":{"name":"Khadija\u0000Benali"},"subject":"Demande","channel":"paper"}"#,
            "sender.name contains control characters",
        ),
        (
            r#"{"sender":{"name":"Khadija Benali"},"subject":"Demande\u0000","channel":"paper"}"#,
            "subject contains control characters",
        ),
        (
            r#"{"sender":{"name":"Khadija Benali"},"subject":"Demande","channel":"paper","notes":"a\n\u0000"}"#,
            "notes contains control characters",
        ),
    ] {
        let body = multipart(&[("metadata", None, "application/json", metadata.as_bytes())]);
        let response = call_service(&service, register_request(&s.clerk, body).to_request()).await;
        assert_problem(response, StatusCode::BAD_REQUEST, needle).await;
    }
    let bearer = ("Authorization", format!("Bearer {}", s.clerk));
    let response = call_service(
        &service,
        TestRequest::get()
            .uri("/api/v1/letters?q=A%00")
            .insert_header(bearer.clone())
            .to_request(),
    )
    .await;
    assert_problem(
        response,
        StatusCode::BAD_REQUEST,
        "the search text contains control characters",
    )
    .await;
    for uri in [
        format!("/api/v1/receipts/{number}%00"),
        format!("/api/v1/letters/{number}%00"),
        "/api/v1/letters/%00/documents/1".to_owned(),
    ] {
        let response = call_service(
            &service,
            TestRequest::get()
                .uri(&uri)
                .insert_header(bearer.clone())
                .to_request(),
        )
        .await;
        assert_problem(response, StatusCode::NOT_FOUND, "no letter is registered").await;
    }
    assert_eq!(s.registry.checkpoint().unwrap().tree_size, 1);
}

fn setting_request(token: &str, setting: &str, body: &str) -> TestRequest {
    TestRequest::put()
        .uri(&format!("/api/v1/settings/{setting}"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_owned())
}

#[actix_web::test]
async fn an_administrator_changes_the_institution_name_as_a_signed_config_entry() {
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    register(&service, &s.clerk, "Fatima", b"%PDF one").await;
    let body = json!({"value": "Médiateur du Royaume"}).to_string();
    for token in [&s.clerk, &s.auditor] {
        let response = call_service(
            &service,
            setting_request(token, "institution.name", &body).to_request(),
        )
        .await;
        assert_problem(response, StatusCode::FORBIDDEN, "may not").await;
    }
    let response = call_service(
        &service,
        setting_request(&s.admin, "institution.motto", &body).to_request(),
    )
    .await;
    assert_problem(response, StatusCode::NOT_FOUND, "unknown setting").await;
    let empty = json!({"value": "  "}).to_string();
    let response = call_service(
        &service,
        setting_request(&s.admin, "institution.name", &empty).to_request(),
    )
    .await;
    assert_problem(response, StatusCode::BAD_REQUEST, "cannot be empty").await;
    assert_eq!(
        s.registry.checkpoint().unwrap().tree_size,
        1,
        "nothing written"
    );

    let response = call_service(
        &service,
        setting_request(&s.admin, "institution.name", &body).to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let bundle = json_of(response).await;
    assert_eq!(bundle["inclusion_proof"]["index"], 1);
    let verified = call_service(
        &service,
        TestRequest::post()
            .uri("/api/v1/verify")
            .set_json(&bundle)
            .to_request(),
    )
    .await;
    let verified = json_of(verified).await;
    assert_eq!(verified["verdict"], "valid", "{verified}");
    let claims = sijil_receipt::claims::LeafClaims::from_payload(
        &sijil_receipt::jws::parse_compact(bundle["receipt"].as_str().unwrap())
            .unwrap()
            .payload,
    )
    .unwrap();
    match claims {
        sijil_receipt::claims::LeafClaims::Config(c) => {
            assert_eq!(c.value, json!("Médiateur du Royaume"));
            // The entry is public: it names the token by id, never its holder.
            assert_eq!(c.actor, "token:3");
        }
        other => panic!("not a config entry: {other:?}"),
    }
    let page = call_service(&service, TestRequest::get().uri("/").to_request()).await;
    let html = String::from_utf8(read_body(page).await.to_vec()).unwrap();
    assert!(
        html.contains("Médiateur du Royaume"),
        "the pages show the new name"
    );
    assert!(s.registry.audit(Default::default()).unwrap().passed());
}

#[actix_web::test]
async fn a_record_altered_behind_the_logs_back_is_refused_without_internal_detail() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let s = setup();
    let service = init_service(app(s.state.clone())).await;
    let body = register(&service, &s.clerk, "Fatima", b"%PDF one").await;
    let number = body["number"].as_str().unwrap().to_owned();
    let code = body["access_code"].as_str().unwrap().to_owned();
    diesel::SqliteConnection::establish(s.dir.path().join("sijil.db").to_str().unwrap())
        .unwrap()
        .batch_execute("UPDATE letters SET metadata = REPLACE(metadata, 'Fatima', 'Someone')")
        .unwrap();
    for uri in [
        format!("/api/v1/receipts/{number}?code={code}"),
        format!("/r/{number}?code={code}"),
    ] {
        let response = call_service(&service, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{uri}");
        let text = String::from_utf8(read_body(response).await.to_vec()).unwrap();
        assert!(text.contains("does not match its log"), "{uri}: {text}");
        for internal in ["metadata", "letters", "HMAC", "metadata_sha256"] {
            assert!(!text.contains(internal), "{uri} shows {internal:?}: {text}");
        }
    }
    let response = call_service(
        &service,
        TestRequest::get()
            .uri(&format!("/api/v1/letters/{number}"))
            .insert_header(("Authorization", format!("Bearer {}", s.clerk)))
            .to_request(),
    )
    .await;
    assert_problem(response, StatusCode::CONFLICT, "does not match its log").await;
}
