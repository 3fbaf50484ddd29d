//! Corrections of locked months, and coordinators' confirmation of claimed ledger counts.
//!
//! A month finance approved never changes. When a fact of it was wrong (a duty attended but
//! not recorded, a record that should not pay, a miscounted plea agreement), a coordinator
//! of the duty's centre files a correction with a reason; finance sees it (`GET
//! /corrections`), and the difference is paid as an adjustment line in the first open month,
//! priced with the policy frozen when the month was locked.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Query};
use crate::http::attendance::{DutyRef, check_reason, coordinators_duty};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{CentreId, HalfDay, LawyerId, StationId};
use zhiban_store::{CorrectedAttendance, CorrectionRecord, NewCorrection, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_correction, list_corrections))
        .routes(routes!(confirm_ledger))
}

/// A correction of one duty in a locked month.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CorrectionIn {
    /// The duty.
    #[serde(flatten)]
    duty: DutyRef,
    /// The lawyer.
    lawyer_id: LawyerId,
    /// Why (required, at most 500 characters).
    reason: String,
    /// `counts` (attended after all) or `void` (the record must not pay).
    attendance: Option<CorrectedAttendance>,
    /// The plea agreements actually witnessed (confirmed as given).
    plea_signings: Option<u32>,
    /// The quality rating (a key of the policy's ratings; empty text clears it).
    quality: Option<String>,
}

/// Corrects a fact of a locked month (coordinators of the duty's centre, admins). 409 when
/// the month is open: then the facts are edited directly.
#[utoipa::path(post, path = "/api/v1/corrections", tag = "finance", request_body = CorrectionIn,
    responses((status = 201, body = CorrectionRecord), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn create_correction(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<CorrectionIn>,
) -> Result<(StatusCode, Json<CorrectionRecord>), ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    check_reason(&req.reason, "a correction needs a reason")?;
    if req.quality.as_ref().is_some_and(|q| q.chars().count() > 50) {
        return Err(ApiError::invalid("quality", "at most 50 characters"));
    }
    if req.plea_signings.is_some_and(|n| n > 500) {
        return Err(ApiError::invalid("plea_signings", "at most 500 per duty"));
    }
    if req.attendance.is_none() && req.plea_signings.is_none() && req.quality.is_none() {
        return Err(ApiError::invalid(
            "attendance",
            "name what is corrected: attendance, plea_signings or quality",
        ));
    }
    let duty = coordinators_duty(&state, &who, &req.duty, &req.lawyer_id).await?;
    let quality = match req.quality.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(q) => {
            let ds = state.dataset().await?;
            let a = &duty.assignment;
            zhiban_domain::subsidy::check_rating(&ds.settings.subsidy, &duty.centre_id, a.date, q)
                .map_err(|m| ApiError::invalid("quality", m))?;
            Some(Some(q.to_string()))
        }
    };
    let c = NewCorrection {
        centre_id: duty.centre_id.clone(),
        roster_id: duty.roster_id,
        duty: duty.assignment.clone(),
        attendance: req.attendance,
        plea_signings: req.plea_signings,
        quality,
        reason: req.reason.trim().to_string(),
        actor: who.actor(),
    };
    let audit = who.audit(
        Some(&duty.centre_id),
        "correction.create",
        "",
        serde_json::json!({"duty": duty.assignment, "reason": c.reason,
            "attendance": c.attendance, "plea_signings": c.plea_signings}),
    );
    let rec = state.store.apply_correction(&c, &audit).await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

/// Which centre and corrected month.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CorrectionsQuery {
    /// Centre.
    centre_id: String,
    /// The corrected (locked) month, `YYYY-MM` (default: all).
    month: Option<String>,
}

/// A centre's corrections with their reasons and the facts before and after (finance,
/// coordinators, admins).
#[utoipa::path(get, path = "/api/v1/corrections", tag = "finance", params(CorrectionsQuery),
    responses((status = 200, body = Vec<CorrectionRecord>), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn list_corrections(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<CorrectionsQuery>,
) -> Result<Json<Vec<CorrectionRecord>>, ApiError> {
    let c = CentreId::parse(&q.centre_id).map_err(|m| ApiError::field("centre_id", m))?;
    crate::http::finance::can_read(&who, &c)?;
    let month = q
        .month
        .as_deref()
        .map(crate::http::finance::month)
        .transpose()?;
    Ok(Json(state.store.list_corrections(&c, month).await?))
}

/// One duty's ledger entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LedgerKey {
    /// Station.
    station_id: StationId,
    /// Day.
    date: chrono::NaiveDate,
    /// Half-day.
    half_day: HalfDay,
    /// Lawyer.
    lawyer_id: LawyerId,
    /// The claimed plea agreements as the coordinator saw them: if the lawyer has changed
    /// the claim since, it is not confirmed.
    plea_signings: u32,
}

/// Ledger entries to confirm.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmIn {
    /// Centre of the duties.
    centre_id: CentreId,
    /// The entries (1 to 500).
    duties: Vec<LedgerKey>,
}

/// How many entries were confirmed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Confirmed {
    /// Entries whose claimed plea agreements are now confirmed.
    confirmed: u64,
}

/// Most entries one confirmation may name.
pub(crate) const MAX_CONFIRM: usize = 500;

/// Confirms the plea agreements lawyers claimed on duties, one or many at once (the
/// centre's coordinators and admins). Entries of locked months are left alone.
#[utoipa::path(post, path = "/api/v1/ledger/confirm", tag = "attendance", request_body = ConfirmIn,
    responses((status = 200, body = Confirmed), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn confirm_ledger(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<ConfirmIn>,
) -> Result<Json<Confirmed>, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    if req.duties.is_empty() || req.duties.len() > MAX_CONFIRM {
        return Err(ApiError::invalid(
            "duties",
            format!("1 to {MAX_CONFIRM} entries"),
        ));
    }
    who.require_coordinator_of(&req.centre_id, &format!("centre {}", req.centre_id))?;
    let keys: Vec<_> = req
        .duties
        .into_iter()
        .map(|d| {
            (
                d.station_id,
                d.date,
                d.half_day,
                d.lawyer_id,
                d.plea_signings,
            )
        })
        .collect();
    let audit = who.audit(
        Some(&req.centre_id),
        "ledger.confirm",
        format!("centre/{}/ledger", req.centre_id),
        serde_json::json!({"entries": keys.len()}),
    );
    let n = state
        .store
        .confirm_ledger(&req.centre_id, &keys, &who.actor(), &audit)
        .await?;
    Ok(Json(Confirmed { confirmed: n }))
}
