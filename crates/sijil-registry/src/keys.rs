//! Signing keys: the current Ed25519 key and the public key ring.
//!
//! `keys/signing-key.pem` holds the current private key (PKCS#8 PEM, mode 0600;
//! the registry refuses to start if others can read it). `keys/jwks.json` is the
//! public key ring: every key the registry ever used, with its validity period,
//! so that receipts signed before a rotation stay verifiable.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::jwks::{Jwk, Jwks};
use sijil_receipt::note::{key_id, NoteVerifier};

use crate::error::{RegistryError, Result};
use crate::fsutil;

/// The private key file inside the keys folder.
pub const SIGNING_KEY_FILE: &str = "signing-key.pem";
/// The public key ring inside the keys folder.
pub const JWKS_FILE: &str = "jwks.json";

/// A rotation writes the new key here first, then the key ring, then renames
/// it over the current key: an interrupted rotation is completed at next start.
pub const NEW_KEY_FILE: &str = "signing-key.pem.new";

/// The current key, ready to sign receipts and checkpoints.
pub struct Signer {
    origin: String,
    kid: String,
    key: SigningKey,
    valid_from_ms: i64,
}

impl Signer {
    /// The start of the key's validity (ms): no receipt it signs may be older.
    pub fn valid_from_ms(&self) -> i64 {
        self.valid_from_ms
    }

    /// The key id: hex of the signed-note key hash.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs a receipt payload as a compact JWS.
    pub fn sign_receipt(&self, payload: &[u8]) -> String {
        sijil_receipt::jws::sign_compact(payload, &self.kid, &self.key)
    }

    /// Signs a checkpoint as a signed note named after the origin.
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> Result<String> {
        Ok(checkpoint.sign(&self.key)?)
    }

    /// The signed-note verifier of this key.
    pub fn note_verifier(&self) -> Result<NoteVerifier> {
        Ok(NoteVerifier::new(&self.origin, self.key.verifying_key())?)
    }
}

/// The keys folder of a registry.
#[derive(Clone, Debug)]
pub struct KeyRing {
    dir: PathBuf,
    origin: String,
}

impl KeyRing {
    /// Opens the keys folder, creating the first key if there is none.
    /// `now` is the RFC 3339 time from which a new key is valid.
    pub fn open_or_create(dir: PathBuf, origin: &str, now: &str) -> Result<Self> {
        fsutil::create_dir_durable(&dir)?;
        let ring = KeyRing {
            dir,
            origin: origin.to_owned(),
        };
        if !ring.key_path().exists() {
            if ring.jwks_path().exists() {
                return Err(RegistryError::Setup(format!(
                    "{} is missing but {} lists keys: restore the key file from your backup",
                    ring.key_path().display(),
                    ring.jwks_path().display()
                )));
            }
            let key = SigningKey::generate(&mut rand::rngs::OsRng);
            let kid = key_id(origin, &key.verifying_key());
            let jwks = Jwks {
                keys: vec![Jwk::new(&key.verifying_key(), &kid, now, None)],
            };
            ring.write_jwks(&jwks)?;
            ring.write_key(&key)?;
        }
        ring.signer()?;
        Ok(ring)
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join(SIGNING_KEY_FILE)
    }

    fn jwks_path(&self) -> PathBuf {
        self.dir.join(JWKS_FILE)
    }

    fn write_key(&self, key: &SigningKey) -> Result<()> {
        self.write_key_to(&self.key_path(), key)
    }

    fn write_key_to(&self, path: &Path, key: &SigningKey) -> Result<()> {
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| RegistryError::Setup(format!("cannot encode the signing key: {e}")))?;
        fsutil::write_atomic(path, pem.as_bytes(), 0o600)
    }

    /// Reads a PEM key file, refusing one that others can read.
    fn read_key(&self, path: &Path) -> Result<SigningKey> {
        let meta = fs::metadata(path)
            .map_err(|e| RegistryError::io(format!("cannot read {}", path.display()), e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(RegistryError::Setup(format!(
                "{} is readable by others (mode {mode:o}): run chmod 600 {}",
                path.display(),
                path.display()
            )));
        }
        let pem = fs::read_to_string(path)
            .map_err(|e| RegistryError::io(format!("cannot read {}", path.display()), e))?;
        SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            RegistryError::Setup(format!(
                "{} is not an Ed25519 PKCS#8 key: {e}",
                path.display()
            ))
        })
    }

    fn write_jwks(&self, jwks: &Jwks) -> Result<()> {
        let json = serde_json::to_vec_pretty(jwks)
            .map_err(|e| RegistryError::Setup(format!("cannot encode the key ring: {e}")))?;
        fsutil::write_atomic(&self.jwks_path(), &json, 0o644)
    }

    /// When the private key file last changed (to notice a rotation by another process).
    pub fn key_modified(&self) -> Option<SystemTime> {
        fs::metadata(self.key_path())
            .and_then(|m| m.modified())
            .ok()
    }

    /// Loads the current key; refuses a key file that others can read, or a
    /// key that the key ring does not list as current. Completes a rotation
    /// that was interrupted after the key ring was written.
    pub fn signer(&self) -> Result<Signer> {
        let path = self.key_path();
        let key = self.read_key(&path)?;
        let kid = key_id(&self.origin, &key.verifying_key());
        let jwks = self.jwks()?;
        let current = |kid: &str| {
            jwks.find(kid)
                .filter(|jwk| jwk.not_after.is_none())
                .cloned()
        };
        let (key, kid, jwk) = match (current(&kid), jwks.find(&kid)) {
            (Some(jwk), _) => (key, kid, jwk),
            (None, Some(_)) => {
                let pending = self.dir.join(NEW_KEY_FILE);
                let new_key = if pending.exists() { Some(self.read_key(&pending)?) } else { None };
                let new_kid = new_key.as_ref().map(|k| key_id(&self.origin, &k.verifying_key()));
                match (new_key, new_kid.as_deref().and_then(current)) {
                    (Some(new_key), Some(jwk)) => {
                        fs::rename(&pending, &path).map_err(|e| {
                            RegistryError::io("cannot complete the interrupted key rotation", e)
                        })?;
                        fsutil::sync_dir(&self.dir)?;
                        tracing::warn!(kid = %jwk.kid, "completed an interrupted key rotation");
                        (new_key, jwk.kid.clone(), jwk)
                    }
                    _ => {
                        return Err(RegistryError::Setup(format!(
                            "the key in {} (kid {kid}) is retired and no new key is pending: restore keys/ from your backup",
                            path.display()
                        )))
                    }
                }
            }
            (None, None) => {
                return Err(RegistryError::Setup(format!(
                    "the key in {} (kid {kid}) is not in {}: the key does not belong to origin {:?} or the key ring is not this registry's",
                    path.display(),
                    self.jwks_path().display(),
                    self.origin
                )))
            }
        };
        Ok(Signer {
            origin: self.origin.clone(),
            kid,
            key,
            valid_from_ms: crate::clock::parse_timestamp(&jwk.not_before).unwrap_or(0),
        })
    }

    /// The public key ring, retired keys included.
    pub fn jwks(&self) -> Result<Jwks> {
        let path = self.jwks_path();
        let text = fs::read(&path)
            .map_err(|e| RegistryError::io(format!("cannot read {}", path.display()), e))?;
        serde_json::from_slice(&text)
            .map_err(|e| RegistryError::Setup(format!("{} is not a JWKS: {e}", path.display())))
    }

    /// Makes a new current key valid from `now` and retires the old one at `now`.
    /// Returns the new key id. Servers pick the new key up at their next batch.
    /// Call it while holding the log head (see `Registry::rotate_key`), so that
    /// no batch signs with the old key after `now`.
    pub fn rotate(&self, now: &str) -> Result<String> {
        let old = self.signer()?;
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let kid = key_id(&self.origin, &key.verifying_key());
        let mut jwks = self.jwks()?;
        for jwk in jwks.keys.iter_mut().filter(|k| k.kid == old.kid) {
            jwk.not_after = Some(now.to_owned());
        }
        jwks.keys
            .push(Jwk::new(&key.verifying_key(), &kid, now, None));
        // New key aside first, then the ring, then the swap: a crash at any
        // point leaves either the old state or one that `signer` completes.
        let pending = self.dir.join(NEW_KEY_FILE);
        self.write_key_to(&pending, &key)?;
        self.write_jwks(&jwks)?;
        fs::rename(&pending, self.key_path())
            .map_err(|e| RegistryError::io("cannot install the new signing key", e))?;
        fsutil::sync_dir(&self.dir)?;
        Ok(kid)
    }

    /// The signed-note verifier of every key, for checking stored checkpoints.
    pub fn note_verifiers(&self) -> Result<Vec<NoteVerifier>> {
        Ok(self.jwks()?.note_verifiers(&self.origin))
    }

    /// The keys folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
