//! The local search's prices against full evaluations, and its rosters against the rules.

use super::*;
use crate::evaluate::evaluate;
use crate::model::candidates::candidates;
use crate::settings::Weights;
use std::collections::BTreeSet;
use zhiban_domain::{FairnessPolicy, RosterProblem};

/// Baotou's centres over `weeks`, with every term on (the same-firm run and the
/// balance by kind included).
fn problem(weeks: u32) -> RosterProblem {
    problem_from(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), weeks)
}

fn problem_from(from: NaiveDate, weeks: u32) -> RosterProblem {
    let ds = zhiban_fixtures::baotou();
    let centres: Vec<_> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let mut p = RosterProblem::build(&ds, &centres, from, weeks, vec![]).unwrap();
    let all = FairnessPolicy {
        by_station_kind: true,
        firm_consecutive: 1,
        ..FairnessPolicy::default()
    };
    p.fairness = centres.iter().map(|c| (c.clone(), all)).collect();
    p
}

fn total(p: &RosterProblem, r: &Roster, w: &Weights) -> f64 {
    evaluate(p, r, None, w).components.total()
}

fn context<'a>(p: &'a RosterProblem, w: &Weights) -> (BuildContext<'a>, Vec<Cand>) {
    let index: HashMap<&LawyerId, usize> = p
        .lawyers
        .iter()
        .enumerate()
        .map(|(i, l)| (&l.id, i))
        .collect();
    let none = BTreeSet::new();
    let cands = candidates(p, &none, &none, false, w);
    (BuildContext::new(p, &index, w), cands)
}

#[test]
fn a_move_is_priced_as_the_difference_of_two_full_evaluations() {
    let p = problem(1);
    let (mut adds, mut removes) = (0, 0);
    for w in [Weights::default(), Weights::classic()] {
        let (ctx, cands) = context(&p, &w);
        // The greedy roster with every fourth slot's holders taken off: open posts,
        // lawyers below and above their bands.
        let mut local = Local::new(&ctx, &cands, &crate::greedy::greedy(&p, 1, 3, &w))
            .expect("the greedy roster's pairs are candidates");
        for s in (0..p.slots.len()).step_by(4) {
            for role in ROLES {
                for l in local.held[s][ri(role)].clone() {
                    let before = total(&p, &local.roster(), &w);
                    let cost = local.cost(s, l, role).unwrap();
                    local.apply(s, l, role, false);
                    let after = total(&p, &local.roster(), &w);
                    let back = local.add_delta(s, l, role, cost);
                    assert!(
                        (before - after - back).abs() < 1e-6,
                        "{before} {after} {back}"
                    );
                    removes += 1;
                }
            }
        }
        let base = total(&p, &local.roster(), &w);
        for s in (0..p.slots.len()).step_by(3) {
            for role in ROLES {
                for &(l, cost) in &local.options[s][ri(role)].clone() {
                    if !local.fits(s, l) {
                        continue;
                    }
                    let d = local.add_delta(s, l, role, cost);
                    local.apply(s, l, role, true);
                    let after = total(&p, &local.roster(), &w);
                    assert!((base + d - after).abs() < 1e-6, "{s} {l} {role:?}: {d}");
                    local.apply(s, l, role, false);
                    adds += 1;
                }
            }
        }
    }
    // The cases were there: many additions and removals compared.
    assert!(adds > 500 && removes > 50, "{adds} {removes}");
}

#[test]
fn the_search_lowers_the_greedy_roster_s_score_and_keeps_every_hard_rule() {
    let p = problem(4);
    let w = Weights::default();
    let (ctx, cands) = context(&p, &w);
    let greedy = crate::greedy::greedy(&p, 1, 1, &w);
    assert!(crate::check::check(&p, &greedy).is_empty());
    let far = Instant::now() + std::time::Duration::from_secs(600);
    let better = improve(&ctx, &cands, greedy.clone(), far);
    let (g, b) = (total(&p, &greedy, &w), total(&p, &better, &w));
    eprintln!("greedy {g:.2}, improved {b:.2}");
    assert!(b < 0.9 * g, "greedy {g}, improved {b}");
    assert_eq!(crate::check::check(&p, &better), vec![]);
    let filled = |r: &Roster| evaluate(&p, r, None, &w).posts_filled;
    assert!(filled(&better) >= filled(&greedy));
    // A local optimum: one more pass finds nothing.
    let mut local = Local::new(&ctx, &cands, &better).unwrap();
    assert_eq!(local.pass(far), Some(false));
    assert_eq!(local.swap_pass(far), Some(false));
    // A deadline already passed leaves the roster as it was.
    let now = improve(&ctx, &cands, greedy.clone(), Instant::now());
    assert_eq!(now.assignments, greedy.assignments);
}

#[test]
fn swaps_lower_the_spread_and_leave_every_load_as_it_was() {
    let p = problem(4);
    let w = Weights::default();
    let (ctx, cands) = context(&p, &w);
    let greedy = crate::greedy::greedy(&p, 1, 1, &w);
    let mut local = Local::new(&ctx, &cands, &greedy).unwrap();
    let far = Instant::now() + std::time::Duration::from_secs(600);
    let mut passes = 0;
    while local.swap_pass(far) == Some(true) {
        passes += 1;
    }
    let swapped = local.roster();
    let (before, after) = (
        evaluate(&p, &greedy, None, &w),
        evaluate(&p, &swapped, None, &w),
    );
    let spread = |e: &crate::evaluate::Evaluation| {
        let c = &e.components;
        c.consecutive_days + c.weekday_spread + c.half_day_spread + c.kind_fairness
    };
    eprintln!(
        "{passes} passes: spread {} -> {}, total {} -> {}",
        spread(&before),
        spread(&after),
        before.components.total(),
        after.components.total()
    );
    assert!(passes > 0);
    assert!(spread(&after) < 0.8 * spread(&before));
    assert!(after.components.total() < before.components.total());
    let loads = |e: &crate::evaluate::Evaluation| {
        e.lawyers
            .iter()
            .map(|l| (l.lawyer_id.clone(), l.primary, l.backup))
            .collect::<Vec<_>>()
    };
    assert_eq!(loads(&before), loads(&after));
    assert_eq!(crate::check::check(&p, &swapped), vec![]);
}

#[test]
fn a_swap_is_priced_as_the_difference_of_two_full_evaluations() {
    let p = problem(2);
    let w = Weights::default();
    let (ctx, cands) = context(&p, &w);
    let mut local = Local::new(&ctx, &cands, &crate::greedy::greedy(&p, 1, 5, &w)).unwrap();
    let (mut priced, mut forbidden, mut saving) = (0, 0, 0);
    for a in (0..p.lawyers.len()).step_by(3) {
        for s in local.primary_slots[a].clone() {
            let cost_as = local.cost(s, a, Role::Primary).unwrap();
            for &(b, cost_bs) in local.options[s][0].clone().iter().step_by(2) {
                if b == a {
                    continue;
                }
                for t in local.primary_slots[b].clone() {
                    let (Some(cost_at), Some(cost_bt)) = (
                        local.cost(t, a, Role::Primary),
                        local.cost(t, b, Role::Primary),
                    ) else {
                        continue;
                    };
                    let before = local.roster();
                    let (sa, sb) = ((a, s, cost_as), (b, t, cost_bt));
                    let Some(d) = local.price_swap(sa, sb, cost_bs, cost_at) else {
                        forbidden += 1;
                        continue;
                    };
                    assert_eq!(
                        local.roster(),
                        before,
                        "pricing leaves the roster as it was"
                    );
                    local.swap(sa, sb);
                    let after = local.roster();
                    let (x, y) = (total(&p, &before, &w), total(&p, &after, &w));
                    assert!(
                        (x + d - y).abs() < 1e-6,
                        "{a}@{s} <-> {b}@{t}: {x} + {d} vs {y}"
                    );
                    assert_eq!(crate::check::check(&p, &after), vec![]);
                    local.swap((a, t, cost_at), (b, s, cost_bs));
                    assert_eq!(local.roster(), before);
                    priced += 1;
                    saving += usize::from(d < -EPS);
                }
            }
        }
    }
    eprintln!("{priced} swaps priced, {forbidden} forbidden, {saving} saving");
    assert!(
        priced > 200 && forbidden > 20 && saving > 5,
        "{priced} {forbidden} {saving}"
    );
}

#[test]
fn a_lawyer_fits_a_slot_exactly_when_the_checker_finds_nothing_against_it() {
    // From a Wednesday, with history on the Monday and Tuesday before: the caps of the
    // period's first week and month count it.
    let from = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let mut p = problem_from(from, 2);
    let station_id = p.slots[0].station_id.clone();
    for (i, l) in p.lawyers.clone().iter().enumerate().step_by(2) {
        for k in 0..(1 + i as i64 % 2) {
            p.history.push(zhiban_domain::PastDuty {
                lawyer_id: l.id.clone(),
                station_id: station_id.clone(),
                date: from - chrono::Duration::days(1 + k),
                half_day: HalfDay::Am,
            });
        }
    }
    let w = Weights::default();
    let (ctx, cands) = context(&p, &w);
    let roster = crate::greedy::greedy(&p, 1, 9, &w);
    assert_eq!(crate::check::check(&p, &roster), vec![]);
    let local = Local::new(&ctx, &cands, &roster).unwrap();
    let (mut fits, mut not) = (0, 0);
    for s in 0..p.slots.len() {
        let slot = &p.slots[s];
        for &(l, _) in &local.options[s][0] {
            // Already there: the roster would hold the assignment once (a set).
            if local.held[s].iter().any(|h| h.contains(&l)) {
                assert!(!local.fits(s, l));
                continue;
            }
            let mut with = roster.assignments.clone();
            with.push(Assignment {
                date: slot.date,
                half_day: slot.half_day,
                station_id: slot.station_id.clone(),
                lawyer_id: p.lawyers[l].id.clone(),
                role: Role::Backup,
            });
            // Over-filling the slot is not a rule `fits` weighs (fill counts the posts).
            let broken: Vec<_> = crate::check::check(&p, &Roster::new(with))
                .into_iter()
                .filter(|v| !matches!(v, crate::check::Violation::OverFilled { .. }))
                .collect();
            assert_eq!(local.fits(s, l), broken.is_empty(), "{s} {l}: {broken:?}");
            if broken.is_empty() {
                fits += 1;
            } else {
                not += 1;
            }
        }
    }
    assert!(fits > 100 && not > 100, "{fits} {not}");
}

#[test]
fn a_polished_roster_is_scored_again_never_worse_and_optimal_only_within_the_gap() {
    use crate::model::{OneSolve, SolveInput};
    use crate::report::{SolveReport, SolveStatus};
    use crate::settings::SolveSettings;
    let p = problem(4);
    let settings = SolveSettings {
        gap: 0.01,
        ..SolveSettings::default()
    };
    let w = settings.weights;
    let (ctx, cands) = context(&p, &w);
    let started = Instant::now();
    let far = started + std::time::Duration::from_secs(600);
    let one = |polish_until| OneSolve {
        input: SolveInput {
            problem: &p,
            pins: &[],
            previous: None,
        },
        settings: &settings,
        started,
        constant: 0.0,
        floor: f64::NEG_INFINITY,
        polish_until,
    };
    let greedy = crate::greedy::greedy(&p, 1, 1, &w);
    let before = total(&p, &greedy, &w);
    // As the MILP leaves a roster: at its time limit, against `bound`.
    let stopped = |status, bound: f64| super::Solved {
        roster: greedy.clone(),
        report: SolveReport {
            status,
            solver_objective: before,
            best_bound: bound,
            gap: highs::relative_gap(before, bound),
            ..SolveReport::not_solved(evaluate(&p, &greedy, None, &w))
        },
    };
    let polished = one(Some(far)).polished(stopped(SolveStatus::TimeLimit, 1.0), &ctx, &cands);
    let after = total(&p, &polished.roster, &w);
    let r = &polished.report;
    assert!(after < before, "{after} vs {before}");
    assert!((r.solver_objective - after).abs() < 1e-9);
    assert!((r.evaluation.components.total() - after).abs() < 1e-9);
    assert_eq!(r.best_bound, 1.0);
    assert_eq!(r.gap, highs::relative_gap(after, 1.0));
    assert_eq!(r.status, SolveStatus::TimeLimit);
    assert_eq!(crate::check::check(&p, &polished.roster), vec![]);
    // Within 1% of a bound just below it: the same polished roster is optimal.
    let near = 0.995 * after;
    let again = one(Some(far)).polished(stopped(SolveStatus::TimeLimit, near), &ctx, &cands);
    assert_eq!(again.roster, polished.roster);
    assert_eq!(again.report.status, SolveStatus::Optimal);
    // Left alone: an optimal roster, no polishing, a deadline passed.
    for (status, until) in [
        (SolveStatus::Optimal, Some(far)),
        (SolveStatus::TimeLimit, None),
        (SolveStatus::TimeLimit, Some(started)),
    ] {
        let kept = one(until).polished(stopped(status, 1.0), &ctx, &cands);
        assert_eq!(kept.roster, greedy);
        assert_eq!(kept.report.solver_objective, before);
    }
}
