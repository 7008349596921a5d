//! The desk's rules for a piece: when it owes an answer (on its own clock
//! and working days), and how long a piece may be before editors see it
//! flagged.

use super::Reader;
use crate::calendar::{ResponseWindow, WorkingDays};

/// The longest response window accepted: twelve working weeks.
const MAX_RESPONSE_BUSINESS_DAYS: u32 = 60;

/// The words a piece may have before editors see it flagged.
pub const DEFAULT_WORD_LIMIT: u32 = 1_200;

/// `OPED_RESPONSE_BUSINESS_DAYS` (default 5, from 1 to 60) working days
/// (`OPED_BUSINESS_DAYS`, default `mon-fri`) on the desk's clock
/// (`OPED_TIMEZONE`, an IANA name such as `America/New_York`, default `UTC`).
pub(super) fn response_window(read: &mut Reader) -> ResponseWindow {
    let default = ResponseWindow::default();
    ResponseWindow {
        business_days: read.number(
            "OPED_RESPONSE_BUSINESS_DAYS",
            default.business_days,
            1..=MAX_RESPONSE_BUSINESS_DAYS,
            "working days",
        ),
        working_days: read
            .typed::<WorkingDays>("OPED_BUSINESS_DAYS")
            .unwrap_or(default.working_days),
        timezone: read
            .parsed("OPED_TIMEZONE", |name| {
                name.parse::<chrono_tz::Tz>().map_err(|_| {
                    "is not a time zone name such as \"Europe/London\" or \"UTC\"".to_string()
                })
            })
            .unwrap_or(default.timezone),
    }
}

/// `OPED_WORD_LIMIT` (default 1,200, from 1 to 1,000,000).
pub(super) fn word_limit(read: &mut Reader) -> u32 {
    read.number(
        "OPED_WORD_LIMIT",
        DEFAULT_WORD_LIMIT,
        1..=1_000_000,
        "words",
    )
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as config;
    use super::*;

    #[test]
    fn the_response_window_and_word_limit_are_read_and_checked_together() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.intake.window, ResponseWindow::default());
        assert_eq!(defaults.intake.window.business_days, 5);
        assert_eq!(defaults.intake.word_limit, 1_200);

        let read = config(&[
            ("OPED_RESPONSE_BUSINESS_DAYS", "3"),
            ("OPED_BUSINESS_DAYS", "sun-thu"),
            ("OPED_TIMEZONE", "Asia/Jerusalem"),
            ("OPED_WORD_LIMIT", "900"),
        ])
        .unwrap();
        assert_eq!(read.intake.window.business_days, 3);
        assert_eq!(
            read.intake.window.working_days,
            "sun,mon,tue,wed,thu".parse().unwrap()
        );
        assert_eq!(read.intake.window.timezone, chrono_tz::Asia::Jerusalem);
        assert_eq!(read.intake.word_limit, 900);
        let grouped = config(&[("OPED_WORD_LIMIT", "1,500")]).unwrap();
        assert_eq!(grouped.intake.word_limit, 1_500);

        let err = config(&[
            ("OPED_RESPONSE_BUSINESS_DAYS", "0"),
            ("OPED_BUSINESS_DAYS", "weekdays"),
            ("OPED_TIMEZONE", "Mars/Olympus_Mons"),
            ("OPED_WORD_LIMIT", "lots"),
            ("OPED_BIND", "nowhere"),
        ])
        .unwrap_err();
        assert_eq!(err.problems.len(), 5, "{err}");
        for name in [
            "OPED_RESPONSE_BUSINESS_DAYS",
            "OPED_BUSINESS_DAYS",
            "OPED_TIMEZONE",
            "OPED_WORD_LIMIT",
        ] {
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
        assert!(
            err.to_string().contains(
                "OPED_RESPONSE_BUSINESS_DAYS=\"0\" must be a whole number of working days from 1 to 60"
            ),
            "{err}"
        );
        assert!(config(&[("OPED_RESPONSE_BUSINESS_DAYS", "61")]).is_err());
    }
}
