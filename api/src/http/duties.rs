//! Published duties: staff filter them by centre, lawyer, station and dates; a lawyer sees
//! their own.
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Query};
use crate::http::out::*;
use crate::pages::{PageOut, store_page};
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{CentreId, LawyerId, StationId};
use zhiban_store::{DutyQuery, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_duties))
        .routes(routes!(my_duties))
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

/// Published duties (staff), filtered by centre, lawyer, station and dates; a firm's
/// administrator asks for one of the firm's lawyers (`lawyer_id`).
#[utoipa::path(get, path = "/api/v1/duties", tag = "rosters", params(DutyFilter),
    responses((status = 200, body = PageOut<DutyOut>), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn list_duties(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<DutyFilter>,
) -> Result<Json<PageOut<DutyOut>>, ApiError> {
    let page = store_page(q.limit, q.offset)?;
    let mut dq = duty_query(&q)?;
    if who.role() == TokenRole::FirmAdmin {
        let l = dq.lawyer.clone().ok_or_else(|| {
            ApiError::Forbidden(
                "a firm administrator reads the duties of one of the firm's lawyers: \
                 give lawyer_id"
                    .into(),
            )
        })?;
        if !who.acts_for(&*state.dataset().await?, &l) {
            return Err(ApiError::not_found("lawyer", l));
        }
        let r = state.store.list_duties(&dq, page).await?;
        return Ok(PageOut::of(r, page));
    }
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator, TokenRole::Finance])?;
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
    responses((status = 200, body = PageOut<DutyOut>), (status = 403, body = crate::error::Problem)))]
async fn my_duties(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<DutyFilter>,
) -> Result<Json<PageOut<DutyOut>>, ApiError> {
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
