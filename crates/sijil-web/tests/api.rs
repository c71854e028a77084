//! The JSON API through the production application (`sijil_web::app`, its
//! middleware included): every endpoint, its success and its error paths, on
//! a real registry. Every test runs on SQLite (`sqlite::<name>`) and on
//! PostgreSQL (`postgres::<name>`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use actix_web::http::StatusCode;
use actix_web::test::{read_body, TestRequest};
use common::{
    assert_problem, json_of, register_body, register_request, text_of, Backend, TestApp,
    FAILURES_PER_MINUTE, PUBLIC_URL,
};
use serde_json::{json, Value};
use sijil_testkit::fixtures;
use sijil_testkit::multipart::{Multipart, Part, BOUNDARY};
use sijil_web::WebSettings;

on_both_backends!(
    a_clerk_registers_a_letter_and_gets_a_verifiable_bundle,
    registration_refuses_bad_requests_with_problems_and_registers_nothing,
    requests_up_to_the_limit_are_registered_and_one_byte_more_is_refused,
    the_clerk_api_needs_a_valid_token_of_the_right_role,
    repeated_wrong_tokens_are_rate_limited_per_client,
    receipt_lookups_show_personal_data_only_with_the_access_code,
    wrong_access_codes_are_rate_limited,
    receipts_are_found_by_document_hash,
    verify_answers_each_check_for_bundles_and_bare_receipts,
    verify_accepts_receipts_of_rotated_keys,
    the_log_endpoints_serve_checkpoints_proofs_entries_and_keys,
    clerks_read_the_register_letters_documents_and_csv,
    health_metrics_and_security_headers,
    the_openapi_document_is_valid_and_lists_every_route,
    a_known_path_with_another_method_is_405_with_allow,
    error_answers_are_the_documented_ones,
    text_with_nul_characters_is_refused_with_a_problem,
    an_administrator_changes_the_institution_name_as_a_signed_config_entry,
    a_record_altered_behind_the_logs_back_is_refused_without_internal_detail,
);

/// `POST /api/v1/letters` of a form that only has a metadata part with this text.
fn metadata_only(token: &str, metadata: &str) -> TestRequest {
    register_request(token, &Multipart::new().part(Part::metadata(metadata)))
}

async fn a_clerk_registers_a_letter_and_gets_a_verifiable_bundle(backend: Backend) {
    let app = TestApp::new(backend).await;
    let body = app
        .register(&app.clerk, "Fatima Zahra", b"%PDF scanned")
        .await;
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
    let report = sijil_receipt::verify::verify_bundle(&bundle, &app.registry.jwks().unwrap(), &[]);
    assert!(report.passed(), "{:?}", report.checks);
}

async fn registration_refuses_bad_requests_with_problems_and_registers_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let meta = fixtures::letter("A").to_string();
    let form = |parts: Vec<Part>| Multipart::new().parts(parts).body();
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            form(vec![Part::document("a.pdf", b"x")]),
            StatusCode::BAD_REQUEST,
            "metadata part is missing",
        ),
        (
            form(vec![Part::metadata("{not json")]),
            StatusCode::BAD_REQUEST,
            "not valid",
        ),
        (
            form(vec![Part::metadata(
                r#"{"sender":{"name":"A"},"subject":"B","channel":"fax"}"#,
            )]),
            StatusCode::BAD_REQUEST,
            "fax",
        ),
        (
            form(vec![Part::metadata(
                r#"{"sender":{"name":"A"},"subject":"B","channel":"paper","extra":1}"#,
            )]),
            StatusCode::BAD_REQUEST,
            "extra",
        ),
        (
            form(vec![Part::metadata(
                r#"{"sender":{"name":"A"},"subject":"B","subject":"C","channel":"paper"}"#,
            )]),
            StatusCode::BAD_REQUEST,
            "duplicate key",
        ),
        (
            form(vec![Part::metadata(
                r#"{"sender":{"name":" "},"subject":"B","channel":"paper"}"#,
            )]),
            StatusCode::BAD_REQUEST,
            "sender.name is required",
        ),
        (
            form(vec![
                Part::metadata(&meta),
                Part::document("big.pdf", [0u8; 2000]),
            ]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the limit",
        ),
        (
            form(vec![
                Part::metadata(&meta),
                Part::document("empty.pdf", b""),
            ]),
            StatusCode::BAD_REQUEST,
            "empty",
        ),
        (
            form(vec![
                Part::metadata(&meta),
                Part::file("document", "../../etc/passwd", "text/plain", b"x"),
            ]),
            StatusCode::BAD_REQUEST,
            "folder",
        ),
        (
            form(vec![
                Part::metadata(&meta),
                Part::new("surprise", None, Some("text/plain"), b"x"),
            ]),
            StatusCode::BAD_REQUEST,
            "unexpected parts",
        ),
        (
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{{\"sen"
            )
            .into_bytes(),
            StatusCode::BAD_REQUEST,
            "multipart",
        ),
    ];
    for (body, status, needle) in cases {
        let response = app.call(register_body(&app.clerk, body)).await;
        assert_problem(response, status, needle).await;
    }
    assert_eq!(
        app.registry.log().checkpoint().unwrap().tree_size,
        0,
        "nothing may be registered"
    );
}

/// The request limit counts the whole body; with the request limit set as
/// `WebSettings::check` demands, a document of the largest accepted size with
/// full metadata is registered, and a body of exactly the limit is accepted
/// while one byte more is refused, with or without a Content-Length.
async fn requests_up_to_the_limit_are_registered_and_one_byte_more_is_refused(backend: Backend) {
    let mut settings = WebSettings::new(PUBLIC_URL);
    // Over 256 KiB: stored as a file, not with the letter.
    settings.max_document_bytes = 300 * 1024;
    settings.max_request_bytes =
        settings.max_document_bytes + sijil_web::state::REQUEST_OVERHEAD_BYTES;
    settings.check().unwrap();
    let (max_document, limit) = (settings.max_document_bytes, settings.max_request_bytes);
    let app = TestApp::with_settings(backend, settings).await;
    let meta = fixtures::full();
    let largest = vec![b'x'; max_document as usize];
    let form = Multipart::new()
        .metadata(&meta)
        .document("largest.pdf", &largest);
    let response = app.call(register_request(&app.clerk, &form)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut chunked = register_request(&app.clerk, &form).to_request();
    chunked.headers_mut().remove("content-length");
    let response = app.call(chunked).await;
    assert_eq!(response.status(), StatusCode::CREATED);

    // Documents that fill the body to exactly `limit + extra` bytes.
    let body_of = |extra: u64| {
        let sizes = |sizes: &[u64]| {
            let documents = sizes.iter().enumerate().map(|(i, n)| {
                let file_name = if i % 2 == 0 { "a.pdf" } else { "b.pdf" };
                Part::document(file_name, vec![b'y'; *n as usize])
            });
            Multipart::new().metadata(&meta).parts(documents).body()
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
    let response = app.call(register_body(&app.clerk, body_of(0))).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "a body of exactly the limit"
    );
    let mut chunked = register_body(&app.clerk, body_of(0)).to_request();
    chunked.headers_mut().remove("content-length");
    let response = app.call(chunked).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "a chunked body of exactly the limit"
    );
    let response = app.call(register_body(&app.clerk, body_of(1))).await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "Content-Length").await;
    let mut chunked = register_body(&app.clerk, body_of(1)).to_request();
    chunked.headers_mut().remove("content-length");
    let response = app.call(chunked).await;
    assert_problem(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "request is larger than the limit",
    )
    .await;
    assert_eq!(app.registry.log().checkpoint().unwrap().tree_size, 4);
}

async fn the_clerk_api_needs_a_valid_token_of_the_right_role(backend: Backend) {
    let app = TestApp::new(backend).await;
    let form = Multipart::new().metadata(&fixtures::letter("A"));
    let no_token = TestRequest::post()
        .uri("/api/v1/letters")
        .insert_header(("Content-Type", form.content_type()))
        .set_payload(form.body())
        .to_request();
    let response = app.call(no_token).await;
    assert!(response.headers().contains_key("www-authenticate"));
    assert_problem(response, StatusCode::UNAUTHORIZED, "Bearer").await;
    let response = app.call(register_request("sijil_wrong", &form)).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "not valid").await;
    let response = app.call(register_request(&app.auditor, &form)).await;
    assert_problem(response, StatusCode::FORBIDDEN, "auditor").await;
    // Revoked tokens stop working at once.
    app.registry.access().revoke_token("Amina").unwrap();
    let response = app.call(register_request(&app.clerk, &form)).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "revoked").await;
    for uri in [
        "/api/v1/letters",
        "/api/v1/letters/BO-2026-000001",
        "/api/v1/letters/BO-2026-000001/documents/1",
        "/api/v1/register.csv?from=2026-01-01&to=2026-12-31",
    ] {
        let response = app.call(TestRequest::get().uri(uri).to_request()).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "Bearer").await;
    }
}

async fn repeated_wrong_tokens_are_rate_limited_per_client(backend: Backend) {
    let app = TestApp::new(backend).await;
    let peer = "198.51.100.7:4000".parse().unwrap();
    let attempt = |token: &str| {
        TestRequest::get()
            .uri("/api/v1/letters")
            .peer_addr(peer)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    for _ in 0..FAILURES_PER_MINUTE {
        assert_eq!(
            app.call(attempt("sijil_guess")).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = app.call(attempt("sijil_guess")).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "too many").await;
    // Even the right token waits: the limit is per address, not per token.
    assert_eq!(
        app.call(attempt(&app.clerk)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let other = TestRequest::get()
        .uri("/api/v1/letters")
        .peer_addr("198.51.100.8:4000".parse().unwrap())
        .insert_header(("Authorization", format!("Bearer {}", app.clerk)))
        .to_request();
    assert_eq!(app.call(other).await.status(), StatusCode::OK);
}

async fn receipt_lookups_show_personal_data_only_with_the_access_code(backend: Backend) {
    let app = TestApp::new(backend).await;
    let registered = app
        .register(&app.clerk, "Fatima Zahra", b"%PDF scanned")
        .await;
    let number = registered["number"].as_str().unwrap();
    let code = registered["access_code"].as_str().unwrap();

    let response = app
        .call(
            TestRequest::get()
                .uri(&format!("/api/v1/receipts/{number}"))
                .to_request(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = text_of(response).await;
    assert!(
        !text.contains("Fatima") && !text.contains("AB123456") && !text.contains("plainte.pdf"),
        "{text}"
    );
    let public: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(public["status"], "registered");
    assert!(public["bundle"]["receipt"].is_string() && public.get("metadata").is_none());

    let response = app
        .call(
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
        json_of(app.call(by_header).await).await["metadata"]["subject"],
        "Demande de relogement"
    );

    let wrong = app
        .call(
            TestRequest::get()
                .uri(&format!("/api/v1/receipts/{number}?code=0000-0000-0000"))
                .to_request(),
        )
        .await;
    assert_problem(wrong, StatusCode::FORBIDDEN, "does not match").await;
    let malformed = app
        .call(
            TestRequest::get()
                .uri(&format!("/api/v1/receipts/{number}?code=hello"))
                .to_request(),
        )
        .await;
    assert_problem(malformed, StatusCode::BAD_REQUEST, "access code").await;
    let unknown = app
        .call(
            TestRequest::get()
                .uri("/api/v1/receipts/BO-1999-000001")
                .to_request(),
        )
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "BO-1999-000001").await;
    let extra = app
        .call(
            TestRequest::get()
                .uri(&format!("/api/v1/receipts/{number}?codes=1"))
                .to_request(),
        )
        .await;
    assert_problem(extra, StatusCode::BAD_REQUEST, "invalid query").await;
}

async fn wrong_access_codes_are_rate_limited(backend: Backend) {
    let app = TestApp::new(backend).await;
    let registered = app.register(&app.clerk, "Fatima", b"doc").await;
    let number = registered["number"].as_str().unwrap();
    let peer = "203.0.113.9:5000".parse().unwrap();
    let guess = || {
        TestRequest::get()
            .uri(&format!("/api/v1/receipts/{number}?code=0000-0000-0000"))
            .peer_addr(peer)
            .to_request()
    };
    for _ in 0..FAILURES_PER_MINUTE {
        assert_eq!(app.call(guess()).await.status(), StatusCode::FORBIDDEN);
    }
    assert_problem(
        app.call(guess()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too many",
    )
    .await;
}

async fn receipts_are_found_by_document_hash(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register(&app.clerk, "A", b"shared document").await;
    app.register(&app.clerk, "B", b"other document").await;
    let sha = sijil_receipt::sha256_hex(b"shared document");
    let body = json_of(
        app.call(
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
        app.call(
            TestRequest::get()
                .uri(&format!("/api/v1/receipts?sha256={}", "0".repeat(64)))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(none["receipts"].as_array().unwrap().len(), 0);
    let bad = app
        .call(
            TestRequest::get()
                .uri("/api/v1/receipts?sha256=xyz")
                .to_request(),
        )
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "64 hexadecimal").await;
    let missing = app
        .call(TestRequest::get().uri("/api/v1/receipts").to_request())
        .await;
    assert_problem(missing, StatusCode::BAD_REQUEST, "sha256").await;
}

async fn verify_answers_each_check_for_bundles_and_bare_receipts(backend: Backend) {
    let app = TestApp::new(backend).await;
    let registered = app.register(&app.clerk, "A", b"the document").await;
    let mut bundle = registered["bundle"].clone();
    let sha = sijil_receipt::sha256_hex(b"the document");
    bundle["documents"] = json!([{"sha256": sha, "size": 12}]);
    let verify = |body: Value| {
        TestRequest::post()
            .uri("/api/v1/verify")
            .set_json(body)
            .to_request()
    };

    let answer = json_of(app.call(verify(bundle.clone())).await).await;
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
    let answer = json_of(app.call(verify(bare)).await).await;
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
    let other = app.register(&app.clerk, "B", b"another document").await;
    let other_signature = other["bundle"]["receipt"]
        .as_str()
        .unwrap()
        .rsplit('.')
        .next()
        .unwrap()
        .to_owned();
    let (signed, _) = receipt.rsplit_once('.').unwrap();
    forged["receipt"] = format!("{signed}.{other_signature}").into();
    let answer = json_of(app.call(verify(forged)).await).await;
    assert_eq!(answer["verdict"], "invalid");

    let garbage = json_of(app.call(verify(json!({"receipt": "not.a.jws"}))).await).await;
    assert_eq!(garbage["verdict"], "invalid");

    let half = json!({"receipt": registered["bundle"]["receipt"], "checkpoint": "x"});
    assert_problem(
        app.call(verify(half)).await,
        StatusCode::BAD_REQUEST,
        "both",
    )
    .await;
    let unknown_field = json!({"receipt": "x", "evil": true});
    assert_problem(
        app.call(verify(unknown_field)).await,
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
        app.call(not_json).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "application/json",
    )
    .await;
    let bad_hash = json!({"receipt": "x", "documents": [{"sha256": "zz"}]});
    assert_problem(
        app.call(verify(bad_hash)).await,
        StatusCode::BAD_REQUEST,
        "SHA-256",
    )
    .await;
}

async fn verify_accepts_receipts_of_rotated_keys(backend: Backend) {
    let app = TestApp::new(backend).await;
    let before = app.register(&app.clerk, "A", b"doc a").await;
    app.registry.rotate_key().unwrap();
    app.register(&app.clerk, "B", b"doc b").await;
    let answer = json_of(
        app.call(
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
        app.call(
            TestRequest::get()
                .uri("/.well-known/jwks.json")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
}

async fn the_log_endpoints_serve_checkpoints_proofs_entries_and_keys(backend: Backend) {
    let app = TestApp::new(backend).await;
    for i in 0..5 {
        app.register(&app.clerk, &format!("S{i}"), format!("doc {i}").as_bytes())
            .await;
    }
    let response = app
        .call(
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
    let note = text_of(response).await;
    assert!(note.starts_with("bo.test.example\n5\n"), "{note}");
    let key = String::from_utf8(
        read_body(
            app.call(TestRequest::get().uri("/api/v1/log/key").to_request())
                .await,
        )
        .await
        .to_vec(),
    )
    .unwrap();
    let verifier = sijil_receipt::note::NoteVerifier::parse(key.trim()).unwrap();
    sijil_receipt::checkpoint::Checkpoint::open(&note, &[verifier]).unwrap();

    let proof = json_of(
        app.call(
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
        app.call(
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

    let entry = app
        .call(TestRequest::get().uri("/api/v1/log/entries/4").to_request())
        .await;
    assert_eq!(
        entry.headers().get("content-type").unwrap(),
        "application/jose"
    );
    let jws = text_of(entry).await;
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
        let response = app.call(TestRequest::get().uri(uri).to_request()).await;
        assert_problem(response, status, needle).await;
    }
}

async fn clerks_read_the_register_letters_documents_and_csv(backend: Backend) {
    let app = TestApp::new(backend).await;
    let first = app
        .register(&app.clerk, "Fatima Zahra", b"first document")
        .await;
    app.register(&app.clerk, "Ahmed Alaoui", b"second document")
        .await;
    let number = first["number"].as_str().unwrap();
    let get = |uri: String, token: &str| {
        TestRequest::get()
            .uri(&uri)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    let letter = json_of(
        app.call(get(format!("/api/v1/letters/{number}"), &app.auditor))
            .await,
    )
    .await;
    assert_eq!(letter["metadata"]["sender"]["name"], "Fatima Zahra");
    assert_eq!(letter["access_code"], first["access_code"]);

    let document = app
        .call(get(
            format!("/api/v1/letters/{number}/documents/1"),
            &app.clerk,
        ))
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
    let missing = app
        .call(get(
            format!("/api/v1/letters/{number}/documents/2"),
            &app.clerk,
        ))
        .await;
    assert_problem(missing, StatusCode::NOT_FOUND, "no document 2").await;
    let unknown = app
        .call(get("/api/v1/letters/BO-1999-000009".into(), &app.clerk))
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "BO-1999-000009").await;

    let page = json_of(app.call(get("/api/v1/letters".into(), &app.clerk)).await).await;
    assert_eq!(page["letters"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["letters"][0]["metadata"]["sender"]["name"], "Ahmed Alaoui",
        "newest first"
    );
    let found = json_of(
        app.call(get("/api/v1/letters?q=fatima".into(), &app.clerk))
            .await,
    )
    .await;
    assert_eq!(found["letters"].as_array().unwrap().len(), 1);
    let by_number = json_of(
        app.call(get(format!("/api/v1/letters?q={number}"), &app.clerk))
            .await,
    )
    .await;
    assert_eq!(by_number["letters"][0]["number"], number);
    let percent = json_of(
        app.call(get("/api/v1/letters?q=%25".into(), &app.clerk))
            .await,
    )
    .await;
    assert_eq!(
        percent["letters"].as_array().unwrap().len(),
        0,
        "% is searched literally"
    );
    let old = json_of(
        app.call(get(
            "/api/v1/letters?from=2000-01-01&to=2000-12-31".into(),
            &app.clerk,
        ))
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
            app.call(get(uri.into(), &app.clerk)).await,
            StatusCode::BAD_REQUEST,
            needle,
        )
        .await;
    }

    let csv = app
        .call(get(
            "/api/v1/register.csv?from=2000-01-01&to=2100-01-01".into(),
            &app.auditor,
        ))
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = text_of(csv).await;
    assert_eq!(text.lines().count(), 3);
    assert!(
        text.contains("Fatima Zahra")
            && text.contains(&sijil_receipt::sha256_hex(b"first document"))
    );
}

async fn health_metrics_and_security_headers(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register(&app.clerk, "A", b"doc").await;
    let health = app
        .call(TestRequest::get().uri("/healthz").to_request())
        .await;
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
        read_body(
            app.call(TestRequest::get().uri("/metrics").to_request())
                .await,
        )
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

async fn the_openapi_document_is_valid_and_lists_every_route(backend: Backend) {
    let app = TestApp::new(backend).await;
    let api = json_of(
        app.call(TestRequest::get().uri("/api/v1/openapi.json").to_request())
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
        let response = app.call(request.uri(&uri).to_request()).await;
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

/// The OpenAPI document the application serves.
async fn openapi_of(app: &TestApp) -> Value {
    json_of(
        app.call(TestRequest::get().uri("/api/v1/openapi.json"))
            .await,
    )
    .await
}

async fn a_known_path_with_another_method_is_405_with_allow(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register(&app.clerk, "A", b"doc").await;

    // Every path of the document, with every method it does not declare
    // (HEAD is answered wherever GET is, RFC 9110 §9.3.2: Allow lists it
    // after GET, and it is no 405).
    let api = openapi_of(&app).await;
    let methods = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
    ];
    let mut tried = 0;
    for (template, item) in api["paths"].as_object().unwrap() {
        let answers_get = item.get("get").is_some();
        let declared: Vec<&str> = methods
            .into_iter()
            .filter(|m| item.get(m.to_lowercase()).is_some() || (*m == "HEAD" && answers_get))
            .collect();
        let uri = template
            .replace("{number}", "BO-2026-000001")
            .replace("{index}", "0")
            .replace("{n}", "1");
        if answers_get {
            let head = TestRequest::default()
                .method(actix_web::http::Method::HEAD)
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {}", app.clerk)));
            let response = app.call(head).await;
            assert_ne!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "HEAD {uri}"
            );
        }
        for method in methods.into_iter().filter(|m| !declared.contains(m)) {
            let request = TestRequest::default()
                .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {}", app.clerk)))
                .to_request();
            let response = app.call(request).await;
            let allow = response
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(
                allow.as_deref(),
                Some(declared.join(", ").as_str()),
                "{method} {uri}: Allow"
            );
            if method == "HEAD" {
                // The answer to HEAD has the headers of the answer to GET, no body.
                assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{uri}");
                assert!(read_body(response).await.is_empty(), "HEAD {uri}");
            } else {
                assert_problem(response, StatusCode::METHOD_NOT_ALLOWED, method).await;
            }
            tried += 1;
        }
    }
    assert!(tried > 100, "only {tried} requests");

    // The examples of the finding, with their detail.
    for (method, uri, allow) in [
        ("DELETE", "/api/v1/log/checkpoint", "GET, HEAD"),
        ("POST", "/api/v1/receipts/BO-2026-999999", "GET, HEAD"),
        ("PUT", "/api/v1/letters", "GET, HEAD, POST"),
        ("GET", "/api/v1/verify", "POST"),
        ("POST", "/.well-known/jwks.json", "GET, HEAD"),
        ("DELETE", "/api/v1/letters/x/documents/1", "GET, HEAD"),
        // Routed on the decoded path, as actix does.
        ("DELETE", "/api/v1/%6Cog/checkpoint", "GET, HEAD"),
    ] {
        let request = TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri)
            .to_request();
        let response = app.call(request).await;
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
        let response = app.call(request).await;
        assert!(response.headers().get("allow").is_none(), "{uri}");
        assert_problem(response, StatusCode::NOT_FOUND, "no endpoint").await;
    }

    // The pages answer 405 with Allow too (actix's, without a body).
    for (method, uri, allow) in [
        ("DELETE", "/desk/login", "POST"),
        ("DELETE", "/desk", "GET, HEAD"),
        ("POST", "/", "GET, HEAD"),
        ("GET", "/desk/letters", "POST"),
        ("PUT", "/r/BO-2026-000001", "GET, HEAD"),
        ("POST", "/assets/sijil.css", "GET, HEAD"),
    ] {
        let request = TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri)
            .to_request();
        let response = app.call(request).await;
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
async fn error_answers_are_the_documented_ones(backend: Backend) {
    let app = TestApp::new(backend).await;
    let number = app.register(&app.clerk, "A", b"doc").await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = openapi_of(&app).await;
    let bearer = ("Authorization", format!("Bearer {}", app.clerk));
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
        let response = app.call(request.to_request()).await;
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
    let download = app
        .call(
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

async fn text_with_nul_characters_is_refused_with_a_problem(backend: Backend) {
    let app = TestApp::new(backend).await;
    let number = app.register(&app.clerk, "A", b"doc").await["number"]
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
        let response = app.call(metadata_only(&app.clerk, metadata)).await;
        assert_problem(response, StatusCode::BAD_REQUEST, needle).await;
    }
    let bearer = ("Authorization", format!("Bearer {}", app.clerk));
    let response = app
        .call(
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
        let response = app
            .call(
                TestRequest::get()
                    .uri(&uri)
                    .insert_header(bearer.clone())
                    .to_request(),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "no letter is registered").await;
    }
    assert_eq!(app.registry.log().checkpoint().unwrap().tree_size, 1);
}

fn setting_request(token: &str, setting: &str, body: &str) -> TestRequest {
    TestRequest::put()
        .uri(&format!("/api/v1/settings/{setting}"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_owned())
}

async fn an_administrator_changes_the_institution_name_as_a_signed_config_entry(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register(&app.clerk, "Fatima", b"%PDF one").await;
    let body = json!({"value": "Médiateur du Royaume"}).to_string();
    for token in [&app.clerk, &app.auditor] {
        let response = app
            .call(setting_request(token, "institution.name", &body).to_request())
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "may not").await;
    }
    let response = app
        .call(setting_request(&app.admin, "institution.motto", &body).to_request())
        .await;
    assert_problem(response, StatusCode::NOT_FOUND, "unknown setting").await;
    let empty = json!({"value": "  "}).to_string();
    let response = app
        .call(setting_request(&app.admin, "institution.name", &empty).to_request())
        .await;
    assert_problem(response, StatusCode::BAD_REQUEST, "cannot be empty").await;
    assert_eq!(
        app.registry.log().checkpoint().unwrap().tree_size,
        1,
        "nothing written"
    );

    let response = app
        .call(setting_request(&app.admin, "institution.name", &body).to_request())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let bundle = json_of(response).await;
    assert_eq!(bundle["inclusion_proof"]["index"], 1);
    let verified = app
        .call(
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
    let page = app.call(TestRequest::get().uri("/").to_request()).await;
    let html = text_of(page).await;
    assert!(
        html.contains("Médiateur du Royaume"),
        "the pages show the new name"
    );
    assert!(app.registry.audit(Default::default()).unwrap().passed());
}

async fn a_record_altered_behind_the_logs_back_is_refused_without_internal_detail(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    let body = app.register(&app.clerk, "Fatima", b"%PDF one").await;
    let number = body["number"].as_str().unwrap().to_owned();
    let code = body["access_code"].as_str().unwrap().to_owned();
    app.execute("UPDATE letters SET metadata = REPLACE(metadata, 'Fatima', 'Someone')");
    for uri in [
        format!("/api/v1/receipts/{number}?code={code}"),
        format!("/r/{number}?code={code}"),
    ] {
        let response = app.call(TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{uri}");
        let text = text_of(response).await;
        assert!(text.contains("does not match its log"), "{uri}: {text}");
        for internal in ["metadata", "letters", "HMAC", "metadata_sha256"] {
            assert!(!text.contains(internal), "{uri} shows {internal:?}: {text}");
        }
    }
    let response = app
        .call(
            TestRequest::get()
                .uri(&format!("/api/v1/letters/{number}"))
                .insert_header(("Authorization", format!("Bearer {}", app.clerk)))
                .to_request(),
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT, "does not match its log").await;
}
