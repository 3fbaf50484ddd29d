// Over the ~600-line sizing rule for now: the solver's end-to-end cases share fixtures and helpers. Issue 25's cases live in spread.rs; splitting these by concern is still to do.
//! The solver on real fixtures and on hand-made cases; every roster goes through the
//! independent checker.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use std::collections::BTreeSet;
use zhiban_domain::*;
use zhiban_solver::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn fixture(name: &str) -> Dataset {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name);
    zhiban_dataset::read_dir(&dir, d("2026-11-21")).unwrap()
}

fn all_centres(ds: &Dataset) -> Vec<CentreId> {
    ds.centres.iter().map(|c| c.id.clone()).collect()
}

fn solve_ok(problem: &RosterProblem, pins: &[Assignment]) -> Solved {
    let solved = solve(
        SolveInput {
            problem,
            pins,
            previous: None,
        },
        &SolveSettings::default(),
    )
    .unwrap();
    let violations = check_with_pins(problem, &solved.roster, pins);
    assert!(violations.is_empty(), "hard rules broken: {violations:#?}");
    solved
}

fn lawyer(id: &str) -> LawyerId {
    LawyerId::parse(id).unwrap()
}

#[test]
fn small_four_weeks_is_optimal_fully_covered_and_its_report_adds_up() {
    let ds = fixture("small");
    let p = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 4, vec![]).unwrap();
    let s = solve_ok(&p, &[]);
    let r = &s.report;
    assert_eq!(r.status, SolveStatus::Optimal);
    assert_eq!(
        (r.evaluation.posts_filled, r.evaluation.posts_wanted),
        (40, 40)
    );
    assert_eq!(
        (r.evaluation.backups_filled, r.evaluation.backups_wanted),
        (8, 8)
    );
    assert!(r.evaluation.uncovered.is_empty());
    assert!(r.gap <= 1e-4, "{}", r.gap);
    assert!((r.best_bound - r.solver_objective).abs() <= 1e-4 * r.solver_objective.abs().max(1.0));
    // The objective recomputed from the roster equals the solver's.
    assert!(
        (r.evaluation.components.total() - r.solver_objective).abs()
            < 1e-6 * r.solver_objective.max(1.0),
        "{r:?}"
    );
    // Loads are reported for every lawyer and add up to the posts.
    let duties: u32 = r.evaluation.lawyers.iter().map(|l| l.primary).sum();
    assert_eq!(duties, 40);
    // The inactive lawyer never appears.
    assert!(
        s.roster
            .assignments
            .iter()
            .all(|a| a.lawyer_id.as_str() != "CH-L09")
    );
    // Leave is honoured: CH-L02 is away 2026-11-30..12-04.
    assert!(
        !s.roster
            .assignments
            .iter()
            .any(|a| a.lawyer_id.as_str() == "CH-L02"
                && a.date >= d("2026-11-30")
                && a.date <= d("2026-12-04"))
    );
}

#[test]
fn the_same_problem_gives_the_same_roster() {
    let ds = fixture("baotou");
    let p = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 1, vec![]).unwrap();
    let a = solve_ok(&p, &[]);
    let b = solve_ok(&p, &[]);
    assert_eq!(a.roster, b.roster);
}

#[test]
fn guangzhou_is_split_into_independent_parts_and_the_shared_pool_stays_together() {
    let ds = fixture("guangzhou");
    let p = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 1, vec![]).unwrap();
    let parts = zhiban_solver::parts::components(&p);
    // The city, seven districts on their own, and the four central districts that share.
    assert_eq!(parts.len(), 9);
    let shared = parts
        .iter()
        .find(|q| {
            q.slots
                .iter()
                .any(|s| s.station_id.as_str().starts_with("GZ-TH"))
        })
        .unwrap();
    let centres: BTreeSet<&str> = shared
        .slots
        .iter()
        .map(|s| shared.stations[s.station].centre_id.as_str())
        .collect();
    assert_eq!(
        centres,
        BTreeSet::from(["GZ-HZ", "GZ-LW", "GZ-TH", "GZ-YX"])
    );
    let s = solve_ok(&p, &[]);
    assert_eq!(s.report.parts, 9);
    assert_eq!(s.report.status, SolveStatus::Optimal);
    assert_eq!(
        s.report.evaluation.posts_filled,
        s.report.evaluation.posts_wanted
    );
}

/// A one-centre data set built in code: two stations `far` km apart.
fn two_stations(far_km: f64) -> Dataset {
    let mut ds = fixture("small");
    ds.normalize();
    // Keep the court and the procuratorate.
    ds.stations.retain(|s| s.id.as_str() != "CH-KSS");
    let base = ds.stations[0].location;
    ds.stations[1].location = Coordinates::new(base.lat + far_km / 111.0, base.lon).unwrap();
    ds.stations[1].min_years = 0;
    let ids: Vec<StationId> = ds.stations.iter().map(|s| s.id.clone()).collect();
    ds.demand = vec![
        DemandRule {
            station_id: ids[0].clone(),
            weekday: chrono::Weekday::Mon,
            half_day: HalfDay::Am,
            lawyers: 1,
            backups: 0,
            skills: vec![],
            languages: vec![],
            min_years: 0,
        },
        DemandRule {
            station_id: ids[1].clone(),
            weekday: chrono::Weekday::Mon,
            half_day: HalfDay::Pm,
            lawyers: 1,
            backups: 0,
            skills: vec![],
            languages: vec![],
            min_years: 0,
        },
    ];
    // One lawyer only, who may do two half-days a day.
    ds.lawyers.retain(|l| l.id.as_str() == "CH-L03");
    ds.lawyers[0].limits.per_day = 2;
    ds.unavailability.clear();
    ds.leave.clear();
    ds.preferences.clear();
    ds
}

#[test]
fn am_and_pm_at_stations_too_far_apart_are_never_combined() {
    let near = two_stations(5.0);
    let p = RosterProblem::build(&near, &all_centres(&near), d("2026-11-23"), 1, vec![]).unwrap();
    assert_eq!(
        solve_ok(&p, &[]).report.evaluation.posts_filled,
        2,
        "5 km apart: both half-days"
    );
    let far = two_stations(40.0);
    let p = RosterProblem::build(&far, &all_centres(&far), d("2026-11-23"), 1, vec![]).unwrap();
    let s = solve_ok(&p, &[]);
    assert_eq!(
        s.report.evaluation.posts_filled, 1,
        "40 km apart: one of them"
    );
    match &s.report.evaluation.uncovered[0].reason {
        UncoveredReason::EligibleAtLimits { lawyers } => {
            assert_eq!(lawyers, &vec![(lawyer("CH-L03"), Busy::TooFar)])
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn uncovered_slots_say_why() {
    let mut ds = fixture("small");
    ds.normalize();
    // Wednesday PM at the procuratorate needs French: nobody speaks it.
    for r in &mut ds.demand {
        if r.station_id.as_str() == "CH-JCY"
            && r.half_day == HalfDay::Pm
            && r.weekday == chrono::Weekday::Wed
        {
            r.languages = vec!["fr".into()];
        }
        // Tuesday AM at the court needs 20 lawyers.
        if r.station_id.as_str() == "CH-FY" && r.weekday == chrono::Weekday::Tue {
            r.lawyers = 20;
        }
    }
    // Everyone with the juvenile skill is away on Thursday 2026-11-26.
    for l in ["CH-L01", "CH-L06", "CH-L10", "CH-L12"] {
        ds.leave.push(Leave {
            lawyer_id: lawyer(l),
            from: d("2026-11-26"),
            to: d("2026-11-26"),
            half_day: None,
            reason: "培训".into(),
        });
    }
    let p = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 1, vec![]).unwrap();
    let s = solve_ok(&p, &[]);
    let why = |station: &str, date: &str| {
        s.report
            .evaluation
            .uncovered
            .iter()
            .find(|u| u.station_id.as_str() == station && u.date == d(date))
            .map(|u| u.reason.clone())
    };
    assert_eq!(
        why("CH-JCY", "2026-11-25"),
        Some(UncoveredReason::NoEligibleLawyer {
            licensed_later: vec![]
        })
    );
    match why("CH-FY", "2026-11-26") {
        Some(UncoveredReason::EligibleUnavailable { lawyers }) => assert_eq!(lawyers.len(), 4),
        other => panic!("{other:?}"),
    }
    match why("CH-FY", "2026-11-24") {
        Some(UncoveredReason::EligibleAtLimits { lawyers }) => {
            // Nobody available is left idle: each is on duty elsewhere or at a limit.
            assert!(!lawyers.is_empty());
            assert!(
                lawyers.iter().all(|(_, b)| *b != Busy::Other),
                "{lawyers:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let u = s
        .report
        .evaluation
        .uncovered
        .iter()
        .find(|u| u.station_id.as_str() == "CH-FY" && u.date == d("2026-11-24"))
        .unwrap();
    assert!(u.filled >= 5 && u.filled < 20, "{u:?}");
}

#[test]
fn detention_centres_are_covered_before_courts_when_lawyers_run_short() {
    let mut ds = fixture("small");
    ds.normalize();
    // Monday AM: the detention centre wants 1, and the court now wants 1 too; one lawyer can come.
    ds.demand.push(DemandRule {
        station_id: StationId::parse("CH-FY").unwrap(),
        weekday: chrono::Weekday::Mon,
        half_day: HalfDay::Am,
        lawyers: 1,
        backups: 0,
        skills: vec![],
        languages: vec![],
        min_years: 0,
    });
    for r in &mut ds.demand {
        r.backups = 0;
    }
    let keep = "CH-L11";
    for l in &mut ds.lawyers {
        l.active = l.id.as_str() == keep;
        l.limits = Limits {
            per_day: 1,
            per_week: 14,
            per_month: 62,
        };
    }
    let p = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 1, vec![]).unwrap();
    let s = solve_ok(&p, &[]);
    let monday: Vec<&Assignment> = s
        .roster
        .assignments
        .iter()
        .filter(|a| a.date == d("2026-11-23") && a.half_day == HalfDay::Am)
        .collect();
    assert_eq!(monday.len(), 1);
    assert_eq!(monday[0].station_id.as_str(), "CH-KSS");
}

#[test]
fn history_counts_toward_fairness() {
    let ds = fixture("small");
    let p0 = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 2, vec![]).unwrap();
    let first = solve_ok(&p0, &[]);
    let busiest = first
        .report
        .evaluation
        .lawyers
        .iter()
        .max_by_key(|l| l.primary + l.backup)
        .unwrap()
        .lawyer_id
        .clone();
    // Give that lawyer six duties in the previous fortnight.
    let history: Vec<PastDuty> = (9..15)
        .map(|day| PastDuty {
            lawyer_id: busiest.clone(),
            station_id: StationId::parse("CH-KSS").unwrap(),
            date: d(&format!("2026-11-{day:02}")),
            half_day: HalfDay::Am,
        })
        .collect();
    let p1 = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 2, history).unwrap();
    let second = solve_ok(&p1, &[]);
    let load = |s: &Solved| {
        s.report
            .evaluation
            .lawyers
            .iter()
            .find(|l| l.lawyer_id == busiest)
            .map(|l| l.primary + l.backup)
            .unwrap()
    };
    assert!(
        load(&second) < load(&first),
        "history of 6 should lower {busiest}'s duties: {} vs {}",
        load(&second),
        load(&first)
    );
    assert_eq!(
        second
            .report
            .evaluation
            .lawyers
            .iter()
            .find(|l| l.lawyer_id == busiest)
            .unwrap()
            .history,
        6
    );
}

#[test]
fn pins_are_kept_and_impossible_pins_are_refused() {
    let ds = fixture("small");
    let p = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 1, vec![]).unwrap();
    let free = solve_ok(&p, &[]);
    // Pin someone the optimiser did not choose for the Friday detention-centre duty.
    let slot = p
        .slots
        .iter()
        .find(|s| s.station_id.as_str() == "CH-KSS" && s.date == d("2026-11-27"))
        .unwrap();
    let chosen: BTreeSet<&LawyerId> = free
        .roster
        .assignments
        .iter()
        .filter(|a| a.date == slot.date && a.station_id == slot.station_id)
        .map(|a| &a.lawyer_id)
        .collect();
    let other = slot
        .eligible
        .iter()
        .map(|&l| &p.lawyers[l])
        .find(|l| !chosen.contains(&l.id) && l.is_available(slot.date, slot.half_day))
        .unwrap();
    let pin = Assignment {
        date: slot.date,
        half_day: slot.half_day,
        station_id: slot.station_id.clone(),
        lawyer_id: other.id.clone(),
        role: Role::Primary,
    };
    let pinned = solve_ok(&p, std::slice::from_ref(&pin));
    assert!(pinned.roster.assignments.contains(&pin));
    // CH-L03 never works Monday mornings.
    let bad = Assignment {
        date: d("2026-11-23"),
        half_day: HalfDay::Am,
        station_id: StationId::parse("CH-KSS").unwrap(),
        lawyer_id: lawyer("CH-L03"),
        role: Role::Primary,
    };
    let err = solve(
        SolveInput {
            problem: &p,
            pins: &[bad],
            previous: None,
        },
        &SolveSettings::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("unavailable"), "{err}");
}

#[test]
fn repair_after_a_week_out_touches_only_that_lawyers_duties() {
    let ds = fixture("guangzhou");
    let p = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 4, vec![]).unwrap();
    let published = solve_ok(&p, &[]).roster;
    // The lawyer with the most duties in the second week falls ill for that week.
    let week2 = |a: &&Assignment| a.date >= d("2026-11-30") && a.date <= d("2026-12-06");
    let mut counts = std::collections::BTreeMap::new();
    for a in published.assignments.iter().filter(week2) {
        *counts.entry(a.lawyer_id.clone()).or_insert(0) += 1;
    }
    let (sick, n) = counts.into_iter().max_by_key(|(_, n)| *n).unwrap();
    assert!(n >= 1);
    let change = Change::LawyerOut {
        lawyer_id: sick.clone(),
        from: d("2026-11-30"),
        to: d("2026-12-06"),
    };
    let repaired = repair(&p, &published, &[], &[change], &SolveSettings::default()).unwrap();
    assert!(check(&repaired.problem, &repaired.solved.roster).is_empty());
    let diff = &repaired.diff;
    assert_eq!(
        diff.removed.len(),
        n,
        "exactly the sick lawyer's duties go: {diff:#?}"
    );
    assert!(diff.removed.iter().all(|a| a.lawyer_id == sick));
    assert_eq!(
        diff.added.len(),
        n,
        "each is replaced once, nothing else moves: {diff:#?}"
    );
    assert!(diff.added.iter().all(|a| a.lawyer_id != sick));
    assert_eq!(
        repaired.solved.report.evaluation.posts_filled,
        repaired.solved.report.evaluation.posts_wanted
    );
}

/// After a panel change (here a station contracted to one firm), a repair with no changes
/// re-plans exactly the duties the panel now rules out.
#[test]
fn repair_without_changes_replans_what_the_panel_now_rules_out() {
    let ds = fixture("guangzhou");
    let centres = all_centres(&ds);
    let p = RosterProblem::build(&ds, &centres, d("2026-11-23"), 2, vec![]).unwrap();
    let published = solve_ok(&p, &[]).roster;
    // The station with the most duties, contracted to the firm holding most of them.
    let mut by_station: std::collections::BTreeMap<_, Vec<&Assignment>> = Default::default();
    for a in &published.assignments {
        by_station.entry(a.station_id.clone()).or_default().push(a);
    }
    let (station, held) = by_station.into_iter().max_by_key(|(_, v)| v.len()).unwrap();
    let firm_of = |a: &Assignment| ds.lawyer(&a.lawyer_id).unwrap().firm_id.clone();
    let mut firms: std::collections::BTreeMap<_, usize> = Default::default();
    for a in &held {
        *firms.entry(firm_of(a)).or_default() += 1;
    }
    let (firm, _) = firms.into_iter().max_by_key(|(_, n)| *n).unwrap();
    let broken: Vec<&Assignment> = held
        .iter()
        .copied()
        .filter(|a| firm_of(a) != firm)
        .collect();
    assert!(!broken.is_empty(), "more than one firm at {station}");
    let mut next = ds.clone();
    for s in next.stations.iter_mut().filter(|s| s.id == station) {
        s.contracted_firms = vec![firm.clone()];
    }
    let p2 = RosterProblem::build(&next, &centres, d("2026-11-23"), 2, vec![]).unwrap();
    let repaired = repair(&p2, &published, &[], &[], &SolveSettings::default()).unwrap();
    assert!(check(&repaired.problem, &repaired.solved.roster).is_empty());
    let removed = &repaired.diff.removed;
    for a in &broken {
        assert!(removed.contains(a), "{a:?} is re-planned");
    }
    // Nothing moves outside the parts that held a broken duty.
    let nothing = repair(&p, &published, &[], &[], &SolveSettings::default()).unwrap();
    assert!(nothing.diff.removed.is_empty() && nothing.diff.added.is_empty());
}

#[test]
fn a_surge_draws_on_sibling_centres_only_where_the_pool_is_shared() {
    let ds = fixture("guangzhou");
    let p = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 1, vec![]).unwrap();
    let published = solve_ok(&p, &[]).roster;
    let surge_at = |station: &str| {
        let slot = p
            .slots
            .iter()
            .find(|s| s.station_id.as_str() == station)
            .unwrap();
        Change::ExtraDemand {
            station_id: slot.station_id.clone(),
            date: slot.date,
            half_day: slot.half_day,
            lawyers: 17,
        }
    };
    let home = |id: &LawyerId| ds.lawyer(id).unwrap().home_centre_id.to_string();
    // Tianhe shares its pool with Haizhu, Liwan and Yuexiu.
    let r = repair(
        &p,
        &published,
        &[],
        &[surge_at("GZ-TH-KSS")],
        &SolveSettings::default(),
    )
    .unwrap();
    assert!(check(&r.problem, &r.solved.roster).is_empty());
    let homes: BTreeSet<String> = r
        .diff
        .added
        .iter()
        .filter(|a| a.station_id.as_str() == "GZ-TH-KSS")
        .map(|a| home(&a.lawyer_id))
        .collect();
    assert!(
        homes.len() > 1,
        "a surge of 17 needs the shared pool: {homes:?}"
    );
    assert!(
        homes
            .iter()
            .all(|h| ["GZ-TH", "GZ-HZ", "GZ-LW", "GZ-YX"].contains(&h.as_str())),
        "{homes:?}"
    );
    // Baiyun does not share: only its own lawyers come, and what cannot be met is explained.
    let r = repair(
        &p,
        &published,
        &[],
        &[surge_at("GZ-BY-KSS")],
        &SolveSettings::default(),
    )
    .unwrap();
    let homes: BTreeSet<String> = r
        .diff
        .added
        .iter()
        .filter(|a| a.station_id.as_str() == "GZ-BY-KSS")
        .map(|a| home(&a.lawyer_id))
        .collect();
    assert_eq!(homes, BTreeSet::from(["GZ-BY".to_string()]));
}

#[test]
fn progress_is_reported_while_solving_and_ends_at_the_result() {
    let ds = fixture("guangzhou");
    let problem = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 1, vec![]).unwrap();
    let seen = std::sync::Mutex::new(Vec::<Progress>::new());
    let solved = solve_with_progress(
        SolveInput {
            problem: &problem,
            pins: &[],
            previous: None,
        },
        // The full MILP in every part, whose HiGHS log is read for progress (rounding from
        // the relaxation would end this week's parts before HiGHS logs a line).
        &SolveSettings {
            rounding_pairs: usize::MAX,
            ..SolveSettings::default()
        },
        &|p| seen.lock().unwrap().push(p),
    )
    .unwrap();
    assert!(check(&problem, &solved.roster).is_empty());
    let seen = seen.into_inner().unwrap();
    assert!(!seen.is_empty());
    // Parts finish one by one; the last report covers all of them and matches the result.
    for w in seen.windows(2) {
        assert!(w[0].parts_done <= w[1].parts_done);
    }
    let last = seen.last().unwrap();
    assert_eq!(last.parts_done, last.parts_total);
    assert_eq!(last.parts_total, solved.report.parts);
    assert!(
        (last.incumbent - solved.report.solver_objective).abs()
            < 1e-6 * solved.report.solver_objective.abs().max(1.0)
    );
    // HiGHS's own progress lines are read while parts run: some report comes before the end.
    assert!(
        seen.len() > solved.report.parts,
        "{} reports for {} parts",
        seen.len(),
        solved.report.parts
    );
}

#[test]
fn pricing_a_shared_pool_from_few_pairs_reaches_the_full_models_optimum_with_a_valid_bound() {
    let ds = fixture("guangzhou");
    let problem = RosterProblem::build(&ds, &all_centres(&ds), d("2026-11-23"), 1, vec![]).unwrap();
    let input = SolveInput {
        problem: &problem,
        pins: &[],
        previous: None,
    };
    // The full model: every pair, no rounding from the relaxation first.
    let whole = SolveSettings {
        rounding_pairs: usize::MAX,
        ..SolveSettings::default()
    };
    let full = solve(input, &whole).unwrap();
    assert_eq!(full.report.status, SolveStatus::Optimal);
    assert_eq!(full.report.pruned_candidates, 0);
    // Start from the 2 cheapest pairs per slot and role (and 8 per lawyer): pricing must find
    // the pairs the optimum needs, and prove it without the full model.
    let priced = solve(
        input,
        &SolveSettings {
            max_candidates: 2,
            ..SolveSettings::default()
        },
    )
    .unwrap();
    assert!(check(&problem, &priced.roster).is_empty());
    // Every (lawyer, slot, role) pair the full model holds (its other columns are penalties).
    let pairs: usize = problem
        .slots
        .iter()
        .map(|s| {
            let free = s
                .eligible
                .iter()
                .filter(|&&l| problem.lawyers[l].is_available(s.date, s.half_day))
                .count();
            free * (1 + usize::from(s.backups > 0))
        })
        .sum();
    assert!(
        priced.report.pruned_candidates > pairs / 2,
        "most pairs stay out of the model: {} of {pairs} pairs",
        priced.report.pruned_candidates,
    );
    let optimum = full.report.solver_objective;
    let tolerance = SolveSettings::default().gap * optimum;
    assert!(
        priced.report.best_bound <= optimum + 1e-6,
        "{} > {optimum}",
        priced.report.best_bound
    );
    assert!(priced.report.solver_objective <= optimum + tolerance);
    assert!(priced.report.gap <= SolveSettings::default().gap);
    assert_eq!(priced.report.status, SolveStatus::Optimal);
    assert_eq!(
        priced.report.evaluation.posts_filled,
        full.report.evaluation.posts_filled
    );
}
