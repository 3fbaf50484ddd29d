//! HiGHS glue: the model handed over, its options, the solve with live progress read from
//! HiGHS's log, and its status mapped to ours.

use super::{Model, Pair, SolveError};
use crate::report::SolveStatus;
use crate::settings::SolveSettings;
use good_lp::solvers::highs::highs;
use highs::{HighsModelStatus, HighsSolutionStatus, SolvedModel};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

impl Model {
    /// The model as HiGHS's (threads set unless 0: HiGHS's default), and its pairs.
    pub(super) fn into_highs(self, threads: u32) -> Result<(highs::Model, Vec<Pair>), SolveError> {
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
}

/// Solves the MILP `model` within what is left of the time limit since `started`, from the
/// warm start `start` if any, calling `live(incumbent, bound)` as HiGHS logs progress.
///
/// `priced` (the model holds a subset of the pairs) halves the gap target: HiGHS's gap is
/// against the subset's bound, and the gap against the bound for every pair must meet it.
/// `presolve` runs HiGHS's presolve first (see below for where it does not pay).
/// With `settings.export_mps` HiGHS writes the model and stops: [`SolveError::Exported`].
pub(super) fn solve_milp(
    mut model: highs::Model,
    settings: &SolveSettings,
    priced: bool,
    presolve: bool,
    start: Option<&[f64]>,
    started: Instant,
    live: Option<&(dyn Fn(f64, f64) + Sync)>,
) -> Result<SolvedModel, SolveError> {
    // The limit covers building the model and the warm start too, not only HiGHS.
    let left = settings
        .time_limit
        .saturating_sub(started.elapsed())
        .max(Duration::from_millis(100));
    model.set_option("time_limit", left.as_secs_f64());
    model.set_option(
        "mip_rel_gap",
        if priced {
            settings.gap / 2.0
        } else {
            settings.gap
        },
    );
    // Live progress: HiGHS writes its MIP log to a file that a watcher thread reads, as
    // bindings to its callbacks would need unsafe code.
    let log_path = live.map(|_| log_file());
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
    // Callers turn presolve off on models over a subset of the pairs (pricing's subset,
    // every part's rounding MILP): there it has little to remove (a province pool's: no
    // column of 87,000, a quarter of the rows), and HiGHS's presolve does not stop at the
    // time limit: on that pool it took 4 s of a 6 s share, and the parts after it lost what
    // it overran. Without it the feasibility jump starts at once: the province month's pools
    // 3,132 → 1,688 in the same 120 s. With presolve on for these models, the classic
    // province 26 weeks ended at 9.7% against 9.8% without, one run each (benches/README.md).
    if !presolve {
        model.set_option("presolve", "off");
    }
    if let Some(start) = start {
        model.set_solution(Some(start), None, None, None);
    }

    let stop = AtomicBool::new(false);
    let solved = std::thread::scope(|scope| {
        if let (Some(path), Some(live)) = (&log_path, live) {
            let stop = &stop;
            scope.spawn(move || watch_log(path, live, stop));
        }
        let r = model.try_solve();
        stop.store(true, Ordering::SeqCst);
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
    Ok(solved)
}

/// A fresh path in the temporary folder for one solve's HiGHS log.
fn log_file() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "zhiban-highs-{}-{}.log",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ))
}

/// How a MILP solve ended, and whether it has a solution; infeasibility, running out of
/// time with no roster at all (`fallback`: none to fall back on) and failures are errors.
pub(super) fn status(
    solved: &SolvedModel,
    fallback: bool,
    settings: &SolveSettings,
) -> Result<(SolveStatus, bool), SolveError> {
    let has_solution = solved.primal_solution_status() == HighsSolutionStatus::Feasible;
    let status = match solved.status() {
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
        HighsModelStatus::ReachedTimeLimit if fallback => SolveStatus::TimeLimit,
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
    Ok((status, has_solution))
}

/// (objective - bound) / |objective|, 0 when both are 0, infinite without a bound.
pub(super) fn relative_gap(objective: f64, bound: f64) -> f64 {
    if !bound.is_finite() {
        f64::INFINITY
    } else if objective.abs() > 1e-9 {
        ((objective - bound) / objective.abs()).max(0.0)
    } else {
        0.0
    }
}

/// Follows a HiGHS log file, calling `live(incumbent, bound)` for each progress line,
/// until `stop` is set.
fn watch_log(path: &Path, live: &(dyn Fn(f64, f64) + Sync), stop: &AtomicBool) {
    let mut seen = 0usize;
    loop {
        let done = stop.load(Ordering::SeqCst);
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
        std::thread::sleep(Duration::from_millis(200));
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
