//! The run's statistics: how a solve ended, its bound and gap, its time, model size and
//! parts, together with the [`Evaluation`] of the roster it produced.
//!
//! The report serialises flat (the evaluation's fields beside the run's), as stored reports
//! and the API have always read it.

use crate::evaluate::evaluate;
use crate::roster::Roster;
use crate::settings::Weights;
use serde::Serialize;
use zhiban_domain::RosterProblem;

// The evaluation's types, under the paths they had when they were part of the report.
pub use crate::evaluate::{Busy, Evaluation, FirmLoad, LawyerLoad, Uncovered, UncoveredReason};
pub use crate::objective::Components;

/// How the solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SolveReport {
    /// How the solve ended.
    pub status: SolveStatus,
    /// The objective as the solver saw it (0 for a roster not solved).
    pub solver_objective: f64,
    /// Best bound proven by the solver.
    pub best_bound: f64,
    /// Relative gap between roster and bound.
    pub gap: f64,
    /// Wall time, seconds.
    pub solve_seconds: f64,
    /// Model size.
    pub variables: usize,
    /// Model size.
    pub constraints: usize,
    /// Independent parts (groups of centres sharing no lawyer) solved separately.
    pub parts: usize,
    /// (lawyer, slot, role) pairs left out of the MILP when a large part is solved by
    /// pricing (column generation). `best_bound` and `gap` still cover them: the bound is
    /// the Lagrangian bound of the whole problem's linear relaxation, not the subset's.
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

/// Reads a report as the flat record it serialises to: `report.components`,
/// `report.uncovered` and the other evaluation fields, as before the split.
impl std::ops::Deref for SolveReport {
    type Target = Evaluation;

    fn deref(&self) -> &Evaluation {
        &self.evaluation
    }
}

/// Scores `roster` against `problem` and explains its gaps: its [`evaluate`]ion in a report
/// of a run that did not happen ([`SolveStatus::NotSolved`]).
pub fn build_report(
    problem: &RosterProblem,
    roster: &Roster,
    previous: Option<&Roster>,
    w: &Weights,
) -> SolveReport {
    SolveReport::not_solved(evaluate(problem, roster, previous, w))
}
