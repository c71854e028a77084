//! The Sijil registry: the digital bureau d'ordre's register.
//!
//! Every letter is numbered (gapless per year), timestamped (never backwards),
//! its documents hashed and stored, its receipt signed, and the receipt appended
//! to an RFC 6962 Merkle log whose checkpoints are signed after every batch.
//!
//! Where things live:
//! - [`registry`]: the entry point ([`Registry`]) used by the CLI and the web server;
//! - [`sequencer`]: the single writer that batches entries (group commit);
//! - `log`: the appender (leaves, nodes, checkpoints), the `Entry` every kind
//!   of entry implements, the tree frontier and proofs from stored nodes;
//! - `entries`: the kinds of entry, one module each (registration, config change);
//! - [`numbering`], [`clock`], [`access_code`]: numbers, times, access codes;
//! - [`documents`]: content-addressed document files;
//! - [`keys`]: the signing key and the public key ring;
//! - `db`: SQLite and PostgreSQL storage (diesel);
//! - [`tokens`]: clerk API tokens and roles;
//! - [`audit`], [`export`]: re-verification and the CSV register.

pub mod access_code;
pub mod audit;
pub mod clock;
pub mod config;
mod db;
pub mod documents;
mod entries;
mod error;
pub mod export;
mod fsutil;
pub mod keys;
pub mod letter;
mod log;
pub mod numbering;
pub mod registry;
pub mod sequencer;
pub mod tokens;
pub mod types;
pub mod verification;

pub use access_code::AccessCode;
pub use audit::{AuditOptions, AuditReport};
pub use clock::{Clock, SystemClock};
pub use config::Config;
pub use db::DatabaseUrl;
pub use documents::{DocumentStore, StoredDocument};
pub use entries::config_change::Setting;
pub use error::{DatabaseFault, RegistryError, Result};
pub use letter::{DocumentRecord, LetterRecord, NewLetter, Registration};
pub use registry::{
    Access, Letters, Log, ReceiptLookup, Registry, RegistryOptions, Settings, SignedCheckpoint,
};
pub use tokens::{Permission, Role, TokenInfo};
pub use types::{LeafIndex, RegistrationNumber, RegistryTime, Sha256Digest};
pub use verification::ReceiptToVerify;
