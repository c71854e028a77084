//! The one error type of this crate.
//!
//! Every failure is reported as a variant naming the format that was wrong and
//! a one-line human explanation, so that a verifier can print it as is.

/// Everything that can go wrong while parsing or verifying Sijil formats.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Merkle inclusion or consistency proof is malformed or does not verify.
    #[error("invalid Merkle proof: {0}")]
    Proof(String),
    /// A signed note is malformed, or none of its signatures can be trusted.
    #[error("invalid signed note: {0}")]
    Note(String),
    /// A checkpoint body does not follow c2sp.org/tlog-checkpoint.
    #[error("invalid checkpoint: {0}")]
    Checkpoint(String),
    /// A compact JWS is malformed or uses something we do not accept.
    #[error("invalid JWS: {0}")]
    Jws(String),
    /// A signature (note or JWS) did not verify with the expected key.
    #[error("bad signature: {0}")]
    Signature(String),
    /// JSON could not be read or written as expected.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A key, key name or verifier key string is invalid.
    #[error("invalid key: {0}")]
    Key(String),
    /// Any other text or binary format rule was broken.
    #[error("invalid format: {0}")]
    Format(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e.to_string())
    }
}
