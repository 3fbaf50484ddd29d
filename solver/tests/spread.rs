//! Issue 25: backups balanced on their own, and duties spread over time. The independent
//! count of the spread terms agrees with the report; the terms never cost coverage; and on
//! small hand-made cases adjacent days and weekday repeats are avoided when an equal roster
//! without them exists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use zhiban_domain::*;
use zhiban_solver::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn solve_with(problem: &RosterProblem, weights: Weights) -> Solved {
    let settings = SolveSettings {
        weights,
        ..SolveSettings::default()
    };
    let solved = solve(
        SolveInput {
            problem,
            pins: &[],
            previous: None,
        },
        &settings,
    )
    .unwrap();
    assert!(check(problem, &solved.roster).is_empty());
    solved
}

/// The report's spread, in the checker's terms.
fn reported(e: &Evaluation) -> SpreadCount {
    SpreadCount {
        consecutive_days: e.spread.consecutive_days,
        weekday_excess: e.spread.weekday_excess,
        half_day_excess: e.spread.half_day_excess,
        firm_consecutive: e.spread.firm_consecutive,
    }
}

/// Every term on, for every centre: same firm in a row and balance by kind too.
fn everything(ds: &Dataset) -> BTreeMap<CentreId, FairnessPolicy> {
    let all = FairnessPolicy {
        by_station_kind: true,
        firm_consecutive: 1,
        ..FairnessPolicy::default()
    };
    ds.centres.iter().map(|c| (c.id.clone(), all)).collect()
}

#[test]
fn the_checker_counts_the_spread_the_report_shows_on_guangzhou() {
    let ds = zhiban_fixtures::guangzhou();
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let mut problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 1, vec![]).unwrap();
    problem.fairness = everything(&ds);
    let w = Weights::default();
    // A roster made without the terms (the greedy baseline's with the spread left out of
    // its weights, so blind to it) has plenty to count.
    let blind = Weights { spread: false, ..w };
    let baseline = greedy(&problem, 5, 1, &blind);
    let base = build_report(&problem, &baseline, None, &w);
    assert_eq!(
        zhiban_solver::check::spread(&problem, &baseline),
        reported(&base.evaluation)
    );
    assert!(base.evaluation.spread.firm_consecutive > 0);
    assert!(base.evaluation.spread.weekday_excess + base.evaluation.spread.consecutive_days > 0);
    // The solver's roster: the same count, and far less of it.
    let solved = solve_with(&problem, w);
    let ours = reported(&solved.report.evaluation);
    assert_eq!(zhiban_solver::check::spread(&problem, &solved.roster), ours);
    assert!(ours.firm_consecutive < base.evaluation.spread.firm_consecutive);
    assert_eq!(ours.consecutive_days, 0, "{ours:?}");
    // Each lawyer's own figures add up to the totals, and the terms are priced by weight.
    let e = &solved.report.evaluation;
    let sum = |f: fn(&LawyerLoad) -> u32| e.lawyers.iter().map(f).sum::<u32>();
    assert_eq!(sum(|l| l.consecutive_days), e.spread.consecutive_days);
    assert_eq!(sum(|l| l.weekday_excess), e.spread.weekday_excess);
    assert_eq!(sum(|l| l.weekdays.iter().sum()), e.posts_filled);
    assert_eq!(sum(|l| l.half_days.iter().sum()), e.posts_filled);
    assert_eq!(
        e.components.weekday_spread,
        2.0 * f64::from(e.spread.weekday_excess)
    );
    assert_eq!(
        e.components.firm_consecutive,
        f64::from(e.spread.firm_consecutive)
    );
    // Balance by kind: three kinds per lawyer, duties adding up to the posts filled.
    assert!(e.lawyers.iter().all(|l| l.kinds.len() == 3));
    assert_eq!(
        e.lawyers
            .iter()
            .flat_map(|l| &l.kinds)
            .map(|k| k.duties)
            .sum::<u32>(),
        e.posts_filled
    );
    // The solver's objective is the report's total, term by term.
    assert!(
        (solved.report.solver_objective - e.components.total()).abs()
            < 1e-6 * e.components.total().max(1.0)
    );
}

#[test]
fn backups_are_balanced_on_their_own() {
    // Baotou has backups (AB岗): as one load, a lawyer may carry backups in place of duties;
    // balanced apart, each lawyer's backups stay within the band of their backup share.
    let ds = zhiban_fixtures::baotou();
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 2, vec![]).unwrap();
    let classic = solve_with(&problem, Weights::classic());
    let new = solve_with(&problem, Weights::default());
    let e = &new.report.evaluation;
    assert!(e.backups_wanted > 0);
    assert_eq!(e.posts_filled, classic.report.evaluation.posts_filled);
    assert_eq!(e.backups_filled, classic.report.evaluation.backups_filled);
    assert!(e.spread.backup_outside <= classic_backup_outside(&problem, &classic.roster) + 1e-9);
    assert_eq!(
        e.spread.backup_outside, 0.0,
        "every lawyer's backups within their band"
    );
    // Backup shares add up to the backups wanted, duty shares count primaries only.
    let backup_shares: f64 = e.lawyers.iter().map(|l| l.backup_share).sum();
    assert!((backup_shares - f64::from(e.backups_wanted)).abs() < 1e-6);
    for l in &e.lawyers {
        assert_eq!(l.deviation, f64::from(l.history + l.primary) - l.fair_share);
    }
}

/// The classic roster's backups outside the bands of the separate backup shares.
fn classic_backup_outside(problem: &RosterProblem, roster: &Roster) -> f64 {
    build_report(problem, roster, None, &Weights::default())
        .evaluation
        .spread
        .backup_outside
}

/// One station open on `days` (mornings, one post), lawyers `wishes` (their preferred
/// weekdays, 0 = Monday), all of one firm and place, one duty a day at most.
fn hand_made(days: &[NaiveDate], wishes: &[&[u32]]) -> RosterProblem {
    let here = Coordinates {
        lat: 23.1,
        lon: 113.3,
    };
    let centre = CentreId::parse("C").unwrap();
    let station = StationId::parse("S").unwrap();
    let lawyers: Vec<ProblemLawyer> = wishes
        .iter()
        .enumerate()
        .map(|(i, w)| ProblemLawyer {
            id: LawyerId::parse(&format!("L{i}")).unwrap(),
            firm_id: FirmId::parse(&format!("F{i}")).unwrap(),
            home_centre_id: centre.clone(),
            limits: Limits {
                per_day: 1,
                per_week: 5,
                per_month: 20,
            },
            base: here,
            unavailable: BTreeSet::new(),
            prefer_stations: BTreeSet::new(),
            avoid_stations: BTreeSet::new(),
            prefer_weekdays: w.iter().copied().collect(),
            avoid_weekdays: BTreeSet::new(),
            leave_asked: BTreeSet::new(),
        })
        .collect();
    let slots = days
        .iter()
        .map(|&date| {
            let start_local = date.and_hms_opt(9, 0, 0).unwrap();
            let end_local = date.and_hms_opt(12, 0, 0).unwrap();
            Slot {
                station: 0,
                station_id: station.clone(),
                date,
                half_day: HalfDay::Am,
                start_local,
                end_local,
                start: Utc.from_utc_datetime(&(start_local - Duration::hours(8))),
                end: Utc.from_utc_datetime(&(end_local - Duration::hours(8))),
                lawyers: 1,
                backups: 0,
                holiday: false,
                weekday: date.weekday(),
                eligible: (0..wishes.len()).collect(),
                licensed_later: vec![],
            }
        })
        .collect();
    RosterProblem {
        from: days[0],
        to: *days.last().unwrap(),
        centres: vec![centre.clone()],
        stations: vec![ProblemStation {
            id: station,
            centre_id: centre,
            kind: StationKind::DetentionCentre,
            priority: 0,
            location: here,
        }],
        firm_panel_sizes: lawyers.iter().map(|l| (l.firm_id.clone(), 1)).collect(),
        lawyers,
        slots,
        history: vec![],
        rules: RuleSettings::default(),
        fairness: BTreeMap::new(),
    }
}

#[test]
fn adjacent_days_are_avoided_when_an_equal_roster_without_them_exists() {
    // Monday to Friday; L0 would like Monday to Wednesday, L1 Thursday and Friday. Wishes
    // alone give L0 three days in a row and L1 two; alternating days is just as fair and
    // covers as much.
    let week: Vec<NaiveDate> = (0..5)
        .map(|i| d("2026-10-12") + Duration::days(i))
        .collect();
    let problem = hand_made(&week, &[&[0, 1, 2], &[3, 4]]);
    let classic = solve_with(&problem, Weights::classic());
    let new = solve_with(&problem, Weights::default());
    let (c, n) = (&classic.report.evaluation, &new.report.evaluation);
    assert!(c.spread.consecutive_days >= 2, "{:?}", classic.roster);
    assert_eq!(n.spread.consecutive_days, 0, "{:?}", new.roster);
    assert_eq!(
        zhiban_solver::check::spread(&problem, &new.roster).consecutive_days,
        0
    );
    // Equal in coverage and fairness: only wishes give way.
    assert_eq!(n.posts_filled, 5);
    assert_eq!(c.posts_filled, 5);
    assert_eq!(n.components.fairness_sum, c.components.fairness_sum);
    assert_eq!(n.components.fairness_max, c.components.fairness_max);
    let days = |who: &str| -> Vec<u32> {
        new.roster
            .assignments
            .iter()
            .filter(|a| a.lawyer_id.as_str() == who)
            .map(|a| a.date.weekday().num_days_from_monday())
            .collect()
    };
    assert_eq!(days("L0"), vec![0, 2, 4]);
    assert_eq!(days("L1"), vec![1, 3]);
}

#[test]
fn weekday_repeats_are_avoided_when_an_equal_roster_without_them_exists() {
    // Two weeks of Mondays and Wednesdays; L0 would like Mondays, L1 Wednesdays. Wishes alone
    // give each the same weekday twice; one of each is as fair.
    let days = [
        d("2026-10-12"),
        d("2026-10-14"),
        d("2026-10-19"),
        d("2026-10-21"),
    ];
    let problem = hand_made(&days, &[&[0], &[2]]);
    let classic = solve_with(&problem, Weights::classic());
    let new = solve_with(&problem, Weights::default());
    let (c, n) = (&classic.report.evaluation, &new.report.evaluation);
    assert_eq!(c.spread.weekday_excess, 2, "{:?}", classic.roster);
    assert_eq!(n.spread.weekday_excess, 0, "{:?}", new.roster);
    assert_eq!(
        zhiban_solver::check::spread(&problem, &new.roster).weekday_excess,
        0
    );
    assert_eq!((n.posts_filled, c.posts_filled), (4, 4));
    assert_eq!(n.components.fairness_sum, c.components.fairness_sum);
    for l in &n.lawyers {
        assert_eq!(l.weekdays[0], 1, "{l:?}");
        assert_eq!(l.weekdays[2], 1, "{l:?}");
    }
    // A centre that sets the weight to 0 gets the wishes back.
    let mut off = problem.clone();
    off.fairness.insert(
        CentreId::parse("C").unwrap(),
        FairnessPolicy {
            weekday_spread: 0,
            consecutive_days: 0,
            ..FairnessPolicy::default()
        },
    );
    assert_eq!(
        solve_with(&off, Weights::default())
            .report
            .evaluation
            .spread
            .weekday_excess,
        2
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The new terms sit far below coverage and backups: with every one of them on, a roster
    /// never covers fewer posts or names fewer backups than without them, and the checker's
    /// count of its spread is the report's.
    #[test]
    fn the_new_terms_never_cost_coverage(
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
            for l in &mut ds.lawyers {
                l.limits = Limits { per_day: 1, per_week: 1, per_month: 4 };
            }
        }
        let ids: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
        let mut problem = RosterProblem::build(&ds, &ids, d("2026-11-23"), weeks, vec![]).unwrap();
        problem.fairness = everything(&ds);
        let classic = solve_with(&problem, Weights::classic());
        let new = solve_with(&problem, Weights::default());
        let (c, n) = (&classic.report.evaluation, &new.report.evaluation);
        prop_assert!(n.posts_filled >= c.posts_filled, "{} < {}", n.posts_filled, c.posts_filled);
        prop_assert!(n.backups_filled >= c.backups_filled, "{} < {}", n.backups_filled, c.backups_filled);
        prop_assert_eq!(zhiban_solver::check::spread(&problem, &new.roster), reported(n));
        prop_assert_eq!(zhiban_solver::check::spread(&problem, &classic.roster), reported(c));
    }
}

/// The greedy roster (every part's warm start) weighs the spread terms when the weights hold
/// them: on Baotou's month, with one attempt each, it has fewer consecutive days and less
/// weekday and AM/PM bunching than the same greedy blind to them, and costs less.
#[test]
fn the_greedy_roster_avoids_the_spread_its_weights_price() {
    let ds = zhiban_fixtures::baotou();
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 4, vec![]).unwrap();
    let w = Weights::default();
    let blind = Weights { spread: false, ..w };
    let spread_of = |weights: &Weights| {
        let roster = greedy(&problem, 1, 1, weights);
        let report = build_report(&problem, &roster, None, &w);
        let s = report.evaluation.spread;
        let c = report.evaluation.components;
        (
            [s.consecutive_days, s.weekday_excess, s.half_day_excess],
            c.total(),
            c.coverage,
        )
    };
    let (aware, aware_total, aware_cov) = spread_of(&w);
    let (blind, blind_total, blind_cov) = spread_of(&blind);
    // Each term: consecutive days, weekday and AM/PM bunching.
    for (k, (a, b)) in aware.iter().zip(&blind).enumerate() {
        assert!(a < b, "term {k}: {aware:?} vs blind {blind:?}");
    }
    assert!(aware_total < blind_total, "{aware_total} vs {blind_total}");
    // Not bought with unfilled posts.
    assert!(aware_cov <= blind_cov, "{aware_cov} vs {blind_cov}");
}
