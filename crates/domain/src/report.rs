//! The report of a roster, as the solver writes it and the store keeps it: how the run went
//! ([`SolveReport`]'s status, bound, gap, time and model size) and what the roster is worth
//! ([`Evaluation`]: its objective term by term, coverage with a reason for every slot left
//! short, and each lawyer's and firm's load against the fair share). Also a solve's progress
//! ([`JobProgress`]).
//!
//! These are contracts, not computations: the solver fills them (`zhiban_solver::evaluate`),
//! the store keeps them with their form's version ([`Versioned`]), the API serves them. A
//! report serialises flat (the evaluation's fields beside the run's), as stored reports have
//! always read; a bound or gap not proven is `null`.

use crate::{FirmId, HalfDay, LawyerId, StationId};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

/// A document the store keeps as JSON, with the version of its form. A store refuses a
/// document written in a newer form than [`Versioned::SCHEMA`] rather than misread it, and
/// reads one written before versions were recorded as form 1.
pub trait Versioned: Serialize + for<'de> Deserialize<'de> {
    /// The current form.
    const SCHEMA: u32;
}

/// Why a slot is not fully covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UncoveredReason {
    /// No lawyer in the pool has the skills, languages, years or firm the slot needs, or
    /// holds a licence on the date.
    NoEligibleLawyer {
        /// Lawyers who would be eligible but are licensed only after the date, with their
        /// licence dates (no duty before the licence, whatever the years required).
        #[schema(value_type = Vec<Object>)]
        licensed_later: Vec<(LawyerId, NaiveDate)>,
    },
    /// Lawyers are eligible, but every one of them is unavailable then.
    EligibleUnavailable {
        /// The eligible lawyers.
        lawyers: Vec<LawyerId>,
    },
    /// Eligible, available lawyers exist, but each is on duty elsewhere then or at a limit.
    EligibleAtLimits {
        /// Each available eligible lawyer not on this slot, with what holds them.
        lawyers: Vec<(LawyerId, Busy)>,
    },
}

/// What keeps an available, eligible lawyer from a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Busy {
    /// On duty elsewhere (or as backup here) that half-day.
    SameHalfDay,
    /// At the per-day limit.
    DayLimit,
    /// At the per-week limit.
    WeekLimit,
    /// At the per-month limit.
    MonthLimit,
    /// The other half-day is at a station too far away.
    TooFar,
    /// Nothing binds: a better use of the lawyer was found (shown only for missing backups).
    Other,
}

/// A slot left short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Uncovered {
    /// Station.
    pub station_id: StationId,
    /// Date.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// Primary posts wanted.
    pub wanted: u32,
    /// Primary posts filled.
    pub filled: u32,
    /// Backups wanted.
    pub backups_wanted: u32,
    /// Backups named.
    pub backups_filled: u32,
    /// Why.
    pub reason: UncoveredReason,
}

/// One lawyer's load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LawyerLoad {
    /// Lawyer.
    pub lawyer_id: LawyerId,
    /// Firm.
    pub firm_id: FirmId,
    /// Duties in the history window.
    pub history: u32,
    /// Primary duties in the period.
    pub primary: u32,
    /// Backup duties in the period.
    pub backup: u32,
    /// Fair share of history plus period, in duty units: primary duties only when backups
    /// are balanced on their own (since issue 25), else duties and backups together.
    pub fair_share: f64,
    /// History + primary − fair share (with backups balanced together: + backup_load ×
    /// backup).
    pub deviation: f64,
    /// Fair share of backups in the period (0 when backups count with duties).
    #[serde(default)]
    pub backup_share: f64,
    /// Pairs of consecutive days with a primary duty on both.
    #[serde(default)]
    pub consecutive_days: u32,
    /// Primary duties by weekday of the date, Monday first.
    #[serde(default)]
    pub weekdays: [u32; 7],
    /// Primary duties in the mornings and in the afternoons.
    #[serde(default)]
    pub half_days: [u32; 2],
    /// Duties on a weekday beyond the lawyer's even spread over the weekdays they can work.
    #[serde(default)]
    pub weekday_excess: u32,
    /// Duties in one half of the day beyond half the lawyer's share (0 for a lawyer who can
    /// only do one).
    #[serde(default)]
    pub half_day_excess: u32,
    /// Primary duties by station kind against their fair shares (history included), when
    /// the lawyer's centre balances by kind; empty otherwise.
    #[serde(default)]
    pub kinds: Vec<KindLoad>,
}

/// A lawyer's duties at one kind of station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KindLoad {
    /// The kind.
    pub kind: crate::StationKind,
    /// Duties there, history included.
    pub duties: u32,
    /// Fair share there, history included.
    pub fair_share: f64,
}

/// A roster's spread over time, summed over lawyers and stations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Spread {
    /// Pairs of consecutive days a lawyer is on duty on both.
    pub consecutive_days: u32,
    /// Duties on a weekday beyond a lawyer's even spread.
    pub weekday_excess: u32,
    /// Duties in one half of the day beyond half a lawyer's share.
    pub half_day_excess: u32,
    /// Times one firm holds a station on two consecutive open half-days (a station with
    /// several posts counts each duty of the firm beyond one).
    pub firm_consecutive: u32,
    /// Backups outside a lawyer's fair band of backups, summed.
    pub backup_outside: f64,
    /// Duties outside a lawyer's fair band at a kind of station, summed (centres that
    /// balance by kind).
    pub kind_outside: f64,
}

/// One firm's load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FirmLoad {
    /// Firm.
    pub firm_id: FirmId,
    /// Active panel size.
    pub panel: u32,
    /// Duty units, history included.
    pub load: f64,
    /// Its share.
    pub fair_share: f64,
}

/// A roster's evaluation against its problem.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evaluation {
    /// The objective recomputed from the roster, term by term.
    pub components: Components,
    /// Slots in the period.
    pub slots: usize,
    /// Primary posts wanted.
    pub posts_wanted: u32,
    /// Primary posts filled.
    pub posts_filled: u32,
    /// Backups wanted.
    pub backups_wanted: u32,
    /// Backups named.
    pub backups_filled: u32,
    /// Slots left short, and why.
    pub uncovered: Vec<Uncovered>,
    /// Load per lawyer.
    pub lawyers: Vec<LawyerLoad>,
    /// Load per firm.
    pub firms: Vec<FirmLoad>,
    /// Spread over time and the balance of backups and station kinds (issue 25); zero in
    /// reports written before.
    #[serde(default)]
    pub spread: Spread,
}

/// The objective, term by term (already weighted, except where noted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Components {
    /// (a) unfilled primary posts, weighted by station priority.
    pub coverage: f64,
    /// (b) missing backups.
    pub backups: f64,
    /// (c) worst lawyer deviation outside the fair band (floor..ceil of the fair share).
    pub fairness_max: f64,
    /// (c) total lawyer deviation outside the fair band.
    pub fairness_sum: f64,
    /// (d) total firm deviation from share.
    pub firm_fairness: f64,
    /// (e) duties against a lawyer's stated wishes.
    pub preference: f64,
    /// (f) travel.
    pub distance: f64,
    /// (g) changes against the previous version.
    pub stability: f64,
    /// The tie-breaking term (tiny by design).
    pub tie_break: f64,
    /// (c) backups outside their own fair band.
    #[serde(default)]
    pub backup_fairness: f64,
    /// (c) duties outside the fair band at a kind of station (centres that balance by kind).
    #[serde(default)]
    pub kind_fairness: f64,
    /// (h) consecutive days on duty.
    #[serde(default)]
    pub consecutive_days: f64,
    /// (h) duties beyond an even spread over weekdays.
    #[serde(default)]
    pub weekday_spread: f64,
    /// (h) duties beyond an even spread over mornings and afternoons.
    #[serde(default)]
    pub half_day_spread: f64,
    /// (h) one firm at a station on consecutive open half-days.
    #[serde(default)]
    pub firm_consecutive: f64,
}

impl Components {
    /// The weighted sum.
    pub fn total(&self) -> f64 {
        self.coverage
            + self.backups
            + self.fairness_max
            + self.fairness_sum
            + self.firm_fairness
            + self.preference
            + self.distance
            + self.stability
            + self.tie_break
            + self.backup_fairness
            + self.kind_fairness
            + self.consecutive_days
            + self.weekday_spread
            + self.half_day_spread
            + self.firm_consecutive
    }
}

/// How the solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SolveStatus {
    /// Proven optimal within the gap target.
    Optimal,
    /// Stopped by the time limit with a roster; see `gap`.
    TimeLimit,
    /// A roster was found; optimality not proven.
    Feasible,
    /// Not solved by the optimiser (e.g. a greedy roster being scored).
    NotSolved,
}

/// Everything a coordinator needs to trust a roster: how the run went, and the roster's
/// [`Evaluation`] (whose fields it also reads as, through `Deref`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SolveReport {
    /// How the solve ended.
    pub status: SolveStatus,
    /// The objective as the solver saw it (0 for a roster not solved).
    #[serde(deserialize_with = "null_as_nan")]
    pub solver_objective: f64,
    /// Best bound proven by the solver.
    #[serde(deserialize_with = "null_as_nan")]
    pub best_bound: f64,
    /// Relative gap between roster and bound.
    #[serde(deserialize_with = "null_as_nan")]
    pub gap: f64,
    /// Wall time, seconds.
    pub solve_seconds: f64,
    /// Model size.
    pub variables: usize,
    /// Model size.
    pub constraints: usize,
    /// Independent parts (groups of centres sharing no lawyer) solved separately.
    pub parts: usize,
    /// (lawyer, slot, role) pairs left out of the final MILP: by pricing (column
    /// generation) on a large part, or by rounding from the relaxation (the MILP over the
    /// pairs the relaxation uses). `best_bound` and `gap` still cover them: the bound is
    /// the Lagrangian bound of the whole problem's relaxation, or that relaxation itself.
    pub pruned_candidates: usize,
    /// The roster's score, coverage and loads; serialised beside the fields above.
    #[serde(flatten)]
    pub evaluation: Evaluation,
}

impl SolveReport {
    /// The report of a roster the optimiser did not produce: no objective, bound or gap,
    /// no model. Solves fill in the run's fields with struct update syntax.
    pub fn not_solved(evaluation: Evaluation) -> Self {
        SolveReport {
            status: SolveStatus::NotSolved,
            solver_objective: 0.0,
            best_bound: f64::NAN,
            gap: f64::NAN,
            solve_seconds: 0.0,
            variables: 0,
            constraints: 0,
            parts: 0,
            pruned_candidates: 0,
            evaluation,
        }
    }
}

impl Versioned for SolveReport {
    const SCHEMA: u32 = 1;
}

/// Progress of a solve, as a job keeps it: finished parts, and the incumbent, bound and gap
/// over them. A figure not known yet (no part finished, no bound proven) is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobProgress {
    /// Independent parts in the problem.
    pub parts_total: usize,
    /// Parts solved so far.
    pub parts_done: usize,
    /// Objective of the rosters found for the finished parts.
    pub incumbent: Option<f64>,
    /// Proven bound for the finished parts.
    pub bound: Option<f64>,
    /// Relative gap between the two over the finished parts.
    pub gap: Option<f64>,
    /// Seconds since the solve started.
    pub elapsed_seconds: Option<f64>,
}

impl Versioned for JobProgress {
    const SCHEMA: u32 = 1;
}

/// A figure JSON cannot hold (NaN, an infinity) is written as `null`; this reads it back
/// as NaN, so that a report not solved keeps "no bound" through the store.
fn null_as_nan<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> SolveReport {
        let mut e = Evaluation {
            slots: 2,
            posts_wanted: 2,
            posts_filled: 1,
            ..Evaluation::default()
        };
        e.components.coverage = 1000.0;
        e.uncovered.push(Uncovered {
            station_id: StationId::parse("S1").unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 10, 5).unwrap(),
            half_day: HalfDay::Am,
            wanted: 1,
            filled: 0,
            backups_wanted: 0,
            backups_filled: 0,
            reason: UncoveredReason::EligibleAtLimits {
                lawyers: vec![(LawyerId::parse("L1").unwrap(), Busy::WeekLimit)],
            },
        });
        SolveReport::not_solved(e)
    }

    #[test]
    fn a_report_reads_back_as_written_with_no_bound_kept_as_nan() {
        let r = report();
        let json = serde_json::to_string(&r).unwrap();
        // Flat: the evaluation's fields beside the run's; no bound is null.
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["status"], "not_solved");
        assert_eq!(v["posts_filled"], 1);
        assert!(v["best_bound"].is_null() && v["gap"].is_null());
        assert_eq!(v["uncovered"][0]["reason"]["kind"], "eligible_at_limits");
        let back: SolveReport = serde_json::from_str(&json).unwrap();
        assert!(back.best_bound.is_nan() && back.gap.is_nan());
        assert_eq!(back.evaluation, r.evaluation);
        assert_eq!(back.status, SolveStatus::NotSolved);
        assert_eq!(back.evaluation.components.total(), 1000.0);
    }

    #[test]
    fn a_solved_report_keeps_its_figures() {
        let r = SolveReport {
            status: SolveStatus::Optimal,
            solver_objective: 12.5,
            best_bound: 12.0,
            gap: 0.04,
            ..report()
        };
        let back: SolveReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn progress_keeps_unknown_figures_as_none() {
        let p = JobProgress {
            parts_total: 3,
            parts_done: 1,
            incumbent: Some(5.0),
            ..JobProgress::default()
        };
        let back: JobProgress = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
