//! From the store to the solver and back: the problem a roster is judged against (assembled
//! from the store in one place), and reports and violations as JSON. The rules themselves
//! are the solver's (`zhiban_solver::new_violations`, `zhiban_solver::suggest`).

use crate::AppState;
use crate::error::ApiError;
use chrono::{Duration, NaiveDate};
use zhiban_domain::{CentreId, Dataset, LawyerId, PastDuty, Role, Roster, RosterProblem};
use zhiban_solver::{SolveReport, Violation, Weights, build_report};
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
/// across centres sharing a pool) and their own busy calendars; posts opened beyond the
/// weekly demand (surges, see `http::open_duties`) count as posts of their slots; leave asked
/// for and not yet decided is a soft wish (`RosterProblem::ask_leave`). `except_roster`
/// leaves out the series being re-planned.
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
    // Each centre's fairness settings: its stations' and its lawyers' (pool lawyers of other
    // centres follow their own centre's).
    let homes: std::collections::BTreeSet<CentreId> = problem
        .centres
        .iter()
        .cloned()
        .chain(problem.lawyers.iter().map(|l| l.home_centre_id.clone()))
        .collect();
    for c in homes {
        let policy = store.centre_policy(&c).await?.fairness;
        problem.fairness.insert(c, policy);
    }
    // Surges: posts a coordinator opened beyond the weekly demand are posts to fill too.
    for (station, date, half_day, posts) in
        store.extra_posts(centres, problem.from, problem.to).await?
    {
        if let Some(s) = problem
            .slots
            .iter_mut()
            .find(|s| s.station_id == station && s.date == date && s.half_day == half_day)
        {
            s.lawyers = s.lawyers.saturating_add(posts);
        }
    }
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
    // Leave asked for and not yet decided: a soft wish until a coordinator decides.
    let asked = store
        .list_leave_requests(
            &zhiban_store::LeaveQuery {
                status: Some(zhiban_domain::leave_request::LeaveStatus::Requested),
                overlapping: Some((problem.from, problem.to)),
                ..Default::default()
            },
            ALL,
        )
        .await?;
    for r in asked.items {
        problem.ask_leave(&r.lawyer_id, r.from, r.to, r.half_day);
    }
    Ok(problem)
}

/// The report of a roster as JSON.
pub(crate) fn report_of(
    problem: &RosterProblem,
    roster: &Roster,
    previous: Option<&Roster>,
) -> SolveReport {
    build_report(problem, roster, previous, &Weights::default())
}

/// Violations as JSON values, for problem bodies.
pub(crate) fn violations_json(v: &[Violation]) -> Vec<serde_json::Value> {
    v.iter()
        .map(|x| serde_json::to_value(x).unwrap_or(serde_json::Value::Null))
        .collect()
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
