//! `multipart/form-data` request bodies (RFC 7578), built the same way by
//! every suite: the clerk API's registrations (a `metadata` part and
//! `document` parts), the desk's form (text fields and files), and, for the
//! hostile-input catalogue, parts with hand-written headers.
//!
//! ```
//! use sijil_testkit::multipart::{Multipart, Part};
//!
//! let form = Multipart::new()
//!     .metadata(&sijil_testkit::fixtures::letter("Fatima Zahra"))
//!     .document("plainte.pdf", b"%PDF scanned")
//!     .part(Part::field("notes", "à rappeler"));
//! assert_eq!(
//!     form.content_type(),
//!     "multipart/form-data; boundary=sijil-test-boundary"
//! );
//! assert!(form.body().starts_with(b"--sijil-test-boundary\r\n"));
//! ```

/// The boundary of [`Multipart::new`].
pub const BOUNDARY: &str = "sijil-test-boundary";

/// The `Content-Type` header value of a form with this boundary.
pub fn content_type(boundary: &str) -> String {
    format!("multipart/form-data; boundary={boundary}")
}

/// One part of a form: its headers and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The header lines, each ending in CRLF (without the blank line).
    headers: Vec<u8>,
    bytes: Vec<u8>,
}

impl Part {
    /// A part named `name`, with a `filename` and a `Content-Type` when given.
    pub fn new(
        name: &str,
        file_name: Option<&str>,
        content_type: Option<&str>,
        bytes: impl AsRef<[u8]>,
    ) -> Part {
        let mut headers = match file_name {
            Some(file_name) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n"),
        };
        if let Some(content_type) = content_type {
            headers.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        Part {
            headers: headers.into_bytes(),
            bytes: bytes.as_ref().to_vec(),
        }
    }

    /// A text field, as a browser sends it: a name, no file name, no type.
    pub fn field(name: &str, value: impl AsRef<[u8]>) -> Part {
        Part::new(name, None, None, value)
    }

    /// A file: a name, a file name and a media type.
    pub fn file(name: &str, file_name: &str, content_type: &str, bytes: impl AsRef<[u8]>) -> Part {
        Part::new(name, Some(file_name), Some(content_type), bytes)
    }

    /// The clerk API's `metadata` part (`application/json`), its text as given
    /// (so that it may be invalid on purpose).
    pub fn metadata(json: impl AsRef<[u8]>) -> Part {
        Part::new("metadata", None, Some("application/json"), json)
    }

    /// A `document` part: a PDF file of that name.
    pub fn document(file_name: &str, bytes: impl AsRef<[u8]>) -> Part {
        Part::file("document", file_name, "application/pdf", bytes)
    }

    /// A part with raw header bytes (malformed ones included): `headers` are
    /// the header lines, each ending in CRLF, without the blank line.
    pub fn raw(headers: impl AsRef<[u8]>, bytes: impl AsRef<[u8]>) -> Part {
        Part {
            headers: headers.as_ref().to_vec(),
            bytes: bytes.as_ref().to_vec(),
        }
    }

    /// The part as it appears in a body after its boundary line: the
    /// headers, a blank line, the bytes, CRLF.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.headers.len() + self.bytes.len() + 4);
        out.extend_from_slice(&self.headers);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.bytes);
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// A `multipart/form-data` body: a boundary and parts, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multipart {
    boundary: String,
    parts: Vec<Part>,
}

impl Default for Multipart {
    fn default() -> Self {
        Multipart::new()
    }
}

impl Multipart {
    /// An empty form with the boundary [`BOUNDARY`].
    pub fn new() -> Multipart {
        Multipart::with_boundary(BOUNDARY)
    }

    /// An empty form with another boundary.
    pub fn with_boundary(boundary: &str) -> Multipart {
        Multipart {
            boundary: boundary.to_owned(),
            parts: Vec::new(),
        }
    }

    /// Adds a part.
    pub fn part(mut self, part: Part) -> Multipart {
        self.parts.push(part);
        self
    }

    /// Adds parts.
    pub fn parts(mut self, parts: impl IntoIterator<Item = Part>) -> Multipart {
        self.parts.extend(parts);
        self
    }

    /// Adds a text field ([`Part::field`]).
    pub fn field(self, name: &str, value: impl AsRef<[u8]>) -> Multipart {
        self.part(Part::field(name, value))
    }

    /// Adds a file ([`Part::file`]).
    pub fn file(
        self,
        name: &str,
        file_name: &str,
        content_type: &str,
        bytes: impl AsRef<[u8]>,
    ) -> Multipart {
        self.part(Part::file(name, file_name, content_type, bytes))
    }

    /// Adds the `metadata` part of a registration, with this JSON.
    pub fn metadata(self, metadata: &serde_json::Value) -> Multipart {
        self.part(Part::metadata(metadata.to_string()))
    }

    /// Adds a `document` part ([`Part::document`]).
    pub fn document(self, file_name: &str, bytes: impl AsRef<[u8]>) -> Multipart {
        self.part(Part::document(file_name, bytes))
    }

    /// The boundary.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The `Content-Type` header value: `multipart/form-data; boundary=…`.
    pub fn content_type(&self) -> String {
        content_type(&self.boundary)
    }

    /// The body: each part after a `--BOUNDARY` line, then `--BOUNDARY--`.
    pub fn body(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for part in &self.parts {
            body.extend_from_slice(format!("--{}\r\n", self.boundary).as_bytes());
            body.extend_from_slice(&part.to_bytes());
        }
        body.extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_is_framed_as_rfc_7578_says() {
        let form = Multipart::with_boundary("b0undary")
            .field("sender_name", "Amina")
            .file("document", "scan.pdf", "application/pdf", b"%PDF")
            .part(Part::metadata("{}"));
        let expected = "--b0undary\r\n\
             Content-Disposition: form-data; name=\"sender_name\"\r\n\
             \r\n\
             Amina\r\n\
             --b0undary\r\n\
             Content-Disposition: form-data; name=\"document\"; filename=\"scan.pdf\"\r\n\
             Content-Type: application/pdf\r\n\
             \r\n\
             %PDF\r\n\
             --b0undary\r\n\
             Content-Disposition: form-data; name=\"metadata\"\r\n\
             Content-Type: application/json\r\n\
             \r\n\
             {}\r\n\
             --b0undary--\r\n";
        assert_eq!(String::from_utf8(form.body()).unwrap_or_default(), expected);
        assert_eq!(form.boundary(), "b0undary");
        assert_eq!(
            form.content_type(),
            "multipart/form-data; boundary=b0undary"
        );
    }

    #[test]
    fn an_empty_form_is_only_its_closing_boundary() {
        assert_eq!(Multipart::new().body(), b"--sijil-test-boundary--\r\n");
        assert_eq!(Multipart::default(), Multipart::new());
    }

    #[test]
    fn a_raw_part_keeps_its_header_bytes_as_given() {
        let part = Part::raw(b"Content-Type: a|b\r\nX: \xff\r\n", b"x");
        assert_eq!(
            part.to_bytes(),
            b"Content-Type: a|b\r\nX: \xff\r\n\r\nx\r\n"
        );
        assert_eq!(
            Part::document("a.pdf", b"x"),
            Part::new("document", Some("a.pdf"), Some("application/pdf"), b"x")
        );
    }

    #[test]
    fn binary_bytes_pass_unchanged() {
        let bytes: Vec<u8> = (0..=255).collect();
        let body = Multipart::new().document("all.bin", &bytes).body();
        assert!(body.windows(bytes.len()).any(|w| w == bytes.as_slice()));
    }
}
