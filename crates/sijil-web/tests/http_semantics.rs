//! HTTP semantics of the whole service, on a real registry (the shared
//! `TestApp` of `tests/common`, on SQLite and on PostgreSQL): `HEAD`
//! wherever `GET` is answered (RFC 9110 §9.3.2), and `Cache-Control` that
//! says how long each answer stays true (RFC 9111), personal data never
//! stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{Method, StatusCode};
use actix_web::test::{read_body, TestRequest};
use common::{json_of, register_request, text_of, Backend, TestApp};
use serde_json::{json, Value};
use sijil_testkit::fixtures::{self, SENDER};
use sijil_testkit::multipart::Multipart;

on_both_backends!(
    head_answers_every_get_route_with_its_headers_and_no_body,
    head_is_never_405_where_get_is_and_allow_lists_it,
    head_on_the_wire_has_the_content_length_of_get_and_no_body,
    immutable_things_are_cacheable_forever_and_the_checkpoint_is_not,
    personal_data_is_never_stored_by_caches,
);

/// The document of every letter these tests register.
const DOCUMENT: &[u8] = b"%PDF-1.7 scanned letter";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const KEYS: &str = "public, max-age=300";

/// Registers a letter from `sender` with [`DOCUMENT`]; returns its number
/// and access code.
async fn register(app: &TestApp, sender: &str) -> (String, String) {
    let body = app.register(&app.clerk, sender, DOCUMENT).await;
    (
        body["number"].as_str().unwrap().to_owned(),
        body["access_code"].as_str().unwrap().to_owned(),
    )
}

fn request(method: Method, uri: &str, token: &str) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(("Authorization", format!("Bearer {token}")))
}

fn header<B>(response: &ServiceResponse<B>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Every header of an answer, sorted (a name may repeat).
fn headers<B>(response: &ServiceResponse<B>) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    all.sort();
    all
}

/// The `Content-Length` actix-http will send for an answer: its body's size.
fn length<B: MessageBody>(response: &ServiceResponse<B>) -> Option<u64> {
    match response.response().body().size() {
        BodySize::Sized(n) => Some(n),
        BodySize::None => Some(0),
        BodySize::Stream => None,
    }
}

/// An address that reaches a real record for every GET operation of the
/// OpenAPI document: path parameters from the registered letter, required
/// query parameters from their names and schema types.
fn address(template: &str, operation: &Value, number: &str, sha256: &str) -> String {
    let path = template
        .replace("{number}", number)
        .replace("{index}", "0")
        .replace("{n}", "1");
    let mut query = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        if parameter["in"] != "query" || parameter["required"] != true {
            continue;
        }
        let name = parameter["name"].as_str().unwrap();
        let integer = parameter["schema"]["type"] == "integer";
        let value = match name {
            "sha256" => sha256.to_owned(),
            "index" => "0".to_owned(),
            "tree_size" | "from" | "to" if integer => "1".to_owned(),
            "from" => "2000-01-01".to_owned(),
            "to" => "2100-12-31".to_owned(),
            other => panic!("{template}: no value for the required query parameter {other}"),
        };
        query.push(format!("{name}={value}"));
    }
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The stylesheet's address as the pages link to it (with its version).
async fn stylesheet(app: &TestApp) -> String {
    let page = text_of(app.call(TestRequest::get().uri("/")).await).await;
    let start = page
        .find("/assets/sijil.css?v=")
        .expect("the page links its stylesheet");
    let end = start + page[start..].find('"').unwrap();
    page[start..end].replace("&amp;", "&")
}

async fn head_answers_every_get_route_with_its_headers_and_no_body(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (number, code) = register(&app, SENDER).await;
    let sha256 = sijil_receipt::sha256_hex(DOCUMENT);
    let api = json_of(
        app.call(TestRequest::get().uri("/api/v1/openapi.json"))
            .await,
    )
    .await;

    // Every GET operation of the document, on real records...
    let mut addresses = Vec::new();
    for (template, item) in api["paths"].as_object().unwrap() {
        if let Some(operation) = item.get("get") {
            addresses.push((address(template, operation, &number, &sha256), true));
        }
    }
    assert!(
        addresses.len() >= 13,
        "only {} GET operations",
        addresses.len()
    );
    // ... the receipt with its personal data, the pages and assets, and answers
    // that are not 200 (HEAD must give the same status as GET).
    let css = stylesheet(&app).await;
    for (uri, succeeds) in [
        (format!("/api/v1/receipts/{number}?code={code}"), true),
        ("/".to_owned(), true),
        ("/verify".to_owned(), false),
        (format!("/r/{number}"), true),
        (format!("/r/{number}?code={code}"), true),
        ("/desk".to_owned(), true),
        (css, true),
        ("/assets/verify.js".to_owned(), true),
        ("/assets/desk.js".to_owned(), true),
        ("/assets/nothing.js".to_owned(), false),
        ("/nothing".to_owned(), false),
        ("/api/v1/nothing".to_owned(), false),
        ("/api/v1/log/entries/99".to_owned(), false),
        (
            "/api/v1/log/proof/inclusion?index=0&tree_size=99".to_owned(),
            false,
        ),
        (format!("/api/v1/receipts/{number}?code=WRONG"), false),
    ] {
        addresses.push((uri, succeeds));
    }

    for (uri, succeeds) in &addresses {
        let get = app.call(request(Method::GET, uri, &app.clerk)).await;
        let head = app.call(request(Method::HEAD, uri, &app.clerk)).await;
        assert_eq!(head.status(), get.status(), "HEAD {uri}");
        assert_eq!(
            get.status().is_success(),
            *succeeds,
            "GET {uri}: {}",
            get.status()
        );
        assert_eq!(headers(&head), headers(&get), "HEAD {uri}: headers");
        // The metrics count this very request: their length may differ.
        if !uri.starts_with("/metrics") {
            assert_eq!(length(&head), length(&get), "HEAD {uri}: Content-Length");
        }
        if *succeeds && get.status() != StatusCode::NO_CONTENT {
            assert_ne!(length(&get), Some(0), "GET {uri} has a body");
        }
        let get_body = read_body(get).await;
        let head_body = read_body(head).await;
        assert!(head_body.is_empty(), "HEAD {uri} has a body: {head_body:?}");
        if *succeeds {
            assert!(!get_body.is_empty(), "GET {uri} has no body");
        }
    }
}

async fn head_is_never_405_where_get_is_and_allow_lists_it(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (number, _) = register(&app, "A").await;
    let api = json_of(
        app.call(TestRequest::get().uri("/api/v1/openapi.json"))
            .await,
    )
    .await;
    for (template, item) in api["paths"].as_object().unwrap() {
        let uri = template
            .replace("{number}", &number)
            .replace("{index}", "0")
            .replace("{n}", "1")
            .replace("{setting}", "institution.name");
        let head = app.call(request(Method::HEAD, &uri, &app.clerk)).await;
        let delete = app.call(request(Method::DELETE, &uri, &app.clerk)).await;
        assert_eq!(
            delete.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "DELETE {uri}"
        );
        let allow = header(&delete, "allow").unwrap();
        if item.get("get").is_some() {
            assert_ne!(head.status(), StatusCode::METHOD_NOT_ALLOWED, "HEAD {uri}");
            assert!(allow.contains("GET, HEAD"), "DELETE {uri}: Allow {allow}");
            assert!(json_of(delete).await["detail"]
                .as_str()
                .unwrap()
                .contains("GET, HEAD"));
        } else {
            // HEAD is GET without the body: not answered where GET is not.
            assert_eq!(head.status(), StatusCode::METHOD_NOT_ALLOWED, "HEAD {uri}");
            assert_eq!(header(&head, "allow").as_deref(), Some(allow.as_str()));
            assert!(!allow.contains("HEAD"), "DELETE {uri}: Allow {allow}");
            assert!(json_of(delete).await["detail"]
                .as_str()
                .unwrap()
                .contains("only, not DELETE"));
        }
    }

    // The pages' resources (actix's 405) say the same.
    for (method, uri, allow) in [
        (Method::DELETE, "/desk", "GET, HEAD"),
        (Method::POST, "/", "GET, HEAD"),
        (Method::PUT, "/assets/sijil.css", "GET, HEAD"),
        (Method::HEAD, "/desk/login", "POST"),
        (Method::HEAD, "/desk/letters", "POST"),
    ] {
        let response = app.call(request(method.clone(), uri, "")).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
        assert_eq!(
            header(&response, "allow").as_deref(),
            Some(allow),
            "{method} {uri}"
        );
    }
    let response = app.call(request(Method::PUT, "/verify", "")).await;
    let allow = header(&response, "allow").unwrap();
    assert!(
        allow.contains("POST") && allow.contains("GET, HEAD"),
        "/verify: Allow {allow}"
    );
}

/// Sends `HEAD path`, reads its answer's header block, then sends `GET path`
/// on the same HTTP/1.1 connection, and returns both answers as sent:
/// (HEAD's header block, GET's header block, GET's body). (Not pipelined:
/// actix-http frames a HEAD answer that is still pending when a pipelined
/// request arrives as a GET's; see `HeadBody` in routes.rs.)
fn head_then_get(address: SocketAddr, path: &str, token: &str) -> (String, String, Vec<u8>) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let auth = format!("Authorization: Bearer {token}\r\n");
    write!(stream, "HEAD {path} HTTP/1.1\r\nHost: test\r\n{auth}\r\n").unwrap();
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    while !bytes.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "HEAD {path}: connection closed after {bytes:?}");
        bytes.extend_from_slice(&buffer[..n]);
    }
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    stream.read_to_end(&mut bytes).unwrap();
    let split = |bytes: &[u8]| {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header block in {:?}", String::from_utf8_lossy(bytes)));
        (
            String::from_utf8(bytes[..end].to_vec()).unwrap(),
            bytes[end + 4..].to_vec(),
        )
    };
    // A body sent after HEAD's headers would come before GET's status line.
    let (head, rest) = split(&bytes);
    assert!(
        rest.starts_with(b"HTTP/1.1 "),
        "HEAD {path}: bytes after the headers: {:?}",
        String::from_utf8_lossy(&rest[..rest.len().min(80)])
    );
    let (get, body) = split(&rest);
    (head, get, body)
}

fn content_length(block: &str) -> Option<u64> {
    block.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().unwrap())
    })
}

/// The header block without `date` (it may tick between the two) and
/// `connection` (the GET asked to close), sorted.
fn comparable(block: &str) -> Vec<String> {
    let mut lines: Vec<String> = block
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            !l.starts_with("date:") && !l.starts_with("connection:")
        })
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

async fn head_on_the_wire_has_the_content_length_of_get_and_no_body(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (number, _) = register(&app, "A").await;
    let css = stylesheet(&app).await;

    // A real server over TCP, on the test application's state: its registry
    // (and so the backend) is the one the test service uses.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || sijil_web::app(state.clone()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let token = app.clerk.clone();
    let paths = vec![
        "/api/v1/log/entries/0".to_owned(),
        "/api/v1/log/checkpoint".to_owned(),
        "/.well-known/jwks.json".to_owned(),
        format!("/api/v1/receipts/{number}"),
        // A streamed body, dropped unread.
        format!("/api/v1/letters/{number}/documents/1"),
        "/".to_owned(),
        css,
        "/api/v1/log/entries/99".to_owned(),
    ];
    let exchanges = actix_web::rt::task::spawn_blocking(move || {
        paths
            .into_iter()
            .map(|path| {
                let answers = head_then_get(address, &path, &token);
                (path, answers)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    handle.stop(true).await;

    for (path, (head, get, body)) in exchanges {
        assert_eq!(comparable(&head), comparable(&get), "HEAD {path}");
        let length = content_length(&get).unwrap_or_else(|| panic!("GET {path}: {get}"));
        assert!(length > 0, "GET {path}: {get}");
        assert_eq!(body.len() as u64, length, "GET {path}");
        assert_eq!(content_length(&head), Some(length), "HEAD {path}: {head}");
    }
}

async fn immutable_things_are_cacheable_forever_and_the_checkpoint_is_not(backend: Backend) {
    let app = TestApp::new(backend).await;
    register(&app, "A").await;
    let get = |uri: &str| TestRequest::get().uri(uri);

    // A log entry and proofs between given sizes: the same bytes for ever.
    let immutable = [
        "/api/v1/log/entries/0",
        "/api/v1/log/proof/inclusion?index=0&tree_size=1",
        "/api/v1/log/proof/consistency?from=1&to=1",
    ];
    let mut tags = Vec::new();
    for uri in immutable {
        let response = app.call(get(uri)).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some(IMMUTABLE),
            "{uri}"
        );
        let etag = header(&response, "etag").unwrap_or_else(|| panic!("{uri}: no ETag"));
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "{uri}: {etag}"
        );
        // Revalidation: 304 with the same validators, without a body.
        for if_none_match in [etag.clone(), format!("W/{etag}"), format!("\"x\", {etag}")] {
            let response = app
                .call(get(uri).insert_header(("If-None-Match", if_none_match.as_str())))
                .await;
            assert_eq!(
                response.status(),
                StatusCode::NOT_MODIFIED,
                "{uri} {if_none_match}"
            );
            assert_eq!(header(&response, "etag").as_deref(), Some(etag.as_str()));
            assert_eq!(
                header(&response, "cache-control").as_deref(),
                Some(IMMUTABLE)
            );
            assert!(read_body(response).await.is_empty());
        }
        let response = app
            .call(get(uri).insert_header(("If-None-Match", "\"other\"")))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        tags.push(etag);
    }

    // The checkpoint: stored, but revalidated, and it changes with a batch.
    let checkpoint = app.call(get("/api/v1/log/checkpoint")).await;
    assert_eq!(
        header(&checkpoint, "cache-control").as_deref(),
        Some("no-cache")
    );
    let first = header(&checkpoint, "etag").unwrap();
    let response = app
        .call(get("/api/v1/log/checkpoint").insert_header(("If-None-Match", first.as_str())))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-cache")
    );
    register(&app, "B").await;
    let response = app
        .call(get("/api/v1/log/checkpoint").insert_header(("If-None-Match", first.as_str())))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a new checkpoint after a batch"
    );
    assert_ne!(header(&response, "etag").unwrap(), first);
    // ... while what was immutable did not change.
    for (uri, tag) in immutable.iter().zip(&tags) {
        let response = app.call(get(uri)).await;
        assert_eq!(
            header(&response, "etag").as_ref(),
            Some(tag),
            "{uri} changed"
        );
    }

    // What does not exist yet, or is refused, is not kept: it may exist later.
    for uri in [
        "/api/v1/log/entries/5",
        "/api/v1/log/proof/inclusion?index=0&tree_size=9",
        "/api/v1/log/proof/consistency?from=1&to=9",
        "/api/v1/log/entries/x",
        "/api/v1/nothing",
    ] {
        let response = app.call(get(uri)).await;
        assert!(response.status().is_client_error(), "{uri}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-store"),
            "{uri}"
        );
        assert!(header(&response, "etag").is_none(), "{uri}");
    }

    // The keys: a rotation adds one, so five minutes.
    for uri in ["/.well-known/jwks.json", "/api/v1/log/key"] {
        let response = app.call(get(uri)).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some(KEYS),
            "{uri}"
        );
        assert!(header(&response, "etag").is_some(), "{uri}");
    }

    // An asset at its versioned address never changes; at another, an hour.
    let css = stylesheet(&app).await;
    let response = app.call(get(&css)).await;
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some(IMMUTABLE),
        "{css}"
    );
    let response = app.call(get("/assets/sijil.css?v=0")).await;
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("public, max-age=3600")
    );
}

async fn personal_data_is_never_stored_by_caches(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (number, code) = register(&app, SENDER).await;
    let receipt = format!("/api/v1/receipts/{number}");

    // Without the code: public, but its proof changes with every batch.
    let response = app.call(TestRequest::get().uri(&receipt)).await;
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-cache")
    );
    let public_tag = header(&response, "etag").unwrap();
    assert!(json_of(response).await["metadata"].is_null());

    // With the code, in the query or the header: never stored, no validator,
    // and never a 304 standing for the public answer.
    for request in [
        TestRequest::get().uri(&format!("{receipt}?code={code}")),
        TestRequest::get()
            .uri(&receipt)
            .insert_header(("X-Access-Code", code.as_str())),
        TestRequest::get()
            .uri(&format!("{receipt}?code={code}"))
            .insert_header(("If-None-Match", public_tag.as_str())),
        TestRequest::get()
            .uri(&receipt)
            .insert_header(("X-Access-Code", code.as_str()))
            .insert_header(("If-None-Match", "*")),
    ] {
        let response = app.call(request).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-store")
        );
        assert!(header(&response, "etag").is_none());
        let body = json_of(response).await;
        assert_eq!(body["metadata"]["sender"]["name"], SENDER, "{body}");
    }
    let response = app
        .call(TestRequest::get().uri(&format!("{receipt}?code=AAAA-BBBB-CCCC")))
        .await;
    assert!(response.status().is_client_error());
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );

    // The clerk's answers (metadata, access codes, documents), the
    // administrator's, a verification verdict, the live state.
    let answers = [
        (Method::GET, "/api/v1/letters".to_owned()),
        (Method::GET, format!("/api/v1/letters/{number}")),
        (Method::GET, format!("/api/v1/letters/{number}/documents/1")),
        (
            Method::GET,
            "/api/v1/register.csv?from=2000-01-01&to=2100-12-31".to_owned(),
        ),
        (Method::PUT, "/api/v1/settings/institution.name".to_owned()),
        (Method::GET, "/healthz".to_owned()),
        (Method::GET, "/metrics".to_owned()),
    ];
    for (method, uri) in answers {
        let response = app.call(request(method.clone(), &uri, &app.clerk)).await;
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-store"),
            "{method} {uri}: {}",
            response.status()
        );
        assert!(header(&response, "etag").is_none(), "{method} {uri}");
    }
    let form = Multipart::new()
        .metadata(&fixtures::letter("B"))
        .document("plainte.pdf", DOCUMENT);
    let response = app.call(register_request(&app.clerk, &form)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let response = app
        .call(
            TestRequest::post()
                .uri("/api/v1/verify")
                .set_json(json!({"receipt": "x"})),
        )
        .await;
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );

    // The pages (the acknowledgement shows the sender with the code).
    for uri in [
        format!("/r/{number}?code={code}"),
        format!("/r/{number}"),
        "/desk".to_owned(),
        "/".to_owned(),
    ] {
        let response = app.call(TestRequest::get().uri(&uri)).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-store"),
            "{uri}"
        );
    }
}
