//! What a roster achieves and what it leaves uncovered, and why: its score term by term,
//! every slot left short with its reason, and each lawyer's and firm's load against their
//! fair share. It depends on the roster alone, not on how the roster was found (that is the
//! run's statistics, [`crate::report`]), so the greedy baseline, repair and the API's
//! suggestions score rosters with it too.

use crate::fair::{FairShares, fair_shares, kind_index, outside_band};
use crate::objective::{Components, coverage_per_post, tie_break_cost, travel_cost, wish_cost};
use crate::roster::{Role, Roster};
use crate::settings::Weights;
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, HashMap};
use zhiban_domain::fairness::{consecutive_pairs, excess, half_day_cap, weekday_cap};
use zhiban_domain::report::{KindLoad, Spread};
use zhiban_domain::{
    CentreId, FairnessPolicy, FirmId, HalfDay, LawyerId, RosterProblem, Slot, StationId,
    StationKind,
};

// The evaluation's types are contracts kept by the store: they live in the domain.
pub use zhiban_domain::report::{
    Busy, Evaluation, FirmLoad, LawyerLoad, Uncovered, UncoveredReason,
};

/// Scores `roster` against `problem` (and, for stability, `previous`) and explains its gaps.
pub fn evaluate(
    problem: &RosterProblem,
    roster: &Roster,
    previous: Option<&Roster>,
    w: &Weights,
) -> Evaluation {
    evaluate_with(problem, roster, previous, w, &fair_shares(problem, w))
}

/// [`evaluate`] with the problem's fair shares under `w` already computed (they depend on
/// the problem alone: suggestions score many rosters of one problem).
pub(crate) fn evaluate_with(
    problem: &RosterProblem,
    roster: &Roster,
    previous: Option<&Roster>,
    w: &Weights,
    shares: &FairShares,
) -> Evaluation {
    let p = problem;
    let tally = Tally::count(p, roster, w);
    let mut components = Components {
        preference: tally.preference,
        distance: tally.distance,
        tie_break: tally.tie_break,
        ..Components::default()
    };
    let uncovered = uncovered(p, &tally, w, &mut components);
    let (mut lawyers, firms) = loads(p, &tally, w, shares, &mut components);
    let spread = spread(p, &tally, w, shares, &mut lawyers, &mut components);
    if let Some(prev) = previous {
        let d = crate::roster::Diff::between(prev, roster);
        components.stability = w.stability * (d.added.len() + d.removed.len()) as f64;
    }
    Evaluation {
        components,
        slots: p.slots.len(),
        posts_wanted: p.slots.iter().map(|s| s.lawyers).sum(),
        posts_filled: tally.filled.iter().map(|f| f[0]).sum(),
        backups_wanted: p.slots.iter().map(|s| s.backups).sum(),
        backups_filled: tally.filled.iter().map(|f| f[1]).sum(),
        uncovered,
        lawyers,
        firms,
        spread,
    }
}

/// The roster counted by slot, lawyer and period, history included, with the costs of its
/// choices (suggestions score changes against one base tally: [`crate::suggest`]).
pub(crate) struct Tally {
    /// Per slot: primary and backup posts filled.
    pub(crate) filled: Vec<[u32; 2]>,
    /// Per lawyer: primary duties.
    pub(crate) primary: Vec<u32>,
    /// Per lawyer: backup duties.
    pub(crate) backup: Vec<u32>,
    /// Per lawyer: the slots of their primary duties.
    pub(crate) primary_slots: Vec<Vec<usize>>,
    /// Per slot: the lawyers on primary duty.
    pub(crate) on_slot: Vec<Vec<usize>>,
    /// The station of each lawyer's duty on each half-day.
    on_half: HashMap<(usize, NaiveDate, HalfDay), usize>,
    on_day: HashMap<(usize, NaiveDate), u32>,
    on_week: HashMap<(usize, (i32, u32)), u32>,
    on_month: HashMap<(usize, (i32, u32)), u32>,
    preference: f64,
    distance: f64,
    tie_break: f64,
}

impl Tally {
    pub(crate) fn count(p: &RosterProblem, roster: &Roster, w: &Weights) -> Self {
        let lawyer_index: HashMap<&LawyerId, usize> = p
            .lawyers
            .iter()
            .enumerate()
            .map(|(i, l)| (&l.id, i))
            .collect();
        let slot_index: HashMap<(NaiveDate, HalfDay, &StationId), usize> = p
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.date, s.half_day, &s.station_id), i))
            .collect();
        let mut t = Tally {
            filled: vec![[0u32; 2]; p.slots.len()],
            primary: vec![0u32; p.lawyers.len()],
            backup: vec![0u32; p.lawyers.len()],
            primary_slots: vec![vec![]; p.lawyers.len()],
            on_slot: vec![vec![]; p.slots.len()],
            on_half: HashMap::new(),
            on_day: HashMap::new(),
            on_week: HashMap::new(),
            on_month: HashMap::new(),
            preference: 0.0,
            distance: 0.0,
            tie_break: 0.0,
        };
        for h in &p.history {
            if let Some(&l) = lawyer_index.get(&h.lawyer_id) {
                let wk = h.date.iso_week();
                *t.on_week.entry((l, (wk.year(), wk.week()))).or_default() += 1;
                *t.on_month
                    .entry((l, (h.date.year(), h.date.month())))
                    .or_default() += 1;
            }
        }
        for a in &roster.assignments {
            let (Some(&s), Some(&l)) = (
                slot_index.get(&(a.date, a.half_day, &a.station_id)),
                lawyer_index.get(&a.lawyer_id),
            ) else {
                continue;
            };
            let slot = &p.slots[s];
            let st = &p.stations[slot.station];
            match a.role {
                Role::Primary => {
                    t.filled[s][0] += 1;
                    t.primary[l] += 1;
                    t.primary_slots[l].push(s);
                    t.on_slot[s].push(l);
                }
                Role::Backup => {
                    t.filled[s][1] += 1;
                    t.backup[l] += 1;
                }
            }
            t.on_half.insert((l, a.date, a.half_day), slot.station);
            *t.on_day.entry((l, a.date)).or_default() += 1;
            let wk = a.date.iso_week();
            *t.on_week.entry((l, (wk.year(), wk.week()))).or_default() += 1;
            *t.on_month
                .entry((l, (a.date.year(), a.date.month())))
                .or_default() += 1;
            t.preference += wish_cost(w, p, l, s);
            t.distance += travel_cost(w, &p.lawyers[l], st);
            t.tie_break +=
                tie_break_cost(w, &a.lawyer_id, &a.station_id, a.date, a.half_day, a.role);
        }
        t
    }
}

/// Every slot left short, with its reason; adds the coverage and backup terms.
fn uncovered(
    p: &RosterProblem,
    t: &Tally,
    w: &Weights,
    components: &mut Components,
) -> Vec<Uncovered> {
    let mut out = vec![];
    for (si, s) in p.slots.iter().enumerate() {
        let [fp, fb] = t.filled[si];
        let short = s.lawyers.saturating_sub(fp);
        let short_b = s.backups.saturating_sub(fb);
        components.coverage += coverage_per_post(w, &p.stations[s.station]) * f64::from(short);
        components.backups += w.backup * f64::from(short_b);
        if short == 0 && short_b == 0 {
            continue;
        }
        let reason = if s.eligible.is_empty() {
            UncoveredReason::NoEligibleLawyer {
                licensed_later: s.licensed_later.clone(),
            }
        } else if s
            .eligible
            .iter()
            .all(|&l| !p.lawyers[l].is_available(s.date, s.half_day))
        {
            UncoveredReason::EligibleUnavailable {
                lawyers: s
                    .eligible
                    .iter()
                    .map(|&l| p.lawyers[l].id.clone())
                    .collect(),
            }
        } else {
            let lawyers = s
                .eligible
                .iter()
                .copied()
                .filter(|&l| p.lawyers[l].is_available(s.date, s.half_day))
                .map(|l| (p.lawyers[l].id.clone(), busy(p, t, s, l)))
                .collect();
            UncoveredReason::EligibleAtLimits { lawyers }
        };
        out.push(Uncovered {
            station_id: s.station_id.clone(),
            date: s.date,
            half_day: s.half_day,
            wanted: s.lawyers,
            filled: fp,
            backups_wanted: s.backups,
            backups_filled: fb,
            reason,
        });
    }
    out
}

/// What keeps available, eligible lawyer `l` from slot `s`.
fn busy(p: &RosterProblem, t: &Tally, s: &Slot, l: usize) -> Busy {
    let law = &p.lawyers[l];
    let wk = s.date.iso_week();
    let other = match s.half_day {
        HalfDay::Am => HalfDay::Pm,
        HalfDay::Pm => HalfDay::Am,
    };
    if t.on_half.contains_key(&(l, s.date, s.half_day)) {
        Busy::SameHalfDay
    } else if t.on_day.get(&(l, s.date)).copied().unwrap_or(0) >= law.limits.per_day {
        Busy::DayLimit
    } else if t
        .on_week
        .get(&(l, (wk.year(), wk.week())))
        .copied()
        .unwrap_or(0)
        >= law.limits.per_week
    {
        Busy::WeekLimit
    } else if t
        .on_month
        .get(&(l, (s.date.year(), s.date.month())))
        .copied()
        .unwrap_or(0)
        >= law.limits.per_month
    {
        Busy::MonthLimit
    } else if t.on_half.get(&(l, s.date, other)).is_some_and(|&st| {
        p.stations[st]
            .location
            .distance_m(&p.stations[s.station].location)
            > f64::from(p.rules.am_pm_max_distance_km) * 1000.0
    }) {
        Busy::TooFar
    } else {
        Busy::Other
    }
}

/// Each lawyer's and firm's load against their fair share; adds the fairness terms.
fn loads(
    p: &RosterProblem,
    t: &Tally,
    w: &Weights,
    shares: &FairShares,
    components: &mut Components,
) -> (Vec<LawyerLoad>, Vec<FirmLoad>) {
    let mut lawyers = vec![];
    let mut firms: BTreeMap<FirmId, (u32, f64)> = BTreeMap::new();
    let mut max_dev: f64 = 0.0;
    let mut sum_dev = 0.0;
    for (l, law) in p.lawyers.iter().enumerate() {
        let load = duty_load(shares, w, l, t.primary[l], t.backup[l]);
        let deviation = load - shares.lawyer_target[l];
        let outside = outside_band(load, shares.lawyer_target[l]);
        max_dev = max_dev.max(outside);
        sum_dev += outside;
        if w.separate_backups {
            let b = outside_band(f64::from(t.backup[l]), shares.backup_target[l]);
            components.backup_fairness += w.backup_fairness * b;
        }
        let e = firms.entry(law.firm_id.clone()).or_default();
        e.1 += firm_part(shares, w, l, t.primary[l], t.backup[l]);
        lawyers.push(LawyerLoad {
            lawyer_id: law.id.clone(),
            firm_id: law.firm_id.clone(),
            history: shares.history[l] as u32,
            primary: t.primary[l],
            backup: t.backup[l],
            fair_share: shares.lawyer_target[l],
            deviation,
            backup_share: shares.backup_target[l],
            consecutive_days: 0,
            weekdays: [0; 7],
            half_days: [0; 2],
            weekday_excess: 0,
            half_day_excess: 0,
            kinds: vec![],
        });
    }
    components.fairness_max = w.fairness_max * max_dev;
    components.fairness_sum = w.fairness_sum * sum_dev;
    let firms: Vec<FirmLoad> = firms
        .into_iter()
        .map(|(firm_id, (_, load))| {
            let fair_share = shares.firm_target.get(&firm_id).copied().unwrap_or(0.0);
            components.firm_fairness += w.firm_fairness * outside_band(load, fair_share);
            FirmLoad {
                panel: p.firm_panel_sizes.get(&firm_id).copied().unwrap_or(0),
                firm_id,
                load,
                fair_share,
            }
        })
        .collect();
    (lawyers, firms)
}

/// Lawyer `l`'s load as their fair share counts it: history and primary duties, and backups
/// weighted unless they are balanced on their own.
pub(crate) fn duty_load(
    shares: &FairShares,
    w: &Weights,
    l: usize,
    primary: u32,
    backup: u32,
) -> f64 {
    let backups = w.backup_load * f64::from(backup);
    shares.history[l] + f64::from(primary) + if w.separate_backups { 0.0 } else { backups }
}

/// What lawyer `l` adds to their firm's load: history, primary duties and weighted backups.
pub(crate) fn firm_part(
    shares: &FairShares,
    w: &Weights,
    l: usize,
    primary: u32,
    backup: u32,
) -> f64 {
    shares.history[l] + f64::from(primary) + w.backup_load * f64::from(backup)
}

/// The policy of `centre` as the weights use it (every term off without `w.spread`).
pub(crate) fn policy_of(p: &RosterProblem, w: &Weights, centre: &CentreId) -> FairnessPolicy {
    if w.spread {
        p.fairness.get(centre).copied().unwrap_or_default()
    } else {
        FairnessPolicy::OFF
    }
}

/// Each lawyer's spread over time and balance by station kind, and one firm at a station
/// on consecutive open half-days; fills `lawyers`' spread fields and adds the terms.
fn spread(
    p: &RosterProblem,
    t: &Tally,
    w: &Weights,
    shares: &FairShares,
    lawyers: &mut [LawyerLoad],
    components: &mut Components,
) -> Spread {
    let mut out = Spread::default();
    for (l, load) in lawyers.iter_mut().enumerate() {
        let policy = policy_of(p, w, &p.lawyers[l].home_centre_id);
        let mine = LawyerSpread::of(p, shares, l, &t.primary_slots[l]);
        load.weekdays = mine.weekdays;
        load.half_days = mine.half_days;
        load.consecutive_days = mine.consecutive_days;
        load.weekday_excess = mine.weekday_excess;
        load.half_day_excess = mine.half_day_excess;
        components.consecutive_days +=
            f64::from(policy.consecutive_days) * f64::from(load.consecutive_days);
        components.weekday_spread += f64::from(policy.weekday_spread * load.weekday_excess);
        components.half_day_spread += f64::from(policy.half_day_spread * load.half_day_excess);
        out.consecutive_days += load.consecutive_days;
        out.weekday_excess += load.weekday_excess;
        out.half_day_excess += load.half_day_excess;
        out.backup_outside += if w.separate_backups {
            outside_band(f64::from(t.backup[l]), shares.backup_target[l])
        } else {
            0.0
        };
        let by_kind = mine.by_kind;
        if policy.by_station_kind {
            for (k, kind) in StationKind::ALL.into_iter().enumerate() {
                let duties = shares.kind_history[l][k] + f64::from(by_kind[k]);
                let outside = outside_band(duties, shares.kind_target[l][k]);
                components.kind_fairness += w.kind_fairness * outside;
                out.kind_outside += outside;
                load.kinds.push(KindLoad {
                    kind,
                    duties: duties as u32,
                    fair_share: shares.kind_target[l][k],
                });
            }
        }
    }
    // One firm at a station on two consecutive open half-days.
    let mut station_slots: Vec<Vec<usize>> = vec![vec![]; p.stations.len()];
    for (si, s) in p.slots.iter().enumerate() {
        station_slots[s.station].push(si);
    }
    for (st, slots) in station_slots.iter().enumerate() {
        let weight = f64::from(policy_of(p, w, &p.stations[st].centre_id).firm_consecutive);
        for pair in slots.windows(2) {
            let mut by_firm: BTreeMap<&FirmId, u32> = BTreeMap::new();
            for &s in pair {
                for &l in &t.on_slot[s] {
                    *by_firm.entry(&p.lawyers[l].firm_id).or_default() += 1;
                }
            }
            let n: u32 = by_firm.values().map(|n| n.saturating_sub(1)).sum();
            out.firm_consecutive += n;
            components.firm_consecutive += weight * f64::from(n);
        }
    }
    out
}

/// One lawyer's primary duties over time and by kind of station, with what the spread terms
/// count (the evaluation and the suggestions' scoring both use it).
pub(crate) struct LawyerSpread {
    /// Duties per weekday, Monday first.
    pub(crate) weekdays: [u32; 7],
    /// Duties in the mornings and in the afternoons.
    pub(crate) half_days: [u32; 2],
    /// Duties per kind of station ([`StationKind::ALL`] order), the period only.
    pub(crate) by_kind: [u32; 3],
    /// Pairs of consecutive days on duty.
    pub(crate) consecutive_days: u32,
    /// Duties on a weekday beyond the even spread.
    pub(crate) weekday_excess: u32,
    /// Duties in the mornings (afternoons) beyond half the share.
    pub(crate) half_day_excess: u32,
}

impl LawyerSpread {
    /// Counts lawyer `l`'s primary duties at `slots`.
    pub(crate) fn of(p: &RosterProblem, shares: &FairShares, l: usize, slots: &[usize]) -> Self {
        let mut out = LawyerSpread {
            weekdays: [0; 7],
            half_days: [0; 2],
            by_kind: [0; 3],
            consecutive_days: 0,
            weekday_excess: 0,
            half_day_excess: 0,
        };
        let mut days = Vec::with_capacity(slots.len());
        for &s in slots {
            let slot = &p.slots[s];
            days.push(slot.date);
            out.weekdays[slot.date.weekday().num_days_from_monday() as usize] += 1;
            out.half_days[usize::from(slot.half_day == HalfDay::Pm)] += 1;
            out.by_kind[kind_index(p.stations[slot.station].kind)] += 1;
        }
        days.sort_unstable();
        days.dedup();
        out.consecutive_days = consecutive_pairs(&days);
        out.weekday_excess = excess(
            &out.weekdays,
            weekday_cap(shares.period_duty[l], shares.weekdays[l]),
        );
        if shares.both_halves[l] {
            out.half_day_excess = excess(&out.half_days, half_day_cap(shares.period_duty[l]));
        }
        out
    }

    /// What the spread terms and the balance by kind cost under `policy`.
    pub(crate) fn cost(
        &self,
        policy: &FairnessPolicy,
        w: &Weights,
        shares: &FairShares,
        l: usize,
    ) -> f64 {
        let mut cost = f64::from(policy.consecutive_days) * f64::from(self.consecutive_days)
            + f64::from(policy.weekday_spread * self.weekday_excess)
            + f64::from(policy.half_day_spread * self.half_day_excess);
        if policy.by_station_kind {
            for k in 0..3 {
                let duties = shares.kind_history[l][k] + f64::from(self.by_kind[k]);
                cost += w.kind_fairness * outside_band(duties, shares.kind_target[l][k]);
            }
        }
        cost
    }
}
