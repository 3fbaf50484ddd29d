//! People's accounts (`/api/v1/users`): made by admins and coordinators, one at a time or
//! for every lawyer of a panel without one, each with a one-time invitation code; reset
//! (a new code, every session ended), locked, unlocked and disabled.
//!
//! An admin manages every account. A coordinator manages the lawyers, firm administrators,
//! coordinators and finance officers of their own centres, and never an admin or a director.

use crate::AppState;
use crate::account_shape::{Field, Refusal, change, check_names, check_role};
use crate::accounts::new_code;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path, Query};
use crate::pages::{PageOut, store_page};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::account::AccountState;
use zhiban_domain::{CentreId, Dataset, FirmId, LawyerId};
use zhiban_store::{NewUser, TokenRole, UserRecord};

/// Accounts made at once by one bulk request, at most.
pub(crate) const MAX_BULK: usize = 2_000;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(bulk_lawyers))
        .routes(routes!(reset_user))
        .routes(routes!(set_state))
        .routes(routes!(set_role))
}

/// An account as clients see it (never a password or code hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct UserOut {
    /// Id.
    id: i64,
    /// Login name.
    login: String,
    /// Name shown.
    display_name: String,
    /// Role.
    role: TokenRole,
    /// Invited, active, locked or disabled.
    state: AccountState,
    /// Centres (coordinator, finance, director).
    centres: Vec<CentreId>,
    /// Lawyer (lawyer accounts).
    lawyer_id: Option<LawyerId>,
    /// Firm (firm administrators).
    firm_id: Option<FirmId>,
    /// When the pending invitation or reset code expires.
    code_expires_at: Option<DateTime<Utc>>,
    /// When it was made.
    created_at: DateTime<Utc>,
}

impl From<UserRecord> for UserOut {
    fn from(u: UserRecord) -> Self {
        UserOut {
            id: u.id,
            login: u.login,
            display_name: u.display_name,
            role: u.role,
            state: u.state,
            centres: u.centres,
            lawyer_id: u.lawyer_id,
            firm_id: u.firm_id,
            code_expires_at: u.code_expires_at,
            created_at: u.created_at,
        }
    }
}

/// An account with its one-time code, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Invited {
    /// The account.
    #[serde(flatten)]
    user: UserOut,
    /// The one-time code to hand to the person (`ABCD-EFGH-JKMN`).
    invitation_code: String,
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUser {
    /// Login name: a lawyer's mobile or licence number, or a short name.
    login: String,
    /// Name shown (a lawyer's defaults to their name in the panel).
    display_name: Option<String>,
    /// admin, director, coordinator, finance, firm_admin or lawyer.
    role: TokenRole,
    /// Centres of a coordinator, finance officer or director.
    #[serde(default)]
    centres: Vec<CentreId>,
    /// The lawyer of a lawyer's account.
    lawyer_id: Option<LawyerId>,
    /// The firm of a firm administrator.
    firm_id: Option<FirmId>,
}

/// Checks that `who` may manage an account of `role` tied to these centres, lawyer or firm
/// (404 for what they may not see, 403 for roles they may not grant).
fn may_manage(
    who: &Principal,
    ds: &Dataset,
    role: TokenRole,
    centres: &[CentreId],
    lawyer: Option<&LawyerId>,
    firm: Option<&FirmId>,
) -> Result<(), ApiError> {
    match who.role() {
        TokenRole::Admin => return Ok(()),
        TokenRole::Coordinator => {}
        _ => who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?,
    }
    if matches!(
        role,
        TokenRole::Admin | TokenRole::Director | TokenRole::Station
    ) {
        return Err(ApiError::Forbidden(
            "only an admin makes admin and director accounts".into(),
        ));
    }
    for c in centres {
        who.require_centre(c, &format!("centre {c}"))?;
    }
    if let Some(l) = lawyer {
        let home = ds
            .lawyers
            .iter()
            .find(|x| &x.id == l)
            .map(|x| &x.home_centre_id);
        match home {
            Some(h) if who.sees_centre(h) => {}
            _ => return Err(ApiError::not_found("lawyer", l)),
        }
    }
    if let Some(f) = firm {
        // A firm administrator acts for every lawyer of the firm, wherever their panel: a
        // coordinator manages one only when all of them are on their centres' panels.
        let mut lawyers = ds.lawyers.iter().filter(|x| &x.firm_id == f);
        if !lawyers.clone().any(|x| who.sees_centre(&x.home_centre_id)) {
            return Err(ApiError::not_found("firm", f));
        }
        if !lawyers.all(|x| who.sees_centre(&x.home_centre_id)) {
            return Err(ApiError::Forbidden(format!(
                "firm {f} has lawyers on other centres' panels: only an admin manages its \
                 administrator"
            )));
        }
    }
    Ok(())
}

/// The API's name of an account field.
pub(crate) fn field_name(f: Field) -> &'static str {
    match f {
        Field::Login => "login",
        Field::DisplayName => "display_name",
        Field::Role => "role",
        Field::Centres => "centres",
        Field::Lawyer => "lawyer_id",
        Field::Firm => "firm_id",
    }
}

fn refused((f, m): Refusal) -> ApiError {
    ApiError::field(field_name(f), m)
}

/// Validates a new account against the panel: the fields its role needs, and only those.
fn new_user(who: &Principal, ds: &Dataset, req: CreateUser) -> Result<NewUser, ApiError> {
    let ties = change(req.role, req.centres, req.lawyer_id, req.firm_id);
    // Reach first: a lawyer, firm or centre out of it answers 404 whether or not it exists.
    may_manage(
        who,
        ds,
        ties.role,
        &ties.centres,
        ties.lawyer_id.as_ref(),
        ties.firm_id.as_ref(),
    )?;
    let (login, display_name) =
        check_names(ds, &req.login, req.display_name, &ties).map_err(refused)?;
    Ok(NewUser {
        login,
        display_name,
        role: ties.role,
        centres: ties.centres,
        lawyer_id: ties.lawyer_id,
        firm_id: ties.firm_id,
        code_hash: String::new(),
        code_expires_at: Utc::now(),
        created_by: who.actor(),
    })
}

/// Stores `u` with a fresh code; the account and the code.
async fn invite(
    state: &AppState,
    who: &Principal,
    ds: &Dataset,
    mut u: NewUser,
) -> Result<Invited, ApiError> {
    let (code, hash) = new_code().map_err(ApiError::Internal)?;
    u.code_hash = hash;
    u.code_expires_at = state.now() + Duration::days(state.accounts.code_days);
    let filed = audit_centre(ds, &u.centres, u.lawyer_id.as_ref(), u.firm_id.as_ref());
    let a = who.audit(
        filed.as_ref(),
        "user.invite",
        format!("user/{}", u.login),
        serde_json::json!({"login": u.login, "role": u.role.code(), "centres": u.centres,
            "lawyer_id": u.lawyer_id, "firm_id": u.firm_id}),
    );
    let user = state.store.create_user(&u, &a).await?;
    Ok(Invited {
        user: user.into(),
        invitation_code: code,
    })
}

/// Makes an account and its one-time invitation code (shown once, valid 7 days).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = Invited), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)))]
async fn create_user(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<CreateUser>,
) -> Result<(StatusCode, Json<Invited>), ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    let ds = state.caches.dataset(&*state.store, &who.revisions).await?;
    let u = new_user(&who, &ds, req)?;
    Ok((
        StatusCode::CREATED,
        Json(invite(&state, &who, &ds, u).await?),
    ))
}

/// Paging of accounts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserFilter {
    /// Page size (1 to 500, default 100).
    limit: Option<u32>,
    /// Items to skip.
    offset: Option<u64>,
}

/// Accounts the caller manages, by login name.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserFilter),
    responses((status = 200, body = PageOut<UserOut>), (status = 403, body = crate::error::Problem)))]
async fn list_users(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<UserFilter>,
) -> Result<Json<PageOut<UserOut>>, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    if who.role() == TokenRole::Director {
        return Err(ApiError::Forbidden(
            "accounts are managed by admins and coordinators; their login names are often \
             mobile numbers"
                .into(),
        ));
    }
    let page = store_page(q.limit, q.offset)?;
    let scope = who.centre_scope();
    let r = state.store.list_users(scope.as_deref(), page).await?;
    Ok(PageOut::of(r, page))
}

/// Which lawyers get accounts at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BulkLawyers {
    /// Lawyers of this centre (one of the caller's).
    centre_id: CentreId,
    /// Each lawyer's login name: `phone` (mobile number) or `licence` (their code).
    login_from: LoginFrom,
}

/// What a lawyer's login name is made from.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LoginFrom {
    /// The mobile number in the panel.
    Phone,
    /// The lawyer's code (licence number) in the panel.
    Licence,
}

/// Accounts made for a panel, each with its code; and lawyers skipped, with why.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BulkResult {
    /// Made.
    created: Vec<Invited>,
    /// Not made (no usable phone number, a login name taken), with the reason.
    skipped: Vec<Skipped>,
}

/// A lawyer left without an account by a bulk request.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Skipped {
    /// Lawyer.
    lawyer_id: LawyerId,
    /// Why.
    reason: String,
}

/// Makes an account, with its code, for every lawyer of a centre who has none.
#[utoipa::path(post, path = "/api/v1/users/lawyers", tag = "users", request_body = BulkLawyers,
    responses((status = 200, body = BulkResult), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
async fn bulk_lawyers(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<BulkLawyers>,
) -> Result<Json<BulkResult>, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    who.require_centre(&req.centre_id, &format!("centre {}", req.centre_id))?;
    let ds = state.caches.dataset(&*state.store, &who.revisions).await?;
    let without = state
        .store
        .lawyers_without_account(Some(std::slice::from_ref(&req.centre_id)))
        .await?;
    if without.len() > MAX_BULK {
        return Err(ApiError::field(
            "centre_id",
            format!("{} lawyers at once; at most {MAX_BULK}", without.len()),
        ));
    }
    let mut out = BulkResult {
        created: vec![],
        skipped: vec![],
    };
    for id in without {
        let Some(l) = ds.lawyers.iter().find(|x| x.id == id) else {
            continue;
        };
        let raw = match req.login_from {
            LoginFrom::Phone => l.phone.trim().to_string(),
            LoginFrom::Licence => l.id.to_string(),
        };
        let made = CreateUser {
            login: raw,
            display_name: None,
            role: TokenRole::Lawyer,
            centres: vec![],
            lawyer_id: Some(id.clone()),
            firm_id: None,
        };
        let result = match new_user(&who, &ds, made) {
            Ok(u) => invite(&state, &who, &ds, u).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(i) => out.created.push(i),
            Err(e @ (ApiError::BadRequest { .. } | ApiError::Conflict(_))) => {
                out.skipped.push(Skipped {
                    lawyer_id: id,
                    reason: e.to_string(),
                })
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Json(out))
}

async fn managed(state: &AppState, who: &Principal, id: i64) -> Result<UserRecord, ApiError> {
    who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
    let u = state
        .store
        .get_user(id)
        .await?
        .ok_or_else(|| ApiError::not_found("account", id))?;
    let ds = state.caches.dataset(&*state.store, &who.revisions).await?;
    may_manage(
        who,
        &ds,
        u.role,
        &u.centres,
        u.lawyer_id.as_ref(),
        u.firm_id.as_ref(),
    )
    .map_err(|e| match e {
        ApiError::Forbidden(_) => ApiError::not_found("account", id),
        other => other,
    })?;
    if u.role == TokenRole::Admin && who.role() != TokenRole::Admin {
        return Err(ApiError::not_found("account", id));
    }
    Ok(u)
}

/// A new one-time code for an account in place of its password: the person sets a new
/// password with it; every session of theirs ends now.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset", tag = "users",
    params(("id" = i64, Path, description = "account id")),
    responses((status = 200, body = Invited), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn reset_user(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<Invited>, ApiError> {
    let u = managed(&state, &who, id).await?;
    let (code, hash) = new_code().map_err(ApiError::Internal)?;
    let expires = state.now() + Duration::days(state.accounts.code_days);
    let ds = state.caches.dataset(&*state.store, &who.revisions).await?;
    let a = who.audit(
        centre_of_account(&ds, &u).as_ref(),
        "user.reset",
        format!("user/{id}"),
        serde_json::json!({"login": u.login}),
    );
    let user = state.store.reset_user(id, &hash, expires, &a).await?;
    Ok(Json(Invited {
        user: user.into(),
        invitation_code: code,
    }))
}

/// A change of an account's state.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetState {
    /// `active` (unlock), `locked` or `disabled`.
    state: AccountState,
}

/// Locks, unlocks or disables an account (locking and disabling end its sessions).
#[utoipa::path(post, path = "/api/v1/users/{id}/state", tag = "users", request_body = SetState,
    params(("id" = i64, Path, description = "account id")),
    responses((status = 200, body = UserOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn set_state(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(req): Body<SetState>,
) -> Result<Json<UserOut>, ApiError> {
    let u = managed(&state, &who, id).await?;
    if who.user().is_some_and(|me| me.id == id) {
        return Err(ApiError::Conflict(
            "one cannot lock or disable oneself".into(),
        ));
    }
    let ds = state.caches.dataset(&*state.store, &who.revisions).await?;
    let a = who.audit(
        centre_of_account(&ds, &u).as_ref(),
        "user.state",
        format!("user/{id}"),
        serde_json::json!({"login": u.login, "from": u.state.code(), "to": req.state.code()}),
    );
    Ok(Json(
        state.store.set_user_state(id, req.state, &a).await?.into(),
    ))
}

/// An account's new role and ties.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetRole {
    /// admin, director, coordinator, finance, firm_admin or lawyer.
    role: TokenRole,
    /// Centres of a coordinator, finance officer or director.
    #[serde(default)]
    centres: Vec<CentreId>,
    /// The lawyer of a lawyer's account.
    lawyer_id: Option<LawyerId>,
    /// The firm of a firm administrator.
    firm_id: Option<FirmId>,
}

/// Changes an account's role and what it is tied to (audited with the old and the new).
/// A coordinator changes only accounts they manage, into roles they may grant; nobody
/// changes their own. The new role holds from the person's next request.
#[utoipa::path(put, path = "/api/v1/users/{id}/role", tag = "users", request_body = SetRole,
    params(("id" = i64, Path, description = "account id")),
    responses((status = 200, body = UserOut), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)))]
async fn set_role(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Body(req): Body<SetRole>,
) -> Result<Json<UserOut>, ApiError> {
    let u = managed(&state, &who, id).await?;
    if who.user().is_some_and(|me| me.id == id) {
        return Err(ApiError::Conflict(
            "one cannot change one's own role".into(),
        ));
    }
    let ds = state.caches.dataset(&*state.store, &who.revisions).await?;
    let c = change(req.role, req.centres, req.lawyer_id, req.firm_id);
    may_manage(
        &who,
        &ds,
        c.role,
        &c.centres,
        c.lawyer_id.as_ref(),
        c.firm_id.as_ref(),
    )?;
    check_role(&ds, &c).map_err(refused)?;
    let filed = audit_centre(&ds, &c.centres, c.lawyer_id.as_ref(), c.firm_id.as_ref())
        .or_else(|| centre_of_account(&ds, &u));
    let a = who.audit(
        filed.as_ref(),
        "user.role",
        format!("user/{id}"),
        serde_json::json!({"login": u.login,
            "from": {"role": u.role.code(), "centres": u.centres, "lawyer_id": u.lawyer_id,
                "firm_id": u.firm_id},
            "to": {"role": c.role.code(), "centres": c.centres, "lawyer_id": c.lawyer_id,
                "firm_id": c.firm_id}}),
    );
    Ok(Json(state.store.set_user_role(id, &c, &a).await?.into()))
}

/// The centre an account change is filed under, so that the coordinators of the centre see
/// it in their log: the account's first centre, else its lawyer's home centre, else its
/// firm's centre.
fn audit_centre(
    ds: &Dataset,
    centres: &[CentreId],
    lawyer: Option<&LawyerId>,
    firm: Option<&FirmId>,
) -> Option<CentreId> {
    centres
        .first()
        .cloned()
        .or_else(|| {
            lawyer
                .and_then(|l| ds.lawyer(l))
                .map(|l| l.home_centre_id.clone())
        })
        .or_else(|| {
            firm.and_then(|f| ds.firms.iter().find(|x| &x.id == f))
                .map(|f| f.centre_id.clone())
        })
}

/// [`audit_centre`] of an account as it stands.
fn centre_of_account(ds: &Dataset, u: &UserRecord) -> Option<CentreId> {
    audit_centre(ds, &u.centres, u.lawyer_id.as_ref(), u.firm_id.as_ref())
}
