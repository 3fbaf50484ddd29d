//! Pricing (column generation on the linear relaxation): which pairs a large part's model
//! holds, and a lower bound that covers the pairs left out.

use super::build::BuildContext;
use super::candidates::Cand;
use super::highs::relative_gap;
use super::lawyer_bound::{Caps, PricedPair, least_cost};
use super::{Model, SolveError};
use crate::roster::{Role, Roster};
use crate::settings::SolveSettings;
use highs::HighsModelStatus;
use std::collections::BTreeSet;
use std::time::Instant;
use zhiban_domain::{HalfDay, LawyerId, StationId};

/// Pairs per slot and role, and per lawyer, that a priced model starts from.
const START_PER_SLOT: usize = 12;
const START_PER_LAWYER: usize = 8;
/// Pricing rounds at most, and the share of the time limit they may use.
const PRICING_ROUNDS: usize = 12;
const PRICING_TIME_SHARE: f64 = 0.6;

/// What pricing chose.
pub(super) struct Priced {
    /// The pairs to model (indices into the candidates).
    pub(super) chosen: Vec<usize>,
    /// A lower bound on every roster's objective.
    pub(super) bound: f64,
    /// When the last relaxation was already a roster.
    pub(super) integral: Option<Integral>,
    /// The pairs the last relaxation used, for a roster rounded from it.
    pub(super) support: Option<Support>,
}

/// A relaxation whose pairs were all 0 or 1: a roster.
pub(super) struct Integral {
    /// The pairs taken (indices into the candidates).
    pub(super) taken: Vec<usize>,
    /// The relaxation's objective.
    pub(super) objective: f64,
    /// Rows of its model.
    pub(super) constraints: usize,
}

/// A solved linear relaxation.
pub(super) struct Relaxed {
    pub(super) objective: f64,
    /// Row duals, in the order the rows were added.
    pub(super) duals: Vec<f64>,
    /// Column values, the pairs' first.
    pub(super) columns: Vec<f64>,
    /// Column duals (reduced costs), in the same order.
    pub(super) column_duals: Vec<f64>,
}

/// The pairs a relaxation over `chosen` (indices into the candidates) uses, and its value.
pub(super) struct Support {
    /// The candidates with a positive value in the relaxation.
    pub(super) pairs: Vec<usize>,
    /// The relaxation's objective.
    pub(super) objective: f64,
}

impl Support {
    /// The support of `relaxed`, a relaxation over `chosen`.
    pub(super) fn of(relaxed: &Relaxed, chosen: &[usize]) -> Self {
        Support {
            pairs: chosen
                .iter()
                .zip(&relaxed.columns)
                .filter(|(_, x)| **x > 1e-6)
                .map(|(&i, _)| i)
                .collect(),
            objective: relaxed.objective,
        }
    }
}

/// Chooses the pairs to model by pricing (column generation on the linear relaxation) and
/// returns them with a lower bound on the objective of every roster of the whole problem.
///
/// The bound is Lagrangian: for the relaxation's row duals `y` over the subset, any roster
/// costs at least `LP(subset) + Σ min(0, reduced cost)` over the pairs left out, because the
/// subset's dual solution, extended with zeros for rows only the whole model has, is
/// feasible for the whole relaxation once each left-out binary is charged its negative
/// reduced cost. When no left-out pair prices negative the bound is the whole relaxation's.
pub(super) fn column_generation(
    ctx: &BuildContext<'_>,
    cands: &[Cand],
    greedy: Option<&Roster>,
    settings: &SolveSettings,
    started: Instant,
    live: Option<&(dyn Fn(f64, f64) + Sync)>,
) -> Result<Priced, SolveError> {
    let mut inset = initial_subset(ctx, cands, greedy, settings);
    let deadline = settings.time_limit.mul_f64(PRICING_TIME_SHARE);
    let mut best = f64::NEG_INFINITY;
    let mut support = None;
    for _ in 0..PRICING_ROUNDS {
        let chosen: Vec<usize> = (0..cands.len()).filter(|&i| inset[i]).collect();
        let (m, rows) = ctx.build(cands, &chosen);
        let constraints = m.constraints.len();
        let left = deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        let Some(relaxed) = solve_relaxation(m, left, settings.threads)? else {
            break;
        };
        support = Some(Support::of(&relaxed, &chosen));
        let (lp_objective, y) = (relaxed.objective, &relaxed.duals);
        let mut negative: Vec<(f64, usize)> = vec![];
        // Every pair's reduced cost: HiGHS's for the modelled ones, priced for the others.
        let mut rc = vec![0.0; cands.len()];
        for (k, &i) in chosen.iter().enumerate() {
            rc[i] = relaxed.column_duals.get(k).copied().unwrap_or(0.0);
        }
        for (i, c) in cands.iter().enumerate() {
            if inset[i] {
                continue;
            }
            rc[i] = ctx.reduced_cost(c, &rows, y);
            if rc[i] < -1e-6 {
                negative.push((rc[i], i));
            }
        }
        // Without a dual for every modelled column there is no bound from this round.
        let mut bound = if relaxed.column_duals.len() >= chosen.len() {
            lagrangian_bound(ctx, cands, &chosen, &relaxed, &rc)
        } else {
            f64::NEG_INFINITY
        };
        // Solver tolerances: never claim more than the relaxation proves.
        bound -= 1e-6 * lp_objective.abs().max(1.0);
        best = best.max(bound);
        // Progress: the relaxation over the subset stands for the incumbent until a roster
        // exists (it is one when whole), and the bound is the priced one.
        if let Some(live) = live {
            live(lp_objective, best);
        }
        if settings.log_to_console {
            println!(
                "pricing: {} of {} pairs modelled, relaxation {lp_objective:.3}, bound {best:.3}, gap {:.4}%, {} pairs priced negative, {:.1} s",
                chosen.len(),
                cands.len(),
                relative_gap(lp_objective, best) * 100.0,
                negative.len(),
                started.elapsed().as_secs_f64()
            );
        }
        // Done when nothing prices negative, or when the relaxation over the subset is
        // already within half the gap target of the bound for every pair.
        if negative.is_empty() || relative_gap(lp_objective, bound) <= settings.gap / 2.0 {
            // A relaxation whose pairs are all 0 or 1 is a roster: the MILP has nothing to add.
            let whole = relaxed.columns[..chosen.len()]
                .iter()
                .all(|x| x.min(1.0 - x).abs() <= 1e-6);
            if whole && relative_gap(lp_objective, best) <= settings.gap {
                let taken = chosen
                    .iter()
                    .zip(&relaxed.columns)
                    .filter(|(_, x)| **x > 0.5)
                    .map(|(&i, _)| i)
                    .collect();
                return Ok(Priced {
                    chosen,
                    bound: best,
                    integral: Some(Integral {
                        taken,
                        objective: lp_objective,
                        constraints,
                    }),
                    support: None,
                });
            }
            break;
        }
        negative.sort_by(|a, b| a.0.total_cmp(&b.0));
        let cap = (chosen.len() / 2).max(1000);
        for &(_, i) in negative.iter().take(cap) {
            inset[i] = true;
        }
    }
    Ok(Priced {
        chosen: (0..cands.len()).filter(|&i| inset[i]).collect(),
        bound: best,
        integral: None,
        support,
    })
}

/// The Lagrangian bound at the relaxation's duals, each lawyer's limits kept (see
/// [`lawyer_bound`](super::lawyer_bound)): the relaxation's value less what its modelled
/// pairs contribute, plus each lawyer's least reduced cost over all their pairs within their
/// limits. `rc` holds every candidate's reduced cost (HiGHS's for the modelled ones).
fn lagrangian_bound(
    ctx: &BuildContext<'_>,
    cands: &[Cand],
    chosen: &[usize],
    relaxed: &Relaxed,
    rc: &[f64],
) -> f64 {
    let p = ctx.p;
    // The duals' own part (y·b plus the penalty columns' part), by complementary slackness.
    let modelled: f64 = chosen
        .iter()
        .zip(&relaxed.columns)
        .map(|(&i, x)| rc[i] * x)
        .sum();
    let mut by_lawyer: Vec<Vec<PricedPair>> = vec![vec![]; p.lawyers.len()];
    for (c, &r) in cands.iter().zip(rc) {
        if r < 0.0 || c.fixed {
            let s = &p.slots[c.slot];
            by_lawyer[c.lawyer].push(PricedPair {
                rc: r,
                date: s.date,
                half_day: s.half_day,
                fixed: c.fixed,
            });
        }
    }
    let lawyers: f64 = by_lawyer
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .map(|(l, pairs)| {
            let week = |k| ctx.week_cap(l, k);
            let month = |k| ctx.month_cap(l, k);
            let caps = Caps {
                per_day: p.lawyers[l].limits.per_day,
                week: &week,
                month: &month,
            };
            least_cost(pairs, &caps)
        })
        .sum();
    relaxed.objective - modelled + lawyers
}

/// The pairs pricing starts from: the pinned and previous ones, the cheapest of each slot
/// and role and of each lawyer, and the warm start's (so the greedy roster is a solution of
/// the subset). One flag per candidate.
fn initial_subset(
    ctx: &BuildContext<'_>,
    cands: &[Cand],
    greedy: Option<&Roster>,
    settings: &SolveSettings,
) -> Vec<bool> {
    let p = ctx.p;
    let mut inset = vec![false; cands.len()];
    let per_slot = if settings.max_candidates > 0 {
        settings.max_candidates
    } else {
        START_PER_SLOT
    };
    let mut by_slot: Vec<[Vec<usize>; 2]> = vec![[vec![], vec![]]; p.slots.len()];
    let mut by_lawyer: Vec<Vec<usize>> = vec![vec![]; p.lawyers.len()];
    for (i, c) in cands.iter().enumerate() {
        by_slot[c.slot][usize::from(c.role == Role::Backup)].push(i);
        by_lawyer[c.lawyer].push(i);
        if c.keep {
            inset[i] = true;
        }
    }
    let cheapest = |idx: &mut Vec<usize>, n: usize, inset: &mut Vec<bool>| {
        idx.sort_by(|&a, &b| cands[a].cost.total_cmp(&cands[b].cost));
        for &i in idx.iter().take(n) {
            inset[i] = true;
        }
    };
    for v in by_slot.iter_mut().flatten() {
        cheapest(v, per_slot, &mut inset);
    }
    for v in &mut by_lawyer {
        cheapest(v, START_PER_LAWYER, &mut inset);
    }
    if let Some(g) = greedy {
        let wanted: BTreeSet<(&StationId, chrono::NaiveDate, HalfDay, &LawyerId, Role)> = g
            .assignments
            .iter()
            .map(|a| (&a.station_id, a.date, a.half_day, &a.lawyer_id, a.role))
            .collect();
        for (i, c) in cands.iter().enumerate() {
            let s = &p.slots[c.slot];
            if wanted.contains(&(
                &s.station_id,
                s.date,
                s.half_day,
                &p.lawyers[c.lawyer].id,
                c.role,
            )) {
                inset[i] = true;
            }
        }
    }
    inset
}

/// Solves the linear relaxation of `m`: its objective and row duals, or `None` when it
/// did not finish in time.
pub(super) fn solve_relaxation(
    m: Model,
    time_limit: std::time::Duration,
    threads: u32,
) -> Result<Option<Relaxed>, SolveError> {
    let (mut model, _) = m.into_highs(threads)?;
    model.set_option("solve_relaxation", true);
    model.set_option("output_flag", false);
    model.set_option("time_limit", time_limit.as_secs_f64());
    let solved = model
        .try_solve()
        .map_err(|e| SolveError::Solver(format!("{e:?}")))?;
    if solved.status() != HighsModelStatus::Optimal {
        return Ok(None);
    }
    let objective = solved.objective_value();
    let solution = solved.get_solution();
    Ok(Some(Relaxed {
        objective,
        duals: solution.dual_rows().to_vec(),
        columns: solution.columns().to_vec(),
        column_duals: solution.dual_columns().to_vec(),
    }))
}
