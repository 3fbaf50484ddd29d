//! Slots and the `RosterProblem` a solver consumes.

use crate::{
    CentreId, Coordinates, Dataset, FirmId, HalfDay, LawyerId, Limits, PreferenceTarget,
    RuleSettings, StationId, StationKind,
};
use chrono::TimeZone;
use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A duty already done (from earlier published rosters), counted toward fairness.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PastDuty {
    /// Who.
    pub lawyer_id: LawyerId,
    /// Where.
    pub station_id: StationId,
    /// Local date.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
}

/// A station as the solver sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemStation {
    /// Its code.
    pub id: StationId,
    /// Its centre.
    pub centre_id: CentreId,
    /// Its kind.
    pub kind: StationKind,
    /// Coverage priority, higher first.
    pub priority: u32,
    /// Where it is.
    pub location: Coordinates,
}

/// A lawyer as the solver sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemLawyer {
    /// Their code.
    pub id: LawyerId,
    /// Their firm.
    pub firm_id: FirmId,
    /// Their home centre.
    pub home_centre_id: CentreId,
    /// Half-day limits.
    pub limits: Limits,
    /// Where they start from.
    pub base: Coordinates,
    /// Half-days in the period on which they are unavailable (weekly pattern and leave).
    pub unavailable: BTreeSet<(NaiveDate, HalfDay)>,
    /// Stations the lawyer would like.
    pub prefer_stations: BTreeSet<StationId>,
    /// Stations the lawyer would rather avoid.
    pub avoid_stations: BTreeSet<StationId>,
    /// Weekdays (0 = Monday) the lawyer would like.
    pub prefer_weekdays: BTreeSet<u32>,
    /// Weekdays (0 = Monday) the lawyer would rather avoid.
    pub avoid_weekdays: BTreeSet<u32>,
    /// Half-days of leave the lawyer asked for that no coordinator has decided yet: a soft
    /// wish (weighing [`LEAVE_ASKED_WEIGHT`] wishes), where approved leave is `unavailable`.
    #[serde(default)]
    pub leave_asked: BTreeSet<(NaiveDate, HalfDay)>,
}

/// How many unmet wishes a duty on a half-day of leave asked for and not yet decided counts
/// as: more than an avoided station or weekday (the lawyer named this very half-day), less
/// than anything hard (the coordinator has not agreed to it).
pub const LEAVE_ASKED_WEIGHT: u32 = 3;

impl ProblemLawyer {
    /// Whether the lawyer can be on duty on that half-day.
    pub fn is_available(&self, date: NaiveDate, half_day: HalfDay) -> bool {
        !self.unavailable.contains(&(date, half_day))
    }

    /// How many of the lawyer's wishes a duty at `station` on `weekday` goes against: an
    /// avoided station or weekday, or, for a lawyer who named stations (weekdays) they
    /// would like, any other station (weekday). 0 when it goes against none.
    pub fn unmet_wishes(&self, station: &StationId, weekday: Weekday) -> u32 {
        let day = weekday.num_days_from_monday();
        u32::from(self.avoid_stations.contains(station))
            + u32::from(self.avoid_weekdays.contains(&day))
            + u32::from(!self.prefer_stations.is_empty() && !self.prefer_stations.contains(station))
            + u32::from(!self.prefer_weekdays.is_empty() && !self.prefer_weekdays.contains(&day))
    }
}

/// One half-day of demand at one station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    /// Index into `RosterProblem::stations`.
    pub station: usize,
    /// The station's code.
    pub station_id: StationId,
    /// Local date.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// Local start.
    pub start_local: NaiveDateTime,
    /// Local end.
    pub end_local: NaiveDateTime,
    /// Start as an instant.
    pub start: DateTime<Utc>,
    /// End as an instant.
    pub end: DateTime<Utc>,
    /// Primary posts to fill.
    pub lawyers: u32,
    /// Named backups wanted.
    pub backups: u32,
    /// Whether the date is a public holiday (only holiday-duty stations have such slots).
    pub holiday: bool,
    /// The weekday the date works as for lawyers' weekly unavailability and wishes: its own,
    /// or on a make-up working day (调休上班) the weekday it works as.
    pub weekday: Weekday,
    /// Indices into `RosterProblem::lawyers` of everyone eligible: active, in the station's
    /// pool, of a contracted firm where the station has contracts, with the skills,
    /// languages and years needed, and licensed on the date. Availability is not part of
    /// eligibility.
    pub eligible: Vec<usize>,
    /// Lawyers who meet the pool, firm, skill and language rules but are licensed only
    /// after the date, with their licence dates: the reason they are not eligible.
    #[serde(default)]
    pub licensed_later: Vec<(LawyerId, NaiveDate)>,
}

/// Everything a solver needs to roster one or more centres over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterProblem {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// The centres whose stations are rostered.
    pub centres: Vec<CentreId>,
    /// The stations.
    pub stations: Vec<ProblemStation>,
    /// Every lawyer eligible for at least one slot.
    pub lawyers: Vec<ProblemLawyer>,
    /// The slots, ordered by date, half-day and station.
    pub slots: Vec<Slot>,
    /// Duties already done within the history window, for fairness.
    pub history: Vec<PastDuty>,
    /// Active panel size per firm (all firms with a lawyer in `lawyers`).
    pub firm_panel_sizes: BTreeMap<FirmId, u32>,
    /// Rules of the data set.
    pub rules: RuleSettings,
    /// Fairness and spread settings of centres (by code); a centre left out has the
    /// default. Lawyer terms follow the lawyer's home centre, station terms the station's.
    #[serde(default)]
    pub fairness: BTreeMap<CentreId, crate::FairnessPolicy>,
}

/// Why a problem could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemError {
    /// A centre asked for is not in the data set.
    #[error("no centre with id {0}")]
    UnknownCentre(CentreId),
    /// The period is empty or too long.
    #[error("{0}")]
    BadPeriod(String),
    /// A half-day does not exist in the local time zone (a DST gap).
    #[error("station {station}: {date} {half_day} does not exist in its time zone")]
    NoSuchLocalTime {
        /// Station.
        station: StationId,
        /// Date.
        date: NaiveDate,
        /// Half-day.
        half_day: HalfDay,
    },
}

/// The centres whose lawyers may staff stations of `centre`: itself, and, when it shares its
/// pool, every sibling centre (same parent) that shares too.
pub fn pool_of(ds: &Dataset, centre: &CentreId) -> BTreeSet<CentreId> {
    let mut pool = BTreeSet::from([centre.clone()]);
    if let Some(c) = ds.centre(centre)
        && c.shares_pool
    {
        for s in &ds.centres {
            if s.shares_pool && s.parent_id == c.parent_id && s.parent_id.is_some() {
                pool.insert(s.id.clone());
            }
        }
    }
    pool
}

impl RosterProblem {
    /// Builds the problem for `centres` over `weeks` weeks from `from`.
    pub fn build(
        ds: &Dataset,
        centres: &[CentreId],
        from: NaiveDate,
        weeks: u32,
        history: Vec<PastDuty>,
    ) -> Result<Self, ProblemError> {
        if weeks == 0 || weeks > 26 {
            return Err(ProblemError::BadPeriod(format!(
                "weeks must be 1 to 26, got {weeks}"
            )));
        }
        let to = from + Duration::days(i64::from(weeks) * 7 - 1);
        let mut wanted = BTreeSet::new();
        for c in centres {
            if ds.centre(c).is_none() {
                return Err(ProblemError::UnknownCentre(c.clone()));
            }
            wanted.insert(c.clone());
        }

        let stations: Vec<&crate::Station> = ds
            .stations
            .iter()
            .filter(|s| wanted.contains(&s.centre_id))
            .collect();
        let pools: BTreeMap<&CentreId, BTreeSet<CentreId>> =
            wanted.iter().map(|c| (c, pool_of(ds, c))).collect();

        // Candidate lawyers: active and in the pool of some wanted centre.
        let all_pools: BTreeSet<&CentreId> = pools.values().flatten().collect();
        let lawyers: Vec<&crate::Lawyer> = ds
            .lawyers
            .iter()
            .filter(|l| l.active && all_pools.contains(&l.home_centre_id))
            .collect();

        // Indexes, so that building stays linear in the data set's size: the first demand
        // rule of each (station, weekday, half-day), and the lawyers each station could take
        // whatever the day (pool, contracts and the station's own skills).
        let mut rules: HashMap<(&StationId, Weekday, HalfDay), &crate::DemandRule> = HashMap::new();
        for d in &ds.demand {
            rules
                .entry((&d.station_id, d.weekday, d.half_day))
                .or_insert(d);
        }
        let station_lawyers: Vec<Vec<usize>> = stations
            .iter()
            .map(|st| {
                let pool = &pools[&st.centre_id];
                lawyers
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| {
                        pool.contains(&l.home_centre_id)
                            && (st.contracted_firms.is_empty()
                                || st.contracted_firms.contains(&l.firm_id))
                            && l.has_skills(&st.skills)
                    })
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();

        let mut slots = Vec::new();
        let mut date = from;
        while date <= to {
            for half_day in HalfDay::ALL {
                for (si, st) in stations.iter().enumerate() {
                    let holiday = ds.calendar.is_holiday(date);
                    let pattern_day = if st.holiday_duty {
                        Some(date.weekday())
                    } else {
                        ds.calendar.pattern_weekday(date)
                    };
                    let Some(pattern_day) = pattern_day else {
                        continue;
                    };
                    let Some(&rule) = rules.get(&(&st.id, pattern_day, half_day)) else {
                        continue;
                    };
                    if rule.lawyers == 0 {
                        continue;
                    }
                    let tz = ds
                        .centre(&st.centre_id)
                        .map(|c| c.time_zone)
                        .unwrap_or(crate::DEFAULT_TIME_ZONE);
                    let t = st.template(half_day);
                    let start_local = date.and_time(t.start);
                    let end_local = date.and_time(t.end);
                    let to_utc = |local: NaiveDateTime| match tz.from_local_datetime(&local) {
                        LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => {
                            Ok(x.with_timezone(&Utc))
                        }
                        LocalResult::None => Err(ProblemError::NoSuchLocalTime {
                            station: st.id.clone(),
                            date,
                            half_day,
                        }),
                    };
                    let min_years = st.min_years.max(rule.min_years);
                    // No duty before the licence date, even where no years are required.
                    let (eligible, unlicensed): (Vec<usize>, Vec<usize>) = station_lawyers[si]
                        .iter()
                        .copied()
                        .filter(|&i| {
                            let l = lawyers[i];
                            l.has_skills(&rule.skills) && l.speaks(&rule.languages)
                        })
                        .partition(|&i| lawyers[i].is_licensed_on(date));
                    let eligible = eligible
                        .into_iter()
                        .filter(|&i| lawyers[i].years_of_practice(date) >= min_years)
                        .collect();
                    let licensed_later = unlicensed
                        .into_iter()
                        .map(|i| (lawyers[i].id.clone(), lawyers[i].licence_date))
                        .collect();
                    slots.push(Slot {
                        station: si,
                        station_id: st.id.clone(),
                        date,
                        half_day,
                        start_local,
                        end_local,
                        start: to_utc(start_local)?,
                        end: to_utc(end_local)?,
                        lawyers: rule.lawyers,
                        backups: rule.backups,
                        holiday,
                        weekday: ds.calendar.works_as(date),
                        eligible,
                        licensed_later,
                    });
                }
            }
            date += Duration::days(1);
        }

        // Keep only lawyers eligible somewhere, and renumber.
        let used: BTreeSet<usize> = slots
            .iter()
            .flat_map(|s| s.eligible.iter().copied())
            .collect();
        let renumber: BTreeMap<usize, usize> = used
            .iter()
            .enumerate()
            .map(|(new, &old)| (old, new))
            .collect();
        for s in &mut slots {
            for e in &mut s.eligible {
                *e = renumber[e];
            }
        }
        let mut weekly_off: HashMap<&LawyerId, Vec<&crate::WeeklyUnavailability>> = HashMap::new();
        for u in &ds.unavailability {
            weekly_off.entry(&u.lawyer_id).or_default().push(u);
        }
        let mut leave_of: HashMap<&LawyerId, Vec<&crate::Leave>> = HashMap::new();
        for v in &ds.leave {
            leave_of.entry(&v.lawyer_id).or_default().push(v);
        }
        let mut wishes_of: HashMap<&LawyerId, Vec<&crate::Preference>> = HashMap::new();
        for w in &ds.preferences {
            wishes_of.entry(&w.lawyer_id).or_default().push(w);
        }
        let problem_lawyers: Vec<ProblemLawyer> = used
            .iter()
            .map(|&i| {
                let l = lawyers[i];
                let none = Vec::new();
                let weekly_off = weekly_off.get(&l.id).unwrap_or(&none);
                let none = Vec::new();
                let leave_of = leave_of.get(&l.id).unwrap_or(&none);
                let none = Vec::new();
                let wishes_of = wishes_of.get(&l.id).unwrap_or(&none);
                let mut unavailable = BTreeSet::new();
                let mut d = from;
                while d <= to {
                    // A make-up working day follows the weekday it works as.
                    let weekday = ds.calendar.works_as(d);
                    for h in HalfDay::ALL {
                        let weekly = weekly_off
                            .iter()
                            .any(|u| u.weekday == weekday && u.half_day == h);
                        let leave = leave_of.iter().any(|v| v.covers(d, h));
                        if weekly || leave {
                            unavailable.insert((d, h));
                        }
                    }
                    d += Duration::days(1);
                }
                let mut prefer_stations = BTreeSet::new();
                let mut avoid_stations = BTreeSet::new();
                let mut prefer_weekdays = BTreeSet::new();
                let mut avoid_weekdays = BTreeSet::new();
                for p in wishes_of {
                    match &p.target {
                        PreferenceTarget::PreferStation(s) => {
                            prefer_stations.insert(s.clone());
                        }
                        PreferenceTarget::AvoidStation(s) => {
                            avoid_stations.insert(s.clone());
                        }
                        PreferenceTarget::PreferWeekday(d) => {
                            prefer_weekdays.insert(d.num_days_from_monday());
                        }
                        PreferenceTarget::AvoidWeekday(d) => {
                            avoid_weekdays.insert(d.num_days_from_monday());
                        }
                    }
                }
                ProblemLawyer {
                    id: l.id.clone(),
                    firm_id: l.firm_id.clone(),
                    home_centre_id: l.home_centre_id.clone(),
                    limits: l.limits,
                    base: l.base,
                    unavailable,
                    prefer_stations,
                    avoid_stations,
                    prefer_weekdays,
                    avoid_weekdays,
                    leave_asked: BTreeSet::new(),
                }
            })
            .collect();

        let firms: BTreeSet<&FirmId> = problem_lawyers.iter().map(|l| &l.firm_id).collect();
        let firm_panel_sizes = ds
            .active_panel_sizes()
            .into_iter()
            .filter(|(f, _)| firms.contains(f))
            .collect();
        let window_start = from - Duration::weeks(i64::from(ds.settings.rules.history_weeks));
        let history = history
            .into_iter()
            .filter(|h| h.date >= window_start && h.date < from)
            .collect();

        Ok(RosterProblem {
            from,
            to,
            centres: wanted.into_iter().collect(),
            stations: stations
                .iter()
                .map(|s| ProblemStation {
                    id: s.id.clone(),
                    centre_id: s.centre_id.clone(),
                    kind: s.kind,
                    priority: s.priority,
                    location: s.location,
                })
                .collect(),
            lawyers: problem_lawyers,
            slots,
            history,
            firm_panel_sizes,
            rules: ds.settings.rules.clone(),
            fairness: BTreeMap::new(),
        })
    }

    /// How many of `lawyer`'s wishes a duty at `slot` goes against, on the weekday the
    /// slot's date works as (see [`ProblemLawyer::unmet_wishes`]), with a half-day of
    /// leave asked for and not yet decided counting [`LEAVE_ASKED_WEIGHT`].
    pub fn unmet_wishes(&self, lawyer: usize, slot: usize) -> u32 {
        let s = &self.slots[slot];
        let l = &self.lawyers[lawyer];
        l.unmet_wishes(&s.station_id, s.weekday)
            + if l.leave_asked.contains(&(s.date, s.half_day)) {
                LEAVE_ASKED_WEIGHT
            } else {
                0
            }
    }

    /// Notes leave `lawyer` asked for from `from` to `to` (one half-day, or both), not yet
    /// decided, as a soft wish on the half-days of the period; a lawyer not in the problem
    /// is left alone.
    pub fn ask_leave(
        &mut self,
        lawyer: &LawyerId,
        from: NaiveDate,
        to: NaiveDate,
        half_day: Option<HalfDay>,
    ) {
        let Some(l) = self.lawyers.iter_mut().find(|l| &l.id == lawyer) else {
            return;
        };
        let (first, last) = (from.max(self.from), to.min(self.to));
        for date in first.iter_days().take_while(|d| *d <= last) {
            for h in [HalfDay::Am, HalfDay::Pm] {
                if half_day.is_none_or(|x| x == h) {
                    l.leave_asked.insert((date, h));
                }
            }
        }
    }

    /// Total primary posts demanded.
    pub fn demanded_posts(&self) -> u32 {
        self.slots.iter().map(|s| s.lawyers).sum()
    }
}

#[cfg(test)]
mod tests;
