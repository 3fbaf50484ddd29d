// Over the ~600-line sizing rule on purpose: every read route of the panel, and availability with its dry run; the writes live in panel_edit, station_edit and centre_edit.
//! The panel: centres and their policies, stations with demand, firms, lawyers with their
//! availability, the working-day calendar, and the published panel list (名册).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::pages::{PageOut, page};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{
    CalendarDay, Centre, CentreId, DemandRule, Firm, Lawyer, LawyerId, Leave, Preference, Station,
    StationId, WeeklyUnavailability, pool_of,
};
use zhiban_store::{CentrePolicy, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_centres))
        .routes(routes!(get_centre))
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(list_stations))
        .routes(routes!(get_station))
        .routes(routes!(list_firms))
        .routes(routes!(list_lawyers))
        .routes(routes!(get_lawyer))
        .routes(routes!(get_availability, put_availability))
        .routes(routes!(get_calendar))
        .routes(routes!(panel_list))
        .routes(routes!(panel_csv))
}

/// Who is asking: a token's role, centre or lawyer and label, or the signed-in person's
/// account (never a token, a password or a hash).
#[utoipa::path(get, path = "/api/v1/me", tag = "panel",
    responses((status = 200, body = crate::http::out::MeOut), (status = 401, body = crate::error::Problem)))]
async fn me(who: Principal) -> Json<crate::http::out::MeOut> {
    Json(crate::http::out::MeOut::of(&who))
}

/// Centres the token may see, by code.
#[utoipa::path(get, path = "/api/v1/centres", tag = "panel",
    responses((status = 200, body = Vec<Centre>), (status = 401, body = crate::error::Problem)))]
async fn list_centres(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<Centre>>, ApiError> {
    let all = state.store.list_centres().await?;
    let home = match who.lawyer() {
        Some(l) => state
            .dataset()
            .await?
            .lawyer(l)
            .map(|x| x.home_centre_id.clone()),
        None => None,
    };
    Ok(Json(
        all.into_iter()
            .filter(|c| who.sees_centre(&c.id) || home.as_ref() == Some(&c.id))
            .collect(),
    ))
}

async fn centre_of(state: &AppState, who: &Principal, id: &str) -> Result<Centre, ApiError> {
    let id = CentreId::parse(id).map_err(|m| ApiError::field("id", m))?;
    let c = state
        .store
        .list_centres()
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::not_found("centre", &id))?;
    who.require_centre(&c.id, &format!("centre {id}"))?;
    Ok(c)
}

/// One centre.
#[utoipa::path(get, path = "/api/v1/centres/{id}", tag = "panel",
    params(("id" = String, Path, description = "centre code")),
    responses((status = 200, body = Centre), (status = 404, body = crate::error::Problem)))]
async fn get_centre(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Centre>, ApiError> {
    Ok(Json(centre_of(&state, &who, &id).await?))
}

/// A centre's swap policy.
#[utoipa::path(get, path = "/api/v1/centres/{id}/policy", tag = "panel",
    params(("id" = String, Path, description = "centre code")),
    responses((status = 200, body = CentrePolicy), (status = 404, body = crate::error::Problem)))]
async fn get_policy(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<CentrePolicy>, ApiError> {
    let c = centre_of(&state, &who, &id).await?;
    Ok(Json(state.store.centre_policy(&c.id).await?))
}

/// Sets a centre's swap policy (coordinators and admins).
#[utoipa::path(put, path = "/api/v1/centres/{id}/policy", tag = "panel",
    params(("id" = String, Path, description = "centre code")), request_body = CentrePolicy,
    responses((status = 200, body = CentrePolicy), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
async fn put_policy(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(policy): Body<CentrePolicy>,
) -> Result<Json<CentrePolicy>, ApiError> {
    let c = centre_of(&state, &who, &id).await?;
    who.require_coordinator_of(&c.id, &format!("centre {}", c.id))?;
    for (field, value, max, what) in [
        (
            "swap_min_hours",
            policy.swap_min_hours,
            24 * 30,
            "at most 720 hours (30 days)",
        ),
        (
            "checkin_early_minutes",
            policy.checkin_early_minutes,
            240,
            "at most 240 minutes",
        ),
        (
            "late_grace_minutes",
            policy.late_grace_minutes,
            240,
            "at most 240 minutes",
        ),
        (
            "checkout_grace_minutes",
            policy.checkout_grace_minutes,
            240,
            "at most 240 minutes",
        ),
        (
            "min_presence_pct",
            policy.min_presence_pct,
            100,
            "a percentage, 0 to 100",
        ),
        (
            "max_plea_signings",
            policy.max_plea_signings,
            500,
            "at most 500 per duty",
        ),
        (
            "leave_notice_days",
            policy.leave_notice_days,
            90,
            "at most 90 days",
        ),
        (
            "reminder_before_minutes",
            policy.reminder_before_minutes,
            1440,
            "at most 1440 minutes (a day)",
        ),
        (
            "alert_late_minutes",
            policy.alert_late_minutes,
            240,
            "at most 240 minutes",
        ),
        (
            "alert_uncovered_days",
            policy.alert_uncovered_days,
            30,
            "at most 30 days",
        ),
    ] {
        if value > max {
            return Err(ApiError::invalid(field, what));
        }
    }
    policy
        .fairness
        .validate()
        .map_err(|e| ApiError::invalid(&e.field, e.message))?;
    if !(1..=3650).contains(&policy.position_retention_days) {
        return Err(ApiError::invalid(
            "position_retention_days",
            "1 to 3650 days (ten years)",
        ));
    }
    let audit = who.audit(
        Some(&c.id),
        "centre.policy",
        format!("centre/{}", c.id),
        serde_json::to_value(policy).unwrap_or_default(),
    );
    state
        .store
        .put_centre_policy(&c.id, &policy, state.now(), &audit)
        .await?;
    Ok(Json(policy))
}

/// Filter by centre.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CentreFilter {
    /// Only this centre's.
    centre_id: Option<String>,
    /// Page size (1 to 500, default 100).
    limit: Option<u32>,
    /// Items to skip.
    offset: Option<u64>,
}

fn parse_centre(raw: &Option<String>) -> Result<Option<CentreId>, ApiError> {
    raw.as_deref()
        .map(|c| CentreId::parse(c).map_err(|m| ApiError::field("centre_id", m)))
        .transpose()
}

/// Stations the token may see: staff their centre's (admins all); a lawyer those where they
/// may be on duty (their home centre's, and its siblings' when the centres share a pool).
#[utoipa::path(get, path = "/api/v1/stations", tag = "panel", params(CentreFilter),
    responses((status = 200, body = PageOut<Station>), (status = 400, body = crate::error::Problem)))]
async fn list_stations(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<CentreFilter>,
) -> Result<Json<PageOut<Station>>, ApiError> {
    let centre = parse_centre(&q.centre_id)?;
    let all = state.store.list_stations(centre.as_ref()).await?;
    let visible: Vec<Station> = match who.lawyer() {
        Some(me) => {
            let ds = state.dataset().await?;
            let pool = ds
                .lawyer(me)
                .map(|l| pool_of(&ds, &l.home_centre_id))
                .unwrap_or_default();
            all.into_iter()
                .filter(|s| pool.contains(&s.centre_id))
                .collect()
        }
        None => all
            .into_iter()
            .filter(|s| who.sees_centre(&s.centre_id))
            .collect(),
    };
    page(visible, q.limit, q.offset)
}

/// A station with its weekly demand.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StationOut {
    /// The station.
    station: Station,
    /// Its weekly demand pattern.
    demand: Vec<DemandRule>,
}

/// One station with its weekly demand.
#[utoipa::path(get, path = "/api/v1/stations/{id}", tag = "panel",
    params(("id" = String, Path, description = "station code")),
    responses((status = 200, body = StationOut), (status = 404, body = crate::error::Problem)))]
async fn get_station(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<StationOut>, ApiError> {
    let id = StationId::parse(&id).map_err(|m| ApiError::field("id", m))?;
    let ds = state.dataset().await?;
    let station = ds
        .station(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("station", &id))?;
    who.require_centre(&station.centre_id, &format!("station {id}"))?;
    let demand = ds
        .demand
        .iter()
        .filter(|d| d.station_id == id)
        .cloned()
        .collect();
    Ok(Json(StationOut { station, demand }))
}

/// The firms the caller may see: admins all; staff of a centre the firms of the centres of
/// its pool and the firms of the lawyers in it; a lawyer their own firm.
#[utoipa::path(get, path = "/api/v1/firms", tag = "panel",
    responses((status = 200, body = Vec<Firm>), (status = 401, body = crate::error::Problem)))]
async fn list_firms(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<Firm>>, ApiError> {
    let ds = state.panel_at(&who.revisions).await?;
    let visible = |f: &Firm| match (who.lawyer(), who.centre_scope()) {
        (Some(me), _) => ds.lawyer(me).is_some_and(|l| l.firm_id == f.id),
        (None, None) => true,
        (None, Some(centres)) => centres.iter().any(|c| {
            let pool = pool_of(&ds, c);
            pool.contains(&f.centre_id)
                || ds
                    .lawyers
                    .iter()
                    .any(|l| l.firm_id == f.id && pool.contains(&l.home_centre_id))
        }),
    };
    Ok(Json(
        ds.firms.iter().filter(|f| visible(f)).cloned().collect(),
    ))
}

/// Whether `who` may see lawyer `l`: themselves, their firm's administrator, or staff of a
/// centre whose pool holds them.
fn sees_lawyer(who: &Principal, ds: &zhiban_domain::Dataset, l: &Lawyer) -> bool {
    if let Some(me) = who.lawyer() {
        return me == &l.id;
    }
    if who.role() == TokenRole::FirmAdmin {
        return who.firm() == Some(&l.firm_id);
    }
    match who.centre_scope() {
        None => true,
        Some(centres) => centres
            .iter()
            .any(|c| pool_of(ds, c).contains(&l.home_centre_id)),
    }
}

async fn lawyer_of(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<(std::sync::Arc<zhiban_domain::Dataset>, Lawyer), ApiError> {
    let id = LawyerId::parse(id).map_err(|m| ApiError::field("id", m))?;
    let ds = state.dataset().await?;
    let l = ds
        .lawyer(&id)
        .cloned()
        .filter(|l| sees_lawyer(who, &ds, l))
        .ok_or_else(|| ApiError::not_found("lawyer", &id))?;
    Ok((ds, l))
}

/// Lawyers the token may see (staff: their centre's pool; a lawyer: themselves; a firm's
/// administrator: its lawyers). The phone number is empty for finance officers and directors.
#[utoipa::path(get, path = "/api/v1/lawyers", tag = "panel", params(CentreFilter),
    responses((status = 200, body = PageOut<Lawyer>), (status = 400, body = crate::error::Problem)))]
async fn list_lawyers(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<CentreFilter>,
) -> Result<Json<PageOut<Lawyer>>, ApiError> {
    let centre = parse_centre(&q.centre_id)?;
    let ds = state.dataset().await?;
    let visible: Vec<Lawyer> = ds
        .lawyers
        .iter()
        .filter(|l| centre.as_ref().is_none_or(|c| &l.home_centre_id == c))
        .filter(|l| sees_lawyer(&who, &ds, l))
        .map(|l| shown(&who, l))
        .collect();
    page(visible, q.limit, q.offset)
}

/// One lawyer.
#[utoipa::path(get, path = "/api/v1/lawyers/{id}", tag = "panel",
    params(("id" = String, Path, description = "lawyer code")),
    responses((status = 200, body = Lawyer), (status = 404, body = crate::error::Problem)))]
async fn get_lawyer(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Lawyer>, ApiError> {
    Ok(Json(shown(&who, &lawyer_of(&state, &who, &id).await?.1)))
}

/// A lawyer as `who` is shown them: without the phone number and e-mail address unless
/// their work needs them.
fn shown(who: &Principal, l: &Lawyer) -> Lawyer {
    let mut l = l.clone();
    if !who.sees_phones() {
        l.phone = String::new();
        l.email = String::new();
    }
    l
}

/// A lawyer's availability: weekly pattern, dated leave and wishes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Availability {
    /// Weekly half-days never available.
    weekly: Vec<WeeklyUnavailability>,
    /// Dated leave.
    leave: Vec<Leave>,
    /// Wishes.
    preferences: Vec<Preference>,
}

/// A lawyer's availability and wishes.
#[utoipa::path(get, path = "/api/v1/lawyers/{id}/availability", tag = "panel",
    params(("id" = String, Path, description = "lawyer code")),
    responses((status = 200, body = Availability), (status = 404, body = crate::error::Problem)))]
async fn get_availability(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Availability>, ApiError> {
    let (ds, l) = lawyer_of(&state, &who, &id).await?;
    Ok(Json(Availability::of(&ds, &l.id)))
}

impl Availability {
    /// A lawyer's availability as the panel holds it.
    pub(crate) fn of(ds: &zhiban_domain::Dataset, l: &LawyerId) -> Self {
        Availability {
            weekly: ds
                .unavailability
                .iter()
                .filter(|u| &u.lawyer_id == l)
                .cloned()
                .collect(),
            leave: ds
                .leave
                .iter()
                .filter(|u| &u.lawyer_id == l)
                .cloned()
                .collect(),
            preferences: ds
                .preferences
                .iter()
                .filter(|u| &u.lawyer_id == l)
                .cloned()
                .collect(),
        }
    }
}

/// Most weekly unavailability items of one lawyer (seven days, two half-days, and room).
pub(crate) const MAX_WEEKLY: usize = 28;
/// Most leave periods one lawyer's availability may list.
pub(crate) const MAX_LEAVE: usize = 200;
/// Most wishes of one lawyer.
pub(crate) const MAX_PREFERENCES: usize = 100;

/// Replaces a lawyer's availability and wishes: the lawyer themselves, their firm's
/// administrator, or a coordinator of their centre's pool. Every item must name this lawyer.
#[utoipa::path(put, path = "/api/v1/lawyers/{id}/availability", tag = "panel",
    params(("id" = String, Path, description = "lawyer code"), DryRun), request_body = Availability,
    responses((status = 200, body = AvailabilitySaved), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn put_availability(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(o): Query<DryRun>,
    Body(a): Body<Availability>,
) -> Result<Json<AvailabilitySaved>, ApiError> {
    let (ds, l) = lawyer_of(&state, &who, &id).await?;
    who.require_role(&[
        TokenRole::Admin,
        TokenRole::Coordinator,
        TokenRole::Lawyer,
        TokenRole::FirmAdmin,
    ])?;
    for (field, len, max) in [
        ("weekly", a.weekly.len(), MAX_WEEKLY),
        ("leave", a.leave.len(), MAX_LEAVE),
        ("preferences", a.preferences.len(), MAX_PREFERENCES),
    ] {
        if len > max {
            return Err(ApiError::invalid(
                field,
                format!("at most {max} items, got {len}"),
            ));
        }
    }
    for (i, u) in a.weekly.iter().enumerate() {
        if u.lawyer_id != l.id {
            return Err(ApiError::invalid(
                format!("weekly[{i}].lawyer_id"),
                format!("must be {}", l.id),
            ));
        }
    }
    for (i, v) in a.leave.iter().enumerate() {
        if v.lawyer_id != l.id {
            return Err(ApiError::invalid(
                format!("leave[{i}].lawyer_id"),
                format!("must be {}", l.id),
            ));
        }
        for (field, d) in [("from", v.from), ("to", v.to)] {
            zhiban_domain::time::check_date(d)
                .map_err(|m| ApiError::invalid(format!("leave[{i}].{field}"), m))?;
        }
        v.validate().map_err(|e| {
            let field = match e.field.as_str() {
                "end_date" => "to",
                "start_date" => "from",
                other => other,
            };
            ApiError::invalid(format!("leave[{i}].{field}"), e.message)
        })?;
    }
    for (i, p) in a.preferences.iter().enumerate() {
        if p.lawyer_id != l.id {
            return Err(ApiError::invalid(
                format!("preferences[{i}].lawyer_id"),
                format!("must be {}", l.id),
            ));
        }
        if let zhiban_domain::PreferenceTarget::PreferStation(s)
        | zhiban_domain::PreferenceTarget::AvoidStation(s) = &p.target
            && ds.station(s).is_none()
        {
            return Err(ApiError::invalid(
                format!("preferences[{i}].target"),
                format!("no station {s}"),
            ));
        }
    }
    // Leave is asked for and approved (a leave request), never written by the lawyer: a
    // lawyer or firm administrator changes the weekly pattern and wishes, and must send
    // the leave as it stands.
    if who.for_lawyers() {
        let key = |v: &zhiban_domain::Leave| (v.from, v.to, v.half_day, v.reason.clone());
        let mut now: Vec<_> = ds
            .leave
            .iter()
            .filter(|v| v.lawyer_id == l.id)
            .map(key)
            .collect();
        let mut asked: Vec<_> = a.leave.iter().map(key).collect();
        now.sort();
        asked.sort();
        if now != asked {
            return Err(ApiError::invalid(
                "leave",
                "leave is asked for with a leave request (POST /api/v1/leave-requests) and \
                 approved by a coordinator; send the leave as it stands",
            ));
        }
    }
    let audit = who.audit(
        Some(&l.home_centre_id),
        "lawyer.availability",
        format!("lawyer/{}", l.id),
        serde_json::json!({"weekly": a.weekly.len(), "leave": a.leave.len(), "preferences": a.preferences.len()}),
    );
    let mut next = (*ds).clone();
    next.unavailability.retain(|u| u.lawyer_id != l.id);
    next.unavailability.extend(a.weekly.iter().cloned());
    next.leave.retain(|u| u.lawyer_id != l.id);
    next.leave.extend(a.leave.iter().cloned());
    let q = zhiban_store::DutyQuery {
        lawyer: Some(l.id.clone()),
        ..zhiban_store::DutyQuery::default()
    };
    let affected = crate::http::panel_edit::broken_duties(
        &state,
        (&ds, &next),
        &l.home_centre_id,
        q,
        &[],
        crate::http::panel_edit::MAX_AFFECTED,
    )
    .await?;
    if !o.dry_run {
        state
            .store
            .replace_lawyer_availability(&l.id, &a.weekly, &a.leave, &a.preferences, &audit)
            .await?;
    }
    Ok(Json(AvailabilitySaved {
        availability: a,
        affected,
        dry_run: o.dry_run,
    }))
}

/// Whether to save.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DryRun {
    /// Check the change and list the duties it affects; save nothing.
    #[serde(default)]
    dry_run: bool,
}

/// Availability as saved (or as it would be), with the published duties from today on that
/// it rules out: repair them with `POST /api/v1/versions/{version_id}/repair`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AvailabilitySaved {
    /// The availability.
    #[serde(flatten)]
    availability: Availability,
    /// Duties on leave or on a half-day now never available.
    affected: Vec<crate::http::out::DutyOut>,
    /// Nothing was saved.
    dry_run: bool,
}

/// Which year.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct YearFilter {
    /// Only this year's entries.
    year: Option<i32>,
}

/// The working-day calendar: public holidays and make-up working days.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "panel", params(YearFilter),
    responses((status = 200, body = Vec<CalendarDay>), (status = 401, body = crate::error::Problem)))]
async fn get_calendar(
    State(state): State<AppState>,
    _who: Principal,
    Query(q): Query<YearFilter>,
) -> Result<Json<Vec<CalendarDay>>, ApiError> {
    use chrono::Datelike;
    let cal = state.store.calendar().await?;
    Ok(Json(
        cal.days()
            .filter(|d| q.year.is_none_or(|y| d.date.year() == y))
            .cloned()
            .collect(),
    ))
}

/// One line of the published panel list (名册).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PanelEntry {
    /// Lawyer code.
    lawyer_id: LawyerId,
    /// Name.
    name: String,
    /// Firm code.
    firm_id: String,
    /// Firm name.
    firm_name: String,
    /// Years of practice today.
    years_of_practice: u32,
    /// Skills (codes).
    skills: Vec<String>,
    /// Languages (codes).
    languages: Vec<String>,
    /// Skills by their Chinese names.
    skill_names: Vec<String>,
    /// Languages by their Chinese names.
    language_names: Vec<String>,
}

async fn panel_entries(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<(Centre, Vec<PanelEntry>), ApiError> {
    let c = centre_of(state, who, id).await?;
    let ds = state.dataset().await?;
    let today = chrono::Utc::now().with_timezone(&c.time_zone).date_naive();
    let labels = &ds.settings.labels;
    let mut out: Vec<PanelEntry> = ds
        .lawyers
        .iter()
        .filter(|l| l.active && l.home_centre_id == c.id)
        .map(|l| PanelEntry {
            lawyer_id: l.id.clone(),
            name: l.name.clone(),
            firm_id: l.firm_id.to_string(),
            firm_name: ds
                .firms
                .iter()
                .find(|f| f.id == l.firm_id)
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            years_of_practice: l.years_of_practice(today),
            skills: l.skills.clone(),
            languages: l.languages.clone(),
            skill_names: l.skills.iter().map(|x| labels.skill(x)).collect(),
            language_names: l.languages.iter().map(|x| labels.language(x)).collect(),
        })
        .collect();
    out.sort_by(|a, b| {
        a.firm_id
            .cmp(&b.firm_id)
            .then(a.lawyer_id.cmp(&b.lawyer_id))
    });
    Ok((c, out))
}

/// The centre's published panel list (名册): its active lawyers with firm and years.
#[utoipa::path(get, path = "/api/v1/centres/{id}/panel", tag = "panel",
    params(("id" = String, Path, description = "centre code")),
    responses((status = 200, body = Vec<PanelEntry>), (status = 404, body = crate::error::Problem)))]
async fn panel_list(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<PanelEntry>>, ApiError> {
    Ok(Json(panel_entries(&state, &who, &id).await?.1))
}

/// The panel list as CSV (UTF-8 with BOM, Chinese headers; opens in Excel and WPS).
#[utoipa::path(get, path = "/api/v1/centres/{id}/panel.csv", tag = "panel",
    params(("id" = String, Path, description = "centre code")),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 404, body = crate::error::Problem)))]
async fn panel_csv(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (c, entries) = panel_entries(&state, &who, &id).await?;
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let csv_err = |e: csv::Error| ApiError::Internal(e.into());
    w.write_record(["律师编号", "姓名", "律师事务所", "执业年限", "专长", "语言"])
        .map_err(csv_err)?;
    for e in &entries {
        w.write_record([
            e.lawyer_id.as_str(),
            &crate::sheet::text(&e.name),
            &crate::sheet::text(&e.firm_name),
            &e.years_of_practice.to_string(),
            &crate::sheet::text(&e.skill_names.join("、")),
            &crate::sheet::text(&e.language_names.join("、")),
        ])
        .map_err(csv_err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    let disposition = format!("attachment; filename=\"panel-{}.csv\"", c.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
