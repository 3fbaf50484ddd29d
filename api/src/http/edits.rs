//! Edits to a draft (checked against every hard rule) and ranked suggestions for a slot.
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::planning::{problem_for, report_of, violations_json};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::roster::{Edit, EditError, Edited};
use zhiban_domain::{Assignment, Dataset, HalfDay, LawyerId, Role, Roster, StationId};
use zhiban_solver::suggest::{Candidate, SlotRole, SuggestError, suggest};
use zhiban_solver::{Weights, new_violations};
use zhiban_store::VersionStatus;

use super::rosters::version_of;
use super::versions::{AssignmentOut, VersionView, etag_of, with_etag};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(edit))
        .routes(routes!(get_suggestions))
}

/// One change to a draft.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditOp {
    /// `assign`, `unassign`, `pin` or `unpin`.
    op: EditKind,
    /// Station.
    station_id: StationId,
    /// Day.
    date: NaiveDate,
    /// Half-day.
    half_day: HalfDay,
    /// Lawyer.
    lawyer_id: LawyerId,
    /// Primary (default) or backup.
    #[serde(default = "primary")]
    role: Role,
}

impl EditOp {
    /// The domain's edit.
    fn edit(&self) -> Edit {
        let a = Assignment {
            date: self.date,
            half_day: self.half_day,
            station_id: self.station_id.clone(),
            lawyer_id: self.lawyer_id.clone(),
            role: self.role,
        };
        match self.op {
            EditKind::Assign => Edit::Assign(a),
            EditKind::Unassign => Edit::Unassign(a),
            EditKind::Pin => Edit::Pin(a),
            EditKind::Unpin => Edit::Unpin(a),
        }
    }
}

fn primary() -> Role {
    Role::Primary
}

/// Kinds of edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EditKind {
    /// Put the lawyer on the slot.
    Assign,
    /// Take the lawyer off the slot.
    Unassign,
    /// Keep the assignment in repairs (assigning it if needed).
    Pin,
    /// Stop keeping it.
    Unpin,
}

/// Changes to a draft, applied together or not at all.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditRequest {
    /// The draft's revision the edits were made against (from the version read); a
    /// different current revision answers 409. `If-Match` with the ETag works too.
    revision: Option<i64>,
    /// The changes, in order.
    operations: Vec<EditOp>,
}

/// Edits a draft: assign, unassign, pin, unpin. Every hard rule is checked on the result;
/// an edit that would break one answers 422 listing the violations, and changes nothing.
/// Published versions never change: 409 (make a draft from them first).
#[utoipa::path(post, path = "/api/v1/versions/{id}/edits", tag = "rosters",
    params(("id" = i64, Path, description = "draft version id")), request_body = EditRequest,
    responses((status = 200, body = VersionView), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn edit(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Body(req): Body<EditRequest>,
) -> Result<Response, ApiError> {
    let v = version_of(&state, &who, id).await?;
    who.require_coordinator_of(&v.roster.centre_id, &format!("version {id}"))?;
    if v.version.status != VersionStatus::Draft {
        return Err(ApiError::Conflict(format!(
            "version {id} is {}; published versions never change. Make a draft from it with POST /api/v1/versions/{id}/drafts",
            v.version.status.code()
        )));
    }
    if let Some(m) = headers.get(header::IF_MATCH).and_then(|x| x.to_str().ok())
        && m.trim() != etag_of(&v)
        && m.trim() != "*"
    {
        return Err(ApiError::PreconditionFailed(format!(
            "the version changed: its ETag is now {}",
            etag_of(&v)
        )));
    }
    if req.operations.is_empty() {
        return Err(ApiError::field("operations", "must not be empty"));
    }
    if req.operations.len() > 1000 {
        return Err(ApiError::field("operations", "at most 1000 per request"));
    }
    let revision = req.revision.unwrap_or(v.version.revision);
    let (_, problem) = problem_for(
        &state,
        &v.roster.centre_id,
        v.roster.from,
        v.roster.weeks,
        Some(v.roster.id),
    )
    .await?;
    let edits: Vec<Edit> = req.operations.iter().map(EditOp::edit).collect();
    let before = Roster::new(v.assignments.clone());
    let Edited {
        roster: after,
        pins,
    } = before
        .apply(&edits, &v.pins, v.roster.from..=v.roster.to())
        .map_err(|e| {
            let field = match e {
                EditError::OutsidePeriod { index, .. } => format!("operations[{index}].date"),
                EditError::NotAssigned { index, .. } => format!("operations[{index}]"),
            };
            ApiError::invalid(field, e.to_string())
        })?;
    let pin_list: Vec<Assignment> = pins.iter().cloned().collect();
    let broken = new_violations(&problem, &before, &after, &pin_list);
    if !broken.is_empty() {
        let rules: BTreeSet<String> = violations_json(&broken)
            .iter()
            .filter_map(|x| x.get("rule").and_then(|r| r.as_str()).map(String::from))
            .collect();
        return Err(ApiError::Unprocessable {
            detail: format!(
                "the edit breaks {} hard rule(s): {}; nothing was changed",
                broken.len(),
                rules.into_iter().collect::<Vec<_>>().join(", ")
            ),
            errors: vec![],
            violations: violations_json(&broken),
        });
    }
    let report = report_of(&problem, &after, None);
    let audit = who.audit(
        Some(&v.roster.centre_id),
        "roster.edit",
        format!("roster_version/{id}"),
        serde_json::json!({
            "operations": req.operations.iter().map(|o| serde_json::json!({
                "op": format!("{:?}", o.op).to_lowercase(), "station_id": o.station_id,
                "date": o.date, "half_day": o.half_day, "lawyer_id": o.lawyer_id, "role": o.role,
            })).collect::<Vec<_>>()
        }),
    );
    state
        .store
        .update_draft(id, revision, &after.assignments, &pins, &report, &audit)
        .await?;
    let v = version_of(&state, &who, id).await?;
    let etag = etag_of(&v);
    let view = VersionView {
        assignments: v
            .assignments
            .iter()
            .map(|a| AssignmentOut {
                pinned: v.pins.contains(a),
                assignment: a.clone(),
            })
            .collect(),
        roster: v.roster.into(),
        version: v.version.into(),
    };
    Ok(with_etag(&etag, Json(view)))
}

/// Which slot to suggest lawyers for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlotQuery {
    /// Station.
    station_id: String,
    /// Day.
    date: NaiveDate,
    /// Half-day, `am` or `pm`.
    half_day: HalfDay,
    /// Role (default primary).
    role: Option<Role>,
    /// Rank choices as replacements for this lawyer's assignment at the slot.
    replace: Option<String>,
}

/// One lawyer who could take a slot, and what it would cost.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct Suggestion {
    /// The lawyer.
    pub lawyer_id: LawyerId,
    /// Name.
    pub name: String,
    /// Firm.
    pub firm_id: String,
    /// Whether the choice keeps every hard rule.
    pub valid: bool,
    /// Change of the roster's objective if chosen (lower is better; coverage gained shows
    /// as a large negative number).
    pub cost_delta: f64,
    /// Duties (primary and backup) the lawyer already has in the period.
    pub current_load: u32,
    /// The lawyer's fair share of the period.
    pub fair_share: f64,
    /// The hard rules the choice would break.
    #[schema(value_type = Vec<Object>)]
    pub violations: Vec<serde_json::Value>,
}

impl Suggestion {
    /// The solver's candidate, named from the panel.
    fn of(c: Candidate, ds: &Dataset) -> Self {
        Suggestion {
            name: ds
                .lawyer(&c.lawyer_id)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            firm_id: c.firm_id.to_string(),
            valid: c.valid,
            cost_delta: c.cost_delta,
            current_load: c.current_load,
            fair_share: c.fair_share,
            violations: violations_json(&c.violations),
            lawyer_id: c.lawyer_id,
        }
    }
}

/// Eligible lawyers for a slot, best first, each with the change in the roster's objective
/// and the hard rules it would break.
#[utoipa::path(get, path = "/api/v1/versions/{id}/suggestions", tag = "rosters",
    params(("id" = i64, Path, description = "version id"), SlotQuery),
    responses((status = 200, body = Vec<Suggestion>), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn get_suggestions(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<SlotQuery>,
) -> Result<Json<Vec<Suggestion>>, ApiError> {
    let v = version_of(&state, &who, id).await?;
    who.require_coordinator_of(&v.roster.centre_id, &format!("version {id}"))?;
    let station = StationId::parse(&q.station_id).map_err(|m| ApiError::field("station_id", m))?;
    let replace = q
        .replace
        .as_deref()
        .map(|s| LawyerId::parse(s).map_err(|m| ApiError::field("replace", m)))
        .transpose()?;
    let (ds, problem) = problem_for(
        &state,
        &v.roster.centre_id,
        v.roster.from,
        v.roster.weeks,
        Some(v.roster.id),
    )
    .await?;
    let roster = Roster::new(v.assignments.clone());
    let pins: Vec<Assignment> = v.pins.iter().cloned().collect();
    let slot = SlotRole {
        station_id: station,
        date: q.date,
        half_day: q.half_day,
        role: q.role.unwrap_or(Role::Primary),
    };
    let ranked = tokio::task::spawn_blocking(move || {
        suggest(
            &problem,
            &roster,
            &pins,
            &slot,
            replace.as_ref(),
            &Weights::default(),
        )
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e: SuggestError| ApiError::NotFound(e.to_string()))?;
    let out = ranked.into_iter().map(|c| Suggestion::of(c, &ds)).collect();
    Ok(Json(out))
}
