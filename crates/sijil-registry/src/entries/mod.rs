//! The kinds of log entry, one module each. Every kind implements
//! [`crate::log::entry::Entry`]: its claims and its own rows, given to the one
//! sequencer; the audit re-derives its projection from the log.
//!
//! - [`registration`]: an incoming letter (`type: "registration"`);
//! - [`config_change`]: a setting an administrator changed (`type: "config"`).

pub(crate) mod config_change;
pub(crate) mod registration;
