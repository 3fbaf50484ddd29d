//! Leave requests (请假申请) through the API. A lawyer (or their firm's administrator) asks in
//! writing, at least the centre's `leave_notice_days` ahead; a coordinator of the lawyer's
//! centre sees each waiting request with the published duties it would hit, and approves or
//! rejects it; the requester may withdraw it while it waits. Approval adds the leave to the
//! lawyer's availability in the same transaction (the solver respects it from then on) and,
//! when it hits published duties, queues the minimal-change repair of each version concerned
//! as a draft to review and publish. Every step is audited; a request of someone the caller
//! does not act for answers 404.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::http::out::DutyOut;
use crate::http::panel_edit::{MAX_AFFECTED, today_at};
use crate::pages::{PageOut, store_page};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::fitness::Fitness;
use zhiban_domain::leave_request::{self, LeaveAction, LeaveStatus};
use zhiban_domain::{CentreId, Dataset, HalfDay, LawyerId};
use zhiban_store::{
    DutyQuery, LeaveDecision, LeaveQuery, LeaveRequest, NewLeaveRequest, Page, TokenRole,
};

/// Most requests one lawyer may have waiting at once.
const MAX_WAITING: u64 = 20;
/// Longest reason or note, in characters.
const MAX_TEXT: usize = 200;
/// Largest page of a staff list (each waiting request with its duties).
const MAX_STAFF_PAGE: u32 = 50;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_leave, list_leave))
        .routes(routes!(get_leave))
        .routes(routes!(approve_leave))
        .routes(routes!(reject_leave))
        .routes(routes!(withdraw_leave))
}

/// A request for leave.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AskLeave {
    /// Whose leave: the caller (the default), or for a firm's administrator one of the
    /// firm's lawyers.
    lawyer_id: Option<LawyerId>,
    /// First day away.
    from: NaiveDate,
    /// Last day away.
    to: NaiveDate,
    /// Only this half-day of each day; whole days when absent.
    half_day: Option<HalfDay>,
    /// Why (病假, 开庭, 年假…), 1 to 200 characters.
    reason: String,
}

/// A leave request as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LeaveOut {
    /// Id.
    id: i64,
    /// Whose leave.
    lawyer_id: LawyerId,
    /// The lawyer's centre, whose coordinators decide.
    centre_id: CentreId,
    /// First day away.
    from: NaiveDate,
    /// Last day away.
    to: NaiveDate,
    /// Only this half-day, or whole days.
    half_day: Option<HalfDay>,
    /// Why.
    reason: String,
    /// `requested`, `approved`, `rejected` or `withdrawn`.
    #[schema(value_type = String)]
    status: LeaveStatus,
    /// When it was asked.
    requested_at: DateTime<Utc>,
    /// When it was decided or withdrawn.
    decided_at: Option<DateTime<Utc>>,
    /// The coordinator's note.
    note: String,
    /// While it waits, for a coordinator: the published duties from today on it would hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    affected: Option<Vec<DutyOut>>,
    /// After an approval that hit published duties: the repair jobs queued, one per version.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    repair_jobs: Vec<i64>,
}

impl From<LeaveRequest> for LeaveOut {
    fn from(r: LeaveRequest) -> Self {
        LeaveOut {
            id: r.id,
            lawyer_id: r.lawyer_id,
            centre_id: r.centre_id,
            from: r.from,
            to: r.to,
            half_day: r.half_day,
            reason: r.reason,
            status: r.status,
            requested_at: r.requested_at,
            decided_at: r.decided_at,
            note: r.note,
            affected: None,
            repair_jobs: vec![],
        }
    }
}

/// Checks a free text field: at most [`MAX_TEXT`] characters, and not blank when `needed`.
fn text(field: &str, s: &str, needed: bool) -> Result<String, ApiError> {
    let t = s.trim();
    if needed && t.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid(
            field,
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    Ok(t.to_string())
}

/// The published duties from today on that leave `r` would rule out: the lawyer's duties
/// in its days and half-days that the panel allows them now (`fit`, the panel indexed
/// once per request). One date-bounded query.
async fn hit_by(
    state: &AppState,
    (ds, fit): (&Dataset, &Fitness<'_>),
    r: &LeaveRequest,
) -> Result<Vec<DutyOut>, ApiError> {
    let today = today_at(state, ds, &r.centre_id);
    if r.to < today {
        return Ok(vec![]);
    }
    let leave = leave_request::leave_of(&r.lawyer_id, r.from, r.to, r.half_day, &r.reason);
    let q = DutyQuery {
        lawyer: Some(r.lawyer_id.clone()),
        from: Some(r.from.max(today)),
        to: Some(r.to),
        ..DutyQuery::default()
    };
    let page = Page {
        limit: MAX_AFFECTED as u32,
        offset: 0,
    };
    let held = state.store.list_duties(&q, page).await?.items;
    Ok(held
        .into_iter()
        .filter(|d| {
            let a = &d.assignment;
            leave.covers(a.date, a.half_day) && fit.check(a).is_none()
        })
        .map(|d| {
            let mut o = DutyOut::from(d);
            o.reason = Some("unavailable".into());
            o
        })
        .collect())
}

/// The centre whose coordinators decide `r`: the lawyer's home centre now (they may have
/// moved since asking), else the one they had.
fn centre_of(ds: &Dataset, r: &LeaveRequest) -> CentreId {
    ds.lawyer(&r.lawyer_id)
        .map(|l| l.home_centre_id.clone())
        .unwrap_or_else(|| r.centre_id.clone())
}

/// Asks for leave (a lawyer for themselves, a firm's administrator for the firm's lawyers);
/// 201 with the request and the published duties it would hit.
#[utoipa::path(post, path = "/api/v1/leave-requests", tag = "leave", request_body = AskLeave,
    responses((status = 201, body = LeaveOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn request_leave(
    State(state): State<AppState>,
    who: Principal,
    Body(a): Body<AskLeave>,
) -> Result<(StatusCode, Json<LeaveOut>), ApiError> {
    if !who.for_lawyers() {
        return Err(ApiError::Forbidden(
            "a lawyer or their firm's administrator asks for leave; a coordinator enters \
             leave directly (PUT /api/v1/lawyers/{id}/availability)"
                .into(),
        ));
    }
    let (_, ds) = state.panel().await?;
    let id = match (&a.lawyer_id, who.lawyer()) {
        (Some(l), _) => l.clone(),
        (None, Some(me)) => me.clone(),
        (None, None) => return Err(ApiError::invalid("lawyer_id", "name the firm's lawyer")),
    };
    let lawyer = ds
        .lawyer(&id)
        .filter(|_| who.acts_for(&ds, &id))
        .cloned()
        .ok_or_else(|| ApiError::not_found("lawyer", &id))?;
    if !lawyer.active {
        return Err(ApiError::invalid("lawyer_id", "not on the active panel"));
    }
    let reason = text("reason", &a.reason, true)?;
    for (field, d) in [("from", a.from), ("to", a.to)] {
        zhiban_domain::time::check_date(d).map_err(|m| ApiError::invalid(field, m))?;
    }
    let centre = lawyer.home_centre_id.clone();
    let policy = state.store.centre_policy(&centre).await?;
    let today = today_at(&state, &ds, &centre);
    leave_request::check_dates(a.from, a.to, today, policy.leave_notice_days)
        .map_err(|(field, m)| ApiError::invalid(field, m))?;
    let waiting = LeaveQuery {
        lawyer: Some(id.clone()),
        status: Some(LeaveStatus::Requested),
        ..LeaveQuery::default()
    };
    let one = Page {
        limit: 1,
        offset: 0,
    };
    if state.store.list_leave_requests(&waiting, one).await?.total >= MAX_WAITING {
        return Err(ApiError::Conflict(format!(
            "{MAX_WAITING} requests are waiting already: wait for a decision or withdraw one"
        )));
    }
    let new = NewLeaveRequest {
        lawyer_id: id.clone(),
        centre_id: centre.clone(),
        from: a.from,
        to: a.to,
        half_day: a.half_day,
        reason,
        requested_by: who.actor(),
        now: state.now(),
    };
    let audit = who.audit(
        Some(&centre),
        "leave.request",
        "",
        serde_json::json!({"lawyer_id": id, "from": a.from, "to": a.to, "half_day": a.half_day}),
    );
    let rid = state.store.create_leave_request(&new, &audit).await?;
    let r = state
        .store
        .get_leave_request(rid)
        .await?
        .ok_or_else(|| ApiError::not_found("leave request", rid))?;
    let affected = hit_by(&state, (&ds, &Fitness::new(&ds)), &r).await?;
    let mut out = LeaveOut::from(r);
    out.affected = Some(affected);
    Ok((StatusCode::CREATED, Json(out)))
}

/// Which requests to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct LeaveFilter {
    /// Only those in this status (`requested` for the waiting ones).
    status: Option<String>,
    /// Page size (1 to 500, default 100).
    limit: Option<u32>,
    /// Items skipped.
    offset: Option<u64>,
}

/// Leave requests, newest first: a lawyer's own, a firm administrator's lawyers', a
/// coordinator's centres' (each waiting one with the published duties it would hit).
#[utoipa::path(get, path = "/api/v1/leave-requests", tag = "leave", params(LeaveFilter),
    responses((status = 200, body = PageOut<LeaveOut>), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn list_leave(
    State(state): State<AppState>,
    who: Principal,
    Query(f): Query<LeaveFilter>,
) -> Result<Json<PageOut<LeaveOut>>, ApiError> {
    who.require_role(&[
        TokenRole::Admin,
        TokenRole::Coordinator,
        TokenRole::Lawyer,
        TokenRole::FirmAdmin,
    ])?;
    let mut page = store_page(f.limit, f.offset)?;
    // Staff lists carry each waiting request's duties: a smaller page.
    if !who.for_lawyers() {
        page.limit = page.limit.min(MAX_STAFF_PAGE);
    }
    let status = f
        .status
        .as_deref()
        .map(|s| LeaveStatus::parse(s).map_err(|m| ApiError::field("status", m)))
        .transpose()?;
    let q = LeaveQuery {
        centres: if who.for_lawyers() {
            None
        } else {
            who.centre_scope()
        },
        lawyer: who.lawyer().cloned(),
        firm: who.firm().cloned(),
        status,
        overlapping: None,
    };
    if who.for_lawyers() && q.lawyer.is_none() && q.firm.is_none() {
        return Err(ApiError::Forbidden(
            "this account acts for no lawyer".into(),
        ));
    }
    let found = state.store.list_leave_requests(&q, page).await?;
    let staff = !who.for_lawyers();
    let (_, ds) = state.panel().await?;
    let fit = Fitness::new(&ds);
    let mut items = Vec::with_capacity(found.items.len());
    for r in found.items {
        let waiting = r.status == LeaveStatus::Requested;
        let affected = if staff && waiting {
            Some(hit_by(&state, (&ds, &fit), &r).await?)
        } else {
            None
        };
        let mut out = LeaveOut::from(r);
        out.affected = affected;
        items.push(out);
    }
    Ok(Json(PageOut {
        items,
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// The request, if the caller acts for its lawyer or keeps its centre (404 otherwise).
async fn request_of(state: &AppState, who: &Principal, id: i64) -> Result<LeaveRequest, ApiError> {
    let r = state.store.get_leave_request(id).await?;
    let (_, ds) = state.panel().await?;
    // Staff who keep rosters (not finance: leave reasons are personal).
    let staff = matches!(
        who.role(),
        TokenRole::Admin | TokenRole::Coordinator | TokenRole::Director
    );
    r.filter(|r| who.acts_for(&ds, &r.lawyer_id) || (staff && who.sees_centre(&centre_of(&ds, r))))
        .ok_or_else(|| ApiError::not_found("leave request", id))
}

/// One leave request.
#[utoipa::path(get, path = "/api/v1/leave-requests/{id}", tag = "leave",
    params(("id" = i64, Path, description = "request id")),
    responses((status = 200, body = LeaveOut), (status = 404, body = crate::error::Problem)))]
async fn get_leave(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<LeaveOut>, ApiError> {
    let r = request_of(&state, &who, id).await?;
    let affected = if r.status == LeaveStatus::Requested && !who.for_lawyers() {
        let (_, ds) = state.panel().await?;
        Some(hit_by(&state, (&ds, &Fitness::new(&ds)), &r).await?)
    } else {
        None
    };
    let mut out = LeaveOut::from(r);
    out.affected = affected;
    Ok(Json(out))
}

/// A coordinator's note with a decision.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LeaveNote {
    /// For the lawyer (at most 200 characters).
    #[serde(default)]
    note: String,
}

/// Takes `action` on request `id`: checks who may, the state machine and the note, then
/// stores it with its audit entry.
async fn act(
    state: &AppState,
    who: &Principal,
    id: i64,
    action: LeaveAction,
    note: &str,
) -> Result<(LeaveRequest, Vec<DutyOut>), ApiError> {
    let r = request_of(state, who, id).await?;
    let what = format!("leave request {id}");
    match action {
        LeaveAction::Withdraw => {
            let (_, ds) = state.panel().await?;
            if !who.acts_for(&ds, &r.lawyer_id) {
                return Err(ApiError::Forbidden(
                    "the lawyer or their firm's administrator withdraws a request; a \
                     coordinator rejects it"
                        .into(),
                ));
            }
        }
        _ => {
            let (_, ds) = state.panel().await?;
            who.require_coordinator_of(&centre_of(&ds, &r), &what)?;
        }
    }
    let note = text("note", note, false)?;
    let to = leave_request::transition(r.status, action).map_err(ApiError::Conflict)?;
    // The duties it hits, read before the leave is added.
    let affected = if to == LeaveStatus::Approved {
        let (_, ds) = state.panel().await?;
        hit_by(state, (&ds, &Fitness::new(&ds)), &r).await?
    } else {
        vec![]
    };
    let action_code = match action {
        LeaveAction::Approve => "leave.approve",
        LeaveAction::Reject => "leave.reject",
        LeaveAction::Withdraw => "leave.withdraw",
    };
    let audit = who.audit(
        Some(&r.centre_id),
        action_code,
        format!("leave_request/{id}"),
        serde_json::json!({"lawyer_id": r.lawyer_id, "from": r.from, "to": r.to,
            "note": note, "affected_duties": affected.len()}),
    );
    let d = LeaveDecision {
        id,
        to,
        by: who.actor(),
        note,
        now: state.now(),
    };
    let r = state.store.decide_leave_request(&d, &audit).await?;
    Ok((r, affected))
}

/// Approves a waiting request (the lawyer's centre's coordinators): the leave becomes the
/// lawyer's, and each version with a duty it hits gets a repair job (a draft to publish).
#[utoipa::path(post, path = "/api/v1/leave-requests/{id}/approve", tag = "leave",
    params(("id" = i64, Path, description = "request id")), request_body = LeaveNote,
    responses((status = 200, body = LeaveOut), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn approve_leave(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(n): Body<LeaveNote>,
) -> Result<Json<LeaveOut>, ApiError> {
    let (r, affected) = act(&state, &who, id, LeaveAction::Approve, &n.note).await?;
    // The approval is saved: a repair that cannot be queued (a version of another centre
    // sharing its pool, which that centre repairs) is logged, not answered as a failure.
    let mut versions: Vec<(i64, CentreId)> = affected
        .iter()
        .filter(|d| who.sees_centre(&d.centre_id))
        .map(|d| (d.version_id, d.centre_id.clone()))
        .collect();
    versions.sort();
    versions.dedup();
    let mut jobs = vec![];
    for (v, centre) in versions {
        match crate::http::rosters::queue_repair(&state, &who, v, &centre).await {
            Ok(job) => jobs.push(job),
            Err(e) => tracing::warn!(version = v, error = %e, "repair after leave not queued"),
        }
    }
    let mut out = LeaveOut::from(r);
    out.affected = Some(affected);
    out.repair_jobs = jobs;
    Ok(Json(out))
}

/// Rejects a waiting request (the lawyer's centre's coordinators), with a note.
#[utoipa::path(post, path = "/api/v1/leave-requests/{id}/reject", tag = "leave",
    params(("id" = i64, Path, description = "request id")), request_body = LeaveNote,
    responses((status = 200, body = LeaveOut), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn reject_leave(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(n): Body<LeaveNote>,
) -> Result<Json<LeaveOut>, ApiError> {
    Ok(Json(
        act(&state, &who, id, LeaveAction::Reject, &n.note)
            .await?
            .0
            .into(),
    ))
}

/// Withdraws a waiting request (the lawyer or their firm's administrator); an approved one
/// is refused (409: a coordinator changes approved leave).
#[utoipa::path(post, path = "/api/v1/leave-requests/{id}/withdraw", tag = "leave",
    params(("id" = i64, Path, description = "request id")),
    responses((status = 200, body = LeaveOut), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)))]
async fn withdraw_leave(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<LeaveOut>, ApiError> {
    Ok(Json(
        act(&state, &who, id, LeaveAction::Withdraw, "")
            .await?
            .0
            .into(),
    ))
}
