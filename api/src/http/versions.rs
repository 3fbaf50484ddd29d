//! Roster versions: read one by station and day or by lawyer (with ETags), make a draft,
//! publish, and compare two.
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path, Query};
use crate::http::out::{RosterOut, VersionOut};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{Assignment, Diff, LawyerId, Role, Roster, StationId};
use zhiban_store::{NewVersion, RosterRef, StoredVersion};

use super::rosters::version_of;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_version))
        .routes(routes!(get_version_by_lawyer))
        .routes(routes!(publish))
        .routes(routes!(new_draft))
        .routes(routes!(diff))
}

/// One assignment with its pin.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AssignmentOut {
    /// The assignment.
    #[serde(flatten)]
    pub(crate) assignment: Assignment,
    /// Kept whatever happens in repairs.
    pub(crate) pinned: bool,
}

/// A version: assignments and report.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VersionView {
    /// The series.
    pub(crate) roster: RosterOut,
    /// The version (its report holds coverage, uncovered slots with reasons, loads).
    pub(crate) version: VersionOut,
    /// Assignments matching the filter, by date, half-day, station.
    pub(crate) assignments: Vec<AssignmentOut>,
}

/// Filter of a version's assignments.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignmentFilter {
    /// Only this station.
    station_id: Option<String>,
    /// Only this lawyer.
    lawyer_id: Option<String>,
    /// From this day.
    from: Option<NaiveDate>,
    /// To this day, inclusive.
    to: Option<NaiveDate>,
}

pub(crate) fn etag_of(v: &StoredVersion) -> String {
    format!(
        "\"v{}-r{}-{}\"",
        v.version.id,
        v.version.revision,
        v.version.status.code()
    )
}

pub(crate) fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

pub(crate) fn with_etag(etag: &str, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    if let Ok(v) = header::HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-cache"),
    );
    res
}

/// A version's assignments (by station and day; filter by station, lawyer, dates) and its
/// report. Carries an ETag; `If-None-Match` answers 304 when nothing changed.
#[utoipa::path(get, path = "/api/v1/versions/{id}", tag = "rosters",
    params(("id" = i64, Path, description = "version id"), AssignmentFilter),
    responses((status = 200, body = VersionView, headers(("ETag" = String))), (status = 304),
        (status = 404, body = crate::error::Problem)))]
async fn get_version(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<AssignmentFilter>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = version_of(&state, &who, id).await?;
    let etag = etag_of(&v);
    if not_modified(&headers, &etag) {
        return Ok(with_etag(&etag, StatusCode::NOT_MODIFIED));
    }
    let station = q
        .station_id
        .as_deref()
        .map(|s| StationId::parse(s).map_err(|m| ApiError::field("station_id", m)))
        .transpose()?;
    let lawyer = q
        .lawyer_id
        .as_deref()
        .map(|s| LawyerId::parse(s).map_err(|m| ApiError::field("lawyer_id", m)))
        .transpose()?;
    let assignments = v
        .assignments
        .iter()
        .filter(|a| station.as_ref().is_none_or(|s| &a.station_id == s))
        .filter(|a| lawyer.as_ref().is_none_or(|l| &a.lawyer_id == l))
        .filter(|a| q.from.is_none_or(|f| a.date >= f) && q.to.is_none_or(|t| a.date <= t))
        .map(|a| AssignmentOut {
            pinned: v.pins.contains(a),
            assignment: a.clone(),
        })
        .collect();
    let view = VersionView {
        roster: v.roster.clone().into(),
        version: v.version.clone().into(),
        assignments,
    };
    Ok(with_etag(&etag, Json(view)))
}

/// One lawyer's duties in a version.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LawyerDuties {
    /// Lawyer.
    lawyer_id: LawyerId,
    /// Name.
    name: String,
    /// Primary duties.
    primary: u32,
    /// Backup duties.
    backup: u32,
    /// The duties, by date.
    duties: Vec<Assignment>,
}

/// A version's assignments grouped by lawyer. Carries an ETag like the version.
#[utoipa::path(get, path = "/api/v1/versions/{id}/by-lawyer", tag = "rosters",
    params(("id" = i64, Path, description = "version id")),
    responses((status = 200, body = Vec<LawyerDuties>, headers(("ETag" = String))), (status = 304),
        (status = 404, body = crate::error::Problem)))]
async fn get_version_by_lawyer(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = version_of(&state, &who, id).await?;
    let etag = format!("{}-l\"", etag_of(&v).trim_end_matches('"'));
    if not_modified(&headers, &etag) {
        return Ok(with_etag(&etag, StatusCode::NOT_MODIFIED));
    }
    let ds = state.dataset().await?;
    let mut by: BTreeMap<LawyerId, Vec<Assignment>> = BTreeMap::new();
    for a in &v.assignments {
        by.entry(a.lawyer_id.clone()).or_default().push(a.clone());
    }
    let out: Vec<LawyerDuties> = by
        .into_iter()
        .map(|(l, duties)| LawyerDuties {
            name: ds.lawyer(&l).map(|x| x.name.clone()).unwrap_or_default(),
            primary: duties.iter().filter(|a| a.role == Role::Primary).count() as u32,
            backup: duties.iter().filter(|a| a.role == Role::Backup).count() as u32,
            lawyer_id: l,
            duties,
        })
        .collect();
    Ok(with_etag(&etag, Json(out)))
}

/// Publishes a draft: it becomes the version in force and never changes again; the
/// previously published version is superseded. 409 if it is not a draft.
#[utoipa::path(post, path = "/api/v1/versions/{id}/publish", tag = "rosters",
    params(("id" = i64, Path, description = "version id")),
    responses((status = 200, body = crate::http::out::VersionOut), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)))]
async fn publish(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<crate::http::out::VersionOut>, ApiError> {
    let v = version_of(&state, &who, id).await?;
    who.require_coordinator_of(&v.roster.centre_id, &format!("version {id}"))?;
    // No lock here: the store decides. It publishes under its centre's write lock and
    // refuses (409) a version that is no longer a draft or overlaps another published
    // roster, in this process or any other.
    let audit = who.audit(
        Some(&v.roster.centre_id),
        "roster.publish",
        format!("roster_version/{id}"),
        serde_json::json!({"roster_id": v.roster.id, "number": v.version.number}),
    );
    state.store.publish_version(id, state.now(), &audit).await?;
    let v = version_of(&state, &who, id).await?;
    Ok(Json(v.version.into()))
}

/// Makes a new draft from a version (usually the published one), to edit.
#[utoipa::path(post, path = "/api/v1/versions/{id}/drafts", tag = "rosters",
    params(("id" = i64, Path, description = "version to copy")),
    responses((status = 201, body = crate::http::out::VersionOut), (status = 404, body = crate::error::Problem)))]
async fn new_draft(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let v = version_of(&state, &who, id).await?;
    who.require_coordinator_of(&v.roster.centre_id, &format!("version {id}"))?;
    let audit = who.audit(
        Some(&v.roster.centre_id),
        "roster.draft",
        "",
        serde_json::json!({"based_on": id}),
    );
    let new_id = state
        .store
        .create_version(
            &NewVersion {
                roster: RosterRef::Existing(v.roster.id),
                based_on: Some(id),
                origin: zhiban_store::VersionOrigin::Edit,
                report: v.version.report.clone(),
                assignments: v.assignments.clone(),
                pins: v.pins.clone(),
                publish: false,
                created_by: who.actor(),
                now: state.now(),
            },
            &audit,
        )
        .await?;
    let created = version_of(&state, &who, new_id).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/versions/{new_id}"))],
        Json(VersionOut::from(created.version)),
    )
        .into_response())
}

/// Which version to compare with.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiffQuery {
    /// The older version (default: the one this version is based on).
    against: Option<i64>,
}

/// What changed between two versions.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DiffOut {
    /// Older version.
    from_version: i64,
    /// Newer version.
    to_version: i64,
    /// Assignments only in the newer one.
    added: Vec<Assignment>,
    /// Assignments only in the older one.
    removed: Vec<Assignment>,
    /// Lawyers whose duties changed.
    lawyers_affected: Vec<LawyerId>,
}

/// The difference from another version (default: the one it is based on) to this one.
#[utoipa::path(get, path = "/api/v1/versions/{id}/diff", tag = "rosters",
    params(("id" = i64, Path, description = "version id"), DiffQuery),
    responses((status = 200, body = DiffOut), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn diff(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<DiffOut>, ApiError> {
    let new = version_of(&state, &who, id).await?;
    let against = q.against.or(new.version.based_on).ok_or_else(|| {
        ApiError::field(
            "against",
            "this version is based on none; name one to compare with",
        )
    })?;
    let old = version_of(&state, &who, against).await?;
    if old.roster.id != new.roster.id {
        return Err(ApiError::invalid(
            "against",
            format!("version {against} belongs to another roster"),
        ));
    }
    let d = Diff::between(
        &Roster::new(old.assignments.clone()),
        &Roster::new(new.assignments.clone()),
    );
    let lawyers: BTreeSet<LawyerId> = d
        .added
        .iter()
        .chain(&d.removed)
        .map(|a| a.lawyer_id.clone())
        .collect();
    Ok(Json(DiffOut {
        from_version: against,
        to_version: id,
        added: d.added,
        removed: d.removed,
        lawyers_affected: lawyers.into_iter().collect(),
    }))
}
