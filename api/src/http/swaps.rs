//! Swaps: a lawyer offers a published duty to another; the taker accepts; the coordinator
//! approves (or the centre approves valid swaps itself). Every step re-checks the rules
//! (`zhiban_domain::swap` for the centre's policy, the solver's checker for the taker's hard
//! rules), and an approved swap becomes a new published version.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::http::out::*;
use crate::pages::{PageOut, store_page};
use crate::planning::{ALL, problem_for, report_of, violations_json};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::swap::{self, Acceptance, Swap, SwapPolicy, SwapRefusal};
use zhiban_domain::{Assignment, HalfDay, LawyerId, Role, Roster, StationId};
use zhiban_solver::new_violations;
use zhiban_store::{DutyQuery, NewSwap, NewVersion, RosterRef, SwapRecord, SwapStatus};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(offer_swap, list_swaps))
        .routes(routes!(get_swap))
        .routes(routes!(accept_swap))
        .routes(routes!(approve_swap))
        .routes(routes!(reject_swap))
        .routes(routes!(cancel_swap))
}

/// A duty to hand over.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferSwap {
    /// Station of the duty.
    station_id: StationId,
    /// Day of the duty.
    date: NaiveDate,
    /// Half-day of the duty.
    half_day: HalfDay,
    /// Primary (default) or backup.
    role: Option<Role>,
    /// The lawyer to take it.
    to_lawyer_id: LawyerId,
    /// The lawyer giving it: the caller (the default), or for a firm's administrator one of
    /// the firm's lawyers.
    from_lawyer_id: Option<LawyerId>,
    /// A note for the taker and the coordinator.
    #[serde(default)]
    note: String,
}

/// A centre's swap rules, as the domain reads them.
pub(crate) fn swap_policy(p: &zhiban_store::CentrePolicy) -> SwapPolicy {
    SwapPolicy {
        same_firm: p.swap_same_firm,
        min_hours: p.swap_min_hours,
        auto_approve: p.swap_auto_approve,
    }
}

/// A refusal of the swap policy as the API answers it.
pub(crate) fn refusal(e: SwapRefusal) -> ApiError {
    match e {
        SwapRefusal::NotHeld { .. } | SwapRefusal::SlotGone => ApiError::Conflict(e.to_string()),
        SwapRefusal::UnknownGiver { giver } => ApiError::not_found("lawyer", giver),
        SwapRefusal::WithOneself
        | SwapRefusal::UnknownTaker { .. }
        | SwapRefusal::OtherFirm { .. } => ApiError::invalid("to_lawyer_id", e.to_string()),
        SwapRefusal::TooLate { .. } => ApiError::invalid("date", e.to_string()),
    }
}

/// A swap that keeps the rules: the published version it changes, the roster and pins
/// after it, and the roster's report.
struct Valid {
    version: i64,
    after: Roster,
    pins: Vec<Assignment>,
    report: zhiban_solver::SolveReport,
}

/// Checks a swap against the rules as they stand now; the roster after it.
async fn validate(
    state: &AppState,
    duty: &Assignment,
    to: &LawyerId,
    roster_id: i64,
) -> Result<Valid, ApiError> {
    let (roster, current) = crate::http::rosters::published_of(state, roster_id).await?;
    let proposed = Swap {
        centre: &roster.centre_id,
        duty,
        to,
    };
    swap::check_offer(&current.assignments, proposed).map_err(refusal)?;
    let policy = swap_policy(&state.store.centre_policy(&roster.centre_id).await?);
    let (ds, problem) = problem_for(
        state,
        &roster.centre_id,
        roster.from,
        roster.weeks,
        Some(roster.id),
    )
    .await?;
    let starts = duty.slot_in(&problem).map(|i| problem.slots[i].start);
    swap::check_terms(&policy, proposed, &ds, starts, state.now()).map_err(refusal)?;
    let s = swap::swapped(&current.assignments, &current.pins, proposed);
    let broken = new_violations(&problem, &s.before, &s.after, &s.pins);
    if !broken.is_empty() {
        return Err(ApiError::Unprocessable {
            detail: format!(
                "{to} cannot take this duty: the swap breaks {} hard rule(s) (eligibility, availability, double booking or limits)",
                broken.len()
            ),
            errors: vec![],
            violations: violations_json(&broken),
        });
    }
    let report = report_of(&problem, &s.after, Some(&s.before));
    Ok(Valid {
        version: current.version.id,
        after: s.after,
        pins: s.pins,
        report,
    })
}

/// A refusal as a lawyer may see it: that the colleague cannot take the duty, never why
/// (their leave, busy calendar or other duties are theirs). Coordinators see the rules.
fn for_lawyer(e: ApiError, to: &zhiban_domain::LawyerId) -> ApiError {
    match e {
        ApiError::Unprocessable { violations, .. } if !violations.is_empty() => {
            ApiError::Unprocessable {
                detail: format!(
                    "{to} cannot take this duty under the roster's rules; ask your coordinator \
                     for another colleague"
                ),
                errors: vec![crate::error::FieldError::new(
                    "to_lawyer_id",
                    "this colleague cannot take this duty",
                )],
                violations: vec![],
            }
        }
        other => other,
    }
}

/// The lawyer whose duty `who` offers: a lawyer their own; a firm's administrator the
/// firm's lawyer they name (404 for a lawyer of another firm).
pub(crate) fn giver(
    who: &Principal,
    ds: &zhiban_domain::Dataset,
    named: Option<&LawyerId>,
) -> Result<LawyerId, ApiError> {
    match (who.lawyer(), named) {
        (Some(me), None) => Ok(me.clone()),
        (Some(me), Some(n)) if n == me => Ok(me.clone()),
        // Another lawyer's duties are not the caller's to name, nor to learn of.
        (Some(_), Some(n)) => Err(ApiError::not_found("lawyer", n)),
        (None, Some(n)) if who.acts_for(ds, n) => Ok(n.clone()),
        (None, Some(n)) if who.for_lawyers() => Err(ApiError::not_found("lawyer", n)),
        (None, None) if who.for_lawyers() => Err(ApiError::field(
            "from_lawyer_id",
            "a firm administrator names the firm's lawyer who gives the duty",
        )),
        _ => Err(ApiError::Forbidden(
            "only the lawyer on duty, or their firm's administrator, may offer a swap".into(),
        )),
    }
}

/// Offers a published duty of the calling lawyer (or, for a firm's administrator, of one
/// of the firm's lawyers) to another lawyer.
#[utoipa::path(post, path = "/api/v1/swaps", tag = "swaps", request_body = OfferSwap,
    responses((status = 201, body = SwapOut), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn offer_swap(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<OfferSwap>,
) -> Result<Response, ApiError> {
    let ds = state.dataset().await?;
    let me = giver(&who, &ds, req.from_lawyer_id.as_ref())?;
    if req.note.chars().count() > 500 {
        return Err(ApiError::field("note", "at most 500 characters"));
    }
    let duty = Assignment {
        date: req.date,
        half_day: req.half_day,
        station_id: req.station_id.clone(),
        lawyer_id: me.clone(),
        role: req.role.unwrap_or(Role::Primary),
    };
    let found = state
        .store
        .list_duties(
            &DutyQuery {
                lawyer: Some(me.clone()),
                station: Some(req.station_id.clone()),
                from: Some(req.date),
                to: Some(req.date),
                ..DutyQuery::default()
            },
            ALL,
        )
        .await?;
    let held = found
        .items
        .into_iter()
        .find(|d| d.assignment == duty)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "you hold no published {} duty at {} on {} {}",
                duty.role.code(),
                duty.station_id,
                duty.date,
                duty.half_day
            ))
        })?;
    validate(&state, &duty, &req.to_lawyer_id, held.roster_id)
        .await
        .map_err(|e| for_lawyer(e, &req.to_lawyer_id))?;
    let audit = who.audit(
        Some(&held.centre_id),
        "swap.offer",
        "",
        serde_json::json!({"duty": duty, "to": req.to_lawyer_id,
            "for": who.lawyer().is_none().then_some(&me)}),
    );
    let id = state
        .store
        .create_swap(
            &NewSwap {
                roster_id: held.roster_id,
                version_id: held.version_id,
                duty,
                to_lawyer: req.to_lawyer_id,
                note: req.note,
            },
            &audit,
        )
        .await?;
    let swap = state
        .store
        .get_swap(id)
        .await?
        .ok_or_else(|| ApiError::not_found("swap", id))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/swaps/{id}"))],
        Json(SwapOut::from(swap)),
    )
        .into_response())
}

async fn swap_of(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<(SwapRecord, zhiban_domain::CentreId), ApiError> {
    let s = state
        .store
        .get_swap(id)
        .await?
        .ok_or_else(|| ApiError::not_found("swap", id))?;
    let roster = state
        .store
        .get_roster(s.roster_id)
        .await?
        .ok_or_else(|| ApiError::not_found("swap", id))?;
    let visible = if who.for_lawyers() {
        let ds = state.dataset().await?;
        who.acts_for(&ds, &s.from_lawyer) || who.acts_for(&ds, &s.to_lawyer)
    } else {
        who.sees_centre(&roster.centre_id)
    };
    if !visible {
        return Err(ApiError::not_found("swap", id));
    }
    Ok((s, roster.centre_id))
}

/// Filter of swaps.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SwapFilter {
    /// Page size (1 to 500, default 100).
    limit: Option<u32>,
    /// Items to skip.
    offset: Option<u64>,
}

/// Swaps the caller may see: a lawyer's own, a firm's lawyers' (for its administrator), or
/// the centre's.
#[utoipa::path(get, path = "/api/v1/swaps", tag = "swaps", params(SwapFilter),
    responses((status = 200, body = PageOut<SwapOut>), (status = 400, body = crate::error::Problem)))]
async fn list_swaps(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<SwapFilter>,
) -> Result<Json<PageOut<SwapOut>>, ApiError> {
    let page = store_page(q.limit, q.offset)?;
    let r = match (who.lawyer(), who.firm()) {
        (Some(me), _) => state.store.list_swaps(None, Some(me), None, page).await?,
        (None, Some(firm)) => state.store.list_swaps(None, None, Some(firm), page).await?,
        (None, None) => {
            let scope = who.centre_scope();
            state
                .store
                .list_swaps(scope.as_deref(), None, None, page)
                .await?
        }
    };
    Ok(PageOut::of(r, page))
}

/// One swap.
#[utoipa::path(get, path = "/api/v1/swaps/{id}", tag = "swaps",
    params(("id" = i64, Path, description = "swap id")),
    responses((status = 200, body = SwapOut), (status = 404, body = crate::error::Problem)))]
async fn get_swap(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<SwapOut>, ApiError> {
    Ok(Json(swap_of(&state, &who, id).await?.0.into()))
}

/// Applies a valid swap as a new published version.
async fn apply(
    state: &AppState,
    who: &Principal,
    s: &SwapRecord,
    centre: &zhiban_domain::CentreId,
    from: &[SwapStatus],
) -> Result<(), ApiError> {
    let _guard = state.publish_lock.lock().await;
    let valid = validate(state, &s.duty(), &s.to_lawyer, s.roster_id).await?;
    let v = NewVersion {
        roster: RosterRef::Existing(s.roster_id),
        based_on: Some(valid.version),
        origin: zhiban_store::VersionOrigin::Swap,
        report: valid.report,
        assignments: valid.after.assignments,
        pins: valid.pins.into_iter().collect(),
        publish: true,
        created_by: who.actor(),
        now: state.now(),
    };
    let audit = who.audit(
        Some(centre),
        "swap.approve",
        format!("swap/{}", s.id),
        serde_json::json!({"duty": s.duty(), "to": s.to_lawyer}),
    );
    state
        .store
        .set_swap_status(s.id, from, SwapStatus::Approved, Some(&v), &audit)
        .await?;
    Ok(())
}

/// The taker (or their firm's administrator) accepts. Where the centre approves valid swaps
/// itself, the swap takes effect at once (a new published version); otherwise it waits for
/// the coordinator.
#[utoipa::path(post, path = "/api/v1/swaps/{id}/accept", tag = "swaps",
    params(("id" = i64, Path, description = "swap id")),
    responses((status = 200, body = SwapOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn accept_swap(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<SwapOut>, ApiError> {
    let (s, centre) = swap_of(&state, &who, id).await?;
    let ds = state.dataset().await?;
    if !who.acts_for(&ds, &s.to_lawyer) {
        return Err(ApiError::Forbidden(
            "only the lawyer the duty is offered to, or their firm's administrator, may accept it"
                .into(),
        ));
    }
    // A firm's administrator acting for both sides does not move a duty alone: even where
    // the centre approves swaps itself, a coordinator approves this one.
    let both_sides = who.lawyer().is_none() && who.acts_for(&ds, &s.from_lawyer);
    let policy = swap_policy(&state.store.centre_policy(&centre).await?);
    if policy.on_acceptance() == Acceptance::TakesEffect && !both_sides {
        apply(&state, &who, &s, &centre, &[SwapStatus::Offered]).await?;
    } else {
        validate(&state, &s.duty(), &s.to_lawyer, s.roster_id).await?;
        let audit = who.audit(
            Some(&centre),
            "swap.accept",
            format!("swap/{id}"),
            serde_json::json!({}),
        );
        state
            .store
            .set_swap_status(
                id,
                &[SwapStatus::Offered],
                SwapStatus::Accepted,
                None,
                &audit,
            )
            .await?;
    }
    Ok(Json(swap_of(&state, &who, id).await?.0.into()))
}

/// The coordinator approves an accepted swap: the rules are checked again and a new
/// published version carries it.
#[utoipa::path(post, path = "/api/v1/swaps/{id}/approve", tag = "swaps",
    params(("id" = i64, Path, description = "swap id")),
    responses((status = 200, body = SwapOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn approve_swap(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<SwapOut>, ApiError> {
    let (s, centre) = swap_of(&state, &who, id).await?;
    who.require_coordinator_of(&centre, &format!("swap {id}"))?;
    apply(&state, &who, &s, &centre, &[SwapStatus::Accepted]).await?;
    Ok(Json(swap_of(&state, &who, id).await?.0.into()))
}

/// The taker (or their firm's administrator) or the coordinator refuses the swap.
#[utoipa::path(post, path = "/api/v1/swaps/{id}/reject", tag = "swaps",
    params(("id" = i64, Path, description = "swap id")),
    responses((status = 200, body = SwapOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn reject_swap(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<SwapOut>, ApiError> {
    let (s, centre) = swap_of(&state, &who, id).await?;
    if who.for_lawyers() {
        if !who.acts_for(&*state.dataset().await?, &s.to_lawyer) {
            return Err(ApiError::Forbidden(
                "only the taker or a coordinator may reject a swap; the offering lawyer cancels it"
                    .into(),
            ));
        }
    } else {
        who.require_coordinator_of(&centre, &format!("swap {id}"))?;
    }
    end_swap(&state, &who, id, &centre, SwapStatus::Rejected).await
}

/// The offering lawyer (or their firm's administrator) withdraws the swap before it is
/// approved.
#[utoipa::path(post, path = "/api/v1/swaps/{id}/cancel", tag = "swaps",
    params(("id" = i64, Path, description = "swap id")),
    responses((status = 200, body = SwapOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn cancel_swap(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<SwapOut>, ApiError> {
    let (s, centre) = swap_of(&state, &who, id).await?;
    if !who.acts_for(&*state.dataset().await?, &s.from_lawyer) {
        return Err(ApiError::Forbidden(
            "only the lawyer who offered the swap, or their firm's administrator, may cancel it"
                .into(),
        ));
    }
    end_swap(&state, &who, id, &centre, SwapStatus::Cancelled).await
}

/// Ends a swap not yet approved (offered or accepted) as rejected or cancelled, once the
/// caller's right to do so is checked; the swap as it now stands.
async fn end_swap(
    state: &AppState,
    who: &Principal,
    id: i64,
    centre: &zhiban_domain::CentreId,
    to: SwapStatus,
) -> Result<Json<SwapOut>, ApiError> {
    let action = match to {
        SwapStatus::Cancelled => "swap.cancel",
        _ => "swap.reject",
    };
    let audit = who.audit(
        Some(centre),
        action,
        format!("swap/{id}"),
        serde_json::json!({}),
    );
    let open = [SwapStatus::Offered, SwapStatus::Accepted];
    state
        .store
        .set_swap_status(id, &open, to, None, &audit)
        .await?;
    Ok(Json(swap_of(state, who, id).await?.0.into()))
}
