//! Time: the clock the registry reads, and the never-decreasing registration time.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// Where the registry reads the current time. Tests inject their own.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The registration time of the next batch, in milliseconds since the epoch:
/// the clock's time, or the last registration time if the clock stepped back,
/// so that `registered_at` never decreases along the log. The flag says whether
/// the clock stepped back.
pub(crate) fn registration_time(last_ms: i64, clock_ms: i64) -> (i64, bool) {
    if clock_ms < last_ms {
        (last_ms, true)
    } else {
        (clock_ms, false)
    }
}

/// Formats a time as in receipts: RFC 3339, UTC, milliseconds, `Z`.
pub fn format_timestamp(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => format!("invalid time {ms}"),
    }
}

/// Reads a receipt timestamp back into milliseconds since the epoch.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc).timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_time_never_goes_back() {
        assert_eq!(registration_time(1_000, 2_000), (2_000, false));
        assert_eq!(registration_time(2_000, 2_000), (2_000, false));
        assert_eq!(registration_time(5_000, 2_000), (5_000, true));
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_timestamp(1_795_000_000_123),
            "2026-11-18T11:06:40.123Z"
        );
        assert_eq!(
            parse_timestamp("2026-11-18T11:06:40.123Z"),
            Some(1_795_000_000_123)
        );
    }
}
