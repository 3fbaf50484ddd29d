//! Random problems: the solver never breaks a hard rule, and never covers less than the
//! randomised greedy a centre might use instead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use zhiban_domain::*;
use zhiban_solver::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn solver_rosters_obey_every_hard_rule_and_cover_at_least_as_much_as_greedy(
        centres in 1u32..4,
        lawyers_per_centre in 3u32..9,
        stations_per_centre in 1u32..4,
        weeks in 1u32..3,
        seed in 0u64..1_000_000,
        tight in any::<bool>(),
    ) {
        let mut ds = zhiban_fixtures::province(zhiban_fixtures::ProvinceSpec {
            centres,
            lawyers: centres * lawyers_per_centre,
            stations: Some(centres * stations_per_centre),
            seed,
        }).unwrap();
        if tight {
            // Scarce lawyers: one duty a week each, so limits bind and slots go uncovered.
            for l in &mut ds.lawyers {
                l.limits = Limits { per_day: 1, per_week: 1, per_month: 4 };
            }
        }
        let ids: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
        let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let problem = RosterProblem::build(&ds, &ids, from, weeks, vec![]).unwrap();
        let settings = SolveSettings::default();
        let solved = solve(SolveInput { problem: &problem, pins: &[], previous: None }, &settings).unwrap();
        let violations = check(&problem, &solved.roster);
        prop_assert!(violations.is_empty(), "{:#?}", violations);
        let baseline = greedy(&problem, 100, seed, &settings.weights);
        prop_assert!(check(&problem, &baseline).is_empty(), "the greedy baseline itself must be valid");
        let g = build_report(&problem, &baseline, None, &settings.weights);
        prop_assert!(solved.report.evaluation.posts_filled >= g.evaluation.posts_filled,
            "solver {} < greedy {}", solved.report.evaluation.posts_filled, g.evaluation.posts_filled);
        // And overall it is never worse by the solver's own measure (up to the gap target).
        let slack = settings.gap * solved.report.solver_objective.abs() + 1e-6;
        prop_assert!(solved.report.evaluation.components.total() <= g.evaluation.components.total() + slack);
        // Every slot left short is explained.
        prop_assert_eq!(
            solved.report.evaluation.uncovered.iter().map(|u| u.wanted - u.filled).sum::<u32>(),
            solved.report.evaluation.posts_wanted - solved.report.evaluation.posts_filled
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Pricing models only some pairs, yet claims a bound for every roster: the bound must
    /// never exceed the optimum the full model finds, and its roster must be a valid one.
    #[test]
    fn a_priced_bound_never_exceeds_the_full_models_optimum(
        centres in 1u32..4,
        lawyers_per_centre in 3u32..9,
        stations_per_centre in 1u32..4,
        weeks in 1u32..3,
        seed in 0u64..1_000_000,
        tight in any::<bool>(),
        start in 1usize..4,
    ) {
        let mut ds = zhiban_fixtures::province(zhiban_fixtures::ProvinceSpec {
            centres,
            lawyers: centres * lawyers_per_centre,
            stations: Some(centres * stations_per_centre),
            seed,
        }).unwrap();
        if tight {
            for l in &mut ds.lawyers {
                l.limits = Limits { per_day: 1, per_week: 1, per_month: 4 };
            }
        }
        let ids: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
        let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let problem = RosterProblem::build(&ds, &ids, from, weeks, vec![]).unwrap();
        let input = SolveInput { problem: &problem, pins: &[], previous: None };
        // The full model: every pair, no rounding from the relaxation first.
        let whole = SolveSettings { rounding_pairs: usize::MAX, ..SolveSettings::default() };
        let full = solve(input, &whole).unwrap();
        prop_assert_eq!(full.report.pruned_candidates, 0);
        let priced = solve(input, &SolveSettings { max_candidates: start, ..SolveSettings::default() }).unwrap();
        prop_assert!(check(&problem, &priced.roster).is_empty());
        let eps = 1e-6 * full.report.solver_objective.abs().max(1.0);
        // bound (priced) <= optimum <= the full model's roster
        prop_assert!(priced.report.best_bound <= full.report.solver_objective + eps,
            "priced bound {} above the full model's roster {}", priced.report.best_bound, full.report.solver_objective);
        // full model's bound <= optimum <= the priced roster. (Both in the solver's own
        // measure: with several independent parts, the worst-deviation term is each part's
        // worst, summed, which the report's whole-roster figure need not equal.)
        prop_assert!(full.report.best_bound <= priced.report.solver_objective + eps,
            "priced roster {} below the full model's bound {}", priced.report.solver_objective, full.report.best_bound);
        prop_assert!(priced.report.gap <= SolveSettings::default().gap + 1e-9 || priced.report.status != SolveStatus::Optimal);
    }
}
