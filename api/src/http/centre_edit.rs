//! A centre's own settings and the working calendar, kept through the API (see `panel_edit`
//! for the rules every change follows). `PATCH /api/v1/centres/{id}` changes a centre's name
//! and whether it shares its pool of lawyers (admins, its coordinators; its check-in and
//! swap policy is `PUT /api/v1/centres/{id}/policy`). `PUT /api/v1/calendar/{year}` loads a
//! year's holidays and make-up working days when the State Council publishes them (admins:
//! the calendar is every centre's).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::http::panel_edit::{Change, ChangeOptions, Saved, save};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{CalendarDay, Centre, CentreId, WorkingCalendar};
use zhiban_store::{PanelWrite, TokenRole};

/// Most days one year of the calendar lists.
const MAX_DAYS: usize = 366;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_centre))
        .routes(routes!(put_calendar_year))
}

/// Changes to a centre.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CentrePatch {
    /// Its name.
    name: Option<String>,
    /// Whether its lawyers may serve the stations of the centres it shares a pool with.
    shares_pool: Option<bool>,
}

/// Changes a centre's name or pool sharing (admins, its coordinators).
#[utoipa::path(patch, path = "/api/v1/centres/{id}", tag = "panel", params(ChangeOptions,
        ("id" = String, Path, description = "centre code")), request_body = CentrePatch,
    responses((status = 200, body = Saved<Centre>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn update_centre(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(o): Query<ChangeOptions>,
    Body(p): Body<CentrePatch>,
) -> Result<(StatusCode, Json<Saved<Centre>>), ApiError> {
    let id = CentreId::parse(&id).map_err(|m| ApiError::field("id", m))?;
    who.require_coordinator_of(&id, &format!("centre {id}"))?;
    let (rev, ds) = state.panel().await?;
    let old = ds
        .centre(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("centre", &id))?;
    let mut c = old.clone();
    if let Some(n) = p.name {
        c.name = n;
    }
    if let Some(s) = p.shares_pool {
        c.shares_pool = s;
    }
    let mut next = (*ds).clone();
    if let Some(x) = next.centres.iter_mut().find(|x| x.id == id) {
        *x = c.clone();
    }
    let audit = who.audit(
        Some(&id),
        "centre.update",
        format!("centre/{id}"),
        serde_json::json!({"before": old, "after": c}),
    );
    let write = PanelWrite {
        now: Some(state.now()),
        centres: vec![c.clone()],
        ..PanelWrite::default()
    };
    let change = Change {
        rev,
        next,
        write,
        audit,
        record: c,
        affected: vec![],
    };
    save(&state, &who, &o, change, false).await
}

/// One year of the working calendar.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CalendarYear {
    /// Its holidays and make-up working days (every day of the year not listed is an
    /// ordinary day).
    days: Vec<CalendarDay>,
}

/// Loads a year's holidays and make-up working days, replacing what the calendar held for
/// that year (admins).
#[utoipa::path(put, path = "/api/v1/calendar/{year}", tag = "panel", params(ChangeOptions,
        ("year" = i32, Path, description = "the year, 2000 to 2100")), request_body = CalendarYear,
    responses((status = 200, body = Saved<CalendarYear>), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn put_calendar_year(
    State(state): State<AppState>,
    who: Principal,
    Path(year): Path<i32>,
    Query(o): Query<ChangeOptions>,
    Body(y): Body<CalendarYear>,
) -> Result<(StatusCode, Json<Saved<CalendarYear>>), ApiError> {
    who.require_role(&[TokenRole::Admin])?;
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::field("year", "2000 to 2100"));
    }
    if y.days.is_empty() || y.days.len() > MAX_DAYS {
        return Err(ApiError::invalid(
            "days",
            format!("1 to {MAX_DAYS} days of {year}"),
        ));
    }
    if let Some(i) = y.days.iter().position(|d| d.date.year() != year) {
        return Err(ApiError::invalid(
            format!("days[{i}].date"),
            format!("not in {year}"),
        ));
    }
    let calendar = WorkingCalendar::new(y.days.iter().cloned())
        .map_err(|e| ApiError::invalid(format!("days.{}", e.field), e.message))?;
    let (rev, ds) = state.panel().await?;
    let mut next = (*ds).clone();
    let kept = ds
        .calendar
        .days()
        .filter(|d| d.date.year() != year)
        .cloned();
    next.calendar = WorkingCalendar::new(kept.chain(y.days.iter().cloned()))
        .map_err(|e| ApiError::invalid(format!("days.{}", e.field), e.message))?;
    let audit = who.audit(
        None,
        "calendar.year",
        format!("calendar/{year}"),
        serde_json::json!({"days": y.days.len()}),
    );
    let write = PanelWrite {
        now: Some(state.now()),
        calendar: Some(calendar),
        ..PanelWrite::default()
    };
    let change = Change {
        rev,
        next,
        write,
        audit,
        record: y,
        affected: vec![],
    };
    save(&state, &who, &o, change, false).await
}
