//! The Hijri date printed next to the Gregorian one, as Moroccan documents
//! are double-dated.
//!
//! This is the *tabular* (arithmetical) Islamic calendar: months of 30 and
//! 29 days alternately, the twelfth month of 30 days in the 11 leap years of
//! each 30-year cycle (years 2, 5, 7, 10, 13, 16, 18, 21, 24, 26 and 29), and
//! the civil epoch 1 Muharram 1 AH = 16 July 622 (Julian). It is the
//! calendar of Calendrical Calculations (Reingold & Dershowitz) and of most
//! software. The official Moroccan calendar follows the sighting of the new
//! crescent, so the date printed here may differ from it by a day (rarely
//! two); it is given as an indication next to the legal Gregorian date.

use chrono::{Datelike, NaiveDate};

/// The fixed day number (days since 31 December 1 BCE, proleptic Gregorian,
/// as chrono's `num_days_from_ce`) of 1 Muharram 1 AH.
const EPOCH: i64 = 227_015;

/// A date of the tabular Islamic calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HijriDate {
    /// The year of the Hijra (AH), from 1.
    pub year: i64,
    /// The month, 1 (Muharram) to 12 (Dhu al-Hijja).
    pub month: u32,
    /// The day of the month, 1 to 30.
    pub day: u32,
}

/// Whether `year` is a leap year (its last month has 30 days).
pub fn is_leap_year(year: i64) -> bool {
    (14 + 11 * year).rem_euclid(30) < 11
}

/// The number of days of a month.
pub fn month_length(year: i64, month: u32) -> u32 {
    if month % 2 == 1 || (month == 12 && is_leap_year(year)) {
        30
    } else {
        29
    }
}

/// The fixed day number of a Hijri date.
fn fixed_from_hijri(year: i64, month: u32, day: u32) -> i64 {
    let month = i64::from(month);
    EPOCH - 1
        + (year - 1) * 354
        + (3 + 11 * year).div_euclid(30)
        + 29 * (month - 1)
        + month / 2
        + i64::from(day)
}

impl HijriDate {
    /// The Hijri date of a Gregorian day; `None` before the Hijra.
    pub fn from_gregorian(date: NaiveDate) -> Option<HijriDate> {
        let fixed = i64::from(date.num_days_from_ce());
        if fixed < EPOCH {
            return None;
        }
        let year = (30 * (fixed - EPOCH) + 10_646).div_euclid(10_631);
        let prior_days = fixed - fixed_from_hijri(year, 1, 1);
        let month = (11 * prior_days + 330).div_euclid(325);
        let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
        let day = fixed - fixed_from_hijri(year, month, 1) + 1;
        let day = u32::try_from(day).ok().filter(|d| (1..=30).contains(d))?;
        Some(HijriDate { year, month, day })
    }

    /// The Gregorian day of this Hijri date; `None` if it is not a valid date.
    pub fn to_gregorian(self) -> Option<NaiveDate> {
        if self.year < 1
            || !(1..=12).contains(&self.month)
            || self.day < 1
            || self.day > month_length(self.year, self.month)
        {
            return None;
        }
        let fixed = i32::try_from(fixed_from_hijri(self.year, self.month, self.day)).ok()?;
        NaiveDate::from_num_days_from_ce_opt(fixed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn hijri(year: i64, month: u32, day: u32) -> HijriDate {
        HijriDate { year, month, day }
    }

    #[test]
    fn the_epoch_is_16_july_622_julian() {
        // 16 July 622 Julian is 19 July 622 in the proleptic Gregorian calendar.
        assert_eq!(
            HijriDate::from_gregorian(date(622, 7, 19)),
            Some(hijri(1, 1, 1))
        );
        assert_eq!(HijriDate::from_gregorian(date(622, 7, 18)), None);
        assert_eq!(hijri(1, 1, 1).to_gregorian(), Some(date(622, 7, 19)));
    }

    #[test]
    fn known_dates_of_the_arithmetical_calendar() {
        // 1 Ramadan 1447: 18 February 2026 (the sighting in Morocco gave the 19th).
        assert_eq!(
            HijriDate::from_gregorian(date(2026, 2, 18)),
            Some(hijri(1447, 9, 1))
        );
        assert_eq!(hijri(1447, 9, 1).to_gregorian(), Some(date(2026, 2, 18)));
        // 1 January 2000 is 24 Ramadan 1420.
        assert_eq!(
            HijriDate::from_gregorian(date(2000, 1, 1)),
            Some(hijri(1420, 9, 24))
        );
        // 1 Muharram 1446 was 7 July 2024 by sighting; the arithmetical
        // calendar says 8 July, one of the one-day differences it is known for.
        assert_eq!(
            HijriDate::from_gregorian(date(2024, 7, 8)),
            Some(hijri(1446, 1, 1))
        );
        assert_eq!(
            HijriDate::from_gregorian(date(2024, 7, 7)),
            Some(hijri(1445, 12, 30))
        );
        // 1 Shawwal 1445 (Eid al-Fitr): 10 April 2024.
        assert_eq!(
            HijriDate::from_gregorian(date(2024, 4, 10)),
            Some(hijri(1445, 10, 1))
        );
        // 10 Dhu al-Hijja 1444 (Eid al-Adha): 29 June 2023 (Morocco celebrated on the 29th).
        assert_eq!(
            HijriDate::from_gregorian(date(2023, 6, 29)),
            Some(hijri(1444, 12, 10))
        );
    }

    #[test]
    fn leap_years_follow_the_30_year_cycle() {
        let leap: Vec<i64> = (1..=30).filter(|y| is_leap_year(*y)).collect();
        assert_eq!(leap, vec![2, 5, 7, 10, 13, 16, 18, 21, 24, 26, 29]);
        assert_eq!(
            month_length(1445, 12),
            if is_leap_year(1445) { 30 } else { 29 }
        );
        let days: u32 = (1..=12).map(|m| month_length(1447, m)).sum();
        assert_eq!(days, if is_leap_year(1447) { 355 } else { 354 });
    }

    #[test]
    fn conversion_round_trips_day_by_day() {
        let mut day = date(1990, 1, 1);
        let mut previous = HijriDate::from_gregorian(day).unwrap();
        for _ in 0..20_000 {
            day = day.succ_opt().unwrap();
            let h = HijriDate::from_gregorian(day).unwrap();
            assert_eq!(h.to_gregorian(), Some(day), "{h:?}");
            // Each day is the next Hijri day.
            let expected = if previous.day < month_length(previous.year, previous.month) {
                hijri(previous.year, previous.month, previous.day + 1)
            } else if previous.month < 12 {
                hijri(previous.year, previous.month + 1, 1)
            } else {
                hijri(previous.year + 1, 1, 1)
            };
            assert_eq!(h, expected);
            previous = h;
        }
    }

    #[test]
    fn invalid_hijri_dates_have_no_gregorian_day() {
        assert_eq!(hijri(1447, 2, 30).to_gregorian(), None);
        assert_eq!(hijri(1447, 13, 1).to_gregorian(), None);
        assert_eq!(hijri(0, 1, 1).to_gregorian(), None);
    }
}
