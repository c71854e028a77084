//! Hostile input, with nothing written (issue 5, items 5 and 6).
//!
//! A catalogue of bad requests, kept as data, is run against the production
//! application (the shared `TestApp` of `tests/common`) on a real registry
//! that already holds two letters, on SQLite and on PostgreSQL (the snapshots
//! below read the registry through its API and the data directory, so they
//! hold on both). Every request must get a 4xx (never a 5xx, never a panic): under
//! `/api/` an `application/problem+json` with a non-empty `detail`, elsewhere
//! an HTML page. Verification requests that are well-formed but false
//! (garbage, forged or truncated JWS, proofs for another tree) are answered
//! 200 with `verdict: "invalid"`, which is correct; they are a separate list,
//! counted in the total. Before and after the whole catalogue the register is
//! snapshotted (checkpoint, letters, tokens, audit figures, document files)
//! and must be unchanged. No response to an unauthenticated request may carry
//! the letters' personal data.
//!
//! A case that reveals a real product bug is kept, listed in
//! [`KNOWN_FAILURES`] and skipped with a loud message until the bug is fixed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use actix_web::http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING,
};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{read_body, TestRequest};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::{Backend, TestApp, ORIGIN};
use futures_util::FutureExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sijil_registry::{AuditOptions, Registry, Role, TokenInfo};
use sijil_testkit::fixtures;
use sijil_testkit::multipart::{Multipart, Part};

on_both_backends!(
    hostile_requests_get_4xx_problems_and_change_nothing,
    refused_requests_with_large_documents_leave_no_files,
);

/// Cases that currently fail because of a product bug (see the report of each
/// in the test's output); skipped, loudly, until the bug is fixed.
const KNOWN_FAILURES: &[&str] = &[];

/// Whether to skip a known failure (`HOSTILE_RUN_KNOWN=1` runs them all, to
/// see which are fixed).
fn skip_known(name: &str) -> bool {
    KNOWN_FAILURES.contains(&name) && std::env::var_os("HOSTILE_RUN_KNOWN").is_none()
}

const BOUNDARY: &str = "hostile-boundary-7f3a";
const MAX_DOCUMENT_BYTES: u64 = 1024;
const MAX_REQUEST_BYTES: u64 = 64 * 1024;
const FAILURES_PER_MINUTE: u32 = 5;
/// A case without an answer by then has hung.
const CASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The personal data of the two registered letters: none of it may appear in
/// an answer to a request without credentials.
const LETTER_A: Person = Person {
    name: "Zineb Qasmi-Haddaoui",
    national_id: "QX987654",
    email: "zineb.qasmi@example.ma",
    address: "12 Derb Sidi Bouloukat",
    subject: "Plainte confidentielle Ouarzazate",
    file_name: "dossier-medical-zq.pdf",
    document: b"%PDF-1.4 first confidential document",
};
const LETTER_B: Person = Person {
    name: "Youssef Benkiran-Tazi",
    national_id: "YT246810",
    email: "y.benkiran@example.ma",
    address: "7 Rue Ibn Batouta",
    subject: "Recours fiscal Tanger",
    file_name: "avis-imposition-yb.pdf",
    document: b"%PDF-1.4 second confidential document",
};

struct Person {
    name: &'static str,
    national_id: &'static str,
    email: &'static str,
    address: &'static str,
    subject: &'static str,
    file_name: &'static str,
    document: &'static [u8],
}

impl Person {
    fn secrets(&self) -> [&'static str; 6] {
        [
            self.name,
            self.national_id,
            self.email,
            self.address,
            self.subject,
            self.file_name,
        ]
    }

    fn metadata(&self) -> Value {
        fixtures::edited(fixtures::minimal(self.name, self.subject), |m| {
            m["sender"]["national_id"] = json!(self.national_id);
            m["sender"]["email"] = json!(self.email);
            m["sender"]["address"] = json!(self.address);
            m["addressee"] = json!("Service des plaintes");
            m["letter_date"] = json!("2026-01-15");
        })
    }
}

// ---------------------------------------------------------------------------
// Requests as data
// ---------------------------------------------------------------------------

/// A request, as data (built into an actix test request at run time).
#[derive(Clone, Debug)]
struct Req {
    method: Method,
    uri: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    length: Length,
}

/// How the body's length is told.
#[derive(Clone, Debug)]
enum Length {
    /// `Content-Length` of the actual body.
    Actual,
    /// `Content-Length` with this value, whatever the body.
    Declared(String),
    /// No `Content-Length`: the body streams in (`Transfer-Encoding: chunked`).
    Chunked,
}

impl Req {
    fn new(method: Method, uri: impl Into<String>) -> Req {
        Req {
            method,
            uri: uri.into(),
            headers: Vec::new(),
            body: Vec::new(),
            length: Length::Actual,
        }
    }
    fn get(uri: impl Into<String>) -> Req {
        Req::new(Method::GET, uri)
    }
    fn post(uri: impl Into<String>) -> Req {
        Req::new(Method::POST, uri)
    }
    fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Req {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }
    fn bearer(self, token: &str) -> Req {
        self.header("Authorization", format!("Bearer {token}"))
    }
    fn cookie(self, token: &str) -> Req {
        self.header("Cookie", format!("sijil_desk={token}"))
    }
    fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Req {
        self.body = body.into();
        if content_type.is_empty() {
            self
        } else {
            self.header("Content-Type", content_type)
        }
    }
    fn declared_length(mut self, length: impl ToString) -> Req {
        self.length = Length::Declared(length.to_string());
        self
    }
    fn chunked(mut self) -> Req {
        self.length = Length::Chunked;
        self
    }
    fn multipart(self, body: Vec<u8>) -> Req {
        self.body(&format!("multipart/form-data; boundary={BOUNDARY}"), body)
    }
    fn json(self, value: &Value) -> Req {
        self.body("application/json", value.to_string())
    }
    fn form(self, body: &str) -> Req {
        self.body("application/x-www-form-urlencoded", body)
    }

    fn to_request(&self, peer: SocketAddr) -> actix_http::Request {
        let mut request = TestRequest::default()
            .method(self.method.clone())
            .uri(&self.uri)
            .peer_addr(peer);
        for (name, value) in &self.headers {
            request = request.append_header((
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            ));
        }
        let mut request = request.set_payload(self.body.clone()).to_request();
        let headers = request.headers_mut();
        match &self.length {
            Length::Actual => {}
            Length::Declared(length) => {
                headers.insert(CONTENT_LENGTH, HeaderValue::from_str(length).unwrap());
            }
            Length::Chunked => {
                headers.remove(CONTENT_LENGTH);
                headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
            }
        }
        request
    }

    fn is_api(&self) -> bool {
        let path = self.uri.split('?').next().unwrap_or_default();
        // The operations endpoints are JSON API endpoints too (in the OpenAPI document).
        path.starts_with("/api/")
            || path.starts_with("/.well-known/")
            || path == "/healthz"
            || path == "/metrics"
    }
}

/// What a case must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Exactly this status.
    Code(u16),
    /// One of these statuses.
    AnyOf(&'static [u16]),
    /// 200 with `"verdict": "invalid"` (POST /api/v1/verify).
    VerdictInvalid,
}

struct Case {
    category: &'static str,
    name: String,
    req: Req,
    expect: Expect,
    /// A substring of the problem detail (or of the page), case-insensitive.
    needle: Option<String>,
}

#[derive(Default)]
struct Catalogue {
    cases: Vec<Case>,
}

impl Catalogue {
    fn add(
        &mut self,
        category: &'static str,
        name: impl Into<String>,
        req: Req,
        expect: Expect,
        needle: &str,
    ) {
        let name = name.into();
        assert!(
            !self.cases.iter().any(|c| c.name == name),
            "duplicate case name {name}"
        );
        self.cases.push(Case {
            category,
            name,
            req,
            expect,
            needle: (!needle.is_empty()).then(|| needle.to_owned()),
        });
    }
}

// ---------------------------------------------------------------------------
// Multipart bodies (sijil_testkit::multipart; malformed framing by hand below)
// ---------------------------------------------------------------------------

/// A complete multipart body of the given parts, with this suite's boundary.
fn mp(parts: &[Part]) -> Vec<u8> {
    Multipart::with_boundary(BOUNDARY)
        .parts(parts.iter().cloned())
        .body()
}

/// A valid metadata document (a request carrying it must fail for another reason).
fn good_meta() -> Value {
    fixtures::edited(fixtures::minimal("Hostile Tester", "Test"), |m| {
        m["sender"]["national_id"] = json!("ZZ000000")
    })
}

fn meta_with(edit: impl FnOnce(&mut Value)) -> String {
    fixtures::edited(good_meta(), edit).to_string()
}

fn nested_json(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

// ---------------------------------------------------------------------------
// The world: a registry with two letters and tokens
// ---------------------------------------------------------------------------

struct World {
    /// The registry (tokens: clerk, auditor, admin) and the application.
    app: TestApp,
    /// A clerk's token, revoked.
    revoked: String,
    /// Registration answers of letters A and B.
    a: Value,
    b: Value,
}

impl World {
    fn number(&self, letter: &Value) -> String {
        letter["number"].as_str().unwrap().to_owned()
    }
    fn code(&self, letter: &Value) -> String {
        letter["access_code"].as_str().unwrap().to_owned()
    }
    fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = LETTER_A
            .secrets()
            .iter()
            .chain(LETTER_B.secrets().iter())
            .map(|s| (*s).to_owned())
            .collect();
        // The access codes are secrets too (printed on the citizen's copy only).
        out.push(self.code(&self.a));
        out.push(self.code(&self.b));
        out
    }
    /// Whether a request carries live credentials (then personal data may be shown).
    fn is_authenticated(&self, req: &Req) -> bool {
        let live = [&self.app.clerk, &self.app.auditor];
        let code_a = self.code(&self.a);
        let code_b = self.code(&self.b);
        req.headers.iter().any(|(_, v)| {
            let v = String::from_utf8_lossy(v);
            live.iter().any(|t| v.contains(t.as_str()))
        }) || req.uri.contains(&code_a)
            || req.uri.contains(&code_b)
    }
}

fn csrf(token: &str) -> String {
    hex::encode(Sha256::digest(format!("sijil-csrf:{token}").as_bytes()))
}

/// A snapshot of everything a request could change.
#[derive(Debug, PartialEq)]
struct Snapshot {
    tree_size: u64,
    checkpoint_note: String,
    letters: Value,
    letter_count: usize,
    tokens: Vec<TokenInfo>,
    audit: (u64, u64, u64, u64, u64, u64, usize),
    document_files: BTreeSet<PathBuf>,
}

fn files_under(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(root, &path, out);
        } else {
            out.insert(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

fn snapshot(registry: &Registry) -> Snapshot {
    let checkpoint = registry.log().checkpoint().unwrap();
    let letters = registry
        .letters()
        .list_letters(i64::MIN, i64::MAX, None, 1, 500)
        .unwrap();
    let audit = registry.audit(AuditOptions::default()).unwrap();
    let documents = registry.data_dir().join("documents");
    let mut all = BTreeSet::new();
    files_under(&documents, &documents, &mut all);
    let document_files = all.into_iter().filter(|p| !p.starts_with("tmp")).collect();
    Snapshot {
        tree_size: checkpoint.tree_size,
        checkpoint_note: checkpoint.note,
        letter_count: letters.len(),
        letters: serde_json::to_value(&letters).unwrap(),
        tokens: registry.access().list_tokens().unwrap(),
        audit: (
            audit.tree_size,
            audit.leaves,
            audit.nodes,
            audit.checkpoints,
            audit.letters,
            audit.documents,
            audit.problems.len(),
        ),
        document_files,
    }
}

fn tmp_files(registry: &Registry) -> usize {
    let tmp = registry.data_dir().join("documents").join("tmp");
    let mut all = BTreeSet::new();
    files_under(&tmp, &tmp, &mut all);
    all.len()
}

async fn world(backend: Backend) -> World {
    world_with(backend, MAX_DOCUMENT_BYTES, MAX_REQUEST_BYTES).await
}

async fn world_with(backend: Backend, max_document_bytes: u64, max_request_bytes: u64) -> World {
    let mut settings = TestApp::settings();
    settings.max_document_bytes = max_document_bytes;
    settings.max_request_bytes = max_request_bytes;
    settings.failures_per_minute = FAILURES_PER_MINUTE;
    let app = TestApp::with_settings(backend, settings).await;
    let (_, revoked) = app
        .registry
        .access()
        .create_token("Ancien", Role::Clerk)
        .unwrap();
    app.registry.access().revoke_token("Ancien").unwrap();
    let mut registered = Vec::new();
    for (i, person) in [&LETTER_A, &LETTER_B].into_iter().enumerate() {
        let body = mp(&[
            Part::metadata(person.metadata().to_string()),
            Part::document(person.file_name, person.document),
        ]);
        let request = Req::post("/api/v1/letters")
            .bearer(&app.clerk)
            .multipart(body);
        let peer = SocketAddr::from((Ipv4Addr::new(192, 0, 2, i as u8 + 1), 4000));
        let response = app.call(request.to_request(peer)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        registered.push(serde_json::from_slice::<Value>(&read_body(response).await).unwrap());
    }
    let b = registered.pop().unwrap();
    let a = registered.pop().unwrap();
    World { app, revoked, a, b }
}

// ---------------------------------------------------------------------------
// JWS helpers for forged receipts
// ---------------------------------------------------------------------------

fn b64u(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn jws_parts(jws: &str) -> (String, String, String) {
    let mut it = jws.split('.');
    (
        it.next().unwrap().to_owned(),
        it.next().unwrap().to_owned(),
        it.next().unwrap().to_owned(),
    )
}

fn payload_of(jws: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jws_parts(jws).1).unwrap()).unwrap()
}

/// The receipt with its payload replaced (the signature no longer matches).
fn with_payload(jws: &str, payload: &Value) -> String {
    let (h, _, s) = jws_parts(jws);
    format!("{h}.{}.{s}", b64u(payload.to_string().as_bytes()))
}

/// The receipt with its header replaced.
fn with_header(jws: &str, header: &Value) -> String {
    let (_, p, s) = jws_parts(jws);
    format!("{}.{p}.{s}", b64u(header.to_string().as_bytes()))
}

// ---------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------

fn catalogue(w: &World) -> (Catalogue, Catalogue) {
    let mut c = Catalogue::default();
    let mut v = Catalogue::default();
    let number_a = w.number(&w.a);
    let number_b = w.number(&w.b);
    let code_a = w.code(&w.a);
    let code_b = w.code(&w.b);
    let clerk = w.app.clerk.as_str();
    let auditor = w.app.auditor.as_str();
    let revoked = w.revoked.as_str();
    let good = good_meta().to_string();
    let letters = || Req::post("/api/v1/letters").bearer(clerk);
    let b = BOUNDARY;

    // --- Malformed and truncated multipart -----------------------------------
    let cat = "multipart framing";
    let full = mp(&[
        Part::metadata(&good),
        Part::document("a.pdf", b"some bytes"),
    ]);
    c.add(
        cat,
        "body truncated in the metadata part",
        letters().multipart(full[..60].to_vec()),
        Expect::Code(400),
        "multipart",
    );
    c.add(
        cat,
        "body truncated in the document part",
        letters().multipart(full[..full.len() - 30].to_vec()),
        Expect::Code(400),
        "multipart",
    );
    c.add(
        cat,
        "body truncated before the final boundary",
        letters().multipart(full[..full.len() - (b.len() + 6)].to_vec()),
        Expect::Code(400),
        "multipart",
    );
    {
        let mut no_final = Vec::new();
        no_final.extend_from_slice(format!("--{b}\r\n").as_bytes());
        no_final.extend_from_slice(&Part::metadata(&good).to_bytes());
        c.add(
            cat,
            "missing final boundary",
            letters().multipart(no_final.clone()),
            Expect::Code(400),
            "multipart",
        );
        let mut dangling = no_final;
        dangling.extend_from_slice(format!("--{b}").as_bytes());
        c.add(
            cat,
            "final boundary without its closing dashes",
            letters().multipart(dangling),
            Expect::Code(400),
            "multipart",
        );
    }
    c.add(
        cat,
        "boundary in the header differs from the body's",
        letters().body(
            "multipart/form-data; boundary=some-other-boundary",
            full.clone(),
        ),
        Expect::Code(400),
        "multipart",
    );
    c.add(
        cat,
        "multipart content type without a boundary",
        letters().body("multipart/form-data", full.clone()),
        Expect::Code(400),
        "multipart",
    );
    c.add(
        cat,
        "multipart content type with an empty boundary",
        letters().body("multipart/form-data; boundary=", full.clone()),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "boundary of 300 characters, not in the body",
        letters().body(
            &format!("multipart/form-data; boundary={}", "b".repeat(300)),
            full.clone(),
        ),
        Expect::Code(400),
        "multipart",
    );
    c.add(
        cat,
        "garbage bytes as the body",
        letters().multipart((0..2000u32).map(|i| (i * 7919 % 251) as u8).collect()),
        Expect::Code(400),
        "multipart",
    );
    c.add(
        cat,
        "empty body",
        letters().multipart(Vec::new()),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "only the final boundary",
        letters().multipart(format!("--{b}--\r\n").into_bytes()),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "part without Content-Disposition",
        letters().multipart(mp(&[Part::raw(
            b"Content-Type: application/json\r\n",
            good.as_bytes(),
        )])),
        Expect::Code(400),
        "multipart",
    );
    c.add(
        cat,
        "Content-Disposition without a name",
        letters().multipart(mp(&[Part::raw(
            b"Content-Disposition: form-data; filename=\"a.pdf\"\r\n",
            b"x",
        )])),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "Content-Disposition attachment instead of form-data",
        letters().multipart(mp(&[Part::raw(
            b"Content-Disposition: attachment; name=\"metadata\"\r\n",
            good.as_bytes(),
        )])),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "part headers never end",
        letters().multipart(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n{}",
                "X-Pad: y\r\n".repeat(50)
            )
            .into_bytes(),
        ),
        Expect::Code(400),
        "multipart",
    );
    c.add(
        cat,
        "a part header line of 100 KiB (request over the limit)",
        letters().multipart(mp(&[Part::raw(
            format!(
                "Content-Disposition: form-data; name=\"metadata\"\r\nX-Long: {}\r\n",
                "a".repeat(100 * 1024)
            )
            .as_bytes(),
            good.as_bytes(),
        )])),
        Expect::Code(413),
        "larger than the limit",
    );
    c.add(
        cat,
        "a part with 100 headers",
        letters().multipart(mp(&[Part::raw(
            format!(
                "Content-Disposition: form-data; name=\"metadata\"\r\n{}",
                (0..100)
                    .map(|i| format!("X-H{i}: v\r\n"))
                    .collect::<String>()
            )
            .as_bytes(),
            good.as_bytes(),
        )])),
        Expect::AnyOf(&[400, 413]),
        "",
    );
    c.add(
        cat,
        "nested multipart/mixed part",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::new(
                "document",
                Some("a.pdf"),
                Some("multipart/mixed; boundary=inner"),
                b"--inner\r\n\r\nx\r\n--inner--\r\n",
            ),
        ])),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "multipart/mixed parts without names",
        letters().body(
            &format!("multipart/mixed; boundary={b}"),
            mp(&[Part::raw(
                b"Content-Type: application/json\r\n",
                good.as_bytes(),
            )]),
        ),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "header line with a bare LF and garbage",
        letters().multipart(
            format!("--{b}\nContent-Disposition: form-data; name=\"metadata\"\n\n\u{1}\u{2}\u{3}")
                .into_bytes(),
        ),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "a preamble of 200 KiB before the first boundary (request over the limit)",
        letters().multipart(
            [
                vec![b'x'; 200 * 1024],
                b"\r\n".to_vec(),
                mp(&[Part::metadata(&good), Part::document("a.pdf", b"x")]),
            ]
            .concat(),
        ),
        Expect::Code(413),
        "larger than the limit",
    );
    c.add(
        cat,
        "short boundary and a first line of two dashes",
        letters().body(
            "multipart/form-data; boundary=ab",
            format!(
                "--\n--ab\r\n{}",
                String::from_utf8_lossy(&Part::metadata(&good).to_bytes())
            )
            .into_bytes(),
        ),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "one-character boundary and a body starting with a bare newline",
        letters().body("multipart/form-data; boundary=a", b"\n--a\r\n".to_vec()),
        Expect::Code(400),
        "",
    );
    // The same bodies without credentials never reach the multipart parser.
    c.add(
        cat,
        "parser-panicking body without a token",
        Req::post("/api/v1/letters").body("multipart/form-data; boundary=a", b"\n--a\r\n".to_vec()),
        Expect::Code(401),
        "Bearer",
    );
    c.add(
        cat,
        "parser-panicking body at the desk without a session",
        Req::post("/desk/letters").body("multipart/form-data; boundary=a", b"\n--a\r\n".to_vec()),
        Expect::Code(401),
        "",
    );
    {
        let mut hanging = mp(&[Part::metadata(&good)]);
        hanging.truncate(hanging.len() - (b.len() + 6));
        c.add(
            cat,
            "parser-hanging body without a token",
            Req::post("/api/v1/letters").multipart(hanging),
            Expect::Code(401),
            "Bearer",
        );
    }

    // --- Missing, surplus and too many parts ------------------------------------
    let cat = "parts";
    c.add(
        cat,
        "no metadata part, one document",
        letters().multipart(mp(&[Part::document("a.pdf", b"x")])),
        Expect::Code(400),
        "metadata part is missing",
    );
    c.add(
        cat,
        "two metadata parts",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::metadata(&good),
            Part::document("a.pdf", b""),
        ])),
        Expect::Code(400),
        "two metadata parts",
    );
    c.add(
        cat,
        "two metadata parts, the second invalid",
        letters().multipart(mp(&[Part::metadata(&good), Part::metadata("{}")])),
        Expect::Code(400),
        "two metadata parts",
    );
    c.add(
        cat,
        "desk form fields on the API",
        letters().multipart(mp(&[
            Part::field("sender_name", b"A"),
            Part::field("subject", b"B"),
        ])),
        Expect::Code(400),
        "unexpected parts",
    );
    c.add(
        cat,
        "metadata and an unexpected part",
        letters().multipart(mp(&[Part::metadata(&good), Part::field("surprise", b"x")])),
        Expect::Code(400),
        "unexpected parts",
    );
    c.add(
        cat,
        "the same field twice",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::field("x", b"1"),
            Part::field("x", b"2"),
        ])),
        Expect::Code(400),
        "twice",
    );
    c.add(
        cat,
        "a document part without a file name but with bytes",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::new("document", None, Some("application/pdf"), b"bytes"),
        ])),
        Expect::Code(400),
        "no file name",
    );
    {
        let many = mp(&(0..10_000)
            .map(|i| Part::field(&format!("f{i}"), b"x"))
            .collect::<Vec<_>>());
        // Over the request's size limit before the parser sees a part.
        c.add(
            cat,
            "10,000 text parts",
            letters().multipart(many),
            Expect::Code(413),
            "larger than the limit",
        );
        let many = mp(&(0..300)
            .map(|i| Part::field(&format!("f{i}"), b"x"))
            .collect::<Vec<_>>());
        assert!((many.len() as u64) < MAX_REQUEST_BYTES);
        c.add(
            cat,
            "300 text parts (within the size limit)",
            letters().multipart(many),
            Expect::Code(400),
            "at most",
        );
        // What a browser sends for an empty file input.
        let empty_input = Part::file("document", "", "application/octet-stream", b"");
        let empty_docs = mp(&std::iter::once(Part::metadata(&good))
            .chain(std::iter::repeat_n(empty_input, 10_000))
            .collect::<Vec<_>>());
        c.add(
            cat,
            "10,000 empty file inputs",
            letters().multipart(empty_docs),
            Expect::Code(413),
            "larger than the limit",
        );
        // What a browser sends for an empty file input.
        let empty_input = Part::file("document", "", "application/octet-stream", b"");
        let empty_docs = mp(&std::iter::once(Part::metadata(&good))
            .chain(std::iter::repeat_n(empty_input, 250))
            .collect::<Vec<_>>());
        assert!((empty_docs.len() as u64) < MAX_REQUEST_BYTES);
        c.add(
            cat,
            "250 empty file inputs (within the size limit)",
            letters().multipart(empty_docs),
            Expect::Code(400),
            "at most",
        );
        let docs: Vec<Part> =
            std::iter::once(Part::metadata(&good))
                .chain((0..150).map(|i| {
                    Part::document(&format!("d{i}.pdf"), format!("document {i}").as_bytes())
                }))
                .collect();
        c.add(
            cat,
            "150 small documents (more than a letter may carry)",
            letters().multipart(mp(&docs)),
            Expect::Code(400),
            "at most",
        );
    }

    // --- Sizes -----------------------------------------------------------------
    let cat = "sizes";
    c.add(
        cat,
        "document one byte over the limit",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::document("big.pdf", vec![b'x'; MAX_DOCUMENT_BYTES as usize + 1]),
        ])),
        Expect::Code(413),
        "larger than the limit",
    );
    c.add(
        cat,
        "document of 200 KiB",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::document("big.pdf", vec![7u8; 200 * 1024]),
        ])),
        Expect::Code(413),
        "larger than the limit",
    );
    {
        let parts: Vec<Part> = std::iter::once(Part::metadata(&good))
            .chain((0..80).map(|i| Part::document(&format!("p{i}.pdf"), vec![i as u8 + 1; 1000])))
            .collect();
        c.add(
            cat,
            "80 documents of 1000 bytes (request over the limit)",
            letters().multipart(mp(&parts)),
            Expect::Code(413),
            "larger than the limit",
        );
    }
    c.add(
        cat,
        "metadata part over 64 KiB",
        letters().multipart(mp(&[Part::metadata(meta_with(|m| {
            m["notes"] = json!("n".repeat(70 * 1024))
        }))])),
        Expect::Code(413),
        "larger than",
    );
    c.add(
        cat,
        "a text part over 64 KiB",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::field("notes", vec![b'a'; 65 * 1024]),
        ])),
        Expect::Code(413),
        "larger than",
    );
    {
        let parts: Vec<Part> = (0..3)
            .map(|i| Part::field(&format!("pad{i}"), vec![b'p'; 60 * 1024]))
            .chain(std::iter::once(Part::metadata(&good)))
            .collect();
        c.add(
            cat,
            "three 60 KiB text parts (request over the limit)",
            letters().multipart(mp(&parts)),
            Expect::Code(413),
            "larger than the limit",
        );
        // Without a Content-Length the body is counted as it streams in.
        c.add(
            cat,
            "three 60 KiB text parts, chunked (request over the limit)",
            letters().multipart(mp(&parts)).chunked(),
            Expect::Code(413),
            "request is larger than the limit",
        );
    }
    {
        let parts: Vec<Part> = std::iter::once(Part::metadata(&good))
            .chain((0..80).map(|i| Part::document(&format!("p{i}.pdf"), vec![i as u8 + 1; 1000])))
            .collect();
        c.add(
            cat,
            "80 documents of 1000 bytes, chunked (request over the limit)",
            letters().multipart(mp(&parts)).chunked(),
            Expect::Code(413),
            "request is larger than the limit",
        );
    }
    c.add(
        cat,
        "a preamble of 200 KiB, chunked (request over the limit)",
        letters()
            .multipart(
                [
                    vec![b'x'; 200 * 1024],
                    b"\r\n".to_vec(),
                    mp(&[Part::metadata(&good), Part::document("a.pdf", b"x")]),
                ]
                .concat(),
            )
            .chunked(),
        Expect::Code(413),
        "request is larger than the limit",
    );
    c.add(
        cat,
        "Content-Length over the limit, small body",
        letters()
            .multipart(mp(&[Part::metadata(&good)]))
            .declared_length(MAX_REQUEST_BYTES + 1),
        Expect::Code(413),
        "Content-Length",
    );
    c.add(
        cat,
        "Content-Length of 2^64-1",
        letters()
            .multipart(mp(&[Part::metadata(&good)]))
            .declared_length(u64::MAX),
        Expect::Code(413),
        "Content-Length",
    );
    c.add(
        cat,
        "Content-Length over the limit without a token (authentication first)",
        Req::post("/api/v1/letters")
            .multipart(mp(&[Part::metadata(&good)]))
            .declared_length(MAX_REQUEST_BYTES + 1),
        Expect::Code(401),
        "Bearer",
    );
    c.add(
        cat,
        "Content-Length that is not a number",
        letters()
            .multipart(mp(&[Part::metadata(&good)]))
            .declared_length("12abc"),
        Expect::Code(400),
        "Content-Length",
    );
    c.add(
        cat,
        "chunked body within the limit, without its metadata part",
        letters()
            .multipart(mp(&[Part::document("a.pdf", b"some bytes")]))
            .chunked(),
        Expect::Code(400),
        "metadata part is missing",
    );
    c.add(
        cat,
        "sender name of 201 characters",
        letters().multipart(mp(&[Part::metadata(meta_with(|m| {
            m["sender"]["name"] = json!("N".repeat(201))
        }))])),
        Expect::Code(400),
        "longer than",
    );
    c.add(
        cat,
        "subject of 501 characters",
        letters().multipart(mp(&[Part::metadata(meta_with(|m| {
            m["subject"] = json!("S".repeat(501))
        }))])),
        Expect::Code(400),
        "longer than",
    );
    c.add(
        cat,
        "national id of 33 characters",
        letters().multipart(mp(&[Part::metadata(meta_with(|m| {
            m["sender"]["national_id"] = json!("9".repeat(33))
        }))])),
        Expect::Code(400),
        "longer than",
    );
    c.add(
        cat,
        "notes of 5001 characters",
        letters().multipart(mp(&[Part::metadata(meta_with(|m| {
            m["notes"] = json!("x".repeat(5001))
        }))])),
        Expect::Code(400),
        "longer than",
    );
    c.add(
        cat,
        "file name of 300 bytes",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::document(&format!("{}.pdf", "f".repeat(296)), b"x"),
        ])),
        Expect::Code(400),
        "255",
    );

    // --- Document content and names ---------------------------------------------
    let cat = "documents";
    c.add(
        cat,
        "zero-byte document",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::document("empty.pdf", b""),
        ])),
        Expect::Code(400),
        "empty",
    );
    c.add(
        cat,
        "zero-byte document after a good one",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::document("ok.pdf", b"ok"),
            Part::document("empty.pdf", b""),
        ])),
        Expect::Code(400),
        "empty",
    );
    for (label, name) in [
        ("../ traversal", "../../etc/passwd"),
        ("./ prefix", "./a.pdf"),
        ("dot-dot alone", ".."),
        ("dot alone", "."),
        ("absolute path", "/etc/shadow"),
        // Inside a quoted filename a backslash escapes the next character
        // (RFC 9110 quoted-pair), so each one is doubled to arrive as sent.
        ("backslash traversal", r"..\\..\\windows\\system32\\cmd.exe"),
        ("Windows drive path", r"C:\\Users\\x\\a.pdf"),
        ("UNC path", r"\\\\server\\share\\a.pdf"),
        ("folder then name", "dossier/a.pdf"),
        ("trailing slash", "a.pdf/"),
        ("only spaces", "   "),
        ("right-to-left override", "invoice\u{202E}fdp.exe"),
        ("left-to-right isolate", "a\u{2066}b.pdf"),
        ("right-to-left mark", "a\u{200F}.pdf"),
        ("Arabic letter mark", "a\u{061C}.pdf"),
        ("DEL character", "a\u{7F}.pdf"),
        ("C1 control", "a\u{85}.pdf"),
    ] {
        // A DEL is refused by the part-header parser already.
        let needle = if name.contains('\u{7F}') {
            "multipart"
        } else {
            "file name"
        };
        c.add(
            cat,
            format!("file name with {label}"),
            letters().multipart(mp(&[Part::metadata(&good), Part::document(name, b"x")])),
            Expect::Code(400),
            needle,
        );
    }
    c.add(
        cat,
        "file name with a tab in the header",
        letters().multipart(mp(&[
            Part::raw(
                b"Content-Disposition: form-data; name=\"document\"; filename=\"a\tb.pdf\"\r\n",
                b"x",
            ),
            Part::metadata(&good),
        ])),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "file name that is invalid UTF-8",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::raw(
                b"Content-Disposition: form-data; name=\"document\"; filename=\"\xff\xfe.pdf\"\r\n",
                b"x",
            ),
        ])),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "field name that is invalid UTF-8",
        letters().multipart(mp(&[
            Part::metadata(&good),
            Part::raw(
                b"Content-Disposition: form-data; name=\"\xc3\x28\"\r\n",
                b"x",
            ),
        ])),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "document media type with characters outside a token",
        letters().multipart(mp(&[Part::metadata(&good), Part::raw(b"Content-Disposition: form-data; name=\"document\"; filename=\"a.pdf\"\r\nContent-Type: application/x|y\r\n", b"x")])),
        Expect::Code(400),
        "media type",
    );

    // --- Metadata content ---------------------------------------------------------
    let cat = "metadata";
    let meta_case = |c: &mut Catalogue, name: &str, metadata: &[u8], needle: &str| {
        c.add(
            cat,
            name.to_owned(),
            letters().multipart(mp(&[Part::metadata(metadata)])),
            Expect::Code(400),
            needle,
        );
    };
    meta_case(
        &mut c,
        "metadata that is invalid UTF-8",
        b"{\"sender\":{\"name\":\"\xff\xfe\"},\"subject\":\"s\",\"channel\":\"paper\"}",
        "not UTF-8",
    );
    meta_case(
        &mut c,
        "metadata that is Latin-1",
        "{\"sender\":{\"name\":\"Ren\u{e9}\"},\"subject\":\"s\",\"channel\":\"paper\"}"
            .encode_utf16()
            .flat_map(|u| [u as u8])
            .collect::<Vec<u8>>()
            .as_slice(),
        "UTF-8",
    );
    meta_case(
        &mut c,
        "metadata not JSON",
        b"sender=A&subject=B",
        "not valid",
    );
    meta_case(&mut c, "metadata empty", b"", "not valid");
    meta_case(&mut c, "metadata null", b"null", "not valid");
    meta_case(&mut c, "metadata a JSON array", b"[]", "not valid");
    meta_case(&mut c, "metadata a JSON string", b"\"paper\"", "not valid");
    meta_case(
        &mut c,
        "metadata truncated JSON",
        br#"{"sender":{"name":"A"},"subject":"B","chan"#,
        "not valid",
    );
    meta_case(
        &mut c,
        "metadata with trailing garbage",
        format!("{good} trailing").as_bytes(),
        "not valid",
    );
    meta_case(
        &mut c,
        "metadata with a byte-order mark",
        format!("\u{feff}{good}").as_bytes(),
        "not valid",
    );
    meta_case(
        &mut c,
        "metadata with an unknown field",
        meta_with(|m| m["priority"] = json!("high")).as_bytes(),
        "priority",
    );
    meta_case(
        &mut c,
        "metadata with an unknown sender field",
        meta_with(|m| m["sender"]["phone"] = json!("0600")).as_bytes(),
        "phone",
    );
    meta_case(
        &mut c,
        "metadata with duplicate subject keys",
        br#"{"sender":{"name":"A"},"subject":"B","subject":"C","channel":"paper"}"#,
        "duplicate key",
    );
    meta_case(
        &mut c,
        "metadata with duplicate nested keys",
        br#"{"sender":{"name":"A","name":"B"},"subject":"B","channel":"paper"}"#,
        "duplicate key",
    );
    meta_case(
        &mut c,
        "metadata with duplicate keys that differ by escape",
        br#"{"sender":{"name":"A"},"subject":"B","subj\u0065ct":"C","channel":"paper"}"#,
        "duplicate key",
    );
    meta_case(
        &mut c,
        "metadata nested 10,000 deep",
        format!("{{\"sender\":{{\"name\":{}}}}}", nested_json(10_000)).as_bytes(),
        "not valid",
    );
    meta_case(
        &mut c,
        "metadata nested 200 deep in an unknown field",
        format!("{{\"x\":{}}}", nested_json(200)).as_bytes(),
        "not valid",
    );
    meta_case(
        &mut c,
        "metadata without sender",
        br#"{"subject":"B","channel":"paper"}"#,
        "sender",
    );
    meta_case(
        &mut c,
        "metadata without subject",
        br#"{"sender":{"name":"A"},"channel":"paper"}"#,
        "subject",
    );
    meta_case(
        &mut c,
        "metadata without channel",
        br#"{"sender":{"name":"A"},"subject":"B"}"#,
        "channel",
    );
    meta_case(
        &mut c,
        "metadata with an unknown channel",
        meta_with(|m| m["channel"] = json!("fax")).as_bytes(),
        "fax",
    );
    meta_case(
        &mut c,
        "metadata channel in capitals",
        meta_with(|m| m["channel"] = json!("PAPER")).as_bytes(),
        "PAPER",
    );
    meta_case(
        &mut c,
        "metadata with a blank sender name",
        meta_with(|m| m["sender"]["name"] = json!("   ")).as_bytes(),
        "sender.name is required",
    );
    meta_case(
        &mut c,
        "metadata with a blank subject",
        meta_with(|m| m["subject"] = json!("\t \t")).as_bytes(),
        "subject is required",
    );
    meta_case(
        &mut c,
        "metadata sender name a number",
        meta_with(|m| m["sender"]["name"] = json!(42)).as_bytes(),
        "not valid",
    );
    meta_case(
        &mut c,
        "metadata sender a string",
        meta_with(|m| m["sender"] = json!("A")).as_bytes(),
        "not valid",
    );
    meta_case(
        &mut c,
        "metadata with a bad e-mail",
        meta_with(|m| m["sender"]["email"] = json!("not an address")).as_bytes(),
        "e-mail",
    );
    meta_case(
        &mut c,
        "metadata with a bad letter date",
        meta_with(|m| m["letter_date"] = json!("2026-02-30")).as_bytes(),
        "letter_date",
    );
    meta_case(
        &mut c,
        "metadata with a letter date in another format",
        meta_with(|m| m["letter_date"] = json!("15/01/2026")).as_bytes(),
        "letter_date",
    );
    for (label, field, value) in [
        ("NUL in the sender name", "/sender/name", "Ali\u{0}ce"),
        ("BEL in the sender name", "/sender/name", "Ali\u{7}ce"),
        ("newline in the sender name", "/sender/name", "Alice\nBob"),
        (
            "escape sequence in the subject",
            "/subject",
            "\u{1b}[31mred",
        ),
        ("carriage return in the subject", "/subject", "a\rb"),
        (
            "right-to-left override in the sender name",
            "/sender/name",
            "\u{202E}ecilA",
        ),
        (
            "right-to-left override in the subject",
            "/subject",
            "Facture \u{202E}fdp.exe",
        ),
        (
            "left-to-right embedding in the reference",
            "/reference",
            "REF\u{202A}-1",
        ),
        (
            "pop directional isolate in the addressee",
            "/addressee",
            "Service\u{2069}",
        ),
        (
            "right-to-left override in the notes",
            "/notes",
            "ok\u{202E}",
        ),
        (
            "right-to-left mark in the national id",
            "/sender/national_id",
            "AB\u{200F}123",
        ),
        ("C1 control in the address", "/sender/address", "Rue\u{9b}1"),
        ("vertical tab in the notes", "/notes", "a\u{b}b"),
    ] {
        let mut m = good_meta();
        let path: Vec<&str> = field.trim_start_matches('/').split('/').collect();
        match path.as_slice() {
            [a] => m[*a] = json!(value),
            [a, b] => m[*a][*b] = json!(value),
            _ => unreachable!(),
        }
        meta_case(
            &mut c,
            &format!("metadata with {label}"),
            m.to_string().as_bytes(),
            "control characters",
        );
    }

    // --- Content types of the registration endpoint ------------------------------------
    let cat = "content types";
    c.add(
        cat,
        "JSON body to the multipart endpoint",
        letters().json(&good_meta()),
        Expect::AnyOf(&[400, 415]),
        "",
    );
    c.add(
        cat,
        "text/plain body to the multipart endpoint",
        letters().body("text/plain", good.clone()),
        Expect::AnyOf(&[400, 415]),
        "",
    );
    c.add(
        cat,
        "form-urlencoded body to the multipart endpoint",
        letters().form("sender_name=A&subject=B"),
        Expect::AnyOf(&[400, 415]),
        "",
    );
    c.add(
        cat,
        "no Content-Type to the multipart endpoint",
        letters().body("", mp(&[Part::metadata(&good)])),
        Expect::AnyOf(&[400, 415]),
        "",
    );
    c.add(
        cat,
        "unparsable Content-Type to the multipart endpoint",
        letters().body("multipart/;;;==", mp(&[Part::metadata(&good)])),
        Expect::AnyOf(&[400, 415]),
        "",
    );

    // --- Verification: refused requests (4xx) ---------------------------------------------
    let cat = "verify (4xx)";
    let verify = || Req::post("/api/v1/verify");
    let receipt_a = w.a["bundle"]["receipt"].as_str().unwrap().to_owned();
    let receipt_b = w.b["bundle"]["receipt"].as_str().unwrap().to_owned();
    let bundle_a = w.a["bundle"].clone();
    let bundle_b = w.b["bundle"].clone();
    c.add(
        cat,
        "text/plain body to /verify",
        verify().body("text/plain", bundle_a.to_string()),
        Expect::Code(415),
        "application/json",
    );
    c.add(
        cat,
        "no Content-Type to /verify",
        verify().body("", bundle_a.to_string()),
        Expect::Code(415),
        "application/json",
    );
    c.add(
        cat,
        "form body to /verify",
        verify().form("receipt=x"),
        Expect::Code(415),
        "application/json",
    );
    c.add(
        cat,
        "multipart body to /verify",
        verify().multipart(mp(&[Part::field("receipt", b"x")])),
        Expect::Code(415),
        "application/json",
    );
    c.add(
        cat,
        "JSON body over 1 MiB to /verify",
        verify().json(&json!({"receipt": "a".repeat(1024 * 1024 + 10)})),
        Expect::Code(413),
        "larger than",
    );
    c.add(
        cat,
        "JSON body of 2 MiB of whitespace to /verify",
        verify().body(
            "application/json",
            format!("{}{{}}", " ".repeat(2 * 1024 * 1024)),
        ),
        Expect::Code(413),
        "larger than",
    );
    c.add(
        cat,
        "empty JSON body to /verify",
        verify().body("application/json", ""),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "invalid JSON to /verify",
        verify().body("application/json", "{receipt: x}"),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "invalid UTF-8 in the JSON to /verify",
        verify().body("application/json", b"{\"receipt\":\"\xff\xfe\"}".to_vec()),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "JSON array to /verify",
        verify().json(&json!([bundle_a])),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "JSON null to /verify",
        verify().body("application/json", "null"),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "no receipt field",
        verify().json(&json!({"checkpoint": "x"})),
        Expect::Code(400),
        "receipt",
    );
    c.add(
        cat,
        "receipt is a number",
        verify().json(&json!({"receipt": 12})),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "unknown top-level field",
        verify().json(&json!({"receipt": receipt_a, "admin": true})),
        Expect::Code(400),
        "admin",
    );
    c.add(cat, "unknown field in the proof", verify().json(&json!({"receipt": receipt_a, "inclusion_proof": {"index": 0, "tree_size": 2, "hashes": [], "root": "x"}, "checkpoint": bundle_a["checkpoint"]})), Expect::Code(400), "root");
    c.add(
        cat,
        "unknown field in a document",
        verify().json(
            &json!({"receipt": receipt_a, "documents": [{"sha256": "0".repeat(64), "name": "x"}]}),
        ),
        Expect::Code(400),
        "name",
    );
    c.add(
        cat,
        "duplicate receipt keys in /verify",
        verify().body(
            "application/json",
            format!(r#"{{"receipt":{},"receipt":"x"}}"#, json!(receipt_a)),
        ),
        Expect::Code(400),
        "duplicate",
    );
    c.add(
        cat,
        "duplicate keys in the proof of /verify",
        verify().body(
            "application/json",
            format!(r#"{{"receipt":{},"inclusion_proof":{{"index":0,"index":1,"tree_size":2,"hashes":[]}},"checkpoint":"x"}}"#, json!(receipt_a)),
        ),
        Expect::Code(400),
        "duplicate",
    );
    c.add(
        cat,
        "deeply nested JSON to /verify",
        verify().body(
            "application/json",
            format!("{{\"receipt\":\"x\",\"documents\":{}}}", nested_json(5000)),
        ),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "a checkpoint without a proof",
        verify().json(&json!({"receipt": receipt_a, "checkpoint": bundle_a["checkpoint"]})),
        Expect::Code(400),
        "both",
    );
    c.add(
        cat,
        "a proof without a checkpoint",
        verify()
            .json(&json!({"receipt": receipt_a, "inclusion_proof": bundle_a["inclusion_proof"]})),
        Expect::Code(400),
        "both",
    );
    let proof_with = |edit: &dyn Fn(&mut Value)| {
        let mut bundle = bundle_b.clone();
        edit(&mut bundle["inclusion_proof"]);
        bundle
    };
    c.add(
        cat,
        "proof hashes not base64",
        verify().json(&proof_with(&|p| p["hashes"] = json!(["!!!not base64!!!"]))),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "proof hash of 31 bytes",
        verify().json(&proof_with(&|p| {
            p["hashes"] = json!([STANDARD.encode([1u8; 31])])
        })),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "proof hash of 33 bytes",
        verify().json(&proof_with(&|p| {
            p["hashes"] = json!([STANDARD.encode([1u8; 33])])
        })),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "proof hash as base64url",
        verify().json(&proof_with(&|p| {
            p["hashes"] = json!([URL_SAFE_NO_PAD.encode([0xfbu8; 32])])
        })),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "proof hashes not a list",
        verify().json(&proof_with(&|p| p["hashes"] = json!("AAAA"))),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "proof index over u64",
        verify().body(
            "application/json",
            proof_with(&|_| {}).to_string().replacen(
                "\"index\":1",
                "\"index\":18446744073709551616",
                1,
            ),
        ),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "proof index negative",
        verify().json(&proof_with(&|p| p["index"] = json!(-1))),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "proof index fractional",
        verify().json(&proof_with(&|p| p["index"] = json!(0.5))),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "proof tree size a string",
        verify().json(&proof_with(&|p| p["tree_size"] = json!("2"))),
        Expect::Code(400),
        "not valid",
    );
    c.add(
        cat,
        "document hash not hex",
        verify().json(&json!({"receipt": receipt_a, "documents": [{"sha256": "z".repeat(64)}]})),
        Expect::Code(400),
        "SHA-256",
    );
    c.add(
        cat,
        "document hash too short",
        verify().json(&json!({"receipt": receipt_a, "documents": [{"sha256": "ab"}]})),
        Expect::Code(400),
        "SHA-256",
    );
    c.add(
        cat,
        "document size negative",
        verify().json(
            &json!({"receipt": receipt_a, "documents": [{"sha256": "0".repeat(64), "size": -5}]}),
        ),
        Expect::Code(400),
        "not valid",
    );

    // --- Verification: well-formed but false (200, verdict invalid) -----------------------
    let cat = "verify rejects";
    let bare = |receipt: &str| verify().json(&json!({ "receipt": receipt }));
    let (h, p, s) = jws_parts(&receipt_a);
    let claims_a = payload_of(&receipt_a);
    v.add(cat, "empty receipt", bare(""), Expect::VerdictInvalid, "");
    v.add(
        cat,
        "receipt of one part",
        bare("garbage"),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt of two parts",
        bare(&format!("{h}.{p}")),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt of four parts",
        bare(&format!("{receipt_a}.{s}")),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt of three empty parts",
        bare(".."),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with non-base64url parts",
        bare("!!!.???.***"),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt truncated by 10 characters",
        bare(&receipt_a[..receipt_a.len() - 10]),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt truncated in the payload",
        bare(&receipt_a[..h.len() + 1 + p.len() / 2]),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with one signature character changed",
        bare(&format!(
            "{h}.{p}.{}{}",
            if s.starts_with('A') { "B" } else { "A" },
            &s[1..]
        )),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with another receipt's signature",
        bare(&format!("{h}.{p}.{}", jws_parts(&receipt_b).2)),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with a zero signature",
        bare(&format!("{h}.{p}.{}", b64u(&[0u8; 64]))),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with a 63-byte signature",
        bare(&format!("{h}.{p}.{}", b64u(&[1u8; 63]))),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with a header that is not JSON",
        bare(&format!("{}.{p}.{s}", b64u(b"not json"))),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with alg none",
        bare(&format!("{}.{p}.", b64u(br#"{"alg":"none"}"#))),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with alg HS256",
        bare(&with_header(
            &receipt_a,
            &json!({"alg": "HS256", "kid": "x"}),
        )),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with a crit header",
        bare(&with_header(
            &receipt_a,
            &json!({"alg": "EdDSA", "crit": ["exp"], "exp": 1}),
        )),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with b64 false",
        bare(&with_header(
            &receipt_a,
            &json!({"alg": "EdDSA", "b64": false}),
        )),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with an unknown kid",
        bare(&with_header(
            &receipt_a,
            &json!({"alg": "EdDSA", "kid": "00000000"}),
        )),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt header with duplicate alg keys",
        bare(&format!(
            "{}.{p}.{s}",
            b64u(br#"{"alg":"none","alg":"EdDSA","kid":"x"}"#)
        )),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with no kid",
        bare(&with_header(&receipt_a, &json!({"alg": "EdDSA"}))),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with a payload that is not claims",
        bare(&format!("{h}.{}.{s}", b64u(b"[1,2,3]"))),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "forged payload: another number",
        bare(&with_payload(&receipt_a, &{
            let mut x = claims_a.clone();
            x["number"] = json!("BO-2026-999999");
            x
        })),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "forged payload: another document",
        bare(&with_payload(&receipt_a, &{
            let mut x = claims_a.clone();
            x["documents"][0]["sha256"] = json!("0".repeat(64));
            x
        })),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "forged payload: backdated",
        bare(&with_payload(&receipt_a, &{
            let mut x = claims_a.clone();
            x["registered_at"] = json!("2001-01-01T00:00:00.000Z");
            x
        })),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "forged payload: index of the other letter",
        bare(&with_payload(&receipt_a, &{
            let mut x = claims_a.clone();
            x["index"] = json!(1);
            x
        })),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "forged payload: index 2^63",
        bare(&with_payload(&receipt_a, &{
            let mut x = claims_a.clone();
            x["index"] = json!(9_223_372_036_854_775_808u64);
            x
        })),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "forged payload: index u64::MAX",
        bare(&with_payload(&receipt_a, &{
            let mut x = claims_a.clone();
            x["index"] = json!(u64::MAX);
            x
        })),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "forged payload: another type",
        bare(&with_payload(&receipt_a, &{
            let mut x = claims_a.clone();
            x["type"] = json!("workflow");
            x
        })),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "forged payload: another registry",
        bare(&with_payload(&receipt_a, &{
            let mut x = claims_a.clone();
            x["registry"] = json!("evil.example");
            x
        })),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "receipt with a payload of 600 KiB",
        bare(&format!("{h}.{}.{s}", b64u(&vec![b'x'; 600 * 1024]))),
        Expect::VerdictInvalid,
        "",
    );
    let bundle_with = |edit: &dyn Fn(&mut Value)| {
        let mut bundle = bundle_b.clone();
        edit(&mut bundle);
        verify().json(&bundle)
    };
    v.add(
        cat,
        "bundle with the other letter's receipt",
        bundle_with(&|x| x["receipt"] = json!(receipt_a)),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle whose proof is for another tree size",
        bundle_with(&|x| x["inclusion_proof"]["tree_size"] = json!(3)),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle whose proof is for another leaf",
        bundle_with(&|x| x["inclusion_proof"]["index"] = json!(0)),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with index >= tree_size",
        bundle_with(&|x| {
            x["inclusion_proof"]["index"] = json!(5);
            x["inclusion_proof"]["tree_size"] = json!(2);
        }),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with tree_size 0",
        bundle_with(&|x| {
            x["inclusion_proof"]["index"] = json!(0);
            x["inclusion_proof"]["tree_size"] = json!(0);
        }),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with tree_size u64::MAX",
        bundle_with(&|x| {
            x["inclusion_proof"]["index"] = json!(u64::MAX - 1);
            x["inclusion_proof"]["tree_size"] = json!(u64::MAX);
            x["inclusion_proof"]["hashes"] = json!(vec![STANDARD.encode([0u8; 32]); 64]);
        }),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with one proof hash too many",
        bundle_with(&|x| {
            x["inclusion_proof"]["hashes"]
                .as_array_mut()
                .unwrap()
                .push(json!(STANDARD.encode([9u8; 32])))
        }),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with no proof hashes",
        bundle_with(&|x| x["inclusion_proof"]["hashes"] = json!([])),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with 5,000 proof hashes",
        bundle_with(&|x| {
            x["inclusion_proof"]["hashes"] = json!(vec![STANDARD.encode([3u8; 32]); 5000])
        }),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with a flipped proof hash",
        bundle_with(&|x| x["inclusion_proof"]["hashes"] = json!([STANDARD.encode([0xffu8; 32])])),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with an empty checkpoint",
        bundle_with(&|x| x["checkpoint"] = json!("")),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with a garbage checkpoint",
        bundle_with(&|x| x["checkpoint"] = json!("\u{0}\u{1}garbage\n\n\n")),
        Expect::VerdictInvalid,
        "",
    );
    let note = bundle_b["checkpoint"].as_str().unwrap().to_owned();
    v.add(
        cat,
        "bundle with the checkpoint's signature line removed",
        bundle_with(&|x| {
            x["checkpoint"] = json!(note.split("\n\n").next().unwrap().to_owned() + "\n\n")
        }),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with the checkpoint truncated",
        bundle_with(&|x| x["checkpoint"] = json!(&note[..note.len() / 2])),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with the checkpoint's tree size changed",
        bundle_with(&|x| x["checkpoint"] = json!(note.replacen("\n2\n", "\n3\n", 1))),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with the checkpoint of another origin",
        bundle_with(&|x| x["checkpoint"] = json!(note.replace(ORIGIN, "bo.other.example"))),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with the older letter's checkpoint",
        bundle_with(&|x| x["checkpoint"] = bundle_a["checkpoint"].clone()),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle with 1,000 signature lines",
        bundle_with(&|x| {
            x["checkpoint"] = json!(format!(
                "{note}{}",
                format!("— {ORIGIN} AAAAAAAA\n").repeat(1000)
            ))
        }),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle checked against a document it does not list",
        bundle_with(&|x| x["documents"] = json!([{"sha256": "ab".repeat(32)}])),
        Expect::VerdictInvalid,
        "",
    );
    v.add(
        cat,
        "bundle checked against its document with the wrong size",
        bundle_with(&|x| {
            x["documents"] =
                json!([{"sha256": sijil_receipt::sha256_hex(LETTER_B.document), "size": 1}])
        }),
        Expect::VerdictInvalid,
        "",
    );

    // --- Log queries ----------------------------------------------------------------------------
    let cat = "log queries";
    for (uri, needle) in [
        ("/api/v1/log/proof/inclusion?index=2&tree_size=2", "below the size"),
        ("/api/v1/log/proof/inclusion?index=0&tree_size=0", ""),
        ("/api/v1/log/proof/inclusion?index=0&tree_size=3", "beyond the latest checkpoint"),
        ("/api/v1/log/proof/inclusion?index=0&tree_size=18446744073709551615", "beyond the latest checkpoint"),
        ("/api/v1/log/proof/inclusion?index=18446744073709551615&tree_size=2", "below the size"),
        ("/api/v1/log/proof/inclusion?index=18446744073709551616&tree_size=2", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=0&tree_size=99999999999999999999999999999", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=-1&tree_size=2", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=0&tree_size=-2", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=one&tree_size=2", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=1.0&tree_size=2", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=0x1&tree_size=2", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=1e0&tree_size=2", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=&tree_size=2", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=%00&tree_size=2", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=0", "tree_size"),
        ("/api/v1/log/proof/inclusion", "invalid query"),
        ("/api/v1/log/proof/inclusion?index=0&tree_size=2&verbose=1", "verbose"),
        ("/api/v1/log/proof/inclusion?index=0&index=1&tree_size=2", "duplicate"),
        ("/api/v1/log/proof/consistency?from=0&to=2", "0 < from"),
        ("/api/v1/log/proof/consistency?from=2&to=1", "0 < from"),
        ("/api/v1/log/proof/consistency?from=1&to=3", "beyond the latest checkpoint"),
        ("/api/v1/log/proof/consistency?from=18446744073709551615&to=18446744073709551615", "beyond the latest checkpoint"),
        ("/api/v1/log/proof/consistency?from=-1&to=2", "invalid query"),
        ("/api/v1/log/proof/consistency?from=1&to=18446744073709551616", "invalid query"),
        ("/api/v1/log/proof/consistency?from=1", "to"),
        ("/api/v1/log/proof/consistency?from=1&to=2&since=0", "since"),
        ("/api/v1/log/entries/2", "no log entry 2"),
        ("/api/v1/log/entries/9223372036854775807", "no log entry"),
        ("/api/v1/log/entries/9223372036854775808", "no log entry"),
        ("/api/v1/log/entries/18446744073709551615", "no log entry"),
        ("/api/v1/log/entries/18446744073709551616", "invalid path"),
        ("/api/v1/log/entries/123456789012345678901234567890123456789012345678901234567890", "invalid path"),
        ("/api/v1/log/entries/-1", "invalid path"),
        ("/api/v1/log/entries/abc", "invalid path"),
        ("/api/v1/log/entries/1.5", "invalid path"),
        ("/api/v1/log/entries/%00", "invalid path"),
        ("/api/v1/log/entries/%201", "invalid path"),
        ("/api/v1/receipts", "sha256"),
        ("/api/v1/receipts?sha256=", "64 hexadecimal"),
        ("/api/v1/receipts?sha256=xyz", "64 hexadecimal"),
        ("/api/v1/receipts?sha256=%00%00", "64 hexadecimal"),
        ("/api/v1/receipts?sha256=0000000000000000000000000000000000000000000000000000000000000000&all=1", "all"),
        ("/api/v1/receipts?sha256=a&sha256=b", "duplicate"),
    ] {
        c.add(cat, format!("GET {uri}"), Req::get(uri), Expect::Code(if uri.contains("/entries/") && needle.starts_with("no log") { 404 } else { 400 }), needle);
    }
    let long_hash = format!("/api/v1/receipts?sha256={}", "a".repeat(10_000));
    c.add(
        cat,
        "GET /api/v1/receipts?sha256=<10,000 characters>",
        Req::get(long_hash),
        Expect::Code(400),
        "64 hexadecimal",
    );

    // --- Tokens and roles on every clerk endpoint ---------------------------------------------
    let cat = "tokens and roles";
    let doc_a = format!("/api/v1/letters/{number_a}/documents/1");
    let letter_a = format!("/api/v1/letters/{number_a}");
    let endpoints: Vec<(&str, Req)> = vec![
        (
            "POST /api/v1/letters",
            Req::post("/api/v1/letters").multipart(mp(&[Part::metadata(&good)])),
        ),
        ("GET /api/v1/letters", Req::get("/api/v1/letters")),
        ("GET /api/v1/letters/{number}", Req::get(letter_a.clone())),
        (
            "GET /api/v1/letters/{number}/documents/1",
            Req::get(doc_a.clone()),
        ),
        (
            "GET /api/v1/register.csv",
            Req::get("/api/v1/register.csv?from=2000-01-01&to=2100-01-01"),
        ),
    ];
    let long_token = format!("sijil_{}", "A".repeat(10_000));
    let wrong_secret = format!("{}x", &clerk[..clerk.len() - 1]);
    for (endpoint, req) in &endpoints {
        let credentials: Vec<(&str, Option<Vec<u8>>, &str)> = vec![
            ("no token", None, "Bearer"),
            (
                "a made-up token",
                Some(b"Bearer sijil_madeup".to_vec()),
                "not valid",
            ),
            (
                "a token with one character changed",
                Some(format!("Bearer {wrong_secret}").into_bytes()),
                "not valid",
            ),
            (
                "a revoked token",
                Some(format!("Bearer {revoked}").into_bytes()),
                "revoked",
            ),
            (
                "Bearer with an empty token",
                Some(b"Bearer ".to_vec()),
                "Bearer TOKEN",
            ),
            (
                "Bearer without a space",
                Some(b"Bearer".to_vec()),
                "Bearer TOKEN",
            ),
            (
                "Basic auth",
                Some(format!("Basic {}", STANDARD.encode(format!("Amina:{clerk}"))).into_bytes()),
                "Bearer TOKEN",
            ),
            (
                "a token of 10,000 characters",
                Some(format!("Bearer {long_token}").into_bytes()),
                "not valid",
            ),
            (
                "a header that is not ASCII",
                Some(b"Bearer sijil_\xe9\xe9".to_vec()),
                "Bearer",
            ),
            (
                "the token without the Bearer scheme",
                Some(clerk.as_bytes().to_vec()),
                "Bearer TOKEN",
            ),
        ];
        for (label, value, needle) in credentials {
            let mut r = req.clone();
            if let Some(value) = value {
                r = r.header("Authorization", value);
            }
            c.add(
                cat,
                format!("{endpoint} with {label}"),
                r,
                Expect::Code(401),
                needle,
            );
        }
        // A token given only as the desk cookie is not an API credential.
        c.add(
            cat,
            format!("{endpoint} with the token only as the desk cookie"),
            req.clone().cookie(clerk),
            Expect::Code(401),
            "Bearer",
        );
    }
    c.add(
        cat,
        "auditor registers a letter",
        Req::post("/api/v1/letters")
            .bearer(auditor)
            .multipart(mp(&[Part::metadata(&good)])),
        Expect::Code(403),
        "auditor",
    );
    c.add(
        cat,
        "auditor registers a complete, valid letter",
        Req::post("/api/v1/letters").bearer(auditor).multipart(mp(&[
            Part::metadata(&good),
            Part::document("a.pdf", b"valid document"),
        ])),
        Expect::Code(403),
        "auditor",
    );

    // --- Clerk queries and paths (authenticated, still refused) -----------------------------------
    let cat = "clerk queries and paths";
    for (uri, status, needle) in [
        ("/api/v1/letters?page=0", 400, "page"),
        ("/api/v1/letters?page=-1", 400, "invalid query"),
        ("/api/v1/letters?page=4294967296", 400, "invalid query"),
        ("/api/v1/letters?page=1000001", 400, "page"),
        ("/api/v1/letters?from=2026-13-45", 400, "invalid query"),
        ("/api/v1/letters?from=yesterday", 400, "invalid query"),
        (
            "/api/v1/letters?from=2026-02-01&to=2026-01-01",
            400,
            "ends before",
        ),
        ("/api/v1/letters?per_page=100000", 400, "per_page"),
        ("/api/v1/letters?page=1&page=2", 400, "duplicate"),
        ("/api/v1/register.csv?from=2026-01-01", 400, "to"),
        (
            "/api/v1/register.csv?from=2026-12-31&to=2026-01-01",
            400,
            "ends",
        ),
        (
            "/api/v1/register.csv?from=2026-01-01&to=2026-12-31&format=xlsx",
            400,
            "format",
        ),
        ("/api/v1/letters/BO-1999-000009", 404, "BO-1999-000009"),
        ("/api/v1/letters/%00", 404, ""),
        ("/api/v1/letters/%FF%FE", 404, ""),
        ("/api/v1/letters/..%2F..%2Fetc%2Fpasswd", 404, ""),
    ] {
        c.add(
            cat,
            format!("clerk GET {uri}"),
            Req::get(uri).bearer(clerk),
            Expect::Code(status),
            needle,
        );
    }
    let q201 = format!("/api/v1/letters?q={}", "q".repeat(201));
    c.add(
        cat,
        "clerk GET /api/v1/letters?q=<201 characters>",
        Req::get(q201).bearer(clerk),
        Expect::Code(400),
        "200 characters",
    );
    let long_number = format!("/api/v1/letters/{}", "9".repeat(10_000));
    c.add(
        cat,
        "clerk GET /api/v1/letters/<10,000 characters>",
        Req::get(long_number).bearer(clerk),
        Expect::Code(404),
        "",
    );
    for (n, status, needle) in [
        ("0", 404, "no document 0"),
        ("2", 404, "no document 2"),
        ("-1", 400, "invalid path"),
        ("4294967296", 400, "invalid path"),
        ("one", 400, "invalid path"),
        ("1%00", 400, "invalid path"),
    ] {
        c.add(
            cat,
            format!("clerk GET document {n}"),
            Req::get(format!("/api/v1/letters/{number_a}/documents/{n}")).bearer(clerk),
            Expect::Code(status),
            needle,
        );
    }

    // --- Access codes ---------------------------------------------------------------------------
    let cat = "access codes";
    let receipt_uri = |q: &str| format!("/api/v1/receipts/{number_a}{q}");
    for (label, q, status, needle) in [
        (
            "a wrong code",
            "?code=0000-0000-0000".to_owned(),
            403,
            "does not match",
        ),
        (
            "the other letter's code",
            format!("?code={code_b}"),
            403,
            "does not match",
        ),
        (
            "a code without dashes, wrong",
            "?code=000000000000".to_owned(),
            403,
            "does not match",
        ),
        (
            "a malformed code",
            "?code=hello".to_owned(),
            400,
            "access code",
        ),
        (
            "a code one symbol short",
            "?code=0000-0000-000".to_owned(),
            400,
            "access code",
        ),
        (
            "a code one symbol long",
            "?code=0000-0000-00000".to_owned(),
            400,
            "access code",
        ),
        (
            "a code of 10,000 characters",
            format!("?code={}", "7".repeat(10_000)),
            400,
            "access code",
        ),
        (
            "a code with a NUL",
            "?code=0000-0000-000%00".to_owned(),
            400,
            "access code",
        ),
        (
            "a code with Arabic digits",
            "?code=%D9%A0%D9%A0%D9%A0%D9%A0-0000-0000".to_owned(),
            400,
            "access code",
        ),
        (
            "a code with a right-to-left override",
            "?code=%E2%80%AE0000-0000-0000".to_owned(),
            400,
            "access code",
        ),
        (
            "a code that is invalid UTF-8",
            "?code=%FF%FE".to_owned(),
            400,
            "",
        ),
        (
            "two codes",
            format!("?code={code_a}&code=0000-0000-0000"),
            400,
            "duplicate",
        ),
        (
            "an unknown query field",
            "?codes=1".to_owned(),
            400,
            "invalid query",
        ),
        (
            "the code as another field",
            format!("?access_code={code_a}"),
            400,
            "invalid query",
        ),
    ] {
        c.add(
            cat,
            format!("receipt with {label}"),
            Req::get(receipt_uri(&q)),
            Expect::Code(status),
            needle,
        );
    }
    c.add(
        cat,
        "letter B's receipt with letter A's code",
        Req::get(format!("/api/v1/receipts/{number_b}?code={code_a}")),
        Expect::Code(403),
        "does not match",
    );
    c.add(
        cat,
        "receipt with a wrong code in the header",
        Req::get(receipt_uri("")).header("X-Access-Code", "0000-0000-0000"),
        Expect::Code(403),
        "does not match",
    );
    c.add(
        cat,
        "receipt with a malformed code in the header",
        Req::get(receipt_uri("")).header("X-Access-Code", "' OR 1=1 --"),
        Expect::Code(400),
        "access code",
    );
    c.add(
        cat,
        "unknown number with a wrong code",
        Req::get("/api/v1/receipts/BO-1999-000001?code=0000-0000-0000"),
        Expect::Code(404),
        "BO-1999-000001",
    );
    c.add(
        cat,
        "unknown number with a malformed code",
        Req::get("/api/v1/receipts/BO-1999-000001?code=x"),
        Expect::Code(400),
        "access code",
    );

    // --- Routes, methods and paths ----------------------------------------------------------------
    let cat = "routes and methods";
    for uri in [
        "/api/v1/nothing",
        "/api/v2/receipts/BO-2026-000001",
        "/api/v1/receipts/BO-1999-000001",
        "/api/v1/receipts/BO%2F2026%2F000001",
        "/api/v1/receipts/%00",
        "/api/v1/receipts/BO-2026-000001%00",
        "/api/v1/receipts/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/receipts/%2e%2e",
        "/api/v1/receipts/x/y",
        "/api/v1/receipts/BO-2026-000001/",
        "/api/v1/letters/x/documents/1/extra",
        "/api/v1/log/entries",
        "/api/v1/log/entries/0/1",
        "/api/",
        "/.well-known/nothing",
        "/.well-known/jwks.json/..",
    ] {
        c.add(
            cat,
            format!("GET {uri}"),
            Req::get(uri),
            Expect::Code(404),
            "",
        );
    }
    c.add(
        cat,
        "GET /api/v1/receipts/%FF (invalid UTF-8)",
        Req::get("/api/v1/receipts/%FF"),
        Expect::AnyOf(&[400, 404]),
        "",
    );
    let long_receipt = format!("/api/v1/receipts/{}", "B".repeat(10_000));
    c.add(
        cat,
        "GET /api/v1/receipts/<10,000 characters>",
        Req::get(long_receipt),
        Expect::Code(404),
        "",
    );
    // A known path with a method it does not answer: 405 problem+json with
    // Allow (every 405 is checked for its Allow header). HEAD is answered
    // wherever GET is (RFC 9110 §9.3.2), so Allow lists it after GET.
    for (method, uri, allow) in [
        (Method::PUT, "/api/v1/letters", "GET, HEAD, POST"),
        (Method::DELETE, "/api/v1/letters", "GET, HEAD, POST"),
        (Method::PATCH, "/api/v1/letters/BO-2026-000001", "GET, HEAD"),
        (
            Method::DELETE,
            "/api/v1/receipts/BO-2026-000001",
            "GET, HEAD",
        ),
        (Method::PUT, "/api/v1/receipts/BO-2026-000001", "GET, HEAD"),
        (Method::POST, "/api/v1/log/checkpoint", "GET, HEAD"),
        (Method::DELETE, "/api/v1/log/entries/0", "GET, HEAD"),
        (Method::GET, "/api/v1/verify", "POST"),
        (Method::PUT, "/api/v1/verify", "POST"),
        (Method::POST, "/.well-known/jwks.json", "GET, HEAD"),
        (
            Method::from_bytes(b"PROPFIND").unwrap(),
            "/api/v1/letters",
            "GET, HEAD, POST",
        ),
        (Method::POST, "/healthz", "GET, HEAD"),
        (Method::POST, "/metrics", "GET, HEAD"),
    ] {
        c.add(
            cat,
            format!("{method} {uri}"),
            Req::new(method.clone(), uri).bearer(clerk),
            Expect::Code(405),
            &format!("answers {allow} only, not {method}"),
        );
    }
    // Pages: an HTML 404, or a bare 405 (with Allow) for a known page and the wrong method.
    for (method, uri, status) in [
        (Method::GET, "/nothing", 404),
        (Method::GET, "/r/", 404),
        (Method::GET, "/r/BO-1999-000001", 404),
        (Method::GET, "/r/%00", 404),
        (Method::GET, "/api", 404),
        (Method::GET, "/desk/nothing", 404),
        (Method::GET, "/%2e%2e/%2e%2e/etc/passwd", 404),
        (Method::GET, "/assets/nothing.js", 404),
        (Method::GET, "/assets/..%2F..%2FCargo.toml", 404),
        (Method::GET, "/assets/%00", 404),
        (Method::POST, "/", 405),
        (Method::PUT, "/verify", 405),
        (Method::GET, "/desk/login", 405),
        (Method::GET, "/desk/letters", 405),
        (Method::DELETE, "/desk", 405),
    ] {
        c.add(
            cat,
            format!("page {method} {uri}"),
            Req::new(method.clone(), uri),
            Expect::Code(status),
            "",
        );
    }
    let long_page = format!("/r/{}", "B".repeat(10_000));
    c.add(
        cat,
        "page GET /r/<10,000 characters>",
        Req::get(long_page),
        Expect::Code(404),
        "",
    );
    c.add(
        cat,
        "page GET /r/%FF",
        Req::get("/r/%FF"),
        Expect::AnyOf(&[400, 404]),
        "",
    );

    // --- Public pages ---------------------------------------------------------------------------------
    let cat = "public pages";
    let long_number = format!("/?number={}", "B".repeat(10_000));
    c.add(
        cat,
        "verification page with a number of 10,000 characters",
        Req::get(long_number),
        Expect::Code(404),
        "",
    );
    c.add(
        cat,
        "verification page with an unknown number",
        Req::get("/?number=BO-1999-000001"),
        Expect::Code(404),
        "",
    );
    c.add(
        cat,
        "verification page with a NUL number",
        Req::get("/?number=%00"),
        Expect::Code(404),
        "",
    );
    c.add(
        cat,
        "verification page with a bad sha256",
        Req::get("/?sha256=zz"),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "verification page with a sha256 of 10,000 characters",
        Req::get(format!("/?sha256={}", "a".repeat(10_000))),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "pasted receipt: empty",
        Req::post("/verify").form("receipt="),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "pasted receipt: garbage",
        Req::post("/verify").form("receipt=garbage"),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "pasted receipt: broken bundle JSON",
        Req::post("/verify").form("receipt=%7B%22receipt%22%3A"),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "pasted receipt: bad sha256",
        Req::post("/verify").form(&format!("receipt={receipt_a}&sha256=xyz")),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "pasted receipt: JSON content type",
        Req::post("/verify").json(&bundle_a),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "pasted receipt: multipart content type",
        Req::post("/verify").multipart(mp(&[Part::field("receipt", receipt_a.as_bytes())])),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "pasted receipt: over 256 KiB",
        Req::post("/verify").form(&format!("receipt={}", "a".repeat(300 * 1024))),
        Expect::AnyOf(&[400, 413]),
        "",
    );
    c.add(
        cat,
        "pasted receipt: invalid UTF-8",
        Req::post("/verify").form("receipt=%FF%FE"),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "pasted receipt: forged, for an unknown number",
        Req::post("/verify").form(&format!(
            "receipt={}",
            with_payload(&receipt_a, &{
                let mut x = claims_a.clone();
                x["number"] = json!("BO-1999-999999");
                x
            })
        )),
        Expect::Code(404),
        "",
    );

    // --- The desk -------------------------------------------------------------------------------------
    let cat = "desk";
    let desk_letter = |csrf_value: Option<&str>| {
        let mut parts = Vec::new();
        if let Some(t) = csrf_value {
            parts.push(Part::field("csrf", t.as_bytes()));
        }
        parts.push(Part::field("sender_name", b"Desk Hostile"));
        parts.push(Part::field("subject", b"Should never be registered"));
        parts.push(Part::field("channel", b"paper"));
        parts.push(Part::document("scan.pdf", b"desk document"));
        mp(&parts)
    };
    let clerk_csrf = csrf(clerk);
    let auditor_csrf = csrf(auditor);
    for (label, token, status) in [
        ("a wrong token", "sijil_wrong", 401),
        ("a revoked token", revoked, 401),
        ("an empty token", "", 401),
        ("a token of 3,000 characters", &long_token[..3000], 401),
        ("a token with a NUL", "sijil_%00abc", 401),
    ] {
        c.add(
            cat,
            format!("desk login with {label}"),
            Req::post("/desk/login").form(&format!("token={token}")),
            Expect::Code(status),
            "",
        );
    }
    c.add(
        cat,
        "desk login with a body over 4 KiB",
        Req::post("/desk/login").form(&format!("token={}", "a".repeat(8 * 1024))),
        Expect::Code(401),
        "",
    );
    c.add(
        cat,
        "desk login with a JSON body",
        Req::post("/desk/login").json(&json!({"token": clerk})),
        Expect::Code(401),
        "",
    );
    c.add(
        cat,
        "desk login with the token in the query only",
        Req::post(format!("/desk/login?token={clerk}")).form(""),
        Expect::Code(401),
        "",
    );
    c.add(
        cat,
        "desk registration without a session",
        Req::post("/desk/letters").multipart(desk_letter(Some(&clerk_csrf))),
        Expect::Code(401),
        "",
    );
    c.add(
        cat,
        "desk registration with an invalid session",
        Req::post("/desk/letters")
            .cookie("sijil_forged")
            .multipart(desk_letter(Some(&csrf("sijil_forged")))),
        Expect::Code(401),
        "",
    );
    c.add(
        cat,
        "desk registration with a revoked session",
        Req::post("/desk/letters")
            .cookie(revoked)
            .multipart(desk_letter(Some(&csrf(revoked)))),
        Expect::Code(401),
        "",
    );
    c.add(
        cat,
        "desk registration with an empty session cookie",
        Req::post("/desk/letters")
            .cookie("")
            .multipart(desk_letter(Some(&clerk_csrf))),
        Expect::Code(401),
        "",
    );
    c.add(
        cat,
        "desk registration with the token as Bearer, no cookie",
        Req::post("/desk/letters")
            .bearer(clerk)
            .multipart(desk_letter(Some(&clerk_csrf))),
        Expect::Code(401),
        "",
    );
    let desk = || Req::post("/desk/letters").cookie(clerk);
    c.add(
        cat,
        "desk registration without a CSRF token",
        desk().multipart(desk_letter(None)),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk registration with an empty CSRF token",
        desk().multipart(desk_letter(Some(""))),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk registration with a wrong CSRF token",
        desk().multipart(desk_letter(Some(&"0".repeat(64)))),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk registration with the CSRF token of another session",
        desk().multipart(desk_letter(Some(&auditor_csrf))),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk registration with the CSRF token in upper case",
        desk().multipart(desk_letter(Some(&clerk_csrf.to_uppercase()))),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk registration with the token itself as CSRF",
        desk().multipart(desk_letter(Some(clerk))),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk registration with the CSRF token in the query only",
        Req::post(format!("/desk/letters?csrf={clerk_csrf}"))
            .cookie(clerk)
            .multipart(desk_letter(None)),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk registration with the CSRF token in a header only",
        desk()
            .header("X-CSRF-Token", &clerk_csrf)
            .multipart(desk_letter(None)),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk registration by an auditor session",
        Req::post("/desk/letters")
            .cookie(auditor)
            .multipart(desk_letter(Some(&auditor_csrf))),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk logout without a CSRF token",
        Req::post("/desk/logout").cookie(clerk).form(""),
        Expect::Code(403),
        "",
    );
    c.add(
        cat,
        "desk logout with a wrong CSRF token",
        Req::post("/desk/logout").cookie(clerk).form("csrf=0000"),
        Expect::Code(403),
        "",
    );
    let desk_form = |fields: &[(&str, &[u8])], document: Option<(&str, &[u8])>| {
        let mut parts = vec![Part::field("csrf", clerk_csrf.as_bytes())];
        for (name, value) in fields {
            parts.push(Part::field(name, value));
        }
        if let Some((file_name, bytes)) = document {
            parts.push(Part::document(file_name, bytes));
        }
        desk().multipart(mp(&parts))
    };
    let name: (&str, &[u8]) = ("sender_name", b"Desk Hostile");
    let subject: (&str, &[u8]) = ("subject", b"Desk subject");
    c.add(
        cat,
        "desk form without a sender name",
        desk_form(&[subject], None),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form without a subject",
        desk_form(&[name], None),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with an unknown channel",
        desk_form(&[name, subject, ("channel", b"fax")], None),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with a bad letter date",
        desk_form(&[name, subject, ("letter_date", b"31/12/2026")], None),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with a bad e-mail",
        desk_form(&[name, subject, ("sender_email", b"nobody")], None),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with a right-to-left override in the subject",
        desk_form(
            &[name, ("subject", "Facture \u{202E}fdp.exe".as_bytes())],
            None,
        ),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with a control character in the name",
        desk_form(&[("sender_name", b"Ali\x07ce"), subject], None),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with an invalid UTF-8 name",
        desk_form(&[("sender_name", b"\xff\xfe"), subject], None),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with a path-traversal file name",
        desk_form(&[name, subject], Some(("../../x.pdf", b"x"))),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with a zero-byte document",
        desk_form(&[name, subject], Some(("a.pdf", b""))),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with an oversized document",
        desk_form(&[name, subject], Some(("a.pdf", &vec![1u8; 4096]))),
        Expect::Code(413),
        "",
    );
    c.add(
        cat,
        "desk form with a field twice",
        desk_form(&[name, subject, ("subject", b"again")], None),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form with a sender name of 201 characters",
        desk_form(
            &[("sender_name", "N".repeat(201).as_bytes()), subject],
            None,
        ),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form truncated",
        desk().multipart(desk_form(&[name, subject], None).body[..80].to_vec()),
        Expect::Code(400),
        "",
    );
    c.add(
        cat,
        "desk form sent as JSON",
        desk().json(&json!({"csrf": clerk_csrf, "sender_name": "A", "subject": "B"})),
        Expect::Code(415),
        "",
    );
    {
        let mut many = vec![Part::field("csrf", clerk_csrf.as_bytes())];
        many.extend((0..10_000).map(|i| Part::field(&format!("f{i}"), b"x")));
        c.add(
            cat,
            "desk form with 10,000 parts",
            desk().multipart(mp(&many)),
            Expect::Code(413),
            "",
        );
        many.truncate(301);
        c.add(
            cat,
            "desk form with 300 parts (within the size limit)",
            desk().multipart(mp(&many)),
            Expect::Code(400),
            "",
        );
    }

    (c, v)
}

// ---------------------------------------------------------------------------
// Running and checking
// ---------------------------------------------------------------------------

/// The response of a case, or the panic it caused.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// Checks one answer against its case; returns the problems found.
fn check_answer(case: &Case, answer: &Answer, world: &World) -> Vec<String> {
    let mut problems = Vec::new();
    let status = answer.status.as_u16();
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    let ct = content_type(&answer.headers);
    let short = |t: &str| t.chars().take(300).collect::<String>();
    if answer.status.is_server_error() {
        problems.push(format!("server error {status}: {}", short(&text)));
        return problems;
    }
    match case.expect {
        Expect::VerdictInvalid => {
            if status != 200 {
                problems.push(format!(
                    "expected 200 with verdict invalid, got {status}: {}",
                    short(&text)
                ));
            } else {
                match serde_json::from_str::<Value>(&text) {
                    Ok(body) if body["verdict"] == "invalid" => {
                        if !body["checks"]
                            .as_array()
                            .is_some_and(|c| c.iter().any(|c| c["passed"] == false))
                        {
                            problems.push(format!(
                                "verdict invalid but no failed check: {}",
                                short(&text)
                            ));
                        }
                    }
                    Ok(body) => {
                        problems.push(format!("verdict is {}, expected invalid", body["verdict"]))
                    }
                    Err(e) => problems.push(format!("not JSON ({e}): {}", short(&text))),
                }
            }
        }
        Expect::Code(code) if status != code => {
            problems.push(format!("expected {code}, got {status}: {}", short(&text)));
        }
        Expect::AnyOf(codes) if !codes.contains(&status) => {
            problems.push(format!(
                "expected one of {codes:?}, got {status}: {}",
                short(&text)
            ));
        }
        _ => {}
    }
    if !matches!(case.expect, Expect::VerdictInvalid) {
        if !answer.status.is_client_error() {
            problems.push(format!("not a 4xx: {status}"));
        }
        if status == 405 && !answer.headers.contains_key("allow") {
            problems.push("405 without an Allow header (RFC 9110)".to_owned());
        }
        if case.req.is_api() {
            if ct != "application/problem+json" {
                problems.push(format!(
                    "content type {ct:?}, expected application/problem+json"
                ));
            }
            match serde_json::from_str::<Value>(&text) {
                Ok(problem) => {
                    let detail = problem["detail"].as_str().unwrap_or_default();
                    if detail.trim().is_empty() {
                        problems.push(format!("empty detail: {text}"));
                    }
                    if problem["status"] != status {
                        problems.push(format!(
                            "problem status {} differs from {status}",
                            problem["status"]
                        ));
                    }
                    if !problem["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("/problems/"))
                    {
                        problems.push(format!("problem type {}", problem["type"]));
                    }
                    if let Some(needle) = &case.needle {
                        if !contains_ci(detail, needle) {
                            problems.push(format!("detail {detail:?} does not mention {needle:?}"));
                        }
                    }
                }
                Err(e) => problems.push(format!("problem is not JSON ({e}): {}", short(&text))),
            }
        } else {
            let path = case.req.uri.split('?').next().unwrap_or_default();
            let html = ct.starts_with("text/html");
            let bare_405 = status == 405 && answer.body.is_empty();
            let asset = path.starts_with("/assets/") && ct.starts_with("text/plain");
            if !(html || bare_405 || asset) {
                problems.push(format!(
                    "page answered {ct:?} (expected text/html): {}",
                    short(&text)
                ));
            }
            if let Some(needle) = &case.needle {
                if !contains_ci(&text, needle) {
                    problems.push(format!("page does not mention {needle:?}"));
                }
            }
        }
    }
    if !world.is_authenticated(&case.req) {
        problems.extend(leaks(world, &answer.headers, &text));
    }
    problems
}

/// Personal data (or access codes) found in an answer.
fn leaks(world: &World, headers: &HeaderMap, text: &str) -> Vec<String> {
    let mut haystack = text.to_owned();
    for (name, value) in headers {
        haystack.push_str(&format!(
            "\n{name}: {}",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    // Receipts are JWS: look inside their base64url parts too.
    for word in
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
    {
        for piece in word.split('.') {
            if piece.len() >= 16 {
                if let Ok(bytes) = URL_SAFE_NO_PAD.decode(piece) {
                    haystack.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
        }
    }
    world
        .secrets()
        .into_iter()
        .filter(|secret| contains_ci(&haystack, secret))
        .map(|secret| format!("personal data or access code {secret:?} in a response to a request without credentials"))
        .collect()
}

fn peer(i: usize) -> SocketAddr {
    SocketAddr::from((
        Ipv4Addr::new(10, (i >> 16) as u8, (i >> 8) as u8, i as u8),
        40_000,
    ))
}

async fn hostile_requests_get_4xx_problems_and_change_nothing(backend: Backend) {
    let mut w = world(backend).await;
    let (catalogue, rejects) = catalogue(&w);
    let before = snapshot(&w.app.registry);
    assert_eq!(before.tree_size, 2);
    assert_eq!(before.letter_count, 2);
    assert_eq!(before.audit.6, 0, "the audit passes before");
    let tmp_before = tmp_files(&w.app.registry);

    let mut failures: Vec<String> = Vec::new();
    let mut tried: BTreeMap<&str, usize> = BTreeMap::new();
    let mut skipped = Vec::new();
    let all: Vec<&Case> = catalogue.cases.iter().chain(rejects.cases.iter()).collect();
    for (i, case) in all.iter().enumerate() {
        if skip_known(&case.name) {
            eprintln!("!!!!!!!! KNOWN FAILURE, SKIPPED: [{}] {} (a product bug: see the hostile-input report)", case.category, case.name);
            skipped.push(case.name.clone());
            continue;
        }
        if std::env::var_os("HOSTILE_VERBOSE").is_some() {
            eprintln!("case {i}: [{}] {}", case.category, case.name);
        }
        let request = case.req.to_request(peer(i + 1));
        let outcome = actix_web::rt::time::timeout(
            CASE_TIMEOUT,
            AssertUnwindSafe(async {
                let response = w.app.call(request).await;
                let status = response.status();
                let headers = response.headers().clone();
                let body = read_body(response).await.to_vec();
                Answer {
                    status,
                    headers,
                    body,
                }
            })
            .catch_unwind(),
        )
        .await;
        *tried.entry(case.category).or_default() += 1;
        let Ok(outcome) = outcome else {
            failures.push(format!(
                "[{}] {}: HANG: no answer within {CASE_TIMEOUT:?} (the request body was complete)",
                case.category, case.name
            ));
            w.app.restart().await;
            continue;
        };
        match outcome {
            Ok(answer) => {
                for problem in check_answer(case, &answer, &w) {
                    failures.push(format!("[{}] {}: {problem}", case.category, case.name));
                }
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!(
                    "[{}] {}: PANIC {message}",
                    case.category, case.name
                ));
                // The service may be left in a broken state: start a new one.
                w.app.restart().await;
            }
        }
    }

    // Bursts from one address: the limiter must answer 429 once the limit is reached.
    let burst_peer = SocketAddr::from((Ipv4Addr::new(198, 51, 100, 77), 5000));
    let mut burst = 0usize;
    let number_a = w.number(&w.a);
    for attempt in 0..=FAILURES_PER_MINUTE {
        let request = Req::get(format!("/api/v1/receipts/{number_a}?code=0000-0000-0000"))
            .to_request(burst_peer);
        let response = w.app.call(request).await;
        burst += 1;
        let expected = if attempt < FAILURES_PER_MINUTE {
            403
        } else {
            429
        };
        if response.status().as_u16() != expected {
            failures.push(format!(
                "[rate limits] wrong access code attempt {}: expected {expected}, got {}",
                attempt + 1,
                response.status()
            ));
        } else if expected == 429 && !response.headers().contains_key("retry-after") {
            failures.push("[rate limits] 429 without Retry-After".into());
        }
    }
    // Once limited, even the right code waits; and so does a token from that address.
    let code_a = w.code(&w.a);
    for (label, req, expect_html) in [
        (
            "right code after the limit",
            Req::get(format!("/api/v1/receipts/{number_a}?code={code_a}")),
            false,
        ),
        (
            "valid token after the limit",
            Req::get("/api/v1/letters").bearer(&w.app.clerk),
            false,
        ),
        (
            "desk login after the limit",
            Req::post("/desk/login").form(&format!("token={}", w.app.clerk)),
            true,
        ),
    ] {
        let response = w.app.call(req.to_request(burst_peer)).await;
        burst += 1;
        let ct = content_type(response.headers());
        if response.status() != StatusCode::TOO_MANY_REQUESTS {
            failures.push(format!(
                "[rate limits] {label}: expected 429, got {}",
                response.status()
            ));
        } else if expect_html != ct.starts_with("text/html") {
            failures.push(format!("[rate limits] {label}: content type {ct}"));
        }
    }
    let token_peer = SocketAddr::from((Ipv4Addr::new(198, 51, 100, 78), 5000));
    for attempt in 0..=FAILURES_PER_MINUTE {
        let response = w
            .app
            .call(
                Req::get("/api/v1/letters")
                    .bearer("sijil_guess")
                    .to_request(token_peer),
            )
            .await;
        burst += 1;
        let expected = if attempt < FAILURES_PER_MINUTE {
            401
        } else {
            429
        };
        if response.status().as_u16() != expected {
            failures.push(format!(
                "[rate limits] wrong token attempt {}: expected {expected}, got {}",
                attempt + 1,
                response.status()
            ));
        }
    }
    let login_peer = SocketAddr::from((Ipv4Addr::new(198, 51, 100, 79), 5000));
    for attempt in 0..=FAILURES_PER_MINUTE {
        let response = w
            .app
            .call(
                Req::post("/desk/login")
                    .form("token=sijil_guess")
                    .to_request(login_peer),
            )
            .await;
        burst += 1;
        let expected = if attempt < FAILURES_PER_MINUTE {
            401
        } else {
            429
        };
        if response.status().as_u16() != expected {
            failures.push(format!(
                "[rate limits] desk login attempt {}: expected {expected}, got {}",
                attempt + 1,
                response.status()
            ));
        }
    }
    tried.insert("rate limits (bursts)", burst);

    // Public answers carry no personal data.
    let number_b = w.number(&w.b);
    let sha_a = sijil_receipt::sha256_hex(LETTER_A.document);
    let sha_b = sijil_receipt::sha256_hex(LETTER_B.document);
    let receipt_a = w.a["bundle"]["receipt"].as_str().unwrap().to_owned();
    let mut public: Vec<Req> = Vec::new();
    for number in [&number_a, &number_b] {
        public.push(Req::get(format!("/api/v1/receipts/{number}")));
        public.push(Req::get(format!("/api/v1/receipts/{number}?code=")));
        public.push(Req::get(format!("/r/{number}")));
        public.push(Req::get(format!("/r/{number}?code=0000-0000-0000")));
        public.push(Req::get(format!("/r/{number}?code=not-a-code")));
        public.push(Req::get(format!("/r/{number}?lang=ar")));
        public.push(Req::get(format!("/r/{number}?lang=en")));
        public.push(Req::get(format!("/r/{number}")).cookie("sijil_forged"));
        public.push(Req::get(format!("/?number={number}")));
        public.push(Req::get(format!("/?number={number}&code=0000-0000-0000")));
        public.push(Req::get(format!("/?number={number}&code=garbage&lang=ar")));
    }
    for sha in [&sha_a, &sha_b] {
        public.push(Req::get(format!("/api/v1/receipts?sha256={sha}")));
        public.push(Req::get(format!(
            "/api/v1/receipts?sha256={}",
            sha.to_uppercase()
        )));
        public.push(Req::get(format!("/?sha256={sha}")));
    }
    for uri in [
        "/",
        "/?lang=ar",
        "/api/v1/log/entries/0",
        "/api/v1/log/entries/1",
        "/api/v1/log/checkpoint",
        "/api/v1/log/proof/inclusion?index=0&tree_size=2",
        "/api/v1/log/proof/consistency?from=1&to=2",
        "/api/v1/log/key",
        "/.well-known/jwks.json",
        "/healthz",
        "/metrics",
        "/api/v1/openapi.json",
        "/desk",
        "/verify",
    ] {
        public.push(Req::get(uri));
    }
    public.push(Req::get("/desk").cookie("sijil_forged"));
    public.push(Req::get("/desk").cookie(&w.revoked));
    public.push(Req::post("/api/v1/verify").json(&w.a["bundle"]));
    public.push(Req::post("/api/v1/verify").json(&json!({"receipt": receipt_a})));
    public.push(Req::post("/verify").form(&format!("receipt={receipt_a}")));
    public.push(Req::post("/verify").form(&format!(
        "receipt={}&sha256={sha_a}",
        crate_encode(&w.a["bundle"].to_string())
    )));
    let public_count = public.len();
    // The detector itself works: with the access code, the data is there.
    let control = w
        .app
        .call(
            Req::get(format!("/api/v1/receipts/{number_a}?code={code_a}")).to_request(peer(49_999)),
        )
        .await;
    let headers = control.headers().clone();
    let text = String::from_utf8_lossy(&read_body(control).await).into_owned();
    assert!(
        leaks(&w, &headers, &text).len() >= 5,
        "the leak detector must see the letter's data when the code is given: {text}"
    );
    for (i, req) in public.iter().enumerate() {
        let response = w.app.call(req.to_request(peer(50_000 + i))).await;
        let status = response.status();
        let headers = response.headers().clone();
        let text = String::from_utf8_lossy(&read_body(response).await).into_owned();
        if status.is_server_error() {
            failures.push(format!("[public] {} {}: {status}", req.method, req.uri));
        }
        for leak in leaks(&w, &headers, &text) {
            failures.push(format!(
                "[public] {} {} ({status}): {leak}",
                req.method, req.uri
            ));
        }
    }

    // Nothing changed.
    let after = snapshot(&w.app.registry);
    if after != before {
        failures.push(format!(
            "the registry changed:\nbefore: {before:#?}\nafter: {after:#?}"
        ));
    }
    let tmp_after = tmp_files(&w.app.registry);
    if tmp_after != tmp_before {
        failures.push(format!(
            "temporary document files left behind: {tmp_before} before, {tmp_after} after"
        ));
    }

    let hostile: usize = tried.values().sum();
    eprintln!("=== hostile input catalogue ===");
    for (category, n) in &tried {
        eprintln!("  {category:<28} {n:>5}");
    }
    eprintln!("  {:<28} {:>5}", "TOTAL hostile requests", hostile);
    eprintln!("  ({} catalogue cases answered 4xx, {} verify rejects answered verdict invalid, {} burst requests)", catalogue.cases.len() - skipped.iter().filter(|n| catalogue.cases.iter().any(|c| &&c.name == n)).count(), rejects.cases.len(), burst);
    eprintln!("  public responses checked for personal data: {public_count}");
    eprintln!("  temporary document files: {tmp_before} before, {tmp_after} after");
    if !skipped.is_empty() {
        eprintln!(
            "!!!!!!!! {} KNOWN FAILURES SKIPPED: {skipped:?}",
            skipped.len()
        );
    }
    assert!(
        catalogue.cases.len() + rejects.cases.len() >= 120,
        "the catalogue has at least 120 cases"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Documents over the in-memory size are written to `documents/` as they
/// stream in, before the rest of the request is read and checked. A request
/// refused after such a document must leave no file behind.
async fn refused_requests_with_large_documents_leave_no_files(backend: Backend) {
    let w = world_with(backend, 4 * 1024 * 1024, 16 * 1024 * 1024).await;
    let clerk = w.app.clerk.as_str();
    let good = good_meta().to_string();
    // Over 256 KiB (sijil_registry::documents::INLINE_MAX): a file, not a blob.
    let big = |seed: u8| -> Vec<u8> { (0..300 * 1024).map(|i| (i % 251) as u8 ^ seed).collect() };
    let letters = || Req::post("/api/v1/letters").bearer(clerk);
    let desk = || Req::post("/desk/letters").cookie(clerk);
    let mut truncated = mp(&[Part::metadata(&good), Part::document("big.pdf", big(5))]);
    truncated.truncate(truncated.len() - (BOUNDARY.len() + 6));
    truncated.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-da").as_bytes());
    let cases: Vec<(&str, Req, u16)> = vec![
        (
            "large document: then metadata with a blank sender name",
            letters().multipart(mp(&[
                Part::document("big.pdf", big(1)),
                Part::metadata(meta_with(|m| m["sender"]["name"] = json!(" "))),
            ])),
            400,
        ),
        (
            "large document: then metadata that is not JSON",
            letters().multipart(mp(&[
                Part::document("big.pdf", big(2)),
                Part::metadata("{not json"),
            ])),
            400,
        ),
        (
            "large document: then a zero-byte document",
            letters().multipart(mp(&[
                Part::metadata(&good),
                Part::document("big.pdf", big(3)),
                Part::document("empty.pdf", b""),
            ])),
            400,
        ),
        (
            "large document: then an unexpected part",
            letters().multipart(mp(&[
                Part::metadata(&good),
                Part::document("big.pdf", big(4)),
                Part::field("surprise", b"x"),
            ])),
            400,
        ),
        (
            "large document: then a body cut inside part headers",
            letters().multipart(truncated),
            400,
        ),
        (
            "large document: then a file name with a folder",
            letters().multipart(mp(&[
                Part::metadata(&good),
                Part::document("big.pdf", big(6)),
                Part::document("../x.pdf", b"x"),
            ])),
            400,
        ),
        (
            "large document: no metadata part at all",
            letters().multipart(mp(&[Part::document("big.pdf", big(7))])),
            400,
        ),
        (
            "large document: at the desk with a wrong CSRF token",
            desk().multipart(mp(&[
                Part::field("csrf", b"0000"),
                Part::field("sender_name", b"A"),
                Part::field("subject", b"B"),
                Part::document("big.pdf", big(8)),
            ])),
            403,
        ),
        (
            "large document: at the desk without a subject",
            desk().multipart(mp(&[
                Part::field("csrf", csrf(clerk).as_bytes()),
                Part::field("sender_name", b"A"),
                Part::document("big.pdf", big(9)),
            ])),
            400,
        ),
    ];
    let before = snapshot(&w.app.registry);
    let mut failures = Vec::new();
    let mut tried = 0usize;
    for (i, (name, req, status)) in cases.iter().enumerate() {
        if skip_known(name) {
            eprintln!("!!!!!!!! KNOWN FAILURE, SKIPPED: [large documents] {name} (a product bug: see the hostile-input report)");
            continue;
        }
        tried += 1;
        let files_before = snapshot(&w.app.registry).document_files;
        let tmp_before = tmp_files(&w.app.registry);
        let response = actix_web::rt::time::timeout(
            CASE_TIMEOUT,
            w.app.call(req.to_request(peer(60_000 + i))),
        )
        .await;
        let Ok(response) = response else {
            failures.push(format!("[large documents] {name}: HANG"));
            continue;
        };
        if response.status().as_u16() != *status {
            failures.push(format!(
                "[large documents] {name}: expected {status}, got {}",
                response.status()
            ));
        }
        let files_after = snapshot(&w.app.registry).document_files;
        let new: Vec<_> = files_after.difference(&files_before).collect();
        if !new.is_empty() {
            failures.push(format!(
                "[large documents] {name}: refused ({}), yet left document files {new:?}",
                response.status()
            ));
        }
        let tmp_after = tmp_files(&w.app.registry);
        if tmp_after != tmp_before {
            failures.push(format!(
                "[large documents] {name}: refused ({}), yet left temporary files ({tmp_before} before, {tmp_after} after)",
                response.status()
            ));
        }
    }
    let after = snapshot(&w.app.registry);
    if after != before {
        failures.push(format!(
            "[large documents] the registry changed:\nbefore: {before:#?}\nafter: {after:#?}"
        ));
    }
    // The control: accepted, the same large document is stored once, in
    // place, from the API and from the desk, and nothing stays in tmp/.
    let document = big(10);
    let sha = sijil_receipt::sha256_hex(&document);
    let stored = Path::new(&sha[..2]).join(&sha);
    for (label, req, status) in [
        (
            "API",
            letters().multipart(mp(&[
                Part::metadata(&good),
                Part::document("big.pdf", &document),
            ])),
            201,
        ),
        (
            "desk",
            desk().multipart(mp(&[
                Part::field("csrf", csrf(clerk).as_bytes()),
                Part::field("sender_name", b"A"),
                Part::field("subject", b"B"),
                Part::document("big.pdf", &document),
            ])),
            303,
        ),
    ] {
        let response = w.app.call(req.to_request(peer(61_000))).await;
        assert_eq!(response.status().as_u16(), status, "{label}");
        let files = snapshot(&w.app.registry).document_files;
        let new: Vec<_> = files.difference(&before.document_files).collect();
        assert_eq!(
            new,
            vec![&stored],
            "{label}: the document is stored once, in place"
        );
        assert_eq!(
            tmp_files(&w.app.registry),
            0,
            "{label}: nothing left in tmp/"
        );
    }
    assert_eq!(snapshot(&w.app.registry).tree_size, before.tree_size + 2);
    eprintln!("=== large documents refused after streaming: {tried} requests tried ===");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Percent-encodes a form value.
fn crate_encode(text: &str) -> String {
    sijil_web::util::url_encode(text)
}
