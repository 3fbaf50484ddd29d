//! Building the MILP over any subset of the candidates, one `add_*` per constraint family.
//! Each returns the rows it added (their indices in the model's constraint list), which
//! pricing needs to read the rows' duals.
//!
//! Rows and columns are added in a fixed order (coverage by slot; each lawyer's limits;
//! lawyer then firm fairness), which HiGHS's path, and so the roster among equals, follows.

use super::Model;
use super::candidates::Cand;
use super::spread::SpreadRows;
use super::warm_start::StartCol;
use crate::fair::{FairShares, band, fair_shares};
use crate::objective::{coverage_per_post, load_factor};
use crate::roster::Role;
use crate::settings::Weights;
use chrono::{Datelike, NaiveDate};
use good_lp::{Expression, Variable, variable};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use zhiban_domain::{FairnessPolicy, FirmId, HalfDay, LawyerId, ProblemLawyer, RosterProblem};

/// Where each kind of row sits in a built model, for pricing pairs left out of it.
pub(super) struct Rows {
    /// Per slot: the primary and backup coverage rows.
    pub(super) cover: Vec<[Option<usize>; 2]>,
    /// Each lawyer's duty limits.
    pub(super) limits: LimitRows,
    /// Lawyer and firm fairness.
    pub(super) fairness: FairnessRows,
    /// Backups and station kinds balanced on their own, and the spread over time.
    pub(super) spread: SpreadRows,
}

/// The rows of the per-lawyer limits, by lawyer and period.
#[derive(Default)]
pub(super) struct LimitRows {
    pub(super) half: HashMap<(usize, NaiveDate, HalfDay), usize>,
    pub(super) day: HashMap<(usize, NaiveDate), usize>,
    pub(super) week: HashMap<(usize, (i32, u32)), usize>,
    pub(super) month: HashMap<(usize, (i32, u32)), usize>,
}

/// The rows bounding loads above and below their fair bands, by lawyer and by firm.
pub(super) struct FairnessRows {
    pub(super) over: Vec<Option<usize>>,
    pub(super) under: Vec<Option<usize>>,
    pub(super) firm_over: Vec<Option<usize>>,
    pub(super) firm_under: Vec<Option<usize>>,
}

/// One lawyer's modelled pairs (indices into the model's pairs), by half-day, day, ISO week
/// and month.
#[derive(Default)]
struct Duties {
    half: BTreeMap<(NaiveDate, HalfDay), Vec<usize>>,
    day: BTreeMap<NaiveDate, Vec<usize>>,
    week: BTreeMap<(i32, u32), Vec<usize>>,
    month: BTreeMap<(i32, u32), Vec<usize>>,
}

/// What building a model over any subset of the pairs needs.
pub(super) struct BuildContext<'a> {
    pub(super) p: &'a RosterProblem,
    pub(super) w: Weights,
    pub(super) shares: FairShares,
    hist_week: HashMap<(usize, (i32, u32)), u32>,
    hist_month: HashMap<(usize, (i32, u32)), u32>,
    /// Firm of each lawyer, as an index into `firms`.
    pub(super) firm_of: Vec<usize>,
    firms: Vec<&'a FirmId>,
    /// The fairness policy of each lawyer's home centre, and of each station's centre
    /// (all off without `w.spread`).
    pub(super) lawyer_policy: Vec<FairnessPolicy>,
    pub(super) station_policy: Vec<FairnessPolicy>,
}

impl<'a> BuildContext<'a> {
    pub(super) fn new(
        p: &'a RosterProblem,
        lawyer_index: &HashMap<&LawyerId, usize>,
        w: &Weights,
    ) -> Self {
        // History inside the period's weeks and months counts toward the limits.
        let mut hist_week: HashMap<(usize, (i32, u32)), u32> = HashMap::new();
        let mut hist_month: HashMap<(usize, (i32, u32)), u32> = HashMap::new();
        for h in &p.history {
            if let Some(&l) = lawyer_index.get(&h.lawyer_id) {
                let wk = h.date.iso_week();
                *hist_week.entry((l, (wk.year(), wk.week()))).or_default() += 1;
                *hist_month
                    .entry((l, (h.date.year(), h.date.month())))
                    .or_default() += 1;
            }
        }
        let firms: Vec<&FirmId> = p
            .lawyers
            .iter()
            .map(|l| &l.firm_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let firm_of = p
            .lawyers
            .iter()
            .map(|l| firms.binary_search(&&l.firm_id).unwrap_or(0))
            .collect();
        let policy = |c: &zhiban_domain::CentreId| {
            if w.spread {
                p.fairness.get(c).copied().unwrap_or_default()
            } else {
                FairnessPolicy::OFF
            }
        };
        Self {
            p,
            w: *w,
            shares: fair_shares(p, w),
            hist_week,
            hist_month,
            firm_of,
            firms,
            lawyer_policy: p
                .lawyers
                .iter()
                .map(|l| policy(&l.home_centre_id))
                .collect(),
            station_policy: p.stations.iter().map(|s| policy(&s.centre_id)).collect(),
        }
    }

    /// Whether any lawyer's spread over time is in the model (what a lean model leaves out).
    pub(super) fn has_lawyer_spread(&self) -> bool {
        self.lawyer_policy
            .iter()
            .any(|p| p.consecutive_days > 0 || p.weekday_spread > 0 || p.half_day_spread > 0)
    }

    /// What is left of lawyer `l`'s limit for ISO week `k` (year, week) after history.
    pub(super) fn week_cap(&self, l: usize, k: (i32, u32)) -> u32 {
        let done = self.hist_week.get(&(l, k)).copied().unwrap_or(0);
        self.p.lawyers[l].limits.per_week.saturating_sub(done)
    }

    /// What is left of lawyer `l`'s limit for month `k` (year, month) after history.
    pub(super) fn month_cap(&self, l: usize, k: (i32, u32)) -> u32 {
        let done = self.hist_month.get(&(l, k)).copied().unwrap_or(0);
        self.p.lawyers[l].limits.per_month.saturating_sub(done)
    }

    /// How much a duty in `role` counts toward a firm's load.
    fn load_factor(&self, role: Role) -> f64 {
        load_factor(&self.w, role)
    }

    /// How much a duty in `role` counts toward a lawyer's duty load: backups not at all
    /// when they are balanced on their own.
    fn duty_factor(&self, role: Role) -> f64 {
        if self.w.separate_backups && role == Role::Backup {
            0.0
        } else {
            load_factor(&self.w, role)
        }
    }

    /// The MILP over the pairs `chosen` (indices into `cands`, in order).
    pub(super) fn build(&self, cands: &[Cand], chosen: &[usize]) -> (Model, Rows) {
        self.build_with(cands, chosen, true)
    }

    /// The model over `chosen` without each lawyer's spread over time (consecutive days,
    /// weekdays, mornings and afternoons), for pricing's relaxations (see `pricing`). Those
    /// terms are penalties `≥ 0`, so every bound of this model bounds the whole one; and
    /// their rows are what make a large pool's relaxation slow (a province pool's first
    /// round: 6.4 s with them, 0.4 s without).
    pub(super) fn build_lean(&self, cands: &[Cand], chosen: &[usize]) -> (Model, Rows) {
        self.build_with(cands, chosen, false)
    }

    fn build_with(&self, cands: &[Cand], chosen: &[usize], spread: bool) -> (Model, Rows) {
        let p = self.p;
        let mut m = Model::new();
        for &i in chosen {
            let c = &cands[i];
            m.add_pair(c.lawyer, c.slot, c.role, c.fixed, c.cost);
        }
        // Indices of pairs by slot and role, and by lawyer.
        let mut by_slot: Vec<[Vec<usize>; 2]> = vec![[vec![], vec![]]; p.slots.len()];
        let mut by_lawyer: Vec<Vec<usize>> = vec![vec![]; p.lawyers.len()];
        for (i, pr) in m.pairs.iter().enumerate() {
            by_slot[pr.slot][usize::from(pr.role == Role::Backup)].push(i);
            by_lawyer[pr.lawyer].push(i);
        }
        let cover = self.add_coverage(&mut m, &by_slot);
        let mut limits = LimitRows::default();
        for (l, law) in p.lawyers.iter().enumerate() {
            if !by_lawyer[l].is_empty() {
                self.add_limits(&mut m, l, law, &by_lawyer[l], &mut limits);
            }
        }
        let fairness = self.add_fairness(&mut m, &by_lawyer);
        let mut spread_rows = SpreadRows::default();
        self.add_backup_fairness(&mut m, &by_lawyer, &mut spread_rows);
        self.add_kind_fairness(&mut m, &by_lawyer, &mut spread_rows);
        if spread {
            for (l, mine) in by_lawyer.iter().enumerate() {
                self.add_lawyer_spread(&mut m, l, mine, &mut spread_rows);
            }
        }
        self.add_firm_consecutive(&mut m, &by_slot, &mut spread_rows);
        Self::add_pair_costs(&mut m);
        (
            m,
            Rows {
                cover,
                limits,
                fairness,
                spread: spread_rows,
            },
        )
    }

    /// (a) coverage and (b) backups: filled + unmet = demand, per slot and role.
    fn add_coverage(&self, m: &mut Model, by_slot: &[[Vec<usize>; 2]]) -> Vec<[Option<usize>; 2]> {
        let p = self.p;
        let w = &self.w;
        let mut rows = vec![[None, None]; p.slots.len()];
        for (si, s) in p.slots.iter().enumerate() {
            let (u, col) = m.add_var(variable().min(0.0).max(f64::from(s.lawyers)));
            m.starts.push((
                col,
                StartCol::Unmet {
                    slot: si,
                    role: Role::Primary,
                    posts: f64::from(s.lawyers),
                },
            ));
            let filled = m.sum(&by_slot[si][0]);
            rows[si][0] = Some(m.add_row((filled + u).eq(f64::from(s.lawyers))));
            m.objective += coverage_per_post(w, &p.stations[s.station]) * u;
            if s.backups > 0 {
                let (ub, col) = m.add_var(variable().min(0.0).max(f64::from(s.backups)));
                m.starts.push((
                    col,
                    StartCol::Unmet {
                        slot: si,
                        role: Role::Backup,
                        posts: f64::from(s.backups),
                    },
                ));
                let filled = m.sum(&by_slot[si][1]);
                rows[si][1] = Some(m.add_row((filled + ub).eq(f64::from(s.backups))));
                m.objective += w.backup * ub;
            }
        }
        rows
    }

    /// Lawyer `l`'s hard rules over their pairs `mine`: one station per half-day, the day,
    /// week and month limits (history included), and no AM and PM at stations too far apart.
    fn add_limits(
        &self,
        m: &mut Model,
        l: usize,
        law: &ProblemLawyer,
        mine: &[usize],
        rows: &mut LimitRows,
    ) {
        let d = self.duties(m, mine);
        // One station (and one role) per half-day.
        for ((day, h), idx) in d.half.iter().filter(|(_, v)| v.len() > 1) {
            rows.half.insert((l, *day, *h), m.add_cap(idx, 1));
        }
        for (day, idx) in &d.day {
            if idx.len() as u32 > law.limits.per_day {
                rows.day
                    .insert((l, *day), m.add_cap(idx, law.limits.per_day));
            }
            if law.limits.per_day >= 2 {
                self.add_am_pm_distance(m, idx);
            }
        }
        for (k, idx) in &d.week {
            let cap = self.week_cap(l, *k);
            if idx.len() as u32 > cap {
                rows.week.insert((l, *k), m.add_cap(idx, cap));
            }
        }
        for (k, idx) in &d.month {
            let cap = self.month_cap(l, *k);
            if idx.len() as u32 > cap {
                rows.month.insert((l, *k), m.add_cap(idx, cap));
            }
        }
    }

    /// One lawyer's pairs `mine`, grouped by period.
    fn duties(&self, m: &Model, mine: &[usize]) -> Duties {
        let mut d = Duties::default();
        for &i in mine {
            let s = &self.p.slots[m.pairs[i].slot];
            d.half.entry((s.date, s.half_day)).or_default().push(i);
            d.day.entry(s.date).or_default().push(i);
            let wk = s.date.iso_week();
            d.week.entry((wk.year(), wk.week())).or_default().push(i);
            d.month
                .entry((s.date.year(), s.date.month()))
                .or_default()
                .push(i);
        }
        d
    }

    /// No AM and PM the same day at stations too far apart, over one lawyer's pairs `idx`
    /// of one day: for each AM station, its AM pairs and the far PM pairs share one duty.
    fn add_am_pm_distance(&self, m: &mut Model, idx: &[usize]) -> Vec<usize> {
        let p = self.p;
        let km_limit = f64::from(p.rules.am_pm_max_distance_km);
        let station = |m: &Model, i: usize| p.slots[m.pairs[i].slot].station;
        let on = |m: &Model, h: HalfDay| -> Vec<usize> {
            idx.iter()
                .copied()
                .filter(|&i| p.slots[m.pairs[i].slot].half_day == h)
                .collect()
        };
        let am = on(m, HalfDay::Am);
        let pm = on(m, HalfDay::Pm);
        let am_stations: BTreeSet<usize> = am.iter().map(|&i| station(m, i)).collect();
        let mut rows = vec![];
        for st in am_stations {
            let here = p.stations[st].location;
            let far: Vec<usize> = pm
                .iter()
                .copied()
                .filter(|&i| {
                    here.distance_m(&p.stations[station(m, i)].location) > km_limit * 1000.0
                })
                .collect();
            if far.is_empty() {
                continue;
            }
            let at: Vec<usize> = am
                .iter()
                .copied()
                .filter(|&i| station(m, i) == st)
                .collect();
            let e = m.sum(&at) + m.sum(&far);
            rows.push(m.add_row(e.leq(1.0)));
        }
        rows
    }

    /// (c) lawyer fairness and (d) firm fairness: each load outside its fair band
    /// [floor, ceil] of the target, history included, and the largest lawyer deviation.
    fn add_fairness(&self, m: &mut Model, by_lawyer: &[Vec<usize>]) -> FairnessRows {
        let p = self.p;
        let w = &self.w;
        let shares = &self.shares;
        let mut rows = FairnessRows {
            over: vec![None; p.lawyers.len()],
            under: vec![None; p.lawyers.len()],
            firm_over: vec![None; self.firms.len()],
            firm_under: vec![None; self.firms.len()],
        };
        let (zmax, zcol) = m.add_var(variable().min(0.0));
        m.starts.push((zcol, StartCol::Zmax));
        m.objective += w.fairness_max * zmax;
        let mut firm_lawyers: Vec<Vec<usize>> = vec![vec![]; self.firms.len()];
        let mut firm_load: Vec<Expression> = vec![Expression::from(0.0); self.firms.len()];
        for l in 0..p.lawyers.len() {
            let load: Expression = by_lawyer[l]
                .iter()
                .map(|&i| self.duty_factor(m.pairs[i].role) * m.pairs[i].var)
                .sum();
            let firm_part: Expression = by_lawyer[l]
                .iter()
                .map(|&i| self.load_factor(m.pairs[i].role) * m.pairs[i].var)
                .sum();
            let (lo, hi) = band(shares.lawyer_target[l]);
            let (over, ocol) = m.add_var(variable().min(0.0));
            let (under, ucol) = m.add_var(variable().min(0.0));
            m.starts.push((
                ocol,
                StartCol::Over {
                    lawyers: vec![l],
                    cap: hi - shares.history[l],
                    firm: false,
                },
            ));
            m.starts.push((
                ucol,
                StartCol::Under {
                    lawyers: vec![l],
                    floor: lo - shares.history[l],
                    firm: false,
                },
            ));
            firm_lawyers[self.firm_of[l]].push(l);
            rows.over[l] = Some(m.add_row((load.clone() - over).leq(hi - shares.history[l])));
            rows.under[l] = Some(m.add_floor(load.clone() + under, lo - shares.history[l]));
            m.add_row((Expression::from(over) + under - zmax).leq(0.0));
            m.objective += w.fairness_sum * (over + under);
            firm_load[self.firm_of[l]] += firm_part + shares.history[l];
        }
        for (f, load) in firm_load.into_iter().enumerate() {
            let members = std::mem::take(&mut firm_lawyers[f]);
            if !members.is_empty() {
                let (o, u) = self.add_firm_fairness(m, f, members, load);
                rows.firm_over[f] = Some(o);
                rows.firm_under[f] = Some(u);
            }
        }
        rows
    }

    /// (d) Firm `f`'s load, history included, outside its fair band: its over and under rows.
    fn add_firm_fairness(
        &self,
        m: &mut Model,
        f: usize,
        members: Vec<usize>,
        load: Expression,
    ) -> (usize, usize) {
        let shares = &self.shares;
        let (lo, hi) = band(shares.firm_target[self.firms[f]]);
        let (over, ocol) = m.add_var(variable().min(0.0));
        let (under, ucol) = m.add_var(variable().min(0.0));
        let hist: f64 = members.iter().map(|&l| shares.history[l]).sum();
        m.starts.push((
            ocol,
            StartCol::Over {
                lawyers: members.clone(),
                cap: hi - hist,
                firm: true,
            },
        ));
        m.starts.push((
            ucol,
            StartCol::Under {
                lawyers: members,
                floor: lo - hist,
                firm: true,
            },
        ));
        let o = m.add_row((load.clone() - over).leq(hi));
        let u = m.add_floor(load + under, lo);
        m.objective += self.w.firm_fairness * (over + under);
        (o, u)
    }

    /// (e) preferences, (f) travel, (g) stability: each pair's own cost.
    fn add_pair_costs(m: &mut Model) {
        let costs: Vec<(Variable, f64)> = m
            .pairs
            .iter()
            .map(|pr| (pr.var, pr.cost))
            .filter(|(_, c)| *c != 0.0)
            .collect();
        for (v, c) in costs {
            m.objective += c * v;
        }
    }

    /// The reduced cost of `c` under the row duals `y` of a model built over a subset:
    /// its cost less the duals of the rows it is (or would be) in. Rows the subset's model
    /// lacks count as dual 0, and AM/PM distance rows (whose duals are ≤ 0 and would only
    /// raise the reduced cost) are left out, so the value is never above the true one.
    pub(super) fn reduced_cost(&self, c: &Cand, rows: &Rows, y: &[f64]) -> f64 {
        let s = &self.p.slots[c.slot];
        let dual = |r: Option<usize>| r.and_then(|r| y.get(r)).copied().unwrap_or(0.0);
        // A ≤ row's dual is ≤ 0 and a ≥ row's ≥ 0 at an optimum; clamp rounding noise.
        let le = |r: Option<usize>| dual(r).min(0.0);
        let ge = |r: Option<usize>| dual(r).max(0.0);
        let wk = s.date.iso_week();
        let (f, d) = (self.load_factor(c.role), self.duty_factor(c.role));
        let firm = self.firm_of[c.lawyer];
        let backup = c.role == Role::Backup;
        let (lim, fair) = (&rows.limits, &rows.fairness);
        c.cost
            - dual(rows.cover[c.slot][usize::from(c.role == Role::Backup)])
            - le(lim.half.get(&(c.lawyer, s.date, s.half_day)).copied())
            - le(lim.day.get(&(c.lawyer, s.date)).copied())
            - le(lim.week.get(&(c.lawyer, (wk.year(), wk.week()))).copied())
            - le(lim
                .month
                .get(&(c.lawyer, (s.date.year(), s.date.month())))
                .copied())
            - d * (le(fair.over[c.lawyer]) + ge(fair.under[c.lawyer]))
            - f * (le(fair.firm_over[firm]) + ge(fair.firm_under[firm]))
            - self.spread_dual(&rows.spread, c.lawyer, c.slot, backup, &le, &ge)
    }
}
