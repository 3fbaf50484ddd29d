//! Stations (工作站) and their weekly demand.

use crate::time::{HalfDay, HalfDayTemplate, weekday_code};
use crate::{CentreId, Coordinates, FirmId, StationId, ValidationError};
use chrono::Weekday;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a station sits.
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
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    /// 看守所.
    DetentionCentre,
    /// 人民法院.
    Court,
    /// 人民检察院.
    Procuratorate,
}

impl StationKind {
    /// All kinds, in default priority order (detention centres first).
    pub const ALL: [StationKind; 3] = [
        StationKind::DetentionCentre,
        StationKind::Court,
        StationKind::Procuratorate,
    ];

    /// Parses `detention_centre`, `court`, `procuratorate` or the Chinese names.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "detention_centre" | "detention" | "看守所" => Ok(StationKind::DetentionCentre),
            "court" | "法院" | "人民法院" => Ok(StationKind::Court),
            "procuratorate" | "检察院" | "人民检察院" => Ok(StationKind::Procuratorate),
            _ => Err(format!(
                "expected detention_centre, court or procuratorate, got {raw:?}"
            )),
        }
    }

    /// The code written in data-set files.
    pub fn code(self) -> &'static str {
        match self {
            StationKind::DetentionCentre => "detention_centre",
            StationKind::Court => "court",
            StationKind::Procuratorate => "procuratorate",
        }
    }

    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            StationKind::DetentionCentre => "看守所",
            StationKind::Court => "法院",
            StationKind::Procuratorate => "检察院",
        }
    }
}

impl fmt::Display for StationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A legal-aid workstation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Station {
    /// Its code.
    pub id: StationId,
    /// The centre that staffs it.
    pub centre_id: CentreId,
    /// Its name, e.g. 广州市第一看守所法律援助工作站.
    pub name: String,
    /// Detention centre, court or procuratorate.
    pub kind: StationKind,
    /// Street address, shown to lawyers.
    pub address: String,
    /// The station's phone, shown to lawyers.
    pub phone: String,
    /// Where it is.
    pub location: Coordinates,
    /// Check-in geofence radius in metres.
    pub geofence_m: u32,
    /// Morning hours.
    pub am: HalfDayTemplate,
    /// Afternoon hours.
    pub pm: HalfDayTemplate,
    /// Minimum years of practice for every duty here (0 for none).
    pub min_years: u32,
    /// Skills every lawyer here needs (e.g. `juvenile`).
    pub skills: Vec<String>,
    /// If not empty, only lawyers of these firms may staff it (service contract).
    pub contracted_firms: Vec<FirmId>,
    /// Whether it needs duty on public holidays (detention centres may).
    pub holiday_duty: bool,
    /// Coverage priority: higher is filled first. Defaults by kind (detention centre 3,
    /// court 2, procuratorate 1).
    pub priority: u32,
}

impl Station {
    /// `station ID`, for messages.
    pub fn record(&self) -> String {
        format!("station {}", self.id)
    }

    /// The template of one half-day.
    pub fn template(&self, half_day: HalfDay) -> HalfDayTemplate {
        match half_day {
            HalfDay::Am => self.am,
            HalfDay::Pm => self.pm,
        }
    }

    /// The default priority of a kind of station.
    pub fn default_priority(kind: StationKind) -> u32 {
        match kind {
            StationKind::DetentionCentre => 3,
            StationKind::Court => 2,
            StationKind::Procuratorate => 1,
        }
    }

    /// Checks the station on its own.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let err = |field: &str, msg: String| Err(ValidationError::new(self.record(), field, msg));
        if self.name.trim().is_empty() {
            return err("name", "must not be empty".into());
        }
        if self.address.trim().is_empty() {
            return err("address", "must not be empty".into());
        }
        if !(10..=5_000).contains(&self.geofence_m) {
            return err(
                "geofence_m",
                format!(
                    "must be between 10 and 5000 metres, got {}",
                    self.geofence_m
                ),
            );
        }
        if self.am.end > self.pm.start {
            return err(
                "pm_start",
                format!(
                    "the afternoon starts at {} before the morning ends at {}",
                    self.pm.start, self.am.end
                ),
            );
        }
        if self.min_years > 60 {
            return err(
                "min_years",
                format!("{} years is not plausible", self.min_years),
            );
        }
        check_tags(&self.record(), "skills", &self.skills)?;
        Ok(())
    }
}

/// Checks a list of skill or language tags: non-empty, no separators, no duplicates.
pub(crate) fn check_tags(
    record: &str,
    field: &str,
    tags: &[String],
) -> Result<(), ValidationError> {
    for (i, t) in tags.iter().enumerate() {
        if t.trim().is_empty() || t.contains([';', ',']) {
            return Err(ValidationError::new(
                record,
                field,
                format!("bad tag {t:?}"),
            ));
        }
        if tags[..i].contains(t) {
            return Err(ValidationError::new(
                record,
                field,
                format!("{t:?} is listed twice"),
            ));
        }
    }
    Ok(())
}

/// Demand at a station for one weekday half-day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DemandRule {
    /// The station.
    pub station_id: StationId,
    /// The weekday.
    #[schema(value_type = String, example = "Mon")]
    pub weekday: Weekday,
    /// Morning or afternoon.
    pub half_day: HalfDay,
    /// Duty lawyers needed (primary posts).
    pub lawyers: u32,
    /// Named backups wanted (AB岗), on top of `lawyers`.
    pub backups: u32,
    /// Skills needed for this half-day on top of the station's (e.g. `juvenile` court day).
    pub skills: Vec<String>,
    /// Languages needed for this half-day (e.g. `yue`, `en`).
    pub languages: Vec<String>,
    /// Minimum years of practice for this half-day (0: the station's).
    pub min_years: u32,
}

impl DemandRule {
    /// `demand STATION/mon/am`, for messages.
    pub fn record(&self) -> String {
        format!(
            "demand {}/{}/{}",
            self.station_id,
            weekday_code(self.weekday),
            self.half_day
        )
    }

    /// Checks the rule on its own.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.lawyers == 0 && self.backups > 0 {
            return Err(ValidationError::new(
                self.record(),
                "backups",
                "a backup needs a primary post: lawyers is 0",
            ));
        }
        if self.lawyers > 50 {
            return Err(ValidationError::new(
                self.record(),
                "lawyers",
                format!(
                    "{} lawyers for one half-day is not plausible (max 50)",
                    self.lawyers
                ),
            ));
        }
        if self.backups > self.lawyers {
            return Err(ValidationError::new(
                self.record(),
                "backups",
                format!("{} backups for {} posts", self.backups, self.lawyers),
            ));
        }
        check_tags(&self.record(), "skills", &self.skills)?;
        check_tags(&self.record(), "languages", &self.languages)?;
        Ok(())
    }
}

/// The duties of one station that its weekly demand `demand` no longer wants: in a
/// half-day whose rule now asks for fewer primary (or backup) posts than are held there, or
/// that has no rule at all, every duty of that role there (the coordinator chooses whom to
/// keep; the minimal-change repair decides if asked). `duties` are the station's.
pub fn beyond_demand<'a>(
    duties: &'a [crate::Assignment],
    demand: &[DemandRule],
) -> Vec<&'a crate::Assignment> {
    use chrono::Datelike;
    use std::collections::BTreeMap;
    let mut held: BTreeMap<(chrono::NaiveDate, HalfDay, crate::Role), Vec<&crate::Assignment>> =
        BTreeMap::new();
    for a in duties {
        held.entry((a.date, a.half_day, a.role))
            .or_default()
            .push(a);
    }
    let mut out = vec![];
    for ((date, half, role), list) in held {
        let rule = demand
            .iter()
            .find(|r| r.weekday == date.weekday() && r.half_day == half);
        let wanted = match (rule, role) {
            (None, _) => 0,
            (Some(r), crate::Role::Primary) => r.lawyers,
            (Some(r), crate::Role::Backup) => r.backups,
        };
        if list.len() > wanted as usize {
            out.extend(list);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duties_beyond_a_shrunk_demand_are_those_of_over_held_half_days() {
        use crate::{Assignment, LawyerId, Role};
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let st = StationId::parse("S1").unwrap();
        let duty = |date: &str, half: HalfDay, l: &str, role: Role| Assignment {
            date: d(date),
            half_day: half,
            station_id: st.clone(),
            lawyer_id: LawyerId::parse(l).unwrap(),
            role,
        };
        // 2026-12-14 is a Monday, 2026-12-15 a Tuesday.
        let duties = vec![
            duty("2026-12-14", HalfDay::Am, "L1", Role::Primary),
            duty("2026-12-14", HalfDay::Am, "L2", Role::Primary),
            duty("2026-12-14", HalfDay::Am, "L3", Role::Backup),
            duty("2026-12-14", HalfDay::Pm, "L4", Role::Primary),
            duty("2026-12-15", HalfDay::Am, "L5", Role::Primary),
        ];
        let rule = |w: Weekday, half: HalfDay, lawyers: u32, backups: u32| DemandRule {
            station_id: st.clone(),
            weekday: w,
            half_day: half,
            lawyers,
            backups,
            skills: vec![],
            languages: vec![],
            min_years: 0,
        };
        // Monday morning down to one post and no backup; Monday afternoon unchanged;
        // Tuesday morning gone.
        let demand = vec![
            rule(Weekday::Mon, HalfDay::Am, 1, 0),
            rule(Weekday::Mon, HalfDay::Pm, 1, 0),
        ];
        let hit: Vec<&str> = beyond_demand(&duties, &demand)
            .iter()
            .map(|a| a.lawyer_id.as_str())
            .collect();
        assert_eq!(hit, vec!["L1", "L2", "L3", "L5"]);
        assert!(
            beyond_demand(
                &duties,
                &[
                    rule(Weekday::Mon, HalfDay::Am, 2, 1),
                    rule(Weekday::Mon, HalfDay::Pm, 1, 0),
                    rule(Weekday::Tue, HalfDay::Am, 1, 0)
                ]
            )
            .is_empty()
        );
    }

    #[test]
    fn station_kinds_parse_from_codes_and_chinese() {
        for k in StationKind::ALL {
            assert_eq!(StationKind::parse(k.code()).unwrap(), k);
            assert_eq!(StationKind::parse(k.label_zh()).unwrap(), k);
        }
        assert!(StationKind::parse("prison").is_err());
    }

    #[test]
    fn demand_with_more_backups_than_posts_is_rejected() {
        let rule = DemandRule {
            station_id: StationId::parse("S1").unwrap(),
            weekday: Weekday::Tue,
            half_day: HalfDay::Pm,
            lawyers: 1,
            backups: 2,
            skills: vec![],
            languages: vec![],
            min_years: 0,
        };
        let e = rule.validate().unwrap_err();
        assert_eq!(e.record, "demand S1/tue/pm");
        assert_eq!(e.field, "backups");
    }
}
