//! A local search that improves the greedy roster before the MILP starts from it, and the
//! MILP's roster after it.
//!
//! On long horizons the MILP of a large part often cannot finish its relaxation in the time
//! the part gets, and the part ends at the roster it started from; on a province's pools it
//! stops with lawyers bunched on a weekday or a half of the day that an exchange of duties
//! would spread. So the greedy roster is first taken towards a local optimum of the whole
//! objective (in [`TIME_SHARE`] of the part's time at most), and the MILP's, when short of
//! the gap target, again in the [`POLISH_SHARE`] kept from the MILP, under three moves:
//! - **fill**: an open post of a slot gets the fitting lawyer who costs least;
//! - **replace**: a lawyer's duty passes to another fitting lawyer when that lowers the
//!   objective (each held duty is tried against every other lawyer who may take it);
//! - **swap**: two lawyers exchange primary duties (see [`swap`]).
//!
//! "Fitting" is every hard rule the model holds: the lawyer may take the pair (eligible and
//! available), is free that half-day, within their day's, week's and month's limits (history
//! counted), and the other half of the day is near enough. Each move is priced exactly, by
//! what it changes (see [`Local::add_delta`]): the pair's own cost, the slot's coverage, the
//! lawyer's fairness band and spread over time, their firm's band, the largest deviation of
//! any lawyer, and the firm's run at the station on the half-days either side. A test holds
//! the price equal to the difference of two full evaluations. Moves are taken only when they
//! save more than [`EPS`], so the search ends; it also ends at its deadline.

mod swap;

use super::Solved;
use super::build::BuildContext;
use super::candidates::Cand;
use super::highs;
use crate::evaluate::{LawyerSpread, duty_load, firm_part};
use crate::fair::outside_band;
use crate::objective::coverage_per_post;
use crate::report::SolveStatus;
use crate::roster::{Assignment, Role, Roster};
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;
use zhiban_domain::{HalfDay, LawyerId, StationId};

/// The share of a part's time limit the search of the greedy roster may take at most.
pub(super) const TIME_SHARE: f64 = 0.1;

/// The share of a part's time limit kept from the MILP for polishing its roster.
pub(super) const POLISH_SHARE: f64 = 0.15;

/// The least saving a move must make to be taken (the costs are sums of floats).
const EPS: f64 = 1e-7;

/// Index of a role in per-role arrays.
fn ri(role: Role) -> usize {
    usize::from(role == Role::Backup)
}

const ROLES: [Role; 2] = [Role::Primary, Role::Backup];

/// A roster held as counts, for pricing and making single changes.
pub(super) struct Local<'c, 'a> {
    ctx: &'c BuildContext<'a>,
    /// Per slot and role: the lawyers who may take it, with the pair's cost.
    options: Vec<[Vec<(usize, f64)>; 2]>,
    /// Per slot and role: the lawyers holding it.
    held: Vec<[Vec<usize>; 2]>,
    primary: Vec<u32>,
    backup: Vec<u32>,
    primary_slots: Vec<Vec<usize>>,
    /// The station of each lawyer's duty on each half-day.
    half: HashMap<(usize, NaiveDate, HalfDay), usize>,
    day: HashMap<(usize, NaiveDate), u32>,
    week: HashMap<(usize, (i32, u32)), u32>,
    month: HashMap<(usize, (i32, u32)), u32>,
    /// Per lawyer: their fairness band, backup band and spread terms, priced.
    own: Vec<f64>,
    /// Per lawyer: how far their load is outside the fair band.
    outside: Vec<f64>,
    /// Per lawyer: their spread terms and balance by kind, priced (part of `own`).
    spread: Vec<f64>,
    /// `outside` as a multiset (by the bits of the non-negative floats, which sort alike).
    tops: BTreeMap<u64, u32>,
    firm_load: Vec<f64>,
    firm_target: Vec<f64>,
    /// Per station: its slots in order; per slot, its place there.
    station_slots: Vec<Vec<usize>>,
    place: Vec<usize>,
}

impl<'c, 'a> Local<'c, 'a> {
    /// Counts `roster`; `None` when it holds an assignment that is not one of `cands`.
    pub(super) fn new(ctx: &'c BuildContext<'a>, cands: &[Cand], roster: &Roster) -> Option<Self> {
        let p = ctx.p;
        let (nl, ns) = (p.lawyers.len(), p.slots.len());
        let mut options: Vec<[Vec<(usize, f64)>; 2]> = vec![[vec![], vec![]]; ns];
        for c in cands {
            options[c.slot][ri(c.role)].push((c.lawyer, c.cost));
        }
        // In lawyer order, for `cost`'s binary search.
        for o in options.iter_mut().flatten() {
            o.sort_unstable_by_key(|&(l, _)| l);
        }
        let mut station_slots: Vec<Vec<usize>> = vec![vec![]; p.stations.len()];
        let mut place = Vec::with_capacity(ns);
        for (si, s) in p.slots.iter().enumerate() {
            place.push(station_slots[s.station].len());
            station_slots[s.station].push(si);
        }
        let nf = ctx.firm_of.iter().max().map_or(0, |m| m + 1);
        let mut firm_target = vec![0.0; nf];
        for (l, law) in p.lawyers.iter().enumerate() {
            let t = ctx.shares.firm_target.get(&law.firm_id).copied();
            firm_target[ctx.firm_of[l]] = t.unwrap_or(0.0);
        }
        let mut firm_load = vec![0.0; nf];
        for l in 0..nl {
            firm_load[ctx.firm_of[l]] += ctx.shares.history[l];
        }
        let mut me = Local {
            ctx,
            options,
            held: vec![[vec![], vec![]]; ns],
            primary: vec![0; nl],
            backup: vec![0; nl],
            primary_slots: vec![vec![]; nl],
            half: HashMap::new(),
            day: HashMap::new(),
            week: HashMap::new(),
            month: HashMap::new(),
            own: vec![0.0; nl],
            outside: vec![0.0; nl],
            spread: vec![0.0; nl],
            tops: BTreeMap::new(),
            firm_load,
            firm_target,
            station_slots,
            place,
        };
        for l in 0..nl {
            let (own, outside) = me.own_cost(l, 0, 0, &[]);
            me.own[l] = own;
            me.outside[l] = outside;
            me.spread[l] = me.spread_cost(l, &[]);
            *me.tops.entry(outside.to_bits()).or_default() += 1;
        }
        let lawyer: HashMap<&LawyerId, usize> = p
            .lawyers
            .iter()
            .enumerate()
            .map(|(i, l)| (&l.id, i))
            .collect();
        let slot: HashMap<(NaiveDate, HalfDay, &StationId), usize> = p
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.date, s.half_day, &s.station_id), i))
            .collect();
        for a in &roster.assignments {
            let s = *slot.get(&(a.date, a.half_day, &a.station_id))?;
            let l = *lawyer.get(&a.lawyer_id)?;
            me.cost(s, l, a.role)?;
            me.apply(s, l, a.role, true);
        }
        Some(me)
    }

    /// The cost of the pair (`l` at `s` in `role`), if it is one.
    fn cost(&self, s: usize, l: usize, role: Role) -> Option<f64> {
        let opts = &self.options[s][ri(role)];
        let at = opts.binary_search_by_key(&l, |o| o.0).ok()?;
        Some(opts[at].1)
    }

    /// Lawyer `l`'s own terms with `primary` and `backup` duties, the primary ones at
    /// `slots`: their priced sum, and how far their load is outside the fair band.
    fn own_cost(&self, l: usize, primary: u32, backup: u32, slots: &[usize]) -> (f64, f64) {
        let (w, shares) = (&self.ctx.w, &self.ctx.shares);
        let load = duty_load(shares, w, l, primary, backup);
        let outside = outside_band(load, shares.lawyer_target[l]);
        let mut own = w.fairness_sum * outside;
        if w.separate_backups {
            own += w.backup_fairness * outside_band(f64::from(backup), shares.backup_target[l]);
        }
        own += self.spread_cost(l, slots);
        (own, outside)
    }

    /// Lawyer `l`'s spread terms and balance by kind with primary duties at `slots`.
    fn spread_cost(&self, l: usize, slots: &[usize]) -> f64 {
        let (p, w, shares) = (self.ctx.p, &self.ctx.w, &self.ctx.shares);
        let policy = &self.ctx.lawyer_policy[l];
        LawyerSpread::of(p, shares, l, slots).cost(policy, w, shares, l)
    }

    /// The largest deviation of any lawyer, one occurrence of each of `gone` left out.
    fn top_without(&self, gone: &[f64]) -> f64 {
        for (&bits, &n) in self.tops.iter().rev() {
            let out = gone.iter().filter(|g| g.to_bits() == bits).count() as u32;
            if n > out {
                return f64::from_bits(bits);
            }
        }
        0.0
    }

    /// Whether lawyer `l` may take one more duty at slot `s` under the hard rules (the
    /// pair itself being one of the options).
    fn fits(&self, s: usize, l: usize) -> bool {
        let (p, ctx) = (self.ctx.p, self.ctx);
        let slot = &p.slots[s];
        let law = &p.lawyers[l];
        let wk = slot.date.iso_week();
        let (wk, mo) = (
            (wk.year(), wk.week()),
            (slot.date.year(), slot.date.month()),
        );
        let other = match slot.half_day {
            HalfDay::Am => HalfDay::Pm,
            HalfDay::Pm => HalfDay::Am,
        };
        let max_m = f64::from(p.rules.am_pm_max_distance_km) * 1000.0;
        let here = p.stations[slot.station].location;
        !self.half.contains_key(&(l, slot.date, slot.half_day))
            && self.day.get(&(l, slot.date)).copied().unwrap_or(0) < law.limits.per_day
            && self.week.get(&(l, wk)).copied().unwrap_or(0) < ctx.week_cap(l, wk)
            && self.month.get(&(l, mo)).copied().unwrap_or(0) < ctx.month_cap(l, mo)
            && self
                .half
                .get(&(l, slot.date, other))
                .is_none_or(|&st| p.stations[st].location.distance_m(&here) <= max_m)
    }

    /// The firm's excess at the station over slots `x` and `y` (two neighbouring open
    /// half-days): each firm's primary duties there beyond one, with `extra` one more.
    fn window(&self, x: usize, y: usize, extra: Option<usize>) -> u32 {
        let mut firms: Vec<usize> = self.held[x][0]
            .iter()
            .chain(&self.held[y][0])
            .chain(extra.as_ref())
            .map(|&l| self.ctx.firm_of[l])
            .collect();
        firms.sort_unstable();
        let n = firms.len();
        firms.dedup();
        (n - firms.len()) as u32
    }

    /// What adding lawyer `l` at slot `s` in `role` at pair cost `cost` changes in the
    /// objective (as `evaluate` totals it, with no previous roster).
    pub(super) fn add_delta(&self, s: usize, l: usize, role: Role, cost: f64) -> f64 {
        let (p, w, shares) = (self.ctx.p, &self.ctx.w, &self.ctx.shares);
        let slot = &p.slots[s];
        let (pr, bk) = (self.primary[l], self.backup[l]);
        let mut d = cost;
        let filled = self.held[s][ri(role)].len() as u32;
        let ((pa, ba), slots) = match role {
            Role::Primary => {
                if filled < slot.lawyers {
                    d -= coverage_per_post(w, &p.stations[slot.station]);
                }
                let mut with = Vec::with_capacity(self.primary_slots[l].len() + 1);
                with.extend_from_slice(&self.primary_slots[l]);
                with.push(s);
                ((pr + 1, bk), with)
            }
            Role::Backup => {
                if filled < slot.backups {
                    d -= w.backup;
                }
                ((pr, bk + 1), self.primary_slots[l].clone())
            }
        };
        let (own, outside) = self.own_cost(l, pa, ba, &slots);
        d += own - self.own[l];
        let before = self.top_without(&[]);
        let after = self.top_without(&[self.outside[l]]).max(outside);
        d += w.fairness_max * (after - before);
        let f = self.ctx.firm_of[l];
        let load = self.firm_load[f];
        let moved = load + firm_part(shares, w, l, pa, ba) - firm_part(shares, w, l, pr, bk);
        let target = self.firm_target[f];
        d += w.firm_fairness * (outside_band(moved, target) - outside_band(load, target));
        if role == Role::Primary {
            let weight = f64::from(self.ctx.station_policy[slot.station].firm_consecutive);
            if weight > 0.0 {
                let list = &self.station_slots[slot.station];
                let at = self.place[s];
                let before = at.checked_sub(1).map(|i| list[i]);
                for n in [before, list.get(at + 1).copied()].into_iter().flatten() {
                    let (x, y) = (n.min(s), n.max(s));
                    let more = self.window(x, y, Some(l)) - self.window(x, y, None);
                    d += weight * f64::from(more);
                }
            }
        }
        d
    }

    /// Adds (or, with `add` false, removes) lawyer `l`'s duty at slot `s` in `role`.
    pub(super) fn apply(&mut self, s: usize, l: usize, role: Role, add: bool) {
        let p = self.ctx.p;
        let slot = &p.slots[s];
        let (pr, bk) = (self.primary[l], self.backup[l]);
        let step = |n: &mut u32| {
            if add {
                *n += 1;
            } else {
                *n -= 1;
            }
        };
        let wk = slot.date.iso_week();
        step(self.day.entry((l, slot.date)).or_default());
        step(self.week.entry((l, (wk.year(), wk.week()))).or_default());
        step(
            self.month
                .entry((l, (slot.date.year(), slot.date.month())))
                .or_default(),
        );
        let held = &mut self.held[s][ri(role)];
        if add {
            held.push(l);
            self.half
                .insert((l, slot.date, slot.half_day), slot.station);
        } else {
            held.retain(|&o| o != l);
            self.half.remove(&(l, slot.date, slot.half_day));
        }
        match role {
            Role::Primary => {
                step(&mut self.primary[l]);
                if add {
                    self.primary_slots[l].push(s);
                } else {
                    self.primary_slots[l].retain(|&o| o != s);
                }
            }
            Role::Backup => step(&mut self.backup[l]),
        }
        let (w, shares) = (&self.ctx.w, &self.ctx.shares);
        let (pa, ba) = (self.primary[l], self.backup[l]);
        let f = self.ctx.firm_of[l];
        self.firm_load[f] += firm_part(shares, w, l, pa, ba) - firm_part(shares, w, l, pr, bk);
        let old = self.outside[l].to_bits();
        if let Some(n) = self.tops.get_mut(&old) {
            *n -= 1;
            if *n == 0 {
                self.tops.remove(&old);
            }
        }
        let (own, outside) = self.own_cost(l, pa, ba, &self.primary_slots[l]);
        self.own[l] = own;
        self.outside[l] = outside;
        self.spread[l] = self.spread_cost(l, &self.primary_slots[l]);
        *self.tops.entry(outside.to_bits()).or_default() += 1;
    }

    /// The cheapest fitting lawyer for slot `s` in `role` other than `except`: the lawyer,
    /// the pair's cost and the change adding them makes.
    fn best_fit(&self, s: usize, role: Role, except: usize) -> Option<(usize, f64, f64)> {
        let mut best: Option<(usize, f64, f64)> = None;
        for &(l, cost) in &self.options[s][ri(role)] {
            if l == except || !self.fits(s, l) {
                continue;
            }
            let d = self.add_delta(s, l, role, cost);
            if best.is_none_or(|b| d < b.2) {
                best = Some((l, cost, d));
            }
        }
        best
    }

    /// One pass of fill and replace moves over every slot: whether any move was taken, or
    /// `None` when the deadline passed.
    fn pass(&mut self, deadline: Instant) -> Option<bool> {
        let p = self.ctx.p;
        let mut moved = false;
        for s in 0..p.slots.len() {
            if Instant::now() >= deadline {
                return None;
            }
            for role in ROLES {
                let wanted = match role {
                    Role::Primary => p.slots[s].lawyers,
                    Role::Backup => p.slots[s].backups,
                };
                while (self.held[s][ri(role)].len() as u32) < wanted {
                    match self.best_fit(s, role, usize::MAX) {
                        Some((l, _, d)) if d < -EPS => {
                            self.apply(s, l, role, true);
                            moved = true;
                        }
                        _ => break,
                    }
                }
                for a in self.held[s][ri(role)].clone() {
                    let cost = self.cost(s, a, role).unwrap_or(0.0);
                    self.apply(s, a, role, false);
                    let back = self.add_delta(s, a, role, cost);
                    match self.best_fit(s, role, a) {
                        Some((b, _, d)) if d < back - EPS => {
                            self.apply(s, b, role, true);
                            moved = true;
                        }
                        _ => self.apply(s, a, role, true),
                    }
                }
            }
        }
        Some(moved)
    }

    /// The roster held.
    pub(super) fn roster(&self) -> Roster {
        let p = self.ctx.p;
        let mut out = vec![];
        for (s, held) in self.held.iter().enumerate() {
            let slot = &p.slots[s];
            for role in ROLES {
                for &l in &held[ri(role)] {
                    out.push(Assignment {
                        date: slot.date,
                        half_day: slot.half_day,
                        station_id: slot.station_id.clone(),
                        lawyer_id: p.lawyers[l].id.clone(),
                        role,
                    });
                }
            }
        }
        Roster::new(out)
    }
}

/// `roster` taken by fill, replace and swap moves towards a local optimum of the objective,
/// as far as `deadline` allows; `roster` itself when it holds a pair not among `cands` or
/// the deadline has passed. For problems without pins or a previous version (no stability
/// term).
pub(super) fn improve(
    ctx: &BuildContext<'_>,
    cands: &[Cand],
    roster: Roster,
    deadline: Instant,
) -> Roster {
    if Instant::now() >= deadline {
        return roster;
    }
    let Some(mut local) = Local::new(ctx, cands, &roster) else {
        return roster;
    };
    loop {
        // Fill and replace first: they reach coverage and the loads, the largest terms.
        let replaced = local.pass(deadline);
        let swapped = local.swap_pass(deadline);
        if replaced.is_none()
            || swapped.is_none()
            || replaced == Some(false) && swapped == Some(false)
        {
            break;
        }
    }
    local.roster()
}

impl super::OneSolve<'_> {
    /// A roster the MILP left short of the gap target, taken further by the local search
    /// until `polish_until` (see `improve`), its score, gap and status taken again.
    pub(super) fn polished(
        &self,
        mut solved: Solved,
        ctx: &BuildContext<'_>,
        cands: &[Cand],
    ) -> Solved {
        let Some(until) = self.polish_until else {
            return solved;
        };
        // Polishing runs only without a previous version: no constant in the objective.
        debug_assert_eq!(self.constant, 0.0);
        if solved.report.status == SolveStatus::Optimal || Instant::now() >= until {
            return solved;
        }
        let before = solved.report.evaluation.components.total();
        let roster = improve(ctx, cands, solved.roster.clone(), until);
        let evaluation = self.evaluate(&roster);
        let total = evaluation.components.total();
        if total >= before - 1e-9 {
            return solved;
        }
        let r = &mut solved.report;
        r.solver_objective = total;
        r.gap = highs::relative_gap(total, r.best_bound);
        if r.gap <= self.settings.gap + 1e-12 {
            r.status = SolveStatus::Optimal;
        }
        r.evaluation = evaluation;
        r.solve_seconds = self.started.elapsed().as_secs_f64();
        solved.roster = roster;
        solved
    }
}

#[cfg(test)]
mod tests;
