//! The desk's working days and the response window, as arithmetic on dates
//! (pure: every time comes in as an argument; no clock, no database).
//!
//! The window closes `n` working days after a piece arrives, at the same
//! time of day on the desk's clock: received on Tuesday at 15:00 with five
//! working days Monday to Friday, it closes the next Tuesday at 15:00. A
//! piece that arrives on a day off starts its clock at the beginning of the
//! next working day, so it gets `n` whole working days.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// The days of the week the desk works: at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingDays {
    /// Indexed by `Weekday::num_days_from_monday`.
    days: [bool; 7],
}

const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl WorkingDays {
    /// Monday to Friday.
    pub fn monday_to_friday() -> WorkingDays {
        WorkingDays {
            days: [true, true, true, true, true, false, false],
        }
    }

    pub fn contains(&self, day: Weekday) -> bool {
        self.days[day.num_days_from_monday() as usize]
    }
}

impl Default for WorkingDays {
    fn default() -> Self {
        WorkingDays::monday_to_friday()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a list of working days such as \"mon-fri\", \"sun-thu\" or \"mon,tue,thu\"")]
pub struct WorkingDaysError(String);

fn day_index(name: &str) -> Option<usize> {
    let name = name.trim().to_ascii_lowercase();
    NAMES.iter().position(|day| *day == name)
}

impl FromStr for WorkingDays {
    type Err = WorkingDaysError;

    /// Comma-separated days or ranges of three-letter English names; a range
    /// runs forward through the week and may wrap (`sun-thu`, `fri-mon`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = || WorkingDaysError(text.chars().take(64).collect());
        let mut days = [false; 7];
        for part in text.split(',') {
            match part.split_once('-') {
                Some((first, last)) => {
                    let (first, last) = (
                        day_index(first).ok_or_else(refuse)?,
                        day_index(last).ok_or_else(refuse)?,
                    );
                    let mut day = first;
                    loop {
                        days[day] = true;
                        if day == last {
                            break;
                        }
                        day = (day + 1) % 7;
                    }
                }
                None => days[day_index(part).ok_or_else(refuse)?] = true,
            }
        }
        if days.iter().any(|working| *working) {
            Ok(WorkingDays { days })
        } else {
            Err(refuse())
        }
    }
}

impl fmt::Display for WorkingDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = NAMES
            .iter()
            .zip(self.days)
            .filter(|(_, working)| *working)
            .map(|(name, _)| *name)
            .collect();
        f.write_str(&names.join(","))
    }
}

/// How long the desk takes to answer, in working days on its own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseWindow {
    /// `OPED_RESPONSE_BUSINESS_DAYS`.
    pub business_days: u32,
    /// `OPED_BUSINESS_DAYS`.
    pub working_days: WorkingDays,
    /// `OPED_TIMEZONE`: where the desk's days begin and end.
    pub timezone: Tz,
}

impl Default for ResponseWindow {
    fn default() -> Self {
        ResponseWindow {
            business_days: 5,
            working_days: WorkingDays::default(),
            timezone: Tz::UTC,
        }
    }
}

impl ResponseWindow {
    /// When the desk owes an answer to a piece received at `received_at`.
    pub fn respond_by(&self, received_at: DateTime<Utc>) -> DateTime<Utc> {
        add_business_days(
            received_at,
            self.business_days,
            &self.working_days,
            self.timezone,
        )
    }

    /// A held piece's new deadline: the same number of working days again,
    /// counted from the deadline it had.
    pub fn extended(&self, respond_by: DateTime<Utc>) -> DateTime<Utc> {
        self.respond_by(respond_by)
    }

    /// `at` as the desk reads it, for emails: "Tuesday 8 December 2026,
    /// 15:00 (Europe/London)".
    pub fn describe(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.timezone);
        format!(
            "{}, {} ({})",
            local.format("%A %-d %B %Y"),
            local.format("%H:%M"),
            self.timezone.name()
        )
    }
}

/// `start` moved on by `days` working days in `timezone`, keeping the time
/// of day; from a day off, counting starts at midnight of the next working
/// day. A wall-clock time that a DST change skips is taken an hour later;
/// one it repeats, at its first occurrence.
pub fn add_business_days(
    start: DateTime<Utc>,
    days: u32,
    working: &WorkingDays,
    timezone: Tz,
) -> DateTime<Utc> {
    let local = start.with_timezone(&timezone).naive_local();
    let (mut date, time) = if working.contains(local.date().weekday()) {
        (local.date(), local.time())
    } else {
        (
            next_working_day(local.date(), working),
            chrono::NaiveTime::MIN,
        )
    };
    for _ in 0..days {
        date = next_working_day(date, working);
    }
    to_utc(date.and_time(time), timezone)
}

/// The first working day after `date` (there is one within a week).
fn next_working_day(date: NaiveDate, working: &WorkingDays) -> NaiveDate {
    let mut day = date;
    for _ in 0..7 {
        day = day.succ_opt().unwrap_or(NaiveDate::MAX);
        if working.contains(day.weekday()) {
            break;
        }
    }
    day
}

/// A wall-clock time in `timezone` as an instant: a time a DST change skips
/// is taken an hour later; one it repeats, at its first occurrence.
pub fn to_utc(local: NaiveDateTime, timezone: Tz) -> DateTime<Utc> {
    match timezone.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        // Skipped by a spring-forward change: no gap lasts longer than an hour
        // in practice; two hours covers the rest.
        LocalResult::None => match timezone.from_local_datetime(&(local + Duration::hours(1))) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
            LocalResult::None => timezone
                .from_local_datetime(&(local + Duration::hours(2)))
                .earliest()
                .map_or_else(|| local.and_utc(), |at| at.with_timezone(&Utc)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn window(days: u32, working: &str, timezone: Tz) -> ResponseWindow {
        ResponseWindow {
            business_days: days,
            working_days: working.parse().unwrap(),
            timezone,
        }
    }

    #[test]
    fn a_friday_piece_waits_over_the_weekend() {
        // 2026-12-04 is a Friday.
        let window = window(5, "mon-fri", Tz::UTC);
        assert_eq!(
            window.respond_by(utc("2026-12-04T15:30:00Z")),
            utc("2026-12-11T15:30:00Z")
        );
        // Three days from Thursday: Friday, Monday, Tuesday.
        let three = ResponseWindow {
            business_days: 3,
            ..window
        };
        assert_eq!(
            three.respond_by(utc("2026-12-03T09:00:00Z")),
            utc("2026-12-08T09:00:00Z")
        );
    }

    #[test]
    fn a_weekend_piece_starts_its_clock_on_monday_morning() {
        let window = window(5, "mon-fri", Tz::UTC);
        for received in ["2026-12-05T10:00:00Z", "2026-12-06T23:59:59Z"] {
            // Saturday or Sunday: five whole days, Monday to Friday.
            assert_eq!(
                window.respond_by(utc(received)),
                utc("2026-12-14T00:00:00Z"),
                "{received}"
            );
        }
        let one = ResponseWindow {
            business_days: 1,
            ..window
        };
        assert_eq!(
            one.respond_by(utc("2026-12-05T10:00:00Z")),
            utc("2026-12-08T00:00:00Z")
        );
    }

    #[test]
    fn a_sunday_to_thursday_desk_rests_on_friday_and_saturday() {
        let window = window(3, "sun-thu", Tz::UTC);
        // Wednesday 2 December: Thursday, Sunday, Monday.
        assert_eq!(
            window.respond_by(utc("2026-12-02T11:00:00Z")),
            utc("2026-12-07T11:00:00Z")
        );
        // Friday and Saturday are days off: the clock starts Sunday 00:00.
        assert_eq!(
            window.respond_by(utc("2026-12-04T11:00:00Z")),
            utc("2026-12-09T00:00:00Z")
        );
        // Sunday is a working day.
        assert_eq!(
            window.respond_by(utc("2026-12-06T08:00:00Z")),
            utc("2026-12-09T08:00:00Z")
        );
    }

    #[test]
    fn days_are_counted_on_the_desk_s_clock() {
        // Friday 23:30 in New York is already Saturday in UTC: still a Friday piece.
        let new_york = window(1, "mon-fri", chrono_tz::America::New_York);
        assert_eq!(
            new_york.respond_by(utc("2026-12-05T04:30:00Z")),
            utc("2026-12-08T04:30:00Z")
        );
        // The same instant on a UTC desk arrives on Saturday.
        let utc_desk = window(1, "mon-fri", Tz::UTC);
        assert_eq!(
            utc_desk.respond_by(utc("2026-12-05T04:30:00Z")),
            utc("2026-12-08T00:00:00Z")
        );
    }

    #[test]
    fn the_time_of_day_survives_a_change_of_clocks() {
        // London moves to BST on Sunday 29 March 2026: 10:00 local stays 10:00.
        let london = window(1, "mon-fri", chrono_tz::Europe::London);
        assert_eq!(
            london.respond_by(utc("2026-03-27T10:00:00Z")),
            utc("2026-03-30T09:00:00Z")
        );
        // 01:30 on the night the clocks go forward does not exist: 02:30 BST.
        let every_day = window(1, "mon-sun", chrono_tz::Europe::London);
        assert_eq!(
            every_day.respond_by(utc("2026-03-28T01:30:00Z")),
            utc("2026-03-29T01:30:00Z")
        );
    }

    #[test]
    fn a_hold_adds_the_same_number_of_working_days_again() {
        let window = window(5, "mon-fri", Tz::UTC);
        let first = window.respond_by(utc("2026-12-04T15:30:00Z"));
        assert_eq!(window.extended(first), utc("2026-12-18T15:30:00Z"));
    }

    #[test]
    fn working_days_parse_ranges_lists_and_wraps() {
        let parse = |text: &str| text.parse::<WorkingDays>().map(|days| days.to_string());
        assert_eq!(parse("mon-fri").unwrap(), "mon,tue,wed,thu,fri");
        assert_eq!(parse("Sun-Thu").unwrap(), "mon,tue,wed,thu,sun");
        assert_eq!(parse("mon, wed ,fri").unwrap(), "mon,wed,fri");
        assert_eq!(parse("fri-mon").unwrap(), "mon,fri,sat,sun");
        assert_eq!(parse("sat").unwrap(), "sat");
        for bad in [
            "",
            "monday-friday",
            "mon-",
            "mon--fri",
            "xyz",
            ",",
            "mon;tue",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(WorkingDays::default(), "mon-fri".parse().unwrap());
    }

    #[test]
    fn deadlines_are_described_on_the_desk_s_clock() {
        let window = window(5, "mon-fri", chrono_tz::Europe::London);
        assert_eq!(
            window.describe(utc("2026-12-08T15:00:00Z")),
            "Tuesday 8 December 2026, 15:00 (Europe/London)"
        );
    }
}
