//! The one test application of the web suites: a registry on SQLite or on
//! PostgreSQL, a token of each role, and the production application
//! (`sijil_web::app`, its middleware included) as an actix test service.
//!
//! A suite lists its tests (async functions of [`Backend`]) in
//! [`on_both_backends!`], which runs each as `sqlite::<name>` and
//! `postgres::<name>`. Request bodies come from `sijil_testkit::multipart`
//! and letter metadata from `sijil_testkit::fixtures`.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unused_macros)]

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use futures_util::future::LocalBoxFuture;
use serde_json::Value;
use sijil_registry::{Registry, RegistryOptions, Role};
use sijil_testkit::fixtures;
use sijil_testkit::multipart::{self, Multipart};
use sijil_web::{AppState, WebSettings};
use tempfile::TempDir;

/// Runs each listed test (an async function of [`Backend`]) on both
/// backends, as `sqlite::<name>` and `postgres::<name>`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
    };
}

/// Which database the registry of a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite file in the data directory.
    Sqlite,
    /// A fresh database of the process's throwaway cluster
    /// (`PgCluster::shared().create_database()`).
    Postgres,
}

/// The registry's origin (the first line of its checkpoints).
pub const ORIGIN: &str = "bo.test.example";
/// The address the service is reached at (receipt URLs, QR codes).
pub const PUBLIC_URL: &str = "https://bo.test.example";
/// The document limit of [`TestApp::settings`].
pub const MAX_DOCUMENT_BYTES: u64 = 1024;
/// The failed attempts allowed per client and minute in [`TestApp::settings`].
pub const FAILURES_PER_MINUTE: u32 = 5;

/// What the test service answers (its body boxed).
pub type Response = ServiceResponse<BoxBody>;

/// The production application as a test service, its body type erased.
pub type TestService = Box<
    dyn Service<
        actix_http::Request,
        Response = Response,
        Error = actix_web::Error,
        Future = LocalBoxFuture<'static, Result<Response, actix_web::Error>>,
    >,
>;

/// A registry with a token of each role, and the production application on it.
pub struct TestApp {
    pub backend: Backend,
    /// The data directory (keys, documents; the SQLite file on SQLite).
    pub dir: TempDir,
    /// The database: the SQLite file's path, or a `postgres://` URL.
    pub database_url: String,
    pub registry: Registry,
    pub state: AppState,
    /// The clerk Amina's token (token 1).
    pub clerk: String,
    /// The auditor Karim's token (token 2).
    pub auditor: String,
    /// The administrator Nadia's token (token 3).
    pub admin: String,
    service: TestService,
}

impl TestApp {
    /// The settings the suites use: [`PUBLIC_URL`], documents of at most
    /// [`MAX_DOCUMENT_BYTES`], [`FAILURES_PER_MINUTE`] failures per minute.
    pub fn settings() -> WebSettings {
        let mut settings = WebSettings::new(PUBLIC_URL);
        settings.max_document_bytes = MAX_DOCUMENT_BYTES;
        settings.failures_per_minute = FAILURES_PER_MINUTE;
        settings
    }

    /// A fresh registry on `backend`, with [`TestApp::settings`].
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::with_settings(backend, TestApp::settings()).await
    }

    /// A fresh registry on `backend`, served with `settings`.
    pub async fn with_settings(backend: Backend, settings: WebSettings) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            Backend::Sqlite => dir.path().join("sijil.db").to_string_lossy().into_owned(),
            Backend::Postgres => sijil_testkit::PgCluster::shared().create_database(),
        };
        let mut options = RegistryOptions::new(dir.path());
        options.database_url = Some(database_url.clone());
        options.origin = Some(ORIGIN.into());
        let registry = Registry::open(options).unwrap();
        let (_, clerk) = registry
            .access()
            .create_token("Amina", Role::Clerk)
            .unwrap();
        let (_, auditor) = registry
            .access()
            .create_token("Karim", Role::Auditor)
            .unwrap();
        let (_, admin) = registry
            .access()
            .create_token("Nadia", Role::Admin)
            .unwrap();
        let state = AppState::new(registry.clone(), settings);
        let service = TestApp::service_of(state.clone()).await;
        TestApp {
            backend,
            dir,
            database_url,
            registry,
            state,
            clerk,
            auditor,
            admin,
            service,
        }
    }

    /// The production application on `state`, as a test service.
    pub async fn service_of(state: AppState) -> TestService {
        Box::new(Boxed {
            inner: init_service(sijil_web::app(state)).await,
        })
    }

    /// The test service.
    pub fn service(&self) -> &TestService {
        &self.service
    }

    /// A new service on the same state (after a panic left the old one unusable).
    pub async fn restart(&mut self) {
        self.service = TestApp::service_of(self.state.clone()).await;
    }

    /// Sends a request through the production application (panicking if the
    /// service answers an error instead of a response).
    pub async fn call(&self, request: impl IntoRequest) -> Response {
        call_service(&self.service, request.into_request()).await
    }

    /// Registers a letter from `sender` ([`fixtures::letter`]) with one
    /// document, `plainte.pdf`; checks the 201 and returns its answer.
    pub async fn register(&self, token: &str, sender: &str, document: &[u8]) -> Value {
        let form = Multipart::new()
            .metadata(&fixtures::letter(sender))
            .document("plainte.pdf", document);
        let response = self.call(register_request(token, &form)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        json_of(response).await
    }

    /// Runs raw SQL on the registry's database, behind its back.
    pub fn execute(&self, sql: &str) {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        match self.backend {
            Backend::Sqlite => diesel::SqliteConnection::establish(&self.database_url)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
            Backend::Postgres => diesel::PgConnection::establish(&self.database_url)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
        }
    }
}

/// What [`TestApp::call`] takes: a built request or a request builder.
pub trait IntoRequest {
    fn into_request(self) -> actix_http::Request;
}

impl IntoRequest for actix_http::Request {
    fn into_request(self) -> actix_http::Request {
        self
    }
}

impl IntoRequest for TestRequest {
    fn into_request(self) -> actix_http::Request {
        self.to_request()
    }
}

/// `POST /api/v1/letters` of `form` with a bearer token.
pub fn register_request(token: &str, form: &Multipart) -> TestRequest {
    post_letters(token, form.content_type(), form.body())
}

/// `POST /api/v1/letters` of a body built by hand (malformed, truncated…),
/// declared as a form of the boundary `sijil_testkit::multipart::BOUNDARY`.
pub fn register_body(token: &str, body: Vec<u8>) -> TestRequest {
    post_letters(token, multipart::content_type(multipart::BOUNDARY), body)
}

fn post_letters(token: &str, content_type: String, body: Vec<u8>) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/letters")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", content_type))
        .set_payload(body)
}

/// The JSON body of a response.
pub async fn json_of<B: MessageBody>(response: ServiceResponse<B>) -> Value {
    let bytes = read_body(response).await;
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

/// The body of a response, as text.
pub async fn text_of<B: MessageBody>(response: ServiceResponse<B>) -> String {
    String::from_utf8(read_body(response).await.to_vec()).unwrap()
}

/// Checks a problem+json answer: its status and that its detail mentions `needle`.
pub async fn assert_problem<B: MessageBody>(
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

/// A service with its response body boxed, so that the application's
/// opaque type can be stored.
struct Boxed<S> {
    inner: S,
}

impl<S, B> Service<actix_http::Request> for Boxed<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = Response;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Response, actix_web::Error>>;

    actix_web::dev::forward_ready!(inner);

    fn call(&self, request: actix_http::Request) -> Self::Future {
        let response = self.inner.call(request);
        Box::pin(async move { response.await.map(ServiceResponse::map_into_boxed_body) })
    }
}
