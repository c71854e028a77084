//! The pages in a real browser: a clerk signs in at the desk and registers a
//! letter with a file, the printed receipt shows its number, access code and
//! QR code, and a citizen follows the QR code's address, drops the same file
//! and sees it verified in the browser (WebCrypto), then drops another file
//! and sees it rejected — in French, then in Arabic.
//!
//! Headless Chromium (Debian's `chromium` and `chromium-driver`, which
//! `.ci/run` installs) is driven through chromedriver with the W3C WebDriver
//! protocol, spoken here over plain HTTP. On failure the panic message holds
//! the page's text and the server's log, and names a directory with a
//! screenshot and the page's source.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{json, Value};
use sijil_e2e::{ProcessLog as Log, Reaped, Sandbox};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const NOT_INSTALLED: &str =
    "Chromium is not installed: run .ci/run or apt-get install chromium chromium-driver";

/// How long the page may take to show what the test waits for.
const WAIT: Duration = Duration::from_secs(10);
/// How often the test looks again.
const POLL: Duration = Duration::from_millis(100);
/// How long a process may take to start (Chromium's first start is slow on a cold CI machine).
const START: Duration = Duration::from_secs(60);

/// The key of a web element reference in WebDriver's JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What the verification page says once the browser itself has checked the receipt.
const VERIFIED_FR: &str = "Vérifié dans votre navigateur";
const VERIFIED_AR: &str = "تم التحقق في متصفحك";

#[test]
fn a_clerk_registers_at_the_desk_and_a_citizen_verifies_the_document_in_the_browser() {
    let started = Instant::now();
    assert!(
        Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file(),
        "{NOT_INSTALLED}"
    );

    let sandbox = Sandbox::new();
    let token = sandbox
        .run(["token", "create", "--role", "clerk", "--name", "Amina"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    assert!(!token.is_empty(), "token create printed no token");
    let letter = sandbox.file(
        "lettre-benali.pdf",
        b"%PDF-1.7\n% Demande de certificat de residence, Mme Khadija Benali\n",
    );
    let other = sandbox.file(
        "autre-lettre.pdf",
        b"%PDF-1.7\n% Une autre lettre, qui n'a jamais ete enregistree\n",
    );
    let arabic_letter = sandbox.file(
        "رسالة-العلوي.pdf",
        "%PDF-1.7\n% طلب شهادة السكنى\n".as_bytes(),
    );

    let server = Server::start(&sandbox);
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start();
    let browser = Browser::open(&driver, profile.path(), server.log.clone());
    eprintln!(
        "browser test: server, chromedriver and Chromium up in {:.1?}",
        started.elapsed()
    );

    // En français : the clerk registers a paper letter at the desk...
    let fr = Letter {
        sender: "Khadija Benali",
        subject: "Demande de certificat de résidence",
        addressee: "Service de l'état civil",
        reference: "KB/2026/17",
        channel: "email",
    };
    browser.goto(&format!("{}/desk", server.base));
    browser.sign_in(&token);
    let receipt = browser.register(&server.base, &fr, &letter);
    assert_private(&server.base, &receipt.number, &fr);
    // ...and the citizen follows the QR code, in French.
    browser.goto(&receipt.qr_url);
    browser.expect_language("fr", "ltr");
    browser.expect_text_contains("body", &receipt.number);
    browser.drop_document(&letter, "match", Some(VERIFIED_FR));
    browser.drop_document(&other, "mismatch", None);
    eprintln!("browser test: French done at {:.1?}", started.elapsed());

    // بالعربية: the same receipt's page, switched to Arabic by `?lang=ar`.
    browser.goto(&format!("{}&lang=ar", receipt.qr_url));
    browser.expect_language("ar", "rtl");
    browser.expect_text_contains("body", &receipt.number);
    browser.drop_document(&letter, "match", Some(VERIFIED_AR));
    browser.drop_document(&other, "mismatch", None);

    // A second letter registered at the desk in Arabic, with an Arabic file
    // name, verified in Arabic; the first letter's file is not this one's.
    let ar = Letter {
        sender: "فاطمة الزهراء العلوي",
        subject: "طلب شهادة السكنى",
        addressee: "مصلحة الحالة المدنية",
        reference: "ف.ع/2026/3",
        channel: "paper",
    };
    browser.goto(&format!("{}/desk?lang=ar", server.base));
    browser.expect_language("ar", "rtl");
    browser.sign_in(&token);
    let second = browser.register(&server.base, &ar, &arabic_letter);
    assert_ne!(second.number, receipt.number);
    assert_private(&server.base, &second.number, &ar);
    browser.goto(&format!("{}&lang=ar", second.qr_url));
    browser.expect_language("ar", "rtl");
    browser.expect_text_contains("body", &second.number);
    browser.drop_document(&arabic_letter, "match", Some(VERIFIED_AR));
    browser.drop_document(&letter, "mismatch", None);
    eprintln!(
        "browser test: Arabic done, whole test {:.1?}",
        started.elapsed()
    );
}

/// What the clerk types for a letter.
struct Letter {
    sender: &'static str,
    subject: &'static str,
    addressee: &'static str,
    reference: &'static str,
    channel: &'static str,
}

/// What the printed receipt shows.
struct Receipt {
    number: String,
    qr_url: String,
}

/// No public response shows the sender (or the subject) to whoever has only
/// the number: neither the verification page, nor the receipt page, nor the API.
fn assert_private(base: &str, number: &str, letter: &Letter) {
    let agent = http_agent();
    for path in [
        format!("/?number={number}"),
        format!("/r/{number}"),
        format!("/api/v1/receipts/{number}"),
    ] {
        let url = format!("{base}{path}");
        let mut response = agent
            .get(&url)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap();
        assert_eq!(status, 200, "GET {url} without the access code:\n{body}");
        if !path.starts_with("/api/") {
            assert!(
                body.contains(number),
                "GET {url} does not mention {number}:\n{body}"
            );
        }
        assert!(
            !body.contains(letter.sender),
            "GET {url} shows the sender's name {:?} without the access code:\n{body}",
            letter.sender
        );
        assert!(
            !body.contains(letter.subject),
            "GET {url} shows the subject {:?} without the access code:\n{body}",
            letter.subject
        );
    }
}

/// A plain HTTP client: no proxy (everything is on the loopback), no error on 4xx/5xx.
fn http_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// `sijil serve` on the sandbox's registry.
struct Server {
    base: String,
    log: Log,
    _process: Reaped,
}

impl Server {
    fn start(sandbox: &Sandbox) -> Server {
        // The receipt's QR code holds the public address, which is the
        // `--listen` address: so listen on a known free port (and try another
        // if someone took it meanwhile).
        let mut failures = Vec::new();
        for _ in 0..5 {
            let port = free_port();
            let base = format!("http://127.0.0.1:{port}");
            let mut child = sandbox
                .command()
                .env_remove("SIJIL_LISTEN")
                .env_remove("SIJIL_PUBLIC_URL")
                .env("NO_COLOR", "1")
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start sijil serve: {e}"));
            let log = Log::default();
            let (lines, printed) = mpsc::channel();
            log.collect(child.stdout.take().unwrap(), Some(lines));
            log.collect(child.stderr.take().unwrap(), None);
            let process = Reaped(child);
            let deadline = Instant::now() + START;
            loop {
                match printed.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(line) => {
                        if let Some(address) = line.strip_prefix("Sijil is listening on ") {
                            assert_eq!(address.trim(), base, "{}", log.tail(50));
                            return Server {
                                base,
                                log,
                                _process: process,
                            };
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        // Exited: most likely the port was taken; try another.
                        thread::sleep(POLL);
                        failures.push(log.tail(20));
                        break;
                    }
                    Err(RecvTimeoutError::Timeout) => panic!(
                        "sijil serve did not say it was listening within {START:?}:\n{}",
                        log.tail(50)
                    ),
                }
            }
        }
        panic!("sijil serve would not start:\n{}", failures.join("\n---\n"));
    }
}

/// chromedriver, on a free port.
struct Driver {
    base: String,
    agent: ureq::Agent,
    log: Log,
    process: Reaped,
}

impl Driver {
    fn start() -> Driver {
        let agent = http_agent();
        let mut failures = Vec::new();
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER} ({e}). {NOT_INSTALLED}"));
            let log = Log::default();
            log.collect(child.stdout.take().unwrap(), None);
            log.collect(child.stderr.take().unwrap(), None);
            let mut driver = Driver {
                base: format!("http://127.0.0.1:{port}"),
                agent: agent.clone(),
                log,
                process: Reaped(child),
            };
            let deadline = Instant::now() + START;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = driver.process.0.try_wait() {
                    break;
                }
                match driver.call("GET", "/status", None) {
                    Ok(status) if status["ready"] == json!(true) => return driver,
                    _ => thread::sleep(POLL),
                }
            }
            failures.push(driver.log.tail(20));
        }
        panic!(
            "chromedriver would not start:\n{}",
            failures.join("\n---\n")
        );
    }

    /// One WebDriver command: its `value`, or the error WebDriver answered.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, Some(body)) => self.agent.post(&url).send_json(body),
            (_, None) => self.agent.post(&url).send_json(json!({})),
        };
        let mut response = response.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let reply: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| format!("{method} {path}: HTTP {status}, no JSON: {e}"))?;
        let value = reply.get("value").cloned().unwrap_or(Value::Null);
        if status == 200 {
            Ok(value)
        } else {
            Err(format!(
                "{method} {path}: HTTP {status} {}: {}",
                value["error"].as_str().unwrap_or("?"),
                value["message"].as_str().unwrap_or("")
            ))
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Let chromedriver close what it started; the Reaped field kills it anyway.
        let _ = self.agent.get(format!("{}/shutdown", self.base)).call();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.0.try_wait() {
                break;
            }
            thread::sleep(POLL);
        }
    }
}

/// A WebDriver session: one headless Chromium.
struct Browser<'a> {
    driver: &'a Driver,
    session: String,
    server_log: Log,
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        let _ = self
            .driver
            .call("DELETE", &format!("/session/{}", self.session), None);
    }
}

/// Why a probe is not satisfied yet (kept for the failure message).
type Pending = String;

impl<'a> Browser<'a> {
    fn open(driver: &'a Driver, profile: &Path, server_log: Log) -> Browser<'a> {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-proxy-server",
                    "--window-size=1280,1024",
                    format!("--user-data-dir={}", profile.display()),
                    "--lang=fr",
                ],
            },
        }}});
        let session = driver
            .call("POST", "/session", Some(&capabilities))
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start Chromium through chromedriver: {e}\n{}",
                    driver.log.tail(30)
                )
            });
        let session = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {session}"))
            .to_owned();
        let browser = Browser {
            driver,
            session,
            server_log,
        };
        browser.command(
            "POST",
            "/timeouts",
            Some(json!({"pageLoad": 60_000, "script": 30_000, "implicit": 0})),
        );
        browser
    }

    /// A command of this session; a failure fails the test.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_command(method, path, body)
            .unwrap_or_else(|e| self.fail(&e))
    }

    fn try_command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        self.driver.call(
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        )
    }

    fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    fn url(&self) -> String {
        self.command("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `script` in the page (its `arguments` are `args`).
    fn script(&self, script: &str, args: Value) -> Result<Value, String> {
        self.try_command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The element matching `css` now, if any.
    fn element(&self, css: &str) -> Result<String, Pending> {
        let found = self.try_command(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        found[ELEMENT]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no element reference in {found}"))
    }

    /// Polls `probe` until it is satisfied; fails the test after [`WAIT`].
    fn wait<T>(&self, what: &str, mut probe: impl FnMut() -> Result<T, Pending>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            match probe() {
                Ok(value) => return value,
                Err(pending) if Instant::now() >= deadline => self.fail(&format!(
                    "timed out after {WAIT:?} waiting for {what}; last seen: {pending}"
                )),
                Err(_) => thread::sleep(POLL),
            }
        }
    }

    fn find(&self, css: &str) -> String {
        self.wait(&format!("an element `{css}`"), || self.element(css))
    }

    fn click(&self, css: &str) {
        self.wait(&format!("a click on `{css}`"), || {
            let element = self.element(css)?;
            self.try_command(
                "POST",
                &format!("/element/{element}/click"),
                Some(json!({})),
            )
        });
    }

    /// Types `text` into the element (for a file input: selects the file at that path).
    fn send_keys(&self, css: &str, text: &str) {
        self.wait(&format!("typing into `{css}`"), || {
            let element = self.element(css)?;
            self.try_command(
                "POST",
                &format!("/element/{element}/value"),
                Some(json!({ "text": text })),
            )
        });
    }

    fn fill(&self, name: &str, text: &str) {
        let css = format!("#register-form [name=\"{name}\"]");
        self.send_keys(&css, text);
        self.wait(&format!("`{css}` to hold {text:?}"), || {
            let value = self.property(&css, "value")?;
            if value.as_str() == Some(text) {
                Ok(())
            } else {
                Err(format!("its value is {value}"))
            }
        });
    }

    fn property(&self, css: &str, name: &str) -> Result<Value, Pending> {
        let element = self.element(css)?;
        self.try_command("GET", &format!("/element/{element}/property/{name}"), None)
    }

    /// The element's classes, text and markup, or why not.
    fn inspect(&self, css: &str) -> Result<Value, Pending> {
        let found = self.script(
            "const e = document.querySelector(arguments[0]);
             return e && {
                 classes: Array.from(e.classList),
                 text: e.innerText || e.textContent || '',
                 html: e.outerHTML.slice(0, 3000),
             };",
            json!([css]),
        )?;
        if found.is_null() {
            Err(format!("no element `{css}` in the page"))
        } else {
            Ok(found)
        }
    }

    fn text(&self, css: &str) -> String {
        let found = self.wait(&format!("an element `{css}`"), || self.inspect(css));
        found["text"].as_str().unwrap_or_default().trim().to_owned()
    }

    fn expect_text_contains(&self, css: &str, wanted: &str) {
        self.wait(&format!("`{css}` to contain {wanted:?}"), || {
            let found = self.inspect(css)?;
            let text = found["text"].as_str().unwrap_or_default();
            if text.contains(wanted) {
                Ok(())
            } else {
                Err(format!("`{css}` reads: {}", excerpt(text, 2000)))
            }
        });
    }

    fn expect_language(&self, lang: &str, dir: &str) {
        self.wait(&format!("<html lang=\"{lang}\" dir=\"{dir}\">"), || {
            let found = self.script(
                "const h = document.documentElement;
                 return [h.getAttribute('lang'), h.getAttribute('dir')];",
                json!([]),
            )?;
            if found == json!([lang, dir]) {
                Ok(())
            } else {
                Err(format!("<html> has [lang, dir] = {found}"))
            }
        });
    }

    /// Signs in at the desk with `token`, unless the session is still open.
    fn sign_in(&self, token: &str) {
        let signed_in = self.wait("the desk's sign-in form or registration form", || {
            if self.element("#register-form").is_ok() {
                Ok(true)
            } else if self.element("#token").is_ok() {
                Ok(false)
            } else {
                Err(format!("the page is {}", self.url()))
            }
        });
        if signed_in {
            return;
        }
        self.send_keys("#token", token);
        self.click("#login-submit");
        self.wait("the desk after signing in (`#register-form`)", || {
            if let Ok(error) = self.inspect("#login-error") {
                self.fail(&format!("sign-in refused: {}", error["text"]));
            }
            self.element("#register-form").map(drop)
        });
    }

    /// Registers `letter` with `document` at the desk; checks the receipt it lands on.
    fn register(&self, base: &str, letter: &Letter, document: &Path) -> Receipt {
        self.fill("sender_name", letter.sender);
        self.fill("subject", letter.subject);
        self.fill("addressee", letter.addressee);
        self.fill("reference", letter.reference);
        let option = format!(
            "#register-form select[name=\"channel\"] option[value=\"{}\"]",
            letter.channel
        );
        self.click(&option);
        self.wait("the channel to be selected", || {
            let value = self.property("#register-form select[name=\"channel\"]", "value")?;
            if value.as_str() == Some(letter.channel) {
                Ok(())
            } else {
                Err(format!("the channel is {value}"))
            }
        });
        self.send_keys(
            "#register-form input[type=file][name=document]",
            &absolute(document),
        );
        self.click("#register-submit");

        // The printed receipt: /r/{number}?code=...
        self.wait("the receipt page (`/r/...` with `#receipt-number`)", || {
            if let Ok(error) = self.inspect("#register-error") {
                self.fail(&format!("registration refused: {}", error["text"]));
            }
            let url = self.url();
            if !url.starts_with(&format!("{base}/r/")) {
                return Err(format!("the page is {url}"));
            }
            self.element("#receipt-number").map(drop)
        });
        let url = self.url();
        let number = self.text("#receipt-number");
        if !is_registration_number(&number) {
            self.fail(&format!(
                "#receipt-number reads {number:?}, not BO-YYYY-NNNNNN"
            ));
        }
        if !url.starts_with(&format!("{base}/r/{number}?")) {
            self.fail(&format!(
                "the receipt's address {url} is not /r/{number}?code=..."
            ));
        }
        let code = query_param(&url, "code").unwrap_or_else(|| {
            self.fail(&format!("no access code in the receipt's address {url}"))
        });
        let shown = self.text("#access-code");
        if shown != code {
            self.fail(&format!(
                "#access-code reads {shown:?}, the address has code={code}"
            ));
        }
        self.find("#qr svg");
        let qr_url = self.wait("`#qr-link` to have an href", || {
            let element = self.element("#qr-link")?;
            let href =
                self.try_command("GET", &format!("/element/{element}/attribute/href"), None)?;
            href.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("its href is {href}"))
        });
        let expected = format!("{base}/?number={number}&code={code}");
        if qr_url != expected {
            self.fail(&format!(
                "#qr-link's href is {qr_url:?}, expected {expected:?}"
            ));
        }
        eprintln!("browser test: registered {number} at the desk");
        Receipt { number, qr_url }
    }

    /// Drops `file` on the verification page's `#document` input and waits
    /// for `#document-result` to be of class `class` (and, when given, for
    /// `#browser-verdict` to say `verdict`).
    fn drop_document(&self, file: &Path, class: &str, verdict: Option<&str>) {
        self.send_keys("#document", &absolute(file));
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        self.wait(
            &format!("`#document-result.{class}` after dropping {name}"),
            || {
                let found = self.inspect("#document-result")?;
                let classes = found["classes"].as_array().cloned().unwrap_or_default();
                let has = |c: &str| classes.iter().any(|x| x == c);
                // `match` and `mismatch` exclude each other.
                let other = if class == "match" {
                    "mismatch"
                } else {
                    "match"
                };
                if has(class) && !has(other) {
                    Ok(())
                } else {
                    Err(format!("#document-result is {}", found["html"]))
                }
            },
        );
        if let Some(verdict) = verdict {
            self.expect_text_contains("#browser-verdict", verdict);
        }
    }

    /// Fails the test: the message, the page's address and text, the
    /// server's last log lines; a screenshot and the page's source are saved.
    fn fail(&self, message: &str) -> ! {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "sijil-browser-failure-{}-{stamp}",
            std::process::id()
        ));
        let _ = std::fs::create_dir_all(&dir);
        let screenshot = dir.join("screenshot.png");
        let saved = self
            .try_command("GET", "/screenshot", None)
            .and_then(|png| {
                base64::engine::general_purpose::STANDARD
                    .decode(png.as_str().unwrap_or_default())
                    .map_err(|e| e.to_string())
            })
            .and_then(|png| std::fs::write(&screenshot, png).map_err(|e| e.to_string()));
        let source = dir.join("page.html");
        if let Ok(html) = self.try_command("GET", "/source", None) {
            let _ = std::fs::write(&source, html.as_str().unwrap_or_default());
        }
        let url = self
            .try_command("GET", "/url", None)
            .map(|u| u.as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|e| e);
        let text = self
            .script(
                "return document.body ? document.body.innerText : '';",
                json!([]),
            )
            .map(|t| t.as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|e| e);
        panic!(
            "{message}\n\
             page: {url}\n\
             screenshot: {}\n\
             page source: {}\n\
             --- the page's text ---\n{}\n\
             --- the server's last log lines ---\n{}",
            match saved {
                Ok(()) => screenshot.display().to_string(),
                Err(e) => format!("none ({e})"),
            },
            source.display(),
            excerpt(&text, 4000),
            self.server_log.tail(40),
        );
    }
}

/// A path as the browser's file chooser wants it.
fn absolute(path: &Path) -> String {
    let path: PathBuf =
        std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
        .to_owned()
}

/// `BO-YYYY-NNNNNN`.
fn is_registration_number(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    parts.len() == 3 && parts[0] == "BO" && digits(parts[1], 4) && digits(parts[2], 6)
}

/// The (undecoded) value of `name` in the URL's query.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .map(str::to_owned)
}

/// At most `max` characters of `text`.
fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
