//! From the store to the solver and back: the problem a roster is judged against, reports,
//! hard-rule checks of edits, and ranked suggestions for a slot.

use crate::AppState;
use crate::error::ApiError;
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use zhiban_domain::{
    Assignment, CentreId, Dataset, HalfDay, LawyerId, PastDuty, Role, Roster, RosterProblem,
    StationId,
};
use zhiban_solver::{Violation, Weights, build_report, check_with_pins};
use zhiban_store::{DutyQuery, Page};

/// Everything-in-one-page for internal reads.
pub(crate) const ALL: Page = Page {
    limit: u32::MAX,
    offset: 0,
};

/// The problem a roster of `centre` over the period is made and judged against (see
/// [`problem_from_store`]), with the panel as it is now.
pub(crate) async fn problem_for(
    state: &AppState,
    centre: &CentreId,
    from: NaiveDate,
    weeks: u32,
    roster_id: Option<i64>,
) -> Result<(std::sync::Arc<Dataset>, RosterProblem), ApiError> {
    let ds = state.dataset().await?;
    if ds.centre(centre).is_none() {
        return Err(ApiError::not_found("centre", centre));
    }
    let problem = problem_from_store(
        &*state.store,
        &ds,
        std::slice::from_ref(centre),
        from,
        weeks,
        roster_id,
    )
    .await
    .map_err(|e| match e {
        PlanError::Store(e) => ApiError::from(e),
        PlanError::Problem(e) => ApiError::invalid("weeks", e.to_string()),
    })?;
    Ok((ds, problem))
}

/// Why a problem could not be assembled from the store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] zhiban_store::StoreError),
    /// The period or the centres are not valid.
    #[error(transparent)]
    Problem(#[from] zhiban_domain::ProblemError),
}

/// The one place a problem is assembled from the store, for API jobs and handlers and for
/// `zhiban solve --database-url` alike: the data set `ds` for `centres` over the period, with
/// history from earlier published rosters, and, as unavailability, the duties the same
/// lawyers hold in other published rosters during the period (so no lawyer is booked twice
/// across centres sharing a pool) and their own busy calendars. `except_roster` leaves out
/// the series being re-planned.
pub(crate) async fn problem_from_store(
    store: &dyn zhiban_store::Store,
    ds: &Dataset,
    centres: &[CentreId],
    from: NaiveDate,
    weeks: u32,
    except_roster: Option<i64>,
) -> Result<RosterProblem, PlanError> {
    let history_from = from - Duration::weeks(i64::from(ds.settings.rules.history_weeks));
    let past = store
        .list_duties(
            &DutyQuery {
                from: Some(history_from),
                to: from.pred_opt(),
                except_roster,
                ..DutyQuery::default()
            },
            ALL,
        )
        .await?;
    let history = past_duties(past.items);
    let mut problem = RosterProblem::build(ds, centres, from, weeks, history)?;
    let busy = store
        .list_duties(
            &DutyQuery {
                from: Some(problem.from),
                to: Some(problem.to),
                except_roster,
                ..DutyQuery::default()
            },
            ALL,
        )
        .await?;
    // Lawyers' own commitments (imported calendars) rule out every half-day they overlap.
    if let (Some(first), Some(last)) = (
        problem.slots.iter().map(|s| s.start).min(),
        problem.slots.iter().map(|s| s.end).max(),
    ) {
        let commitments = store.list_busy_times(None, first, last).await?;
        if !commitments.is_empty() {
            let index: std::collections::HashMap<&LawyerId, usize> = problem
                .lawyers
                .iter()
                .enumerate()
                .map(|(i, l)| (&l.id, i))
                .collect();
            let mut marks = vec![];
            for s in &problem.slots {
                for b in &commitments {
                    if b.starts_at < s.end
                        && b.ends_at > s.start
                        && let Some(&l) = index.get(&b.lawyer_id)
                    {
                        marks.push((l, s.date, s.half_day));
                    }
                }
            }
            for (l, d, h) in marks {
                problem.lawyers[l].unavailable.insert((d, h));
            }
        }
    }
    for d in busy.items {
        if let Some(l) = problem
            .lawyers
            .iter_mut()
            .find(|l| l.id == d.assignment.lawyer_id)
        {
            l.unavailable
                .insert((d.assignment.date, d.assignment.half_day));
        }
    }
    Ok(problem)
}

/// The report of a roster as JSON.
pub(crate) fn report_json(
    problem: &RosterProblem,
    roster: &Roster,
    previous: Option<&Roster>,
) -> serde_json::Value {
    let report = build_report(problem, roster, previous, &Weights::default());
    serde_json::to_value(report).unwrap_or(serde_json::Value::Null)
}

/// Violations as JSON values, for problem bodies.
pub(crate) fn violations_json(v: &[Violation]) -> Vec<serde_json::Value> {
    v.iter()
        .map(|x| serde_json::to_value(x).unwrap_or(serde_json::Value::Null))
        .collect()
}

/// The violations in `after` that `before` did not have: an edit may leave old problems
/// (a lawyer who went on leave since) for the coordinator to fix one by one, but may not add
/// new ones.
pub(crate) fn new_violations(
    problem: &RosterProblem,
    before: &Roster,
    after: &Roster,
    pins: &[Assignment],
) -> Vec<Violation> {
    // Compared as typed values (a roster's violations are few; a linear scan is enough).
    let old = check_with_pins(problem, before, pins);
    check_with_pins(problem, after, pins)
        .into_iter()
        .filter(|v| !old.contains(v))
        .collect()
}

/// One lawyer who could take a slot, and what it would cost.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct Suggestion {
    /// The lawyer.
    pub lawyer_id: LawyerId,
    /// Name.
    pub name: String,
    /// Firm.
    pub firm_id: String,
    /// Whether the choice keeps every hard rule.
    pub valid: bool,
    /// Change of the roster's objective if chosen (lower is better; coverage gained shows
    /// as a large negative number).
    pub cost_delta: f64,
    /// Duties (primary and backup) the lawyer already has in the period.
    pub current_load: u32,
    /// The lawyer's fair share of the period.
    pub fair_share: f64,
    /// The hard rules the choice would break.
    #[schema(value_type = Vec<Object>)]
    pub violations: Vec<serde_json::Value>,
}

/// Eligible lawyers for one slot and role, best first: valid choices by objective cost, then
/// the invalid ones with the rules they break. With `replace`, the choice replaces that
/// lawyer's assignment at the slot.
#[allow(clippy::too_many_arguments)]
pub(crate) fn suggestions(
    ds: &Dataset,
    problem: &RosterProblem,
    roster: &Roster,
    pins: &[Assignment],
    station: &StationId,
    date: NaiveDate,
    half_day: HalfDay,
    role: Role,
    replace: Option<&LawyerId>,
) -> Result<Vec<Suggestion>, ApiError> {
    let slot = problem
        .slots
        .iter()
        .find(|s| &s.station_id == station && s.date == date && s.half_day == half_day)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "station {station} has no duty on {date} {half_day} in this roster"
            ))
        })?;
    let w = Weights::default();
    let base_report = build_report(problem, roster, None, &w);
    let base_total = base_report.components.total();
    let base: Vec<Assignment> = roster
        .assignments
        .iter()
        .filter(|a| {
            !(replace == Some(&a.lawyer_id)
                && &a.station_id == station
                && a.date == date
                && a.half_day == half_day)
        })
        .cloned()
        .collect();
    let base_roster = Roster::new(base.clone());
    let mut out = vec![];
    for &l in &slot.eligible {
        let lawyer = &problem.lawyers[l];
        if roster.assignments.iter().any(|a| {
            a.lawyer_id == lawyer.id
                && &a.station_id == station
                && a.date == date
                && a.half_day == half_day
        }) {
            continue;
        }
        let mut with = base.clone();
        with.push(Assignment {
            date,
            half_day,
            station_id: station.clone(),
            lawyer_id: lawyer.id.clone(),
            role,
        });
        let after = Roster::new(with);
        let violations = new_violations(problem, &base_roster, &after, pins);
        let report = build_report(problem, &after, None, &w);
        let load = report
            .lawyers
            .iter()
            .find(|x| x.lawyer_id == lawyer.id)
            .map(|x| (x.primary + x.backup, x.fair_share))
            .unwrap_or((0, 0.0));
        out.push(Suggestion {
            lawyer_id: lawyer.id.clone(),
            name: ds
                .lawyer(&lawyer.id)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            firm_id: lawyer.firm_id.to_string(),
            valid: violations.is_empty(),
            cost_delta: report.components.total() - base_total,
            current_load: load.0.saturating_sub(1),
            fair_share: load.1,
            violations: violations_json(&violations),
        });
    }
    out.sort_by(|a, b| {
        b.valid
            .cmp(&a.valid)
            .then(a.cost_delta.total_cmp(&b.cost_delta))
            .then(a.lawyer_id.cmp(&b.lawyer_id))
    });
    Ok(out)
}

/// The primary duties among published ones, as the history that counts toward fair shares
/// (backups do not count).
pub(crate) fn past_duties(duties: Vec<zhiban_store::Duty>) -> Vec<PastDuty> {
    duties
        .into_iter()
        .filter(|d| d.assignment.role == Role::Primary)
        .map(|d| PastDuty {
            lawyer_id: d.assignment.lawyer_id,
            station_id: d.assignment.station_id,
            date: d.assignment.date,
            half_day: d.assignment.half_day,
        })
        .collect()
}
