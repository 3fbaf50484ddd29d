//! What a roster achieves and what it leaves uncovered, and why.

use crate::fair::{fair_shares, outside_band};
use crate::roster::{Role, Roster};
use crate::settings::Weights;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use zhiban_domain::{FirmId, HalfDay, LawyerId, RosterProblem, StationId};

/// How the solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SolveStatus {
    /// Proven optimal within the gap target.
    Optimal,
    /// Stopped by the time limit with a roster; see `gap`.
    TimeLimit,
    /// A roster was found; optimality not proven.
    Feasible,
    /// Not solved by the optimiser (e.g. a greedy roster being scored).
    NotSolved,
}

/// The objective, term by term (already weighted, except where noted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Components {
    /// (a) unfilled primary posts, weighted by station priority.
    pub coverage: f64,
    /// (b) missing backups.
    pub backups: f64,
    /// (c) worst lawyer deviation outside the fair band (floor..ceil of the fair share).
    pub fairness_max: f64,
    /// (c) total lawyer deviation outside the fair band.
    pub fairness_sum: f64,
    /// (d) total firm deviation from share.
    pub firm_fairness: f64,
    /// (e) duties against a lawyer's stated wishes.
    pub preference: f64,
    /// (f) travel.
    pub distance: f64,
    /// (g) changes against the previous version.
    pub stability: f64,
    /// The tie-breaking term (tiny by design).
    pub tie_break: f64,
}

impl Components {
    /// The weighted sum.
    pub fn total(&self) -> f64 {
        self.coverage
            + self.backups
            + self.fairness_max
            + self.fairness_sum
            + self.firm_fairness
            + self.preference
            + self.distance
            + self.stability
            + self.tie_break
    }
}

/// Why a slot is not fully covered.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UncoveredReason {
    /// No lawyer in the pool has the skills, languages, years or firm the slot needs, or
    /// holds a licence on the date.
    NoEligibleLawyer {
        /// Lawyers who would be eligible but are licensed only after the date, with their
        /// licence dates (no duty before the licence, whatever the years required).
        #[schema(value_type = Vec<Object>)]
        licensed_later: Vec<(LawyerId, NaiveDate)>,
    },
    /// Lawyers are eligible, but every one of them is unavailable then.
    EligibleUnavailable {
        /// The eligible lawyers.
        lawyers: Vec<LawyerId>,
    },
    /// Eligible, available lawyers exist, but each is on duty elsewhere then or at a limit.
    EligibleAtLimits {
        /// Each available eligible lawyer not on this slot, with what holds them.
        lawyers: Vec<(LawyerId, Busy)>,
    },
}

/// What keeps an available, eligible lawyer from a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Busy {
    /// On duty elsewhere (or as backup here) that half-day.
    SameHalfDay,
    /// At the per-day limit.
    DayLimit,
    /// At the per-week limit.
    WeekLimit,
    /// At the per-month limit.
    MonthLimit,
    /// The other half-day is at a station too far away.
    TooFar,
    /// Nothing binds: a better use of the lawyer was found (shown only for missing backups).
    Other,
}

/// A slot left short.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Uncovered {
    /// Station.
    pub station_id: StationId,
    /// Date.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// Primary posts wanted.
    pub wanted: u32,
    /// Primary posts filled.
    pub filled: u32,
    /// Backups wanted.
    pub backups_wanted: u32,
    /// Backups named.
    pub backups_filled: u32,
    /// Why.
    pub reason: UncoveredReason,
}

/// One lawyer's load.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LawyerLoad {
    /// Lawyer.
    pub lawyer_id: LawyerId,
    /// Firm.
    pub firm_id: FirmId,
    /// Duties in the history window.
    pub history: u32,
    /// Primary duties in the period.
    pub primary: u32,
    /// Backup duties in the period.
    pub backup: u32,
    /// Fair share of history plus period, in duty units.
    pub fair_share: f64,
    /// History + primary + backup_load × backup − fair share.
    pub deviation: f64,
}

/// One firm's load.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FirmLoad {
    /// Firm.
    pub firm_id: FirmId,
    /// Active panel size.
    pub panel: u32,
    /// Duty units, history included.
    pub load: f64,
    /// Its share.
    pub fair_share: f64,
}

/// Everything a coordinator needs to trust a roster.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SolveReport {
    /// How the solve ended.
    pub status: SolveStatus,
    /// The objective as the solver saw it (0 for a roster not solved).
    pub solver_objective: f64,
    /// The objective recomputed from the roster, term by term.
    pub components: Components,
    /// Best bound proven by the solver.
    pub best_bound: f64,
    /// Relative gap between roster and bound.
    pub gap: f64,
    /// Wall time, seconds.
    pub solve_seconds: f64,
    /// Model size.
    pub variables: usize,
    /// Model size.
    pub constraints: usize,
    /// Independent parts (groups of centres sharing no lawyer) solved separately.
    pub parts: usize,
    /// (lawyer, slot, role) pairs left out of the MILP when a large part is solved by
    /// pricing (column generation). `best_bound` and `gap` still cover them: the bound is
    /// the Lagrangian bound of the whole problem's linear relaxation, not the subset's.
    pub pruned_candidates: usize,
    /// Slots in the period.
    pub slots: usize,
    /// Primary posts wanted.
    pub posts_wanted: u32,
    /// Primary posts filled.
    pub posts_filled: u32,
    /// Backups wanted.
    pub backups_wanted: u32,
    /// Backups named.
    pub backups_filled: u32,
    /// Slots left short, and why.
    pub uncovered: Vec<Uncovered>,
    /// Load per lawyer.
    pub lawyers: Vec<LawyerLoad>,
    /// Load per firm.
    pub firms: Vec<FirmLoad>,
}

/// Scores `roster` against `problem` and explains its gaps.
pub fn build_report(
    problem: &RosterProblem,
    roster: &Roster,
    previous: Option<&Roster>,
    w: &Weights,
) -> SolveReport {
    let p = problem;
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
    let mut filled = vec![[0u32; 2]; p.slots.len()];
    let mut primary = vec![0u32; p.lawyers.len()];
    let mut backup = vec![0u32; p.lawyers.len()];
    let mut on_half: HashMap<(usize, NaiveDate, HalfDay), usize> = HashMap::new();
    let mut on_day: HashMap<(usize, NaiveDate), u32> = HashMap::new();
    let mut on_week: HashMap<(usize, (i32, u32)), u32> = HashMap::new();
    let mut on_month: HashMap<(usize, (i32, u32)), u32> = HashMap::new();
    let mut preference = 0.0;
    let mut distance = 0.0;
    let mut tie_break = 0.0;
    for h in &p.history {
        if let Some(&l) = lawyer_index.get(&h.lawyer_id) {
            let wk = h.date.iso_week();
            *on_week.entry((l, (wk.year(), wk.week()))).or_default() += 1;
            *on_month
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
                filled[s][0] += 1;
                primary[l] += 1;
            }
            Role::Backup => {
                filled[s][1] += 1;
                backup[l] += 1;
            }
        }
        on_half.insert((l, a.date, a.half_day), slot.station);
        *on_day.entry((l, a.date)).or_default() += 1;
        let wk = a.date.iso_week();
        *on_week.entry((l, (wk.year(), wk.week()))).or_default() += 1;
        *on_month
            .entry((l, (a.date.year(), a.date.month())))
            .or_default() += 1;
        let law = &p.lawyers[l];
        // On a make-up working day, wishes follow the weekday it works as.
        preference += w.preference * f64::from(p.unmet_wishes(l, s));
        distance += w.distance_per_km * law.base.distance_m(&st.location) / 1000.0;
        tie_break += w.tie_break
            * crate::model::tie_break(&a.lawyer_id, &a.station_id, a.date, a.half_day, a.role);
    }

    let mut components = Components {
        preference,
        distance,
        tie_break,
        ..Components::default()
    };
    let mut uncovered = vec![];
    for (si, s) in p.slots.iter().enumerate() {
        let [fp, fb] = filled[si];
        let short = s.lawyers.saturating_sub(fp);
        let short_b = s.backups.saturating_sub(fb);
        components.coverage +=
            w.coverage * (1.0 + f64::from(p.stations[s.station].priority)) * f64::from(short);
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
            let wk = s.date.iso_week();
            let lawyers = s
                .eligible
                .iter()
                .copied()
                .filter(|&l| p.lawyers[l].is_available(s.date, s.half_day))
                .map(|l| {
                    let law = &p.lawyers[l];
                    let other = match s.half_day {
                        HalfDay::Am => HalfDay::Pm,
                        HalfDay::Pm => HalfDay::Am,
                    };
                    let busy = if on_half.contains_key(&(l, s.date, s.half_day)) {
                        Busy::SameHalfDay
                    } else if on_day.get(&(l, s.date)).copied().unwrap_or(0) >= law.limits.per_day {
                        Busy::DayLimit
                    } else if on_week
                        .get(&(l, (wk.year(), wk.week())))
                        .copied()
                        .unwrap_or(0)
                        >= law.limits.per_week
                    {
                        Busy::WeekLimit
                    } else if on_month
                        .get(&(l, (s.date.year(), s.date.month())))
                        .copied()
                        .unwrap_or(0)
                        >= law.limits.per_month
                    {
                        Busy::MonthLimit
                    } else if on_half.get(&(l, s.date, other)).is_some_and(|&st| {
                        p.stations[st]
                            .location
                            .distance_m(&p.stations[s.station].location)
                            > f64::from(p.rules.am_pm_max_distance_km) * 1000.0
                    }) {
                        Busy::TooFar
                    } else {
                        Busy::Other
                    };
                    (law.id.clone(), busy)
                })
                .collect();
            UncoveredReason::EligibleAtLimits { lawyers }
        };
        uncovered.push(Uncovered {
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

    let shares = fair_shares(p, w);
    let mut lawyers = vec![];
    let mut firms: BTreeMap<FirmId, (u32, f64)> = BTreeMap::new();
    let mut max_dev: f64 = 0.0;
    let mut sum_dev = 0.0;
    for (l, law) in p.lawyers.iter().enumerate() {
        let load = shares.history[l] + f64::from(primary[l]) + w.backup_load * f64::from(backup[l]);
        let deviation = load - shares.lawyer_target[l];
        let outside = outside_band(load, shares.lawyer_target[l]);
        max_dev = max_dev.max(outside);
        sum_dev += outside;
        let e = firms.entry(law.firm_id.clone()).or_default();
        e.1 += load;
        lawyers.push(LawyerLoad {
            lawyer_id: law.id.clone(),
            firm_id: law.firm_id.clone(),
            history: shares.history[l] as u32,
            primary: primary[l],
            backup: backup[l],
            fair_share: shares.lawyer_target[l],
            deviation,
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
    if let Some(prev) = previous {
        let d = crate::roster::Diff::between(prev, roster);
        components.stability = w.stability * (d.added.len() + d.removed.len()) as f64;
    }

    SolveReport {
        status: SolveStatus::NotSolved,
        solver_objective: 0.0,
        components,
        best_bound: f64::NAN,
        gap: f64::NAN,
        solve_seconds: 0.0,
        variables: 0,
        constraints: 0,
        parts: 0,
        pruned_candidates: 0,
        slots: p.slots.len(),
        posts_wanted: p.slots.iter().map(|s| s.lawyers).sum(),
        posts_filled: filled.iter().map(|f| f[0]).sum(),
        backups_wanted: p.slots.iter().map(|s| s.backups).sum(),
        backups_filled: filled.iter().map(|f| f[1]).sum(),
        uncovered,
        lawyers,
        firms,
    }
}
