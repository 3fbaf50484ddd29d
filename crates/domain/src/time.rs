//! Half-days, weekdays and their templates.

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The first year any date zhiban accepts may name (rosters, leave, ledger instants, months).
pub const MIN_YEAR: i32 = 2000;
/// The last year any date zhiban accepts may name: every accepted date is one every store
/// reads back, and every sum of days stays far from chrono's limits.
pub const MAX_YEAR: i32 = 2100;

/// Checks that `d` lies in years [`MIN_YEAR`] to [`MAX_YEAR`].
pub fn check_date(d: chrono::NaiveDate) -> Result<(), String> {
    use chrono::Datelike;
    if (MIN_YEAR..=MAX_YEAR).contains(&d.year()) {
        Ok(())
    } else {
        Err(format!("{d} is outside the years {MIN_YEAR} to {MAX_YEAR}"))
    }
}

/// Checks that instant `t` lies in years [`MIN_YEAR`] to [`MAX_YEAR`] (UTC).
pub fn check_instant(t: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
    check_date(t.date_naive())
        .map_err(|_| format!("{t} is outside the years {MIN_YEAR} to {MAX_YEAR}"))
}

/// A half-day: morning (上午) or afternoon (下午).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum HalfDay {
    /// Morning, 上午.
    Am,
    /// Afternoon, 下午.
    Pm,
}

impl HalfDay {
    /// Both half-days, morning first.
    pub const ALL: [HalfDay; 2] = [HalfDay::Am, HalfDay::Pm];

    /// Parses `am`/`pm` (any case) or `上午`/`下午`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "am" | "上午" => Ok(HalfDay::Am),
            "pm" | "下午" => Ok(HalfDay::Pm),
            other => Err(format!("expected `am` or `pm`, got {other:?}")),
        }
    }

    /// `am` or `pm`.
    pub fn code(self) -> &'static str {
        match self {
            HalfDay::Am => "am",
            HalfDay::Pm => "pm",
        }
    }

    /// The Chinese label, 上午 or 下午.
    pub fn label_zh(self) -> &'static str {
        match self {
            HalfDay::Am => "上午",
            HalfDay::Pm => "下午",
        }
    }
}

impl fmt::Display for HalfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Parses a weekday: `mon`..`sun`, full English names, `1`..`7` (Monday = 1) or `周一`..`周日`.
pub fn parse_weekday(raw: &str) -> Result<Weekday, String> {
    let s = raw.trim().to_ascii_lowercase();
    let day = match s.as_str() {
        "1" | "mon" | "monday" | "周一" | "星期一" => Weekday::Mon,
        "2" | "tue" | "tuesday" | "周二" | "星期二" => Weekday::Tue,
        "3" | "wed" | "wednesday" | "周三" | "星期三" => Weekday::Wed,
        "4" | "thu" | "thursday" | "周四" | "星期四" => Weekday::Thu,
        "5" | "fri" | "friday" | "周五" | "星期五" => Weekday::Fri,
        "6" | "sat" | "saturday" | "周六" | "星期六" => Weekday::Sat,
        "7" | "sun" | "sunday" | "周日" | "星期日" | "周天" => Weekday::Sun,
        _ => {
            return Err(format!(
                "expected a weekday such as `mon` or `1`, got {raw:?}"
            ));
        }
    };
    Ok(day)
}

/// The three-letter code of a weekday (`mon`), as written in data-set files.
pub fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// Parses a local time of day, `HH:MM` or `HH:MM:SS`.
pub fn parse_time(raw: &str) -> Result<NaiveTime, String> {
    let s = raw.trim();
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .map_err(|_| format!("expected a time such as 09:00, got {raw:?}"))
}

/// The local start and end of one half-day at a station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HalfDayTemplate {
    /// Local start time.
    pub start: NaiveTime,
    /// Local end time, after `start`.
    pub end: NaiveTime,
}

impl HalfDayTemplate {
    /// Builds a template, checking that it ends after it starts.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, String> {
        if end <= start {
            return Err(format!(
                "ends at {end} which is not after its start {start}"
            ));
        }
        Ok(Self { start, end })
    }

    /// Length in minutes.
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_days_parse_in_english_and_chinese() {
        assert_eq!(HalfDay::parse("AM").unwrap(), HalfDay::Am);
        assert_eq!(HalfDay::parse("下午").unwrap(), HalfDay::Pm);
        assert!(HalfDay::parse("noon").is_err());
    }

    #[test]
    fn weekdays_parse_from_codes_numbers_and_chinese() {
        assert_eq!(parse_weekday("1").unwrap(), Weekday::Mon);
        assert_eq!(parse_weekday("Sun").unwrap(), Weekday::Sun);
        assert_eq!(parse_weekday("周三").unwrap(), Weekday::Wed);
        assert!(parse_weekday("8").is_err());
        for d in [Weekday::Mon, Weekday::Thu, Weekday::Sun] {
            assert_eq!(parse_weekday(weekday_code(d)).unwrap(), d);
        }
    }

    #[test]
    fn a_template_must_end_after_it_starts() {
        let nine = parse_time("09:00").unwrap();
        let half_eleven = parse_time("11:30").unwrap();
        assert_eq!(
            HalfDayTemplate::new(nine, half_eleven).unwrap().minutes(),
            150
        );
        assert!(HalfDayTemplate::new(half_eleven, nine).is_err());
        assert!(parse_time("25:00").is_err());
    }
}
