//! The working-day calendar: public holidays and make-up working days (调休上班), loaded
//! from data because the State Council publishes each year's schedule every November.

use crate::ValidationError;
use crate::time::parse_weekday;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The 2026 schedule (State Council notice of 2025-11-04), as shipped.
pub const CN_2026_CSV: &str = include_str!("../data/calendar-cn-2026.csv");

/// What a listed date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A public holiday: courts and procuratorates are closed.
    Holiday,
    /// A weekend day that is a working day (调休上班).
    Workday,
}

impl DayKind {
    /// Parses `holiday`/`workday` or `休`/`班`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "holiday" | "休" | "假" => Ok(DayKind::Holiday),
            "workday" | "班" => Ok(DayKind::Workday),
            other => Err(format!("expected holiday or workday, got {other:?}")),
        }
    }

    /// The code written in data-set files.
    pub fn code(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }
}

/// One listed date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalendarDay {
    /// The date.
    pub date: NaiveDate,
    /// Holiday or make-up working day.
    pub kind: DayKind,
    /// The holiday's name, e.g. 国庆节.
    pub name: String,
    /// For a make-up working day: whose weekday's demand pattern applies (default Monday).
    #[schema(value_type = Option<String>, example = "Sat")]
    pub works_as: Option<Weekday>,
}

impl CalendarDay {
    /// `calendar DATE`, for messages.
    pub fn record(&self) -> String {
        format!("calendar {}", self.date)
    }

    /// Checks the entry on its own.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.kind == DayKind::Holiday && self.works_as.is_some() {
            return Err(ValidationError::new(
                self.record(),
                "works_as",
                "only a make-up working day works as another weekday",
            ));
        }
        if self.kind == DayKind::Workday
            && !matches!(self.date.weekday(), Weekday::Sat | Weekday::Sun)
        {
            return Err(ValidationError::new(
                self.record(),
                "kind",
                format!(
                    "{} is a {:?}, already a working day",
                    self.date,
                    self.date.weekday()
                ),
            ));
        }
        Ok(())
    }
}

/// The working days of one or more years.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingCalendar {
    days: BTreeMap<NaiveDate, CalendarDay>,
}

impl WorkingCalendar {
    /// Builds a calendar, rejecting a date listed twice or an invalid entry.
    pub fn new(days: impl IntoIterator<Item = CalendarDay>) -> Result<Self, ValidationError> {
        let mut map = BTreeMap::new();
        for day in days {
            day.validate()?;
            let date = day.date;
            if map.insert(date, day).is_some() {
                return Err(ValidationError::new(
                    format!("calendar {date}"),
                    "date",
                    "listed twice",
                ));
            }
        }
        Ok(Self { days: map })
    }

    /// The 2026 mainland-China schedule shipped with zhiban.
    pub fn cn_2026() -> Self {
        parse_simple_csv(CN_2026_CSV).expect("the shipped 2026 calendar is valid")
    }

    /// Every listed date, in order.
    pub fn days(&self) -> impl Iterator<Item = &CalendarDay> {
        self.days.values()
    }

    /// The years for which at least one date is listed.
    pub fn years(&self) -> BTreeSet<i32> {
        self.days.keys().map(|d| d.year()).collect()
    }

    /// The entry for a date, if listed.
    pub fn get(&self, date: NaiveDate) -> Option<&CalendarDay> {
        self.days.get(&date)
    }

    /// Whether `date` is a public holiday.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.days
            .get(&date)
            .is_some_and(|d| d.kind == DayKind::Holiday)
    }

    /// Whether courts and procuratorates work on `date`: Monday to Friday unless a holiday,
    /// and listed make-up weekend days.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.days.get(&date).map(|d| d.kind) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// Whose weekday demand applies on `date` for a station that has no holiday duty:
    /// `None` on a holiday, the `works_as` weekday on a make-up working day, else the
    /// date's own weekday.
    pub fn pattern_weekday(&self, date: NaiveDate) -> Option<Weekday> {
        match self.days.get(&date) {
            Some(d) if d.kind == DayKind::Holiday => None,
            Some(d) => Some(d.works_as.unwrap_or(Weekday::Mon)),
            None => Some(date.weekday()),
        }
    }

    /// The weekday `date` works as for a lawyer's weekly rules (weekly unavailability and
    /// wishes): on a make-up working day the weekday it works as, like its demand
    /// ([`pattern_weekday`](Self::pattern_weekday)); on any other day, holidays included,
    /// its own.
    pub fn works_as(&self, date: NaiveDate) -> Weekday {
        match self.days.get(&date) {
            Some(d) if d.kind == DayKind::Workday => d.works_as.unwrap_or(Weekday::Mon),
            _ => date.weekday(),
        }
    }
}

/// Parses the shipped calendar file (`date,kind,name,works_as`, no quoting).
fn parse_simple_csv(text: &str) -> Result<WorkingCalendar, ValidationError> {
    let mut days = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let bad = |field: &str, m: String| {
            ValidationError::new(format!("calendar line {}", i + 1), field, m)
        };
        let date = NaiveDate::parse_from_str(f.first().copied().unwrap_or(""), "%Y-%m-%d")
            .map_err(|e| bad("date", e.to_string()))?;
        let kind = DayKind::parse(f.get(1).copied().unwrap_or("")).map_err(|m| bad("kind", m))?;
        let works_as = match f.get(3).map(|s| s.trim()) {
            None | Some("") => None,
            Some(s) => Some(parse_weekday(s).map_err(|m| bad("works_as", m))?),
        };
        days.push(CalendarDay {
            date,
            kind,
            name: f.get(2).unwrap_or(&"").to_string(),
            works_as,
        });
    }
    WorkingCalendar::new(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_2026_schedule_has_its_holidays_and_make_up_days() {
        let cal = WorkingCalendar::cn_2026();
        // Make-up working days (调休上班).
        for day in [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        ] {
            assert!(cal.is_working_day(d(day)), "{day} should be a working day");
            assert!(!cal.is_holiday(d(day)));
        }
        // Holidays.
        for day in [
            "2026-01-01",
            "2026-02-15",
            "2026-02-23",
            "2026-04-06",
            "2026-05-05",
            "2026-06-19",
            "2026-09-25",
            "2026-10-01",
            "2026-10-05",
            "2026-10-07",
        ] {
            assert!(!cal.is_working_day(d(day)), "{day} should be a holiday");
            assert!(cal.is_holiday(d(day)));
        }
        // Ordinary days.
        assert!(cal.is_working_day(d("2026-11-23")), "a Monday");
        assert!(!cal.is_working_day(d("2026-11-21")), "a Saturday");
        assert!(
            cal.is_working_day(d("2026-10-09")),
            "the Friday after National Day"
        );
        let holidays = cal.days().filter(|x| x.kind == DayKind::Holiday).count();
        assert_eq!(holidays, 3 + 9 + 3 + 5 + 3 + 3 + 7);
        assert_eq!(cal.years(), BTreeSet::from([2026]));
    }

    #[test]
    fn make_up_days_take_the_named_weekday_pattern() {
        let cal = WorkingCalendar::cn_2026();
        assert_eq!(cal.pattern_weekday(d("2026-10-10")), Some(Weekday::Fri));
        assert_eq!(cal.pattern_weekday(d("2026-02-14")), Some(Weekday::Mon));
        assert_eq!(cal.pattern_weekday(d("2026-10-05")), None);
        assert_eq!(cal.pattern_weekday(d("2026-11-24")), Some(Weekday::Tue));
    }

    #[test]
    fn lawyers_weekly_rules_follow_the_weekday_a_make_up_day_works_as() {
        let cal = WorkingCalendar::cn_2026();
        // Saturday 2026-10-10 works as a Friday; Saturday 2026-02-14 names none: Monday.
        assert_eq!(cal.works_as(d("2026-10-10")), Weekday::Fri);
        assert_eq!(cal.works_as(d("2026-02-14")), Weekday::Mon);
        // A holiday and an ordinary weekend day keep their own weekday.
        assert_eq!(cal.works_as(d("2026-10-05")), Weekday::Mon);
        assert_eq!(cal.works_as(d("2026-11-21")), Weekday::Sat);
        assert_eq!(cal.works_as(d("2026-11-24")), Weekday::Tue);
    }

    #[test]
    fn a_date_listed_twice_is_rejected() {
        let day = CalendarDay {
            date: d("2026-10-01"),
            kind: DayKind::Holiday,
            name: "国庆节".into(),
            works_as: None,
        };
        let e = WorkingCalendar::new([day.clone(), day]).unwrap_err();
        assert_eq!(
            (e.record.as_str(), e.field.as_str()),
            ("calendar 2026-10-01", "date")
        );
    }

    #[test]
    fn a_weekday_cannot_be_a_make_up_working_day() {
        let day = CalendarDay {
            date: d("2026-10-08"),
            kind: DayKind::Workday,
            name: "x".into(),
            works_as: None,
        };
        assert_eq!(day.validate().unwrap_err().field, "kind");
    }
}
