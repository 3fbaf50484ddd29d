//! The terms of issue 25 in the MILP: backups balanced on their own, duties balanced by
//! station kind where a centre asks, and the spread over time (consecutive days, weekdays,
//! mornings and afternoons, one firm at a station on consecutive open half-days).
//!
//! Each is a penalty column `v ≥ 0` priced by its weight, with rows `Σ x − v ≤ rhs` (or
//! `Σ x + v ≥ rhs` for a share not reached); the rows a left-out pair would join are kept by
//! key, so that pricing charges their duals (see `BuildContext::reduced_cost`).

use super::Model;
use super::build::BuildContext;
use super::warm_start::StartCol;
use crate::fair::{band, kind_index};
use crate::roster::Role;
use chrono::{Datelike, Duration, NaiveDate};
use good_lp::{Expression, variable};
use std::collections::{BTreeMap, HashMap};
use zhiban_domain::HalfDay;
use zhiban_domain::fairness::{half_day_cap, weekday_cap};

/// A date and half-day.
type HalfKey = (NaiveDate, HalfDay);

/// Rows of the spread and balance terms, by what a pair would join.
#[derive(Default)]
pub(super) struct SpreadRows {
    /// Consecutive-day rows, by lawyer, date and half-day of a primary duty.
    pub(super) consecutive: HashMap<(usize, NaiveDate, HalfDay), Vec<usize>>,
    /// Weekday rows, by lawyer and weekday (0 = Monday).
    pub(super) weekday: HashMap<(usize, u32), usize>,
    /// Morning/afternoon rows, by lawyer and half-day.
    pub(super) half: HashMap<(usize, HalfDay), usize>,
    /// Same-firm rows, by firm and slot.
    pub(super) firm: HashMap<(usize, usize), Vec<usize>>,
    /// Station-kind rows above and below the band, by lawyer and kind.
    pub(super) kind_over: HashMap<(usize, usize), usize>,
    pub(super) kind_under: HashMap<(usize, usize), usize>,
    /// Backup rows above and below the band, by lawyer.
    pub(super) backup_over: HashMap<usize, usize>,
    pub(super) backup_under: HashMap<usize, usize>,
}

impl Model {
    /// A penalty column of weight `weight` that is at least `Σ x(idx) − rhs` for each of
    /// `rows` (`Σ x − v ≤ rhs`); the rows' ids, in order.
    fn add_excess(&mut self, weight: f64, rows: Vec<(Vec<usize>, f64)>) -> Vec<usize> {
        let (v, col) = self.add_var(variable().min(0.0));
        self.objective += weight * v;
        let ids = rows
            .iter()
            .map(|(idx, rhs)| {
                let e = self.sum(idx) - v;
                self.add_row(e.leq(*rhs))
            })
            .collect();
        self.starts.push((
            col,
            StartCol::Excess {
                rows: rows.into_iter().map(|(i, r)| (i, 1.0, r)).collect(),
            },
        ));
        ids
    }

    /// A penalty column of weight `weight` that is at least `floor − Σ x(idx)`.
    fn add_shortfall(&mut self, weight: f64, idx: Vec<usize>, floor: f64) -> usize {
        let (v, col) = self.add_var(variable().min(0.0));
        self.objective += weight * v;
        let e: Expression = self.sum(&idx) + v;
        let row = self.add_floor(e, floor);
        self.starts.push((
            col,
            StartCol::Excess {
                rows: vec![(idx, -1.0, -floor)],
            },
        ));
        row
    }
}

impl BuildContext<'_> {
    /// Backups against their own fair band, for every lawyer with a backup pair or a share
    /// they fall short of.
    pub(super) fn add_backup_fairness(
        &self,
        m: &mut Model,
        by_lawyer: &[Vec<usize>],
        rows: &mut SpreadRows,
    ) {
        if !self.w.separate_backups {
            return;
        }
        for (l, mine) in by_lawyer.iter().enumerate() {
            let idx: Vec<usize> = mine
                .iter()
                .copied()
                .filter(|&i| m.pairs[i].role == Role::Backup)
                .collect();
            let (lo, hi) = band(self.shares.backup_target[l]);
            if idx.len() as f64 > hi {
                let r = m.add_excess(self.w.backup_fairness, vec![(idx.clone(), hi)]);
                rows.backup_over.insert(l, r[0]);
            }
            if lo > 0.0 {
                let r = m.add_shortfall(self.w.backup_fairness, idx, lo);
                rows.backup_under.insert(l, r);
            }
        }
    }

    /// Each lawyer's primary duties at each kind of station against that kind's fair band
    /// (history included), for lawyers of centres that balance by kind.
    pub(super) fn add_kind_fairness(
        &self,
        m: &mut Model,
        by_lawyer: &[Vec<usize>],
        rows: &mut SpreadRows,
    ) {
        for (l, mine) in by_lawyer.iter().enumerate() {
            if !self.lawyer_policy[l].by_station_kind {
                continue;
            }
            let mut by_kind: [Vec<usize>; 3] = Default::default();
            for &i in mine {
                let pr = &m.pairs[i];
                if pr.role == Role::Primary {
                    let k = kind_index(self.p.stations[self.p.slots[pr.slot].station].kind);
                    by_kind[k].push(i);
                }
            }
            for (k, idx) in by_kind.into_iter().enumerate() {
                let hist = self.shares.kind_history[l][k];
                let (lo, hi) = band(self.shares.kind_target[l][k]);
                if idx.len() as f64 + hist > hi {
                    let r = m.add_excess(self.w.kind_fairness, vec![(idx.clone(), hi - hist)]);
                    rows.kind_over.insert((l, k), r[0]);
                }
                if lo - hist > 0.0 {
                    let r = m.add_shortfall(self.w.kind_fairness, idx, lo - hist);
                    rows.kind_under.insert((l, k), r);
                }
            }
        }
    }

    /// Lawyer `l`'s spread over time: consecutive days, weekdays, mornings and afternoons,
    /// over their primary pairs `mine`.
    pub(super) fn add_lawyer_spread(
        &self,
        m: &mut Model,
        l: usize,
        mine: &[usize],
        rows: &mut SpreadRows,
    ) {
        let policy = &self.lawyer_policy[l];
        let mut by_half: BTreeMap<(NaiveDate, HalfDay), Vec<usize>> = BTreeMap::new();
        let mut by_weekday: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        let mut by_ampm: BTreeMap<HalfDay, Vec<usize>> = BTreeMap::new();
        for &i in mine {
            let pr = &m.pairs[i];
            if pr.role != Role::Primary {
                continue;
            }
            let s = &self.p.slots[pr.slot];
            by_half.entry((s.date, s.half_day)).or_default().push(i);
            by_weekday
                .entry(s.date.weekday().num_days_from_monday())
                .or_default()
                .push(i);
            by_ampm.entry(s.half_day).or_default().push(i);
        }
        if policy.consecutive_days > 0 {
            self.add_consecutive(m, l, &by_half, rows);
        }
        if policy.weekday_spread > 0 {
            let cap = weekday_cap(self.shares.period_duty[l], self.shares.weekdays[l]);
            for (wd, idx) in by_weekday {
                if idx.len() > cap as usize {
                    let r = m.add_excess(
                        f64::from(policy.weekday_spread),
                        vec![(idx, f64::from(cap))],
                    );
                    rows.weekday.insert((l, wd), r[0]);
                }
            }
        }
        if policy.half_day_spread > 0 && self.shares.both_halves[l] {
            let cap = half_day_cap(self.shares.period_duty[l]);
            for (h, idx) in by_ampm {
                if idx.len() > cap as usize {
                    let r = m.add_excess(
                        f64::from(policy.half_day_spread),
                        vec![(idx, f64::from(cap))],
                    );
                    rows.half.insert((l, h), r[0]);
                }
            }
        }
    }

    /// One penalty per pair of consecutive days with pairs on both: the two days' duties
    /// less one (a lawyer with one duty a day), or each half-day's with each of the next
    /// day's less one (a lawyer who may do two: each half-day holds one duty at most).
    fn add_consecutive(
        &self,
        m: &mut Model,
        l: usize,
        by_half: &BTreeMap<(NaiveDate, HalfDay), Vec<usize>>,
        rows: &mut SpreadRows,
    ) {
        let weight = f64::from(self.lawyer_policy[l].consecutive_days);
        let one_a_day = self.p.lawyers[l].limits.per_day <= 1;
        let days: Vec<NaiveDate> = by_half.keys().map(|(d, _)| *d).collect();
        let mut days = days;
        days.dedup();
        for d in days {
            let next = d + Duration::days(1);
            let halves = |day: NaiveDate| -> Vec<(HalfDay, &Vec<usize>)> {
                HalfDay::ALL
                    .iter()
                    .filter_map(|&h| by_half.get(&(day, h)).map(|v| (h, v)))
                    .collect()
            };
            let (today, tomorrow) = (halves(d), halves(next));
            if tomorrow.is_empty() {
                continue;
            }
            let mut groups: Vec<(Vec<HalfKey>, Vec<usize>)> = vec![];
            if one_a_day {
                let mut keys = vec![];
                let mut idx = vec![];
                for (day, hs) in [(d, &today), (next, &tomorrow)] {
                    for (h, v) in hs.iter() {
                        keys.push((day, *h));
                        idx.extend(v.iter().copied());
                    }
                }
                groups.push((keys, idx));
            } else {
                for (h, a) in &today {
                    for (h2, b) in &tomorrow {
                        let idx = a.iter().chain(b.iter()).copied().collect();
                        groups.push((vec![(d, *h), (next, *h2)], idx));
                    }
                }
            }
            let keys: Vec<Vec<HalfKey>> = groups.iter().map(|g| g.0.clone()).collect();
            let ids = m.add_excess(weight, groups.into_iter().map(|g| (g.1, 1.0)).collect());
            for (row, ks) in ids.into_iter().zip(keys) {
                for (day, h) in ks {
                    rows.consecutive.entry((l, day, h)).or_default().push(row);
                }
            }
        }
    }

    /// One firm at a station on two consecutive open half-days: per firm and pair of the
    /// station's consecutive slots, its primary duties there less one.
    pub(super) fn add_firm_consecutive(
        &self,
        m: &mut Model,
        by_slot: &[[Vec<usize>; 2]],
        rows: &mut SpreadRows,
    ) {
        let p = self.p;
        let mut station_slots: Vec<Vec<usize>> = vec![vec![]; p.stations.len()];
        for (si, s) in p.slots.iter().enumerate() {
            station_slots[s.station].push(si);
        }
        for (st, slots) in station_slots.iter().enumerate() {
            let weight = f64::from(self.station_policy[st].firm_consecutive);
            if weight <= 0.0 {
                continue;
            }
            for w in slots.windows(2) {
                let mut by_firm: BTreeMap<usize, (Vec<usize>, [bool; 2])> = BTreeMap::new();
                for (side, &t) in w.iter().enumerate() {
                    for &i in &by_slot[t][0] {
                        let e = by_firm.entry(self.firm_of[m.pairs[i].lawyer]).or_default();
                        e.0.push(i);
                        e.1[side] = true;
                    }
                }
                for (f, (idx, _)) in by_firm {
                    if idx.len() < 2 {
                        continue;
                    }
                    let r = m.add_excess(weight, vec![(idx, 1.0)]);
                    for &t in w {
                        rows.firm.entry((f, t)).or_default().push(r[0]);
                    }
                }
            }
        }
    }

    /// What the duals of these rows add to the reduced cost of a primary (`backup` false)
    /// or backup pair of lawyer `l` at slot `slot`; `le`/`ge` read a ≤ / ≥ row's dual.
    pub(super) fn spread_dual(
        &self,
        rows: &SpreadRows,
        l: usize,
        slot: usize,
        backup: bool,
        le: &dyn Fn(Option<usize>) -> f64,
        ge: &dyn Fn(Option<usize>) -> f64,
    ) -> f64 {
        if backup {
            return le(rows.backup_over.get(&l).copied()) + ge(rows.backup_under.get(&l).copied());
        }
        let s = &self.p.slots[slot];
        let k = kind_index(self.p.stations[s.station].kind);
        let firm = self.firm_of[l];
        let many = |v: Option<&Vec<usize>>| -> f64 {
            v.map_or(0.0, |rs| rs.iter().map(|&r| le(Some(r))).sum())
        };
        le(rows.kind_over.get(&(l, k)).copied())
            + ge(rows.kind_under.get(&(l, k)).copied())
            + many(rows.consecutive.get(&(l, s.date, s.half_day)))
            + le(rows
                .weekday
                .get(&(l, s.date.weekday().num_days_from_monday()))
                .copied())
            + le(rows.half.get(&(l, s.half_day)).copied())
            + many(rows.firm.get(&(firm, slot)))
    }
}
