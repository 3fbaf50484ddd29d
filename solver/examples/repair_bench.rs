//! Times a repair: guangzhou, 4 weeks; the lawyer with most duties in week 2 is out that week.
//! `cargo run --release -p zhiban-solver --example repair_bench`

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use zhiban_solver::*;

fn main() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/guangzhou");
    let ds = zhiban_dataset::read_dir(&dir, d("2026-11-21")).unwrap();
    let centres: Vec<_> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let p = zhiban_domain::RosterProblem::build(&ds, &centres, d("2026-11-23"), 4, vec![]).unwrap();
    let settings = SolveSettings::default();
    let published = solve(
        SolveInput {
            problem: &p,
            pins: &[],
            previous: None,
        },
        &settings,
    )
    .unwrap()
    .roster;
    let mut counts = std::collections::BTreeMap::new();
    for a in published
        .assignments
        .iter()
        .filter(|a| a.date >= d("2026-11-30") && a.date <= d("2026-12-06"))
    {
        *counts.entry(a.lawyer_id.clone()).or_insert(0usize) += 1;
    }
    let (sick, n) = counts.into_iter().max_by_key(|(_, n)| *n).unwrap();
    let change = Change::LawyerOut {
        lawyer_id: sick.clone(),
        from: d("2026-11-30"),
        to: d("2026-12-06"),
    };
    let t = std::time::Instant::now();
    let r = repair(&p, &published, &[], &[change], &settings).unwrap();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let others_touched = r
        .diff
        .removed
        .iter()
        .filter(|a| a.lawyer_id != sick)
        .count();
    println!(
        "repair guangzhou 4w, {sick} out for a week ({n} duties): {ms:.0} ms, status {:?}, removed {}, added {}, other lawyers' duties removed {others_touched}, violations {}",
        r.solved.report.status,
        r.diff.removed.len(),
        r.diff.added.len(),
        check(&r.problem, &r.solved.roster).len()
    );
}
