//! Each person's text size in the page (字号), kept with their account so that it follows
//! them to another computer or phone: `GET`/`PUT /api/v1/me/display`. Following the 适老化
//! guidance for public services, the page's text can be made larger, never smaller than
//! its normal size.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_display, put_display))
}

/// The text sizes offered, in percent of the normal size.
pub(crate) const SCALES: [u32; 4] = [100, 115, 130, 150];

/// A person's display settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Display {
    /// Text size in percent of the normal size: 100, 115, 130 or 150.
    font_scale: u32,
}

fn account(who: &Principal) -> Result<i64, ApiError> {
    who.user().map(|u| u.id).ok_or_else(|| {
        ApiError::Forbidden("display settings belong to a signed-in account, not a token".into())
    })
}

/// The caller's display settings.
#[utoipa::path(get, path = "/api/v1/me/display", tag = "auth",
    responses((status = 200, body = Display), (status = 403, body = crate::error::Problem)))]
async fn get_display(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Display>, ApiError> {
    let id = account(&who)?;
    let font_scale = state
        .store
        .font_scale(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("the account is gone".into()))?;
    Ok(Json(Display { font_scale }))
}

/// Sets the caller's display settings.
#[utoipa::path(put, path = "/api/v1/me/display", tag = "auth", request_body = Display,
    responses((status = 200, body = Display), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn put_display(
    State(state): State<AppState>,
    who: Principal,
    Body(d): Body<Display>,
) -> Result<Json<Display>, ApiError> {
    let id = account(&who)?;
    if !SCALES.contains(&d.font_scale) {
        return Err(ApiError::invalid(
            "font_scale",
            format!("one of {SCALES:?} (percent of the normal size)"),
        ));
    }
    if !state.store.set_font_scale(id, d.font_scale).await? {
        return Err(ApiError::NotFound("the account is gone".into()));
    }
    Ok(Json(d))
}
