//! Compact JWS with Ed25519, and the JWK Set that verifies it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sijil_receipt::jwks::{Jwk, Jwks};
use sijil_receipt::jws::{parse_compact, sign_compact};
use sijil_receipt::note::key_id;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[3; 32])
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWS with an arbitrary header, properly signed by `key()`.
fn signed_with_header(header: &str, payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload));
    let sig = key().sign(input.as_bytes());
    format!("{input}.{}", b64(&sig.to_bytes()))
}

#[test]
fn rfc8037_a4_ed25519_example_verifies() {
    // RFC 8037 Appendix A.4 ("Ed25519 Signing"), keys from A.1 and A.2.
    let x = URL_SAFE_NO_PAD
        .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
        .unwrap();
    let d = URL_SAFE_NO_PAD
        .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
        .unwrap();
    let public = VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
    let jws = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    let parsed = parse_compact(jws).unwrap();
    assert_eq!(parsed.header.alg, "EdDSA");
    assert_eq!(parsed.header.kid, None);
    assert_eq!(parsed.payload, b"Example of Ed25519 signing");
    parsed.verify(&public).unwrap();
    // Ed25519 is deterministic: signing the same input gives the RFC's signature.
    let secret = SigningKey::from_bytes(&d.try_into().unwrap());
    assert_eq!(secret.verifying_key(), public);
    assert_eq!(
        parsed.signature(),
        secret.sign(parsed.signing_input().as_bytes()).to_bytes()
    );
}

#[test]
fn sign_then_verify_roundtrips() {
    let jws = sign_compact(b"{\"a\":1}", "1a2b3c4d", &key());
    let parsed = parse_compact(&jws).unwrap();
    assert_eq!(parsed.header.alg, "EdDSA");
    assert_eq!(parsed.header.kid.as_deref(), Some("1a2b3c4d"));
    assert_eq!(parsed.payload, b"{\"a\":1}");
    parsed.verify(&key().verifying_key()).unwrap();
}

#[test]
fn wrong_key_fails() {
    let jws = sign_compact(b"x", "k", &key());
    let other = SigningKey::from_bytes(&[4; 32]).verifying_key();
    assert!(parse_compact(&jws).unwrap().verify(&other).is_err());
}

#[test]
fn tampered_payload_header_or_signature_fails() {
    let jws = sign_compact(b"{\"index\":5}", "k", &key());
    let parts: Vec<&str> = jws.split('.').collect();
    let vk = key().verifying_key();

    let payload = format!("{}.{}.{}", parts[0], b64(b"{\"index\":6}"), parts[2]);
    assert!(parse_compact(&payload).unwrap().verify(&vk).is_err());

    let header = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"EdDSA","kid":"j"}"#),
        parts[1],
        parts[2]
    );
    assert!(parse_compact(&header).unwrap().verify(&vk).is_err());

    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[10] ^= 1;
    let signature = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
    assert!(parse_compact(&signature).unwrap().verify(&vk).is_err());
}

#[test]
fn alg_none_and_hs256_are_rejected() {
    for header in [
        r#"{"alg":"none"}"#,
        r#"{"alg":"HS256"}"#,
        r#"{"alg":"ES256"}"#,
        r#"{}"#,
    ] {
        assert!(
            parse_compact(&signed_with_header(header, b"x")).is_err(),
            "{header}"
        );
    }
    let unsigned = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(b"x"));
    assert!(parse_compact(&unsigned).is_err());
}

#[test]
fn fully_specified_ed25519_alg_is_accepted() {
    let jws = signed_with_header(r#"{"alg":"Ed25519","kid":"k"}"#, b"x");
    let parsed = parse_compact(&jws).unwrap();
    assert_eq!(parsed.header.alg, "Ed25519");
    parsed.verify(&key().verifying_key()).unwrap();
}

#[test]
fn crit_and_unencoded_payload_are_rejected() {
    let crit = signed_with_header(r#"{"alg":"EdDSA","crit":["exp"],"exp":1}"#, b"x");
    assert!(parse_compact(&crit).is_err());
    let b64_false = signed_with_header(r#"{"alg":"EdDSA","b64":false}"#, b"x");
    assert!(parse_compact(&b64_false).is_err());
}

#[test]
fn compact_form_is_strict() {
    let jws = sign_compact(b"x", "k", &key());
    let parts: Vec<&str> = jws.split('.').collect();
    // Not three parts.
    assert!(parse_compact(&format!("{}.{}", parts[0], parts[1])).is_err());
    assert!(parse_compact(&format!("{jws}.")).is_err());
    // Padding, standard-alphabet characters, white space.
    assert!(parse_compact(&format!("{}=.{}.{}", parts[0], parts[1], parts[2])).is_err());
    assert!(parse_compact(&format!("{}.{}.{}", parts[0], "a+b/", parts[2])).is_err());
    assert!(parse_compact(&format!(" {jws}")).is_err());
    // Header not an object.
    assert!(parse_compact(&signed_with_header("[1]", b"x")).is_err());
    assert!(parse_compact(&signed_with_header(r#"{"alg":"EdDSA","kid":5}"#, b"x")).is_err());
    // Signature of the wrong length.
    let short = format!("{}.{}.{}", parts[0], parts[1], b64(&[0; 63]));
    assert!(parse_compact(&short).is_err());
}

#[test]
fn jwks_finds_keys_by_kid_and_roundtrips_as_json() {
    let vk = key().verifying_key();
    let kid = key_id("bo.example", &vk);
    let set = Jwks {
        keys: vec![
            Jwk::new(
                &vk,
                &kid,
                "2026-01-01T00:00:00.000Z",
                Some("2026-07-01T00:00:00.000Z"),
            ),
            Jwk::new(
                &SigningKey::from_bytes(&[5; 32]).verifying_key(),
                "other",
                "2026-07-01T00:00:00.000Z",
                None,
            ),
        ],
    };
    assert_eq!(set.find(&kid).unwrap().verifying_key().unwrap(), vk);
    assert!(set.find("nope").is_none());
    let json = serde_json::to_string(&set).unwrap();
    assert!(json.contains(r#""use":"sig""#));
    assert!(json.contains(r#""crv":"Ed25519""#));
    let back: Jwks = serde_json::from_str(&json).unwrap();
    assert_eq!(back, set);
    // Only the key whose kid is its note key id under the name verifies notes.
    assert_eq!(set.note_verifiers("bo.example").len(), 1);
}

#[test]
fn receipt_kid_is_the_note_key_id() {
    let vk = key().verifying_key();
    let kid = key_id("bo.example", &vk);
    assert_eq!(kid.len(), 8);
    let jws = sign_compact(b"x", &kid, &key());
    let set = Jwks {
        keys: vec![Jwk::new(&vk, &kid, "2026-01-01T00:00:00.000Z", None)],
    };
    let parsed = parse_compact(&jws).unwrap();
    let jwk = set.find(parsed.header.kid.as_deref().unwrap()).unwrap();
    parsed.verify(&jwk.verifying_key().unwrap()).unwrap();
}
