// Over the ~600-line sizing rule on purpose: check-in, check-out, manual entries, excuses and the attendance list share the duty lookup and window helpers; the ledger already moved out (ledger.rs). Splitting check-in from absences is left to the restructuring issue (19).
//! Check-in and check-out (签到) on published duties, and absences; the duty ledger (台账) is
//! in `crate::ledger`.
//!
//! Times are the server's: a check-in opens `checkin_early_minutes` before the duty starts
//! (30 by default) and closes at its end; later than the start plus `late_grace_minutes` (10)
//! is late. A check-in outside the station's geofence is recorded but pays only once a
//! coordinator approves it. A duty with no check-in by its end is a no-show, which a
//! coordinator may excuse with a reason. Retrying a check-in with the same `Idempotency-Key`
//! returns the same record.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::planning::ALL;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{
    Assignment, Coordinates, Dataset, HalfDay, LawyerId, Role, Station, StationId,
};
use zhiban_store::{
    AttendanceRecord, AttendanceStatus, CheckInMethod, Duty, DutyQuery, NewAttendance, TokenRole,
};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check_in))
        .routes(routes!(check_out))
        .routes(routes!(manual_entry))
        .routes(routes!(approve_check_in))
        .routes(routes!(excuse))
        .routes(routes!(list_attendance))
        .routes(routes!(station_qr))
}

/// Which day.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct QrQuery {
    /// The day (default today, in the station's time zone).
    date: Option<NaiveDate>,
}

/// A station's check-in QR code for a day.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StationQr {
    /// Station.
    station_id: StationId,
    /// Day.
    date: NaiveDate,
    /// The code lawyers send with `method: qr`.
    code: String,
    /// What to encode in the QR poster.
    payload: String,
}

/// The station's check-in code of a day, for the QR poster (its coordinators).
#[utoipa::path(get, path = "/api/v1/stations/{id}/qr", tag = "attendance",
    params(("id" = String, Path, description = "station code"), QrQuery),
    responses((status = 200, body = StationQr), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn station_qr(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<QrQuery>,
) -> Result<Json<StationQr>, ApiError> {
    let id = StationId::parse(&id).map_err(|m| ApiError::field("id", m))?;
    let ds = state.dataset().await?;
    let st = ds
        .station(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("station", &id))?;
    who.require_coordinator_of(&st.centre_id, &format!("station {id}"))?;
    let tz = ds
        .centre(&st.centre_id)
        .map(|c| c.time_zone)
        .unwrap_or(zhiban_domain::DEFAULT_TIME_ZONE);
    let date = q
        .date
        .unwrap_or_else(|| state.now().with_timezone(&tz).date_naive());
    let code = qr_code(&state, &id, date).await?;
    Ok(Json(StationQr {
        payload: format!("zhiban:checkin:{id}:{date}:{code}"),
        station_id: id,
        date,
        code,
    }))
}

/// Which duty.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub(crate) struct DutyRef {
    /// Station.
    pub(crate) station_id: StationId,
    /// Day.
    pub(crate) date: NaiveDate,
    /// Half-day.
    pub(crate) half_day: HalfDay,
    /// Primary (default) or backup.
    pub(crate) role: Option<Role>,
}

/// The published duty of `lawyer` matching `r`, as of the revisions the request's token was
/// checked at.
pub(crate) async fn find_duty(
    state: &AppState,
    who: &Principal,
    r: &DutyRef,
    lawyer: &LawyerId,
) -> Result<Duty, ApiError> {
    let role = r.role.unwrap_or(Role::Primary);
    state
        .caches
        .duty(
            &state.store,
            &who.revisions,
            &r.station_id,
            r.date,
            lawyer,
            r.half_day,
            role,
        )
        .await?
        .ok_or_else(|| no_duty(r, lawyer))
}

/// The published duty `r` of `lawyer` for a coordinator (or admin) of its centre. A duty of
/// a centre the caller may not see answers exactly as a duty that does not exist.
pub(crate) async fn coordinators_duty(
    state: &AppState,
    who: &Principal,
    r: &DutyRef,
    lawyer: &LawyerId,
) -> Result<Duty, ApiError> {
    let duty = find_duty(state, who, r, lawyer).await?;
    if who.sees_centre(&duty.centre_id) {
        who.require_coordinator_of(&duty.centre_id, "duty")?;
        Ok(duty)
    } else {
        Err(no_duty(r, lawyer))
    }
}

/// The one 404 of a duty that does not exist or may not be seen.
fn no_duty(r: &DutyRef, lawyer: &LawyerId) -> ApiError {
    let role = r.role.unwrap_or(Role::Primary);
    ApiError::NotFound(format!(
        "{lawyer} has no published {} duty at {} on {} {}",
        role.code(),
        r.station_id,
        r.date,
        r.half_day
    ))
}

/// A required reason: not blank, at most 500 characters.
pub(crate) fn check_reason(reason: &str, missing: &str) -> Result<(), ApiError> {
    if reason.trim().is_empty() {
        return Err(ApiError::invalid("reason", missing));
    }
    if reason.chars().count() > 500 {
        return Err(ApiError::invalid("reason", "at most 500 characters"));
    }
    Ok(())
}

/// A duty's station and its start and end as instants.
fn window(
    ds: &Dataset,
    a: &Assignment,
) -> Result<(Station, DateTime<Utc>, DateTime<Utc>), ApiError> {
    let st = ds
        .station(&a.station_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("station", &a.station_id))?;
    let tz = ds
        .centre(&st.centre_id)
        .map(|c| c.time_zone)
        .unwrap_or(zhiban_domain::DEFAULT_TIME_ZONE);
    station_window(st, tz, a)
}

/// A duty at station `st` in time zone `tz`: the station and the duty's start and end.
fn station_window<Z: chrono::TimeZone>(
    st: Station,
    tz: Z,
    a: &Assignment,
) -> Result<(Station, DateTime<Utc>, DateTime<Utc>), ApiError> {
    let t = st.template(a.half_day);
    let at = |time| {
        tz.from_local_datetime(&a.date.and_time(time))
            .earliest()
            .map(|x| x.with_timezone(&Utc))
            .ok_or_else(|| ApiError::invalid("date", "the duty's time does not exist locally"))
    };
    let (start, end) = (at(t.start)?, at(t.end)?);
    Ok((st, start, end))
}

/// [`window`] for one duty, from the cached panel (the check-in path runs for every lawyer
/// at the start of every half-day).
async fn duty_window(
    state: &AppState,
    duty: &Duty,
) -> Result<(Station, DateTime<Utc>, DateTime<Utc>), ApiError> {
    let ds = state.dataset().await?;
    window(&ds, &duty.assignment)
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

/// The station's check-in code for a day: the first 12 hex digits of
/// SHA-256(server secret | station | date), so it cannot be guessed or reused on another day.
pub(crate) async fn qr_code(
    state: &AppState,
    station: &StationId,
    date: NaiveDate,
) -> Result<String, ApiError> {
    use sha2::Digest;
    let candidate = crate::auth::generate_token().map_err(ApiError::Internal)?;
    let secret = state.store.server_secret("qr", &candidate).await?;
    let digest = sha2::Sha256::digest(format!("{secret}|{station}|{date}").as_bytes());
    Ok(digest.iter().take(6).map(|b| format!("{b:02X}")).collect())
}

/// Checks the calling lawyer in to one of their published duties, timestamped by the server.
/// Send an `Idempotency-Key` header: a retry with the same key returns the same record (200).
#[utoipa::path(post, path = "/api/v1/checkins", tag = "attendance", request_body = CheckIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry key")),
    responses((status = 201, body = AttendanceRecord), (status = 200, body = AttendanceRecord),
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
                return Ok((StatusCode::OK, Json(done)).into_response());
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
    let opens = start - chrono::Duration::minutes(i64::from(policy.checkin_early_minutes));
    if now < opens || now > end {
        return Err(ApiError::invalid(
            "date",
            format!("check-in for this duty is open from {opens} to {end} (UTC); it is {now}"),
        ));
    }
    let minutes_late = u32::try_from((now - start).num_minutes().max(0)).unwrap_or(u32::MAX);
    // A position, when sent, is recorded; what proves presence is the centre's choice.
    let distance = here.map(|h| h.distance_m(&station.location));
    let outside =
        method != CheckInMethod::Qr && distance.is_some_and(|d| d > f64::from(station.geofence_m));
    let display = match req.display_code.as_deref() {
        None => false,
        Some(code) => {
            let a = &duty.assignment;
            let slot = format!("{}|{}|{}", a.station_id, a.date, a.half_day);
            if !state.wrong_codes.allowed(me.as_str(), &slot) {
                return Err(ApiError::invalid(
                    "display_code",
                    "too many wrong codes for this duty: check in without the code, and your \
                     coordinator will confirm it",
                ));
            }
            let secret = crate::presence::station_secret(state, &a.station_id).await?;
            if !crate::presence::code_is_valid(
                &secret,
                &a.station_id,
                a.date,
                a.half_day,
                now,
                code,
            ) {
                state.wrong_codes.record(me.as_str(), &slot);
                tracing::warn!(lawyer = %me, station = %a.station_id, "wrong display code");
                return Err(ApiError::invalid(
                    "display_code",
                    "this is not the current code of this station's display for this half-day",
                ));
            }
            true
        }
    };
    let (approved, proof) = crate::presence::assess(
        policy.presence_proof,
        crate::presence::Evidence {
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
        minutes_late,
        late: minutes_late > policy.late_grace_minutes,
        outside_geofence: outside,
        approved,
        proof,
        checkout_window: Some(zhiban_domain::attendance::checkout_window(
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
    Ok((status, Json(rec)).into_response())
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
    responses((status = 200, body = AttendanceRecord), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn check_out(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<AttendanceRecord>, ApiError> {
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
        state.store.check_out(id, me, state.now(), &audit).await?,
    ))
}

/// Why a duty does not count as attended, for the lawyer (in Chinese, times in Beijing time).
fn not_attended_zh(e: &zhiban_domain::attendance::NotAttended) -> String {
    use zhiban_domain::attendance::NotAttended;
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
    responses((status = 201, body = AttendanceRecord), (status = 403, body = crate::error::Problem),
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
    zhiban_domain::attendance::assess(
        start,
        end,
        req.check_in_at,
        req.check_out_at,
        &policy.presence(),
    )
    .map_err(|e| {
        let field = match e {
            zhiban_domain::attendance::NotAttended::CheckInOutsideWindow { .. } => "check_in_at",
            _ => "check_out_at",
        };
        ApiError::invalid(field, not_attended_zh(&e))
    })?;
    let minutes_late =
        u32::try_from((req.check_in_at - start).num_minutes().max(0)).unwrap_or(u32::MAX);
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
        minutes_late,
        late: minutes_late > policy.late_grace_minutes,
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
    Ok((StatusCode::CREATED, Json(rec)).into_response())
}

/// Approves a check-in made outside the station's geofence, so it counts for pay.
#[utoipa::path(post, path = "/api/v1/checkins/{id}/approve", tag = "attendance",
    params(("id" = i64, Path, description = "attendance record id")),
    responses((status = 200, body = AttendanceRecord), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn approve_check_in(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<AttendanceRecord>, ApiError> {
    let rec = record_of(&state, &who, id).await?;
    who.require_coordinator_of(&rec.centre_id, &format!("attendance record {id}"))?;
    let audit = who.audit(
        Some(&rec.centre_id),
        "attendance.approve",
        format!("attendance/{id}"),
        serde_json::json!({"distance_m": rec.distance_m}),
    );
    Ok(Json(state.store.approve_attendance(id, &audit).await?))
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
    responses((status = 201, body = AttendanceRecord), (status = 403, body = crate::error::Problem),
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
    if !zhiban_domain::attendance::has_begun(start, state.now()) {
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
    Ok((StatusCode::CREATED, Json(rec)).into_response())
}

/// A published duty and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DutyAttendance {
    /// The duty.
    duty: Assignment,
    /// Start (UTC).
    start: DateTime<Utc>,
    /// End (UTC).
    end: DateTime<Utc>,
    /// `upcoming`, `checked_in`, `attended`, `excused`, `no_show` (ended without a
    /// check-in), `needs_approval` (attended without the proof of presence the centre
    /// requires, e.g. outside the geofence), `voided` (a correction took it out of pay) or
    /// `standby` (a backup who was not called).
    state: String,
    /// The record, if any.
    record: Option<AttendanceRecord>,
}

/// Which centre and days.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CentreDays {
    /// Centre.
    centre_id: String,
    /// First day.
    from: NaiveDate,
    /// Last day, inclusive.
    to: NaiveDate,
}

/// Every published duty of a centre between two days with its attendance; duties that
/// ended with no check-in show as no-shows.
#[utoipa::path(get, path = "/api/v1/attendance", tag = "attendance", params(CentreDays),
    responses((status = 200, body = Vec<DutyAttendance>), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn list_attendance(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<CentreDays>,
) -> Result<Json<Vec<DutyAttendance>>, ApiError> {
    let centre = zhiban_domain::CentreId::parse(&q.centre_id)
        .map_err(|m| ApiError::field("centre_id", m))?;
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator, TokenRole::Finance])?;
    who.require_centre(&centre, &format!("centre {centre}"))?;
    if q.to < q.from || (q.to - q.from).num_days() > 92 {
        return Err(ApiError::field(
            "to",
            "must be on or after from, at most 92 days later",
        ));
    }
    Ok(Json(duty_attendance(&state, &centre, q.from, q.to).await?))
}

/// Published duties of a centre with their attendance and state.
pub(crate) async fn duty_attendance(
    state: &AppState,
    centre: &zhiban_domain::CentreId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DutyAttendance>, ApiError> {
    let duties = state
        .store
        .list_duties(
            &DutyQuery {
                centres: Some(vec![centre.clone()]),
                from: Some(from),
                to: Some(to),
                ..DutyQuery::default()
            },
            ALL,
        )
        .await?;
    let records = state.store.list_attendance(centre, from, to).await?;
    let ds = state.dataset().await?;
    let now = state.now();
    let mut out = vec![];
    for d in duties.items {
        let (_, start, end) = window(&ds, &d.assignment)?;
        let record = records.iter().find(|r| r.duty == d.assignment).cloned();
        let st = match &record {
            // A named backup comes only when called; no record is no absence.
            None if d.assignment.role == Role::Backup => "standby",
            None if now > end => "no_show",
            None => "upcoming",
            Some(r) if r.voided => "voided",
            Some(r) => match r.status {
                AttendanceStatus::CheckedIn => "checked_in",
                AttendanceStatus::Excused => "excused",
                AttendanceStatus::Attended if !r.approved => "needs_approval",
                AttendanceStatus::Attended => "attended",
            },
        };
        out.push(DutyAttendance {
            duty: d.assignment,
            start,
            end,
            state: st.into(),
            record,
        });
    }
    Ok(out)
}
