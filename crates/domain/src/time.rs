//! Simulated time, the federal-holiday calendar and the 48-hour detainer hold.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Seconds since 1970-01-01T00:00 in the jurisdiction's local time. One
/// clock for every agency keeps the simulation deterministic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimTime(pub i64);

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

impl SimTime {
    pub fn from_date(d: NaiveDate) -> SimTime {
        SimTime(
            d.and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
                .timestamp(),
        )
    }
    pub fn datetime(self) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(self.0, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default()
    }
    pub fn date(self) -> NaiveDate {
        self.datetime().date()
    }
    /// `YYYY-MM` of this instant: the statistics' month.
    pub fn month(self) -> String {
        let d = self.date();
        format!("{:04}-{:02}", d.year(), d.month())
    }
    pub fn plus(self, seconds: i64) -> SimTime {
        SimTime(self.0 + seconds)
    }
    pub fn hours_since(self, earlier: SimTime) -> f64 {
        (self.0 - earlier.0) as f64 / HOUR as f64
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.datetime().format("%Y-%m-%d %H:%M"))
    }
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n).expect("nth weekday exists")
}

fn last_weekday(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid date");
    let mut d = first_next - Duration::days(1);
    while d.weekday() != weekday {
        d -= Duration::days(1);
    }
    d
}

/// A fixed-date holiday falling on Saturday is observed the Friday before,
/// on Sunday the Monday after (5 U.S.C. 6103 and the OPM rule).
fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d - Duration::days(1),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

/// US federal holidays (observed dates) of a year, per 5 U.S.C. 6103:
/// Juneteenth from 2021, Martin Luther King Jr. Day from 1986.
pub fn federal_holidays(year: i32) -> Vec<NaiveDate> {
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("valid date");
    let mut days = vec![
        observed(ymd(1, 1)),
        nth_weekday(year, 2, Weekday::Mon, 3),
        last_weekday(year, 5, Weekday::Mon),
        observed(ymd(7, 4)),
        nth_weekday(year, 9, Weekday::Mon, 1),
        nth_weekday(year, 10, Weekday::Mon, 2),
        observed(ymd(11, 11)),
        nth_weekday(year, 11, Weekday::Thu, 4),
        observed(ymd(12, 25)),
    ];
    if year >= 1986 {
        days.push(nth_weekday(year, 1, Weekday::Mon, 3));
    }
    if year >= 2021 {
        days.push(observed(ymd(6, 19)));
    }
    // New Year's Day of next year observed on Dec 31 of this one.
    if let Some(next) = NaiveDate::from_ymd_opt(year + 1, 1, 1) {
        if next.weekday() == Weekday::Sat {
            days.push(ymd(12, 31));
        }
    }
    days.sort();
    days
}

pub fn is_federal_holiday(d: NaiveDate) -> bool {
    federal_holidays(d.year()).contains(&d)
}

/// Days that count toward the 48-hour detainer hold: not Saturday, Sunday
/// or a federal holiday.
pub fn counts_toward_hold(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_federal_holiday(d)
}

/// The latest moment a person held on a detainer from `start` (the time they
/// would otherwise be released) may still be held: 48 hours counted only on
/// days that are not Saturdays, Sundays or federal holidays.
pub fn hold_expiry(start: SimTime) -> SimTime {
    let mut remaining = 48 * HOUR;
    let mut t = start.0;
    loop {
        let day_start = t.div_euclid(DAY) * DAY;
        let day_end = day_start + DAY;
        if counts_toward_hold(SimTime(t).date()) {
            let available = day_end - t;
            if available >= remaining {
                return SimTime(t + remaining);
            }
            remaining -= available;
        }
        t = day_end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> SimTime {
        SimTime(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp(),
        )
    }

    #[test]
    fn holidays_2010() {
        let h = federal_holidays(2010);
        let ymd = |m, d| NaiveDate::from_ymd_opt(2010, m, d).unwrap();
        // 2010: New Year Fri 1 Jan, MLK 18 Jan, Presidents 15 Feb, Memorial 31 May,
        // July 4 on Sunday observed Mon 5 July, Labor 6 Sep, Columbus 11 Oct,
        // Veterans Thu 11 Nov, Thanksgiving 25 Nov, Christmas Sat observed Fri 24 Dec,
        // and New Year 2011 (Sat) observed Fri 31 Dec 2010.
        let want = [
            ymd(1, 1),
            ymd(1, 18),
            ymd(2, 15),
            ymd(5, 31),
            ymd(7, 5),
            ymd(9, 6),
            ymd(10, 11),
            ymd(11, 11),
            ymd(11, 25),
            ymd(12, 24),
            ymd(12, 31),
        ];
        assert_eq!(h, want.to_vec());
    }

    #[test]
    fn juneteenth_only_from_2021() {
        assert!(!is_federal_holiday(
            NaiveDate::from_ymd_opt(2020, 6, 19).unwrap()
        ));
        assert!(is_federal_holiday(
            NaiveDate::from_ymd_opt(2021, 6, 18).unwrap()
        )); // Sat -> Fri
        assert!(is_federal_holiday(
            NaiveDate::from_ymd_opt(2022, 6, 20).unwrap()
        )); // Sun -> Mon
    }

    #[test]
    fn hold_on_weekdays_is_48_hours() {
        // Monday 2010-10-04 10:00 -> Wednesday 10:00.
        assert_eq!(hold_expiry(at(2010, 10, 4, 10)), at(2010, 10, 6, 10));
    }

    #[test]
    fn hold_skips_weekend() {
        // Thursday 2010-10-14 15:00: Thu 9h + Fri 24h = 33h, weekend skipped, Mon 15h -> Mon 15:00.
        assert_eq!(hold_expiry(at(2010, 10, 14, 15)), at(2010, 10, 18, 15));
    }

    #[test]
    fn hold_skips_weekend_and_holiday() {
        // Friday 2010-10-08 12:00: Fri 12h, Sat, Sun, Columbus Day Mon 11 Oct skipped,
        // Tue 24h, Wed 12h -> Wed 13 Oct 12:00.
        assert_eq!(hold_expiry(at(2010, 10, 8, 12)), at(2010, 10, 13, 12));
    }

    #[test]
    fn hold_released_on_saturday_starts_monday() {
        // Saturday 2010-10-16 09:00 -> counts from Mon 18 Oct 00:00 -> Wed 20 Oct 00:00.
        assert_eq!(hold_expiry(at(2010, 10, 16, 9)), at(2010, 10, 20, 0));
    }

    #[test]
    fn months() {
        assert_eq!(at(2010, 10, 31, 23).month(), "2010-10");
    }
}
