//! Independent parts and their scheduling: a problem splits into parts that share no
//! lawyer ([`components`]); the parts are solved side by side on a fixed number of worker
//! threads, smallest first, sharing the time limit, and their rosters and statistics are
//! combined into one [`Solved`]. [`Progress`] reports the finished parts and the running
//! ones' latest incumbents and bounds.

use crate::evaluate::evaluate;
use crate::model::{SolveError, SolveInput, Solved, solve_one};
use crate::report::{SolveReport, SolveStatus};
use crate::roster::{Assignment, Roster};
use crate::settings::SolveSettings;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use zhiban_domain::{HalfDay, LawyerId, RosterProblem, StationId};

/// Splits a problem into parts that share no lawyer (nor a station): centres that do not
/// share a pool (and whose lawyers are eligible nowhere else) are independent and are
/// solved apart.
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
    // A station's consecutive slots stay together: one firm on both is a term of the
    // objective (`FairnessPolicy::firm_consecutive`), whoever the lawyers are.
    let mut last_of_station: Vec<Option<usize>> = vec![None; problem.stations.len()];
    for (si, s) in problem.slots.iter().enumerate() {
        if let Some(prev) = last_of_station[s.station].replace(si) {
            let (a, b) = (find(&mut parent, si), find(&mut parent, prev));
            if a != b {
                parent[a] = b;
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
        .map(|slots| sub_problem(problem, &slots))
        .collect()
}

/// The part of `problem` made of `slots` and the lawyers eligible for them, renumbered.
fn sub_problem(problem: &RosterProblem, slots: &[usize]) -> RosterProblem {
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
    let ids: BTreeSet<&LawyerId> = sub.lawyers.iter().map(|l| &l.id).collect();
    sub.history.retain(|h| ids.contains(&h.lawyer_id));
    sub
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

impl From<Progress> for zhiban_domain::JobProgress {
    /// A figure not known yet (an infinite incumbent, a NaN gap) becomes `None`.
    fn from(p: Progress) -> Self {
        let known = |x: f64| x.is_finite().then_some(x);
        zhiban_domain::JobProgress {
            parts_total: p.parts_total,
            parts_done: p.parts_done,
            incumbent: known(p.incumbent),
            bound: known(p.bound),
            gap: known(p.gap),
            elapsed_seconds: known(p.elapsed_seconds),
        }
    }
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
    let scheduler = Scheduler::new(input, settings, on_progress, started, parts);
    std::thread::scope(|scope| {
        for _ in 0..scheduler.workers.min(scheduler.parts.len()) {
            scope.spawn(|| scheduler.work());
        }
    });
    scheduler.combine()
}

/// The parts of one solve and the state their worker threads share.
struct Scheduler<'a> {
    input: SolveInput<'a>,
    settings: &'a SolveSettings,
    on_progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    started: Instant,
    parts: Vec<RosterProblem>,
    /// Worker threads.
    workers: usize,
    /// The settings of each part, before its share of the time limit.
    part_settings: SolveSettings,
    /// Work of each part (its eligible pairs).
    work: Vec<usize>,
    /// Parts by increasing work: the order they are handed out in.
    order: Vec<usize>,
    /// The need (see [`need`]) of the parts not yet started, for sharing the time left.
    unstarted: AtomicUsize,
    /// The next position in `order` to hand out.
    next: AtomicUsize,
    /// Each finished part's result.
    results: Mutex<Vec<Option<Result<Solved, SolveError>>>>,
    /// Each running part's latest incumbent and bound.
    running: Mutex<Vec<Option<(f64, f64)>>>,
}

impl<'a> Scheduler<'a> {
    fn new(
        input: SolveInput<'a>,
        settings: &'a SolveSettings,
        on_progress: Option<&'a (dyn Fn(Progress) + Sync)>,
        started: Instant,
        parts: Vec<RosterProblem>,
    ) -> Self {
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
        // Smallest parts first, handed out to a fixed number of worker threads, each with a
        // share of the time left by its need (see `time_share`); a part that stops at its gap
        // passes what it does not use to the larger parts after it.
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
        order.sort_by_key(|&i| work[i]);
        let n = parts.len();
        Scheduler {
            input,
            settings,
            on_progress,
            started,
            workers,
            part_settings,
            unstarted: AtomicUsize::new(work.iter().map(|&w| need(w)).sum()),
            next: AtomicUsize::new(0),
            work,
            order,
            results: Mutex::new(vec![None; n]),
            running: Mutex::new(vec![None; n]),
            parts,
        }
    }

    /// One worker: takes the next part until none is left.
    fn work(&self) {
        loop {
            let k = self.next.fetch_add(1, Ordering::SeqCst);
            let Some(&i) = self.order.get(k) else { break };
            let r = self.solve_part(k, i);
            if let Ok(mut l) = self.running.lock() {
                l[i] = None;
            }
            self.record(Some((i, r)));
        }
    }

    /// Solves part `i`, the `k`-th handed out, with its pins, previous version and share of
    /// the time left.
    fn solve_part(&self, k: usize, i: usize) -> Result<Solved, SolveError> {
        let part = &self.parts[i];
        let ids: BTreeSet<(&StationId, chrono::NaiveDate, HalfDay)> = part
            .slots
            .iter()
            .map(|s| (&s.station_id, s.date, s.half_day))
            .collect();
        let mine = |a: &&Assignment| ids.contains(&(&a.station_id, a.date, a.half_day));
        let pins: Vec<Assignment> = self.input.pins.iter().filter(mine).cloned().collect();
        let previous = self
            .input
            .previous
            .map(|r| Roster::new(r.assignments.iter().filter(mine).cloned()));
        let input = SolveInput {
            problem: part,
            pins: &pins,
            previous: previous.as_ref(),
        };
        // HiGHS's progress log, when asked for, follows the largest part only. The time left
        // is shared by the parts not yet started (see `time_share`).
        let mine = need(self.work[i]);
        let rest = self.unstarted.fetch_sub(mine, Ordering::SeqCst);
        let left = self
            .settings
            .time_limit
            .saturating_sub(self.started.elapsed());
        let workers = self.workers.min(self.parts.len());
        let share = time_share(mine, rest, workers);
        let left = left.mul_f64(share).max(Duration::from_millis(200));
        let part_settings = SolveSettings {
            log_to_console: self.part_settings.log_to_console && k + 1 == self.parts.len(),
            time_limit: left,
            ..self.part_settings.clone()
        };
        // While this part runs, its incumbent and bound count with the finished parts.
        let live = |incumbent: f64, bound: f64| {
            if let Ok(mut l) = self.running.lock() {
                l[i] = Some((incumbent, bound));
            }
            self.record(None);
        };
        // A panic inside the solver bindings becomes an error, never a crash.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            match solve_one(
                input,
                &part_settings,
                self.on_progress
                    .map(|_| &live as &(dyn Fn(f64, f64) + Sync)),
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
            }
        }))
        .unwrap_or_else(|_| {
            Err(SolveError::Solver(
                "the solver panicked on this problem".into(),
            ))
        })
    }

    /// Records a finished part (if any) and reports progress: finished parts' objectives and
    /// bounds plus the running parts' latest incumbents and bounds from HiGHS's log.
    fn record(&self, finished: Option<(usize, Result<Solved, SolveError>)>) {
        let Ok(mut all) = self.results.lock() else {
            return;
        };
        if let Some((i, r)) = finished {
            all[i] = Some(r);
        }
        let (mut done, mut inc, mut bound) = (0, 0.0, 0.0);
        for s in all.iter().flatten().flatten() {
            done += 1;
            inc += s.report.solver_objective;
            bound += s.report.best_bound;
        }
        if let Ok(l) = self.running.lock() {
            let (i, b) = running_sums(&l);
            inc += i;
            bound += b;
        }
        let Some(on_progress) = self.on_progress else {
            return;
        };
        on_progress(Progress {
            parts_total: self.parts.len(),
            parts_done: done,
            incumbent: inc,
            bound,
            gap: summed_gap(inc, bound),
            elapsed_seconds: self.started.elapsed().as_secs_f64(),
        });
    }

    /// One roster and one report from the parts' results: the first error, or the rosters
    /// joined with the parts' statistics summed and the whole roster evaluated.
    fn combine(self) -> Result<Solved, SolveError> {
        let results = self
            .results
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
        let evaluation = evaluate(
            self.input.problem,
            &roster,
            self.input.previous,
            &self.settings.weights,
        );
        let report = SolveReport {
            status,
            solver_objective: objective,
            best_bound: bound,
            gap: summed_gap(objective, bound),
            solve_seconds: self.started.elapsed().as_secs_f64(),
            variables,
            constraints,
            parts: self.parts.len(),
            pruned_candidates: pruned,
            evaluation,
        };
        Ok(Solved { roster, report })
    }
}

/// A part's need of time: the square root of its work (its eligible pairs), in thousandths.
///
/// Time to a good roster grows far slower than the pairs. Measured on the province's month
/// with the spread terms (66 centres of about 10,000 pairs, 6 pools of about 650,000 to
/// 760,000, 120 s, two workers): a centre leaves its greedy roster within 1 to 2 s and is
/// near its bound by 3 s; a pool needs about 8 s of pricing and as much again of MILP
/// before its roster is far below the greedy one. Ten times the pairs, about three times
/// the time: the square root. Shares by work alone gave the centres 0.2 to 0.4 s (rosters 5
/// to 10 times their optimum); shares with an equal share as floor gave each pool 2 to 4 s
/// (greedy-level rosters: objective 22,439); see benches/README.md for this rule's figures.
fn need(work: usize) -> usize {
    ((work as f64).sqrt() * 1000.0).round() as usize
}

/// The share of the time left that a part of need `need` (see [`need`]) gets when parts of
/// `rest_need` (its own included) are not yet started, on `workers` threads: its share of
/// the need left, times the workers, at most all of it. A part that finishes early leaves
/// its time to the parts after it, since each share is taken of the time left.
fn time_share(need: usize, rest_need: usize, workers: usize) -> f64 {
    (workers.max(1) as f64 * need as f64 / rest_need.max(1) as f64).min(1.0)
}

/// The incumbents and bounds of the running parts, summed: a part counts once it has both
/// (its bound without its incumbent could pass the summed incumbent and show a gap of 0).
fn running_sums(running: &[Option<(f64, f64)>]) -> (f64, f64) {
    running
        .iter()
        .flatten()
        .filter(|(i, b)| i.is_finite() && b.is_finite())
        .fold((0.0, 0.0), |(si, sb), (i, b)| (si + i, sb + b))
}

/// The relative gap of objectives and bounds summed over parts: 0 when the objective is 0.
/// Unlike a single part's gap, it is not infinite without a bound (a NaN bound gives 0).
fn summed_gap(objective: f64, bound: f64) -> f64 {
    if objective.abs() > 1e-9 {
        ((objective - bound) / objective.abs()).max(0.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::{need, running_sums, summed_gap, time_share};

    #[test]
    fn a_running_part_counts_only_with_both_its_incumbent_and_its_bound() {
        let running = [
            Some((100.0, 90.0)),
            // Pricing's lean relaxations without a greedy roster: a bound, no incumbent.
            Some((f64::INFINITY, 500.0)),
            Some((50.0, f64::NEG_INFINITY)),
            None,
            Some((10.0, 10.0)),
        ];
        assert_eq!(running_sums(&running), (110.0, 100.0));
        let (inc, bound) = running_sums(&running);
        assert!(summed_gap(inc, bound) > 0.0);
        assert_eq!(running_sums(&[]), (0.0, 0.0));
    }

    #[test]
    fn a_lone_part_gets_all_the_time_and_so_does_the_last() {
        assert_eq!(time_share(500, 500, 1), 1.0);
        assert_eq!(time_share(500, 500, 2), 1.0);
        assert_eq!(time_share(10, 20, 2), 1.0);
        assert!((time_share(10, 20, 1) - 0.5).abs() < 1e-12);
        assert_eq!(time_share(0, 0, 0), 0.0);
    }

    #[test]
    fn need_grows_as_the_square_root_of_work() {
        assert_eq!(need(0), 0);
        assert_eq!(need(1), 1000);
        assert_eq!(need(10_000), 100_000);
        assert_eq!(need(1_000_000), 1_000_000);
        // Four times the pairs, twice the need.
        assert_eq!(need(40_000), 2 * need(10_000));
    }

    #[test]
    fn province_month_centres_get_seconds_and_pools_a_large_share() {
        // A province month: 66 centres of 10,000 pairs, 6 pools of 640,000, two workers.
        let (small, pool) = (need(10_000), need(640_000));
        assert_eq!(pool, 8 * small);
        let total = 66 * small + 6 * pool;
        // The first centre: 2 of 114 centre-equivalents (about 2.1 s of 120).
        assert!((time_share(small, total, 2) - 2.0 / 114.0).abs() < 1e-12);
        // The pools, after the centres: a third each for the first two, then of what is left.
        assert!((time_share(pool, 6 * pool, 2) - 2.0 / 6.0).abs() < 1e-12);
        assert!((time_share(pool, 2 * pool, 2) - 1.0).abs() < 1e-12);
        // A pool gets eight times a centre's share of the same time left.
        let (a, b) = (time_share(small, total, 2), time_share(pool, total, 2));
        assert!((b / a - 8.0).abs() < 1e-9);
    }
}
