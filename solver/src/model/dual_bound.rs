//! Pricing's Lagrangian bound in its robust form: from one dual vector, clamped to the signs
//! its rows allow, every term computed directly.
//!
//! For any row duals `ŷ` of the right signs (≤ 0 on a `≤` row, ≥ 0 on a `≥` row, free on
//! an equality), every roster `x` of the whole problem costs at least
//!
//! ```text
//! L(ŷ) = ŷ·b + Σ_columns min over the column's range of (c − ŷᵀA)·x
//! ```
//!
//! since `ŷ·(b − Ax) ≤ 0` for it. The pairs' minimum is taken per lawyer within their own
//! limits (see [`lawyer_bound`](super::lawyer_bound)); a penalty column (an excess, a
//! shortfall, the largest deviation) has no upper bound in the model, but at an optimum it
//! is never above [`LpData::implied_upper`], so that range is used. Rows the subset's model
//! lacks count as dual 0. A left-out pair's reduced cost leaves out the AM/PM distance rows
//! (see `BuildContext::reduced_cost`): their duals are ≤ 0 and would only raise it, so the
//! minimum taken is never above the true one.
//!
//! HiGHS's duals leave a penalty column's reduced cost a little below 0 at times (within
//! its tolerances); [`LpData::repair`] moves the duals just enough that none is.
//!
//! Nothing here relies on the duals being optimal or on complementary slackness: the bound
//! holds for any vector, so HiGHS's tolerances cannot make it claim too much. At an optimal
//! dual vector it equals the relaxation's value less what the left-out pairs could save.

use super::Model;
use super::warm_start::StartCol;
use std::collections::HashMap;

/// Which way a row bounds its sum, in HiGHS's orientation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum RowKind {
    Le,
    Ge,
    Eq,
}

/// What the bound reads of a built model: its rows' kinds and right-hand sides, and each
/// column's cost, upper bound and entries (row, coefficient), as HiGHS holds them.
pub(super) struct LpData {
    pub(super) kind: Vec<RowKind>,
    pub(super) rhs: Vec<f64>,
    pub(super) cost: Vec<f64>,
    /// Each column's upper bound: 1 for a pair, the posts for an unmet column, infinite
    /// for a penalty column.
    pub(super) upper: Vec<f64>,
    /// Column-wise entries.
    pub(super) entries: Vec<Vec<(usize, f64)>>,
    /// Whether the column is a pair's.
    pub(super) is_pair: Vec<bool>,
    /// The column of each of the model's pairs, in order.
    pub(super) pair_col: Vec<usize>,
}

impl Model {
    /// The rows and columns as HiGHS receives them (see `good_lp`'s HiGHS backend: a `≥`
    /// row is passed with its coefficients as written and a lower bound).
    pub(super) fn lp_data(&self) -> LpData {
        let col_of: HashMap<good_lp::Variable, usize> = self.col_of.iter().copied().collect();
        let mut entries: Vec<Vec<(usize, f64)>> = vec![vec![]; self.cols];
        let (mut kind, mut rhs) = (vec![], vec![]);
        for (r, c) in self.constraints.iter().enumerate() {
            let e = c.expression();
            let upper = -good_lp::IntoAffineExpression::constant(e);
            let (k, b, sign) = if c.is_equality() {
                (RowKind::Eq, upper, 1.0)
            } else if self.row_ge[r] {
                (RowKind::Ge, -upper, -1.0)
            } else {
                (RowKind::Le, upper, 1.0)
            };
            kind.push(k);
            rhs.push(b);
            for (v, a) in good_lp::IntoAffineExpression::linear_coefficients(e) {
                if let Some(&j) = col_of.get(&v) {
                    entries[j].push((r, sign * a));
                }
            }
        }
        let mut cost = vec![0.0; self.cols];
        for (v, a) in good_lp::IntoAffineExpression::linear_coefficients(&self.objective) {
            if let Some(&j) = col_of.get(&v) {
                cost[j] += a;
            }
        }
        let mut upper = vec![f64::INFINITY; self.cols];
        let mut is_pair = vec![false; self.cols];
        for pr in &self.pairs {
            upper[pr.col] = 1.0;
            is_pair[pr.col] = true;
        }
        for (col, start) in &self.starts {
            if let StartCol::Unmet { posts, .. } = start {
                upper[*col] = *posts;
            }
        }
        LpData {
            kind,
            rhs,
            cost,
            upper,
            entries,
            is_pair,
            pair_col: self.pairs.iter().map(|pr| pr.col).collect(),
        }
    }
}

impl LpData {
    /// The duals `y` clamped to the signs their rows allow, rows without a dual at 0.
    pub(super) fn clamp(&self, y: &[f64]) -> Vec<f64> {
        (0..self.kind.len())
            .map(|r| {
                let v = y.get(r).copied().unwrap_or(0.0);
                if !v.is_finite() {
                    return 0.0;
                }
                match self.kind[r] {
                    RowKind::Le => v.min(0.0),
                    RowKind::Ge => v.max(0.0),
                    RowKind::Eq => v,
                }
            })
            .collect()
    }

    /// Moves the clamped duals `y` toward 0 where a penalty column (no upper bound) would
    /// have a negative reduced cost, so that it has none: the rows that lower its reduced
    /// cost have their duals scaled down just enough. HiGHS's duals are optimal only to
    /// its tolerances, and a reduced cost of −1e-7 times [`Self::implied_upper`] would cost
    /// the bound far more than the few 1e-7 this moves. Columns are taken in order, the
    /// largest deviation's (whose rows hold the other fairness columns) first.
    pub(super) fn repair(&self, y: &mut [f64]) {
        for j in 0..self.cost.len() {
            if self.is_pair[j] || self.upper[j].is_finite() {
                continue;
            }
            let (mut rest, mut lowering) = (self.cost[j], 0.0);
            for &(r, a) in &self.entries[j] {
                let part = -y[r] * a;
                if part < 0.0 {
                    lowering += part;
                } else {
                    rest += part;
                }
            }
            if rest + lowering >= 0.0 {
                continue;
            }
            let t = (rest / -lowering).clamp(0.0, 1.0);
            for &(r, a) in &self.entries[j] {
                if -y[r] * a < 0.0 {
                    y[r] *= t;
                }
            }
        }
    }

    /// Column `j`'s reduced cost under the clamped duals `y`.
    pub(super) fn reduced_cost(&self, j: usize, y: &[f64]) -> f64 {
        self.cost[j] - self.entries[j].iter().map(|&(r, a)| y[r] * a).sum::<f64>()
    }

    /// `ŷ·b` plus every column's least `rc·x` over its range except the pairs', whose
    /// minimum the caller takes per lawyer; and the sum of the terms' magnitudes, for a
    /// rounding margin. `implied_upper` stands for a penalty column's missing upper bound.
    pub(super) fn rows_and_penalties(&self, y: &[f64], implied_upper: f64) -> (f64, f64) {
        let (mut total, mut magnitude) = (0.0, 0.0);
        for (r, &b) in self.rhs.iter().enumerate() {
            total += y[r] * b;
            magnitude += (y[r] * b).abs();
        }
        for j in 0..self.cost.len() {
            if self.is_pair[j] {
                continue;
            }
            let rc = self.reduced_cost(j, y);
            if rc < 0.0 {
                let u = if self.upper[j].is_finite() {
                    self.upper[j]
                } else {
                    implied_upper
                };
                total += rc * u;
                magnitude += (rc * u).abs();
            }
        }
        (total, magnitude)
    }

    /// A bound no penalty column exceeds at an optimum of the whole problem: a penalty is
    /// the largest excess of a row's sum over its right-hand side (the largest deviation,
    /// two such), and a row's sum is at most `duties` times `a_max`, the largest weight a
    /// pair has in any row of the whole model (a duty's or backup's load factor, or 1).
    pub(super) fn implied_upper(&self, duties: f64, a_max: f64) -> f64 {
        let mut a_max = a_max.max(1.0);
        for (j, col) in self.entries.iter().enumerate() {
            if self.is_pair[j] {
                for &(_, a) in col {
                    a_max = a_max.max(a.abs());
                }
            }
        }
        let b_max = self.rhs.iter().fold(0.0f64, |m, b| m.max(b.abs()));
        2.0 * (duties * a_max + b_max) + 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::build::{BuildContext, Rows};
    use super::super::candidates::{Cand, candidates};
    use super::super::pins::Pins;
    use super::super::pricing::{
        first_bound, lagrangian_bound, relaxation_within, solve_relaxation,
    };
    use super::super::{SolveInput, solve_one};
    use super::LpData;
    use crate::settings::SolveSettings;
    use zhiban_domain::{CentreId, FairnessPolicy, HalfDay, PastDuty, RosterProblem};

    /// A small province (two centres sharing stations) over two weeks, history included,
    /// with every term of issue 25 on: backups and station kinds apart, consecutive days,
    /// weekdays, AM/PM and the same firm in a row.
    fn problem(seed: u64) -> RosterProblem {
        let ds = zhiban_fixtures::province(zhiban_fixtures::ProvinceSpec {
            centres: 2,
            lawyers: 12,
            stations: Some(4),
            seed,
        })
        .unwrap();
        let ids: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
        let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let history = vec![PastDuty {
            lawyer_id: ds.lawyers[0].id.clone(),
            station_id: ds.stations[0].id.clone(),
            date: from - chrono::Duration::days(1),
            half_day: HalfDay::Am,
        }];
        let mut p = RosterProblem::build(&ds, &ids, from, 2, history).unwrap();
        let all = FairnessPolicy {
            by_station_kind: true,
            firm_consecutive: 1,
            ..FairnessPolicy::default()
        };
        p.fairness = ids.into_iter().map(|c| (c, all)).collect();
        p
    }

    /// The candidates of `p` and what building its models needs.
    fn setup(p: &RosterProblem) -> (Vec<Cand>, BuildContext<'_>) {
        let input = SolveInput {
            problem: p,
            pins: &[],
            previous: None,
        };
        let pins = Pins::resolve(input).unwrap();
        let w = SolveSettings::default().weights;
        let cands = candidates(p, &pins.pinned, &pins.previous, false, &w);
        let ctx = BuildContext::new(p, &pins.lawyer_index, &w);
        (cands, ctx)
    }

    /// Numbers in [-3, 3) from a fixed seed (a linear congruential generator).
    fn noise(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) * 6.0 - 3.0
            })
            .collect()
    }

    /// The model over `chosen`, whole or lean (without each lawyer's spread over time, as
    /// pricing builds it for a province's pools).
    fn model(
        ctx: &BuildContext<'_>,
        cands: &[Cand],
        chosen: &[usize],
        lean: bool,
    ) -> (super::super::Model, Rows) {
        if lean {
            ctx.build_lean(cands, chosen)
        } else {
            ctx.build(cands, chosen)
        }
    }

    fn data(
        ctx: &BuildContext<'_>,
        cands: &[Cand],
        chosen: &[usize],
        lean: bool,
    ) -> (LpData, Rows) {
        let (m, rows) = model(ctx, cands, chosen, lean);
        (m.lp_data(), rows)
    }

    #[test]
    fn pricing_reads_every_row_a_pair_is_in_with_its_coefficient() {
        for seed in [1, 2, 3] {
            let mut p = problem(seed);
            // Half the lawyers one duty a day, half two (consecutive days then count per
            // half-day); no AM/PM distance rows, which pricing leaves out.
            for (i, l) in p.lawyers.iter_mut().enumerate() {
                l.limits.per_day = 1 + u32::from(i % 2 == 1);
            }
            p.rules.am_pm_max_distance_km = 100_000;
            let (cands, ctx) = setup(&p);
            let all: Vec<usize> = (0..cands.len()).collect();
            let full_rows = data(&ctx, &cands, &all, false).0.kind.len();
            for lean in [false, true] {
                let (lp, rows) = data(&ctx, &cands, &all, lean);
                assert!(lp.kind.len() > cands.len() / 2, "the model has its rows");
                // The lean model leaves rows out: the spread terms are on in this problem.
                assert_eq!(lean, lp.kind.len() < full_rows, "seed {seed}, lean {lean}");
                for k in 0..4 {
                    let y = lp.clamp(&noise(seed * 10 + k, lp.kind.len()));
                    for (i, c) in cands.iter().enumerate() {
                        let from_matrix = lp.reduced_cost(lp.pair_col[i], &y);
                        let priced = ctx.reduced_cost(c, &rows, &y);
                        assert!(
                            (from_matrix - priced).abs() <= 1e-9 * from_matrix.abs().max(1.0),
                            "seed {seed}, lean {lean}, pair {i}: matrix {from_matrix} vs priced {priced}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_bound_holds_for_any_duals_and_meets_the_relaxation_at_its_optimum() {
        for seed in [4, 5] {
            let p = problem(seed);
            let (cands, ctx) = setup(&p);
            // The optimum over every pair, proven (gap 0).
            let settings = SolveSettings {
                gap: 0.0,
                rounding_pairs: usize::MAX,
                ..SolveSettings::default()
            };
            let input = SolveInput {
                problem: &p,
                pins: &[],
                previous: None,
            };
            let optimum = solve_one(input, &settings, None).unwrap().report;
            assert!(optimum.gap <= 1e-6, "{optimum:?}");
            let optimum = optimum.solver_objective;
            // The first bound, before any relaxation: proven, and more than nothing.
            let first = first_bound(&ctx, &cands);
            assert!(
                first > 0.0 && first <= optimum + 1e-9,
                "{first} vs {optimum}"
            );
            // Any duals, over every pair and over half of them: never above the optimum.
            // The relaxation's own duals, then those moved by noise of growing size (near an
            // optimum is where a wrong term would show), then noise alone.
            let half: Vec<usize> = (0..cands.len()).step_by(2).collect();
            let all: Vec<usize> = (0..cands.len()).collect();
            let mut whole_relaxation = [f64::NAN; 2];
            for (chosen, lean) in [(&all, false), (&half, false), (&all, true), (&half, true)] {
                let (lp, rows) = data(&ctx, &cands, chosen, lean);
                let (m, _) = model(&ctx, &cands, chosen, lean);
                let relaxed = solve_relaxation(m, std::time::Duration::from_secs(30), 0)
                    .unwrap()
                    .unwrap();
                assert!(relaxed.finished, "seed {seed}: the relaxation was stopped");
                for (k, scale) in [0.01, 0.1, 1.0, 10.0, f64::INFINITY]
                    .into_iter()
                    .enumerate()
                {
                    let noise = noise(seed * 10 + k as u64, lp.kind.len());
                    let y: Vec<f64> = if scale.is_finite() {
                        let at = |r: usize| relaxed.duals[r] + scale * noise[r];
                        (0..noise.len()).map(at).collect()
                    } else {
                        noise
                    };
                    let (bound, _) = lagrangian_bound(&ctx, &cands, chosen, &lp, &rows, &y);
                    assert!(bound <= optimum + 1e-9, "seed {seed}: {bound} > {optimum}");
                    // Repaired, no penalty column (no upper bound) prices below 0.
                    let mut y = lp.clamp(&y);
                    lp.repair(&mut y);
                    for j in (0..lp.cost.len()).filter(|&j| !lp.upper[j].is_finite()) {
                        let rc = lp.reduced_cost(j, &y);
                        assert!(rc >= -1e-9, "seed {seed}, column {j}: {rc}");
                    }
                }
                // At the relaxation's own duals: its value, and still at most the optimum.
                let (bound, _) = lagrangian_bound(&ctx, &cands, chosen, &lp, &rows, &relaxed.duals);
                assert!(bound <= optimum + 1e-9, "seed {seed}: {bound} > {optimum}");
                assert!(bound <= relaxed.objective + 1e-6 * relaxed.objective.abs().max(1.0));
                if chosen.len() == cands.len() {
                    whole_relaxation[usize::from(lean)] = relaxed.objective;
                    assert!(
                        bound >= relaxed.objective - 1e-6 * relaxed.objective.abs().max(1.0),
                        "seed {seed}: at the optimal duals {bound} vs relaxation {}",
                        relaxed.objective
                    );
                }
            }
            // Without the spread terms the relaxation is no dearer than with them.
            let [full, lean] = whole_relaxation;
            assert!(
                lean <= full + 1e-6 * full.abs().max(1.0),
                "seed {seed}: {lean} vs {full}"
            );
        }
    }

    #[test]
    fn a_relaxation_stopped_early_still_bounds_every_roster() {
        for seed in [4, 5] {
            let p = problem(seed);
            let (cands, ctx) = setup(&p);
            let settings = SolveSettings {
                gap: 0.0,
                rounding_pairs: usize::MAX,
                ..SolveSettings::default()
            };
            let input = SolveInput {
                problem: &p,
                pins: &[],
                previous: None,
            };
            let optimum = solve_one(input, &settings, None).unwrap().report;
            assert!(optimum.gap <= 1e-6, "{optimum:?}");
            let optimum = optimum.solver_objective;
            let first = first_bound(&ctx, &cands);
            let all: Vec<usize> = (0..cands.len()).collect();
            let (lp, rows) = data(&ctx, &cands, &all, false);
            let limit = std::time::Duration::from_secs(30);
            // Stopped after ever more simplex iterations (as a time limit would stop it, but
            // the same on every machine; both problems need more than 160), then solved.
            let mut bounds = vec![];
            for n in [5, 20, 80, 160, i32::MAX] {
                let (m, _) = model(&ctx, &cands, &all, false);
                let relaxed = relaxation_within(m, limit, 0, false, Some(n))
                    .unwrap()
                    .unwrap();
                let (bound, _) = lagrangian_bound(&ctx, &cands, &all, &lp, &rows, &relaxed.duals);
                assert!(
                    bound <= optimum + 1e-9,
                    "seed {seed}, {n}: {bound} > {optimum}"
                );
                assert_eq!(
                    relaxed.finished,
                    n == i32::MAX,
                    "seed {seed}, {n} iterations"
                );
                bounds.push(bound);
            }
            // Its duals are the model's own (no presolve): the bound grows as it goes, well
            // above the first bound (seed 4: 6.4 at first, 101.5 after 160 iterations).
            assert!(
                bounds[3] > 10.0 * first,
                "seed {seed}: {bounds:?}, first {first}"
            );
            assert!(bounds[3] > bounds[0], "seed {seed}: {bounds:?}");
        }
    }
}
