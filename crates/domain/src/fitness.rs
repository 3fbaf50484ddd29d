//! Whether a lawyer may hold one duty under the panel as it stands: the rules
//! [`RosterProblem::build`](crate::RosterProblem::build) applies to every slot, applied to one
//! duty at a time. A panel change (a lawyer's firm, skills or licence date, a station's
//! contracted firms, minimum years or holiday duty, new weekly demand) lists the published
//! duties it would break with it, before it is saved.

use crate::{
    Assignment, CentreId, Dataset, DemandRule, HalfDay, Lawyer, LawyerId, Leave, Role, Station,
    StationId, WeeklyUnavailability,
};
use chrono::{Datelike, Weekday};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Why a lawyer may not hold a duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unfit {
    /// No such lawyer, or no such station.
    Unknown,
    /// The lawyer is not on the active panel.
    Inactive,
    /// The lawyer's centre does not serve the station's (pool sharing).
    OutOfPool,
    /// The station takes lawyers of contracted firms only, and not theirs.
    NotContracted,
    /// The lawyer lacks a skill the station or the half-day asks for.
    LacksSkills,
    /// The lawyer lacks a language the half-day asks for.
    LacksLanguages,
    /// The duty falls before the lawyer's licence date.
    NotLicensed,
    /// The lawyer has fewer years of practice than the station or the half-day asks for.
    TooJunior,
    /// The station has no such duty any more (no demand that half-day, or a holiday).
    NoSuchDuty,
    /// The lawyer is unavailable then (weekly unavailability or leave).
    Unavailable,
}

impl Unfit {
    /// Its code, as the API names it.
    pub fn code(self) -> &'static str {
        match self {
            Unfit::Unknown => "unknown",
            Unfit::Inactive => "inactive",
            Unfit::OutOfPool => "out_of_pool",
            Unfit::NotContracted => "not_contracted",
            Unfit::LacksSkills => "lacks_skills",
            Unfit::LacksLanguages => "lacks_languages",
            Unfit::NotLicensed => "not_licensed",
            Unfit::TooJunior => "too_junior",
            Unfit::NoSuchDuty => "no_such_duty",
            Unfit::Unavailable => "unavailable",
        }
    }
}

/// A panel, indexed to check duties one by one (building it is linear in the panel's size).
pub struct Fitness<'a> {
    ds: &'a Dataset,
    lawyers: HashMap<&'a LawyerId, &'a Lawyer>,
    stations: HashMap<&'a StationId, &'a Station>,
    rules: HashMap<(&'a StationId, Weekday, HalfDay), &'a DemandRule>,
    pools: BTreeMap<CentreId, BTreeSet<CentreId>>,
    weekly: HashMap<&'a LawyerId, Vec<&'a WeeklyUnavailability>>,
    leave: HashMap<&'a LawyerId, Vec<&'a Leave>>,
}

impl<'a> Fitness<'a> {
    /// Indexes `ds`.
    pub fn new(ds: &'a Dataset) -> Self {
        let mut rules = HashMap::new();
        for d in &ds.demand {
            // The first rule of a half-day counts, as in the roster problem.
            rules
                .entry((&d.station_id, d.weekday, d.half_day))
                .or_insert(d);
        }
        let mut weekly: HashMap<_, Vec<_>> = HashMap::new();
        for u in &ds.unavailability {
            weekly.entry(&u.lawyer_id).or_default().push(u);
        }
        let mut leave: HashMap<_, Vec<_>> = HashMap::new();
        for v in &ds.leave {
            leave.entry(&v.lawyer_id).or_default().push(v);
        }
        Fitness {
            ds,
            lawyers: ds.lawyers.iter().map(|l| (&l.id, l)).collect(),
            stations: ds.stations.iter().map(|s| (&s.id, s)).collect(),
            rules,
            pools: ds
                .centres
                .iter()
                .map(|c| (c.id.clone(), crate::problem::pool_of(ds, &c.id)))
                .collect(),
            weekly,
            leave,
        }
    }

    /// The demand rule of the duty's half-day, if the station has that duty on its date.
    fn rule(&self, st: &Station, a: &Assignment) -> Option<&'a DemandRule> {
        let day = if st.holiday_duty {
            Some(a.date.weekday())
        } else {
            self.ds.calendar.pattern_weekday(a.date)
        }?;
        let rule = *self.rules.get(&(&st.id, day, a.half_day))?;
        let wanted = match a.role {
            Role::Primary => rule.lawyers,
            Role::Backup => rule.backups,
        };
        (rule.lawyers > 0 && wanted > 0).then_some(rule)
    }

    /// Why `a`'s lawyer may not hold it by the panel's rules, leaving availability aside;
    /// `None` when they may (the roster problem then counts them eligible for its slot).
    pub fn check_rules(&self, a: &Assignment) -> Option<Unfit> {
        let (Some(l), Some(st)) = (
            self.lawyers.get(&a.lawyer_id),
            self.stations.get(&a.station_id),
        ) else {
            return Some(Unfit::Unknown);
        };
        let Some(rule) = self.rule(st, a) else {
            return Some(Unfit::NoSuchDuty);
        };
        let in_pool = self
            .pools
            .get(&st.centre_id)
            .is_some_and(|p| p.contains(&l.home_centre_id));
        if !l.active {
            Some(Unfit::Inactive)
        } else if !in_pool {
            Some(Unfit::OutOfPool)
        } else if !st.contracted_firms.is_empty() && !st.contracted_firms.contains(&l.firm_id) {
            Some(Unfit::NotContracted)
        } else if !l.has_skills(&st.skills) || !l.has_skills(&rule.skills) {
            Some(Unfit::LacksSkills)
        } else if !l.speaks(&rule.languages) {
            Some(Unfit::LacksLanguages)
        } else if !l.is_licensed_on(a.date) {
            Some(Unfit::NotLicensed)
        } else if l.years_of_practice(a.date) < st.min_years.max(rule.min_years) {
            Some(Unfit::TooJunior)
        } else {
            None
        }
    }

    /// Why `a`'s lawyer may not hold it: the panel's rules, then their availability (a make-up
    /// working day follows the weekday it works as).
    pub fn check(&self, a: &Assignment) -> Option<Unfit> {
        self.check_rules(a).or_else(|| {
            let weekday = self.ds.calendar.works_as(a.date);
            let weekly = self.weekly.get(&a.lawyer_id).is_some_and(|w| {
                w.iter()
                    .any(|u| u.weekday == weekday && u.half_day == a.half_day)
            });
            let away = self
                .leave
                .get(&a.lawyer_id)
                .is_some_and(|v| v.iter().any(|v| v.covers(a.date, a.half_day)));
            (weekly || away).then_some(Unfit::Unavailable)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RosterProblem;

    /// L6 (of C1) at S-KSS on Monday morning.
    fn duty() -> Assignment {
        Assignment {
            date: crate::testkit::d("2026-11-23"),
            half_day: HalfDay::Am,
            station_id: StationId::parse("S-KSS").unwrap(),
            lawyer_id: LawyerId::parse("L6").unwrap(),
            role: Role::Primary,
        }
    }

    #[test]
    fn agrees_with_the_roster_problem_on_every_slot_and_lawyer() {
        let ds = crate::testkit::dataset();
        let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let centres: Vec<_> = ds.centres.iter().map(|c| c.id.clone()).collect();
        let p = RosterProblem::build(&ds, &centres, from, 4, vec![]).unwrap();
        let f = Fitness::new(&ds);
        let mut checked = 0;
        for s in &p.slots {
            for l in &ds.lawyers {
                let a = Assignment {
                    date: s.date,
                    half_day: s.half_day,
                    station_id: s.station_id.clone(),
                    lawyer_id: l.id.clone(),
                    role: Role::Primary,
                };
                let eligible = p
                    .lawyers
                    .iter()
                    .position(|x| x.id == l.id)
                    .is_some_and(|i| s.eligible.contains(&i));
                assert_eq!(f.check_rules(&a).is_none(), eligible, "{a:?}");
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} pairs");
    }

    #[test]
    fn each_rule_names_its_reason() {
        let base = crate::testkit::dataset();
        let a = duty();
        assert_eq!(Fitness::new(&base).check(&a), None);
        let with = |f: &dyn Fn(&mut Dataset)| {
            let mut ds = base.clone();
            f(&mut ds);
            Fitness::new(&ds).check(&a)
        };
        fn lawyer(ds: &mut Dataset) -> &mut Lawyer {
            ds.lawyers
                .iter_mut()
                .find(|l| l.id.as_str() == "L6")
                .unwrap()
        }
        fn station(ds: &mut Dataset) -> &mut Station {
            ds.stations
                .iter_mut()
                .find(|s| s.id.as_str() == "S-KSS")
                .unwrap()
        }
        assert_eq!(with(&|ds| lawyer(ds).active = false), Some(Unfit::Inactive));
        assert_eq!(
            with(&|ds| station(ds).skills = vec!["juvenile".into()]),
            Some(Unfit::LacksSkills)
        );
        assert_eq!(
            with(&|ds| ds.centres[1].shares_pool = false),
            None,
            "a lawyer of the station's own centre is always in its pool"
        );
        let mut far = a.clone();
        far.lawyer_id = LawyerId::parse("L3").unwrap();
        assert_eq!(Fitness::new(&base).check(&far), Some(Unfit::OutOfPool));
        let other = crate::FirmId::parse("NO-SUCH-FIRM").unwrap();
        assert_eq!(
            with(&|ds| station(ds).contracted_firms = vec![other.clone()]),
            Some(Unfit::NotContracted)
        );
        assert_eq!(
            with(&|ds| lawyer(ds).licence_date = a.date + chrono::Duration::days(1)),
            Some(Unfit::NotLicensed)
        );
        assert_eq!(
            with(&|ds| station(ds).min_years = 99),
            Some(Unfit::TooJunior)
        );
        assert_eq!(
            with(&|ds| ds.demand.retain(|r| r.station_id != a.station_id)),
            Some(Unfit::NoSuchDuty)
        );
        let leave = Leave {
            lawyer_id: a.lawyer_id.clone(),
            from: a.date,
            to: a.date,
            half_day: None,
            reason: "年假".into(),
        };
        assert_eq!(
            with(&|ds| ds.leave.push(leave.clone())),
            Some(Unfit::Unavailable)
        );
        let mut afternoon = leave.clone();
        afternoon.half_day = Some(HalfDay::Pm);
        assert_eq!(with(&|ds| ds.leave.push(afternoon.clone())), None);
        let weekly = WeeklyUnavailability {
            lawyer_id: a.lawyer_id.clone(),
            weekday: Weekday::Mon,
            half_day: HalfDay::Am,
        };
        assert_eq!(
            with(&|ds| ds.unavailability.push(weekly.clone())),
            Some(Unfit::Unavailable)
        );
        let gone = LawyerId::parse("NO-SUCH").unwrap();
        let mut b = a.clone();
        b.lawyer_id = gone;
        assert_eq!(Fitness::new(&base).check(&b), Some(Unfit::Unknown));
    }
}
