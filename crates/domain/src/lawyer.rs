//! Panel lawyers (值班律师) and their availability.

use crate::station::check_tags;
use crate::time::{HalfDay, weekday_code};
use crate::{CentreId, Coordinates, FirmId, LawyerId, StationId, ValidationError};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// How many half-days a lawyer may be on duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Limits {
    /// Per day: 1 or 2.
    pub per_day: u32,
    /// Per ISO week.
    pub per_week: u32,
    /// Per calendar month.
    pub per_month: u32,
}

/// A panel lawyer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lawyer {
    /// Its code.
    pub id: LawyerId,
    /// Full name, e.g. 陈志明.
    pub name: String,
    /// Mobile phone (kept out of logs).
    pub phone: String,
    /// E-mail address for notifications ('' for none; kept out of logs).
    #[serde(default)]
    pub email: String,
    /// The firm the lawyer practises at.
    pub firm_id: FirmId,
    /// The centre whose panel the lawyer is on.
    pub home_centre_id: CentreId,
    /// Date of the practising licence (执业证), from which years of practice are derived.
    pub licence_date: NaiveDate,
    /// Skills such as `juvenile`, `death_penalty`, `foreign`.
    pub skills: Vec<String>,
    /// Languages beyond Mandarin, e.g. `yue` (Cantonese), `en`, `mn` (Mongolian).
    pub languages: Vec<String>,
    /// Half-days per day, week and month.
    pub limits: Limits,
    /// Where the lawyer usually starts from (the firm's office).
    pub base: Coordinates,
    /// Whether the lawyer is on the active panel.
    pub active: bool,
}

impl Lawyer {
    /// `lawyer ID`, for messages.
    pub fn record(&self) -> String {
        format!("lawyer {}", self.id)
    }

    /// Whole years of practice on `on`: the licence anniversary counts on its day.
    pub fn years_of_practice(&self, on: NaiveDate) -> u32 {
        years_between(self.licence_date, on)
    }

    /// Whether the lawyer holds their licence on `on`: from the licence date on. Before it
    /// they may take no duty at all, whatever a station's minimum years (0 included).
    pub fn is_licensed_on(&self, on: NaiveDate) -> bool {
        on >= self.licence_date
    }

    /// Whether the lawyer has every skill in `skills`.
    pub fn has_skills(&self, skills: &[String]) -> bool {
        skills.iter().all(|s| self.skills.contains(s))
    }

    /// Whether the lawyer speaks every language in `languages`.
    pub fn speaks(&self, languages: &[String]) -> bool {
        languages.iter().all(|l| self.languages.contains(l))
    }

    /// Checks the lawyer on their own; `today` bounds the licence date.
    pub fn validate(&self, today: NaiveDate) -> Result<(), ValidationError> {
        let err = |field: &str, msg: String| Err(ValidationError::new(self.record(), field, msg));
        if self.name.trim().is_empty() {
            return err("name", "must not be empty".into());
        }
        if !self.phone.is_empty() && !is_phone(&self.phone) {
            return err("phone", format!("{:?} is not a phone number", self.phone));
        }
        if !self.email.is_empty() && !is_email(&self.email) {
            return err(
                "email",
                format!("{:?} is not an e-mail address", self.email),
            );
        }
        if self.licence_date > today {
            return err(
                "licence_date",
                format!("{} is in the future", self.licence_date),
            );
        }
        if self.licence_date.year() < 1950 {
            return err(
                "licence_date",
                format!("{} is not plausible", self.licence_date),
            );
        }
        let l = self.limits;
        if !(1..=2).contains(&l.per_day) {
            return err("max_per_day", format!("must be 1 or 2, got {}", l.per_day));
        }
        if l.per_week < l.per_day || l.per_week > 14 {
            return err(
                "max_per_week",
                format!(
                    "must be between max_per_day ({}) and 14, got {}",
                    l.per_day, l.per_week
                ),
            );
        }
        if l.per_month < l.per_week || l.per_month > 62 {
            return err(
                "max_per_month",
                format!(
                    "must be between max_per_week ({}) and 62, got {}",
                    l.per_week, l.per_month
                ),
            );
        }
        check_tags(&self.record(), "skills", &self.skills)?;
        check_tags(&self.record(), "languages", &self.languages)?;
        Ok(())
    }
}

/// Whole years from `from` to `to` (0 if `to` is earlier).
pub fn years_between(from: NaiveDate, to: NaiveDate) -> u32 {
    if to < from {
        return 0;
    }
    let mut years = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// A weekly half-day on which a lawyer is never available (e.g. every Monday morning).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WeeklyUnavailability {
    /// The lawyer.
    pub lawyer_id: LawyerId,
    /// The weekday.
    #[schema(value_type = String, example = "Mon")]
    pub weekday: Weekday,
    /// Morning or afternoon.
    pub half_day: HalfDay,
}

impl WeeklyUnavailability {
    /// `unavailability LAWYER/mon/am`, for messages.
    pub fn record(&self) -> String {
        format!(
            "unavailability {}/{}/{}",
            self.lawyer_id,
            weekday_code(self.weekday),
            self.half_day
        )
    }
}

/// Dated leave or other unavailability, both ends inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Leave {
    /// The lawyer.
    pub lawyer_id: LawyerId,
    /// First day away.
    pub from: NaiveDate,
    /// Last day away.
    pub to: NaiveDate,
    /// Only this half-day of each day, or the whole day when `None`.
    pub half_day: Option<HalfDay>,
    /// Why, e.g. 开庭, 病假, 年假.
    pub reason: String,
}

impl Leave {
    /// `leave LAWYER FROM..TO`, for messages.
    pub fn record(&self) -> String {
        format!("leave {} {}..{}", self.lawyer_id, self.from, self.to)
    }

    /// Whether the leave covers a half-day.
    pub fn covers(&self, date: NaiveDate, half_day: HalfDay) -> bool {
        self.from <= date && date <= self.to && self.half_day.is_none_or(|h| h == half_day)
    }

    /// Checks the leave on its own.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.to < self.from {
            return Err(ValidationError::new(
                self.record(),
                "end_date",
                format!("{} is before the start {}", self.to, self.from),
            ));
        }
        if (self.to - self.from).num_days() > 366 {
            return Err(ValidationError::new(
                self.record(),
                "end_date",
                "leave longer than a year: mark the lawyer inactive instead",
            ));
        }
        Ok(())
    }
}

/// What a preference is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "target", rename_all = "snake_case")]
pub enum PreferenceTarget {
    /// Would like duty at this station.
    PreferStation(StationId),
    /// Would rather not be at this station.
    AvoidStation(StationId),
    /// Would like duty on this weekday.
    #[schema(value_type = String)]
    PreferWeekday(Weekday),
    /// Would rather not have duty on this weekday.
    #[schema(value_type = String)]
    AvoidWeekday(Weekday),
}

impl PreferenceTarget {
    /// The kind code written in data-set files.
    pub fn kind_code(&self) -> &'static str {
        match self {
            PreferenceTarget::PreferStation(_) => "prefer_station",
            PreferenceTarget::AvoidStation(_) => "avoid_station",
            PreferenceTarget::PreferWeekday(_) => "prefer_weekday",
            PreferenceTarget::AvoidWeekday(_) => "avoid_weekday",
        }
    }

    /// The target written in data-set files (a station code or weekday code).
    pub fn target_code(&self) -> String {
        match self {
            PreferenceTarget::PreferStation(s) | PreferenceTarget::AvoidStation(s) => s.to_string(),
            PreferenceTarget::PreferWeekday(d) | PreferenceTarget::AvoidWeekday(d) => {
                weekday_code(*d).to_string()
            }
        }
    }
}

/// A soft wish of a lawyer; the solver honours it when it costs no coverage or fairness.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preference {
    /// The lawyer.
    pub lawyer_id: LawyerId,
    /// What the wish is about.
    pub target: PreferenceTarget,
}

impl Preference {
    /// `preference LAWYER KIND TARGET`, for messages.
    pub fn record(&self) -> String {
        format!(
            "preference {} {} {}",
            self.lawyer_id,
            self.target.kind_code(),
            self.target.target_code()
        )
    }

    /// Whether this preference applies to a duty at `station` on `weekday`: +1 wished, -1 avoided.
    pub fn score(&self, station: &StationId, weekday: Weekday) -> i32 {
        match &self.target {
            PreferenceTarget::PreferStation(s) if s == station => 1,
            PreferenceTarget::AvoidStation(s) if s == station => -1,
            PreferenceTarget::PreferWeekday(d) if *d == weekday => 1,
            PreferenceTarget::AvoidWeekday(d) if *d == weekday => -1,
            _ => 0,
        }
    }
}

/// Is a date's weekday the one given?
pub fn on_weekday(date: NaiveDate, weekday: Weekday) -> bool {
    date.weekday() == weekday
}

/// Whether `s` looks like a phone number: at least 7 digits, with `+`, `-` or spaces, at
/// most 32 characters.
pub fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    digits >= 7
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
}

/// Whether `s` is an e-mail address a mail server takes: a dot-atom local part (letters,
/// digits and `!#$%&'*+/=?^_`{|}~-`, dots between) of at most 64 characters, `@`, and a
/// domain of two or more labels (letters, digits, inner hyphens), at most 254 characters
/// in all (RFC 5321, 5322).
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let labels: Vec<&str> = domain.split('.').collect();
    s.len() <= 254
        && local.len() <= 64
        && local
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(atext))
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_are_checked() {
        assert!(is_email("chen@lawfirm.cn"));
        assert!(is_email("a.b+c@mail.gd.gov.cn"));
        for bad in [
            "a(b)@x.cn",
            "a..b@x.cn",
            "me@mail..cn",
            ".a@x.cn",
            "a@-x.cn",
            "a@x",
            "a b@x.cn",
            "@x.cn",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        for bad in [
            "",
            "chen",
            "chen@",
            "@x.cn",
            "chen@cn",
            "chen@x.cn.",
            "a b@x.cn",
            "a@b@x.cn",
            "陈@x.cn",
            "a<b>@x.cn",
            "a,b@x.cn",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    pub(crate) fn sample() -> Lawyer {
        Lawyer {
            id: LawyerId::parse("L1").unwrap(),
            name: "陈志明".into(),
            phone: "13800138000".into(),
            email: String::new(),
            firm_id: FirmId::parse("F1").unwrap(),
            home_centre_id: CentreId::parse("C1").unwrap(),
            licence_date: d("2020-03-15"),
            skills: vec!["juvenile".into()],
            languages: vec!["yue".into()],
            limits: Limits {
                per_day: 1,
                per_week: 2,
                per_month: 6,
            },
            base: Coordinates::new(23.1, 113.3).unwrap(),
            active: true,
        }
    }

    #[test]
    fn years_of_practice_count_whole_years_from_the_licence_date() {
        let l = sample();
        assert_eq!(l.years_of_practice(d("2023-03-14")), 2);
        assert_eq!(l.years_of_practice(d("2023-03-15")), 3);
        assert_eq!(l.years_of_practice(d("2019-01-01")), 0);
        assert_eq!(years_between(d("2020-02-29"), d("2021-02-28")), 0);
        assert_eq!(years_between(d("2020-02-29"), d("2021-03-01")), 1);
    }

    #[test]
    fn a_lawyer_is_licensed_from_the_licence_date_on_and_not_before() {
        let l = sample();
        assert!(!l.is_licensed_on(d("2020-03-14")));
        assert!(l.is_licensed_on(d("2020-03-15")));
        assert!(l.is_licensed_on(d("2031-01-01")));
        // Before the licence a lawyer has 0 years, as does one licensed this morning: years
        // alone cannot tell them apart.
        assert_eq!(l.years_of_practice(d("2020-03-14")), 0);
        assert_eq!(l.years_of_practice(d("2020-03-15")), 0);
    }

    #[test]
    fn a_licence_in_the_future_names_the_field() {
        let mut l = sample();
        l.licence_date = d("2030-01-01");
        let e = l.validate(d("2026-11-21")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "lawyer L1: field `licence_date`: 2030-01-01 is in the future"
        );
    }

    #[test]
    fn limits_must_nest_day_within_week_within_month() {
        let mut l = sample();
        l.limits.per_week = 0;
        assert_eq!(
            l.validate(d("2026-11-21")).unwrap_err().field,
            "max_per_week"
        );
        let mut l = sample();
        l.limits.per_month = 1;
        assert_eq!(
            l.validate(d("2026-11-21")).unwrap_err().field,
            "max_per_month"
        );
        let mut l = sample();
        l.limits.per_day = 3;
        assert_eq!(
            l.validate(d("2026-11-21")).unwrap_err().field,
            "max_per_day"
        );
    }

    #[test]
    fn phone_numbers_must_look_like_phone_numbers() {
        let mut l = sample();
        l.phone = "call me".into();
        assert_eq!(l.validate(d("2026-11-21")).unwrap_err().field, "phone");
    }

    #[test]
    fn phones_have_digits_and_a_bound() {
        assert!(is_phone("+86 138-0013-8000"));
        assert!(is_phone("020-12345678"));
        assert!(!is_phone("123456"));
        assert!(!is_phone("13800138000 ext"));
        assert!(!is_phone(&"1".repeat(33)));
    }

    #[test]
    fn duplicate_skills_are_rejected() {
        let mut l = sample();
        l.skills = vec!["juvenile".into(), "juvenile".into()];
        assert_eq!(l.validate(d("2026-11-21")).unwrap_err().field, "skills");
    }

    #[test]
    fn half_day_leave_covers_only_its_half_day() {
        let leave = Leave {
            lawyer_id: LawyerId::parse("L1").unwrap(),
            from: d("2026-12-01"),
            to: d("2026-12-03"),
            half_day: Some(HalfDay::Am),
            reason: "开庭".into(),
        };
        assert!(leave.covers(d("2026-12-02"), HalfDay::Am));
        assert!(!leave.covers(d("2026-12-02"), HalfDay::Pm));
        assert!(!leave.covers(d("2026-12-04"), HalfDay::Am));
        let backwards = Leave {
            to: d("2026-11-30"),
            ..leave
        };
        assert_eq!(backwards.validate().unwrap_err().field, "end_date");
    }
}
