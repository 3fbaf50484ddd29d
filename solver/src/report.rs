//! The run's statistics: how a solve ended, its bound and gap, its time, model size and
//! parts, together with the [`Evaluation`] of the roster it produced.
//!
//! The report serialises flat (the evaluation's fields beside the run's), as stored reports
//! and the API have always read it.

use crate::evaluate::evaluate;
use crate::roster::Roster;
use crate::settings::Weights;
use zhiban_domain::RosterProblem;

// The report's types are contracts kept by the store: they live in the domain, and read here
// under the paths they had when the solver defined them.
pub use zhiban_domain::report::{
    Busy, Components, Evaluation, FirmLoad, JobProgress, LawyerLoad, SolveReport, SolveStatus,
    Uncovered, UncoveredReason,
};

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
