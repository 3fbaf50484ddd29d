//! `GET /healthz`: the service and its database answer.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// The health report.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// `ok` when the database answered.
    pub database: &'static str,
    /// Rows per table.
    pub counts: zhiban_store::Counts,
    /// zhiban's version.
    pub version: &'static str,
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let counts = state
        .store
        .counts()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Json(Health {
        status: "ok",
        database: "ok",
        counts,
        version: env!("CARGO_PKG_VERSION"),
    }))
}
