//! Compact JWS (RFC 7515) signed with Ed25519 (RFC 8037 `EdDSA`, or the
//! fully-specified `Ed25519` of RFC 9864): the receipt format.
//!
//! Parsing is strict: three parts of unpadded base64url, a JSON object
//! header, no `crit` extensions, no unencoded payloads, a 64-byte signature.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::metadata::write_json_string;
use crate::{Error, Result};

/// Signs `payload` as a compact JWS with protected header exactly
/// `{"alg":"EdDSA","kid":"<kid>"}`.
pub fn sign_compact(payload: &[u8], kid: &str, key: &SigningKey) -> String {
    let mut header = String::from(r#"{"alg":"EdDSA","kid":"#);
    write_json_string(&mut header, kid);
    header.push('}');
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

/// The protected header members this crate reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwsHeader {
    /// Signature algorithm: always `EdDSA` or `Ed25519` once parsed.
    pub alg: String,
    /// Key id, if present: in Sijil, the hex signed-note key hash.
    pub kid: Option<String>,
}

/// A parsed (not yet verified) compact JWS.
#[derive(Clone, Debug)]
pub struct CompactJws {
    /// The protected header.
    pub header: JwsHeader,
    /// The decoded payload bytes.
    pub payload: Vec<u8>,
    signing_input: String,
    signature: Vec<u8>,
}

fn b64url(part: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| Error::Jws(format!("{what} is not unpadded base64url: {e}")))
}

/// Parses a compact JWS and checks its header, without verifying it.
pub fn parse_compact(jws: &str) -> Result<CompactJws> {
    let parts: Vec<&str> = jws.split('.').collect();
    let [header_b64, payload_b64, sig_b64] = parts.as_slice() else {
        return Err(Error::Jws(format!(
            "has {} parts, a compact JWS has 3",
            parts.len()
        )));
    };
    let header_bytes = b64url(header_b64, "header")?;
    let header: serde_json::Value = serde_json::from_slice(&header_bytes)
        .map_err(|e| Error::Jws(format!("header is not JSON: {e}")))?;
    let Some(header) = header.as_object() else {
        return Err(Error::Jws("header is not a JSON object".into()));
    };
    if header.contains_key("crit") {
        return Err(Error::Jws(
            "header has critical extensions (\"crit\"), which we do not support".into(),
        ));
    }
    if let Some(b64) = header.get("b64") {
        if b64 != &serde_json::Value::Bool(true) {
            return Err(Error::Jws(
                "unencoded payloads (\"b64\") are not supported".into(),
            ));
        }
    }
    let alg = match header.get("alg") {
        Some(serde_json::Value::String(alg)) => alg.clone(),
        Some(_) => return Err(Error::Jws("\"alg\" is not a string".into())),
        None => return Err(Error::Jws("header has no \"alg\"".into())),
    };
    if alg != "EdDSA" && alg != "Ed25519" {
        return Err(Error::Jws(format!(
            "algorithm {alg:?} is not accepted (only EdDSA / Ed25519)"
        )));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(serde_json::Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(Error::Jws("\"kid\" is not a string".into())),
    };
    let payload = b64url(payload_b64, "payload")?;
    let signature = b64url(sig_b64, "signature")?;
    if signature.len() != 64 {
        return Err(Error::Jws(format!(
            "signature has {} bytes, Ed25519 needs 64",
            signature.len()
        )));
    }
    Ok(CompactJws {
        header: JwsHeader { alg, kid },
        payload,
        signing_input: format!("{header_b64}.{payload_b64}"),
        signature,
    })
}

impl CompactJws {
    /// Verifies the signature with `key` (Ed25519 `verify_strict`).
    pub fn verify(&self, key: &VerifyingKey) -> Result<()> {
        let bytes: [u8; 64] = self
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| Error::Jws("signature is not 64 bytes".into()))?;
        key.verify_strict(
            self.signing_input.as_bytes(),
            &Signature::from_bytes(&bytes),
        )
        .map_err(|_| Error::Signature("receipt signature does not verify".into()))
    }

    /// The ASCII `header.payload` text the signature covers.
    pub fn signing_input(&self) -> &str {
        &self.signing_input
    }

    /// The raw 64-byte signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn header_is_exactly_alg_and_kid() {
        let key = SigningKey::from_bytes(&[1; 32]);
        let jws = sign_compact(b"{}", "1a2b3c4d", &key);
        let header = jws.split('.').next().unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(header).unwrap(),
            br#"{"alg":"EdDSA","kid":"1a2b3c4d"}"#
        );
    }

    #[test]
    fn kid_is_json_escaped_in_the_header() {
        let key = SigningKey::from_bytes(&[1; 32]);
        let jws = sign_compact(b"x", "a\"b", &key);
        let parsed = parse_compact(&jws).unwrap();
        assert_eq!(parsed.header.kid.as_deref(), Some("a\"b"));
        parsed.verify(&key.verifying_key()).unwrap();
    }
}
