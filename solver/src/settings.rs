//! Solver settings and objective weights.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Objective weights. The objective is minimised; the tiers are kept apart by orders of
/// magnitude so that, in practice, a higher tier is never traded for a lower one:
///
/// | tier | term | default |
/// |---|---|---|
/// | (a) coverage | per unfilled primary post, times (1 + station priority) | 10 000 |
/// | (b) backups | per unnamed backup (AB岗) | 1 000 |
/// | (g) stability (repair only) | per assignment changed against the previous version | 300 |
/// | (c) lawyer fairness | worst deviation from fair share / total deviation | 40 / 8 |
/// | (c) backup fairness | total deviation of backups from their own fair share | 6 |
/// | (c) station kinds (centres that ask) | total deviation by kind of station | 4 |
/// | (h) spread over time (per centre) | consecutive days / weekday / AM-PM / same firm in a row | 6 / 2 / 1 / 1 |
/// | (d) firm fairness | total deviation of firm loads from their panel-size share | 2 |
/// | (e) preferences | per duty at an avoided (+) or wished-for (−) station or weekday | 1 |
/// | (f) travel | per km from the lawyer's base to the station | 0.02 |
/// | tie-break | a fixed pseudo-random cost in [0, 1) per choice | 0.01 |
///
/// Duties and backups are balanced separately, each against its own fair share (a backup is
/// standby, not a half-day at the station); firms are balanced on both together. The spread
/// terms (h) are set per centre ([`zhiban_domain::FairnessPolicy`], which documents them);
/// `spread: false` and `separate_backups: false` give the model of the first round.
///
/// Stability sits above fairness in repair mode: a repair should change as little as
/// possible, and only coverage and backups may justify touching an unaffected duty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    /// Per unfilled primary post; multiplied by 1 + the station's priority.
    pub coverage: f64,
    /// Per missing named backup.
    pub backup: f64,
    /// On the largest absolute deviation of any lawyer from their fair share.
    pub fairness_max: f64,
    /// On the sum of absolute deviations of lawyers from their fair share.
    pub fairness_sum: f64,
    /// On the sum of absolute deviations of firms from their share.
    pub firm_fairness: f64,
    /// Per stated wish a duty goes against.
    pub preference: f64,
    /// Per kilometre between a lawyer's base and the station.
    pub distance_per_km: f64,
    /// Per assignment added or removed against the previous version (repair mode).
    pub stability: f64,
    /// How much a backup duty counts toward a lawyer's load, against 1 for a primary. The
    /// default, 1, reflects that a named backup must keep the half-day free; fractional
    /// values are allowed but make fairness bands fractional and the solve much slower.
    pub backup_load: f64,
    /// Scale of a fixed pseudo-random cost in [0, 1) per (lawyer, slot, role) that breaks
    /// ties between otherwise equal choices, making the optimum unique and reproducible.
    pub tie_break: f64,
    /// On the sum of deviations of lawyers' backups from their own fair share.
    pub backup_fairness: f64,
    /// On the sum of deviations by station kind, for centres that balance by kind.
    pub kind_fairness: f64,
    /// Balance backups on their own (else they count `backup_load` toward one load).
    pub separate_backups: bool,
    /// Use the centres' spread terms (consecutive days, weekdays, AM/PM, same firm in a row)
    /// and balance by station kind where asked.
    pub spread: bool,
}

impl Weights {
    /// The model of the first solver round: one load of duties and backups, no spread terms.
    pub fn classic() -> Self {
        Self {
            separate_backups: false,
            spread: false,
            ..Self::default()
        }
    }
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            coverage: 10_000.0,
            backup: 1_000.0,
            fairness_max: 40.0,
            fairness_sum: 8.0,
            firm_fairness: 2.0,
            preference: 1.0,
            distance_per_km: 0.02,
            stability: 300.0,
            backup_load: 1.0,
            tie_break: 0.01,
            backup_fairness: 6.0,
            kind_fairness: 4.0,
            separate_backups: true,
            spread: true,
        }
    }
}

/// How to solve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolveSettings {
    /// Stop after this long with the best roster found.
    pub time_limit: Duration,
    /// Stop when the relative gap between roster and bound is at most this (0.0001 = 0.01%).
    pub gap: f64,
    /// Solver threads (0: HiGHS decides).
    pub threads: u32,
    /// Objective weights.
    pub weights: Weights,
    /// Print HiGHS's progress log (incumbent, bound, gap, time) to the console.
    pub log_to_console: bool,
    /// Write the model to this MPS file before solving (the problem is then solved as one
    /// model, not split into independent parts, so the file holds all of it).
    pub export_mps: Option<PathBuf>,
    /// Solve parts that share no lawyer separately and in parallel (much faster; the
    /// result is the same optimum).
    pub decompose: bool,
    /// Start the solver from the greedy baseline's roster (not used with pins or in repair).
    pub warm_start: bool,
    /// Models with more (lawyer, slot, role) pairs than this are solved by pricing: the MILP
    /// holds a subset of the pairs, grown by column generation on its linear relaxation,
    /// and the bound reported is a Lagrangian bound valid for every pair (see
    /// `model::column_generation`). Smaller models hold every pair and report HiGHS's bound.
    pub exact_pairs: usize,
    /// Force pricing and start it from this many cheapest pairs per slot and role (0: price
    /// only above `exact_pairs`, starting from 12).
    pub max_candidates: usize,
    /// Parts whose model holds at least this many pairs first solve the MILP over the pairs
    /// their linear relaxation uses; its roster ends the part when within `gap` of the
    /// relaxation's bound, and warm-starts the whole MILP otherwise (`usize::MAX`: never).
    #[serde(default = "default_rounding_pairs")]
    pub rounding_pairs: usize,
    /// Priced models of more candidate pairs than this solve pricing's relaxations without
    /// each lawyer's spread over time (consecutive days, weekdays, AM/PM): a province pool's
    /// relaxation then takes about 1 s a round instead of 6 to 24 s, at the price of a
    /// bound without those terms (see `model::pricing`).
    #[serde(default = "default_lean_pairs")]
    pub lean_pairs: usize,
}

/// Measured on 2026-12-07 (benches/README.md, sixth round): the province's pools (650,000
/// to 900,000 candidate pairs) gain (their month's objective about 3,400 each to 220 to
/// 1,200), Guangzhou's largest part over 26 weeks (271,000) loses (its bound 1,166 → 1,013
/// against a roster of about 1,250), so only the pools' size uses it.
fn default_lean_pairs() -> usize {
    500_000
}

/// Every part: measured on 2026-12-07, rounding first is faster on small parts too
/// (Baotou's month 20.2 → 14.5 s, a province centre's month 3.7 → 1.8 s), same rosters.
fn default_rounding_pairs() -> usize {
    0
}

impl Default for SolveSettings {
    fn default() -> Self {
        Self {
            time_limit: Duration::from_secs(60),
            gap: 0.0001,
            threads: 0,
            weights: Weights::default(),
            log_to_console: false,
            export_mps: None,
            decompose: true,
            warm_start: true,
            exact_pairs: 250_000,
            max_candidates: 0,
            rounding_pairs: default_rounding_pairs(),
            lean_pairs: default_lean_pairs(),
        }
    }
}
