//! A roster rounded from the linear relaxation. On a large part, HiGHS spends most of its
//! time before its first good roster: presolve, the root relaxation, then heuristics that
//! start from the greedy roster. But the relaxation of a rostering model is nearly whole
//! (within thousandths of a percent of the optimum on Guangzhou's month), and the pairs it
//! uses are few. So a large part first solves its relaxation (or takes pricing's last one),
//! then the MILP over only the pairs with a positive value there (and, solved whole, every
//! pair between its fractional slots and lawyers). That small MILP's roster is
//! a roster of the whole part; when it is within the gap target of the relaxation's bound
//! (a bound for the whole part: HiGHS's relaxation over every pair, or pricing's Lagrangian
//! bound), the part is done. Otherwise it warm-starts the whole MILP, in place of the greedy
//! roster when it is better. Small parts gain too (a province centre's month, 10,000 pairs,
//! 3.7 s to 1.8 s; Baotou's month 20 s to 15 s), so it is on for every part by default.
//! After pricing's lean relaxations (blind to the spread terms) the pairs also include each
//! slot's cheapest by reduced cost (`Support::widened`), so the MILP can move duties apart.
//! A relaxation stopped at its time limit gives its bound only, and no rounding.

use super::build::BuildContext;
use super::candidates::Cand;
use super::pricing::{Support, lagrangian_bound, solve_relaxation};
use super::warm_start::warm_start;
use super::{Milp, Pair, highs};
use crate::roster::Roster;
use crate::settings::SolveSettings;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// The share of the time left the relaxation may take, and the rounded MILP.
const RELAX_SHARE: f64 = 0.4;
const ROUND_SHARE: f64 = 0.3;

/// The time left of `settings.time_limit` since `started`, times `share`.
fn share_left(settings: &SolveSettings, started: Instant, share: f64) -> Duration {
    settings
        .time_limit
        .saturating_sub(started.elapsed())
        .mul_f64(share)
}

/// The relaxation over the pairs `chosen` (indices into `cands`), solved within a share of
/// the time left: the pairs it uses (and, where it is fractional, the pairs between its
/// fractional slots and lawyers), its objective, and the Lagrangian bound at its duals (a
/// bound for every roster, whatever `chosen` holds). Stopped at its time limit, only the
/// bound, with no pairs; `None` when it failed (the full MILP follows anyway).
pub(super) fn relax(
    ctx: &BuildContext<'_>,
    cands: &[Cand],
    chosen: &[usize],
    settings: &SolveSettings,
    started: Instant,
) -> Option<Support> {
    let left = share_left(settings, started, RELAX_SHARE);
    if left.is_zero() {
        return None;
    }
    let (m, rows) = ctx.build(cands, chosen);
    let lp = m.lp_data();
    let relaxed = solve_relaxation(m, left, settings.threads).ok()??;
    let (bound, _) = lagrangian_bound(ctx, cands, chosen, &lp, &rows, &relaxed.duals);
    if !relaxed.finished {
        // Stopped at its time limit: a bound, and no pairs to round.
        return Some(Support {
            pairs: vec![],
            bound,
        });
    }
    let mut support = Support::of(&relaxed, chosen, bound);
    // Where the relaxation is fractional its support alone may hold no roster near it (on
    // Guangzhou's month from 2026-12-14 it did not): every pair of a slot with a
    // fractional value there, for a lawyer with a fractional value somewhere, joins too.
    let mut slots = HashSet::new();
    let mut lawyers = HashSet::new();
    for (&i, &x) in chosen.iter().zip(&relaxed.columns) {
        if x > 1e-6 && x < 1.0 - 1e-6 {
            slots.insert(cands[i].slot);
            lawyers.insert(cands[i].lawyer);
        }
    }
    let used: HashSet<usize> = support.pairs.iter().copied().collect();
    for &i in chosen {
        let c = &cands[i];
        if !used.contains(&i) && slots.contains(&c.slot) && lawyers.contains(&c.lawyer) {
            support.pairs.push(i);
        }
    }
    support.pairs.sort_unstable();
    Some(support)
}

/// The MILP over the pairs of `support` alone, within a share of the time left (its gap
/// target halved, as the bound it is judged against is lower than its own): the solve and
/// its pairs, or `None` when it found no roster or failed (the full MILP follows anyway).
pub(super) fn round(
    ctx: &BuildContext<'_>,
    cands: &[Cand],
    support: &Support,
    start: Option<&Roster>,
    settings: &SolveSettings,
    started: Instant,
) -> Option<(Milp, Vec<Pair>)> {
    let budget = share_left(settings, started, ROUND_SHARE);
    if budget.is_zero() || support.pairs.is_empty() {
        return None;
    }
    let sub = SolveSettings {
        time_limit: started.elapsed() + budget,
        export_mps: None,
        ..settings.clone()
    };
    // The start roster's pairs join, and it starts HiGHS: its sub-MIP search (RINS) needs a
    // roster, and HiGHS's own rounding of a fractional relaxation finds only poor ones (on a
    // province centre's month, rosters with unfilled posts for the first 1.8 s).
    let mut chosen = support.pairs.clone();
    if let Some(r) = start {
        let p = ctx.p;
        let wanted: HashSet<_> = r
            .assignments
            .iter()
            .map(|a| (&a.station_id, a.date, a.half_day, &a.lawyer_id, a.role))
            .collect();
        let inside: HashSet<usize> = chosen.iter().copied().collect();
        for (i, c) in cands.iter().enumerate() {
            let s = &p.slots[c.slot];
            let key = (
                &s.station_id,
                s.date,
                s.half_day,
                &p.lawyers[c.lawyer].id,
                c.role,
            );
            if !inside.contains(&i) && wanted.contains(&key) {
                chosen.push(i);
            }
        }
        chosen.sort_unstable();
    }
    let (m, _) = ctx.build(cands, &chosen);
    let warm = start.map(|r| warm_start(ctx.p, &m, &ctx.w, r));
    let (variables, constraints) = (m.cols, m.constraints.len());
    let (model, pairs) = m.into_highs(settings.threads).ok()?;
    let solved =
        highs::solve_milp(model, &sub, true, false, warm.as_deref(), started, None).ok()?;
    let (status, has_solution) = highs::status(&solved, true, &sub).ok()?;
    if !has_solution {
        return None;
    }
    let milp = Milp {
        status,
        has_solution,
        bound: solved
            .double_info_value(c"mip_dual_bound")
            .unwrap_or(f64::NAN),
        objective: solved.objective_value(),
        columns: solved.get_solution().columns().to_vec(),
        elapsed: started.elapsed().as_secs_f64(),
        variables,
        constraints,
        pruned_candidates: cands.len() - chosen.len(),
    };
    Some((milp, pairs))
}
