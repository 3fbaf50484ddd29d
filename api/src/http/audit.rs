//! The audit log: who changed what, when. Readable by admins (all centres) and
//! coordinators (their centre).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Query};
use crate::http::out::*;
use crate::pages::{PageOut, store_page};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::CentreId;
use zhiban_store::TokenRole;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Filter of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditFilter {
    /// Only this centre's entries (coordinators always see only theirs).
    centre_id: Option<String>,
    /// Page size (1 to 500, default 100).
    limit: Option<u32>,
    /// Items to skip.
    offset: Option<u64>,
}

/// Audit entries, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditFilter),
    responses((status = 200, body = PageOut<AuditOut>), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn list_audit(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<AuditFilter>,
) -> Result<Json<PageOut<AuditOut>>, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    if who.role() == TokenRole::Director {
        return Err(ApiError::Forbidden(
            "the audit log names people by their login names (often mobile numbers) and \
             addresses: a director reads rosters and statements, not the log"
                .into(),
        ));
    }
    let page = store_page(q.limit, q.offset)?;
    let asked = q
        .centre_id
        .as_deref()
        .map(|c| CentreId::parse(c).map_err(|m| ApiError::field("centre_id", m)))
        .transpose()?;
    let centre = match (who.role(), asked) {
        (TokenRole::Admin, c) => c,
        (_, Some(c)) => {
            who.require_centre(&c, &format!("centre {c}"))?;
            Some(c)
        }
        (_, None) => who.token.centre_id.clone(),
    };
    let r = state.store.list_audit(centre.as_ref(), page).await?;
    Ok(PageOut::of(r, page))
}
