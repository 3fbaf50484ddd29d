//! Attendance: every published duty of a centre with its state, the station's daily QR
//! code, and the duty lookup and window helpers that check-ins (`super::checkins`) and the
//! ledger share.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path, Query};
use crate::planning::ALL;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::attendance::{DutyState, RecordFacts, duty_state};
use zhiban_domain::{Assignment, Dataset, HalfDay, LawyerId, Role, Station, StationId};
use zhiban_store::{Duty, DutyQuery, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
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
pub(crate) fn window(
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
    let (start, end) = zhiban_domain::attendance::duty_window(st.template(a.half_day), a.date, &tz)
        .ok_or_else(|| ApiError::invalid("date", "the duty's time does not exist locally"))?;
    Ok((st, start, end))
}

/// [`window`] for one duty, from the cached panel (the check-in path runs for every lawyer
/// at the start of every half-day).
pub(crate) async fn duty_window(
    state: &AppState,
    duty: &Duty,
) -> Result<(Station, DateTime<Utc>, DateTime<Utc>), ApiError> {
    let ds = state.dataset().await?;
    window(&ds, &duty.assignment)
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
    state: DutyState,
    /// The record, if any.
    record: Option<crate::http::out::AttendanceOut>,
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
        let facts = record.as_ref().map(|r| RecordFacts {
            status: r.status,
            approved: r.approved,
            voided: r.voided,
        });
        let st = duty_state(d.assignment.role, facts, now, end);
        out.push(DutyAttendance {
            duty: d.assignment,
            start,
            end,
            state: st,
            record: record.map(Into::into),
        });
    }
    Ok(out)
}
