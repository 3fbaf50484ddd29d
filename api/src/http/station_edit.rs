//! Keeping stations through the API (see `panel_edit` for the rules every change follows):
//! `POST /api/v1/stations`, `PATCH /api/v1/stations/{id}`, and a station's weekly demand,
//! replaced whole (`PUT /api/v1/stations/{id}/demand`) or for some half-days (`POST`). A
//! station closes by an empty demand; it is never deleted. A change that breaks published
//! duties from today on (demand shrunk, contracted firms, minimum years, skills, holiday duty)
//! answers them, each with why.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::http::panel_edit::{
    Change, ChangeOptions, MAX_AFFECTED, Saved, broken_duties, position, save, tags,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{
    Coordinates, DemandRule, FirmId, HalfDayTemplate, Station, StationId, StationKind,
};
use zhiban_store::{DutyQuery, PanelWrite};

/// Most firms a station may be contracted to.
const MAX_CONTRACTED: usize = 500;
/// Rules of one station's weekly demand: seven days, two half-days.
const MAX_RULES: usize = 14;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_station))
        .routes(routes!(update_station))
        .routes(routes!(replace_demand, add_demand))
}

/// Checks the parts of a station the data-set rules leave to the API.
fn check_station(s: &Station) -> Result<(), ApiError> {
    position("location", s.location)?;
    tags("skills", &s.skills)?;
    if s.contracted_firms.len() > MAX_CONTRACTED {
        return Err(ApiError::invalid(
            "contracted_firms",
            format!("at most {MAX_CONTRACTED}"),
        ));
    }
    Ok(())
}

/// Opens a station of a centre (admins, the centre's coordinators); it has no demand until
/// its weekly demand is set.
#[utoipa::path(post, path = "/api/v1/stations", tag = "panel", params(ChangeOptions),
    request_body = Station,
    responses((status = 201, body = Saved<Station>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn create_station(
    State(state): State<AppState>,
    who: Principal,
    Query(o): Query<ChangeOptions>,
    Body(s): Body<Station>,
) -> Result<(StatusCode, Json<Saved<Station>>), ApiError> {
    who.require_coordinator_of(&s.centre_id, &format!("centre {}", s.centre_id))?;
    check_station(&s)?;
    let (rev, ds) = state.panel().await?;
    if ds.station(&s.id).is_some() {
        return Err(ApiError::Conflict(format!(
            "station {} exists already: change it with PATCH /api/v1/stations/{}",
            s.id, s.id
        )));
    }
    let mut next = (*ds).clone();
    next.stations.push(s.clone());
    let audit = who.audit(
        Some(&s.centre_id),
        "station.create",
        format!("station/{}", s.id),
        serde_json::json!({"name": s.name, "kind": s.kind}),
    );
    let write = PanelWrite {
        now: Some(state.now()),
        stations: vec![s.clone()],
        ..PanelWrite::default()
    };
    let c = Change {
        rev,
        next,
        write,
        audit,
        record: s,
        affected: vec![],
    };
    save(&state, &who, &o, c, true).await
}

/// Changes to a station: any field of its record but its code and centre.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StationPatch {
    /// Name.
    name: Option<String>,
    /// Detention centre, court or procuratorate.
    kind: Option<StationKind>,
    /// Address.
    address: Option<String>,
    /// Phone.
    phone: Option<String>,
    /// Position.
    location: Option<Coordinates>,
    /// Check-ins farther than this many metres are outside.
    geofence_m: Option<u32>,
    /// Morning hours.
    am: Option<HalfDayTemplate>,
    /// Afternoon hours.
    pm: Option<HalfDayTemplate>,
    /// Minimum years of practice.
    min_years: Option<u32>,
    /// Skills needed.
    skills: Option<Vec<String>>,
    /// Only lawyers of these firms (none: any).
    contracted_firms: Option<Vec<FirmId>>,
    /// Staffed on holidays.
    holiday_duty: Option<bool>,
    /// Which station is staffed first when lawyers are short.
    priority: Option<u32>,
}

impl StationPatch {
    /// `s` with these changes.
    fn apply(self, mut s: Station) -> Station {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f { s.$f = v; })* };
        }
        set!(
            name,
            kind,
            address,
            phone,
            location,
            geofence_m,
            am,
            pm,
            min_years,
            skills,
            contracted_firms,
            holiday_duty,
            priority
        );
        s
    }
}

/// Changes a station (admins, the coordinators of its centre).
#[utoipa::path(patch, path = "/api/v1/stations/{id}", tag = "panel", params(ChangeOptions,
        ("id" = String, Path, description = "station code")), request_body = StationPatch,
    responses((status = 200, body = Saved<Station>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn update_station(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(o): Query<ChangeOptions>,
    Body(p): Body<StationPatch>,
) -> Result<(StatusCode, Json<Saved<Station>>), ApiError> {
    let id = StationId::parse(&id).map_err(|m| ApiError::field("id", m))?;
    let (rev, ds) = state.panel().await?;
    let old = ds
        .station(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("station", &id))?;
    who.require_coordinator_of(&old.centre_id, &format!("station {id}"))?;
    let s = p.apply(old.clone());
    check_station(&s)?;
    let mut next = (*ds).clone();
    if let Some(x) = next.stations.iter_mut().find(|x| x.id == id) {
        *x = s.clone();
    }
    let q = DutyQuery {
        station: Some(id.clone()),
        ..DutyQuery::default()
    };
    let affected =
        broken_duties(&state, (&ds, &next), &old.centre_id, q, &[], MAX_AFFECTED).await?;
    let audit = who.audit(
        Some(&s.centre_id),
        "station.update",
        format!("station/{id}"),
        serde_json::json!({"before": old, "after": s, "affected_duties": affected.len()}),
    );
    let write = PanelWrite {
        now: Some(state.now()),
        stations: vec![s.clone()],
        ..PanelWrite::default()
    };
    let c = Change {
        rev,
        next,
        write,
        audit,
        record: s,
        affected,
    };
    save(&state, &who, &o, c, false).await
}

/// A station's weekly demand.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Demand {
    /// One rule per weekday half-day with duty; each names this station.
    rules: Vec<DemandRule>,
}

/// Sets a station's weekly demand to `rules` (replacing every rule, or only those of the
/// half-days `rules` name).
async fn set_demand(
    state: &AppState,
    who: &Principal,
    id: &str,
    o: &ChangeOptions,
    rules: Vec<DemandRule>,
    whole: bool,
) -> Result<(StatusCode, Json<Saved<Demand>>), ApiError> {
    let id = StationId::parse(id).map_err(|m| ApiError::field("id", m))?;
    if rules.len() > MAX_RULES {
        return Err(ApiError::invalid(
            "rules",
            format!("at most {MAX_RULES}, one per weekday half-day"),
        ));
    }
    let (rev, ds) = state.panel().await?;
    let st = ds
        .station(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("station", &id))?;
    who.require_coordinator_of(&st.centre_id, &format!("station {id}"))?;
    for (i, r) in rules.iter().enumerate() {
        if r.station_id != id {
            return Err(ApiError::invalid(
                format!("rules[{i}].station_id"),
                format!("must be {id}"),
            ));
        }
        tags(&format!("rules[{i}].skills"), &r.skills)?;
        tags(&format!("rules[{i}].languages"), &r.languages)?;
    }
    let kept: Vec<DemandRule> = ds
        .demand
        .iter()
        .filter(|d| {
            d.station_id == id
                && !whole
                && !rules
                    .iter()
                    .any(|r| r.weekday == d.weekday && r.half_day == d.half_day)
        })
        .cloned()
        .collect();
    let mut now: Vec<DemandRule> = kept.into_iter().chain(rules).collect();
    now.sort_by_key(|r| (r.weekday.num_days_from_monday(), r.half_day));
    let mut next = (*ds).clone();
    next.demand.retain(|d| d.station_id != id);
    next.demand.extend(now.iter().cloned());
    let q = DutyQuery {
        station: Some(id.clone()),
        ..DutyQuery::default()
    };
    let demand = [(id.clone(), now.clone())];
    let affected =
        broken_duties(state, (&ds, &next), &st.centre_id, q, &demand, MAX_AFFECTED).await?;
    let before: Vec<_> = ds.demand.iter().filter(|d| d.station_id == id).collect();
    let audit = who.audit(
        Some(&st.centre_id),
        "station.demand",
        format!("station/{id}"),
        serde_json::json!({"before": before, "after": now}),
    );
    let write = PanelWrite {
        now: Some(state.now()),
        demand: vec![(id, now.clone())],
        ..PanelWrite::default()
    };
    let c = Change {
        rev,
        next,
        write,
        audit,
        record: Demand { rules: now },
        affected,
    };
    save(state, who, o, c, false).await
}

/// Replaces a station's weekly demand (admins, the coordinators of its centre); an empty
/// list closes the station. Answers the published duties from today on beyond the new
/// demand.
#[utoipa::path(put, path = "/api/v1/stations/{id}/demand", tag = "panel", params(ChangeOptions,
        ("id" = String, Path, description = "station code")), request_body = Demand,
    responses((status = 200, body = Saved<Demand>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn replace_demand(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(o): Query<ChangeOptions>,
    Body(d): Body<Demand>,
) -> Result<(StatusCode, Json<Saved<Demand>>), ApiError> {
    set_demand(&state, &who, &id, &o, d.rules, true).await
}

/// Sets the rules of some weekday half-days of a station's demand, keeping the others.
#[utoipa::path(post, path = "/api/v1/stations/{id}/demand", tag = "panel", params(ChangeOptions,
        ("id" = String, Path, description = "station code")), request_body = Demand,
    responses((status = 200, body = Saved<Demand>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn add_demand(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(o): Query<ChangeOptions>,
    Body(d): Body<Demand>,
) -> Result<(StatusCode, Json<Saved<Demand>>), ApiError> {
    set_demand(&state, &who, &id, &o, d.rules, false).await
}
