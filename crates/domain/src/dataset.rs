//! A whole data set: what a coordinator keeps and imports in one go, checked as a whole.

use crate::{
    CalendarDay, Centre, CentreId, DemandRule, Firm, FirmId, Lawyer, LawyerId, Leave, Preference,
    PreferenceTarget, Station, StationId, ValidationError, WeeklyUnavailability, WorkingCalendar,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

/// Rules that hold across a data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// A lawyer may not do AM and PM of one day at stations farther apart than this (km).
    #[serde(default = "default_am_pm_km")]
    pub am_pm_max_distance_km: u32,
    /// Weeks of published history that count toward fairness.
    #[serde(default = "default_history_weeks")]
    pub history_weeks: u32,
}

fn default_am_pm_km() -> u32 {
    15
}
fn default_history_weeks() -> u32 {
    8
}

impl Default for RuleSettings {
    fn default() -> Self {
        Self {
            am_pm_max_distance_km: default_am_pm_km(),
            history_weeks: default_history_weeks(),
        }
    }
}

/// Settings of a data set (`settings.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Short name, e.g. `guangzhou`.
    pub name: String,
    /// What the data set is.
    #[serde(default)]
    pub description: String,
    /// Rules that hold across the data set.
    #[serde(default)]
    pub rules: RuleSettings,
    /// Subsidy policies of the centres, each version from its effective date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsidy: Vec<crate::SubsidyPolicy>,
    /// Chinese names of skill and language codes, over the built-in ones.
    #[serde(default, skip_serializing_if = "crate::labels::Labels::is_empty")]
    pub labels: crate::labels::Labels,
}

/// The tables of a data set, in import order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// centres.csv
    Centres,
    /// firms.csv
    Firms,
    /// stations.csv
    Stations,
    /// demand.csv
    Demand,
    /// lawyers.csv
    Lawyers,
    /// unavailability.csv
    Unavailability,
    /// leave.csv
    Leave,
    /// preferences.csv
    Preferences,
    /// calendar.csv
    Calendar,
    /// The `[[subsidy]]` policies in settings.toml.
    Subsidy,
}

impl Table {
    /// Every table, in import order.
    pub const ALL: [Table; 9] = [
        Table::Centres,
        Table::Firms,
        Table::Stations,
        Table::Demand,
        Table::Lawyers,
        Table::Unavailability,
        Table::Leave,
        Table::Preferences,
        Table::Calendar,
    ];

    /// The file that holds this table.
    pub fn file_name(self) -> &'static str {
        match self {
            Table::Centres => "centres.csv",
            Table::Firms => "firms.csv",
            Table::Stations => "stations.csv",
            Table::Demand => "demand.csv",
            Table::Lawyers => "lawyers.csv",
            Table::Unavailability => "unavailability.csv",
            Table::Leave => "leave.csv",
            Table::Preferences => "preferences.csv",
            Table::Calendar => "calendar.csv",
            Table::Subsidy => "settings.toml",
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// A record of a data set that breaks a rule: which table, which position, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table} record {index}: {error}")]
pub struct DatasetError {
    /// The table.
    pub table: Table,
    /// Position of the record in its table, from 0.
    pub index: usize,
    /// What is wrong.
    pub error: ValidationError,
}

/// A complete data set. Every reference resolves inside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Settings.
    pub settings: Settings,
    /// Legal-aid centres.
    pub centres: Vec<Centre>,
    /// Law firms.
    pub firms: Vec<Firm>,
    /// Stations.
    pub stations: Vec<Station>,
    /// Weekly demand per station.
    pub demand: Vec<DemandRule>,
    /// The panel.
    pub lawyers: Vec<Lawyer>,
    /// Weekly half-days lawyers are never available.
    pub unavailability: Vec<WeeklyUnavailability>,
    /// Dated leave.
    pub leave: Vec<Leave>,
    /// Soft wishes.
    pub preferences: Vec<Preference>,
    /// Holidays and make-up working days.
    pub calendar: WorkingCalendar,
}

impl Dataset {
    /// The lawyer with this id.
    pub fn lawyer(&self, id: &LawyerId) -> Option<&Lawyer> {
        self.lawyers.iter().find(|l| &l.id == id)
    }

    /// The station with this id.
    pub fn station(&self, id: &StationId) -> Option<&Station> {
        self.stations.iter().find(|s| &s.id == id)
    }

    /// The centre with this id.
    pub fn centre(&self, id: &CentreId) -> Option<&Centre> {
        self.centres.iter().find(|c| &c.id == id)
    }

    /// Puts every table in a canonical order (by key), so that equal data sets compare equal.
    pub fn normalize(&mut self) {
        self.centres.sort_by(|a, b| a.id.cmp(&b.id));
        self.firms.sort_by(|a, b| a.id.cmp(&b.id));
        self.stations.sort_by(|a, b| a.id.cmp(&b.id));
        for s in &mut self.stations {
            s.contracted_firms.sort();
        }
        self.demand.sort_by(|a, b| {
            (&a.station_id, a.weekday.num_days_from_monday(), a.half_day).cmp(&(
                &b.station_id,
                b.weekday.num_days_from_monday(),
                b.half_day,
            ))
        });
        self.lawyers.sort_by(|a, b| a.id.cmp(&b.id));
        self.unavailability.sort_by(|a, b| {
            (&a.lawyer_id, a.weekday.num_days_from_monday(), a.half_day).cmp(&(
                &b.lawyer_id,
                b.weekday.num_days_from_monday(),
                b.half_day,
            ))
        });
        self.leave.sort_by(|a, b| {
            (&a.lawyer_id, a.from, a.to, a.half_day).cmp(&(&b.lawyer_id, b.from, b.to, b.half_day))
        });
        self.preferences.sort_by(|a, b| {
            (&a.lawyer_id, a.target.kind_code(), a.target.target_code()).cmp(&(
                &b.lawyer_id,
                b.target.kind_code(),
                b.target.target_code(),
            ))
        });
    }

    /// Checks every record and every reference. `today` bounds licence dates.
    ///
    /// The first error found is returned, naming table, position, record and field.
    pub fn validate(&self, today: NaiveDate) -> Result<(), DatasetError> {
        let at = |table, index| {
            move |error| DatasetError {
                table,
                index,
                error,
            }
        };

        // Centres: unique, parents exist, no cycles.
        let centre_ids = unique_ids(
            Table::Centres,
            self.centres.iter().map(|c| (&c.id, c.record())),
        )?;
        for (i, c) in self.centres.iter().enumerate() {
            c.validate().map_err(at(Table::Centres, i))?;
            if let Some(p) = &c.parent_id
                && !centre_ids.contains(p)
            {
                return Err(at(Table::Centres, i)(unknown(
                    c.record(),
                    "parent_id",
                    "centre",
                    p,
                )));
            }
        }
        let parents: BTreeMap<&CentreId, Option<&CentreId>> = self
            .centres
            .iter()
            .map(|c| (&c.id, c.parent_id.as_ref()))
            .collect();
        for (i, c) in self.centres.iter().enumerate() {
            let mut seen = BTreeSet::from([&c.id]);
            let mut cur = c.parent_id.as_ref();
            while let Some(p) = cur {
                if !seen.insert(p) {
                    return Err(at(Table::Centres, i)(ValidationError::new(
                        c.record(),
                        "parent_id",
                        "the parent chain loops back on itself",
                    )));
                }
                cur = parents.get(p).copied().flatten();
            }
        }

        self.settings
            .labels
            .validate()
            .map_err(at(Table::Subsidy, 0))?;

        // Subsidy policies: valid, of known centres, one per centre and effective date.
        let mut seen = BTreeSet::new();
        for (i, p) in self.settings.subsidy.iter().enumerate() {
            p.validate().map_err(at(Table::Subsidy, i))?;
            if !centre_ids.contains(&p.centre_id) {
                return Err(at(Table::Subsidy, i)(unknown(
                    p.record(),
                    "centre_id",
                    "centre",
                    &p.centre_id,
                )));
            }
            if !seen.insert((&p.centre_id, p.effective_from)) {
                return Err(at(Table::Subsidy, i)(ValidationError::new(
                    p.record(),
                    "effective_from",
                    "a second policy of this centre from the same date",
                )));
            }
        }

        // Firms.
        let firm_ids = unique_ids(Table::Firms, self.firms.iter().map(|f| (&f.id, f.record())))?;
        for (i, f) in self.firms.iter().enumerate() {
            f.validate().map_err(at(Table::Firms, i))?;
            if !centre_ids.contains(&f.centre_id) {
                return Err(at(Table::Firms, i)(unknown(
                    f.record(),
                    "centre_id",
                    "centre",
                    &f.centre_id,
                )));
            }
        }

        // Stations.
        let station_ids = unique_ids(
            Table::Stations,
            self.stations.iter().map(|s| (&s.id, s.record())),
        )?;
        for (i, s) in self.stations.iter().enumerate() {
            s.validate().map_err(at(Table::Stations, i))?;
            if !centre_ids.contains(&s.centre_id) {
                return Err(at(Table::Stations, i)(unknown(
                    s.record(),
                    "centre_id",
                    "centre",
                    &s.centre_id,
                )));
            }
            let mut seen = HashSet::new();
            for f in &s.contracted_firms {
                if !firm_ids.contains(f) {
                    return Err(at(Table::Stations, i)(unknown(
                        s.record(),
                        "contracted_firms",
                        "firm",
                        f,
                    )));
                }
                if !seen.insert(f) {
                    return Err(at(Table::Stations, i)(ValidationError::new(
                        s.record(),
                        "contracted_firms",
                        format!("firm {f} is listed twice"),
                    )));
                }
            }
        }

        // Demand.
        let mut keys = HashSet::new();
        for (i, d) in self.demand.iter().enumerate() {
            d.validate().map_err(at(Table::Demand, i))?;
            if !station_ids.contains(&d.station_id) {
                return Err(at(Table::Demand, i)(unknown(
                    d.record(),
                    "station_id",
                    "station",
                    &d.station_id,
                )));
            }
            if !keys.insert((&d.station_id, d.weekday, d.half_day)) {
                return Err(at(Table::Demand, i)(ValidationError::new(
                    d.record(),
                    "half_day",
                    "this station, weekday and half-day is listed twice",
                )));
            }
        }

        // Lawyers.
        let lawyer_ids = unique_ids(
            Table::Lawyers,
            self.lawyers.iter().map(|l| (&l.id, l.record())),
        )?;
        for (i, l) in self.lawyers.iter().enumerate() {
            l.validate(today).map_err(at(Table::Lawyers, i))?;
            if !firm_ids.contains(&l.firm_id) {
                return Err(at(Table::Lawyers, i)(unknown(
                    l.record(),
                    "firm_id",
                    "firm",
                    &l.firm_id,
                )));
            }
            if !centre_ids.contains(&l.home_centre_id) {
                return Err(at(Table::Lawyers, i)(unknown(
                    l.record(),
                    "home_centre_id",
                    "centre",
                    &l.home_centre_id,
                )));
            }
        }

        // Availability.
        let mut keys = HashSet::new();
        for (i, u) in self.unavailability.iter().enumerate() {
            if !lawyer_ids.contains(&u.lawyer_id) {
                return Err(at(Table::Unavailability, i)(unknown(
                    u.record(),
                    "lawyer_id",
                    "lawyer",
                    &u.lawyer_id,
                )));
            }
            if !keys.insert((&u.lawyer_id, u.weekday, u.half_day)) {
                return Err(at(Table::Unavailability, i)(ValidationError::new(
                    u.record(),
                    "half_day",
                    "listed twice",
                )));
            }
        }
        let mut keys = HashSet::new();
        for (i, l) in self.leave.iter().enumerate() {
            l.validate().map_err(at(Table::Leave, i))?;
            if !lawyer_ids.contains(&l.lawyer_id) {
                return Err(at(Table::Leave, i)(unknown(
                    l.record(),
                    "lawyer_id",
                    "lawyer",
                    &l.lawyer_id,
                )));
            }
            if !keys.insert((&l.lawyer_id, l.from, l.to, l.half_day)) {
                return Err(at(Table::Leave, i)(ValidationError::new(
                    l.record(),
                    "start_date",
                    "listed twice",
                )));
            }
        }
        let mut keys = HashSet::new();
        for (i, p) in self.preferences.iter().enumerate() {
            if !lawyer_ids.contains(&p.lawyer_id) {
                return Err(at(Table::Preferences, i)(unknown(
                    p.record(),
                    "lawyer_id",
                    "lawyer",
                    &p.lawyer_id,
                )));
            }
            if let PreferenceTarget::PreferStation(s) | PreferenceTarget::AvoidStation(s) =
                &p.target
                && !station_ids.contains(s)
            {
                return Err(at(Table::Preferences, i)(unknown(
                    p.record(),
                    "target",
                    "station",
                    s,
                )));
            }
            if !keys.insert((&p.lawyer_id, &p.target)) {
                return Err(at(Table::Preferences, i)(ValidationError::new(
                    p.record(),
                    "target",
                    "listed twice",
                )));
            }
            if let Some(j) = self.preferences[..i]
                .iter()
                .position(|q| q.lawyer_id == p.lawyer_id && opposite(&q.target, &p.target))
            {
                return Err(at(Table::Preferences, i)(ValidationError::new(
                    p.record(),
                    "kind",
                    format!("contradicts preference record {j}"),
                )));
            }
        }
        Ok(())
    }

    /// The calendar entries, for writing out.
    pub fn calendar_days(&self) -> Vec<CalendarDay> {
        self.calendar.days().cloned().collect()
    }

    /// Active panel size per firm.
    pub fn active_panel_sizes(&self) -> BTreeMap<FirmId, u32> {
        let mut sizes: BTreeMap<FirmId, u32> = BTreeMap::new();
        for l in self.lawyers.iter().filter(|l| l.active) {
            *sizes.entry(l.firm_id.clone()).or_default() += 1;
        }
        sizes
    }
}

fn opposite(a: &PreferenceTarget, b: &PreferenceTarget) -> bool {
    use PreferenceTarget::*;
    match (a, b) {
        (PreferStation(x), AvoidStation(y)) | (AvoidStation(x), PreferStation(y)) => x == y,
        (PreferWeekday(x), AvoidWeekday(y)) | (AvoidWeekday(x), PreferWeekday(y)) => x == y,
        _ => false,
    }
}

fn unknown(record: String, field: &str, what: &str, id: &impl fmt::Display) -> ValidationError {
    ValidationError::new(
        record,
        field,
        format!("no {what} with id {id} in this data set"),
    )
}

fn unique_ids<'a, T: Ord + fmt::Display + 'a>(
    table: Table,
    items: impl Iterator<Item = (&'a T, String)>,
) -> Result<BTreeSet<&'a T>, DatasetError> {
    let mut set = BTreeSet::new();
    for (index, (id, record)) in items.enumerate() {
        if !set.insert(id) {
            return Err(DatasetError {
                table,
                index,
                error: ValidationError::new(record, "id", format!("id {id} is used twice")),
            });
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests;
