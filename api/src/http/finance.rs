//! Subsidy policies, monthly statements, approval (locking) and exports for finance.
//!
//! What a statement counts is in [`crate::statement`]. An approved month is stored as
//! approved, with the policy versions that priced it, and never changes: its facts change
//! only by a coordinator's correction (`POST /corrections`), paid as an adjustment line in the
//! first open month after it, and a policy version reaching into it cannot be stored.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path};
use crate::statement::{centre_policies, statement};
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::month::Month;
use zhiban_domain::subsidy::Statement;
use zhiban_domain::{CentreId, SubsidyPolicy};
use zhiban_store::TokenRole;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subsidy_policies, put_subsidy_policy))
        .routes(routes!(get_statement))
        .routes(routes!(approve_month))
}

pub(crate) fn centre_id(raw: &str) -> Result<CentreId, ApiError> {
    CentreId::parse(raw).map_err(|m| ApiError::field("centre", m))
}

/// A `YYYY-MM` path or query parameter, in its one spelling.
pub(crate) fn month(raw: &str) -> Result<Month, ApiError> {
    Month::parse(raw).map_err(|m| ApiError::field("month", m))
}

/// A centre's subsidy policies, oldest first.
#[utoipa::path(get, path = "/api/v1/centres/{id}/subsidy-policies", tag = "finance",
    params(("id" = String, Path, description = "centre code")),
    responses((status = 200, body = Vec<SubsidyPolicy>), (status = 404, body = crate::error::Problem)))]
async fn list_subsidy_policies(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<SubsidyPolicy>>, ApiError> {
    let c = centre_id(&id)?;
    who.require_centre(&c, &format!("centre {c}"))?;
    let ds = state.dataset().await?;
    Ok(Json(
        ds.settings
            .subsidy
            .iter()
            .filter(|p| p.centre_id == c)
            .cloned()
            .collect(),
    ))
}

/// Adds a policy version from its effective date (or replaces the one of that date).
/// Finance staff and admins; months already approved keep their amounts.
#[utoipa::path(put, path = "/api/v1/centres/{id}/subsidy-policies", tag = "finance",
    params(("id" = String, Path, description = "centre code")), request_body = SubsidyPolicy,
    responses((status = 200, body = SubsidyPolicy), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn put_subsidy_policy(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(p): Body<SubsidyPolicy>,
) -> Result<Json<SubsidyPolicy>, ApiError> {
    let c = centre_id(&id)?;
    who.require_centre(&c, &format!("centre {c}"))?;
    who.require_role(&[TokenRole::Admin, TokenRole::Finance])?;
    if p.centre_id != c {
        return Err(ApiError::invalid("centre_id", format!("must be {c}")));
    }
    p.validate()
        .map_err(|e| ApiError::invalid(e.field.clone(), e.message))?;
    let audit = who.audit(
        Some(&c),
        "subsidy.policy",
        format!("centre/{c}/subsidy/{}", p.effective_from),
        serde_json::to_value(&p).unwrap_or_default(),
    );
    state.store.put_subsidy_policy(&p, &audit).await?;
    Ok(Json(p))
}

pub(crate) fn can_read(who: &Principal, c: &CentreId) -> Result<(), ApiError> {
    who.require_centre(c, &format!("centre {c}"))?;
    who.require_role(&[TokenRole::Admin, TokenRole::Finance, TokenRole::Coordinator])
}

/// A month's subsidy statement: lines naming their rule, totals per lawyer, firm and centre.
#[utoipa::path(get, path = "/api/v1/statements/{centre}/{month}", tag = "finance",
    params(("centre" = String, Path, description = "centre code"), ("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = Statement), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn get_statement(
    State(state): State<AppState>,
    who: Principal,
    Path((centre, month)): Path<(String, String)>,
) -> Result<Json<Statement>, ApiError> {
    let c = centre_id(&centre)?;
    can_read(&who, &c)?;
    Ok(Json(statement(&state, &c, self::month(&month)?).await?))
}

/// Finance approves (locks) a month once it is over: its statement is stored as it is and
/// never changes; later corrections appear in the next open month.
#[utoipa::path(post, path = "/api/v1/statements/{centre}/{month}/approve", tag = "finance",
    params(("centre" = String, Path, description = "centre code"), ("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = Statement), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn approve_month(
    State(state): State<AppState>,
    who: Principal,
    Path((centre, month)): Path<(String, String)>,
) -> Result<Json<Statement>, ApiError> {
    let c = centre_id(&centre)?;
    who.require_centre(&c, &format!("centre {c}"))?;
    who.require_role(&[TokenRole::Admin, TokenRole::Finance])?;
    let m = self::month(&month)?;
    let last = m.last();
    let tz = state
        .store
        .list_centres()
        .await?
        .into_iter()
        .find(|x| x.id == c)
        .map(|x| x.time_zone)
        .ok_or_else(|| ApiError::not_found("centre", &c))?;
    let today = state.now().with_timezone(&tz).date_naive();
    if today <= last {
        return Err(ApiError::Conflict(format!(
            "{month} is not over yet; it can be approved from {}",
            last + chrono::Duration::days(1)
        )));
    }
    let ds = state.dataset().await?;
    let s = crate::statement::statement_at(&state, &ds, &c, m).await?;
    if s.status == zhiban_domain::subsidy::StatementStatus::Locked {
        return Err(ApiError::Conflict(format!(
            "{month} of centre {c} is approved already; it never changes"
        )));
    }
    let audit = who.audit(
        Some(&c),
        "statement.approve",
        format!("statement/{c}/{month}"),
        serde_json::json!({"total_fen": s.total_fen, "lines": s.lines.len(),
            "pending_fen": s.pending_fen}),
    );
    state
        .store
        .lock_month(&c, m, &s, &centre_policies(&ds, &c), &audit)
        .await?;
    Ok(Json(statement(&state, &c, m).await?))
}
