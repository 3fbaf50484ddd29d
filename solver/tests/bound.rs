//! The reported bound and gap are true: a penalty every roster pays (a slot nobody is
//! eligible for, a lawyer who can take no duty yet owes a fair share) is in the bound as well
//! as in the objective, whether the problem is solved whole, in parts, or by pricing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use proptest::prelude::*;
use zhiban_domain::*;
use zhiban_solver::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn small() -> Dataset {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/small");
    zhiban_dataset::read_dir(&dir, d("2026-11-21")).unwrap()
}

/// `fixtures/small` with Friday PM at the court needing Mongolian, which nobody speaks
/// (the row `CH-FY,fri,pm,1,0,,mn,0`).
fn small_with_a_slot_nobody_can_take() -> Dataset {
    let mut ds = small();
    let mut row = ds
        .demand
        .iter()
        .find(|r| r.station_id.as_str() == "CH-FY")
        .unwrap()
        .clone();
    row.weekday = chrono::Weekday::Fri;
    row.half_day = HalfDay::Pm;
    row.lawyers = 1;
    row.backups = 0;
    row.skills = vec![];
    row.languages = vec!["mn".into()];
    row.min_years = 0;
    ds.demand.push(row);
    ds
}

fn settings_variants() -> Vec<(&'static str, SolveSettings)> {
    vec![
        ("default", SolveSettings::default()),
        (
            "whole",
            SolveSettings {
                decompose: false,
                ..SolveSettings::default()
            },
        ),
        (
            "pricing",
            SolveSettings {
                max_candidates: 1,
                ..SolveSettings::default()
            },
        ),
        (
            "pricing, whole",
            SolveSettings {
                max_candidates: 1,
                decompose: false,
                ..SolveSettings::default()
            },
        ),
        (
            "no warm start",
            SolveSettings {
                warm_start: false,
                ..SolveSettings::default()
            },
        ),
        (
            "rounded from the relaxation",
            SolveSettings {
                rounding_pairs: 0,
                ..SolveSettings::default()
            },
        ),
        (
            "pricing, rounded",
            SolveSettings {
                max_candidates: 1,
                rounding_pairs: 0,
                ..SolveSettings::default()
            },
        ),
    ]
}

fn assert_true_bound(name: &str, problem: &RosterProblem, s: &SolveSettings) -> Solved {
    let solved = solve(
        SolveInput {
            problem,
            pins: &[],
            previous: None,
        },
        s,
    )
    .unwrap();
    let r = &solved.report;
    assert!(check(problem, &solved.roster).is_empty(), "{name}");
    assert_eq!(r.status, SolveStatus::Optimal, "{name}");
    // The objective the solver saw is the roster's own score.
    assert!(
        (r.solver_objective - r.evaluation.components.total()).abs()
            <= 1e-6 * r.evaluation.components.total().max(1.0),
        "{name}: solver {} vs components {}",
        r.solver_objective,
        r.evaluation.components.total()
    );
    assert!(
        r.best_bound <= r.solver_objective + 1e-6 * r.solver_objective.abs().max(1.0),
        "{name}: bound {} above objective {}",
        r.best_bound,
        r.solver_objective
    );
    assert!(
        r.gap <= s.gap + 1e-9,
        "{name}: objective {:.3}, bound {:.3}, gap {:.4}%",
        r.solver_objective,
        r.best_bound,
        r.gap * 100.0
    );
    solved
}

#[test]
fn a_slot_nobody_is_eligible_for_counts_in_the_bound_as_well_as_the_objective() {
    let ds = small_with_a_slot_nobody_can_take();
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 1, vec![]).unwrap();
    assert!(problem.slots.iter().any(|s| s.eligible.is_empty()));
    for (name, s) in settings_variants() {
        let solved = assert_true_bound(name, &problem, &s);
        let r = &solved.report;
        // The unfillable court half-day: coverage weight × (1 + priority 2).
        assert!(
            r.evaluation.components.coverage >= 30_000.0,
            "{name}: {r:?}"
        );
        assert!(
            r.best_bound >= r.evaluation.components.coverage,
            "{name}: the penalty every roster pays is left out of the bound {}",
            r.best_bound
        );
        assert!(
            (r.solver_objective - r.best_bound).abs() <= 1e-4 * r.solver_objective,
            "{name}: objective {:.3}, bound {:.3}",
            r.solver_objective,
            r.best_bound
        );
    }
}

#[test]
fn the_bound_stays_true_over_two_weeks_with_history_and_scarce_lawyers() {
    // The detention centre needs Cantonese (fewer lawyers, so slots go short for other
    // reasons too) and history moves the fair shares; the slot nobody can take stays.
    let mut ds = small_with_a_slot_nobody_can_take();
    for r in &mut ds.demand {
        if r.station_id.as_str() == "CH-KSS" {
            r.languages = vec!["yue".into()];
        }
    }
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let history: Vec<PastDuty> = ["CH-L02", "CH-L07", "CH-L07"]
        .iter()
        .enumerate()
        .map(|(i, l)| PastDuty {
            lawyer_id: LawyerId::parse(l).unwrap(),
            station_id: StationId::parse("CH-KSS").unwrap(),
            date: d("2026-11-16") + chrono::Duration::days(i as i64),
            half_day: HalfDay::Am,
        })
        .collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 2, history).unwrap();
    for (name, s) in settings_variants() {
        assert_true_bound(name, &problem, &s);
    }
}

#[test]
fn re_planning_counts_the_changes_from_the_previous_version_in_objective_and_bound() {
    // The pairs' costs count a kept assignment as a saving (-stability) and a new one as a
    // change (+stability); a dropped one costs stability too, a constant of every roster.
    let ds = small();
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 1, vec![]).unwrap();
    let first = assert_true_bound("first", &problem, &SolveSettings::default());
    // The lawyer with the most duties is out all week: their duties must move.
    let out = first
        .report
        .evaluation
        .lawyers
        .iter()
        .max_by_key(|l| l.primary + l.backup)
        .unwrap()
        .lawyer_id
        .clone();
    let mut changed = problem.clone();
    let l = changed.lawyers.iter_mut().find(|l| l.id == out).unwrap();
    for s in &problem.slots {
        l.unavailable.insert((s.date, s.half_day));
    }
    for (name, s) in settings_variants() {
        let solved = solve(
            SolveInput {
                problem: &changed,
                pins: &[],
                previous: Some(&first.roster),
            },
            &s,
        )
        .unwrap();
        let r = &solved.report;
        assert!(r.evaluation.components.stability > 0.0, "{name}: {r:?}");
        assert!(
            (r.solver_objective - r.evaluation.components.total()).abs()
                <= 1e-6 * r.evaluation.components.total(),
            "{name}: solver {} vs the roster's score {}",
            r.solver_objective,
            r.evaluation.components.total()
        );
        assert!(
            r.best_bound <= r.solver_objective + 1e-6 * r.solver_objective,
            "{name}"
        );
        assert!(
            r.best_bound >= r.evaluation.components.coverage,
            "{name}: {r:?}"
        );
        assert!(r.gap <= s.gap + 1e-9, "{name}: {r:?}");
    }
}

/// A roster rounded from the relaxation (the MILP over the pairs the relaxation uses) ends a
/// part only within the gap of a bound for every pair: on Baotou's fortnight, solved whole
/// and by pricing, the rounded solve's bound is no higher than the full MILP's roster and
/// the other way round, and the rounded roster is as good within the gap.
#[test]
fn a_roster_rounded_from_the_relaxation_is_proven_against_a_bound_for_every_pair() {
    let ds = zhiban_fixtures::baotou();
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 2, vec![]).unwrap();
    let gap = 1e-4;
    for pricing in [0, 2] {
        let run = |rounding_pairs| {
            let s = SolveSettings {
                max_candidates: pricing,
                rounding_pairs,
                gap,
                ..SolveSettings::default()
            };
            let input = SolveInput {
                problem: &problem,
                pins: &[],
                previous: None,
            };
            let solved = solve(input, &s).unwrap();
            let r = &solved.report;
            assert!(check(&problem, &solved.roster).is_empty());
            let total = r.evaluation.components.total();
            assert!((r.solver_objective - total).abs() <= 1e-6 * total.max(1.0));
            // Optimal is claimed exactly when the roster is within the gap of the bound.
            assert_eq!(
                r.status == SolveStatus::Optimal,
                r.gap <= gap + 1e-12,
                "{r:?}"
            );
            solved.report
        };
        let (r, f) = (run(0), run(usize::MAX));
        let tol = 1e-6 * f.solver_objective.abs().max(1.0);
        assert!(r.best_bound <= f.solver_objective + tol, "{r:?} vs {f:?}");
        assert!(f.best_bound <= r.solver_objective + tol, "{r:?} vs {f:?}");
        assert!(
            r.solver_objective <= f.solver_objective * (1.0 + 2.0 * gap) + tol,
            "pricing {pricing}: rounded {} vs full {}",
            r.solver_objective,
            f.solver_objective
        );
        if pricing == 0 {
            // Solved whole, the relaxation over every pair bounds it: the rounded MILP
            // ends the parts, holding fewer columns than the full one.
            assert_eq!(r.status, SolveStatus::Optimal);
            assert!(
                r.variables < f.variables,
                "{} vs {}",
                r.variables,
                f.variables
            );
        }
    }
}

/// Pins with pricing: the pinned pairs are in every model pricing builds and in the
/// roster, and the priced bound stays below the pinned problem's optimum (solved whole,
/// every pair, no rounding), which the priced roster reaches within the gap.
#[test]
fn pinned_pairs_priced_keep_the_bound_true_and_stay_in_the_roster() {
    let ds = small();
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 2, vec![]).unwrap();
    let free = SolveInput {
        problem: &problem,
        pins: &[],
        previous: None,
    };
    let gap = 1e-4;
    // The references are proven optima (gap 0), so a bound above them shows.
    let exact = SolveSettings {
        rounding_pairs: usize::MAX,
        gap: 0.0,
        ..SolveSettings::default()
    };
    let optimum = solve(free, &exact).unwrap();
    // Pins from a roster that keeps the hard rules (the greedy one), where it differs
    // from the optimum: they move the optimum and cost something.
    let w = SolveSettings::default().weights;
    let theirs = greedy(&problem, 1, 1, &w);
    let pins: Vec<Assignment> = theirs
        .assignments
        .iter()
        .filter(|a| !optimum.roster.assignments.contains(a))
        .take(4)
        .cloned()
        .collect();
    assert!(
        pins.len() >= 2,
        "the greedy roster differs from the optimum"
    );
    let input = SolveInput {
        problem: &problem,
        pins: &pins,
        previous: None,
    };
    let whole = solve(input, &exact).unwrap();
    assert_eq!(whole.report.status, SolveStatus::Optimal);
    assert!(whole.report.solver_objective >= optimum.report.solver_objective - 1e-6);
    for (name, s) in [
        (
            "pricing",
            SolveSettings {
                max_candidates: 1,
                gap,
                ..SolveSettings::default()
            },
        ),
        (
            "pricing, whole problem",
            SolveSettings {
                max_candidates: 1,
                decompose: false,
                gap,
                ..SolveSettings::default()
            },
        ),
    ] {
        let priced = solve(input, &s).unwrap();
        let r = &priced.report;
        assert!(r.pruned_candidates > 0, "{name}: pricing left pairs out");
        assert!(
            check_with_pins(&problem, &priced.roster, &pins).is_empty(),
            "{name}"
        );
        for a in &pins {
            assert!(priced.roster.assignments.contains(a), "{name}: {a:?} kept");
        }
        let best = whole.report.solver_objective;
        let tol = 1e-6 * best.abs().max(1.0);
        assert!(
            r.best_bound <= best + tol,
            "{name}: bound {} > {best}",
            r.best_bound
        );
        assert!(r.best_bound.is_finite(), "{name}");
        assert!(
            r.solver_objective <= best * (1.0 + 2.0 * gap) + tol,
            "{name}: {r:?}"
        );
        // Optimal exactly when within the gap of a bound for every pair (here the linear
        // relaxation leaves 0.03% to prove, which the priced model cannot branch on).
        assert_eq!(
            r.status == SolveStatus::Optimal,
            r.gap <= gap + 1e-12,
            "{name}: {r:?}"
        );
        assert!(r.gap <= 1e-3, "{name}: {r:?}");
    }
}

/// A part that runs out of time before its first relaxation still reports a proven bound
/// (each post at its cheapest lawyer or its penalty), below its roster.
#[test]
fn a_part_stopped_before_its_first_relaxation_still_has_a_bound() {
    // Guangzhou's month priced, given a millisecond: no pricing round, no relaxation, and
    // HiGHS stopped in its presolve.
    let ds = zhiban_fixtures::guangzhou();
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 4, vec![]).unwrap();
    let input = SolveInput {
        problem: &problem,
        pins: &[],
        previous: None,
    };
    let s = SolveSettings {
        max_candidates: 2,
        decompose: false,
        time_limit: std::time::Duration::from_millis(1),
        ..SolveSettings::default()
    };
    let solved = solve(input, &s).unwrap();
    let r = &solved.report;
    assert!(check(&problem, &solved.roster).is_empty());
    assert_ne!(r.status, SolveStatus::Optimal);
    assert!(r.best_bound.is_finite() && r.best_bound > 0.0, "{r:?}");
    assert!(r.best_bound <= r.solver_objective, "{r:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// On random problems with a half-day nobody can take (a language nobody speaks), the
    /// bound never exceeds the objective and includes that half-day's penalty, in parts,
    /// whole and priced.
    #[test]
    fn the_bound_never_exceeds_the_objective_and_includes_what_every_roster_pays(
        centres in 1u32..3,
        lawyers_per_centre in 3u32..7,
        weeks in 1u32..3,
        seed in 0u64..1_000_000,
        decompose in any::<bool>(),
        priced in any::<bool>(),
    ) {
        let mut ds = zhiban_fixtures::province(zhiban_fixtures::ProvinceSpec {
            centres,
            lawyers: centres * lawyers_per_centre,
            stations: Some(centres * 2),
            seed,
        }).unwrap();
        let mut row = ds.demand[0].clone();
        row.languages = vec!["xx".into()];
        row.skills = vec![];
        row.lawyers = 1;
        row.backups = 0;
        ds.demand.retain(|r| !(r.station_id == row.station_id && r.weekday == row.weekday && r.half_day == row.half_day));
        ds.demand.insert(0, row);
        let ids: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
        let from = d("2026-11-23");
        let problem = RosterProblem::build(&ds, &ids, from, weeks, vec![]).unwrap();
        let settings = SolveSettings {
            decompose,
            max_candidates: if priced { 2 } else { 0 },
            // A case that stops at the limit still must not claim a bound above its roster.
            time_limit: std::time::Duration::from_secs(5),
            ..SolveSettings::default()
        };
        let solved = solve(SolveInput { problem: &problem, pins: &[], previous: None }, &settings).unwrap();
        let r = &solved.report;
        let tol = 1e-6 * r.solver_objective.abs().max(1.0);
        prop_assert!(r.best_bound <= r.solver_objective + tol, "bound {} > objective {}", r.best_bound, r.solver_objective);
        // Every roster pays for the half-days nobody is eligible for.
        let constant: f64 = problem.slots.iter().filter(|s| s.eligible.is_empty()).map(|s| {
            settings.weights.coverage * (1.0 + f64::from(problem.stations[s.station].priority)) * f64::from(s.lawyers)
                + settings.weights.backup * f64::from(s.backups)
        }).sum();
        prop_assert!(constant > 0.0 || problem.slots.is_empty());
        prop_assert!(r.best_bound >= constant - tol, "bound {} leaves out {constant}", r.best_bound);
        if r.status == SolveStatus::Optimal {
            prop_assert!(r.gap <= settings.gap + 1e-9, "gap {}", r.gap);
        }
    }
}

/// Pricing with lean relaxations (each lawyer's spread over time left out of them, as on a
/// province's pools) still reports a bound below the proven optimum, and a roster that
/// keeps the hard rules and is scored with the spread terms it pays.
#[test]
fn lean_pricing_keeps_the_bound_true_and_scores_the_spread_the_roster_pays() {
    let ds = small();
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 2, vec![]).unwrap();
    let input = SolveInput {
        problem: &problem,
        pins: &[],
        previous: None,
    };
    let exact = SolveSettings {
        rounding_pairs: usize::MAX,
        gap: 0.0,
        ..SolveSettings::default()
    };
    let optimum = solve(input, &exact).unwrap();
    assert_eq!(optimum.report.status, SolveStatus::Optimal);
    let best = optimum.report.solver_objective;
    let tol = 1e-6 * best.abs().max(1.0);
    for (name, decompose) in [("lean pricing", true), ("lean pricing, whole", false)] {
        let s = SolveSettings {
            max_candidates: 1,
            lean_pairs: 0,
            decompose,
            ..SolveSettings::default()
        };
        let solved = solve(input, &s).unwrap();
        let r = &solved.report;
        assert!(r.pruned_candidates > 0, "{name}: pricing left pairs out");
        assert!(check(&problem, &solved.roster).is_empty(), "{name}");
        // The objective is the roster's own score, its spread terms included.
        assert!(
            (r.solver_objective - r.evaluation.components.total()).abs() <= tol,
            "{name}: solver {} vs components {}",
            r.solver_objective,
            r.evaluation.components.total()
        );
        assert!(r.solver_objective >= best - tol, "{name}: {r:?}");
        assert!(
            r.best_bound.is_finite() && r.best_bound <= best + tol,
            "{name}: bound {} above the optimum {best}",
            r.best_bound
        );
        assert_eq!(
            r.status == SolveStatus::Optimal,
            r.gap <= s.gap + 1e-12,
            "{name}: {r:?}"
        );
    }
}
