//! The duty ledger (台账): what happened on a duty (consultations, plea agreements witnessed,
//! legal-aid applications with their 24-hour forwarding deadline, the coordinator's quality
//! rating, notes), written by the lawyer on duty or a coordinator, listed and exported per
//! centre and month. Plea agreements a lawyer enters are claims until a coordinator confirms
//! them (`crate::corrections`); a locked month's entries change only by correction.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Query};
use crate::http::attendance::{DutyRef, coordinators_duty, find_duty};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{LawyerId, StationId};
use zhiban_store::{LedgerApplication, LedgerEntry, LedgerWriter, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_ledger, list_ledger))
        .routes(routes!(ledger_csv))
        .routes(routes!(my_ledger))
        .routes(routes!(rate_duty))
}

/// What happened on a duty.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct LedgerIn {
    /// The duty.
    #[serde(flatten)]
    duty: DutyRef,
    /// The lawyer (default: the calling lawyer).
    lawyer_id: Option<LawyerId>,
    /// Consultations given.
    consultations: u32,
    /// Plea agreements signed with the lawyer present.
    plea_signings: u32,
    /// Quality rating (coordinators only), a key of the subsidy policy's ratings.
    quality: Option<String>,
    /// Notes.
    #[serde(default)]
    notes: String,
    /// Legal-aid applications received.
    #[serde(default)]
    applications: Vec<LedgerApplication>,
}

/// A ledger entry with its deadlines checked.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LedgerOut {
    /// The entry.
    #[serde(flatten)]
    entry: crate::http::out::LedgerEntryOut,
    /// Applications not forwarded within 24 hours of receipt (or still waiting past it).
    overdue_applications: u32,
}

fn overdue(e: &LedgerEntry, now: DateTime<Utc>) -> u32 {
    e.applications
        .iter()
        .filter(|a| zhiban_domain::attendance::forwarded_late(a.received_at, a.forwarded_at, now))
        .count() as u32
}

/// Writes the ledger of a duty: the lawyer on duty, or a coordinator (who alone rates
/// quality).
#[utoipa::path(put, path = "/api/v1/ledger", tag = "attendance", request_body = LedgerIn,
    responses((status = 200, body = LedgerOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn put_ledger(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<LedgerIn>,
) -> Result<Json<LedgerOut>, ApiError> {
    let lawyer = match (who.lawyer(), &req.lawyer_id) {
        (Some(me), Some(l)) if me != l => {
            return Err(ApiError::Forbidden(
                "a lawyer writes only their own ledger".into(),
            ));
        }
        (Some(me), _) => me.clone(),
        (None, Some(l)) => l.clone(),
        (None, None) => return Err(ApiError::field("lawyer_id", "required for staff")),
    };
    if who.lawyer().is_none() {
        who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    } else if req.quality.is_some() {
        return Err(ApiError::Forbidden(
            "quality is rated by the coordinator".into(),
        ));
    }
    check_ledger(&req)?;
    let duty = if who.lawyer().is_some() {
        find_duty(&state, &who, &req.duty, &lawyer).await?
    } else {
        coordinators_duty(&state, &who, &req.duty, &lawyer).await?
    };
    let ds = state.dataset().await?;
    if let Some(q) = &req.quality {
        let a = &duty.assignment;
        zhiban_domain::subsidy::check_rating(&ds.settings.subsidy, &duty.centre_id, a.date, q)
            .map_err(|m| ApiError::invalid("quality", m))?;
    }
    let mut entry = LedgerEntry {
        centre_id: duty.centre_id.clone(),
        station_id: duty.assignment.station_id.clone(),
        date: duty.assignment.date,
        half_day: duty.assignment.half_day,
        lawyer_id: lawyer,
        consultations: req.consultations,
        plea_signings: req.plea_signings,
        confirmed_plea_signings: None,
        confirmed_by: None,
        confirmed_at: None,
        // A lawyer sends no rating (refused above), and their write leaves the stored one.
        quality: req.quality.clone(),
        notes: req.notes,
        applications: req.applications,
        updated_at: state.now(),
        updated_by: who.actor(),
    };
    let audit = who.audit(
        Some(&duty.centre_id),
        "ledger.put",
        format!("ledger/{}/{}/{}/{}", entry.station_id, entry.date, entry.half_day, entry.lawyer_id),
        serde_json::json!({"consultations": entry.consultations, "plea_signings": entry.plea_signings, "quality": entry.quality}),
    );
    // A coordinator's entry is confirmed as written; a lawyer's counts are claims, and their
    // write sets only their own columns, so a coordinator's rating is never lost to it.
    let by = if who.lawyer().is_some() {
        LedgerWriter::Lawyer
    } else {
        LedgerWriter::Coordinator
    };
    entry.quality = state.store.put_ledger(&entry, by, &audit).await?.quality;
    let overdue_applications = overdue(&entry, state.now());
    Ok(Json(LedgerOut {
        entry: entry.into(),
        overdue_applications,
    }))
}

/// A coordinator's rating of a duty.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct RatingIn {
    /// The duty.
    #[serde(flatten)]
    duty: DutyRef,
    /// The lawyer on duty.
    lawyer_id: LawyerId,
    /// A key of the subsidy policy's ratings (e.g. `excellent`), or null to clear it.
    quality: Option<String>,
}

/// Rates a duty's quality (coordinators), and nothing else: the lawyer's counts, notes and
/// applications, and the confirmed plea count, stay as they are, whoever writes meanwhile.
#[utoipa::path(put, path = "/api/v1/ledger/quality", tag = "attendance", request_body = RatingIn,
    responses((status = 200, body = LedgerOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn rate_duty(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<RatingIn>,
) -> Result<Json<LedgerOut>, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    if req.quality.as_ref().is_some_and(|q| q.chars().count() > 50) {
        return Err(ApiError::invalid("quality", "at most 50 characters"));
    }
    let duty = coordinators_duty(&state, &who, &req.duty, &req.lawyer_id).await?;
    let a = &duty.assignment;
    if let Some(q) = &req.quality {
        let ds = state.dataset().await?;
        zhiban_domain::subsidy::check_rating(&ds.settings.subsidy, &duty.centre_id, a.date, q)
            .map_err(|m| ApiError::invalid("quality", m))?;
    }
    let entry = LedgerEntry {
        centre_id: duty.centre_id.clone(),
        station_id: a.station_id.clone(),
        date: a.date,
        half_day: a.half_day,
        lawyer_id: req.lawyer_id,
        consultations: 0,
        plea_signings: 0,
        confirmed_plea_signings: None,
        confirmed_by: None,
        confirmed_at: None,
        quality: req.quality,
        notes: String::new(),
        applications: vec![],
        updated_at: state.now(),
        updated_by: who.actor(),
    };
    let audit = who.audit(
        Some(&duty.centre_id),
        "ledger.rate",
        format!(
            "ledger/{}/{}/{}/{}",
            entry.station_id, entry.date, entry.half_day, entry.lawyer_id
        ),
        serde_json::json!({"quality": entry.quality}),
    );
    let stored = state
        .store
        .put_ledger(&entry, LedgerWriter::Rating, &audit)
        .await?;
    Ok(Json(LedgerOut {
        overdue_applications: overdue(&stored, state.now()),
        entry: stored.into(),
    }))
}

/// Most applications one duty's ledger may list.
pub(crate) const MAX_APPLICATIONS: usize = 100;

/// The bounds of a ledger write, checked before any lookup.
fn check_ledger(req: &LedgerIn) -> Result<(), ApiError> {
    if req.consultations > 500 {
        return Err(ApiError::invalid("consultations", "at most 500 per duty"));
    }
    if req.plea_signings > 500 {
        return Err(ApiError::invalid("plea_signings", "at most 500 per duty"));
    }
    if req.notes.chars().count() > 2000 {
        return Err(ApiError::invalid("notes", "at most 2000 characters"));
    }
    if req.quality.as_ref().is_some_and(|q| q.chars().count() > 50) {
        return Err(ApiError::invalid("quality", "at most 50 characters"));
    }
    if req.applications.len() > MAX_APPLICATIONS {
        return Err(ApiError::invalid(
            "applications",
            format!("at most {MAX_APPLICATIONS} per duty"),
        ));
    }
    for (i, a) in req.applications.iter().enumerate() {
        let f = |name: &str| format!("applications[{i}].{name}");
        if a.applicant.trim().is_empty() || a.applicant.chars().count() > 100 {
            return Err(ApiError::invalid(f("applicant"), "1 to 100 characters"));
        }
        zhiban_domain::time::check_instant(a.received_at)
            .map_err(|m| ApiError::invalid(f("received_at"), m))?;
        if let Some(t) = a.forwarded_at {
            zhiban_domain::time::check_instant(t)
                .map_err(|m| ApiError::invalid(f("forwarded_at"), m))?;
            if t < a.received_at {
                return Err(ApiError::invalid(
                    f("forwarded_at"),
                    "is before received_at",
                ));
            }
        }
    }
    Ok(())
}

/// How many of the newest entries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct MineQuery {
    /// At most this many, newest first (default 30, at most 100).
    limit: Option<u32>,
}

/// The calling lawyer's own ledger entries, newest first, with overdue applications flagged
/// (to fill in, or correct, a duty's ledger on the phone).
#[utoipa::path(get, path = "/api/v1/me/ledger", tag = "attendance", params(MineQuery),
    responses((status = 200, body = Vec<LedgerOut>), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn my_ledger(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<MineQuery>,
) -> Result<Json<Vec<LedgerOut>>, ApiError> {
    let limit = q.limit.unwrap_or(30);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field("limit", "1 to 100"));
    }
    let me = who
        .lawyer()
        .ok_or_else(|| ApiError::Forbidden("only a lawyer has a ledger of their own".into()))?;
    let now = state.now();
    let entries = state.store.lawyer_ledger(me, limit).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|entry| LedgerOut {
                overdue_applications: overdue(&entry, now),
                entry: entry.into(),
            })
            .collect(),
    ))
}

/// Which centre, month and station.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct LedgerQuery {
    /// Centre.
    centre_id: String,
    /// `YYYY-MM`.
    month: String,
    /// Only this station.
    station_id: Option<String>,
}

async fn ledger_for(
    state: &AppState,
    who: &Principal,
    q: &LedgerQuery,
) -> Result<(zhiban_domain::CentreId, Vec<LedgerOut>), ApiError> {
    let centre = zhiban_domain::CentreId::parse(&q.centre_id)
        .map_err(|m| ApiError::field("centre_id", m))?;
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator, TokenRole::Finance])?;
    who.require_centre(&centre, &format!("centre {centre}"))?;
    let m = crate::http::finance::month(&q.month)?;
    let (from, to) = (m.first(), m.last());
    let station = q
        .station_id
        .as_deref()
        .map(|s| StationId::parse(s).map_err(|m| ApiError::field("station_id", m)))
        .transpose()?;
    let now = state.now();
    let entries = state
        .store
        .list_ledger(&centre, from, to)
        .await?
        .into_iter()
        .filter(|e| station.as_ref().is_none_or(|s| &e.station_id == s))
        .map(|entry| LedgerOut {
            overdue_applications: overdue(&entry, now),
            entry: entry.into(),
        })
        .collect();
    Ok((centre, entries))
}

/// A centre's ledger for a month (optionally one station), with overdue applications flagged.
#[utoipa::path(get, path = "/api/v1/ledger", tag = "attendance", params(LedgerQuery),
    responses((status = 200, body = Vec<LedgerOut>), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn list_ledger(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<LedgerQuery>,
) -> Result<Json<Vec<LedgerOut>>, ApiError> {
    Ok(Json(ledger_for(&state, &who, &q).await?.1))
}

/// The ledger as CSV (UTF-8 with BOM, Chinese headers) for a month and optionally a station.
#[utoipa::path(get, path = "/api/v1/ledger.csv", tag = "attendance", params(LedgerQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
async fn ledger_csv(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, ApiError> {
    let (centre, entries) = ledger_for(&state, &who, &q).await?;
    let ds = state.dataset().await?;
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let err = |e: csv::Error| ApiError::Internal(e.into());
    w.write_record([
        "日期",
        "时段",
        "工作站",
        "律师编号",
        "律师",
        "咨询人次",
        "认罪认罚具结",
        "法援申请",
        "逾期未转交",
        "质量评价",
        "备注",
    ])
    .map_err(err)?;
    for e in &entries {
        let station = ds
            .station(&e.entry.station_id)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let name = ds
            .lawyer(&e.entry.lawyer_id)
            .map(|l| l.name.clone())
            .unwrap_or_default();
        w.write_record([
            e.entry.date.to_string(),
            e.entry.half_day.label_zh().to_string(),
            crate::sheet::text(&station).into_owned(),
            e.entry.lawyer_id.to_string(),
            crate::sheet::text(&name).into_owned(),
            e.entry.consultations.to_string(),
            e.entry.plea_signings.to_string(),
            e.entry.applications.len().to_string(),
            e.overdue_applications.to_string(),
            crate::sheet::text(e.entry.quality.as_deref().unwrap_or_default()).into_owned(),
            crate::sheet::text(&e.entry.notes).into_owned(),
        ])
        .map_err(err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"ledger-{centre}-{}.csv\"", q.month),
            ),
        ],
        body,
    )
        .into_response())
}
