//! Ed25519 batch verification for the audit: a batch that verifies as a
//! whole needs no signature checked alone (about half the work); when it
//! fails, the caller checks each signature alone to name the bad ones.
//!
//! A batch accepts every signature `verify_strict` accepts. The converse
//! holds except for signatures only the private key's holder can make (an R
//! with a small-order component, which the batch's random coefficients miss
//! with some probability); a weak (small-order) public key, with which anyone
//! could make them, never passes as a batch.

use ed25519_dalek::{Signature, VerifyingKey};

/// Signatures verified together.
pub(super) const BATCH: usize = 64;

/// One Ed25519 signature to check.
pub(super) struct Signed<'a> {
    /// The signed bytes.
    pub message: &'a [u8],
    /// The signature as stored (64 bytes when well formed).
    pub signature: &'a [u8],
    /// The key it should verify with.
    pub key: &'a VerifyingKey,
}

/// True when every signature of `batch` verifies, checked together; false
/// when at least one may not (including a malformed one or a weak key), and
/// the caller must then check them one by one.
pub(super) fn batch_verifies(batch: &[Signed<'_>]) -> bool {
    let mut messages = Vec::with_capacity(batch.len());
    let mut signatures = Vec::with_capacity(batch.len());
    let mut keys = Vec::with_capacity(batch.len());
    for signed in batch {
        let Ok(bytes) = <[u8; 64]>::try_from(signed.signature) else {
            return false;
        };
        if signed.key.is_weak() {
            return false;
        }
        messages.push(signed.message);
        signatures.push(Signature::from_bytes(&bytes));
        keys.push(*signed.key);
    }
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    #[test]
    fn a_batch_verifies_only_when_every_signature_does() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let public = key.verifying_key();
        let messages: Vec<Vec<u8>> = (0..5).map(|i| vec![i; 40]).collect();
        let mut signatures: Vec<Vec<u8>> = messages
            .iter()
            .map(|m| key.sign(m).to_bytes().to_vec())
            .collect();
        let batch = |signatures: &[Vec<u8>], messages: &[Vec<u8>], key| {
            let signed: Vec<Signed<'_>> = messages
                .iter()
                .zip(signatures)
                .map(|(message, signature)| Signed {
                    message,
                    signature,
                    key,
                })
                .collect();
            batch_verifies(&signed)
        };
        assert!(batch(&signatures, &messages, &public));
        assert!(batch(&[], &[], &public));
        let other = SigningKey::from_bytes(&[4; 32]).verifying_key();
        assert!(!batch(&signatures, &messages, &other));
        signatures[3][10] ^= 1;
        assert!(!batch(&signatures, &messages, &public));
        signatures[3][10] ^= 1;
        signatures[2].pop();
        assert!(!batch(&signatures, &messages, &public));
    }

    #[test]
    fn a_weak_key_never_passes_as_a_batch() {
        // The identity point as public key: with R the base point and s = 1,
        // s·B = R + k·A holds for any message; verify_strict refuses it.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = VerifyingKey::from_bytes(&identity).unwrap();
        let mut bytes = [0x66u8; 64];
        bytes[0] = 0x58;
        bytes[32..].copy_from_slice(&[0; 32]);
        bytes[32] = 1;
        let signature = Signature::from_bytes(&bytes);
        let message: &[u8] = b"any message";
        assert!(ed25519_dalek::verify_batch(&[message], &[signature], &[weak]).is_ok());
        assert!(weak.verify_strict(message, &signature).is_err());
        let signed = [Signed {
            message,
            signature: &bytes,
            key: &weak,
        }];
        assert!(!batch_verifies(&signed));
    }
}
