//! Check-in and check-out (签到) on published duties, manual entries, approvals and
//! excuses; the duty ledger (台账) is in `super::ledger`.
//!
//! Times are the server's: a check-in opens `checkin_early_minutes` before the duty starts
//! (30 by default) and closes at its end; later than the start plus `late_grace_minutes` (10)
//! is late. A check-in outside the station's geofence is recorded but pays only once a
//! coordinator approves it. A duty with no check-in by its end is a no-show, which a
//! coordinator may excuse with a reason. Retrying a check-in with the same `Idempotency-Key`
//! returns the same record.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path};
use crate::http::out::AttendanceOut;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{Coordinates, LawyerId, attendance};
use zhiban_store::{AttendanceRecord, AttendanceStatus, CheckInMethod, NewAttendance, TokenRole};

use super::attendance::*;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check_in))
        .routes(routes!(check_out))
        .routes(routes!(manual_entry))
        .routes(routes!(approve_check_in))
        .routes(routes!(reject_check_in))
        .routes(routes!(excuse))
}

/// A check-in from the lawyer's phone.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CheckIn {
    /// The duty.
    #[serde(flatten)]
    duty: DutyRef,
    /// `app` (default) or `qr`.
    method: Option<CheckInMethod>,
    /// Where the phone is (required with `app`).
    lat: Option<f64>,
    /// Where the phone is (required with `app`).
    lon: Option<f64>,
    /// The code of the QR poster at the station (required with `qr`); it changes daily.
    qr_code: Option<String>,
    /// The six digits (or the scanned QR code) of the station's display, which change every
    /// minute: proof of presence that a photo cannot forward.
    display_code: Option<String>,
}

/// Checks the calling lawyer in to one of their published duties, timestamped by the server.
/// Send an `Idempotency-Key` header: a retry with the same key returns the same record (200).
#[utoipa::path(post, path = "/api/v1/checkins", tag = "attendance", request_body = CheckIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry key")),
    responses((status = 201, body = crate::http::out::AttendanceOut), (status = 200, body = crate::http::out::AttendanceOut),
        (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn check_in(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Body(req): Body<CheckIn>,
) -> Result<Response, ApiError> {
    let me = who
        .lawyer()
        .cloned()
        .ok_or_else(|| ApiError::Forbidden("only the lawyer on duty checks in".into()))?;
    let key = idempotency_key(&headers)?;
    match record_check_in(&state, &who, &me, key.clone(), req).await {
        Ok(done) => Ok(done),
        Err(e) => {
            // A retry of a check-in already stored answers with that record, even when a
            // new check-in would now be refused (the window closed, the duty was swapped
            // away). Looked up only on refusal: the usual path finds it in the write.
            if let Some(k) = &key
                && let Some(done) = state.store.attendance_by_key(&me, k).await?
            {
                return Ok((StatusCode::OK, Json(AttendanceOut::from(done))).into_response());
            }
            Err(e)
        }
    }
}

/// The work of [`check_in`]: find the duty, check the window and position, then store the
/// record (or find the one stored earlier with the same idempotency key).
async fn record_check_in(
    state: &AppState,
    who: &Principal,
    me: &LawyerId,
    key: Option<String>,
    req: CheckIn,
) -> Result<Response, ApiError> {
    let method = req.method.unwrap_or(CheckInMethod::App);
    if method == CheckInMethod::Manual {
        return Err(ApiError::invalid(
            "method",
            "manual entries are made by a coordinator",
        ));
    }
    let here = match (req.lat, req.lon) {
        (Some(lat), Some(lon)) => {
            Some(Coordinates::new(lat, lon).map_err(|m| ApiError::invalid("lat", m))?)
        }
        (None, None) if method == CheckInMethod::Qr => None,
        _ => {
            return Err(ApiError::invalid(
                "lat",
                "the phone's position (lat and lon) is required",
            ));
        }
    };
    let duty = find_duty(state, who, &req.duty, me).await?;
    if method == CheckInMethod::Qr {
        let want = qr_code(state, &duty.assignment.station_id, duty.assignment.date).await?;
        let given = req
            .qr_code
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase();
        // Compared in constant time: how long a wrong code takes says nothing of the right one.
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            given.as_bytes(),
            want.as_bytes(),
        )) {
            return Err(ApiError::invalid(
                "qr_code",
                "this is not today's code of the station's QR poster",
            ));
        }
    }
    let rev = who.revisions;
    let ds = state.panel_at(&rev).await?;
    let (station, start, end) = window(&ds, &duty.assignment)?;
    let policy = state
        .caches
        .policy(&*state.store, &rev, &duty.centre_id)
        .await?;
    let now = state.now();
    let lateness = attendance::check_in_assessment(start, end, now, check_in_rules(&policy))
        .map_err(|closed| ApiError::invalid("date", closed.to_string()))?;
    // A position, when sent, is recorded; what proves presence is the centre's choice.
    let distance = here.map(|h| h.distance_m(&station.location));
    let outside =
        method != CheckInMethod::Qr && attendance::outside_geofence(distance, station.geofence_m);
    let display = match req.display_code.as_deref() {
        None => false,
        Some(code) => display_code_checked(state, me, &duty.assignment, now, code).await?,
    };
    let (approved, proof) = zhiban_domain::presence::assess(
        policy.presence_proof,
        zhiban_domain::presence::Evidence {
            inside_fence: method == CheckInMethod::App && here.is_some() && !outside,
            display,
            poster: method == CheckInMethod::Qr,
        },
    );
    let record = NewAttendance {
        centre_id: duty.centre_id.clone(),
        roster_id: duty.roster_id,
        duty: duty.assignment.clone(),
        status: AttendanceStatus::CheckedIn,
        method: Some(method),
        check_in_at: Some(now),
        check_out_at: None,
        lat: req.lat,
        lon: req.lon,
        distance_m: distance.map(f64::round),
        minutes_late: lateness.minutes_late,
        late: lateness.late,
        outside_geofence: outside,
        approved,
        proof,
        checkout_window: Some(attendance::checkout_window(
            start,
            end,
            now,
            &policy.presence(),
        )),
        reason: String::new(),
        idempotency_key: key,
    };
    let audit = who.audit(
        Some(&duty.centre_id),
        "attendance.check_in",
        "",
        serde_json::json!({"duty": duty.assignment, "late": record.late,
            "outside_geofence": record.outside_geofence, "proof": record.proof,
            "approved": record.approved}),
    );
    let (rec, new) = state.store.create_attendance(&record, &audit).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(AttendanceOut::from(rec))).into_response())
}

/// Checks a station display's code sent with a check-in (true when valid), counting wrong
/// codes per lawyer and duty and refusing after too many.
async fn display_code_checked(
    state: &AppState,
    me: &LawyerId,
    a: &zhiban_domain::Assignment,
    now: DateTime<Utc>,
    code: &str,
) -> Result<bool, ApiError> {
    let slot = format!("{}|{}|{}", a.station_id, a.date, a.half_day);
    if !state.wrong_codes.allowed(me.as_str(), &slot) {
        return Err(ApiError::invalid(
            "display_code",
            "too many wrong codes for this duty: check in without the code, and your \
             coordinator will confirm it",
        ));
    }
    let secret = crate::http::presence::station_secret(state, &a.station_id).await?;
    if !crate::http::presence::code_is_valid(&secret, &a.station_id, a.date, a.half_day, now, code)
    {
        state.wrong_codes.record(me.as_str(), &slot);
        tracing::warn!(lawyer = %me, station = %a.station_id, "wrong display code");
        return Err(ApiError::invalid(
            "display_code",
            "this is not the current code of this station's display for this half-day",
        ));
    }
    Ok(true)
}

/// The check-in window and lateness rules of a centre's policy.
fn check_in_rules(policy: &zhiban_store::CentrePolicy) -> attendance::CheckInRules {
    attendance::CheckInRules {
        early_minutes: policy.checkin_early_minutes,
        late_grace_minutes: policy.late_grace_minutes,
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let k = v
                .to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be ASCII"))?
                .trim();
            if k.is_empty() || k.len() > 200 {
                return Err(ApiError::field("Idempotency-Key", "1 to 200 characters"));
            }
            Ok(Some(k.to_string()))
        }
    }
}

async fn record_of(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<AttendanceRecord, ApiError> {
    let rec = state
        .store
        .get_attendance(id)
        .await?
        .ok_or_else(|| ApiError::not_found("attendance record", id))?;
    let visible = match who.lawyer() {
        Some(me) => me == &rec.duty.lawyer_id,
        None => who.sees_centre(&rec.centre_id),
    };
    if visible {
        Ok(rec)
    } else {
        Err(ApiError::not_found("attendance record", id))
    }
}

/// Checks the lawyer out (the duty then counts as attended).
#[utoipa::path(post, path = "/api/v1/checkins/{id}/checkout", tag = "attendance",
    params(("id" = i64, Path, description = "attendance record id")),
    responses((status = 200, body = crate::http::out::AttendanceOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn check_out(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<crate::http::out::AttendanceOut>, ApiError> {
    let Some(me) = who.lawyer() else {
        // Staff see the record (404 otherwise) but may not check anyone out.
        record_of(&state, &who, id).await?;
        return Err(ApiError::Forbidden(
            "only the lawyer on duty checks out".into(),
        ));
    };
    // One guarded write: the store checks that the record is this lawyer's, checked in, in
    // an open month, and that now is inside the check-out window fixed at check-in (and
    // names the record's centre in the audit entry); it reads only to explain a refusal.
    let audit = who.audit(
        None,
        "attendance.check_out",
        format!("attendance/{id}"),
        serde_json::json!({}),
    );
    Ok(Json(
        state
            .store
            .check_out(id, me, state.now(), &audit)
            .await?
            .into(),
    ))
}

/// Why a duty does not count as attended, for the lawyer (in Chinese, times in Beijing time).
fn not_attended_zh(e: &attendance::NotAttended) -> String {
    use attendance::NotAttended;
    let t = |x: &DateTime<Utc>| {
        x.with_timezone(&zhiban_domain::DEFAULT_TIME_ZONE)
            .format("%m-%d %H:%M")
            .to_string()
    };
    match e {
        NotAttended::CheckInOutsideWindow { opens, ends, .. } => {
            format!("签到时间不在值班时段内（{} 至 {}）", t(opens), t(ends))
        }
        NotAttended::CheckOutOutsideWindow { from, until, .. } => {
            format!("签退时间须在 {} 至 {} 之间", t(from), t(until))
        }
        NotAttended::TooShort {
            minutes,
            needed,
            earliest,
            ..
        } => format!(
            "在岗 {minutes} 分钟，不足 {needed} 分钟；最早可于 {} 签退",
            t(earliest)
        ),
    }
}

/// A coordinator's manual entry of an attended duty.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ManualEntry {
    /// The duty.
    #[serde(flatten)]
    duty: DutyRef,
    /// The lawyer.
    lawyer_id: LawyerId,
    /// When they arrived (UTC).
    check_in_at: DateTime<Utc>,
    /// When they left (UTC).
    check_out_at: DateTime<Utc>,
    /// Why it is entered by hand (required).
    reason: String,
}

/// Enters an attended duty by hand (the lawyer's phone failed, paper sign-in sheet).
#[utoipa::path(post, path = "/api/v1/checkins/manual", tag = "attendance", request_body = ManualEntry,
    responses((status = 201, body = crate::http::out::AttendanceOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn manual_entry(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<ManualEntry>,
) -> Result<Response, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    check_reason(&req.reason, "a manual entry needs a reason")?;
    for (field, t) in [
        ("check_in_at", req.check_in_at),
        ("check_out_at", req.check_out_at),
    ] {
        zhiban_domain::time::check_instant(t).map_err(|m| ApiError::invalid(field, m))?;
    }
    let duty = coordinators_duty(&state, &who, &req.duty, &req.lawyer_id).await?;
    if req.check_out_at > state.now() {
        return Err(ApiError::invalid(
            "check_out_at",
            "is in the future: a duty that has not happened cannot be entered as attended",
        ));
    }
    let (_, start, end) = duty_window(&state, &duty).await?;
    let policy = state.store.centre_policy(&duty.centre_id).await?;
    attendance::assess(
        start,
        end,
        req.check_in_at,
        req.check_out_at,
        &policy.presence(),
    )
    .map_err(|e| {
        let field = match e {
            attendance::NotAttended::CheckInOutsideWindow { .. } => "check_in_at",
            _ => "check_out_at",
        };
        ApiError::invalid(field, not_attended_zh(&e))
    })?;
    let lateness = attendance::lateness(start, req.check_in_at, policy.late_grace_minutes);
    let record = NewAttendance {
        centre_id: duty.centre_id.clone(),
        roster_id: duty.roster_id,
        duty: duty.assignment.clone(),
        status: AttendanceStatus::Attended,
        method: Some(CheckInMethod::Manual),
        check_in_at: Some(req.check_in_at),
        check_out_at: Some(req.check_out_at),
        lat: None,
        lon: None,
        distance_m: None,
        minutes_late: lateness.minutes_late,
        late: lateness.late,
        outside_geofence: false,
        approved: true,
        proof: "",
        checkout_window: None,
        reason: req.reason.trim().to_string(),
        idempotency_key: None,
    };
    let audit = who.audit(
        Some(&duty.centre_id),
        "attendance.manual",
        "",
        serde_json::json!({"duty": duty.assignment, "reason": record.reason}),
    );
    let (rec, _) = state.store.create_attendance(&record, &audit).await?;
    Ok((StatusCode::CREATED, Json(AttendanceOut::from(rec))).into_response())
}

/// Approves a check-in made outside the station's geofence, so it counts for pay.
#[utoipa::path(post, path = "/api/v1/checkins/{id}/approve", tag = "attendance",
    params(("id" = i64, Path, description = "attendance record id")),
    responses((status = 200, body = crate::http::out::AttendanceOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn approve_check_in(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<crate::http::out::AttendanceOut>, ApiError> {
    let rec = record_of(&state, &who, id).await?;
    who.require_coordinator_of(&rec.centre_id, &format!("attendance record {id}"))?;
    let audit = who.audit(
        Some(&rec.centre_id),
        "attendance.approve",
        format!("attendance/{id}"),
        serde_json::json!({"distance_m": rec.distance_m}),
    );
    Ok(Json(
        state.store.approve_attendance(id, &audit).await?.into(),
    ))
}

/// Why a coordinator rejects a check-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rejection {
    /// Why (required), e.g. 定位在律所，未到站.
    reason: String,
}

/// Rejects a check-in waiting for approval (made outside the geofence, or without the proof
/// the centre requires): the record is voided with the reason and never counts for pay.
#[utoipa::path(post, path = "/api/v1/checkins/{id}/reject", tag = "attendance",
    params(("id" = i64, Path, description = "attendance record id")), request_body = Rejection,
    responses((status = 200, body = crate::http::out::AttendanceOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn reject_check_in(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(req): Body<Rejection>,
) -> Result<Json<crate::http::out::AttendanceOut>, ApiError> {
    let rec = record_of(&state, &who, id).await?;
    who.require_coordinator_of(&rec.centre_id, &format!("attendance record {id}"))?;
    check_reason(&req.reason, "a rejection needs a reason")?;
    let reason = req.reason.trim();
    let audit = who.audit(
        Some(&rec.centre_id),
        "attendance.reject",
        format!("attendance/{id}"),
        serde_json::json!({"distance_m": rec.distance_m, "reason": reason}),
    );
    Ok(Json(
        state
            .store
            .reject_attendance(id, &format!("驳回：{reason}"), &audit)
            .await?
            .into(),
    ))
}

/// A coordinator excuses a missed duty.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Excuse {
    /// The duty.
    #[serde(flatten)]
    duty: DutyRef,
    /// The lawyer.
    lawyer_id: LawyerId,
    /// Why (required), e.g. 法院临时取消.
    reason: String,
}

/// Excuses an absence: the duty counts as attended for pay, with the reason on record.
#[utoipa::path(post, path = "/api/v1/absences/excuse", tag = "attendance", request_body = Excuse,
    responses((status = 201, body = crate::http::out::AttendanceOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn excuse(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<Excuse>,
) -> Result<Response, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    check_reason(&req.reason, "an excuse needs a reason")?;
    let duty = coordinators_duty(&state, &who, &req.duty, &req.lawyer_id).await?;
    let (_, start, _) = duty_window(&state, &duty).await?;
    if !attendance::has_begun(start, state.now()) {
        return Err(ApiError::invalid(
            "date",
            "the duty has not begun: a duty that has not happened cannot be excused",
        ));
    }
    let record = NewAttendance {
        centre_id: duty.centre_id.clone(),
        roster_id: duty.roster_id,
        duty: duty.assignment.clone(),
        status: AttendanceStatus::Excused,
        method: None,
        check_in_at: None,
        check_out_at: None,
        lat: None,
        lon: None,
        distance_m: None,
        minutes_late: 0,
        late: false,
        outside_geofence: false,
        approved: true,
        proof: "",
        checkout_window: None,
        reason: req.reason.trim().to_string(),
        idempotency_key: None,
    };
    let audit = who.audit(
        Some(&duty.centre_id),
        "attendance.excuse",
        "",
        serde_json::json!({"duty": duty.assignment, "reason": record.reason}),
    );
    let (rec, _) = state.store.create_attendance(&record, &audit).await?;
    Ok((StatusCode::CREATED, Json(AttendanceOut::from(rec))).into_response())
}
