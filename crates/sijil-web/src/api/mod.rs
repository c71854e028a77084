//! The JSON API: public endpoints (receipts, verification, the log, keys) and
//! the clerk endpoints (registration, the register, documents).

pub mod admin;
pub mod clerk;
pub mod models;
pub mod ops;
pub mod public;
pub mod responses;
