//! Signed notes (c2sp.org/signed-note) with Ed25519 signatures.
//!
//! A note is a text ending in a newline, a blank line, then one or more
//! signature lines `— <key name> <base64(key hash[4] ‖ signature)>`. Only
//! signature type 0x01 (Ed25519) is supported, which is what checkpoints use.
//! Verifier key strings follow golang.org/x/mod/sumdb/note, so Go tools accept
//! them.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Signature type byte of Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;

/// Prefix of every signature line: an em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// Most signature lines we read in one note (the spec asks for at least 16;
/// golang.org/x/mod/sumdb/note stops at 100 too).
pub const MAX_SIGNATURES: usize = 100;

/// Largest note we read, in bytes, so a hostile note cannot cost much work.
pub const MAX_NOTE_SIZE: usize = 1 << 20;

/// Signed-note key hash: the first 4 bytes of
/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), identifying a key under a name.
pub fn key_hash(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Lowercase hex of [`key_hash`]: the JWS `kid`, so receipts and checkpoints
/// name the same key the same way.
pub fn key_id(name: &str, key: &VerifyingKey) -> String {
    hex::encode(key_hash(name, key))
}

/// Checks a signed-note key name: non-empty, no Unicode white space, no '+'.
pub fn check_key_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::Key("key name is empty".into()));
    }
    if name.chars().any(char::is_whitespace) {
        return Err(Error::Key(format!(
            "key name {name:?} contains white space"
        )));
    }
    if name.contains('+') {
        return Err(Error::Key(format!("key name {name:?} contains '+'")));
    }
    Ok(())
}

/// A trusted Ed25519 note key: its name, key hash and public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    /// Key name, as it appears in signature lines.
    pub name: String,
    /// The key hash of `name` and `key` (see [`key_hash`]).
    pub key_hash: [u8; 4],
    /// The Ed25519 public key.
    pub key: VerifyingKey,
}

impl NoteVerifier {
    /// Builds a verifier for `key` under `name`, checking the name's syntax.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self> {
        check_key_name(name)?;
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_hash: key_hash(name, &key),
            key,
        })
    }

    /// Parses a verifier key string `<name>+<hex key hash>+<base64(0x01 ‖
    /// public key)>`, checking that the key hash matches.
    pub fn parse(vkey: &str) -> Result<Self> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash_hex), Some(key_b64)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::Key(format!(
                "verifier key {vkey:?} is not <name>+<hash>+<key>"
            )));
        };
        check_key_name(name)?;
        if hash_hex.len() != 8 || !hash_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Key(format!(
                "verifier key hash {hash_hex:?} is not 8 hex digits"
            )));
        }
        let mut claimed = [0u8; 4];
        hex::decode_to_slice(hash_hex, &mut claimed)
            .map_err(|e| Error::Key(format!("verifier key hash {hash_hex:?}: {e}")))?;
        let raw = STANDARD
            .decode(key_b64)
            .map_err(|e| Error::Key(format!("verifier key is not standard base64: {e}")))?;
        let Some((&alg, public)) = raw.split_first() else {
            return Err(Error::Key("verifier key is empty".into()));
        };
        if alg != ALG_ED25519 {
            return Err(Error::Key(format!(
                "verifier key type 0x{alg:02x} is not Ed25519 (0x01)"
            )));
        }
        let public: [u8; 32] = public.try_into().map_err(|_| {
            Error::Key(format!(
                "Ed25519 verifier key has {} bytes, expected 32",
                public.len()
            ))
        })?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|e| Error::Key(format!("Ed25519 public key is invalid: {e}")))?;
        let verifier = NoteVerifier::new(name, key)?;
        if verifier.key_hash != claimed {
            return Err(Error::Key(format!(
                "verifier key hash {hash_hex} does not match name and key (expected {})",
                hex::encode(verifier.key_hash)
            )));
        }
        Ok(verifier)
    }

    /// Whether this verifier is the key named by a signature line.
    fn matches(&self, sig: &NoteSignature) -> bool {
        self.name == sig.name && self.key_hash == sig.key_hash
    }
}

impl fmt::Display for NoteVerifier {
    /// The verifier key string `<name>+<hex key hash>+<base64(0x01 ‖ key)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(ALG_ED25519);
        raw.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_hash),
            STANDARD.encode(raw)
        )
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name of the signer.
    pub name: String,
    /// Key hash of the signer (first 4 decoded bytes).
    pub key_hash: [u8; 4],
    /// The signature proper (the decoded bytes after the key hash).
    pub signature: Vec<u8>,
}

/// A note: its text (with the final newline) and signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline, without the blank separator line.
    pub text: String,
    /// From [`parse_note`]: every signature line. From [`open_note`]: only the
    /// signatures that were verified with a known key.
    pub signatures: Vec<NoteSignature>,
}

/// Rejects ASCII control characters other than newline: the spec forbids
/// them anywhere in a note.
fn check_no_control_chars(text: &str) -> Result<()> {
    match text.chars().find(|&c| c < ' ' && c != '\n') {
        Some(c) => Err(Error::Note(format!(
            "contains control character U+{:04X}",
            c as u32
        ))),
        None => Ok(()),
    }
}

/// Checks a note text before signing: non-empty, ends in a newline, no
/// control characters but newlines.
fn check_text(text: &str) -> Result<()> {
    if text.is_empty() {
        return Err(Error::Note("text is empty".into()));
    }
    if !text.ends_with('\n') {
        return Err(Error::Note("text does not end with a newline".into()));
    }
    check_no_control_chars(text)
}

/// Signs `text` with `key` under key name `name` and returns the signed note:
/// `text`, a blank line, and `— <name> <base64(key hash ‖ signature)>\n`.
///
/// The text must be non-empty, end in a newline and contain no control
/// characters but newlines; it may contain blank lines, since readers split
/// at the last one.
pub fn sign_note(text: &str, name: &str, key: &SigningKey) -> Result<String> {
    check_text(text)?;
    check_key_name(name)?;
    let hash = key_hash(name, &key.verifying_key());
    let sig = key.sign(text.as_bytes());
    let mut raw = Vec::with_capacity(4 + 64);
    raw.extend_from_slice(&hash);
    raw.extend_from_slice(&sig.to_bytes());
    Ok(format!(
        "{text}\n{SIG_PREFIX}{name} {}\n",
        STANDARD.encode(raw)
    ))
}

/// Parses a signed note's syntax without checking any signature.
///
/// Enforces the spec's rules: no control characters but newlines, a blank
/// line before the signature block, every signature line well formed
/// (valid key name, standard base64 of at least 5 bytes), at most
/// [`MAX_SIGNATURES`] lines, and at most [`MAX_NOTE_SIZE`] bytes.
pub fn parse_note(msg: &str) -> Result<Note> {
    if msg.len() > MAX_NOTE_SIZE {
        return Err(Error::Note(format!(
            "is {} bytes, more than the {MAX_NOTE_SIZE} we accept",
            msg.len()
        )));
    }
    check_no_control_chars(msg)?;
    let split = msg
        .rfind("\n\n")
        .ok_or_else(|| Error::Note("has no blank line before its signatures".into()))?;
    let (text, sigs) = (&msg[..split + 1], &msg[split + 2..]);
    if sigs.is_empty() {
        return Err(Error::Note("has no signature lines".into()));
    }
    let Some(sigs) = sigs.strip_suffix('\n') else {
        return Err(Error::Note(
            "does not end with a newline after its last signature".into(),
        ));
    };
    let mut signatures = Vec::new();
    for line in sigs.split('\n') {
        if signatures.len() == MAX_SIGNATURES {
            return Err(Error::Note(format!(
                "has more than {MAX_SIGNATURES} signatures"
            )));
        }
        signatures.push(parse_signature_line(line)?);
    }
    Ok(Note {
        text: text.to_owned(),
        signatures,
    })
}

fn parse_signature_line(line: &str) -> Result<NoteSignature> {
    let rest = line
        .strip_prefix(SIG_PREFIX)
        .ok_or_else(|| Error::Note(format!("line {line:?} is not a signature line")))?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or_else(|| Error::Note(format!("signature line {line:?} has no signature")))?;
    check_key_name(name).map_err(|e| Error::Note(format!("signature line: {e}")))?;
    let raw = STANDARD
        .decode(b64)
        .map_err(|e| Error::Note(format!("signature by {name} is not standard base64: {e}")))?;
    if raw.len() < 5 {
        return Err(Error::Note(format!("signature by {name} is too short")));
    }
    let mut key_hash = [0u8; 4];
    key_hash.copy_from_slice(&raw[..4]);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_hash,
        signature: raw[4..].to_vec(),
    })
}

/// Parses a signed note and verifies it against trusted `verifiers`.
///
/// Succeeds only if at least one signature by a known key (same name *and*
/// key hash) verifies with Ed25519 `verify_strict` over the text. A signature
/// by a known key that does not verify rejects the whole note; signatures by
/// unknown keys are ignored, as the spec requires. Two verifiers with the
/// same name and hash but different keys are an error when used. The
/// returned note lists only the verified signatures, each once.
pub fn open_note(msg: &str, verifiers: &[NoteVerifier]) -> Result<Note> {
    let note = parse_note(msg)?;
    let mut verified: Vec<NoteSignature> = Vec::new();
    for sig in &note.signatures {
        let mut known = verifiers.iter().filter(|v| v.matches(sig));
        let Some(verifier) = known.next() else {
            continue;
        };
        if known.any(|other| other.key != verifier.key) {
            return Err(Error::Key(format!(
                "ambiguous key {}+{}",
                sig.name,
                hex::encode(sig.key_hash)
            )));
        }
        if verified
            .iter()
            .any(|v| v.name == sig.name && v.key_hash == sig.key_hash)
        {
            continue;
        }
        let bad = || {
            Error::Signature(format!(
                "note signature by {}+{} does not verify",
                sig.name,
                hex::encode(sig.key_hash)
            ))
        };
        let bytes: [u8; 64] = sig.signature.as_slice().try_into().map_err(|_| bad())?;
        verifier
            .key
            .verify_strict(note.text.as_bytes(), &Signature::from_bytes(&bytes))
            .map_err(|_| bad())?;
        verified.push(sig.clone());
    }
    if verified.is_empty() {
        return Err(Error::Note("has no signature by a known key".into()));
    }
    Ok(Note {
        text: note.text,
        signatures: verified,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn key_names_reject_empty_space_and_plus() {
        assert!(check_key_name("bo.example/log").is_ok());
        assert!(check_key_name("").is_err());
        assert!(check_key_name("a b").is_err());
        assert!(check_key_name("a\u{00a0}b").is_err());
        assert!(check_key_name("a+b").is_err());
    }

    #[test]
    fn verifier_string_roundtrips() {
        let v = NoteVerifier::new("bo.example", key(1).verifying_key()).unwrap();
        let text = v.to_string();
        assert!(text.starts_with("bo.example+"));
        assert_eq!(NoteVerifier::parse(&text).unwrap(), v);
    }

    #[test]
    fn verifier_string_with_wrong_hash_is_rejected() {
        let v = NoteVerifier::new("bo.example", key(1).verifying_key()).unwrap();
        let mut bad = v.clone();
        bad.key_hash[0] ^= 1;
        assert!(NoteVerifier::parse(&bad.to_string()).is_err());
        let renamed = v.to_string().replacen("bo.example", "bo.exampla", 1);
        assert!(NoteVerifier::parse(&renamed).is_err());
    }

    #[test]
    fn signing_rejects_text_without_final_newline_or_with_controls() {
        let k = key(2);
        assert!(sign_note("", "n", &k).is_err());
        assert!(sign_note("abc", "n", &k).is_err());
        assert!(sign_note("a\tb\n", "n", &k).is_err());
        assert!(sign_note("abc\n", "bad name", &k).is_err());
        assert!(sign_note("abc\n\nparagraph\n", "n", &k).is_ok());
    }

    #[test]
    fn text_with_blank_lines_splits_at_the_last_one() {
        let k = key(3);
        let text = "first\n\nsecond\n";
        let signed = sign_note(text, "n", &k).unwrap();
        let v = NoteVerifier::new("n", k.verifying_key()).unwrap();
        assert_eq!(open_note(&signed, &[v]).unwrap().text, text);
    }

    #[test]
    fn too_many_signatures_are_rejected() {
        let k = key(4);
        let signed = sign_note("hello\n", "n", &k).unwrap();
        let line = signed.strip_prefix("hello\n\n").unwrap();
        let many = format!("hello\n\n{}", line.repeat(MAX_SIGNATURES + 1));
        assert!(parse_note(&many).is_err());
        let enough = format!("hello\n\n{}", line.repeat(16));
        let v = NoteVerifier::new("n", k.verifying_key()).unwrap();
        assert_eq!(open_note(&enough, &[v]).unwrap().signatures.len(), 1);
    }

    #[test]
    fn ambiguous_verifiers_are_an_error() {
        let v1 = NoteVerifier::new("n", key(5).verifying_key()).unwrap();
        let mut v2 = NoteVerifier::new("n", key(6).verifying_key()).unwrap();
        v2.key_hash = v1.key_hash;
        let signed = sign_note("hello\n", "n", &key(5)).unwrap();
        assert!(open_note(&signed, &[v1.clone(), v2]).is_err());
        assert!(open_note(&signed, &[v1.clone(), v1]).is_ok());
    }
}
