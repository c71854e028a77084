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

/// The first instant (ms) of a calendar day in a time zone: its midnight, or
/// the first minute of the day that exists where a clock change skips
/// midnight. The one start-of-day of the registry (export, the register's
/// pages, the desk); `None` only for a day outside chrono's range.
pub fn start_of_day(day: chrono::NaiveDate, tz: chrono_tz::Tz) -> Option<i64> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0)?;
    (0..=180).find_map(|minutes| {
        tz.from_local_datetime(&(midnight + chrono::Duration::minutes(minutes)))
            .earliest()
            .map(|t| t.timestamp_millis())
    })
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
    fn a_day_starts_at_its_midnight_in_the_registry_time_zone() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap_or_default();
        // Casablanca is UTC+1 in December: its midnight is 23:00 UTC the day before.
        assert_eq!(
            start_of_day(day, chrono_tz::Africa::Casablanca).map(format_timestamp),
            Some("2026-12-03T23:00:00.000Z".to_owned())
        );
        assert_eq!(
            start_of_day(day, chrono_tz::UTC).map(format_timestamp),
            Some("2026-12-04T00:00:00.000Z".to_owned())
        );
        // Where a clock change skips midnight (Santiago, 2026-09-06), the day
        // starts at the first minute that exists: 01:00 local.
        let skipped = chrono::NaiveDate::from_ymd_opt(2026, 9, 6).unwrap_or_default();
        assert_eq!(
            start_of_day(skipped, chrono_tz::America::Santiago).map(format_timestamp),
            Some("2026-09-06T04:00:00.000Z".to_owned())
        );
    }

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
