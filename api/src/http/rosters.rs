//! Roster series: generate one (a solve job), follow its job, list and read series, and
//! repair a version (a re-plan job). Versions, edits and duties have modules of their own.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::http::out::*;
use crate::jobs::{self, Work};
use crate::pages::{PageOut, store_page};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::CentreId;
use zhiban_solver::Change;
use zhiban_store::{JobKind, JobRecord, JobStatus, StoredVersion, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_roster, list_rosters))
        .routes(routes!(get_roster))
        .routes(routes!(get_job))
        .routes(routes!(start_repair))
}

/// Longest solve a request may ask for, seconds.
pub(crate) const MAX_TIME_LIMIT: f64 = 600.0;

/// Generate a roster for a centre and period.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRoster {
    /// Centre.
    centre_id: CentreId,
    /// First day (usually a Monday).
    from: NaiveDate,
    /// Weeks, 1 to 26.
    weeks: u32,
    /// Solver time limit in seconds (default: the server's, at most 600).
    time_limit_seconds: Option<f64>,
    /// Add the result as a new draft version of this roster (same centre and period).
    roster_id: Option<i64>,
}

fn time_limit(state: &AppState, raw: Option<f64>) -> Result<f64, ApiError> {
    match raw {
        None => Ok(state.solve_time_limit.as_secs_f64()),
        Some(t) if t.is_finite() && t > 0.0 && t <= MAX_TIME_LIMIT => Ok(t),
        Some(t) => Err(ApiError::invalid(
            "time_limit_seconds",
            format!("must be more than 0 and at most {MAX_TIME_LIMIT}, got {t}"),
        )),
    }
}

/// Starts generating a roster: answers 202 with the job to poll.
#[utoipa::path(post, path = "/api/v1/rosters", tag = "rosters", request_body = CreateRoster,
    responses((status = 202, body = JobOut), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn create_roster(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<CreateRoster>,
) -> Result<Response, ApiError> {
    let what = format!("centre {}", req.centre_id);
    who.require_coordinator_of(&req.centre_id, &what)?;
    if state
        .store
        .list_centres()
        .await?
        .iter()
        .all(|c| c.id != req.centre_id)
    {
        return Err(ApiError::not_found("centre", &req.centre_id));
    }
    zhiban_domain::time::check_date(req.from).map_err(|m| ApiError::invalid("from", m))?;
    if !(1..=26).contains(&req.weeks) {
        return Err(ApiError::invalid(
            "weeks",
            format!("must be 1 to 26, got {}", req.weeks),
        ));
    }
    let limit = time_limit(&state, req.time_limit_seconds)?;
    if let Some(id) = req.roster_id {
        let r = state
            .store
            .get_roster(id)
            .await?
            .filter(|r| who.sees_centre(&r.centre_id))
            .ok_or_else(|| ApiError::not_found("roster", id))?;
        if r.centre_id != req.centre_id || r.from != req.from || r.weeks != req.weeks {
            return Err(ApiError::invalid(
                "roster_id",
                format!(
                    "roster {id} is for {} from {} for {} weeks",
                    r.centre_id, r.from, r.weeks
                ),
            ));
        }
    }
    let work = Work::Solve {
        centre_id: req.centre_id.clone(),
        from: req.from,
        weeks: req.weeks,
        roster_id: req.roster_id,
        time_limit_seconds: limit,
    };
    let request = serde_json::to_value(&work).unwrap_or_default();
    let audit = who.audit(Some(&req.centre_id), "roster.generate", "", request.clone());
    let job_id = state
        .store
        .create_job(
            &req.centre_id,
            JobKind::Solve,
            &request,
            req.roster_id,
            &audit,
        )
        .await?;
    jobs::wake(&state);
    accepted(&state, job_id).await
}

async fn accepted(state: &AppState, job_id: i64) -> Result<Response, ApiError> {
    let job = state
        .store
        .get_job(job_id)
        .await?
        .ok_or_else(|| ApiError::not_found("job", job_id))?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/jobs/{job_id}"))],
        Json(JobOut::from(job)),
    )
        .into_response())
}

/// A job as clients see it. Which process holds its lease (a host name and process id) and
/// when it last renewed it stay in the store: they are the workers' business, not clients'.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobOut {
    /// Id.
    id: i64,
    /// Centre.
    centre_id: CentreId,
    /// Solve or repair.
    kind: JobKind,
    /// Status.
    status: JobStatus,
    /// What was asked.
    request: serde_json::Value,
    /// Latest progress of a solve.
    progress: Option<zhiban_domain::JobProgress>,
    /// Why it failed.
    error: Option<String>,
    /// The roster series (known at once for repairs, at the end for solves).
    roster_id: Option<i64>,
    /// The version it produced.
    version_id: Option<i64>,
    /// When it was asked for.
    created_at: chrono::DateTime<chrono::Utc>,
    /// By whom.
    created_by: String,
    /// When a worker took it.
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it ended.
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How many times a worker has taken it (more than once after a worker stopped).
    attempts: u32,
}

impl From<JobRecord> for JobOut {
    fn from(j: JobRecord) -> Self {
        JobOut {
            id: j.id,
            centre_id: j.centre_id,
            kind: j.kind,
            status: j.status,
            request: j.request,
            progress: j.progress,
            error: j.error,
            roster_id: j.roster_id,
            version_id: j.version_id,
            created_at: j.created_at,
            created_by: j.created_by,
            started_at: j.started_at,
            finished_at: j.finished_at,
            attempts: j.attempts,
        }
    }
}

/// A job's status and live progress (incumbent, bound, gap per finished part).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "rosters",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = JobOut), (status = 404, body = crate::error::Problem)))]
async fn get_job(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<JobOut>, ApiError> {
    let job = state
        .store
        .get_job(id)
        .await?
        .filter(|j| who.sees_centre(&j.centre_id))
        .ok_or_else(|| ApiError::not_found("job", id))?;
    Ok(Json(JobOut::from(job)))
}

/// Filter for roster lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RosterFilter {
    /// Only this centre's.
    centre_id: Option<String>,
    /// Page size (1 to 500, default 100).
    limit: Option<u32>,
    /// Items to skip.
    offset: Option<u64>,
}

/// Roster series the token may see, newest period first.
#[utoipa::path(get, path = "/api/v1/rosters", tag = "rosters", params(RosterFilter),
    responses((status = 200, body = PageOut<RosterOut>), (status = 400, body = crate::error::Problem)))]
async fn list_rosters(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<RosterFilter>,
) -> Result<Json<PageOut<RosterOut>>, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator, TokenRole::Finance])?;
    let page = store_page(q.limit, q.offset)?;
    let wanted = q
        .centre_id
        .as_deref()
        .map(|c| CentreId::parse(c).map_err(|m| ApiError::field("centre_id", m)))
        .transpose()?;
    let scope: Option<Vec<CentreId>> = match (who.centre_scope(), wanted) {
        (None, None) => None,
        (None, Some(c)) => Some(vec![c]),
        (Some(mine), None) => Some(mine),
        (Some(mine), Some(c)) => Some(mine.into_iter().filter(|m| m == &c).collect()),
    };
    let r = state.store.list_rosters(scope.as_deref(), page).await?;
    Ok(PageOut::of(r, page))
}

/// A roster series with its versions.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RosterDetail {
    /// The series.
    roster: RosterOut,
    /// Its versions, oldest first.
    versions: Vec<VersionOut>,
}

/// One roster series and its versions.
#[utoipa::path(get, path = "/api/v1/rosters/{id}", tag = "rosters",
    params(("id" = i64, Path, description = "roster id")),
    responses((status = 200, body = RosterDetail), (status = 404, body = crate::error::Problem)))]
async fn get_roster(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<RosterDetail>, ApiError> {
    let roster = state
        .store
        .get_roster(id)
        .await?
        .filter(|r| who.sees_centre(&r.centre_id))
        .ok_or_else(|| ApiError::not_found("roster", id))?;
    let versions = state.store.list_versions(id).await?;
    Ok(Json(RosterDetail {
        roster: roster.into(),
        versions: versions.into_iter().map(Into::into).collect(),
    }))
}

pub(crate) async fn version_of(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<StoredVersion, ApiError> {
    state
        .store
        .get_version(id)
        .await?
        .filter(|v| who.sees_centre(&v.roster.centre_id))
        .ok_or_else(|| ApiError::not_found("version", id))
}

/// Most changes one repair request may carry.
pub(crate) const MAX_REPAIR_CHANGES: usize = 200;

/// What happened, to repair a version for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepairRequest {
    /// The changes: a lawyer out for some dates, extra demand at a slot, pin or unpin. None:
    /// re-plan only the duties the panel as it is now rules out (after a panel change).
    changes: Vec<Change>,
    /// Solver time limit in seconds (default: the server's, at most 600).
    time_limit_seconds: Option<f64>,
}

/// A roster series and its published version with its assignments: 404 for no such series,
/// 409 when none of its versions is published.
pub(crate) async fn published_of(
    state: &AppState,
    roster_id: i64,
) -> Result<(zhiban_store::RosterRecord, zhiban_store::StoredVersion), ApiError> {
    let roster = state
        .store
        .get_roster(roster_id)
        .await?
        .ok_or_else(|| ApiError::not_found("roster", roster_id))?;
    let published = state
        .store
        .list_versions(roster_id)
        .await?
        .into_iter()
        .find(|v| v.status == zhiban_store::VersionStatus::Published)
        .ok_or_else(|| ApiError::Conflict("the roster has no published version".into()))?;
    let current = state
        .store
        .get_version(published.id)
        .await?
        .ok_or_else(|| ApiError::not_found("version", published.id))?;
    Ok((roster, current))
}

/// Queues the minimal-change repair of version `version` (of `centre`) with no changes: it
/// re-plans the duties the panel as it is now rules out (after leave is approved, a lawyer
/// retired, a station's rules changed). The job's id.
pub(crate) async fn queue_repair(
    state: &AppState,
    who: &Principal,
    version: i64,
    centre: &zhiban_domain::CentreId,
) -> Result<i64, ApiError> {
    let v = version_of(state, who, version).await?;
    let work = Work::Repair {
        version_id: version,
        changes: vec![],
        time_limit_seconds: state.solve_time_limit.as_secs_f64(),
    };
    let request = serde_json::to_value(&work).unwrap_or_default();
    let audit = who.audit(Some(centre), "roster.repair", "", request.clone());
    let id = state
        .store
        .create_job(centre, JobKind::Repair, &request, Some(v.roster.id), &audit)
        .await?;
    jobs::wake(state);
    Ok(id)
}

/// Re-plans a version after changes, touching as little as possible: answers 202 with the
/// job; its result is a new draft based on the version.
#[utoipa::path(post, path = "/api/v1/versions/{id}/repair", tag = "rosters",
    params(("id" = i64, Path, description = "version id")), request_body = RepairRequest,
    responses((status = 202, body = JobOut), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn start_repair(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(req): Body<RepairRequest>,
) -> Result<Response, ApiError> {
    let v = version_of(&state, &who, id).await?;
    who.require_coordinator_of(&v.roster.centre_id, &format!("version {id}"))?;
    if req.changes.len() > MAX_REPAIR_CHANGES {
        return Err(ApiError::invalid(
            "changes",
            format!("at most {MAX_REPAIR_CHANGES} changes"),
        ));
    }
    for (i, c) in req.changes.iter().enumerate() {
        match c {
            Change::LawyerOut { from, to, .. } => {
                for (k, d) in [("from", from), ("to", to)] {
                    zhiban_domain::time::check_date(*d)
                        .map_err(|m| ApiError::invalid(format!("changes[{i}].{k}"), m))?;
                }
                if to < from || (*to - *from).num_days() > 366 {
                    return Err(ApiError::invalid(
                        format!("changes[{i}].to"),
                        format!("{to} must be on or after {from}, at most 366 days later"),
                    ));
                }
            }
            Change::ExtraDemand { date, lawyers, .. }
                if *date < v.roster.from
                    || *date > v.roster.to()
                    || *lawyers == 0
                    || *lawyers > 100 =>
            {
                return Err(ApiError::invalid(
                    format!("changes[{i}]"),
                    "the date must be in the roster's period and lawyers 1 to 100",
                ));
            }
            _ => {}
        }
    }
    let limit = time_limit(&state, req.time_limit_seconds)?;
    let work = Work::Repair {
        version_id: id,
        changes: req.changes,
        time_limit_seconds: limit,
    };
    let request = serde_json::to_value(&work).unwrap_or_default();
    let audit = who.audit(
        Some(&v.roster.centre_id),
        "roster.repair",
        "",
        request.clone(),
    );
    let job_id = state
        .store
        .create_job(
            &v.roster.centre_id,
            JobKind::Repair,
            &request,
            Some(v.roster.id),
            &audit,
        )
        .await?;
    jobs::wake(&state);
    accepted(&state, job_id).await
}
