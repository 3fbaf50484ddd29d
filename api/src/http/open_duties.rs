//! Open duties (待认领值班): a coordinator opens posts for claiming at one half-day of a
//! published roster: posts left empty (an uncovered slot, a duty freed by approved leave) or
//! extra posts beyond the weekly demand for a surge (many co-defendants before trial),
//! which from then on count as posts of their slot. Lawyers who could take a post see the
//! open duty and claim it; the rules are checked at the claim (eligibility, availability,
//! double booking, limits), and the first valid claim wins: the post is taken with one
//! conditional update in the transaction that publishes the roster with the lawyer on duty,
//! so two claimants of the last post, in one process or several, get one yes (201) and one
//! clear no (409). A centre whose policy says so (`claims_picked`) has its coordinators pick
//! among claimants instead: a claim that passes the rules is a bid that waits (202), and
//! the pick (`crate::http::open_bids`) takes the post the same way.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::http::panel_edit::today_at;
use crate::planning::{ALL, problem_for};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::fitness::Fitness;
use zhiban_domain::{Assignment, HalfDay, LawyerId, Role, StationId};
use zhiban_store::{BidStatus, NewClaim, NewOpenDuty, OpenDuty, OpenDutyStatus, VersionStatus};

/// Most open duties listed.
const MAX_LISTED: u32 = 200;
/// Most posts one open duty may offer.
const MAX_POSTS: u32 = 100;
/// Attempts at a claim when another change published first.
pub(crate) const ATTEMPTS: usize = 3;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_duty, list_open))
        .routes(routes!(claim))
        .routes(routes!(cancel))
}

/// Withdraws the posts of an open duty not claimed yet (the centre's coordinators); posts
/// claimed stay with their lawyers.
#[utoipa::path(post, path = "/api/v1/open-duties/{id}/cancel", tag = "open-duties",
    params(("id" = i64, Path, description = "open duty id")),
    responses((status = 200, body = OpenDutyOut), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)))]
async fn cancel(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<OpenDutyOut>, ApiError> {
    let d = state
        .store
        .get_open_duty(id)
        .await?
        .filter(|d| who.sees_centre(&d.centre_id))
        .ok_or_else(|| ApiError::not_found("open duty", id))?;
    who.require_coordinator_of(&d.centre_id, &format!("open duty {id}"))?;
    let audit = who.audit(
        Some(&d.centre_id),
        "open_duty.cancel",
        format!("open_duty/{id}"),
        serde_json::json!({"filled": d.filled, "posts": d.posts}),
    );
    let d = state
        .store
        .cancel_open_duty(id, state.now(), &audit)
        .await?;
    let ds = state.dataset().await?;
    Ok(Json(out(d, &ds)))
}

/// Posts to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenRequest {
    /// Station.
    station_id: StationId,
    /// Day.
    date: NaiveDate,
    /// Half-day.
    half_day: HalfDay,
    /// Posts to claim (1 to 100).
    posts: u32,
    /// Posts beyond the weekly demand (a surge); otherwise posts the roster leaves empty.
    #[serde(default)]
    extra: bool,
    /// For the lawyers (the case, what to bring; at most 500 characters).
    #[serde(default)]
    note: String,
}

/// An open duty as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OpenDutyOut {
    /// Id.
    id: i64,
    /// The centre.
    centre_id: String,
    /// Station.
    station_id: StationId,
    /// Its name.
    station_name: String,
    /// Day.
    date: NaiveDate,
    /// Half-day.
    half_day: HalfDay,
    /// Posts opened.
    posts: u32,
    /// Posts claimed.
    filled: u32,
    /// Beyond the weekly demand.
    extra: bool,
    /// `open`, `filled` or `cancelled`.
    pub(crate) status: String,
    /// For the lawyers.
    note: String,
    /// Where the calling lawyer's bid stands, in a centre that picks among claimants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) my_bid: Option<BidStatus>,
    /// Bids waiting for the coordinator's pick (coordinators' lists).
    pub(crate) waiting_bids: u32,
}

pub(crate) fn out(d: OpenDuty, ds: &zhiban_domain::Dataset) -> OpenDutyOut {
    OpenDutyOut {
        station_name: ds
            .station(&d.station_id)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        id: d.id,
        centre_id: d.centre_id.to_string(),
        station_id: d.station_id,
        date: d.date,
        half_day: d.half_day,
        posts: d.posts,
        filled: d.filled,
        extra: d.extra,
        status: d.status.code().into(),
        note: d.note,
        my_bid: None,
        waiting_bids: 0,
    }
}

/// The published version of the roster of `centre` whose period holds `date`.
async fn roster_on(
    state: &AppState,
    centre: &zhiban_domain::CentreId,
    date: NaiveDate,
) -> Result<(zhiban_store::RosterRecord, zhiban_store::StoredVersion), ApiError> {
    let rosters = state
        .store
        .list_rosters(Some(std::slice::from_ref(centre)), ALL)
        .await?;
    for r in rosters.items {
        if r.from > date || r.to() < date {
            continue;
        }
        let versions = state.store.list_versions(r.id).await?;
        if let Some(p) = versions
            .iter()
            .find(|v| v.status == VersionStatus::Published)
        {
            let v = state
                .store
                .get_version(p.id)
                .await?
                .ok_or_else(|| ApiError::not_found("version", p.id))?;
            return Ok((r, v));
        }
    }
    Err(ApiError::invalid(
        "date",
        format!("no published roster of centre {centre} holds {date}"),
    ))
}

/// Opens posts for claiming (the station's centre's coordinators); 201 with the open duty.
#[utoipa::path(post, path = "/api/v1/open-duties", tag = "open-duties", request_body = OpenRequest,
    responses((status = 201, body = OpenDutyOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn open_duty(
    State(state): State<AppState>,
    who: Principal,
    Body(r): Body<OpenRequest>,
) -> Result<(StatusCode, Json<OpenDutyOut>), ApiError> {
    let ds = state.dataset().await?;
    let st = ds
        .station(&r.station_id)
        .filter(|s| who.sees_centre(&s.centre_id))
        .cloned()
        .ok_or_else(|| ApiError::not_found("station", &r.station_id))?;
    who.require_coordinator_of(&st.centre_id, &format!("station {}", st.id))?;
    if r.posts == 0 || r.posts > MAX_POSTS {
        return Err(ApiError::invalid("posts", format!("1 to {MAX_POSTS}")));
    }
    if r.note.chars().count() > 500 {
        return Err(ApiError::invalid("note", "at most 500 characters"));
    }
    if r.date < today_at(&state, &ds, &st.centre_id) {
        return Err(ApiError::invalid("date", "the day has passed"));
    }
    let (roster, current) = roster_on(&state, &st.centre_id, r.date).await?;
    let (_, problem) = problem_for(
        &state,
        &roster.centre_id,
        roster.from,
        roster.weeks,
        Some(roster.id),
    )
    .await?;
    let slot = problem
        .slots
        .iter()
        .find(|s| s.station_id == st.id && s.date == r.date && s.half_day == r.half_day)
        .ok_or_else(|| {
            ApiError::invalid(
                "half_day",
                "the station has no duty then: add the half-day to its weekly demand first",
            )
        })?;
    if !r.extra {
        let held = current
            .assignments
            .iter()
            .filter(|a| {
                a.role == Role::Primary
                    && a.station_id == st.id
                    && a.date == r.date
                    && a.half_day == r.half_day
            })
            .count() as u32;
        let empty = slot.lawyers.saturating_sub(held);
        if r.posts > empty {
            return Err(ApiError::invalid(
                "posts",
                format!(
                    "{empty} post(s) of this half-day are empty; open more as extra posts \
                     (a surge)"
                ),
            ));
        }
    }
    if r.extra {
        let already: u32 = state
            .store
            .list_open_duties(
                Some(std::slice::from_ref(&st.centre_id)),
                r.date,
                false,
                MAX_LISTED,
            )
            .await?
            .iter()
            .filter(|d| {
                d.extra
                    && d.status != OpenDutyStatus::Cancelled
                    && d.station_id == st.id
                    && d.date == r.date
                    && d.half_day == r.half_day
            })
            .map(|d| d.posts)
            .sum();
        if already.saturating_add(r.posts) > MAX_POSTS {
            return Err(ApiError::invalid(
                "posts",
                format!("at most {MAX_POSTS} extra posts a half-day; {already} are open already"),
            ));
        }
    }
    let offers = offers(&state, &ds, &st, &r, &current.assignments);
    let new = NewOpenDuty {
        offers,
        roster_id: roster.id,
        centre_id: st.centre_id.clone(),
        station_id: st.id.clone(),
        date: r.date,
        half_day: r.half_day,
        posts: r.posts,
        extra: r.extra,
        note: r.note.trim().to_string(),
        created_by: who.actor(),
        now: state.now(),
    };
    let audit = who.audit(
        Some(&st.centre_id),
        "open_duty.open",
        "",
        serde_json::json!({"station_id": st.id, "date": r.date, "half_day": r.half_day,
            "posts": r.posts, "extra": r.extra}),
    );
    let id = state.store.create_open_duty(&new, &audit).await?;
    let d = state
        .store
        .get_open_duty(id)
        .await?
        .ok_or_else(|| ApiError::not_found("open duty", id))?;
    Ok((StatusCode::CREATED, Json(out(d, &ds))))
}

/// The messages offering a new open duty to the lawyers who could take it: active, in the
/// centre's pool, fit by the panel's rules and available, and not on duty that half-day.
fn offers(
    state: &AppState,
    ds: &zhiban_domain::Dataset,
    st: &zhiban_domain::Station,
    r: &OpenRequest,
    current: &[Assignment],
) -> Vec<zhiban_store::NewNotification> {
    let pool = zhiban_domain::problem::pool_of(ds, &st.centre_id);
    let fit = Fitness::new(ds);
    let busy: std::collections::BTreeSet<&LawyerId> = current
        .iter()
        .filter(|a| a.date == r.date && a.half_day == r.half_day)
        .map(|a| &a.lawyer_id)
        .collect();
    let line = zhiban_domain::notify::DutyLine {
        date: r.date,
        half_day: r.half_day,
        station: st.name.clone(),
        role: Role::Primary,
    };
    let m = zhiban_domain::notify_text::open_duty_message(&line, r.note.trim());
    let now = state.now();
    ds.lawyers
        .iter()
        .filter(|l| l.active && pool.contains(&l.home_centre_id) && !busy.contains(&l.id))
        .filter(|l| {
            fit.check(&Assignment {
                date: r.date,
                half_day: r.half_day,
                station_id: st.id.clone(),
                lawyer_id: l.id.clone(),
                role: Role::Primary,
            })
            .is_none()
        })
        .map(|l| zhiban_store::NewNotification {
            centre_id: st.centre_id.clone(),
            lawyer_id: Some(l.id.clone()),
            audience: "lawyer",
            event: "open_duty_offered".into(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            link: zhiban_domain::notify_text::link_of("open_duty_offered").into(),
            idempotency_key: format!(
                "zhiban-open-{}-{}-{}-{}-{}",
                st.id,
                r.date,
                r.half_day.code(),
                now.timestamp_micros(),
                l.id
            ),
            due: now,
            expires_at: None,
            urgent: false,
        })
        .collect()
}

/// Which open duties.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenFilter {
    /// For a firm's administrator: the firm's lawyer to list claimable duties for.
    lawyer_id: Option<String>,
}

/// For a lawyer (or a firm administrator naming the firm's lawyer): the open duties from
/// today on that they could claim (the panel's rules and their availability), and those
/// they asked for in a centre that picks (with their bid's outcome); for
/// coordinators, their centres' open duties from today on, open or not.
#[utoipa::path(get, path = "/api/v1/open-duties", tag = "open-duties", params(OpenFilter),
    responses((status = 200, body = Vec<OpenDutyOut>), (status = 403, body = crate::error::Problem)))]
async fn list_open(
    State(state): State<AppState>,
    who: Principal,
    Query(f): Query<OpenFilter>,
) -> Result<Json<Vec<OpenDutyOut>>, ApiError> {
    let ds = state.dataset().await?;
    let from = state.now().date_naive();
    if !who.for_lawyers() {
        who.require_role(&[
            zhiban_store::TokenRole::Admin,
            zhiban_store::TokenRole::Coordinator,
        ])?;
        let scope = who.centre_scope();
        let list = state
            .store
            .list_open_duties(scope.as_deref(), from, false, MAX_LISTED)
            .await?;
        return Ok(Json(
            super::open_bids::with_bids(&state, &ds, list, None).await?,
        ));
    }
    let lawyer = claimant(&who, &ds, f.lawyer_id.as_deref())?;
    let home = ds
        .lawyer(&lawyer)
        .map(|l| l.home_centre_id.clone())
        .ok_or_else(|| ApiError::not_found("lawyer", &lawyer))?;
    // Only the centres whose pool takes the lawyer, from today there.
    let centres = serving(&ds, &home);
    let fit = Fitness::new(&ds);
    let from = today_at(&state, &ds, &home);
    // Open duties, and those the lawyer asked for (to see whether they were picked).
    let list = state
        .store
        .list_open_duties(Some(&centres), from, false, MAX_LISTED)
        .await?;
    let fitting = list
        .into_iter()
        .filter(|d| {
            fit.check(&Assignment {
                date: d.date,
                half_day: d.half_day,
                station_id: d.station_id.clone(),
                lawyer_id: lawyer.clone(),
                role: Role::Primary,
            })
            .is_none()
        })
        .collect();
    let listed = super::open_bids::with_bids(&state, &ds, fitting, Some(&lawyer)).await?;
    Ok(Json(
        listed
            .into_iter()
            .filter(|d| d.status == "open" || d.my_bid.is_some())
            .collect(),
    ))
}

/// The centres whose pool takes lawyers of centre `home`.
fn serving(
    ds: &zhiban_domain::Dataset,
    home: &zhiban_domain::CentreId,
) -> Vec<zhiban_domain::CentreId> {
    ds.centres
        .iter()
        .filter(|c| zhiban_domain::problem::pool_of(ds, &c.id).contains(home))
        .map(|c| c.id.clone())
        .collect()
}

/// The lawyer a claim is for: a lawyer themselves, or the firm's lawyer its administrator
/// names (404 for anyone else).
pub(crate) fn claimant(
    who: &Principal,
    ds: &zhiban_domain::Dataset,
    named: Option<&str>,
) -> Result<LawyerId, ApiError> {
    let named = named
        .map(|s| LawyerId::parse(s).map_err(|m| ApiError::field("lawyer_id", m)))
        .transpose()?;
    match (who.lawyer(), named) {
        (Some(me), None) => Ok(me.clone()),
        (_, Some(n)) if who.acts_for(ds, &n) => Ok(n),
        (_, Some(n)) => Err(ApiError::not_found("lawyer", n)),
        (None, None) if who.for_lawyers() => Err(ApiError::field(
            "lawyer_id",
            "a firm administrator names the firm's lawyer",
        )),
        _ => Err(ApiError::Forbidden(
            "lawyers (or their firm's administrator) claim open duties".into(),
        )),
    }
}

/// Who claims.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClaimRequest {
    /// For a firm's administrator: the firm's lawyer who takes the post.
    lawyer_id: Option<String>,
}

/// The claim: won, or waiting for the coordinator's pick.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Claimed {
    /// The open duty now.
    pub(crate) open_duty: OpenDutyOut,
    /// `won` (the lawyer is on duty) or `waiting` (a bid, in a centre whose coordinators
    /// pick among claimants).
    pub(crate) status: String,
    /// The published version with the lawyer on duty (when won).
    pub(crate) version_id: Option<i64>,
}

/// Claims a post of an open duty: 201 when the claim wins (the lawyer is on duty in a new
/// published version), 202 when the centre's coordinators pick among claimants and the
/// claim waits as a bid, 409 when no post is left, 422 when the rules rule the lawyer out.
#[utoipa::path(post, path = "/api/v1/open-duties/{id}/claim", tag = "open-duties",
    params(("id" = i64, Path, description = "open duty id")), request_body = ClaimRequest,
    responses((status = 201, body = Claimed), (status = 202, body = Claimed),
        (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn claim(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(c): Body<ClaimRequest>,
) -> Result<(StatusCode, Json<Claimed>), ApiError> {
    let ds = state.dataset().await?;
    let lawyer = claimant(&who, &ds, c.lawyer_id.as_deref())?;
    let home = ds
        .lawyer(&lawyer)
        .map(|l| l.home_centre_id.clone())
        .ok_or_else(|| ApiError::not_found("lawyer", &lawyer))?;
    // An open duty of a centre whose pool does not take the lawyer is none of theirs.
    let d = state
        .store
        .get_open_duty(id)
        .await?
        .filter(|d| serving(&ds, &home).contains(&d.centre_id))
        .ok_or_else(|| ApiError::not_found("open duty", id))?;
    if d.status != OpenDutyStatus::Open {
        return Err(ApiError::Conflict(
            "every post of this open duty is taken (or it was withdrawn)".into(),
        ));
    }
    let duty = Assignment {
        date: d.date,
        half_day: d.half_day,
        station_id: d.station_id.clone(),
        lawyer_id: lawyer.clone(),
        role: Role::Primary,
    };
    if state.store.centre_policy(&d.centre_id).await?.claims_picked {
        // The rules now, and again at the pick.
        super::open_claims::checked(&state, &who, &d, &duty).await?;
        let audit = who.audit(
            Some(&d.centre_id),
            "open_duty.bid",
            format!("open_duty/{id}"),
            serde_json::json!({"lawyer_id": lawyer, "duty": duty}),
        );
        let bid = NewClaim {
            open_duty_id: id,
            lawyer_id: lawyer,
            claimed_by: who.actor(),
            now: state.now(),
        };
        state.store.bid_open_duty(&bid, &audit).await?;
        let mut now = out(d, &ds);
        now.my_bid = Some(BidStatus::Waiting);
        let body = Claimed {
            open_duty: now,
            status: "waiting".into(),
            version_id: None,
        };
        return Ok((StatusCode::ACCEPTED, Json(body)));
    }
    super::open_claims::take_post(&state, &who, &d, duty, &ds, "open_duty.claim").await
}
