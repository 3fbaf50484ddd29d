//! Picking among claimants (centres whose policy sets `claims_picked`): a lawyer's claim of
//! an open duty that passes the rules waits as a bid (`crate::http::open_duties`); the
//! centre's coordinators list the bids and pick one, which takes the post exactly as a
//! first-come claim does (the rules checked again, one conditional update in the
//! transaction that publishes), and passes over the bids still waiting once no post is left.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path};
use crate::http::open_claims::take_post;
use crate::http::open_duties::{Claimed, OpenDutyOut, claimant, out};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{Assignment, LawyerId, Role};
use zhiban_store::{BidStatus, OpenDuty, OpenDutyBid, OpenDutyStatus};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bids))
        .routes(routes!(pick))
        .routes(routes!(decline))
        .routes(routes!(withdraw))
}

/// `list` as the API shows it, with the bids for each: the waiting count, and the status
/// of `lawyer`'s own bid when a lawyer lists.
pub(crate) async fn with_bids(
    state: &AppState,
    ds: &zhiban_domain::Dataset,
    list: Vec<OpenDuty>,
    lawyer: Option<&LawyerId>,
) -> Result<Vec<OpenDutyOut>, ApiError> {
    let ids: Vec<i64> = list.iter().map(|d| d.id).collect();
    let bids = state.store.list_bids(&ids).await?;
    Ok(list
        .into_iter()
        .map(|d| {
            let mine = bids.iter().filter(|b| b.open_duty_id == d.id);
            let waiting = mine
                .clone()
                .filter(|b| b.status == BidStatus::Waiting)
                .count();
            let my_bid = lawyer.and_then(|l| mine.clone().find(|b| &b.lawyer_id == l));
            let my_bid = my_bid.map(|b| b.status);
            let mut o = out(d, ds);
            o.my_bid = my_bid;
            // A lawyer learns only of their own bid.
            o.waiting_bids = if lawyer.is_none() { waiting as u32 } else { 0 };
            o
        })
        .collect())
}

/// A bid as the coordinator sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BidOut {
    /// The bid.
    #[serde(flatten)]
    bid: OpenDutyBid,
    /// The lawyer's name.
    lawyer_name: String,
    /// Their firm's name.
    firm_name: String,
}

/// Open duty `id` of a centre the caller coordinates (404 otherwise).
async fn coordinated(state: &AppState, who: &Principal, id: i64) -> Result<OpenDuty, ApiError> {
    let d = state
        .store
        .get_open_duty(id)
        .await?
        .filter(|d| who.sees_centre(&d.centre_id))
        .ok_or_else(|| ApiError::not_found("open duty", id))?;
    who.require_coordinator_of(&d.centre_id, &format!("open duty {id}"))?;
    Ok(d)
}

/// The bids for an open duty, oldest first (the centre's coordinators).
#[utoipa::path(get, path = "/api/v1/open-duties/{id}/bids", tag = "open-duties",
    params(("id" = i64, Path, description = "open duty id")),
    responses((status = 200, body = Vec<BidOut>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn list_bids(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<Vec<BidOut>>, ApiError> {
    let d = coordinated(&state, &who, id).await?;
    let ds = state.dataset().await?;
    let bids = state.store.list_bids(&[d.id]).await?;
    Ok(Json(
        bids.into_iter()
            .map(|bid| {
                let l = ds.lawyer(&bid.lawyer_id);
                BidOut {
                    lawyer_name: l.map(|l| l.name.clone()).unwrap_or_default(),
                    firm_name: l
                        .and_then(|l| ds.firms.iter().find(|f| f.id == l.firm_id))
                        .map(|f| f.name.clone())
                        .unwrap_or_default(),
                    bid,
                }
            })
            .collect(),
    ))
}

/// Picks a bid: its lawyer takes a post of the open duty (201, the roster published with
/// them on duty), with the rules checked again now; 409 when the bid no longer waits or no
/// post is left, 422 when the rules now rule the lawyer out.
#[utoipa::path(post, path = "/api/v1/open-duties/{id}/bids/{bid_id}/pick", tag = "open-duties",
    params(("id" = i64, Path, description = "open duty id"), ("bid_id" = i64, Path, description = "bid id")),
    responses((status = 201, body = Claimed), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn pick(
    State(state): State<AppState>,
    who: Principal,
    Path((id, bid_id)): Path<(i64, i64)>,
) -> Result<(StatusCode, Json<Claimed>), ApiError> {
    let d = coordinated(&state, &who, id).await?;
    let bid = state
        .store
        .list_bids(&[d.id])
        .await?
        .into_iter()
        .find(|b| b.id == bid_id)
        .ok_or_else(|| ApiError::not_found("bid", bid_id))?;
    if bid.status != BidStatus::Waiting || d.status != OpenDutyStatus::Open {
        return Err(ApiError::Conflict(format!(
            "bid {bid_id} is {} and open duty {id} is {}: there is nothing to pick",
            bid.status.code(),
            d.status.code()
        )));
    }
    let ds = state.dataset().await?;
    let duty = Assignment {
        date: d.date,
        half_day: d.half_day,
        station_id: d.station_id.clone(),
        lawyer_id: bid.lawyer_id,
        role: Role::Primary,
    };
    take_post(&state, &who, &d, duty, &ds, "open_duty.pick").await
}

/// Declines a waiting bid (the centre's coordinators): the lawyer is not picked.
#[utoipa::path(post, path = "/api/v1/open-duties/{id}/bids/{bid_id}/decline", tag = "open-duties",
    params(("id" = i64, Path, description = "open duty id"), ("bid_id" = i64, Path, description = "bid id")),
    responses((status = 200, body = OpenDutyBid), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn decline(
    State(state): State<AppState>,
    who: Principal,
    Path((id, bid_id)): Path<(i64, i64)>,
) -> Result<Json<OpenDutyBid>, ApiError> {
    let d = coordinated(&state, &who, id).await?;
    let audit = who.audit(
        Some(&d.centre_id),
        "open_duty.decline",
        format!("open_duty/{id}"),
        serde_json::json!({"bid_id": bid_id}),
    );
    let bid = state
        .store
        .end_bid(
            id,
            Some(bid_id),
            None,
            BidStatus::Declined,
            state.now(),
            &audit,
        )
        .await?;
    Ok(Json(bid))
}

/// Whose bid to withdraw.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WithdrawBid {
    /// For a firm's administrator: the firm's lawyer whose bid it is.
    lawyer_id: Option<String>,
}

/// Withdraws the caller's waiting bid for an open duty (a lawyer, or their firm's
/// administrator naming them); 404 when they have none waiting.
#[utoipa::path(post, path = "/api/v1/open-duties/{id}/withdraw-bid", tag = "open-duties",
    params(("id" = i64, Path, description = "open duty id")), request_body = WithdrawBid,
    responses((status = 200, body = OpenDutyBid), (status = 404, body = crate::error::Problem)))]
async fn withdraw(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(w): Body<WithdrawBid>,
) -> Result<Json<OpenDutyBid>, ApiError> {
    let ds = state.dataset().await?;
    let lawyer: LawyerId = claimant(&who, &ds, w.lawyer_id.as_deref())?;
    let none = || ApiError::NotFound(format!("{lawyer} has no waiting bid for open duty {id}"));
    let centre = state
        .store
        .get_open_duty(id)
        .await?
        .ok_or_else(none)?
        .centre_id;
    let audit = who.audit(
        Some(&centre),
        "open_duty.withdraw_bid",
        format!("open_duty/{id}"),
        serde_json::json!({"lawyer_id": lawyer}),
    );
    // No waiting bid of theirs, or no such duty: one answer, naming nothing of others.
    match state
        .store
        .end_bid(
            id,
            None,
            Some(&lawyer),
            BidStatus::Withdrawn,
            state.now(),
            &audit,
        )
        .await
    {
        Ok(bid) => Ok(Json(bid)),
        Err(zhiban_store::StoreError::Conflict(_)) => Err(none()),
        Err(e) => Err(e.into()),
    }
}
