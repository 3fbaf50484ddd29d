//! Repair: re-plan a published roster after a change, touching as little as possible.

use crate::evaluate::evaluate;
use crate::model::{SolveError, SolveInput, Solved};
use crate::parts::solve;
use crate::report::{SolveReport, SolveStatus};
use crate::roster::{Assignment, Diff, Roster};
use crate::settings::SolveSettings;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use zhiban_domain::{HalfDay, LawyerId, RosterProblem, StationId};

/// Something that happened since the roster was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A lawyer cannot do any duty from `from` to `to` (sick, hearing, leave).
    LawyerOut {
        /// Who.
        lawyer_id: LawyerId,
        /// First day out.
        from: NaiveDate,
        /// Last day out.
        to: NaiveDate,
    },
    /// More lawyers needed at a slot (e.g. 17 co-defendants at a detention centre tomorrow).
    ExtraDemand {
        /// Station.
        station_id: StationId,
        /// Day.
        date: NaiveDate,
        /// Half-day.
        half_day: HalfDay,
        /// Extra primary posts.
        lawyers: u32,
    },
    /// Keep this assignment whatever happens.
    Pin(Assignment),
    /// Stop keeping this assignment.
    Unpin(Assignment),
}

/// A repaired roster.
#[derive(Debug, Clone)]
pub struct Repaired {
    /// The new roster, its report and the diff from the previous one.
    pub solved: Solved,
    /// What changed.
    pub diff: Diff,
    /// The problem after the changes.
    pub problem: RosterProblem,
    /// The pins after the changes.
    pub pins: Vec<Assignment>,
}

/// Applies `changes` to `problem` and re-solves close to `previous`.
///
/// Only the independent parts a change touches, or whose duties `problem` (the panel as it
/// is now) rules out, are re-solved (with the stability weight
/// keeping them close to `previous`); every other duty is kept as it was. In the report,
/// `parts`, `solver_objective`, `best_bound` and `gap` describe the re-solved parts, while
/// coverage, loads and objective terms describe the whole roster.
pub fn repair(
    problem: &RosterProblem,
    previous: &Roster,
    pins: &[Assignment],
    changes: &[Change],
    settings: &SolveSettings,
) -> Result<Repaired, SolveError> {
    let (p, pins) = apply(problem, pins, changes)?;
    // Only the parts (groups of centres sharing no lawyer) that a change touches are
    // re-solved; every other duty stays exactly as published.
    let parts = crate::parts::components(&p);
    let in_part = |part: &RosterProblem, a: &Assignment| {
        part.slots
            .iter()
            .any(|s| s.station_id == a.station_id && s.date == a.date && s.half_day == a.half_day)
    };
    // A lawyer taken off the panel since is no longer in the problem: a part where they
    // held a duty is re-solved, or the duty would stay with them.
    let holds_in = |part: &RosterProblem, lawyer: &zhiban_domain::LawyerId| {
        previous
            .assignments
            .iter()
            .any(|a| &a.lawyer_id == lawyer && in_part(part, a))
    };
    let gone = |part: &RosterProblem| {
        previous
            .assignments
            .iter()
            .any(|a| in_part(part, a) && !p.lawyers.iter().any(|l| l.id == a.lawyer_id))
    };
    let touches = |part: &RosterProblem| {
        gone(part)
            || changes.iter().any(|c| match c {
                Change::LawyerOut { lawyer_id, .. } => {
                    part.lawyers.iter().any(|l| &l.id == lawyer_id) || holds_in(part, lawyer_id)
                }
                Change::ExtraDemand {
                    station_id,
                    date,
                    half_day,
                    ..
                } => part.slots.iter().any(|s| {
                    &s.station_id == station_id && s.date == *date && s.half_day == *half_day
                }),
                Change::Pin(a) | Change::Unpin(a) => part.slots.iter().any(|s| {
                    s.station_id == a.station_id && s.date == a.date && s.half_day == a.half_day
                }),
            })
    };
    let started = std::time::Instant::now();
    let mut assignments: Vec<Assignment> = vec![];
    let mut solved_parts = vec![];
    for part in &parts {
        let old = Roster::new(
            previous
                .assignments
                .iter()
                .filter(|a| in_part(part, a))
                .cloned(),
        );
        let part_pins: Vec<Assignment> =
            pins.iter().filter(|a| in_part(part, a)).cloned().collect();
        // A part whose duties the panel now rules out (a lawyer's leave or licence, a
        // station's contracts or minimum years) is re-solved too, with or without a change.
        let broken = || !crate::check::check_with_pins(part, &old, &part_pins).is_empty();
        if touches(part) || broken() {
            let s = solve(
                SolveInput {
                    problem: part,
                    pins: &part_pins,
                    previous: Some(&old),
                },
                settings,
            )?;
            assignments.extend(s.roster.assignments.iter().cloned());
            solved_parts.push(s.report);
        } else {
            assignments.extend(old.assignments);
        }
    }
    let roster = Roster::new(assignments);
    let evaluation = evaluate(&p, &roster, Some(previous), &settings.weights);
    let report = SolveReport {
        status: solved_parts
            .iter()
            .map(|r| r.status)
            .find(|s| *s != SolveStatus::Optimal)
            .unwrap_or(SolveStatus::Optimal),
        solver_objective: solved_parts.iter().map(|r| r.solver_objective).sum(),
        best_bound: solved_parts.iter().map(|r| r.best_bound).sum(),
        gap: solved_parts.iter().map(|r| r.gap).fold(0.0, f64::max),
        variables: solved_parts.iter().map(|r| r.variables).sum(),
        constraints: solved_parts.iter().map(|r| r.constraints).sum(),
        parts: solved_parts.len(),
        solve_seconds: started.elapsed().as_secs_f64(),
        ..SolveReport::not_solved(evaluation)
    };
    let solved = Solved { roster, report };
    let diff = Diff::between(previous, &solved.roster);
    Ok(Repaired {
        solved,
        diff,
        problem: p,
        pins,
    })
}

/// `problem` and `pins` after `changes`: lawyers out become unavailable (and lose their pins
/// then), extra demand raises a slot's posts, pins are added and removed.
fn apply(
    problem: &RosterProblem,
    pins: &[Assignment],
    changes: &[Change],
) -> Result<(RosterProblem, Vec<Assignment>), SolveError> {
    let mut p = problem.clone();
    let mut pins: Vec<Assignment> = pins.to_vec();
    for change in changes {
        match change {
            Change::LawyerOut {
                lawyer_id,
                from,
                to,
            } => {
                if to < from {
                    return Err(SolveError::Settings(format!(
                        "lawyer out from {from} to {to}: the end is before the start"
                    )));
                }
                if let Some(l) = p.lawyers.iter_mut().find(|l| &l.id == lawyer_id) {
                    let mut d = *from;
                    while d <= *to {
                        l.unavailable.insert((d, HalfDay::Am));
                        l.unavailable.insert((d, HalfDay::Pm));
                        d = d.succ_opt().unwrap_or(d);
                        if d == NaiveDate::MAX {
                            break;
                        }
                    }
                }
                pins.retain(|a| !(&a.lawyer_id == lawyer_id && a.date >= *from && a.date <= *to));
            }
            Change::ExtraDemand {
                station_id,
                date,
                half_day,
                lawyers,
            } => {
                let slot = p
                    .slots
                    .iter_mut()
                    .find(|s| &s.station_id == station_id && s.date == *date && s.half_day == *half_day)
                    .ok_or_else(|| {
                        SolveError::Settings(format!(
                            "{station_id} has no duty on {date} {half_day} in this roster; add the demand to the station first"
                        ))
                    })?;
                slot.lawyers = slot.lawyers.saturating_add(*lawyers);
            }
            Change::Pin(a) => {
                if !pins.contains(a) {
                    pins.push(a.clone());
                }
            }
            Change::Unpin(a) => pins.retain(|x| x != a),
        }
    }
    Ok((p, pins))
}
