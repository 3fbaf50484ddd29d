//! The MILP: variables only for eligible, available (lawyer, slot, role) triples.

use crate::fair::{band, fair_shares};
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

    fn add_pair(&mut self, lawyer: usize, slot: usize, role: Role, fixed: bool) {
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

    let mut m = Model::new();
    // Decision variables: eligible, available lawyers; on very large pools only the
    // `max_candidates` nearest to the station (pinned and previous assignees always stay).
    let mut pruned = 0usize;
    for (si, s) in p.slots.iter().enumerate() {
        let mut candidates: Vec<usize> = s
            .eligible
            .iter()
            .copied()
            .filter(|&l| p.lawyers[l].is_available(s.date, s.half_day))
            .collect();
        let k = settings.max_candidates;
        if k > 0 && candidates.len() > k {
            let at = p.stations[s.station].location;
            let keep = |l: usize| {
                [Role::Primary, Role::Backup]
                    .iter()
                    .any(|&r| pinned.contains(&(si, l, r)) || previous.contains(&(si, l, r)))
            };
            candidates.sort_by(|&a, &b| {
                let key = |l: usize| {
                    (
                        !keep(l),
                        p.lawyers[l].base.distance_m(&at),
                        tie_break(
                            &p.lawyers[l].id,
                            &s.station_id,
                            s.date,
                            s.half_day,
                            Role::Primary,
                        ),
                    )
                };
                key(a)
                    .partial_cmp(&key(b))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let keep_n = k.max(candidates.iter().filter(|&&l| keep(l)).count());
            pruned += candidates.len() - keep_n;
            candidates.truncate(keep_n);
            candidates.sort_unstable();
        }
        for l in candidates {
            m.add_pair(
                l,
                si,
                Role::Primary,
                pinned.contains(&(si, l, Role::Primary)),
            );
            if s.backups > 0 {
                m.add_pair(l, si, Role::Backup, pinned.contains(&(si, l, Role::Backup)));
            }
        }
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
            m.constraints.push((filled + ub).eq(f64::from(s.backups)));
            m.objective += w.backup * ub;
        }
    }

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
        for idx in half.values().filter(|v| v.len() > 1) {
            let e = m.sum(idx);
            m.constraints.push(e.leq(1.0));
        }
        for (d, idx) in &day {
            if idx.len() as u32 > law.limits.per_day {
                let e = m.sum(idx);
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
                            here.distance_m(&p.stations[p.slots[m.pairs[i].slot].station].location)
                                > km_limit * 1000.0
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
            let _ = d;
        }
        for (k, idx) in &week {
            let cap = law
                .limits
                .per_week
                .saturating_sub(hist_week.get(&(l, *k)).copied().unwrap_or(0));
            if idx.len() as u32 > cap {
                let e = m.sum(idx);
                m.constraints.push(e.leq(f64::from(cap)));
            }
        }
        for (k, idx) in &month {
            let cap = law
                .limits
                .per_month
                .saturating_sub(hist_month.get(&(l, *k)).copied().unwrap_or(0));
            if idx.len() as u32 > cap {
                let e = m.sum(idx);
                m.constraints.push(e.leq(f64::from(cap)));
            }
        }
    }

    // (c) lawyer fairness and (d) firm fairness.
    let shares = fair_shares(p, &w);
    let (zmax, zcol) = m.add_var(variable().min(0.0));
    m.starts.push((zcol, StartCol::Zmax));
    let mut firm_lawyers: BTreeMap<&zhiban_domain::FirmId, Vec<usize>> = BTreeMap::new();
    m.objective += w.fairness_max * zmax;
    let mut firm_load: BTreeMap<&zhiban_domain::FirmId, Expression> = BTreeMap::new();
    for (l, law) in p.lawyers.iter().enumerate() {
        let load: Expression = by_lawyer[l]
            .iter()
            .map(|&i| {
                let f = if m.pairs[i].role == Role::Primary {
                    1.0
                } else {
                    w.backup_load
                };
                f * m.pairs[i].var
            })
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
        firm_lawyers.entry(&law.firm_id).or_default().push(l);
        m.constraints
            .push((load.clone() - over).leq(hi - shares.history[l]));
        m.constraints
            .push((load.clone() + under).geq(lo - shares.history[l]));
        m.constraints
            .push((Expression::from(over) + under - zmax).leq(0.0));
        m.objective += w.fairness_sum * (over + under);
        *firm_load
            .entry(&law.firm_id)
            .or_insert_with(|| Expression::from(0.0)) += load + shares.history[l];
    }
    for (firm, load) in firm_load {
        let (lo, hi) = band(shares.firm_target[firm]);
        let (over, ocol) = m.add_var(variable().min(0.0));
        let (under, ucol) = m.add_var(variable().min(0.0));
        let members = firm_lawyers.get(firm).cloned().unwrap_or_default();
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
        m.constraints.push((load.clone() - over).leq(hi));
        m.constraints.push((load + under).geq(lo));
        m.objective += w.firm_fairness * (over + under);
    }

    // (e) preferences, (f) travel, (g) stability.
    let pair_costs: Vec<(Variable, f64)> = m
        .pairs
        .iter()
        .map(|pr| {
            let s = &p.slots[pr.slot];
            let law = &p.lawyers[pr.lawyer];
            let st = &p.stations[s.station];
            let mut cost = w.preference * f64::from(law.unmet_wishes(&st.id, s.date.weekday()));
            cost += w.distance_per_km * law.base.distance_m(&st.location) / 1000.0;
            cost += w.tie_break * tie_break(&law.id, &s.station_id, s.date, s.half_day, pr.role);
            if input.previous.is_some() {
                // Keeping a previous assignment saves a change; adding a new one makes one.
                cost += if previous.contains(&(pr.slot, pr.lawyer, pr.role)) {
                    -w.stability
                } else {
                    w.stability
                };
            }
            (pr.var, cost)
        })
        .collect();
    for (v, c) in pair_costs {
        if c != 0.0 {
            m.objective += c * v;
        }
    }

    // A warm start from the greedy baseline: the solver begins with a complete roster and
    // spends its time improving and proving, which matters on province-scale problems.
    let start = if input.pins.is_empty() && input.previous.is_none() && settings.warm_start {
        Some(warm_start(p, &m, &w))
    } else {
        None
    };
    let (start, greedy_roster) = match start {
        Some((x, r)) => (Some(x), Some(r)),
        None => (None, None),
    };
    let variables = m.cols;
    let constraints_count = m.constraints.len();
    let Model {
        vars,
        pairs,
        constraints,
        objective,
        ..
    } = m;
    let mut lp = vars.minimise(objective).using(highs);
    for c in constraints {
        good_lp::SolverModel::add_constraint(&mut lp, c);
    }
    let mut model = lp
        .try_into_inner()
        .map_err(|e| SolveError::Solver(e.to_string()))?;
    // The limit covers building the model and the warm start too, not only HiGHS.
    let left = settings
        .time_limit
        .saturating_sub(started.elapsed())
        .max(std::time::Duration::from_millis(100));
    model.set_option("time_limit", left.as_secs_f64());
    model.set_option("mip_rel_gap", settings.gap);
    if settings.threads > 0 {
        model.set_option(
            "threads",
            i32::try_from(settings.threads).unwrap_or(i32::MAX),
        );
    }
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
    let solve_status = match status {
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
    let gap = solved.mip_gap();
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .unwrap_or(f64::NAN);
    let mut objective = solved.objective_value();
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
    let mut report = build_report(p, &roster, input.previous, &w);
    report.status = solve_status;
    report.solver_objective = objective;
    report.best_bound = bound;
    report.gap = if gap.is_finite() {
        gap
    } else if solve_status == SolveStatus::Optimal {
        0.0
    } else {
        f64::INFINITY
    };
    report.solve_seconds = elapsed;
    report.variables = variables;
    report.constraints = constraints_count;
    report.pruned_candidates = pruned;
    Ok(Solved { roster, report })
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
fn warm_start(p: &RosterProblem, m: &Model, w: &crate::settings::Weights) -> (Vec<f64>, Roster) {
    let work: usize = p.slots.iter().map(|s| s.eligible.len()).sum();
    let attempts = if work < 50_000 { 20 } else { 2 };
    let roster = crate::greedy::greedy(p, attempts, 1, w);
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
    (x, roster)
}

/// A fixed pseudo-random number in [0, 1) per (lawyer, slot, role). Equal choices (two
/// lawyers of one firm, same office, same load) would otherwise leave the optimiser a huge
/// number of equivalent rosters to tell apart; a tiny cost per pair makes one of them the
/// optimum, which both speeds the proof and makes the result reproducible.
pub(crate) fn tie_break(
    lawyer: &zhiban_domain::LawyerId,
    station: &zhiban_domain::StationId,
    date: chrono::NaiveDate,
    half: HalfDay,
    role: Role,
) -> f64 {
    // FNV-1a over the identifying text: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let text = format!("{lawyer}|{station}|{date}|{half}|{role:?}");
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 11) as f64 / (1u64 << 53) as f64
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
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(parts[i].slots.len() * parts[i].lawyers.len()));
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
                    // HiGHS's progress log, when asked for, follows the largest part only; all
                    // parts share one deadline.
                    let left = settings
                        .time_limit
                        .saturating_sub(started.elapsed())
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
