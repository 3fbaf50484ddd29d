// Over the ~600-line sizing rule on purpose: generation, drafts, edits, publication, repair and diff of one resource; the split into http/rosters/ is issue 19.
//! Rosters: generate (a solve job), read by station and day or by lawyer with the report,
//! edit drafts with hard-rule checks and ranked suggestions, publish, repair, diff; and the
//! published duties themselves.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::jobs::{self, Work};
use crate::pages::{PageOut, store_page};
use crate::planning::{
    Suggestion, new_violations, problem_for, report_json, suggestions, violations_json,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{Assignment, CentreId, Diff, HalfDay, LawyerId, Role, Roster, StationId};
use zhiban_solver::Change;
use zhiban_store::{
    Duty, DutyQuery, JobKind, JobRecord, NewVersion, RosterRecord, RosterRef, StoredVersion,
    TokenRole, VersionRecord, VersionStatus,
};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_roster, list_rosters))
        .routes(routes!(get_roster))
        .routes(routes!(get_job))
        .routes(routes!(get_version))
        .routes(routes!(get_version_by_lawyer))
        .routes(routes!(publish))
        .routes(routes!(new_draft))
        .routes(routes!(edit))
        .routes(routes!(get_suggestions))
        .routes(routes!(start_repair))
        .routes(routes!(diff))
        .routes(routes!(list_duties))
        .routes(routes!(my_duties))
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
    responses((status = 202, body = JobRecord), (status = 400, body = crate::error::Problem),
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
        Json(job),
    )
        .into_response())
}

/// A job's status and live progress (incumbent, bound, gap per finished part).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "rosters",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = JobRecord), (status = 404, body = crate::error::Problem)))]
async fn get_job(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<JobRecord>, ApiError> {
    let job = state
        .store
        .get_job(id)
        .await?
        .filter(|j| who.sees_centre(&j.centre_id))
        .ok_or_else(|| ApiError::not_found("job", id))?;
    Ok(Json(job))
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
    responses((status = 200, body = PageOut<RosterRecord>), (status = 400, body = crate::error::Problem)))]
async fn list_rosters(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<RosterFilter>,
) -> Result<Json<PageOut<RosterRecord>>, ApiError> {
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
    roster: RosterRecord,
    /// Its versions, oldest first.
    versions: Vec<VersionRecord>,
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
    Ok(Json(RosterDetail { roster, versions }))
}

async fn version_of(state: &AppState, who: &Principal, id: i64) -> Result<StoredVersion, ApiError> {
    state
        .store
        .get_version(id)
        .await?
        .filter(|v| who.sees_centre(&v.roster.centre_id))
        .ok_or_else(|| ApiError::not_found("version", id))
}

/// One assignment with its pin.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AssignmentOut {
    /// The assignment.
    #[serde(flatten)]
    assignment: Assignment,
    /// Kept whatever happens in repairs.
    pinned: bool,
}

/// A version: assignments and report.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VersionView {
    /// The series.
    roster: RosterRecord,
    /// The version (its report holds coverage, uncovered slots with reasons, loads).
    version: VersionRecord,
    /// Assignments matching the filter, by date, half-day, station.
    assignments: Vec<AssignmentOut>,
}

/// Filter of a version's assignments.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignmentFilter {
    /// Only this station.
    station_id: Option<String>,
    /// Only this lawyer.
    lawyer_id: Option<String>,
    /// From this day.
    from: Option<NaiveDate>,
    /// To this day, inclusive.
    to: Option<NaiveDate>,
}

fn etag_of(v: &StoredVersion) -> String {
    format!(
        "\"v{}-r{}-{}\"",
        v.version.id,
        v.version.revision,
        v.version.status.code()
    )
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn with_etag(etag: &str, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    if let Ok(v) = header::HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-cache"),
    );
    res
}

/// A version's assignments (by station and day; filter by station, lawyer, dates) and its
/// report. Carries an ETag; `If-None-Match` answers 304 when nothing changed.
#[utoipa::path(get, path = "/api/v1/versions/{id}", tag = "rosters",
    params(("id" = i64, Path, description = "version id"), AssignmentFilter),
    responses((status = 200, body = VersionView, headers(("ETag" = String))), (status = 304),
        (status = 404, body = crate::error::Problem)))]
async fn get_version(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<AssignmentFilter>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = version_of(&state, &who, id).await?;
    let etag = etag_of(&v);
    if not_modified(&headers, &etag) {
        return Ok(with_etag(&etag, StatusCode::NOT_MODIFIED));
    }
    let station = q
        .station_id
        .as_deref()
        .map(|s| StationId::parse(s).map_err(|m| ApiError::field("station_id", m)))
        .transpose()?;
    let lawyer = q
        .lawyer_id
        .as_deref()
        .map(|s| LawyerId::parse(s).map_err(|m| ApiError::field("lawyer_id", m)))
        .transpose()?;
    let assignments = v
        .assignments
        .iter()
        .filter(|a| station.as_ref().is_none_or(|s| &a.station_id == s))
        .filter(|a| lawyer.as_ref().is_none_or(|l| &a.lawyer_id == l))
        .filter(|a| q.from.is_none_or(|f| a.date >= f) && q.to.is_none_or(|t| a.date <= t))
        .map(|a| AssignmentOut {
            pinned: v.pins.contains(a),
            assignment: a.clone(),
        })
        .collect();
    let view = VersionView {
        roster: v.roster.clone(),
        version: v.version.clone(),
        assignments,
    };
    Ok(with_etag(&etag, Json(view)))
}

/// One lawyer's duties in a version.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LawyerDuties {
    /// Lawyer.
    lawyer_id: LawyerId,
    /// Name.
    name: String,
    /// Primary duties.
    primary: u32,
    /// Backup duties.
    backup: u32,
    /// The duties, by date.
    duties: Vec<Assignment>,
}

/// A version's assignments grouped by lawyer. Carries an ETag like the version.
#[utoipa::path(get, path = "/api/v1/versions/{id}/by-lawyer", tag = "rosters",
    params(("id" = i64, Path, description = "version id")),
    responses((status = 200, body = Vec<LawyerDuties>, headers(("ETag" = String))), (status = 304),
        (status = 404, body = crate::error::Problem)))]
async fn get_version_by_lawyer(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = version_of(&state, &who, id).await?;
    let etag = format!("{}-l\"", etag_of(&v).trim_end_matches('"'));
    if not_modified(&headers, &etag) {
        return Ok(with_etag(&etag, StatusCode::NOT_MODIFIED));
    }
    let ds = state.dataset().await?;
    let mut by: BTreeMap<LawyerId, Vec<Assignment>> = BTreeMap::new();
    for a in &v.assignments {
        by.entry(a.lawyer_id.clone()).or_default().push(a.clone());
    }
    let out: Vec<LawyerDuties> = by
        .into_iter()
        .map(|(l, duties)| LawyerDuties {
            name: ds.lawyer(&l).map(|x| x.name.clone()).unwrap_or_default(),
            primary: duties.iter().filter(|a| a.role == Role::Primary).count() as u32,
            backup: duties.iter().filter(|a| a.role == Role::Backup).count() as u32,
            lawyer_id: l,
            duties,
        })
        .collect();
    Ok(with_etag(&etag, Json(out)))
}

/// Publishes a draft: it becomes the version in force and never changes again; the
/// previously published version is superseded. 409 if it is not a draft.
#[utoipa::path(post, path = "/api/v1/versions/{id}/publish", tag = "rosters",
    params(("id" = i64, Path, description = "version id")),
    responses((status = 200, body = VersionRecord), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)))]
async fn publish(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<VersionRecord>, ApiError> {
    let v = version_of(&state, &who, id).await?;
    who.require_coordinator_of(&v.roster.centre_id, &format!("version {id}"))?;
    let _guard = state.publish_lock.lock().await;
    let audit = who.audit(
        Some(&v.roster.centre_id),
        "roster.publish",
        format!("roster_version/{id}"),
        serde_json::json!({"roster_id": v.roster.id, "number": v.version.number}),
    );
    state.store.publish_version(id, &audit).await?;
    let v = version_of(&state, &who, id).await?;
    Ok(Json(v.version))
}

/// Makes a new draft from a version (usually the published one), to edit.
#[utoipa::path(post, path = "/api/v1/versions/{id}/drafts", tag = "rosters",
    params(("id" = i64, Path, description = "version to copy")),
    responses((status = 201, body = VersionRecord), (status = 404, body = crate::error::Problem)))]
async fn new_draft(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let v = version_of(&state, &who, id).await?;
    who.require_coordinator_of(&v.roster.centre_id, &format!("version {id}"))?;
    let audit = who.audit(
        Some(&v.roster.centre_id),
        "roster.draft",
        "",
        serde_json::json!({"based_on": id}),
    );
    let new_id = state
        .store
        .create_version(
            &NewVersion {
                roster: RosterRef::Existing(v.roster.id),
                based_on: Some(id),
                origin: "edit".into(),
                report: v.version.report.clone(),
                assignments: v.assignments.clone(),
                pins: v.pins.clone(),
                publish: false,
                created_by: who.actor(),
            },
            &audit,
        )
        .await?;
    let created = version_of(&state, &who, new_id).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/versions/{new_id}"))],
        Json(created.version),
    )
        .into_response())
}

/// One change to a draft.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditOp {
    /// `assign`, `unassign`, `pin` or `unpin`.
    op: EditKind,
    /// Station.
    station_id: StationId,
    /// Day.
    date: NaiveDate,
    /// Half-day.
    half_day: HalfDay,
    /// Lawyer.
    lawyer_id: LawyerId,
    /// Primary (default) or backup.
    #[serde(default = "primary")]
    role: Role,
}

fn primary() -> Role {
    Role::Primary
}

/// Kinds of edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EditKind {
    /// Put the lawyer on the slot.
    Assign,
    /// Take the lawyer off the slot.
    Unassign,
    /// Keep the assignment in repairs (assigning it if needed).
    Pin,
    /// Stop keeping it.
    Unpin,
}

/// Changes to a draft, applied together or not at all.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditRequest {
    /// The draft's revision the edits were made against (from the version read); a
    /// different current revision answers 409. `If-Match` with the ETag works too.
    revision: Option<i64>,
    /// The changes, in order.
    operations: Vec<EditOp>,
}

/// Edits a draft: assign, unassign, pin, unpin. Every hard rule is checked on the result;
/// an edit that would break one answers 422 listing the violations, and changes nothing.
/// Published versions never change: 409 (make a draft from them first).
#[utoipa::path(post, path = "/api/v1/versions/{id}/edits", tag = "rosters",
    params(("id" = i64, Path, description = "draft version id")), request_body = EditRequest,
    responses((status = 200, body = VersionView), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn edit(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Body(req): Body<EditRequest>,
) -> Result<Response, ApiError> {
    let v = version_of(&state, &who, id).await?;
    who.require_coordinator_of(&v.roster.centre_id, &format!("version {id}"))?;
    if v.version.status != VersionStatus::Draft {
        return Err(ApiError::Conflict(format!(
            "version {id} is {}; published versions never change. Make a draft from it with POST /api/v1/versions/{id}/drafts",
            v.version.status.code()
        )));
    }
    if let Some(m) = headers.get(header::IF_MATCH).and_then(|x| x.to_str().ok())
        && m.trim() != etag_of(&v)
        && m.trim() != "*"
    {
        return Err(ApiError::PreconditionFailed(format!(
            "the version changed: its ETag is now {}",
            etag_of(&v)
        )));
    }
    if req.operations.is_empty() {
        return Err(ApiError::field("operations", "must not be empty"));
    }
    if req.operations.len() > 1000 {
        return Err(ApiError::field("operations", "at most 1000 per request"));
    }
    let revision = req.revision.unwrap_or(v.version.revision);
    let (_, problem) = problem_for(
        &state,
        &v.roster.centre_id,
        v.roster.from,
        v.roster.weeks,
        Some(v.roster.id),
    )
    .await?;
    let mut set: BTreeSet<Assignment> = v.assignments.iter().cloned().collect();
    let mut pins = v.pins.clone();
    for (i, op) in req.operations.iter().enumerate() {
        if op.date < v.roster.from || op.date > v.roster.to() {
            return Err(ApiError::invalid(
                format!("operations[{i}].date"),
                format!(
                    "{} is outside the roster's period {} to {}",
                    op.date,
                    v.roster.from,
                    v.roster.to()
                ),
            ));
        }
        let a = Assignment {
            date: op.date,
            half_day: op.half_day,
            station_id: op.station_id.clone(),
            lawyer_id: op.lawyer_id.clone(),
            role: op.role,
        };
        match op.op {
            EditKind::Assign => {
                set.insert(a);
            }
            EditKind::Unassign => {
                if !set.remove(&a) {
                    return Err(ApiError::invalid(
                        format!("operations[{i}]"),
                        format!(
                            "{} is not assigned at {} {} {} as {}",
                            a.lawyer_id,
                            a.station_id,
                            a.date,
                            a.half_day,
                            a.role.code()
                        ),
                    ));
                }
                pins.remove(&a);
            }
            EditKind::Pin => {
                set.insert(a.clone());
                pins.insert(a);
            }
            EditKind::Unpin => {
                pins.remove(&a);
            }
        }
    }
    let before = Roster::new(v.assignments.clone());
    let after = Roster::new(set);
    let pin_list: Vec<Assignment> = pins.iter().cloned().collect();
    let broken = new_violations(&problem, &before, &after, &pin_list);
    if !broken.is_empty() {
        let rules: BTreeSet<String> = violations_json(&broken)
            .iter()
            .filter_map(|x| x.get("rule").and_then(|r| r.as_str()).map(String::from))
            .collect();
        return Err(ApiError::Unprocessable {
            detail: format!(
                "the edit breaks {} hard rule(s): {}; nothing was changed",
                broken.len(),
                rules.into_iter().collect::<Vec<_>>().join(", ")
            ),
            errors: vec![],
            violations: violations_json(&broken),
        });
    }
    let report = report_json(&problem, &after, None);
    let audit = who.audit(
        Some(&v.roster.centre_id),
        "roster.edit",
        format!("roster_version/{id}"),
        serde_json::json!({
            "operations": req.operations.iter().map(|o| serde_json::json!({
                "op": format!("{:?}", o.op).to_lowercase(), "station_id": o.station_id,
                "date": o.date, "half_day": o.half_day, "lawyer_id": o.lawyer_id, "role": o.role,
            })).collect::<Vec<_>>()
        }),
    );
    state
        .store
        .update_draft(id, revision, &after.assignments, &pins, &report, &audit)
        .await?;
    let v = version_of(&state, &who, id).await?;
    let etag = etag_of(&v);
    let view = VersionView {
        assignments: v
            .assignments
            .iter()
            .map(|a| AssignmentOut {
                pinned: v.pins.contains(a),
                assignment: a.clone(),
            })
            .collect(),
        roster: v.roster,
        version: v.version,
    };
    Ok(with_etag(&etag, Json(view)))
}

/// Which slot to suggest lawyers for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlotQuery {
    /// Station.
    station_id: String,
    /// Day.
    date: NaiveDate,
    /// Half-day, `am` or `pm`.
    half_day: HalfDay,
    /// Role (default primary).
    role: Option<Role>,
    /// Rank choices as replacements for this lawyer's assignment at the slot.
    replace: Option<String>,
}

/// Eligible lawyers for a slot, best first, each with the change in the roster's objective
/// and the hard rules it would break.
#[utoipa::path(get, path = "/api/v1/versions/{id}/suggestions", tag = "rosters",
    params(("id" = i64, Path, description = "version id"), SlotQuery),
    responses((status = 200, body = Vec<Suggestion>), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn get_suggestions(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<SlotQuery>,
) -> Result<Json<Vec<Suggestion>>, ApiError> {
    let v = version_of(&state, &who, id).await?;
    who.require_coordinator_of(&v.roster.centre_id, &format!("version {id}"))?;
    let station = StationId::parse(&q.station_id).map_err(|m| ApiError::field("station_id", m))?;
    let replace = q
        .replace
        .as_deref()
        .map(|s| LawyerId::parse(s).map_err(|m| ApiError::field("replace", m)))
        .transpose()?;
    let (ds, problem) = problem_for(
        &state,
        &v.roster.centre_id,
        v.roster.from,
        v.roster.weeks,
        Some(v.roster.id),
    )
    .await?;
    let roster = Roster::new(v.assignments.clone());
    let pins: Vec<Assignment> = v.pins.iter().cloned().collect();
    let role = q.role.unwrap_or(Role::Primary);
    let out = tokio::task::spawn_blocking(move || {
        suggestions(
            &ds,
            &problem,
            &roster,
            &pins,
            &station,
            q.date,
            q.half_day,
            role,
            replace.as_ref(),
        )
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(Json(out))
}

/// Most changes one repair request may carry.
pub(crate) const MAX_REPAIR_CHANGES: usize = 200;

/// What happened, to repair a version for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepairRequest {
    /// The changes: a lawyer out for some dates, extra demand at a slot, pin or unpin.
    changes: Vec<Change>,
    /// Solver time limit in seconds (default: the server's, at most 600).
    time_limit_seconds: Option<f64>,
}

/// Re-plans a version after changes, touching as little as possible: answers 202 with the
/// job; its result is a new draft based on the version.
#[utoipa::path(post, path = "/api/v1/versions/{id}/repair", tag = "rosters",
    params(("id" = i64, Path, description = "version id")), request_body = RepairRequest,
    responses((status = 202, body = JobRecord), (status = 400, body = crate::error::Problem),
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
    if req.changes.is_empty() || req.changes.len() > MAX_REPAIR_CHANGES {
        return Err(ApiError::invalid(
            "changes",
            format!("1 to {MAX_REPAIR_CHANGES} changes"),
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

/// Which version to compare with.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiffQuery {
    /// The older version (default: the one this version is based on).
    against: Option<i64>,
}

/// What changed between two versions.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DiffOut {
    /// Older version.
    from_version: i64,
    /// Newer version.
    to_version: i64,
    /// Assignments only in the newer one.
    added: Vec<Assignment>,
    /// Assignments only in the older one.
    removed: Vec<Assignment>,
    /// Lawyers whose duties changed.
    lawyers_affected: Vec<LawyerId>,
}

/// The difference from another version (default: the one it is based on) to this one.
#[utoipa::path(get, path = "/api/v1/versions/{id}/diff", tag = "rosters",
    params(("id" = i64, Path, description = "version id"), DiffQuery),
    responses((status = 200, body = DiffOut), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn diff(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<DiffOut>, ApiError> {
    let new = version_of(&state, &who, id).await?;
    let against = q.against.or(new.version.based_on).ok_or_else(|| {
        ApiError::field(
            "against",
            "this version is based on none; name one to compare with",
        )
    })?;
    let old = version_of(&state, &who, against).await?;
    if old.roster.id != new.roster.id {
        return Err(ApiError::invalid(
            "against",
            format!("version {against} belongs to another roster"),
        ));
    }
    let d = Diff::between(
        &Roster::new(old.assignments.clone()),
        &Roster::new(new.assignments.clone()),
    );
    let lawyers: BTreeSet<LawyerId> = d
        .added
        .iter()
        .chain(&d.removed)
        .map(|a| a.lawyer_id.clone())
        .collect();
    Ok(Json(DiffOut {
        from_version: against,
        to_version: id,
        added: d.added,
        removed: d.removed,
        lawyers_affected: lawyers.into_iter().collect(),
    }))
}

/// Filter of published duties.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DutyFilter {
    /// Only this centre's rosters.
    centre_id: Option<String>,
    /// Only this lawyer.
    lawyer_id: Option<String>,
    /// Only this station.
    station_id: Option<String>,
    /// From this day.
    from: Option<NaiveDate>,
    /// To this day, inclusive.
    to: Option<NaiveDate>,
    /// Page size (1 to 500, default 100).
    limit: Option<u32>,
    /// Items to skip.
    offset: Option<u64>,
}

fn duty_query(q: &DutyFilter) -> Result<DutyQuery, ApiError> {
    if let (Some(f), Some(t)) = (q.from, q.to)
        && t < f
    {
        return Err(ApiError::field("to", format!("{t} is before from {f}")));
    }
    Ok(DutyQuery {
        centres: q
            .centre_id
            .as_deref()
            .map(|c| CentreId::parse(c).map_err(|m| ApiError::field("centre_id", m)))
            .transpose()?
            .map(|c| vec![c]),
        lawyer: q
            .lawyer_id
            .as_deref()
            .map(|c| LawyerId::parse(c).map_err(|m| ApiError::field("lawyer_id", m)))
            .transpose()?,
        station: q
            .station_id
            .as_deref()
            .map(|c| StationId::parse(c).map_err(|m| ApiError::field("station_id", m)))
            .transpose()?,
        from: q.from,
        to: q.to,
        except_roster: None,
    })
}

/// Published duties (staff), filtered by centre, lawyer, station and dates.
#[utoipa::path(get, path = "/api/v1/duties", tag = "rosters", params(DutyFilter),
    responses((status = 200, body = PageOut<Duty>), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn list_duties(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<DutyFilter>,
) -> Result<Json<PageOut<Duty>>, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator, TokenRole::Finance])?;
    let page = store_page(q.limit, q.offset)?;
    let mut dq = duty_query(&q)?;
    if let Some(mine) = who.centre_scope() {
        dq.centres = Some(match dq.centres {
            None => mine,
            Some(asked) => asked.into_iter().filter(|c| mine.contains(c)).collect(),
        });
    }
    let r = state.store.list_duties(&dq, page).await?;
    Ok(PageOut::of(r, page))
}

/// The calling lawyer's published duties.
#[utoipa::path(get, path = "/api/v1/me/duties", tag = "rosters", params(DutyFilter),
    responses((status = 200, body = PageOut<Duty>), (status = 403, body = crate::error::Problem)))]
async fn my_duties(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<DutyFilter>,
) -> Result<Json<PageOut<Duty>>, ApiError> {
    let me = who
        .lawyer()
        .cloned()
        .ok_or_else(|| ApiError::Forbidden("only a lawyer token has duties".into()))?;
    let page = store_page(q.limit, q.offset)?;
    let mut dq = duty_query(&q)?;
    if dq.lawyer.as_ref().is_some_and(|l| l != &me) {
        return Err(ApiError::field(
            "lawyer_id",
            "a lawyer sees only their own duties",
        ));
    }
    dq.lawyer = Some(me);
    let r = state.store.list_duties(&dq, page).await?;
    Ok(PageOut::of(r, page))
}
