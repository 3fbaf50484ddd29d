// Over the ~600-line sizing rule on purpose: the MILP model; its split into model/ by constraint family is issue 19.
//! The MILP: variables only for eligible, available (lawyer, slot, role) triples.
//!
//! Parts with up to [`SolveSettings::exact_pairs`] pairs hold every pair, and HiGHS's own
//! bound is reported. Larger parts (a shared city pool over a month) are solved by pricing:
//! the model starts from the cheapest pairs of each slot and of each lawyer plus the greedy
//! start's; its linear relaxation is solved, every left-out pair is priced with the row
//! duals, and the pairs with negative reduced cost join, until none is left or the
//! relaxation is within half the gap target of the bound. The bound,
//! `LP(subset) + Σ min(0, reduced cost)` over the left-out pairs, is a Lagrangian bound of
//! the whole problem, valid whatever the subset. When the last relaxation is already whole
//! (every pair 0 or 1, as the transport-like structure of rostering usually makes it) it is
//! the roster; otherwise the MILP over the subset is solved, warm-started from the greedy.

use crate::fair::{band, fair_shares};
use crate::objective::tie_break;
use crate::report::{SolveReport, SolveStatus, build_report};
use crate::roster::{Assignment, Role, Roster};
use crate::settings::SolveSettings;
use chrono::Datelike;
use good_lp::solvers::highs::highs;
use good_lp::{Constraint, Expression, ProblemVariables, Variable, variable};
use highs::HighsModelStatus;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;
use zhiban_domain::{HalfDay, RosterProblem};

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
    /// The model was written to the MPS file and not solved (internal to [`solve`]).
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
/// What a non-decision column holds, so a warm start can fill it in.
enum StartCol {
    /// Unfilled posts of one role at one slot.
    Unmet { slot: usize, role: Role, posts: f64 },
    /// The largest lawyer deviation.
    Zmax,
    /// Load above the band: `load - cap`.
    Over { lawyers: Vec<usize>, cap: f64 },
    /// Load below the band: `floor - load`.
    Under { lawyers: Vec<usize>, floor: f64 },
}

struct Model {
    starts: Vec<(usize, StartCol)>,
    vars: ProblemVariables,
    cols: usize,
    pairs: Vec<Pair>,
    constraints: Vec<Constraint>,
    objective: Expression,
}

impl Model {
    /// The model as HiGHS's (threads set unless 0: HiGHS's default), and its pairs.
    fn into_highs(self, threads: u32) -> Result<(highs::Model, Vec<Pair>), SolveError> {
        let Model {
            vars,
            pairs,
            constraints,
            objective,
            ..
        } = self;
        let mut lp = vars.minimise(objective).using(highs);
        for c in constraints {
            good_lp::SolverModel::add_constraint(&mut lp, c);
        }
        let mut model = lp
            .try_into_inner()
            .map_err(|e| SolveError::Solver(e.to_string()))?;
        if threads > 0 {
            model.set_option("threads", i32::try_from(threads).unwrap_or(i32::MAX));
        }
        Ok((model, pairs))
    }

    fn new() -> Self {
        Self {
            starts: vec![],
            vars: ProblemVariables::new(),
            cols: 0,
            pairs: vec![],
            constraints: vec![],
            objective: Expression::from(0.0),
        }
    }

    /// Adds a variable; its HiGHS column is the order of addition.
    fn add_var(&mut self, def: good_lp::VariableDefinition) -> (Variable, usize) {
        let v = self.vars.add(def);
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

    fn sum(&self, idx: &[usize]) -> Expression {
        idx.iter().map(|&i| self.pairs[i].var).sum()
    }
}

/// Solves one connected problem.
fn solve_one(
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

    // Pins, by (slot, lawyer, role).
    let lawyer_index: HashMap<&zhiban_domain::LawyerId, usize> = p
        .lawyers
        .iter()
        .enumerate()
        .map(|(i, l)| (&l.id, i))
        .collect();
    let mut pinned: BTreeSet<(usize, usize, Role)> = BTreeSet::new();
    for a in input.pins {
        let slot = a.slot_in(p).ok_or_else(|| {
            SolveError::BadPin(format!(
                "{} {} {}: no such slot in the period",
                a.station_id, a.date, a.half_day
            ))
        })?;
        let lawyer = *lawyer_index.get(&a.lawyer_id).ok_or_else(|| {
            SolveError::BadPin(format!(
                "{} at {} {} {}: the lawyer is not eligible here",
                a.lawyer_id, a.station_id, a.date, a.half_day
            ))
        })?;
        let s = &p.slots[slot];
        if !s.eligible.contains(&lawyer) {
            return Err(SolveError::BadPin(format!(
                "{} at {} {} {}: the lawyer is not eligible for this slot",
                a.lawyer_id, a.station_id, a.date, a.half_day
            )));
        }
        if !p.lawyers[lawyer].is_available(s.date, s.half_day) {
            return Err(SolveError::BadPin(format!(
                "{} at {} {} {}: the lawyer is unavailable then",
                a.lawyer_id, a.station_id, a.date, a.half_day
            )));
        }
        if a.role == Role::Backup && s.backups == 0 {
            return Err(SolveError::BadPin(format!(
                "{} at {} {} {}: the slot has no backup post",
                a.lawyer_id, a.station_id, a.date, a.half_day
            )));
        }
        pinned.insert((slot, lawyer, a.role));
    }
    for role in [Role::Primary, Role::Backup] {
        let max = |s: &zhiban_domain::Slot| {
            if role == Role::Primary {
                s.lawyers
            } else {
                s.backups
            }
        };
        for (slot, s) in p.slots.iter().enumerate() {
            let n = pinned
                .iter()
                .filter(|(sl, _, r)| *sl == slot && *r == role)
                .count() as u32;
            if n > max(s) {
                return Err(SolveError::BadPin(format!(
                    "{} {} {}: {n} pinned {role:?} lawyers for {} posts",
                    s.station_id,
                    s.date,
                    s.half_day,
                    max(s)
                )));
            }
        }
    }
    let previous: BTreeSet<(usize, usize, Role)> = input
        .previous
        .map(|r| {
            r.assignments
                .iter()
                .filter_map(|a| Some((a.slot_in(p)?, *lawyer_index.get(&a.lawyer_id)?, a.role)))
                .collect()
        })
        .unwrap_or_default();

    // Every eligible, available (lawyer, slot, role) with its cost.
    let cands = candidates(p, &pinned, &previous, input.previous.is_some(), &w);
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
    if cands.is_empty() {
        // Nothing to decide (a slot nobody is eligible or available for): the empty roster is
        // the only one, and its score is the objective and the bound alike. HiGHS, given a
        // model without integer columns, would solve a linear programme and report no bound.
        let roster = Roster::default();
        let mut report = build_report(p, &roster, input.previous, &w);
        report.status = SolveStatus::Optimal;
        report.solver_objective = report.components.total();
        report.best_bound = report.solver_objective;
        report.gap = 0.0;
        report.solve_seconds = started.elapsed().as_secs_f64();
        return Ok(Solved { roster, report });
    }
    let ctx = BuildContext::new(p, &lawyer_index, &w);

    // Large models are solved over a subset of the pairs chosen by pricing: the linear
    // relaxation over the subset gives dual values, with which every left-out pair is priced;
    // pairs that could lower the relaxation join the subset, and the duals give a lower
    // bound valid for the whole problem whatever the subset (see `price`).
    let pricing = settings.max_candidates > 0 || cands.len() > settings.exact_pairs;
    let mut priced_bound = None;
    let chosen: Vec<usize> = if pricing {
        let priced = column_generation(
            &ctx,
            &cands,
            greedy_roster.as_ref(),
            settings,
            started,
            live,
        )?;
        if let Some((taken, objective, constraints)) = priced.integral
            && settings.export_mps.is_none()
        {
            // The relaxation is a roster within the gap target: no MILP needed.
            let roster = Roster::new(taken.iter().map(|&i| cands[i].assignment(p)));
            let mut report = build_report(p, &roster, input.previous, &w);
            report.status = SolveStatus::Optimal;
            report.solver_objective = objective + constant;
            report.best_bound = priced.bound + constant;
            report.gap = relative_gap(objective + constant, priced.bound + constant);
            report.solve_seconds = started.elapsed().as_secs_f64();
            report.variables = priced.chosen.len();
            report.constraints = constraints;
            report.pruned_candidates = cands.len() - priced.chosen.len();
            return Ok(Solved { roster, report });
        }
        priced_bound = Some(priced.bound + constant);
        priced.chosen
    } else {
        (0..cands.len()).collect()
    };

    let (m, _rows) = ctx.build(&cands, &chosen);
    // A warm start from the greedy baseline: the solver begins with a complete roster and
    // spends its time improving and proving, which matters on province-scale problems.
    let start = greedy_roster.as_ref().map(|g| warm_start(p, &m, &w, g));
    let variables = m.cols;
    let constraints_count = m.constraints.len();
    let (mut model, pairs) = m.into_highs(settings.threads)?;
    // The limit covers building the model and the warm start too, not only HiGHS.
    let left = settings
        .time_limit
        .saturating_sub(started.elapsed())
        .max(std::time::Duration::from_millis(100));
    model.set_option("time_limit", left.as_secs_f64());
    // Over a subset, HiGHS's own gap is against the subset's bound; aim lower so that the gap
    // against the bound valid for every pair meets the target.
    model.set_option(
        "mip_rel_gap",
        if pricing {
            settings.gap / 2.0
        } else {
            settings.gap
        },
    );
    // Live progress: HiGHS writes its MIP log to a file that a watcher thread reads, as
    // bindings to its callbacks would need unsafe code.
    let log_path = live.map(|_| {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        std::env::temp_dir().join(format!(
            "zhiban-highs-{}-{}.log",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ))
    });
    model.set_option("output_flag", settings.log_to_console || log_path.is_some());
    model.set_option("log_to_console", settings.log_to_console);
    if let Some(path) = &log_path {
        model.set_option("log_file", path.display().to_string().as_str());
    }
    if let Some(path) = &settings.export_mps {
        model.set_option("write_model_to_file", true);
        model.set_option("write_model_file", path.display().to_string().as_str());
    }
    model.set_option("random_seed", 1);
    if let Some(start) = &start {
        model.set_solution(Some(start.as_slice()), None, None, None);
    }

    let stop = std::sync::atomic::AtomicBool::new(false);
    let solved = std::thread::scope(|scope| {
        if let (Some(path), Some(live)) = (&log_path, live) {
            let stop = &stop;
            scope.spawn(move || watch_log(path, live, stop));
        }
        let r = model.try_solve();
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        r
    })
    .map_err(|e| SolveError::Solver(format!("{e:?}")));
    if let Some(path) = &log_path {
        let _ = std::fs::remove_file(path);
    }
    let solved = solved?;
    if settings.export_mps.is_some() {
        // With write_model_to_file HiGHS writes the model and stops; the caller solves again.
        return Err(SolveError::Exported);
    }
    let status = solved.status();
    let elapsed = started.elapsed().as_secs_f64();
    let has_solution = solved.primal_solution_status() == highs::HighsSolutionStatus::Feasible;
    let mut solve_status = match status {
        HighsModelStatus::Optimal => SolveStatus::Optimal,
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => {
            return Err(SolveError::Infeasible);
        }
        HighsModelStatus::ReachedTimeLimit
        | HighsModelStatus::ReachedInterrupt
        | HighsModelStatus::ReachedIterationLimit
            if has_solution =>
        {
            SolveStatus::TimeLimit
        }
        HighsModelStatus::ReachedTimeLimit if greedy_roster.is_some() => SolveStatus::TimeLimit,
        HighsModelStatus::ReachedTimeLimit => {
            return Err(SolveError::NoSolutionInTime(
                settings.time_limit.as_secs_f64(),
            ));
        }
        other if has_solution => {
            let _ = other;
            SolveStatus::Feasible
        }
        other => {
            return Err(SolveError::Solver(format!(
                "HiGHS stopped with status {other:?}"
            )));
        }
    };
    let mut bound = solved
        .double_info_value(c"mip_dual_bound")
        .unwrap_or(f64::NAN)
        + constant;
    let mut objective = solved.objective_value() + constant;
    let columns = solved.get_solution().columns().to_vec();

    let mut roster = Roster::new(
        pairs
            .iter()
            .filter(|_| has_solution)
            .filter(|pr| columns[pr.col] > 0.5)
            .map(|pr| {
                let s = &p.slots[pr.slot];
                Assignment {
                    date: s.date,
                    half_day: s.half_day,
                    station_id: s.station_id.clone(),
                    lawyer_id: p.lawyers[pr.lawyer].id.clone(),
                    role: pr.role,
                }
            }),
    );
    // Stopped early: never return anything worse than the greedy roster the solver started from.
    if let Some(g) = greedy_roster
        && solve_status != SolveStatus::Optimal
    {
        let greedy_total = build_report(p, &g, input.previous, &w).components.total();
        let ours = build_report(p, &roster, input.previous, &w)
            .components
            .total();
        if !has_solution || greedy_total < ours {
            roster = g;
            objective = greedy_total;
        }
    }
    // Against the objective reported (the greedy roster's when it replaced HiGHS's), with
    // the constant in both.
    let mut gap = if bound.is_finite() {
        relative_gap(objective, bound)
    } else if solve_status == SolveStatus::Optimal {
        0.0
    } else {
        f64::INFINITY
    };
    if let Some(priced) = priced_bound {
        // HiGHS's bound holds for the subset only; the priced bound holds for every pair.
        bound = priced;
        gap = relative_gap(objective, bound);
        solve_status = if gap <= settings.gap + 1e-12 {
            SolveStatus::Optimal
        } else if solve_status == SolveStatus::Optimal {
            SolveStatus::Feasible
        } else {
            solve_status
        };
    }
    let mut report = build_report(p, &roster, input.previous, &w);
    report.status = solve_status;
    report.solver_objective = objective;
    report.best_bound = bound;
    report.gap = gap;
    report.solve_seconds = elapsed;
    report.variables = variables;
    report.constraints = constraints_count;
    report.pruned_candidates = cands.len() - chosen.len();
    Ok(Solved { roster, report })
}

/// (objective - bound) / |objective|, 0 when both are 0, infinite without a bound.
fn relative_gap(objective: f64, bound: f64) -> f64 {
    if !bound.is_finite() {
        f64::INFINITY
    } else if objective.abs() > 1e-9 {
        ((objective - bound) / objective.abs()).max(0.0)
    } else {
        0.0
    }
}

/// One possible decision: `lawyer` takes `role` at `slot`, at `cost` (preferences, travel,
/// tie-break and, in repair, stability).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cand {
    lawyer: usize,
    slot: usize,
    role: Role,
    cost: f64,
    /// Pinned: must be taken.
    fixed: bool,
    /// Pinned or in the previous version: always among the pairs modelled.
    keep: bool,
}

impl Cand {
    /// The assignment this pair stands for.
    fn assignment(&self, p: &RosterProblem) -> Assignment {
        let s = &p.slots[self.slot];
        Assignment {
            date: s.date,
            half_day: s.half_day,
            station_id: s.station_id.clone(),
            lawyer_id: p.lawyers[self.lawyer].id.clone(),
            role: self.role,
        }
    }
}

/// Every eligible, available (lawyer, slot, role), ordered by slot, lawyer and role.
fn candidates(
    p: &RosterProblem,
    pinned: &BTreeSet<(usize, usize, Role)>,
    previous: &BTreeSet<(usize, usize, Role)>,
    repairing: bool,
    w: &crate::settings::Weights,
) -> Vec<Cand> {
    let mut out = vec![];
    for (si, s) in p.slots.iter().enumerate() {
        let st = &p.stations[s.station];
        for &l in &s.eligible {
            let law = &p.lawyers[l];
            if !law.is_available(s.date, s.half_day) {
                continue;
            }
            // On a make-up working day, wishes follow the weekday it works as.
            let base = w.preference * f64::from(p.unmet_wishes(l, si))
                + w.distance_per_km * law.base.distance_m(&st.location) / 1000.0;
            let roles: &[Role] = if s.backups > 0 {
                &[Role::Primary, Role::Backup]
            } else {
                &[Role::Primary]
            };
            for &role in roles {
                let key = (si, l, role);
                let mut cost = base
                    + w.tie_break * tie_break(&law.id, &s.station_id, s.date, s.half_day, role);
                if repairing {
                    // Keeping a previous assignment saves a change; adding a new one makes one.
                    cost += if previous.contains(&key) {
                        -w.stability
                    } else {
                        w.stability
                    };
                }
                out.push(Cand {
                    lawyer: l,
                    slot: si,
                    role,
                    cost,
                    fixed: pinned.contains(&key),
                    keep: pinned.contains(&key) || previous.contains(&key),
                });
            }
        }
    }
    out
}

/// Where each kind of row sits in a built model, for pricing pairs left out of it.
#[derive(Default)]
struct Rows {
    cover: Vec<[Option<usize>; 2]>,
    half: HashMap<(usize, chrono::NaiveDate, HalfDay), usize>,
    day: HashMap<(usize, chrono::NaiveDate), usize>,
    week: HashMap<(usize, (i32, u32)), usize>,
    month: HashMap<(usize, (i32, u32)), usize>,
    over: Vec<Option<usize>>,
    under: Vec<Option<usize>>,
    firm_over: Vec<Option<usize>>,
    firm_under: Vec<Option<usize>>,
}

/// What building a model over any subset of the pairs needs.
struct BuildContext<'a> {
    p: &'a RosterProblem,
    w: crate::settings::Weights,
    shares: crate::fair::FairShares,
    hist_week: HashMap<(usize, (i32, u32)), u32>,
    hist_month: HashMap<(usize, (i32, u32)), u32>,
    /// Firm of each lawyer, as an index into `firms`.
    firm_of: Vec<usize>,
    firms: Vec<&'a zhiban_domain::FirmId>,
}

impl<'a> BuildContext<'a> {
    fn new(
        p: &'a RosterProblem,
        lawyer_index: &HashMap<&zhiban_domain::LawyerId, usize>,
        w: &crate::settings::Weights,
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
        let firms: Vec<&zhiban_domain::FirmId> = p
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
        Self {
            p,
            w: *w,
            shares: fair_shares(p, w),
            hist_week,
            hist_month,
            firm_of,
            firms,
        }
    }

    /// How much a duty in `role` counts toward a load.
    fn load_factor(&self, role: Role) -> f64 {
        crate::objective::load_factor(&self.w, role)
    }

    /// The MILP over the pairs `chosen` (indices into `cands`, in order).
    fn build(&self, cands: &[Cand], chosen: &[usize]) -> (Model, Rows) {
        let p = self.p;
        let w = &self.w;
        let mut m = Model::new();
        let mut rows = Rows {
            cover: vec![[None, None]; p.slots.len()],
            over: vec![None; p.lawyers.len()],
            under: vec![None; p.lawyers.len()],
            firm_over: vec![None; self.firms.len()],
            firm_under: vec![None; self.firms.len()],
            ..Rows::default()
        };
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

        // (a) coverage and (b) backups: filled + unmet = demand.
        for (si, s) in p.slots.iter().enumerate() {
            let priority = 1.0 + f64::from(p.stations[s.station].priority);
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
            rows.cover[si][0] = Some(m.constraints.len());
            m.constraints.push((filled + u).eq(f64::from(s.lawyers)));
            m.objective += w.coverage * priority * u;
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
                rows.cover[si][1] = Some(m.constraints.len());
                m.constraints.push((filled + ub).eq(f64::from(s.backups)));
                m.objective += w.backup * ub;
            }
        }

        // Per-lawyer hard rules.
        let km_limit = f64::from(p.rules.am_pm_max_distance_km);
        for (l, law) in p.lawyers.iter().enumerate() {
            let mine = &by_lawyer[l];
            if mine.is_empty() {
                continue;
            }
            let mut half: BTreeMap<(chrono::NaiveDate, HalfDay), Vec<usize>> = BTreeMap::new();
            let mut day: BTreeMap<chrono::NaiveDate, Vec<usize>> = BTreeMap::new();
            let mut week: BTreeMap<(i32, u32), Vec<usize>> = BTreeMap::new();
            let mut month: BTreeMap<(i32, u32), Vec<usize>> = BTreeMap::new();
            for &i in mine {
                let s = &p.slots[m.pairs[i].slot];
                half.entry((s.date, s.half_day)).or_default().push(i);
                day.entry(s.date).or_default().push(i);
                let wk = s.date.iso_week();
                week.entry((wk.year(), wk.week())).or_default().push(i);
                month
                    .entry((s.date.year(), s.date.month()))
                    .or_default()
                    .push(i);
            }
            // One station (and one role) per half-day.
            for ((d, h), idx) in half.iter().filter(|(_, v)| v.len() > 1) {
                let e = m.sum(idx);
                rows.half.insert((l, *d, *h), m.constraints.len());
                m.constraints.push(e.leq(1.0));
            }
            for (d, idx) in &day {
                if idx.len() as u32 > law.limits.per_day {
                    let e = m.sum(idx);
                    rows.day.insert((l, *d), m.constraints.len());
                    m.constraints.push(e.leq(f64::from(law.limits.per_day)));
                }
                // No AM and PM the same day at stations too far apart.
                if law.limits.per_day >= 2 {
                    let am: Vec<usize> = idx
                        .iter()
                        .copied()
                        .filter(|&i| p.slots[m.pairs[i].slot].half_day == HalfDay::Am)
                        .collect();
                    let pm: Vec<usize> = idx
                        .iter()
                        .copied()
                        .filter(|&i| p.slots[m.pairs[i].slot].half_day == HalfDay::Pm)
                        .collect();
                    let am_stations: BTreeSet<usize> = am
                        .iter()
                        .map(|&i| p.slots[m.pairs[i].slot].station)
                        .collect();
                    for st in am_stations {
                        let here = p.stations[st].location;
                        let far: Vec<usize> = pm
                            .iter()
                            .copied()
                            .filter(|&i| {
                                here.distance_m(
                                    &p.stations[p.slots[m.pairs[i].slot].station].location,
                                ) > km_limit * 1000.0
                            })
                            .collect();
                        if far.is_empty() {
                            continue;
                        }
                        let at: Vec<usize> = am
                            .iter()
                            .copied()
                            .filter(|&i| p.slots[m.pairs[i].slot].station == st)
                            .collect();
                        let e = m.sum(&at) + m.sum(&far);
                        m.constraints.push(e.leq(1.0));
                    }
                }
            }
            for (k, idx) in &week {
                let cap = law
                    .limits
                    .per_week
                    .saturating_sub(self.hist_week.get(&(l, *k)).copied().unwrap_or(0));
                if idx.len() as u32 > cap {
                    let e = m.sum(idx);
                    rows.week.insert((l, *k), m.constraints.len());
                    m.constraints.push(e.leq(f64::from(cap)));
                }
            }
            for (k, idx) in &month {
                let cap = law
                    .limits
                    .per_month
                    .saturating_sub(self.hist_month.get(&(l, *k)).copied().unwrap_or(0));
                if idx.len() as u32 > cap {
                    let e = m.sum(idx);
                    rows.month.insert((l, *k), m.constraints.len());
                    m.constraints.push(e.leq(f64::from(cap)));
                }
            }
        }

        // (c) lawyer fairness and (d) firm fairness.
        let shares = &self.shares;
        let (zmax, zcol) = m.add_var(variable().min(0.0));
        m.starts.push((zcol, StartCol::Zmax));
        m.objective += w.fairness_max * zmax;
        let mut firm_lawyers: Vec<Vec<usize>> = vec![vec![]; self.firms.len()];
        let mut firm_load: Vec<Expression> = vec![Expression::from(0.0); self.firms.len()];
        for l in 0..p.lawyers.len() {
            let load: Expression = by_lawyer[l]
                .iter()
                .map(|&i| self.load_factor(m.pairs[i].role) * m.pairs[i].var)
                .sum();
            // Outside the fair band [floor, ceil] of the target, history included.
            let (lo, hi) = band(shares.lawyer_target[l]);
            let (over, ocol) = m.add_var(variable().min(0.0));
            let (under, ucol) = m.add_var(variable().min(0.0));
            m.starts.push((
                ocol,
                StartCol::Over {
                    lawyers: vec![l],
                    cap: hi - shares.history[l],
                },
            ));
            m.starts.push((
                ucol,
                StartCol::Under {
                    lawyers: vec![l],
                    floor: lo - shares.history[l],
                },
            ));
            firm_lawyers[self.firm_of[l]].push(l);
            rows.over[l] = Some(m.constraints.len());
            m.constraints
                .push((load.clone() - over).leq(hi - shares.history[l]));
            rows.under[l] = Some(m.constraints.len());
            m.constraints
                .push((load.clone() + under).geq(lo - shares.history[l]));
            m.constraints
                .push((Expression::from(over) + under - zmax).leq(0.0));
            m.objective += w.fairness_sum * (over + under);
            firm_load[self.firm_of[l]] += load + shares.history[l];
        }
        for (f, load) in firm_load.into_iter().enumerate() {
            let members = std::mem::take(&mut firm_lawyers[f]);
            if members.is_empty() {
                continue;
            }
            let (lo, hi) = band(shares.firm_target[self.firms[f]]);
            let (over, ocol) = m.add_var(variable().min(0.0));
            let (under, ucol) = m.add_var(variable().min(0.0));
            let hist: f64 = members.iter().map(|&l| shares.history[l]).sum();
            m.starts.push((
                ocol,
                StartCol::Over {
                    lawyers: members.clone(),
                    cap: hi - hist,
                },
            ));
            m.starts.push((
                ucol,
                StartCol::Under {
                    lawyers: members,
                    floor: lo - hist,
                },
            ));
            rows.firm_over[f] = Some(m.constraints.len());
            m.constraints.push((load.clone() - over).leq(hi));
            rows.firm_under[f] = Some(m.constraints.len());
            m.constraints.push((load + under).geq(lo));
            m.objective += w.firm_fairness * (over + under);
        }

        // (e) preferences, (f) travel, (g) stability: each pair's own cost.
        let costs: Vec<(Variable, f64)> = m
            .pairs
            .iter()
            .map(|pr| (pr.var, pr.cost))
            .filter(|(_, c)| *c != 0.0)
            .collect();
        for (v, c) in costs {
            m.objective += c * v;
        }
        (m, rows)
    }

    /// The reduced cost of `c` under the row duals `y` of a model built over a subset:
    /// its cost less the duals of the rows it is (or would be) in. Rows the subset's model
    /// lacks count as dual 0, and AM/PM distance rows (whose duals are ≤ 0 and would only
    /// raise the reduced cost) are left out, so the value is never above the true one.
    fn reduced_cost(&self, c: &Cand, rows: &Rows, y: &[f64]) -> f64 {
        let s = &self.p.slots[c.slot];
        let dual = |r: Option<usize>| r.and_then(|r| y.get(r)).copied().unwrap_or(0.0);
        // A ≤ row's dual is ≤ 0 and a ≥ row's ≥ 0 at an optimum; clamp rounding noise.
        let le = |r: Option<usize>| dual(r).min(0.0);
        let ge = |r: Option<usize>| dual(r).max(0.0);
        let wk = s.date.iso_week();
        let f = self.load_factor(c.role);
        let firm = self.firm_of[c.lawyer];
        c.cost
            - dual(rows.cover[c.slot][usize::from(c.role == Role::Backup)])
            - le(rows.half.get(&(c.lawyer, s.date, s.half_day)).copied())
            - le(rows.day.get(&(c.lawyer, s.date)).copied())
            - le(rows.week.get(&(c.lawyer, (wk.year(), wk.week()))).copied())
            - le(rows
                .month
                .get(&(c.lawyer, (s.date.year(), s.date.month())))
                .copied())
            - f * (le(rows.over[c.lawyer])
                + ge(rows.under[c.lawyer])
                + le(rows.firm_over[firm])
                + ge(rows.firm_under[firm]))
    }
}

/// Pairs per slot and role, and per lawyer, that a priced model starts from.
const START_PER_SLOT: usize = 12;
const START_PER_LAWYER: usize = 8;
/// Pricing rounds at most, and the share of the time limit they may use.
const PRICING_ROUNDS: usize = 12;
const PRICING_TIME_SHARE: f64 = 0.5;

/// Chooses the pairs to model by pricing (column generation on the linear relaxation) and
/// returns them with a lower bound on the objective of every roster of the whole problem.
///
/// The bound is Lagrangian: for the relaxation's row duals `y` over the subset, any roster
/// costs at least `LP(subset) + Σ min(0, reduced cost)` over the pairs left out, because the
/// subset's dual solution, extended with zeros for rows only the whole model has, is
/// feasible for the whole relaxation once each left-out binary is charged its negative
/// reduced cost. When no left-out pair prices negative the bound is the whole relaxation's.
fn column_generation(
    ctx: &BuildContext<'_>,
    cands: &[Cand],
    greedy: Option<&Roster>,
    settings: &SolveSettings,
    started: Instant,
    live: Option<&(dyn Fn(f64, f64) + Sync)>,
) -> Result<Priced, SolveError> {
    let p = ctx.p;
    let mut inset = vec![false; cands.len()];
    // The cheapest pairs of each slot and role, and of each lawyer.
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
    // The warm start's pairs, so the greedy roster is a solution of the subset.
    if let Some(g) = greedy {
        let wanted: BTreeSet<(
            &zhiban_domain::StationId,
            chrono::NaiveDate,
            HalfDay,
            &zhiban_domain::LawyerId,
            Role,
        )> = g
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

    let deadline = settings.time_limit.mul_f64(PRICING_TIME_SHARE);
    let mut best = f64::NEG_INFINITY;
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
        let (lp_objective, y) = (relaxed.objective, &relaxed.duals);
        let mut negative: Vec<(f64, usize)> = vec![];
        let mut bound = lp_objective;
        for (i, c) in cands.iter().enumerate() {
            if inset[i] {
                continue;
            }
            let rc = ctx.reduced_cost(c, &rows, y);
            if rc < 0.0 {
                bound += rc;
                if rc < -1e-6 {
                    negative.push((rc, i));
                }
            }
        }
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
                let roster = chosen
                    .iter()
                    .zip(&relaxed.columns)
                    .filter(|(_, x)| **x > 0.5)
                    .map(|(&i, _)| i)
                    .collect();
                return Ok(Priced {
                    chosen,
                    bound: best,
                    integral: Some((roster, lp_objective, constraints)),
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
    })
}

/// What pricing chose.
struct Priced {
    /// The pairs to model (indices into the candidates).
    chosen: Vec<usize>,
    /// A lower bound on every roster's objective.
    bound: f64,
    /// When the last relaxation was already a roster: its pairs, objective and rows.
    integral: Option<(Vec<usize>, f64, usize)>,
}

/// Solves the linear relaxation of `m`: its objective and row duals, or `None` when it
/// did not finish in time.
fn solve_relaxation(
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
    }))
}

/// A solved linear relaxation.
struct Relaxed {
    objective: f64,
    /// Row duals, in the order the rows were added.
    duals: Vec<f64>,
    /// Column values, the pairs' first.
    columns: Vec<f64>,
}

/// Follows a HiGHS log file, calling `live(incumbent, bound)` for each progress line,
/// until `stop` is set.
fn watch_log(
    path: &std::path::Path,
    live: &(dyn Fn(f64, f64) + Sync),
    stop: &std::sync::atomic::AtomicBool,
) {
    let mut seen = 0usize;
    loop {
        let done = stop.load(std::sync::atomic::Ordering::SeqCst);
        if let Ok(text) = std::fs::read_to_string(path) {
            let complete = text.rfind('\n').map_or(0, |i| i + 1);
            if complete > seen {
                for line in text[seen..complete].lines() {
                    if let Some((bound, incumbent)) = parse_progress_line(line) {
                        live(incumbent, bound);
                    }
                }
                seen = complete;
            }
        }
        if done {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// (best bound, best solution) from one line of HiGHS's MIP progress table, e.g.
/// ` R       0       0         0   0.00%   48.12    52.1     7.63%   0 0 0   1234   0.3s`
/// (the solution is infinite until one is found).
pub(crate) fn parse_progress_line(line: &str) -> Option<(f64, f64)> {
    let t: Vec<&str> = line.split_whitespace().collect();
    if !t.last()?.ends_with('s') || t.len() < 10 {
        return None;
    }
    let explored = t.iter().position(|x| x.ends_with('%'))?;
    let num = |x: &str| -> Option<f64> {
        let x = x.trim_end_matches('*');
        match x {
            "inf" | "+inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => x.parse().ok(),
        }
    };
    let bound = num(t.get(explored + 1)?)?;
    let best = num(t.get(explored + 2)?)?;
    Some((bound, best))
}

/// A complete start vector from a greedy roster.
fn warm_start(
    p: &RosterProblem,
    m: &Model,
    w: &crate::settings::Weights,
    roster: &Roster,
) -> Vec<f64> {
    let index: HashMap<
        (
            &zhiban_domain::StationId,
            chrono::NaiveDate,
            HalfDay,
            &zhiban_domain::LawyerId,
            Role,
        ),
        (),
    > = roster
        .assignments
        .iter()
        .map(|a| {
            (
                (&a.station_id, a.date, a.half_day, &a.lawyer_id, a.role),
                (),
            )
        })
        .collect();
    let mut x = vec![0.0; m.cols];
    let mut filled = vec![[0.0f64; 2]; p.slots.len()];
    let mut load = vec![0.0f64; p.lawyers.len()];
    for pr in &m.pairs {
        let s = &p.slots[pr.slot];
        if index.contains_key(&(
            &s.station_id,
            s.date,
            s.half_day,
            &p.lawyers[pr.lawyer].id,
            pr.role,
        )) {
            x[pr.col] = 1.0;
            filled[pr.slot][usize::from(pr.role == Role::Backup)] += 1.0;
            load[pr.lawyer] += if pr.role == Role::Primary {
                1.0
            } else {
                w.backup_load
            };
        }
    }
    let mut zmax: f64 = 0.0;
    let mut zcol = None;
    let mut per_lawyer = vec![0.0f64; p.lawyers.len()];
    for (col, kind) in &m.starts {
        x[*col] = match kind {
            StartCol::Unmet { slot, role, posts } => {
                posts - filled[*slot][usize::from(*role == Role::Backup)]
            }
            StartCol::Zmax => {
                zcol = Some(*col);
                0.0
            }
            StartCol::Over { lawyers, cap } => {
                let v = (lawyers.iter().map(|&l| load[l]).sum::<f64>() - cap).max(0.0);
                if lawyers.len() == 1 {
                    per_lawyer[lawyers[0]] += v;
                }
                v
            }
            StartCol::Under { lawyers, floor } => {
                let v = (floor - lawyers.iter().map(|&l| load[l]).sum::<f64>()).max(0.0);
                if lawyers.len() == 1 {
                    per_lawyer[lawyers[0]] += v;
                }
                v
            }
        };
    }
    for v in per_lawyer {
        zmax = zmax.max(v);
    }
    if let Some(c) = zcol {
        x[c] = zmax;
    }
    x
}

/// Splits a problem into parts that share no lawyer: centres that do not share a pool
/// (and whose lawyers are eligible nowhere else) are independent and are solved apart.
pub fn components(problem: &RosterProblem) -> Vec<RosterProblem> {
    // Union-find over slots, joined through their eligible lawyers.
    let n = problem.slots.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut first_slot_of_lawyer: Vec<Option<usize>> = vec![None; problem.lawyers.len()];
    for (si, s) in problem.slots.iter().enumerate() {
        for &l in &s.eligible {
            match first_slot_of_lawyer[l] {
                None => first_slot_of_lawyer[l] = Some(si),
                Some(other) => {
                    let (a, b) = (find(&mut parent, si), find(&mut parent, other));
                    if a != b {
                        parent[a] = b;
                    }
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for si in 0..n {
        let root = find(&mut parent, si);
        groups.entry(root).or_default().push(si);
    }
    groups
        .into_values()
        .map(|slots| {
            let lawyers: BTreeSet<usize> = slots
                .iter()
                .flat_map(|&s| problem.slots[s].eligible.iter().copied())
                .collect();
            let renumber: HashMap<usize, usize> = lawyers
                .iter()
                .enumerate()
                .map(|(new, &old)| (old, new))
                .collect();
            let mut sub = problem.clone();
            sub.lawyers = lawyers
                .iter()
                .map(|&l| problem.lawyers[l].clone())
                .collect();
            sub.slots = slots
                .iter()
                .map(|&s| {
                    let mut slot = problem.slots[s].clone();
                    slot.eligible = slot.eligible.iter().map(|l| renumber[l]).collect();
                    slot
                })
                .collect();
            let ids: BTreeSet<&zhiban_domain::LawyerId> =
                sub.lawyers.iter().map(|l| &l.id).collect();
            sub.history.retain(|h| ids.contains(&h.lawyer_id));
            sub
        })
        .collect()
}

/// Progress of a solve: finished parts, plus the latest incumbent and bound of running ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// Independent parts in the problem.
    pub parts_total: usize,
    /// Parts solved so far.
    pub parts_done: usize,
    /// Objective of the rosters found for the finished parts.
    pub incumbent: f64,
    /// Proven bound for the finished parts.
    pub bound: f64,
    /// Relative gap between the two over the finished parts.
    pub gap: f64,
    /// Seconds since the solve started.
    pub elapsed_seconds: f64,
}

/// Solves a roster problem: independent parts in parallel, then one roster and one report.
pub fn solve(input: SolveInput<'_>, settings: &SolveSettings) -> Result<Solved, SolveError> {
    solve_parts(input, settings, None)
}

/// Like [`solve`], calling `on_progress` as HiGHS reports new incumbents and bounds (from
/// its log, about every few seconds and at each new roster) and as each part finishes.
pub fn solve_with_progress(
    input: SolveInput<'_>,
    settings: &SolveSettings,
    on_progress: &(dyn Fn(Progress) + Sync),
) -> Result<Solved, SolveError> {
    solve_parts(input, settings, Some(on_progress))
}

/// Solves the independent parts; HiGHS's log is followed only when progress is wanted.
fn solve_parts(
    input: SolveInput<'_>,
    settings: &SolveSettings,
    on_progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> Result<Solved, SolveError> {
    let started = Instant::now();
    let parts = if settings.decompose && settings.export_mps.is_none() {
        components(input.problem)
    } else {
        vec![input.problem.clone()]
    };
    let workers = if settings.threads > 0 {
        settings.threads as usize
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }
    .max(1);
    // Each part gets one HiGHS thread when parts run side by side.
    let part_settings = SolveSettings {
        threads: if parts.len() > 1 { 1 } else { settings.threads },
        ..settings.clone()
    };
    // Largest parts first, handed out to a fixed number of worker threads.
    let work: Vec<usize> = parts
        .iter()
        .map(|p| {
            p.slots
                .iter()
                .map(|s| s.eligible.len())
                .sum::<usize>()
                .max(1)
        })
        .collect();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(work[i]));
    // Work of the parts not yet started, for sharing the time left between them.
    let unstarted = std::sync::atomic::AtomicUsize::new(work.iter().sum());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<Result<Solved, SolveError>>>> =
        std::sync::Mutex::new(vec![None; parts.len()]);
    let running: std::sync::Mutex<Vec<Option<(f64, f64)>>> =
        std::sync::Mutex::new(vec![None; parts.len()]);
    // Records a finished part (if any) and reports progress: finished parts' objectives and
    // bounds plus the running parts' latest incumbents and bounds from HiGHS's log.
    let report = |finished: Option<(usize, Result<Solved, SolveError>)>| {
        let Ok(mut all) = results.lock() else { return };
        if let Some((i, r)) = finished {
            all[i] = Some(r);
        }
        let (mut done, mut inc, mut bound) = (0, 0.0, 0.0);
        for s in all.iter().flatten().flatten() {
            done += 1;
            inc += s.report.solver_objective;
            bound += s.report.best_bound;
        }
        if let Ok(l) = running.lock() {
            for (i, b) in l.iter().flatten() {
                if i.is_finite() {
                    inc += i;
                }
                if b.is_finite() {
                    bound += b;
                }
            }
        }
        let Some(on_progress) = on_progress else {
            return;
        };
        on_progress(Progress {
            parts_total: parts.len(),
            parts_done: done,
            incumbent: inc,
            bound,
            gap: if inc.abs() > 1e-9 {
                ((inc - bound) / inc.abs()).max(0.0)
            } else {
                0.0
            },
            elapsed_seconds: started.elapsed().as_secs_f64(),
        });
    };
    std::thread::scope(|scope| {
        for _ in 0..workers.min(parts.len()) {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&i) = order.get(k) else { break };
                    let part = &parts[i];
                    let ids: BTreeSet<(&zhiban_domain::StationId, chrono::NaiveDate, HalfDay)> =
                        part.slots
                            .iter()
                            .map(|s| (&s.station_id, s.date, s.half_day))
                            .collect();
                    let mine = |a: &&Assignment| ids.contains(&(&a.station_id, a.date, a.half_day));
                    let pins: Vec<Assignment> = input.pins.iter().filter(mine).cloned().collect();
                    let previous = input
                        .previous
                        .map(|r| Roster::new(r.assignments.iter().filter(mine).cloned()));
                    let input = SolveInput {
                        problem: part,
                        pins: &pins,
                        previous: previous.as_ref(),
                    };
                    // HiGHS's progress log, when asked for, follows the largest part only. The
                    // time left is shared by the parts not yet started, in proportion to their
                    // work and the workers, so the first large parts cannot use all of it.
                    let rest = unstarted.fetch_sub(work[i], std::sync::atomic::Ordering::SeqCst);
                    let left = settings.time_limit.saturating_sub(started.elapsed());
                    let share = (workers.min(parts.len()) as f64 * work[i] as f64
                        / rest.max(1) as f64)
                        .min(1.0);
                    let left = left
                        .mul_f64(share)
                        .max(std::time::Duration::from_millis(200));
                    let part_settings = SolveSettings {
                        log_to_console: part_settings.log_to_console && k == 0,
                        time_limit: left,
                        ..part_settings.clone()
                    };
                    // While this part runs, its incumbent and bound count with the finished parts.
                    let live = |incumbent: f64, bound: f64| {
                        if let Ok(mut l) = running.lock() {
                            l[i] = Some((incumbent, bound));
                        }
                        report(None);
                    };
                    // A panic inside the solver bindings becomes an error, never a crash.
                    let r =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match solve_one(
                            input,
                            &part_settings,
                            on_progress.map(|_| &live as &(dyn Fn(f64, f64) + Sync)),
                        ) {
                            Err(SolveError::Exported) => solve_one(
                                input,
                                &SolveSettings {
                                    export_mps: None,
                                    ..part_settings.clone()
                                },
                                None,
                            ),
                            other => other,
                        }))
                        .unwrap_or_else(|_| {
                            Err(SolveError::Solver(
                                "the solver panicked on this problem".into(),
                            ))
                        });
                    if let Ok(mut l) = running.lock() {
                        l[i] = None;
                    }
                    report(Some((i, r)));
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| SolveError::Solver("a solver thread panicked".into()))?;
    let mut assignments = vec![];
    let (mut objective, mut bound) = (0.0, 0.0);
    let (mut variables, mut constraints, mut pruned) = (0, 0, 0);
    let mut status = SolveStatus::Optimal;
    for r in results {
        let solved = r.ok_or_else(|| SolveError::Solver("a part was not solved".into()))??;
        assignments.extend(solved.roster.assignments);
        objective += solved.report.solver_objective;
        bound += solved.report.best_bound;
        variables += solved.report.variables;
        pruned += solved.report.pruned_candidates;
        constraints += solved.report.constraints;
        if solved.report.status != SolveStatus::Optimal {
            status = solved.report.status;
        }
    }
    let roster = Roster::new(assignments);
    let mut report = build_report(input.problem, &roster, input.previous, &settings.weights);
    report.status = status;
    report.solver_objective = objective;
    report.best_bound = bound;
    report.gap = if objective.abs() > 1e-9 {
        ((objective - bound) / objective.abs()).max(0.0)
    } else {
        0.0
    };
    report.solve_seconds = started.elapsed().as_secs_f64();
    report.variables = variables;
    report.constraints = constraints;
    report.parts = parts.len();
    report.pruned_candidates = pruned;
    Ok(Solved { roster, report })
}

#[cfg(test)]
mod progress_tests {
    use super::parse_progress_line;

    #[test]
    fn progress_lines_of_the_highs_log_give_bound_and_incumbent() {
        assert_eq!(
            parse_progress_line(
                " R       0       0         0   0.00%   48.123          52.1               7.63%        0      0      0      1234     0.3s"
            ),
            Some((48.123, 52.1))
        );
        let none_yet = parse_progress_line(
            "         0       0         0   0.00%   0               inf                  inf        0      0      0         0     0.0s",
        )
        .unwrap();
        assert_eq!(none_yet.0, 0.0);
        assert!(none_yet.1.is_infinite());
        assert_eq!(
            parse_progress_line("Src  Proc. InQueue |  Leaves   Expl. | BestBound"),
            None
        );
        assert_eq!(parse_progress_line("Solving report"), None);
    }
}
