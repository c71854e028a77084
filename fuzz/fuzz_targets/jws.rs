//! Receipts: `jws::parse_compact` on arbitrary text, then signature
//! verification with the fixed keys and the claims parser on the payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sijil_receipt::claims::RegistrationClaims;
use sijil_receipt::jws::parse_compact;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(jws) = parse_compact(text) else {
        return;
    };
    // What parsing promises: the signed text is the input's first two parts,
    // the signature is 64 bytes and the algorithm is one we accept.
    let signing_input = text.rsplit_once('.').map(|(head, _)| head);
    assert_eq!(Some(jws.signing_input()), signing_input);
    assert_eq!(jws.signature().len(), 64);
    assert!(jws.header.alg == "EdDSA" || jws.header.alg == "Ed25519");

    let mut verified = false;
    for jwk in sijil_fuzz::keys() {
        let Ok(key) = jwk.verifying_key() else {
            continue;
        };
        if jws.verify(&key).is_ok() {
            verified = true;
        }
    }
    if verified {
        // Only the registry signs: a verified receipt has registry claims.
        assert!(
            RegistrationClaims::from_payload(&jws.payload).is_ok(),
            "a receipt signed by the registry has unreadable claims"
        );
    } else {
        let _ = RegistrationClaims::from_payload(&jws.payload);
    }
});
