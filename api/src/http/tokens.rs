//! API tokens for machines, managed by admins in the page (`/api/v1/tokens`): listed with
//! their last use, made (the token shown once; only its SHA-256 is stored) and revoked.

use crate::AppState;
use crate::auth::{Principal, generate_token, hash_token};
use crate::error::{ApiError, Body, Path};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{CentreId, LawyerId, StationId};
use zhiban_store::{NewToken, Tie, TokenListing, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// A token as admins see it (never the token or its hash).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenRow {
    /// Id.
    id: i64,
    /// Role.
    role: TokenRole,
    /// Centre (coordinator, finance, station).
    centre_id: Option<CentreId>,
    /// Lawyer (lawyer tokens).
    lawyer_id: Option<LawyerId>,
    /// Station (station displays).
    station_id: Option<StationId>,
    /// Whose it is.
    label: String,
    /// Made at (UTC).
    created_at: DateTime<Utc>,
    /// Last used (UTC, to five minutes).
    last_used_at: Option<DateTime<Utc>>,
    /// Revoked at (UTC).
    revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenListing> for TokenRow {
    fn from(l: TokenListing) -> Self {
        let t = l.token;
        TokenRow {
            id: t.id,
            role: t.role,
            centre_id: t.centre_id,
            lawyer_id: t.lawyer_id,
            station_id: t.station_id,
            label: t.label,
            created_at: t.created_at,
            last_used_at: l.last_used_at,
            revoked_at: l.revoked_at,
        }
    }
}

/// Every token, live ones first (admins).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenRow>), (status = 403, body = crate::error::Problem)))]
async fn list_tokens(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<TokenRow>>, ApiError> {
    who.require_role(&[TokenRole::Admin])?;
    let list = state.store.list_tokens().await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateToken {
    /// admin, coordinator, finance, lawyer or station.
    role: TokenRole,
    /// The centre of a coordinator or finance token.
    centre_id: Option<CentreId>,
    /// The lawyer of a lawyer token.
    lawyer_id: Option<LawyerId>,
    /// The station of a station display's token.
    station_id: Option<StationId>,
    /// Whose it is (1 to 100 characters).
    label: String,
}

/// A token just made: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IssuedTokenOut {
    /// Its id (to revoke it).
    id: i64,
    /// The token: keep it safe, it is not shown again.
    token: String,
}

/// Makes a token for a machine or a station display (admins); the token is shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, body = IssuedTokenOut), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<CreateToken>,
) -> Result<(StatusCode, Json<IssuedTokenOut>), ApiError> {
    who.require_role(&[TokenRole::Admin])?;
    let label = zhiban_domain::account::check_display_name(&req.label)
        .map_err(|m| ApiError::field("label", m))?;
    let ds = state.caches.dataset(&*state.store, &who.revisions).await?;
    if matches!(req.role, TokenRole::Director | TokenRole::FirmAdmin) {
        return Err(ApiError::field(
            "role",
            "a director or firm administrator is a person: make an account",
        ));
    }
    let given: Vec<Tie> = [
        (req.centre_id.is_some(), Tie::Centres),
        (req.lawyer_id.is_some(), Tie::Lawyer),
        (req.station_id.is_some(), Tie::Station),
    ]
    .into_iter()
    .filter_map(|(present, t)| present.then_some(t))
    .collect();
    req.role.check_ties(&given).map_err(|e| {
        let field = match e.tie {
            Tie::Centres => "centre_id",
            Tie::Lawyer => "lawyer_id",
            Tie::Station => "station_id",
            Tie::Firm => "role",
        };
        ApiError::field(field, e.message(req.role, "token"))
    })?;
    let mut centre = req.centre_id.clone();
    if let Some(st) = &req.station_id {
        let found = ds.stations.iter().find(|s| &s.id == st);
        centre = Some(
            found
                .ok_or_else(|| ApiError::field("station_id", format!("no station {st}")))?
                .centre_id
                .clone(),
        );
    }
    if let Some(c) = &req.centre_id
        && !ds.centres.iter().any(|x| &x.id == c)
    {
        return Err(ApiError::field("centre_id", format!("no centre {c}")));
    }
    if let Some(l) = &req.lawyer_id
        && ds.lawyer(l).is_none()
    {
        return Err(ApiError::field("lawyer_id", format!("no lawyer {l}")));
    }
    let token = generate_token().map_err(ApiError::Internal)?;
    let audit = who.audit(
        centre.as_ref(),
        "token.create",
        String::new(),
        serde_json::json!({"role": req.role.code(), "label": label}),
    );
    let rec = state
        .store
        .create_token(
            &NewToken {
                hash: hash_token(&token),
                role: req.role,
                centre_id: centre,
                lawyer_id: req.lawyer_id,
                station_id: req.station_id,
                label,
            },
            &audit,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenOut { id: rec.id, token }),
    ))
}

/// Revokes a token (admins): its holder gets 401 at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "token id")),
    responses((status = 204), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn revoke_token(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    who.require_role(&[TokenRole::Admin])?;
    let audit = who.audit(
        None,
        "token.revoke",
        format!("token/{id}"),
        serde_json::json!({}),
    );
    if state.store.revoke_token(id, &audit).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("live token", id))
    }
}
