//! The registry's error type.
//!
//! Policy: the registry returns `RegistryError`; callers (web, CLI) decide how to
//! show it. `Invalid` and `NotFound` carry a message meant for the person who made
//! the request; the other variants are faults of the installation or the storage.

/// Everything that can go wrong inside the registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request itself is wrong (bad metadata, bad number, bad range...).
    #[error("{0}")]
    Invalid(String),
    /// A document or request is over a size limit.
    #[error("{0}")]
    TooLarge(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The data directory, the configuration or the keys are not usable.
    #[error("{0}")]
    Setup(String),
    /// The stored register disagrees with its own log.
    #[error("integrity: {0}")]
    Integrity(String),
    /// A batch of registrations could not be committed; nothing of it was written.
    #[error("the registration was not committed: {message}")]
    CommitFailed {
        /// Why the batch failed.
        message: String,
        /// The disk (or quota) is full.
        storage_full: bool,
    },
    /// The registry is shutting down and accepts no new registrations.
    #[error("the registry is shutting down")]
    ShuttingDown,
    /// A database statement failed; `fault` says what kind of failure it is,
    /// so that callers never read the database's message text.
    #[error("database: {message}")]
    Database {
        /// The database's message (for the logs, not for the public).
        message: String,
        /// What kind of failure.
        fault: DatabaseFault,
    },
    /// Could not connect to the database.
    #[error("database connection: {0}")]
    Connection(String),
    /// A file system error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What the registry was doing.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A receipt, checkpoint or proof could not be built or read.
    #[error("receipt format: {0}")]
    Format(#[from] sijil_receipt::Error),
}

impl RegistryError {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        RegistryError::Io {
            context: context.into(),
            source,
        }
    }

    /// True when the error comes from a full disk or file system quota.
    pub fn is_storage_full(&self) -> bool {
        match self {
            RegistryError::CommitFailed { storage_full, .. } => *storage_full,
            RegistryError::Io { source, .. } => {
                source.kind() == std::io::ErrorKind::StorageFull
                    || source.kind() == std::io::ErrorKind::QuotaExceeded
                    || matches!(source.raw_os_error(), Some(28) | Some(122))
            }
            RegistryError::Database { fault, .. } => *fault == DatabaseFault::StorageFull,
            _ => false,
        }
    }

    /// True when the database cannot be reached (down, restarting, connection
    /// lost): worth retrying later.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            RegistryError::Connection(_)
                | RegistryError::Database {
                    fault: DatabaseFault::Unavailable,
                    ..
                }
        )
    }
}

/// What kind of database failure an error is, classified once, here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseFault {
    /// The server is down, restarting or the connection was lost.
    Unavailable,
    /// A uniqueness or serialization conflict with another writer.
    Conflict,
    /// The disk or quota is full.
    StorageFull,
    /// Anything else: a fault of the installation or a bug.
    Other,
}

impl From<diesel::result::Error> for RegistryError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        let message = error.to_string();
        let text = message.to_lowercase();
        let fault = match &error {
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => DatabaseFault::Unavailable,
            Error::DatabaseError(
                DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure,
                _,
            ) => DatabaseFault::Conflict,
            _ if text.contains("disk is full")
                || text.contains("database or disk is full")
                || text.contains("no space left") =>
            {
                DatabaseFault::StorageFull
            }
            Error::DatabaseError(_, _)
                if text.contains("terminating connection")
                    || text.contains("server closed the connection")
                    || text.contains("connection") =>
            {
                DatabaseFault::Unavailable
            }
            _ => DatabaseFault::Other,
        };
        RegistryError::Database { message, fault }
    }
}

/// The registry's result type.
pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
