//! The MILP: variables only for eligible, available (lawyer, slot, role) triples.
//!
//! Parts with up to [`SolveSettings::exact_pairs`] pairs hold every pair, and HiGHS's own
//! bound is reported. Larger parts (a shared city pool over a month) are solved by pricing:
//! the model starts from the cheapest pairs of each slot and of each lawyer plus the greedy
//! start's; its linear relaxation is solved, every left-out pair is priced with the row
//! duals, and the pairs with negative reduced cost join, until none is left or the
//! relaxation is within half the gap target of the bound. The bound, the Lagrangian function
//! at the relaxation's duals clamped to their signs (`dual_bound`), each lawyer charged their
//! least sum of reduced costs within their own limits (one duty a half-day, the day's, week's
//! and month's limits; see `lawyer_bound`), holds for the whole problem whatever the subset
//! and whatever the duals' accuracy, so a relaxation stopped at its time limit (solved
//! without presolve when it is likely to stop, it still has the model's duals) gives one
//! too; every part also has one from its start (`pricing::first_bound`). When the last
//! relaxation is already whole
//! (every pair 0 or 1, as the transport-like structure of rostering usually makes it) it is
//! the roster; otherwise the MILP over the subset is solved, warm-started from the greedy.
//!
//! This module holds the `Model` that accumulates variables, rows and the objective, and
//! the solve of one connected part (`solve_one`); the parts themselves are scheduled by
//! [`crate::parts`]. Inside:
//! - `pins`: pins and the previous version, by index, with pins checked;
//! - `candidates`: the (lawyer, slot, role) pairs and their costs;
//! - `build`: the model over a subset of the pairs, one `add_*` per constraint family;
//! - `pricing`: column generation on the linear relaxation, and its bound; above
//!   `SolveSettings::lean_pairs` its relaxations leave out each lawyer's spread over time
//!   (`BuildContext::build_lean`), and the pairs a rounding then holds are widened;
//! - `lawyer_bound`: pricing's Lagrangian bound with each lawyer's own limits kept;
//! - `dual_bound`: that bound in its robust form, from one clamped dual vector;
//! - `improve`: a local search (fill, replace and swap moves) that takes the greedy roster
//!   towards a local optimum, and polishes the MILP's roster in a share of time kept for it;
//! - `rounding`: on every part by default, a roster from the MILP over the pairs the
//!   relaxation uses, which ends the part when within the gap of the relaxation's bound,
//!   else warm-starts it;
//! - `spread`: backups and station kinds balanced on their own, and the spread over time
//!   (issue 25), with the rows pricing charges;
//! - `highs`: HiGHS options, the solve with its log watched, status mapping;
//! - `warm_start`: the start vector from the greedy roster.

mod build;
mod candidates;
mod dual_bound;
mod highs;
mod improve;
mod lawyer_bound;
mod pins;
mod pricing;
mod rounding;
mod spread;
mod warm_start;

use self::build::BuildContext;
use self::candidates::{Cand, candidates};
use self::pins::Pins;
use self::pricing::{Integral, column_generation};
use self::warm_start::{StartCol, warm_start};
use crate::evaluate::evaluate;
use crate::report::{SolveReport, SolveStatus};
use crate::roster::{Assignment, Role, Roster};
use crate::settings::SolveSettings;
use good_lp::{Constraint, Expression, ProblemVariables, Variable, variable};
use std::time::Instant;
use zhiban_domain::RosterProblem;

/// What to solve: a problem, assignments that must stay, and (for repair) the roster to
/// stay close to.
#[derive(Debug, Clone, Copy)]
pub struct SolveInput<'a> {
    /// The problem.
    pub problem: &'a RosterProblem,
    /// Assignments that must be in the result.
    pub pins: &'a [Assignment],
    /// The previous version, whose assignments it costs `weights.stability` to change.
    pub previous: Option<&'a Roster>,
}

/// A roster and its report.
#[derive(Debug, Clone)]
pub struct Solved {
    /// The roster.
    pub roster: Roster,
    /// How it was found and what it leaves uncovered.
    pub report: SolveReport,
}

/// Why no roster could be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SolveError {
    /// A pinned assignment is impossible.
    #[error("pinned assignment {0}")]
    BadPin(String),
    /// The pins contradict each other or the limits.
    #[error(
        "the pinned assignments cannot all hold together with the hard rules (a lawyer pinned twice on one half-day, or beyond their limits)"
    )]
    Infeasible,
    /// The time limit passed before any roster was found.
    #[error("no roster was found within the time limit of {0:.1} s; allow more time")]
    NoSolutionInTime(f64),
    /// HiGHS failed.
    #[error("the solver failed: {0}")]
    Solver(String),
    /// Bad settings.
    #[error("bad setting: {0}")]
    Settings(String),
    /// The model was written to the MPS file and not solved (internal to [`solve`](crate::solve)).
    #[error("the model was exported, not solved")]
    Exported,
}

/// One decision variable: lawyer `lawyer` takes role `role` at slot `slot`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair {
    pub(crate) lawyer: usize,
    pub(crate) slot: usize,
    pub(crate) role: Role,
    col: usize,
    var: Variable,
    cost: f64,
}

/// Accumulates variables, constraints and the objective.
struct Model {
    /// What each non-decision column holds, so a warm start can fill it in.
    starts: Vec<(usize, StartCol)>,
    vars: ProblemVariables,
    cols: usize,
    pairs: Vec<Pair>,
    constraints: Vec<Constraint>,
    /// Whether each row is a `≥` row (`good_lp` keeps that private).
    row_ge: Vec<bool>,
    /// Each variable's column.
    col_of: Vec<(Variable, usize)>,
    objective: Expression,
}

impl Model {
    fn new() -> Self {
        Self {
            starts: vec![],
            vars: ProblemVariables::new(),
            cols: 0,
            pairs: vec![],
            constraints: vec![],
            row_ge: vec![],
            col_of: vec![],
            objective: Expression::from(0.0),
        }
    }

    /// Adds a variable; its HiGHS column is the order of addition.
    fn add_var(&mut self, def: good_lp::VariableDefinition) -> (Variable, usize) {
        let v = self.vars.add(def);
        self.col_of.push((v, self.cols));
        self.cols += 1;
        (v, self.cols - 1)
    }

    fn add_pair(&mut self, lawyer: usize, slot: usize, role: Role, fixed: bool, cost: f64) {
        let def = if fixed {
            variable().binary().min(1)
        } else {
            variable().binary()
        };
        let (var, col) = self.add_var(def);
        self.pairs.push(Pair {
            lawyer,
            slot,
            role,
            col,
            var,
            cost,
        });
    }

    /// Adds a `≤` or `=` row; its id (HiGHS row) is the order of addition.
    fn add_row(&mut self, c: Constraint) -> usize {
        self.constraints.push(c);
        self.row_ge.push(false);
        self.constraints.len() - 1
    }

    /// Adds the row `e ≥ floor`; its id is the order of addition.
    fn add_floor(&mut self, e: Expression, floor: f64) -> usize {
        self.constraints.push(e.geq(floor));
        self.row_ge.push(true);
        self.constraints.len() - 1
    }

    /// Adds the row "at most `cap` of the pairs `idx`".
    fn add_cap(&mut self, idx: &[usize], cap: u32) -> usize {
        let e = self.sum(idx);
        self.add_row(e.leq(f64::from(cap)))
    }

    fn sum(&self, idx: &[usize]) -> Expression {
        idx.iter().map(|&i| self.pairs[i].var).sum()
    }
}

/// Solves one connected problem.
pub(crate) fn solve_one(
    input: SolveInput<'_>,
    settings: &SolveSettings,
    live: Option<&(dyn Fn(f64, f64) + Sync)>,
) -> Result<Solved, SolveError> {
    let started = Instant::now();
    let p = input.problem;
    let w = settings.weights;
    if !(0.0..1.0).contains(&settings.gap) {
        return Err(SolveError::Settings(format!(
            "gap must be in [0, 1), got {}",
            settings.gap
        )));
    }
    let pins = Pins::resolve(input)?;
    // Every eligible, available (lawyer, slot, role) with its cost.
    let cands = candidates(
        p,
        &pins.pinned,
        &pins.previous,
        input.previous.is_some(),
        &w,
    );
    let greedy_roster = (input.pins.is_empty() && input.previous.is_none() && settings.warm_start)
        .then(|| {
            let work: usize = p.slots.iter().map(|s| s.eligible.len()).sum();
            crate::greedy::greedy(p, if work < 50_000 { 20 } else { 2 }, 1, &w)
        });
    // Every roster pays `stability` for each assignment of the previous version it drops,
    // while the pairs' costs count kept ones only as savings: a constant of the objective
    // (and so of its bound), added back so both are the roster's true score.
    let constant = input
        .previous
        .map_or(0.0, |r| w.stability * r.assignments.len() as f64);
    let polish_until = greedy_roster
        .as_ref()
        .and_then(|_| started.checked_add(settings.time_limit));
    let milp_settings = milp_settings(settings, polish_until.is_some());
    let full_limit = settings.time_limit;
    let settings = &milp_settings;
    let mut one = OneSolve {
        input,
        settings,
        started,
        constant,
        floor: f64::NEG_INFINITY,
        polish_until,
    };
    if cands.is_empty() {
        return Ok(one.nothing_to_decide());
    }
    let ctx = BuildContext::new(p, &pins.lawyer_index, &w);
    // The greedy roster taken to a local optimum first (see `improve`).
    let improve_until = started + share(full_limit, improve::TIME_SHARE);
    let greedy_roster = greedy_roster.map(|g| improve::improve(&ctx, &cands, g, improve_until));
    // A bound from the start, before any relaxation (see `pricing::first_bound`).
    one.floor = pricing::first_bound(&ctx, &cands) + constant;

    // Large models are solved over a subset of the pairs chosen by pricing: the linear
    // relaxation over the subset gives dual values, with which every left-out pair is priced;
    // pairs that could lower the relaxation join the subset, and the duals give a lower
    // bound valid for the whole problem whatever the subset (see `pricing`).
    let pricing = settings.max_candidates > 0 || cands.len() > settings.exact_pairs;
    let mut priced_bound = None;
    let mut support = None;
    let chosen: Vec<usize> = if pricing {
        // The greedy roster exists only without pins and a previous version: no constant.
        let greedy = greedy_roster
            .as_ref()
            .map(|g| (g, one.evaluate(g).components.total()));
        let priced = column_generation(&ctx, &cands, greedy, settings, started, live)?;
        if let Some(whole) = priced.integral
            && settings.export_mps.is_none()
        {
            // The relaxation is a roster within the gap target: no MILP needed.
            return Ok(one.whole_relaxation(&cands, whole, priced.bound, priced.chosen.len()));
        }
        priced_bound = Some(priced.bound + constant);
        support = priced.support;
        priced.chosen
    } else {
        (0..cands.len()).collect()
    };

    // Parts of `rounding_pairs` pairs or more (every part by default): a roster rounded from
    // the relaxation first (see `rounding`).
    let mut start_roster = greedy_roster;
    // The relaxation's Lagrangian bound (for every pair), kept for the MILP.
    let mut relaxed_bound = None;
    if chosen.len() >= settings.rounding_pairs && settings.export_mps.is_none() {
        if support.is_none() {
            support = rounding::relax(&ctx, &cands, &chosen, settings, started);
            // The Lagrangian bound at its duals holds for every pair, like pricing's.
            relaxed_bound = support.as_ref().map(|s| s.bound + constant);
            if let (Some(priced), Some(relaxed)) = (&mut priced_bound, relaxed_bound) {
                *priced = priced.max(relaxed);
            }
        }
        // Pricing's bound covers every pair; else the relaxation's over every pair.
        let bound = priced_bound.or(relaxed_bound);
        if let Some(support) = support
            && let Some(done) = one.round(&ctx, &cands, &support, &mut start_roster, bound)
        {
            return Ok(done);
        }
    }

    let (mut milp, pairs) =
        one.full_milp(&ctx, &cands, &chosen, pricing, start_roster.as_ref(), live)?;
    // HiGHS stopped before its root relaxation: the one solved before it still holds.
    if let Some(b) = relaxed_bound
        && (milp.bound.is_nan() || milp.bound < b)
    {
        milp.bound = b;
    }
    let solved = one.finish(milp, &pairs, start_roster, priced_bound);
    Ok(one.polished(solved, &ctx, &cands))
}

/// The settings the MILP runs under: without pins or a previous version (`polishing`), a
/// share of the time is left to the local search that polishes its roster (see `improve`).
fn milp_settings(settings: &SolveSettings, polishing: bool) -> SolveSettings {
    let kept = if polishing {
        improve::POLISH_SHARE
    } else {
        0.0
    };
    SolveSettings {
        time_limit: share(settings.time_limit, 1.0 - kept),
        ..settings.clone()
    }
}

/// `fraction` (in [0, 1]) of `limit`, at most a year (a limit beyond that is no limit).
fn share(limit: std::time::Duration, fraction: f64) -> std::time::Duration {
    const YEAR: f64 = 365.0 * 86_400.0;
    std::time::Duration::from_secs_f64(limit.as_secs_f64().min(YEAR) * fraction)
}

/// One connected problem being solved: what the ways a solve can end share.
struct OneSolve<'a> {
    input: SolveInput<'a>,
    settings: &'a SolveSettings,
    started: Instant,
    /// The objective's constant (see [`solve_one`]), added to objectives and bounds.
    constant: f64,
    /// A bound known before any relaxation, the constant added: no reported bound is lower.
    floor: f64,
    /// Until when the local search may polish the MILP's roster (`None`: it may not).
    polish_until: Option<Instant>,
}

/// A MILP solved by HiGHS, the objective and bound with the constant added.
struct Milp {
    status: SolveStatus,
    has_solution: bool,
    bound: f64,
    objective: f64,
    /// Column values, the pairs' first.
    columns: Vec<f64>,
    elapsed: f64,
    variables: usize,
    constraints: usize,
    pruned_candidates: usize,
}

impl OneSolve<'_> {
    /// The MILP over the pairs `chosen` (all of them unless `pricing`), warm-started from
    /// `start_roster`: its result with the constant added, and its pairs.
    fn full_milp(
        &self,
        ctx: &BuildContext<'_>,
        cands: &[Cand],
        chosen: &[usize],
        pricing: bool,
        start_roster: Option<&Roster>,
        live: Option<&(dyn Fn(f64, f64) + Sync)>,
    ) -> Result<(Milp, Vec<Pair>), SolveError> {
        let (p, w, settings) = (self.input.problem, self.settings.weights, self.settings);
        let (started, constant) = (self.started, self.constant);
        let (m, _rows) = ctx.build(cands, chosen);
        // A warm start from the greedy baseline (or the rounded roster when better): the solver
        // begins with a complete roster and spends its time improving and proving, which
        // matters on province-scale problems.
        let start = start_roster.map(|g| warm_start(p, &m, &w, g));
        let variables = m.cols;
        let constraints = m.constraints.len();
        let (model, pairs) = m.into_highs(settings.threads)?;
        // Presolve only on the model of every pair (see `highs::solve_milp`).
        let solved = highs::solve_milp(
            model,
            settings,
            pricing,
            !pricing,
            start.as_deref(),
            started,
            live,
        )?;
        let elapsed = started.elapsed().as_secs_f64();
        let (status, has_solution) = highs::status(&solved, start_roster.is_some(), settings)?;
        let milp = Milp {
            status,
            has_solution,
            bound: solved
                .double_info_value(c"mip_dual_bound")
                .unwrap_or(f64::NAN)
                + constant,
            objective: solved.objective_value() + constant,
            columns: solved.get_solution().columns().to_vec(),
            elapsed,
            variables,
            constraints,
            pruned_candidates: cands.len() - chosen.len(),
        };
        Ok((milp, pairs))
    }

    /// Nothing to decide (a slot nobody is eligible or available for): the empty roster is
    /// the only one, and its score is the objective and the bound alike. HiGHS, given a
    /// model without integer columns, would solve a linear programme and report no bound.
    fn nothing_to_decide(&self) -> Solved {
        let roster = Roster::default();
        let evaluation = self.evaluate(&roster);
        let total = evaluation.components.total();
        let report = SolveReport {
            status: SolveStatus::Optimal,
            solver_objective: total,
            best_bound: total,
            gap: 0.0,
            solve_seconds: self.started.elapsed().as_secs_f64(),
            ..SolveReport::not_solved(evaluation)
        };
        Solved { roster, report }
    }

    /// The roster of a whole relaxation over `modelled` pairs, against the priced `bound`.
    fn whole_relaxation(
        &self,
        cands: &[Cand],
        whole: Integral,
        bound: f64,
        modelled: usize,
    ) -> Solved {
        let p = self.input.problem;
        let roster = Roster::new(whole.taken.iter().map(|&i| cands[i].assignment(p)));
        let evaluation = self.evaluate(&roster);
        let (objective, bound) = (
            whole.objective + self.constant,
            (bound + self.constant).max(self.floor),
        );
        let report = SolveReport {
            status: SolveStatus::Optimal,
            solver_objective: objective,
            best_bound: bound,
            gap: highs::relative_gap(objective, bound),
            solve_seconds: self.started.elapsed().as_secs_f64(),
            variables: modelled,
            constraints: whole.constraints,
            pruned_candidates: cands.len() - modelled,
            ..SolveReport::not_solved(evaluation)
        };
        Solved { roster, report }
    }

    /// The roster of a solved MILP over `pairs`, or the greedy one when HiGHS stopped early
    /// with worse, and its gap against the priced bound when the model held a subset.
    fn finish(
        &self,
        milp: Milp,
        pairs: &[Pair],
        greedy_roster: Option<Roster>,
        priced_bound: Option<f64>,
    ) -> Solved {
        let Milp {
            mut status,
            has_solution,
            mut bound,
            mut objective,
            ..
        } = milp;
        // The first bound holds whatever came after it (HiGHS may have stopped without one).
        let priced_bound = priced_bound.map(|b| b.max(self.floor));
        if bound.is_nan() || bound < self.floor {
            bound = self.floor;
        }
        let mut roster = if has_solution {
            self.roster_of(pairs, &milp.columns)
        } else {
            Roster::default()
        };
        // Stopped early: never return anything worse than the roster the solver started
        // from (the greedy one, or the one rounded from the relaxation).
        if let Some(g) = greedy_roster
            && status != SolveStatus::Optimal
        {
            let greedy_total = self.evaluate(&g).components.total();
            let ours = self.evaluate(&roster).components.total();
            if !has_solution || greedy_total < ours {
                roster = g;
                objective = greedy_total;
            }
        }
        // Against the objective reported (the greedy roster's when it replaced HiGHS's),
        // with the constant in both.
        let mut gap = if bound.is_finite() {
            highs::relative_gap(objective, bound)
        } else if status == SolveStatus::Optimal {
            0.0
        } else {
            f64::INFINITY
        };
        if let Some(priced) = priced_bound {
            // HiGHS's bound holds for the subset only; the priced bound holds for every pair.
            bound = priced;
            gap = highs::relative_gap(objective, bound);
            status = if gap <= self.settings.gap + 1e-12 {
                SolveStatus::Optimal
            } else if status == SolveStatus::Optimal {
                SolveStatus::Feasible
            } else {
                status
            };
        } else if gap <= self.settings.gap + 1e-12 {
            // Stopped at the time limit, yet the roster kept (HiGHS's, or the one it started
            // from) is within the gap target of a bound for every pair.
            status = SolveStatus::Optimal;
        }
        let report = SolveReport {
            status,
            solver_objective: objective,
            best_bound: bound,
            gap,
            solve_seconds: milp.elapsed,
            variables: milp.variables,
            constraints: milp.constraints,
            pruned_candidates: milp.pruned_candidates,
            ..SolveReport::not_solved(self.evaluate(&roster))
        };
        Solved { roster, report }
    }

    /// The MILP over the pairs `support` holds (see `rounding`): the part's result when
    /// within the gap target of `bound` (which holds for every pair); else its roster
    /// replaces `start` when cheaper.
    fn round(
        &self,
        ctx: &BuildContext<'_>,
        cands: &[Cand],
        support: &pricing::Support,
        start: &mut Option<Roster>,
        bound: Option<f64>,
    ) -> Option<Solved> {
        let (settings, constant) = (self.settings, self.constant);
        let (mut sub, pairs) =
            rounding::round(ctx, cands, support, start.as_ref(), settings, self.started)?;
        sub.objective += constant;
        sub.bound += constant;
        if let Some(bound) = bound
            && highs::relative_gap(sub.objective, bound) <= settings.gap
        {
            return Some(self.finish(sub, &pairs, start.take(), Some(bound)));
        }
        let rounded = self.roster_of(&pairs, &sub.columns);
        let total = |r: &Roster| self.evaluate(r).components.total();
        if settings.warm_start && start.as_ref().is_none_or(|g| total(&rounded) < total(g)) {
            *start = Some(rounded);
        }
        None
    }

    /// The roster of a MILP's solution `columns` over `pairs`.
    fn roster_of(&self, pairs: &[Pair], columns: &[f64]) -> Roster {
        let p = self.input.problem;
        Roster::new(pairs.iter().filter(|pr| columns[pr.col] > 0.5).map(|pr| {
            let s = &p.slots[pr.slot];
            Assignment {
                date: s.date,
                half_day: s.half_day,
                station_id: s.station_id.clone(),
                lawyer_id: p.lawyers[pr.lawyer].id.clone(),
                role: pr.role,
            }
        }))
    }

    fn evaluate(&self, roster: &Roster) -> crate::evaluate::Evaluation {
        evaluate(
            self.input.problem,
            roster,
            self.input.previous,
            &self.settings.weights,
        )
    }
}
