//! Times suggestions and edit checks over every slot of a Guangzhou city month (issue 25):
//! each of the 12 centres' month solved as an API job makes it (one roster per centre), and
//! then the whole city as one roster; for every slot and role the ranked suggestions
//! (`suggest`), and the check of an edit (`new_violations`) that gives the slot to its best
//! valid candidate. Prints p50, p99 and the slowest of each.
//! `cargo run --release -p zhiban-solver --example suggest_bench`

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use std::time::Instant;
use zhiban_solver::suggest::{SlotRole, suggest};
use zhiban_solver::*;

fn main() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/guangzhou");
    let ds = zhiban_dataset::read_dir(&dir, d("2026-11-21")).unwrap();
    let centres: Vec<_> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let (mut sugg, mut edits, mut n) = (vec![], vec![], 0);
    for c in &centres {
        let p = zhiban_domain::RosterProblem::build(
            &ds,
            std::slice::from_ref(c),
            d("2026-11-23"),
            4,
            vec![],
        )
        .unwrap();
        n += bench(&p, &mut sugg, &mut edits);
    }
    println!("guangzhou, each centre's month as its own roster: {n} candidates ranked");
    show("suggestions (every slot and role)", &mut sugg);
    show("edit check (the best valid candidate)", &mut edits);
    let p = zhiban_domain::RosterProblem::build(&ds, &centres, d("2026-11-23"), 4, vec![]).unwrap();
    let (mut sugg, mut edits) = (vec![], vec![]);
    let n = bench(&p, &mut sugg, &mut edits);
    println!(
        "guangzhou, the whole city's month as one roster ({} slots, {} lawyers): {n} candidates ranked",
        p.slots.len(),
        p.lawyers.len()
    );
    show("suggestions (every slot and role)", &mut sugg);
    show("edit check (the best valid candidate)", &mut edits);
}

fn show(name: &str, v: &mut [f64]) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "  {name}: {} calls, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        v.len(),
        at(0.5),
        at(0.99),
        v[v.len() - 1]
    );
}

/// Solves `p` and times every slot's suggestions and its best edit's check; the candidates.
fn bench(p: &zhiban_domain::RosterProblem, sugg: &mut Vec<f64>, edits: &mut Vec<f64>) -> usize {
    let settings = SolveSettings {
        gap: 0.005,
        time_limit: std::time::Duration::from_secs(30),
        ..SolveSettings::default()
    };
    let input = SolveInput {
        problem: p,
        pins: &[],
        previous: None,
    };
    let roster = solve(input, &settings).unwrap().roster;
    let w = Weights::default();
    let mut candidates = 0usize;
    for s in &p.slots {
        for role in [Role::Primary, Role::Backup] {
            if role == Role::Backup && s.backups == 0 {
                continue;
            }
            let slot = SlotRole {
                station_id: s.station_id.clone(),
                date: s.date,
                half_day: s.half_day,
                role,
            };
            // As the page asks: replacing the lawyer there (if any).
            let there = roster
                .assignments
                .iter()
                .find(|a| {
                    a.station_id == s.station_id
                        && a.date == s.date
                        && a.half_day == s.half_day
                        && a.role == role
                })
                .map(|a| a.lawyer_id.clone());
            let t = Instant::now();
            let ranked = suggest(p, &roster, &[], &slot, there.as_ref(), &w).unwrap();
            sugg.push(t.elapsed().as_secs_f64() * 1000.0);
            candidates += ranked.len();
            let Some(best) = ranked.iter().find(|c| c.valid) else {
                continue;
            };
            let mut after: Vec<Assignment> = roster
                .assignments
                .iter()
                .filter(|a| {
                    !(Some(&a.lawyer_id) == there.as_ref()
                        && a.station_id == s.station_id
                        && a.date == s.date
                        && a.half_day == s.half_day)
                })
                .cloned()
                .collect();
            after.push(Assignment {
                date: s.date,
                half_day: s.half_day,
                station_id: s.station_id.clone(),
                lawyer_id: best.lawyer_id.clone(),
                role,
            });
            let after = Roster::new(after);
            let t = Instant::now();
            let broken = new_violations(p, &roster, &after, &[]);
            edits.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(broken.is_empty());
        }
    }
    candidates
}
