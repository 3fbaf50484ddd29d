//! Swaps without typing codes: `GET /api/v1/swaps/candidates` lists, for a published duty
//! of the caller (or of a lawyer of a firm administrator's firm), the colleagues who could
//! take it (eligible, available, not double-booked, within their limits, of the same firm
//! when the centre's policy says so), ranked the way a coordinator's suggestions are. Why
//! others cannot take it is not said (their leave and other duties are theirs).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Query};
use crate::http::swaps::{giver, refusal, swap_policy};
use crate::planning::{ALL, problem_for};
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::swap::{self, Swap};
use zhiban_domain::{Assignment, HalfDay, LawyerId, Role, Roster, StationId};
use zhiban_solver::Weights;
use zhiban_solver::suggest::{SlotRole, suggest};
use zhiban_store::DutyQuery;

/// Most colleagues listed.
const MAX_LISTED: usize = 30;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(swap_candidates))
}

/// The duty to hand over.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DutyRef {
    /// Station of the duty.
    station_id: String,
    /// Day of the duty.
    date: NaiveDate,
    /// Half-day of the duty.
    half_day: HalfDay,
    /// Primary (default) or backup.
    role: Option<Role>,
    /// For a firm's administrator: the firm's lawyer who holds the duty.
    from_lawyer_id: Option<String>,
}

/// A colleague who could take the duty.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SwapCandidate {
    /// Their code.
    lawyer_id: LawyerId,
    /// Their name.
    name: String,
    /// Their firm's code.
    firm_id: String,
    /// Their firm's name.
    firm_name: String,
    /// Duties they hold in the roster's period.
    current_load: u32,
    /// Their fair share of the period's duties.
    fair_share: f64,
}

/// The colleagues who could take a published duty of the caller, best first.
#[utoipa::path(get, path = "/api/v1/swaps/candidates", tag = "swaps", params(DutyRef),
    responses((status = 200, body = Vec<SwapCandidate>), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn swap_candidates(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<DutyRef>,
) -> Result<Json<Vec<SwapCandidate>>, ApiError> {
    let station = StationId::parse(&q.station_id).map_err(|m| ApiError::field("station_id", m))?;
    let named = q
        .from_lawyer_id
        .as_deref()
        .map(|s| LawyerId::parse(s).map_err(|m| ApiError::field("from_lawyer_id", m)))
        .transpose()?;
    let ds = state.dataset().await?;
    let me = giver(&who, &ds, named.as_ref())?;
    let duty = Assignment {
        date: q.date,
        half_day: q.half_day,
        station_id: station.clone(),
        lawyer_id: me.clone(),
        role: q.role.unwrap_or(Role::Primary),
    };
    let found = state
        .store
        .list_duties(
            &DutyQuery {
                lawyer: Some(me.clone()),
                station: Some(station.clone()),
                from: Some(q.date),
                to: Some(q.date),
                ..DutyQuery::default()
            },
            ALL,
        )
        .await?;
    let held = found
        .items
        .into_iter()
        .find(|d| d.assignment == duty)
        .ok_or_else(|| ApiError::NotFound("no such published duty of yours".into()))?;
    let (roster, current) = crate::http::rosters::published_of(&state, held.roster_id).await?;
    let policy = swap_policy(&state.store.centre_policy(&roster.centre_id).await?);
    let (ds, problem) = problem_for(
        &state,
        &roster.centre_id,
        roster.from,
        roster.weeks,
        Some(roster.id),
    )
    .await?;
    // Too late to hand over at all: said once, for the duty (checked as a swap to oneself
    // would be, but for the time only).
    let starts = duty.slot_in(&problem).map(|i| problem.slots[i].start);
    let me_as_taker = Swap {
        centre: &roster.centre_id,
        duty: &duty,
        to: &me,
    };
    if let Err(e) = swap::check_terms(&policy, me_as_taker, &ds, starts, state.now()) {
        return Err(refusal(e));
    }
    let slot = SlotRole {
        station_id: station,
        date: q.date,
        half_day: q.half_day,
        role: duty.role,
    };
    let roster_now = Roster::new(current.assignments.clone());
    let pins: Vec<Assignment> = current.pins.iter().cloned().collect();
    let giver_id = me.clone();
    let ranked = tokio::task::spawn_blocking(move || {
        suggest(
            &problem,
            &roster_now,
            &pins,
            &slot,
            Some(&giver_id),
            &Weights::default(),
        )
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| ApiError::NotFound(e.to_string()))?;
    let giver_firm = ds.lawyer(&me).map(|l| l.firm_id.clone());
    let out = ranked
        .into_iter()
        .filter(|c| c.valid && c.lawyer_id != me)
        .filter(|c| !policy.same_firm || Some(&c.firm_id) == giver_firm.as_ref())
        .take(MAX_LISTED)
        .map(|c| {
            let firm_name = ds
                .firms
                .iter()
                .find(|f| f.id == c.firm_id)
                .map(|f| f.name.clone())
                .unwrap_or_default();
            SwapCandidate {
                name: ds
                    .lawyer(&c.lawyer_id)
                    .map(|l| l.name.clone())
                    .unwrap_or_default(),
                firm_id: c.firm_id.to_string(),
                firm_name,
                current_load: c.current_load,
                fair_share: c.fair_share,
                lawyer_id: c.lawyer_id,
            }
        })
        .collect();
    Ok(Json(out))
}
