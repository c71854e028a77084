//! The letters the benchmark registers, and their numbers.
//!
//! A registration is a `multipart/form-data` body with a `metadata` part and
//! one 1 KiB `document` part, both naming the letter's own counter `n` (so
//! that no two letters are alike). The body is described as text segments
//! around `n` ([`BodyTemplate`]), so that the Lua script driving `wrk`
//! builds exactly the bytes [`body`] builds here.

/// The multipart boundary of every registration body.
pub const BOUNDARY: &str = "sijil-bench-boundary";
/// The size of each letter's document.
pub const DOCUMENT_BYTES: u64 = 1024;
/// The start of each document; the counter and a space follow it, then dots.
pub const DOCUMENT_STAMP: &str = "document of letter ";

/// A registration body as text around the letter's counter `n`:
/// `head[0] n head[1] n … head[last]`, then the document, then `tail`.
#[derive(Debug, Clone)]
pub struct BodyTemplate {
    /// The segments before the document, with `n` between each two.
    pub head: Vec<String>,
    /// What follows the document: the closing boundary.
    pub tail: String,
}

/// The registration body's template.
pub fn template() -> BodyTemplate {
    let metadata_part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\
         Content-Type: application/json\r\n\r\n"
    );
    let head = vec![
        format!("{metadata_part}{{\"sender\":{{\"name\":\"Sender "),
        "\",\"address\":\"".to_owned(),
        " avenue Mohammed V, Rabat\"},\"subject\":\"Benchmark letter ".to_owned(),
        format!(
            "\",\"channel\":\"paper\",\"addressee\":\"Service des réclamations\"}}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"scan-"
        ),
        ".pdf\"\r\nContent-Type: application/pdf\r\n\r\n".to_owned(),
    ];
    BodyTemplate {
        head,
        tail: format!("\r\n--{BOUNDARY}--\r\n"),
    }
}

/// The `Content-Type` header of a registration.
pub fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// The 1 KiB document of the letter with counter `n`.
pub fn document(n: u64) -> Vec<u8> {
    let mut document = vec![b'.'; DOCUMENT_BYTES as usize];
    let stamp = format!("{DOCUMENT_STAMP}{n} ");
    let len = stamp.len().min(document.len());
    document[..len].copy_from_slice(&stamp.as_bytes()[..len]);
    document
}

/// The multipart body of the letter with counter `n`.
pub fn body(n: u64) -> Vec<u8> {
    let t = template();
    let mut body = Vec::with_capacity(2048);
    let n_text = n.to_string();
    for (i, segment) in t.head.iter().enumerate() {
        if i > 0 {
            body.extend_from_slice(n_text.as_bytes());
        }
        body.extend_from_slice(segment.as_bytes());
    }
    body.extend_from_slice(&document(n));
    body.extend_from_slice(t.tail.as_bytes());
    body
}

/// How the registry numbers letters, learnt from one number it gave:
/// a prefix (`BO-2026-`) and a zero-padded sequence (`000001`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    /// Everything before the sequence.
    pub prefix: String,
    /// The sequence's minimum width (zero-padded).
    pub width: usize,
}

impl Numbering {
    /// Reads the numbering from a number such as `BO-2026-000001`.
    pub fn learn(number: &str) -> Option<Numbering> {
        let digits = number
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let prefix = &number[..number.len() - digits];
        Some(Numbering {
            prefix: prefix.to_owned(),
            width: digits,
        })
    }

    /// The n-th letter's number (n from 1) as a path segment, percent-encoded.
    pub fn path_segment(&self, n: u64) -> String {
        format!("{}{n:0width$}", self.path_prefix(), width = self.width)
    }

    /// The prefix percent-encoded as one path segment.
    pub fn path_prefix(&self) -> String {
        percent_encode(&self.prefix)
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_multipart_with_a_1_kib_document() {
        let body = String::from_utf8(body(42)).unwrap();
        assert!(body.starts_with(&format!("--{BOUNDARY}\r\n")));
        assert!(body.contains(r#"{"sender":{"name":"Sender 42","address":"42 avenue Mohammed V, Rabat"},"subject":"Benchmark letter 42","channel":"paper","addressee":"Service des réclamations"}"#));
        assert!(body.contains("filename=\"scan-42.pdf\""));
        assert!(body.ends_with(&format!("\r\n--{BOUNDARY}--\r\n")));
        let document = document(42);
        assert_eq!(document.len(), 1024);
        assert!(document.starts_with(b"document of letter 42 ..."));
    }

    #[test]
    fn numbering_is_learnt_from_a_number() {
        let n = Numbering::learn("BO-2026-000001");
        assert_eq!(
            n,
            Some(Numbering {
                prefix: "BO-2026-".into(),
                width: 6
            })
        );
        let n = n.unwrap();
        assert_eq!(n.path_segment(53_622), "BO-2026-053622");
        assert_eq!(n.path_segment(1_000_000), "BO-2026-1000000");
        assert_eq!(Numbering::learn("BO-2026-"), None);
        let slashed = Numbering::learn("BO/2026/0001").unwrap();
        assert_eq!(slashed.path_prefix(), "BO%2F2026%2F");
        assert_eq!(slashed.path_segment(7), "BO%2F2026%2F0007");
    }
}
