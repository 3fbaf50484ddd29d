//! Solves a fixture and prints the report summary: `cargo run --release -p zhiban-solver --example solve_fixture -- guangzhou 1`.

#![allow(clippy::unwrap_used)]

use std::time::Duration;
use zhiban_solver::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map(String::as_str).unwrap_or("guangzhou");
    let weeks: u32 = args.get(2).and_then(|w| w.parse().ok()).unwrap_or(1);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name);
    let ds = zhiban_dataset::read_dir(&dir, chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap())
        .unwrap();
    let centres: Vec<_> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let t = std::time::Instant::now();
    let problem = zhiban_domain::RosterProblem::build(&ds, &centres, from, weeks, vec![]).unwrap();
    println!(
        "build: {:.3}s, {} slots, {} lawyers",
        t.elapsed().as_secs_f64(),
        problem.slots.len(),
        problem.lawyers.len()
    );
    if args.iter().any(|a| a == "parts") {
        parts(&problem);
        return;
    }
    let settings = SolveSettings {
        time_limit: Duration::from_secs(60),
        log_to_console: args.iter().any(|a| a == "-v"),
        ..Default::default()
    };
    let solved = solve(
        SolveInput {
            problem: &problem,
            pins: &[],
            previous: None,
        },
        &settings,
    )
    .unwrap();
    let r = &solved.report;
    println!(
        "{:?} obj {:.2} bound {:.2} gap {:.5} time {:.3}s vars {} cons {} posts {}/{} backups {}/{} uncovered {}",
        r.status,
        r.solver_objective,
        r.best_bound,
        r.gap,
        r.solve_seconds,
        r.variables,
        r.constraints,
        r.evaluation.posts_filled,
        r.evaluation.posts_wanted,
        r.evaluation.backups_filled,
        r.evaluation.backups_wanted,
        r.evaluation.uncovered.len()
    );
    println!(
        "components {:?} total {:.2}",
        r.evaluation.components,
        r.evaluation.components.total()
    );
    println!("violations {}", check(&problem, &solved.roster).len());
    let spread = |e: &Evaluation| {
        let s = &e.spread;
        format!(
            "consecutive {} weekday {} ampm {} firm {}",
            s.consecutive_days, s.weekday_excess, s.half_day_excess, s.firm_consecutive
        )
    };
    println!("spread solver {}", spread(&r.evaluation));
    let t = std::time::Instant::now();
    let g = greedy(&problem, 100, 1, &settings.weights);
    let gr = build_report(&problem, &g, None, &settings.weights);
    println!(
        "greedy {:.3}s posts {}/{} backups {} total {:.2} violations {}",
        t.elapsed().as_secs_f64(),
        gr.evaluation.posts_filled,
        gr.evaluation.posts_wanted,
        gr.evaluation.backups_filled,
        gr.evaluation.components.total(),
        check(&problem, &g).len()
    );
    println!("spread greedy {}", spread(&gr.evaluation));
}

/// Per-part timings (`-- guangzhou 1 parts`).
#[allow(dead_code)]
fn parts(problem: &zhiban_domain::RosterProblem) {
    let mut all = zhiban_solver::parts::components(problem);
    all.sort_by_key(|p| std::cmp::Reverse(p.slots.len() * p.lawyers.len()));
    let n: usize = std::env::var("PARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(all.len());
    for part in all.into_iter().take(n) {
        let t = std::time::Instant::now();
        let mut settings = SolveSettings::default();
        if let Ok(v) = std::env::var("TL") {
            settings.time_limit = Duration::from_secs_f64(v.parse().unwrap());
        }
        settings.gap = 0.01;
        if let Ok(v) = std::env::var("FIRM") {
            settings.weights.firm_fairness = v.parse().unwrap();
        }
        if let Ok(v) = std::env::var("BL") {
            settings.weights.backup_load = v.parse().unwrap();
        }
        if let Ok(v) = std::env::var("TB") {
            settings.weights.tie_break = v.parse().unwrap();
        }
        if let Ok(v) = std::env::var("FAIR") {
            settings.weights.fairness_sum = v.parse().unwrap();
            settings.weights.fairness_max = v.parse().unwrap();
        }
        let s = solve(
            SolveInput {
                problem: &part,
                pins: &[],
                previous: None,
            },
            &settings,
        )
        .unwrap();
        println!(
            "part: {} slots {} lawyers centres {:?}: {:?} {:.3}s gap {:.6}",
            part.slots.len(),
            part.lawyers.len(),
            part.slots
                .iter()
                .map(|s| part.stations[s.station].centre_id.to_string())
                .collect::<std::collections::BTreeSet<_>>(),
            s.report.status,
            t.elapsed().as_secs_f64(),
            s.report.gap
        );
    }
}
