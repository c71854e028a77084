//! Checkpoints (c2sp.org/tlog-checkpoint): the signed head of the log.
//!
//! The body is `<origin>\n<tree size>\n<base64 root>\n` followed by optional
//! extension lines, and it is signed as a note whose key name is the origin.

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

use crate::merkle::Hash;
use crate::note::{open_note, sign_note, NoteVerifier};
use crate::serde_base64::{decode_hash, encode_hash};
use crate::{Error, Result};

/// A tree head: which log, how many leaves, and the root hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The log's origin, its first line (for Sijil, the registry name).
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree (standard base64 in JSON).
    #[serde(with = "crate::serde_base64::hash")]
    pub root: Hash,
    /// Extension lines after the root, opaque and usually absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
}

/// Parses a tree size: ASCII decimal, no sign, no leading zero (except "0").
fn parse_size(line: &str) -> Result<u64> {
    let ok = !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
        && (line == "0" || !line.starts_with('0'));
    if !ok {
        return Err(Error::Checkpoint(format!(
            "tree size {line:?} is not a decimal number without leading zeros"
        )));
    }
    line.parse()
        .map_err(|_| Error::Checkpoint(format!("tree size {line:?} does not fit in 64 bits")))
}

impl Checkpoint {
    /// The note text: origin, size and base64 root on their own lines, then
    /// the extension lines, each ending in a newline.
    pub fn body(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            encode_hash(&self.root)
        );
        for line in &self.extensions {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Parses a checkpoint body strictly: a non-empty origin, a canonical
    /// decimal size, a standard base64 root of 32 bytes, non-empty extension
    /// lines, and a final newline.
    pub fn parse_body(text: &str) -> Result<Self> {
        let Some(text) = text.strip_suffix('\n') else {
            return Err(Error::Checkpoint("body does not end with a newline".into()));
        };
        let mut lines = text.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(Error::Checkpoint(
                "body needs origin, size and root lines".into(),
            ));
        };
        if origin.is_empty() {
            return Err(Error::Checkpoint("origin line is empty".into()));
        }
        if origin.chars().any(|c| c < ' ') {
            return Err(Error::Checkpoint("origin has a control character".into()));
        }
        let size = parse_size(size)?;
        let root = decode_hash(root).map_err(|e| Error::Checkpoint(format!("root: {e}")))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(Error::Checkpoint(
                "extension lines must not be empty".into(),
            ));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// Signs the body as a note with `key`, under the origin as key name.
    pub fn sign(&self, key: &SigningKey) -> Result<String> {
        sign_note(&self.body(), &self.origin, key)
    }

    /// Opens a signed checkpoint: the note must verify with one of
    /// `verifiers` (see [`open_note`]) and its text must parse as a body.
    ///
    /// This does not compare the origin with anything: callers check that it
    /// is the log they expect.
    pub fn open(note: &str, verifiers: &[NoteVerifier]) -> Result<Checkpoint> {
        let note = open_note(note, verifiers)?;
        Checkpoint::parse_body(&note.text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            origin: "bo.example".into(),
            size: 9,
            root: [7; 32],
            extensions: vec![],
        }
    }

    #[test]
    fn body_roundtrips() {
        let mut c = sample();
        assert_eq!(Checkpoint::parse_body(&c.body()).unwrap(), c);
        c.extensions = vec!["ext one".into()];
        assert_eq!(Checkpoint::parse_body(&c.body()).unwrap(), c);
    }

    #[test]
    fn size_must_be_canonical_decimal() {
        let root = encode_hash(&[0; 32]);
        for bad in ["09", "+9", "-1", "", "9 ", "0x9", "18446744073709551616"] {
            let body = format!("o\n{bad}\n{root}\n");
            assert!(Checkpoint::parse_body(&body).is_err(), "{bad:?}");
        }
        assert_eq!(
            Checkpoint::parse_body(&format!("o\n0\n{root}\n"))
                .unwrap()
                .size,
            0
        );
    }

    #[test]
    fn root_must_be_32_bytes_of_standard_base64() {
        assert!(Checkpoint::parse_body("o\n1\nAAAA\n").is_err());
        let url_safe = "_".repeat(43) + "=";
        assert!(Checkpoint::parse_body(&format!("o\n1\n{url_safe}\n")).is_err());
    }

    #[test]
    fn body_needs_three_lines_and_final_newline() {
        let root = encode_hash(&[0; 32]);
        assert!(Checkpoint::parse_body(&format!("o\n1\n{root}")).is_err());
        assert!(Checkpoint::parse_body("o\n1\n").is_err());
        assert!(Checkpoint::parse_body(&format!("\n1\n{root}\n")).is_err());
        assert!(Checkpoint::parse_body(&format!("o\n1\n{root}\n\n")).is_err());
    }

    #[test]
    fn checkpoint_serializes_root_as_base64() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["root"], encode_hash(&[7; 32]));
        assert!(json.get("extensions").is_none());
    }
}
