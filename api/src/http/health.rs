//! `GET /healthz`: the service and its database answer.

use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The health report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// `ok` when the database answered.
    pub database: &'static str,
    /// Rows per table: only for a caller with a valid token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<zhiban_store::Counts>,
    /// zhiban's version.
    pub version: &'static str,
}

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

/// The service and its database answer; no token needed. The database's counts are shown
/// only to a caller with a valid token (an anonymous probe learns nothing of the panel).
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, body = Health), (status = 503, body = crate::error::Problem)))]
async fn healthz(
    State(state): State<AppState>,
    who: Option<crate::auth::Principal>,
) -> Result<Json<Health>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let counts = match who {
        Some(_) => Some(
            state
                .store
                .counts()
                .await
                .map_err(|e| ApiError::Unavailable(e.to_string()))?,
        ),
        None => None,
    };
    Ok(Json(Health {
        status: "ok",
        database: "ok",
        counts,
        version: env!("CARGO_PKG_VERSION"),
    }))
}
