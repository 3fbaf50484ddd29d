//! Pricing (column generation on the linear relaxation): which pairs a large part's model
//! holds, and a lower bound that covers the pairs left out.

use super::build::BuildContext;
use super::build::Rows;
use super::candidates::Cand;
use super::dual_bound::LpData;
use super::highs::relative_gap;
use super::lawyer_bound::{Caps, PricedPair, least_cost};
use super::{Model, SolveError};
use crate::objective::{coverage_per_post, load_factor};
use crate::roster::{Role, Roster};
use crate::settings::SolveSettings;
use highs::HighsModelStatus;
use std::collections::BTreeSet;
use std::time::Instant;
use zhiban_domain::{HalfDay, LawyerId, StationId};

/// Pairs per slot and role, and per lawyer, that a priced model starts from.
const START_PER_SLOT: usize = 12;
const START_PER_LAWYER: usize = 8;
/// Pricing rounds at most, and the share of the time limit they may use: Guangzhou's 26
/// weeks, whose largest part's fifth round ends near 30 s of its 56, finished it in 2 of 5
/// runs at 0.6 (else 3.0% at 60 s) and in 2 of 2 at 0.75 (optimal in 44 and 48 s).
const PRICING_ROUNDS: usize = 12;
const PRICING_TIME_SHARE: f64 = 0.75;

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

/// A linear relaxation, solved or stopped at its time limit.
pub(super) struct Relaxed {
    /// Whether it was solved to optimality. A relaxation stopped at its time limit has only
    /// its duals to offer (without presolve; presolved, HiGHS clears them and none comes
    /// back): the dual simplex keeps them near feasible as it goes, so the Lagrangian bound
    /// at them (valid at any duals) is near its current objective, while its columns are not
    /// a solution.
    pub(super) finished: bool,
    pub(super) objective: f64,
    /// Row duals, in the order the rows were added.
    pub(super) duals: Vec<f64>,
    /// Column values, the pairs' first.
    pub(super) columns: Vec<f64>,
}

/// The pairs a relaxation over `chosen` (indices into the candidates) uses, and its value.
pub(super) struct Support {
    /// The candidates with a positive value in the relaxation.
    pub(super) pairs: Vec<usize>,
    /// The Lagrangian bound at its duals: a bound for every pair, not only `chosen`.
    pub(super) bound: f64,
}

/// Pairs of each slot and role, of the cheapest reduced cost, that a rounding after lean
/// relaxations holds besides the relaxation's own (see [`Support::widened`]).
const LEAN_ALTERNATIVES: usize = 4;

impl Support {
    /// `self` with, for each slot and role, the `per_slot` modelled pairs (of `chosen`) of
    /// least reduced cost `rc` that it does not hold already (a slot of four posts keeps its
    /// alternatives too). A lean relaxation (see `column_generation`) places duties
    /// blind to the spread terms, so the MILP rounded from its pairs alone cannot move a
    /// duty off a lawyer's second consecutive day or third Monday: on a province pool it
    /// kept rosters of 1,100 to 1,400 where the relaxation's bound was 150 to 240.
    fn widened(mut self, cands: &[Cand], chosen: &[usize], rc: &[f64], per_slot: usize) -> Self {
        let mut by_slot: std::collections::HashMap<(usize, Role), Vec<usize>> =
            std::collections::HashMap::new();
        let held: std::collections::HashSet<usize> = self.pairs.iter().copied().collect();
        for &i in chosen.iter().filter(|i| !held.contains(i)) {
            by_slot
                .entry((cands[i].slot, cands[i].role))
                .or_default()
                .push(i);
        }
        for idx in by_slot.values_mut() {
            idx.sort_by(|&a, &b| rc[a].total_cmp(&rc[b]).then(a.cmp(&b)));
            self.pairs.extend(idx.iter().take(per_slot));
        }
        self.pairs.sort_unstable();
        self.pairs.dedup();
        self
    }

    /// The support of `relaxed`, a relaxation over `chosen` whose duals bound every roster
    /// by `bound`.
    pub(super) fn of(relaxed: &Relaxed, chosen: &[usize], bound: f64) -> Self {
        Support {
            pairs: chosen
                .iter()
                .zip(&relaxed.columns)
                .filter(|(_, x)| **x > 1e-6)
                .map(|(&i, _)| i)
                .collect(),
            bound,
        }
    }
}

/// Chooses the pairs to model by pricing (column generation on the linear relaxation) and
/// returns them with a lower bound on the objective of every roster of the whole problem.
///
/// The bound is Lagrangian (see [`lagrangian_bound`]): the relaxation's row duals over the
/// subset, extended with zeros for rows only the whole model has and clamped to their
/// signs, priced over every pair with each lawyer's limits kept. It holds whatever the
/// subset and whatever the duals' accuracy; at the subset's optimum it is the relaxation's
/// value less what the left-out pairs could still save.
///
/// `greedy` is the greedy roster and its objective, when there is one.
///
/// Above `settings.lean_pairs` candidates the relaxations leave out each lawyer's spread
/// over time (`BuildContext::build_lean`): those terms are penalties `≥ 0`, so the bound
/// still holds (it only misses what they add), and the MILP that follows holds them.
pub(super) fn column_generation(
    ctx: &BuildContext<'_>,
    cands: &[Cand],
    greedy: Option<(&Roster, f64)>,
    settings: &SolveSettings,
    started: Instant,
    live: Option<&(dyn Fn(f64, f64) + Sync)>,
) -> Result<Priced, SolveError> {
    let mut inset = initial_subset(ctx, cands, greedy.map(|g| g.0), settings);
    // Large pools: relaxations without the spread terms (see `SolveSettings::lean_pairs`).
    let lean = cands.len() > settings.lean_pairs && ctx.has_lawyer_spread();
    let deadline = settings.time_limit.mul_f64(PRICING_TIME_SHARE);
    let mut best = f64::NEG_INFINITY;
    let mut support = None;
    for _ in 0..PRICING_ROUNDS {
        let chosen: Vec<usize> = (0..cands.len()).filter(|&i| inset[i]).collect();
        let (m, rows) = if lean {
            ctx.build_lean(cands, &chosen)
        } else {
            ctx.build(cands, &chosen)
        };
        let constraints = m.constraints.len();
        let left = deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        let lp = m.lp_data();
        let Some(relaxed) = solve_relaxation(m, left, settings.threads)? else {
            break;
        };
        let lp_objective = relaxed.objective;
        let (bound, rc) = lagrangian_bound(ctx, cands, &chosen, &lp, &rows, &relaxed.duals);
        if !relaxed.finished {
            // Stopped at the deadline: its duals still bound every roster.
            best = best.max(bound);
            if let Some(live) = live {
                live(greedy.map_or(f64::INFINITY, |g| g.1), best);
            }
            break;
        }
        let found = Support::of(&relaxed, &chosen, bound);
        support = Some(if lean {
            found.widened(cands, &chosen, &rc, LEAN_ALTERNATIVES)
        } else {
            found
        });
        let mut negative: Vec<(f64, usize)> = rc
            .iter()
            .enumerate()
            .filter(|&(i, &r)| !inset[i] && r < -1e-6)
            .map(|(i, &r)| (r, i))
            .collect();
        best = best.max(bound);
        // Progress: the relaxation over the subset stands for the incumbent until a roster
        // exists (it is one when whole), and the bound is the priced one. A lean relaxation
        // leaves out terms every roster pays, so there the greedy roster's score stands for
        // it (none without one: the part then counts in the summed progress only once
        // HiGHS logs a roster, see `parts::running_sums`).
        if let Some(live) = live {
            let incumbent = if lean {
                greedy.map_or(f64::INFINITY, |g| g.1)
            } else {
                lp_objective
            };
            live(incumbent, best);
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
            // A relaxation whose pairs are all 0 or 1 is a roster: the MILP has nothing to add
            // (unless it was lean: its objective leaves out the spread terms the roster pays).
            let whole = relaxed.columns[..chosen.len()]
                .iter()
                .all(|x| x.min(1.0 - x).abs() <= 1e-6);
            if whole && !lean && relative_gap(lp_objective, best) <= settings.gap {
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

/// The Lagrangian bound at the row duals `duals` of a model over `chosen` (indices into the
/// candidates; `lp` is that model's data), in its robust form (see
/// [`dual_bound`](super::dual_bound)), each lawyer's limits kept (see
/// [`lawyer_bound`](super::lawyer_bound)); and every candidate's reduced cost under the
/// clamped duals (from the model's own columns for the modelled pairs, priced for the
/// others).
pub(super) fn lagrangian_bound(
    ctx: &BuildContext<'_>,
    cands: &[Cand],
    chosen: &[usize],
    lp: &LpData,
    rows: &Rows,
    duals: &[f64],
) -> (f64, Vec<f64>) {
    let p = ctx.p;
    let mut y = lp.clamp(duals);
    lp.repair(&mut y);
    let mut rc = vec![f64::NAN; cands.len()];
    for (k, &i) in chosen.iter().enumerate() {
        rc[i] = lp.reduced_cost(lp.pair_col[k], &y);
    }
    for (c, r) in cands.iter().zip(rc.iter_mut()) {
        if r.is_nan() {
            *r = ctx.reduced_cost(c, rows, &y);
        }
    }
    let duties: f64 = p
        .slots
        .iter()
        .map(|s| f64::from(s.lawyers) + f64::from(s.backups))
        .sum();
    let a_max = [Role::Primary, Role::Backup]
        .into_iter()
        .map(|r| load_factor(&ctx.w, r))
        .fold(1.0, f64::max);
    let (base, magnitude) = lp.rows_and_penalties(&y, lp.implied_upper(duties, a_max));
    let mut by_lawyer: Vec<Vec<PricedPair>> = vec![vec![]; p.lawyers.len()];
    for (c, &r) in cands.iter().zip(&rc) {
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
    let lawyer_costs: Vec<f64> = by_lawyer
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
        .collect();
    let lawyers: f64 = lawyer_costs.iter().sum();
    // Rounding: the bound is a difference of sums far larger than itself (the coverage rows'
    // duals are the penalty per post), so the margin is relative to those sums' terms. It is
    // a generous allowance (about 45,000 times the double precision), not a proven bound on
    // the rounding error of sums of a million terms, whose worst case is larger.
    let magnitude = magnitude + lawyer_costs.iter().map(|c| c.abs()).sum::<f64>();
    let margin = 1e-11 * magnitude;
    (base + lawyers - margin, rc)
}

/// A bound before any relaxation: the Lagrangian bound (see [`lagrangian_bound`]) at duals
/// set by hand, each slot's coverage row at the cheaper of its cheapest pair and its
/// penalty per post, every other row at 0. Every post costs at least its cheapest lawyer
/// (their travel and unmet wishes) or its penalty, within each lawyer's limits; so a part
/// that stops before its first relaxation still has a proven bound.
pub(super) fn first_bound(ctx: &BuildContext<'_>, cands: &[Cand]) -> f64 {
    let p = ctx.p;
    let (m, rows) = ctx.build(cands, &[]);
    let lp = m.lp_data();
    let mut cheapest = vec![[f64::INFINITY; 2]; p.slots.len()];
    for c in cands {
        let k = usize::from(c.role == Role::Backup);
        cheapest[c.slot][k] = cheapest[c.slot][k].min(c.cost);
    }
    let mut y = vec![0.0; lp.kind.len()];
    for (si, s) in p.slots.iter().enumerate() {
        let penalty = [
            coverage_per_post(&ctx.w, &p.stations[s.station]),
            ctx.w.backup,
        ];
        for k in 0..2 {
            if let Some(r) = rows.cover[si][k] {
                y[r] = cheapest[si][k].min(penalty[k]).max(0.0);
            }
        }
    }
    lagrangian_bound(ctx, cands, &[], &lp, &rows, &y).0
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

/// Seconds a relaxation takes per column (pairs and penalty columns), about: a province
/// centre's six months, 64,525 pairs, solved in 6.8 s without presolve and 7.3 s with it.
const SECONDS_PER_COLUMN: f64 = 1.1e-4;

/// Whether a relaxation of `columns` columns given `time_limit` runs with HiGHS's presolve:
/// only when it is likely to finish. Presolved, a relaxation stopped at its time limit has no
/// duals to give back; without presolve it has the model's own, and the bound at them holds
/// (a province centre's six months: 676 after 1.3 s, 708.04 after 2.3 s, against 708.44
/// solved and 80 before any relaxation). Where it finishes, presolve stays: its solution
/// rounds better (Guangzhou's 26 weeks without it missed their gap target in 4 runs of 7).
pub(super) fn presolve_for(time_limit: std::time::Duration, columns: usize) -> bool {
    time_limit.as_secs_f64() >= SECONDS_PER_COLUMN * columns as f64
}

/// Solves the linear relaxation of `m` within `time_limit`: its objective, row duals and
/// column values, or `None` when HiGHS failed or gave back no duals. A relaxation stopped at
/// its time limit comes back unfinished (see [`Relaxed::finished`]).
pub(super) fn solve_relaxation(
    m: Model,
    time_limit: std::time::Duration,
    threads: u32,
) -> Result<Option<Relaxed>, SolveError> {
    let presolve = presolve_for(time_limit, m.cols);
    relaxation_within(m, time_limit, threads, presolve, None)
}

/// [`solve_relaxation`] with presolve chosen, stopped also after `iterations` simplex
/// iterations when given (as at the time limit: tests stop it there, where a time limit
/// would depend on the machine).
pub(super) fn relaxation_within(
    m: Model,
    time_limit: std::time::Duration,
    threads: u32,
    presolve: bool,
    iterations: Option<i32>,
) -> Result<Option<Relaxed>, SolveError> {
    let rows = m.constraints.len();
    let (mut model, _) = m.into_highs(threads)?;
    model.set_option("solve_relaxation", true);
    model.set_option("output_flag", false);
    model.set_option("time_limit", time_limit.as_secs_f64());
    if let Some(n) = iterations {
        model.set_option("simplex_iteration_limit", n);
    }
    model.set_option("presolve", if presolve { "on" } else { "off" });
    let solved = model
        .try_solve()
        .map_err(|e| SolveError::Solver(format!("{e:?}")))?;
    let finished = match solved.status() {
        HighsModelStatus::Optimal => true,
        HighsModelStatus::ReachedTimeLimit | HighsModelStatus::ReachedIterationLimit => false,
        _ => return Ok(None),
    };
    // Stopped after presolve, HiGHS has cleared its solution: no duals (status 0).
    if solved.int_info_value(c"dual_solution_status").unwrap_or(0) == 0 {
        return Ok(None);
    }
    let objective = solved.objective_value();
    let solution = solved.get_solution();
    if solution.dual_rows().len() != rows {
        return Ok(None);
    }
    Ok(Some(Relaxed {
        finished,
        objective,
        duals: solution.dual_rows().to_vec(),
        columns: solution.columns().to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::{Cand, Support};
    use crate::roster::Role;

    fn cand(slot: usize, lawyer: usize, role: Role) -> Cand {
        Cand {
            lawyer,
            slot,
            role,
            cost: 0.0,
            fixed: false,
            keep: false,
        }
    }

    #[test]
    fn widening_adds_each_slot_and_roles_cheapest_reduced_costs_once() {
        // Slot 0: primaries 0..4 and a backup 4; slot 1: primaries 5..7.
        let cands: Vec<Cand> = (0..4)
            .map(|l| cand(0, l, Role::Primary))
            .chain([cand(0, 9, Role::Backup)])
            .chain((5..8).map(|l| cand(1, l, Role::Primary)))
            .collect();
        let rc = [3.0, -1.0, 0.5, 2.0, 7.0, 1.0, 0.0, -2.0];
        // Pair 6 is not modelled: it may not join, however cheap.
        let chosen = [0, 1, 2, 3, 4, 5, 7];
        let support = Support {
            pairs: vec![1, 3],
            bound: 1.5,
        };
        let wide = support.widened(&cands, &chosen, &rc, 2);
        // Slot 0 primary: 1 and 3 held, then 2 and 0 (least rc of the others; the held
        // pairs do not count among the 2); backup: 4; slot 1: 7 and 5 (6 left out).
        assert_eq!(wide.pairs, vec![0, 1, 2, 3, 4, 5, 7]);
        assert_eq!(wide.bound, 1.5);
        let none = Support {
            pairs: vec![3],
            bound: 0.0,
        }
        .widened(&cands, &chosen, &rc, 0);
        assert_eq!(none.pairs, vec![3]);
    }

    #[test]
    fn presolve_only_where_the_relaxation_is_likely_to_finish() {
        use super::presolve_for;
        use std::time::Duration;
        // A province centre's six months: solved in about 7 s; stopped after 1.7 s it
        // needs the model's own duals.
        assert!(presolve_for(Duration::from_secs(8), 64_525));
        assert!(!presolve_for(Duration::from_millis(1_700), 64_525));
        assert!(presolve_for(Duration::ZERO, 0));
    }
}
