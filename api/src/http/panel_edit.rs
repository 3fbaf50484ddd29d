// About the ~600-line sizing rule: the shared change machinery (save, revision check, broken
// duties) and the firm and lawyer routes that use it; stations and centres live apart.
//! Keeping the panel (名册) through the API: firms, lawyers, stations and their weekly demand
//! are created (`POST`) and changed (`PATCH`; a station's demand with `PUT`, or `POST` for
//! some half-days) by admins and the coordinators of their centre.
//!
//! - Every change is checked by the rules of an imported data set, from one place
//!   (`Dataset::validate` over the panel as it would be): a fault answers 422 naming the
//!   field.
//! - It is written in one transaction with its audit entry, bumping the panel revision that
//!   every cache of every process compares. A change made against a `revision` the panel has
//!   left answers 409, and so does a change racing another.
//! - Nothing is deleted: a lawyer leaves the active panel (`active: false`, with a reason)
//!   and a station closes by an empty weekly demand, so rosters, check-ins and statements
//!   keep their names.
//! - A change that takes a lawyer off a panel or shrinks a station's demand answers the
//!   published duties from today on that it affects; with `dry_run=true` it answers them and
//!   saves nothing, so that the page shows them before saving and offers the minimal-change
//!   repair (`POST /api/v1/versions/{id}/repair`).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::http::out::DutyOut;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::fitness::Fitness;
use zhiban_domain::{
    CentreId, Coordinates, Dataset, Firm, FirmId, Lawyer, LawyerId, Limits, Table,
};
use zhiban_store::{Audit, DutyQuery, Page, PanelWrite, Revisions};

/// Most skills or languages of one record.
pub(crate) const MAX_TAGS: usize = 20;
/// Most duties an answer lists as affected.
pub(crate) const MAX_AFFECTED: usize = 500;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(panel_revision))
        .routes(routes!(create_firm))
        .routes(routes!(update_firm))
        .routes(routes!(create_lawyer))
        .routes(routes!(update_lawyer))
}

/// How a change is made.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeOptions {
    /// The panel revision the change was made against (`GET /api/v1/panel/revision`, or the
    /// last change's answer): 409 if the panel changed since.
    revision: Option<i64>,
    /// Check the change and list what it affects; save nothing.
    #[serde(default)]
    dry_run: bool,
}

/// A record as saved, or as it would be.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Saved<T: ToSchema> {
    /// The record.
    record: T,
    /// The panel revision after the change (on a dry run, the current one).
    revision: i64,
    /// Nothing was saved.
    dry_run: bool,
    /// Published duties from today on that the change affects (at most 500): a lawyer's once
    /// they are off a panel, those beyond a station's new demand. Repair them with `POST
    /// /api/v1/versions/{version_id}/repair`.
    affected: Vec<DutyOut>,
}

/// The panel's revision.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PanelRevision {
    /// Changes of the panel so far; send it with a change as `revision`.
    revision: i64,
}

/// The panel's current revision, for a change made against it.
#[utoipa::path(get, path = "/api/v1/panel/revision", tag = "panel",
    responses((status = 200, body = PanelRevision), (status = 401, body = crate::error::Problem)))]
async fn panel_revision(
    State(state): State<AppState>,
    _who: Principal,
) -> Result<Json<PanelRevision>, ApiError> {
    Ok(Json(PanelRevision {
        revision: state.store.revisions().await?.panel,
    }))
}

/// The API's name of a field a data-set rule names.
fn api_field(table: Table, field: &str) -> String {
    match (table, field) {
        (Table::Lawyers, "max_per_day") => "limits.per_day".into(),
        (Table::Lawyers, "max_per_week") => "limits.per_week".into(),
        (Table::Lawyers, "max_per_month") => "limits.per_month".into(),
        (Table::Lawyers, "lat" | "lon") => format!("base.{field}"),
        (Table::Stations, "lat" | "lon") => format!("location.{field}"),
        (Table::Demand, f) => format!("rules.{f}"),
        (_, f) => f.into(),
    }
}

/// The centre whose panel holds record `i` of `table` (none: the calendar, the settings, or a
/// reference that does not resolve).
fn owner(ds: &Dataset, table: Table, i: usize) -> Option<&CentreId> {
    let lawyer = |id: &LawyerId| ds.lawyer(id).map(|l| &l.home_centre_id);
    match table {
        Table::Centres => ds.centres.get(i).map(|c| &c.id),
        Table::Firms => ds.firms.get(i).map(|f| &f.centre_id),
        Table::Stations => ds.stations.get(i).map(|s| &s.centre_id),
        Table::Demand => ds
            .demand
            .get(i)
            .and_then(|d| ds.station(&d.station_id))
            .map(|s| &s.centre_id),
        Table::Lawyers => ds.lawyers.get(i).map(|l| &l.home_centre_id),
        Table::Unavailability => ds.unavailability.get(i).and_then(|u| lawyer(&u.lawyer_id)),
        Table::Leave => ds.leave.get(i).and_then(|u| lawyer(&u.lawyer_id)),
        Table::Preferences => ds.preferences.get(i).and_then(|u| lawyer(&u.lawyer_id)),
        _ => None,
    }
}

/// Checks the panel as it would be, by the rules of an imported data set. A rule broken by a
/// record `who` may not see is not named: the answer would tell of another centre's panel.
fn check(who: &Principal, next: &Dataset, today: NaiveDate) -> Result<(), ApiError> {
    next.validate(today).map_err(|e| {
        if owner(next, e.table, e.index).is_none_or(|c| who.sees_centre(c)) {
            ApiError::invalid(
                api_field(e.table, &e.error.field),
                format!("{}: {}", e.error.record, e.error.message),
            )
        } else {
            ApiError::invalid(
                "panel",
                "the change would break a rule of a record of another centre: ask an \
                 administrator",
            )
        }
    })
}

/// Checks a position (a lawyer's base, a station's location).
pub(crate) fn position(field: &str, p: Coordinates) -> Result<(), ApiError> {
    Coordinates::new(p.lat, p.lon)
        .map(|_| ())
        .map_err(|m| ApiError::invalid(field, m))
}

/// Checks the length of a list of tags.
pub(crate) fn tags(field: &str, list: &[String]) -> Result<(), ApiError> {
    if list.len() > MAX_TAGS {
        return Err(ApiError::invalid(
            field,
            format!("at most {MAX_TAGS}, got {}", list.len()),
        ));
    }
    Ok(())
}

/// A change, checked and (unless a dry run) written.
pub(crate) struct Change<T> {
    /// The panel it was made against.
    pub(crate) rev: Revisions,
    /// The panel as it would be.
    pub(crate) next: Dataset,
    /// The records to write.
    pub(crate) write: PanelWrite,
    /// Its audit entry.
    pub(crate) audit: Audit,
    /// The record to answer.
    pub(crate) record: T,
    /// The duties it affects.
    pub(crate) affected: Vec<DutyOut>,
}

/// Checks `c` (the revision asked for, the data-set rules) and writes it unless `o` asks for
/// a dry run; the answer, 201 for a new record.
pub(crate) async fn save<T: ToSchema>(
    state: &AppState,
    who: &Principal,
    o: &ChangeOptions,
    mut c: Change<T>,
    created: bool,
) -> Result<(StatusCode, Json<Saved<T>>), ApiError> {
    let base = o.revision.unwrap_or(c.rev.panel);
    if base != c.rev.panel {
        return Err(ApiError::Conflict(format!(
            "the panel changed since revision {base} (it is now {}): read it again",
            c.rev.panel
        )));
    }
    check(who, &c.next, state.now().date_naive())?;
    let (status, revision) = if o.dry_run {
        (StatusCode::OK, c.rev.panel)
    } else {
        c.write.base = Some(base);
        let after = state.store.write_panel(&c.write, &[c.audit]).await?;
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, after.panel)
    };
    Ok((
        status,
        Json(Saved {
            record: c.record,
            revision,
            dry_run: o.dry_run,
            affected: c.affected,
        }),
    ))
}

/// Today at `centre`.
pub(crate) fn today_at(state: &AppState, ds: &Dataset, centre: &CentreId) -> NaiveDate {
    let now = state.now();
    match ds.centre(centre) {
        Some(c) => now.with_timezone(&c.time_zone).date_naive(),
        None => now.date_naive(),
    }
}

/// Most published duties scanned for those a change affects.
const MAX_SCANNED: u32 = 20_000;

/// The published duties from today (at `centre`) on, of those `q` selects, that a change
/// from panel `before` to `next` breaks, each with why (see [`zhiban_domain::fitness`]):
/// those `next` rules out and `before` did not, and those beyond the new weekly `demand` of
/// a station; at most `limit`. Duties broken already are left to the roster's own report.
pub(crate) async fn broken_duties(
    state: &AppState,
    (before, next): (&Dataset, &Dataset),
    centre: &CentreId,
    mut q: DutyQuery,
    demand: &[(zhiban_domain::StationId, Vec<zhiban_domain::DemandRule>)],
    limit: usize,
) -> Result<Vec<DutyOut>, ApiError> {
    q.from = Some(today_at(state, before, centre));
    let page = Page {
        limit: MAX_SCANNED,
        offset: 0,
    };
    let held = state.store.list_duties(&q, page).await?.items;
    if held.is_empty() {
        return Ok(vec![]);
    }
    let (was, will) = (Fitness::new(before), Fitness::new(next));
    let all: Vec<_> = held.iter().map(|d| d.assignment.clone()).collect();
    let mut beyond: std::collections::HashSet<&zhiban_domain::Assignment> = Default::default();
    for (station, rules) in demand {
        let there: Vec<_> = all
            .iter()
            .filter(|a| &a.station_id == station)
            .cloned()
            .collect();
        for x in zhiban_domain::beyond_demand(&there, rules) {
            beyond.extend(all.iter().find(|y| *y == x));
        }
    }
    Ok(held
        .into_iter()
        .filter_map(|d| {
            let a = &d.assignment;
            let reason = will
                .check(a)
                .filter(|_| was.check(a).is_none())
                .map(|u| u.code())
                .or_else(|| beyond.contains(a).then_some("beyond_demand"))?;
            let mut out = DutyOut::from(d);
            out.reason = Some(reason.into());
            Some(out)
        })
        .take(limit)
        .collect())
}

/// Registers a new firm (admins, the coordinators of its centre).
#[utoipa::path(post, path = "/api/v1/firms", tag = "panel", params(ChangeOptions),
    request_body = Firm,
    responses((status = 201, body = Saved<Firm>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn create_firm(
    State(state): State<AppState>,
    who: Principal,
    Query(o): Query<ChangeOptions>,
    Body(f): Body<Firm>,
) -> Result<(StatusCode, Json<Saved<Firm>>), ApiError> {
    who.require_coordinator_of(&f.centre_id, &format!("centre {}", f.centre_id))?;
    let (rev, ds) = state.panel().await?;
    if ds.firms.iter().any(|x| x.id == f.id) {
        return Err(ApiError::Conflict(format!(
            "firm {} exists already: change it with PATCH /api/v1/firms/{}",
            f.id, f.id
        )));
    }
    let mut next = (*ds).clone();
    next.firms.push(f.clone());
    let audit = who.audit(
        Some(&f.centre_id),
        "firm.create",
        format!("firm/{}", f.id),
        serde_json::json!({"name": f.name}),
    );
    let write = PanelWrite {
        firms: vec![f.clone()],
        ..PanelWrite::default()
    };
    let c = Change {
        rev,
        next,
        write,
        audit,
        record: f,
        affected: vec![],
    };
    save(&state, &who, &o, c, true).await
}

/// Changes to a firm.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FirmPatch {
    /// Its name.
    name: Option<String>,
    /// The centre it is registered with.
    centre_id: Option<CentreId>,
}

/// Changes a firm's name or centre (admins, the coordinators of its centres, before and
/// after).
#[utoipa::path(patch, path = "/api/v1/firms/{id}", tag = "panel", params(ChangeOptions,
        ("id" = String, Path, description = "firm code")), request_body = FirmPatch,
    responses((status = 200, body = Saved<Firm>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn update_firm(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(o): Query<ChangeOptions>,
    Body(p): Body<FirmPatch>,
) -> Result<(StatusCode, Json<Saved<Firm>>), ApiError> {
    let id = FirmId::parse(&id).map_err(|m| ApiError::field("id", m))?;
    let (rev, ds) = state.panel().await?;
    let old = ds
        .firms
        .iter()
        .find(|f| f.id == id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("firm", &id))?;
    who.require_coordinator_of(&old.centre_id, &format!("firm {id}"))?;
    let mut f = old.clone();
    if let Some(n) = p.name {
        f.name = n;
    }
    if let Some(c) = p.centre_id {
        who.require_coordinator_of(&c, &format!("centre {c}"))?;
        f.centre_id = c;
    }
    let mut next = (*ds).clone();
    if let Some(x) = next.firms.iter_mut().find(|x| x.id == id) {
        *x = f.clone();
    }
    let audit = who.audit(
        Some(&f.centre_id),
        "firm.update",
        format!("firm/{id}"),
        serde_json::json!({"before": old, "after": f}),
    );
    let write = PanelWrite {
        firms: vec![f.clone()],
        ..PanelWrite::default()
    };
    let c = Change {
        rev,
        next,
        write,
        audit,
        record: f,
        affected: vec![],
    };
    save(&state, &who, &o, c, false).await
}

/// Checks the parts of a lawyer the data-set rules leave to the API.
fn check_lawyer(l: &Lawyer) -> Result<(), ApiError> {
    position("base", l.base)?;
    tags("skills", &l.skills)?;
    tags("languages", &l.languages)
}

/// Adds a lawyer to a centre's panel (admins, the centre's coordinators). Their weekly
/// availability, leave and wishes are kept with `PUT /api/v1/lawyers/{id}/availability`.
#[utoipa::path(post, path = "/api/v1/lawyers", tag = "panel", params(ChangeOptions),
    request_body = Lawyer,
    responses((status = 201, body = Saved<Lawyer>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn create_lawyer(
    State(state): State<AppState>,
    who: Principal,
    Query(o): Query<ChangeOptions>,
    Body(l): Body<Lawyer>,
) -> Result<(StatusCode, Json<Saved<Lawyer>>), ApiError> {
    who.require_coordinator_of(&l.home_centre_id, &format!("centre {}", l.home_centre_id))?;
    check_lawyer(&l)?;
    let (rev, ds) = state.panel().await?;
    if ds.lawyer(&l.id).is_some() {
        return Err(ApiError::Conflict(format!(
            "lawyer {} exists already: change them with PATCH /api/v1/lawyers/{}",
            l.id, l.id
        )));
    }
    let mut next = (*ds).clone();
    next.lawyers.push(l.clone());
    let audit = who.audit(
        Some(&l.home_centre_id),
        "lawyer.create",
        format!("lawyer/{}", l.id),
        serde_json::json!({"name": l.name, "firm_id": l.firm_id}),
    );
    let write = PanelWrite {
        lawyers: vec![l.clone()],
        ..PanelWrite::default()
    };
    let c = Change {
        rev,
        next,
        write,
        audit,
        record: l,
        affected: vec![],
    };
    save(&state, &who, &o, c, true).await
}

/// Changes to a lawyer: any of the fields of the panel record. `active: false` takes the
/// lawyer off the active panel (their history keeps their name), with a `reason`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LawyerPatch {
    /// Full name.
    name: Option<String>,
    /// Mobile phone.
    phone: Option<String>,
    /// E-mail address for notifications ('' for none).
    email: Option<String>,
    /// Firm.
    firm_id: Option<FirmId>,
    /// The centre whose panel they are on.
    home_centre_id: Option<CentreId>,
    /// Date of the practising licence.
    licence_date: Option<NaiveDate>,
    /// Skills.
    skills: Option<Vec<String>>,
    /// Languages beyond Mandarin.
    languages: Option<Vec<String>>,
    /// Half-days per day, week and month.
    limits: Option<Limits>,
    /// Where they usually start from.
    base: Option<Coordinates>,
    /// On the active panel, or suspended.
    active: Option<bool>,
    /// Why they leave or rejoin the active panel (needed with `active`; at most 200
    /// characters).
    reason: Option<String>,
}

impl LawyerPatch {
    /// `l` with these changes.
    fn apply(self, mut l: Lawyer) -> Lawyer {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f { l.$f = v; })* };
        }
        set!(
            name,
            phone,
            email,
            firm_id,
            home_centre_id,
            licence_date,
            skills,
            languages,
            limits,
            base,
            active
        );
        l
    }
}

/// Changes a lawyer's panel record (admins, the coordinators of their centre, and of the
/// new one when they move). Taking them off a panel answers their published duties from
/// today on.
#[utoipa::path(patch, path = "/api/v1/lawyers/{id}", tag = "panel", params(ChangeOptions,
        ("id" = String, Path, description = "lawyer code")), request_body = LawyerPatch,
    responses((status = 200, body = Saved<Lawyer>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn update_lawyer(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(o): Query<ChangeOptions>,
    Body(p): Body<LawyerPatch>,
) -> Result<(StatusCode, Json<Saved<Lawyer>>), ApiError> {
    let id = LawyerId::parse(&id).map_err(|m| ApiError::field("id", m))?;
    let (rev, ds) = state.panel().await?;
    let old = ds
        .lawyer(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("lawyer", &id))?;
    who.require_coordinator_of(&old.home_centre_id, &format!("lawyer {id}"))?;
    if let Some(c) = &p.home_centre_id {
        who.require_coordinator_of(c, &format!("centre {c}"))?;
    }
    let reason = p.reason.clone().unwrap_or_default();
    if reason.chars().count() > 200 {
        return Err(ApiError::invalid("reason", "at most 200 characters"));
    }
    if p.active.is_some_and(|a| a != old.active) && reason.trim().is_empty() {
        return Err(ApiError::invalid(
            "reason",
            "say why the lawyer leaves or rejoins the active panel",
        ));
    }
    let l = p.apply(old.clone());
    check_lawyer(&l)?;
    let mut next = (*ds).clone();
    if let Some(x) = next.lawyers.iter_mut().find(|x| x.id == id) {
        *x = l.clone();
    }
    let q = DutyQuery {
        lawyer: Some(id.clone()),
        ..DutyQuery::default()
    };
    let affected = broken_duties(
        &state,
        (&ds, &next),
        &old.home_centre_id,
        q,
        &[],
        MAX_AFFECTED,
    )
    .await?;
    let audit = who.audit(
        Some(&old.home_centre_id),
        "lawyer.update",
        format!("lawyer/{id}"),
        serde_json::json!({"before": old, "after": l, "reason": reason,
            "affected_duties": affected.len()}),
    );
    let write = PanelWrite {
        lawyers: vec![l.clone()],
        ..PanelWrite::default()
    };
    let c = Change {
        rev,
        next,
        write,
        audit,
        record: l,
        affected,
    };
    save(&state, &who, &o, c, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_fields_are_named_as_the_api_spells_them() {
        assert_eq!(api_field(Table::Lawyers, "max_per_week"), "limits.per_week");
        assert_eq!(api_field(Table::Lawyers, "licence_date"), "licence_date");
        assert_eq!(api_field(Table::Stations, "lat"), "location.lat");
        assert_eq!(api_field(Table::Demand, "backups"), "rules.backups");
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let dir = zhiban_testkit::fixtures_dir().join("small");
        let ds = zhiban_dataset::read_dir(&dir, chrono::Utc::now().date_naive()).unwrap();
        let l = ds.lawyers[0].clone();
        let p: LawyerPatch =
            serde_json::from_value(serde_json::json!({"phone": "13900000000", "active": false}))
                .unwrap();
        let after = p.apply(l.clone());
        assert_eq!(after.phone, "13900000000");
        assert!(!after.active);
        assert_eq!((after.name, after.firm_id), (l.name, l.firm_id));
        let bad: Result<LawyerPatch, _> =
            serde_json::from_value(serde_json::json!({"nickname": "x"}));
        assert!(bad.is_err());
    }
}
