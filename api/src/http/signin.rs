//! Signing in and out: invitation codes, passwords, sessions (`/api/v1/auth/*`), and a
//! person's own account (`/api/v1/me/*`).
//!
//! A wrong password and an unknown login name get the same 401 after the same argon2 work.
//! After [`LOCKOUT_FAILURES`] failures for a name within 15 minutes, or [`IP_LOCKOUT_FAILURES`]
//! from one address, attempts wait a doubling delay (429), counted in the database so that
//! every process agrees.

use crate::AppState;
use crate::accounts::new_session_secrets;
use crate::auth::{ClientIp, Principal, hash_token};
use crate::error::{ApiError, Body, Path};
use crate::http::users::UserOut;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::account::{
    AccountState, Failures, IP_LOCKOUT_FAILURES, LOCKOUT_FAILURES, after_failure, check_password,
    lockout_until, lockout_window_start, normalize_code, normalize_login,
};
use zhiban_store::{Audit, NewSession};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(activate))
        .routes(routes!(change_password))
        .routes(routes!(my_sessions))
        .routes(routes!(end_my_session))
}

/// A sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    /// Login name (mobile or licence number for a lawyer).
    login: String,
    /// Password.
    password: String,
}

/// A signed-in session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SignedIn {
    /// The account.
    user: UserOut,
    /// Send it back in the `X-CSRF-Token` header with every change.
    csrf_token: String,
    /// When the session ends at the latest (UTC).
    expires_at: chrono::DateTime<chrono::Utc>,
}

fn audit(actor: &str, action: &str, target: String, detail: serde_json::Value) -> Audit {
    Audit {
        actor: actor.into(),
        centre_id: None,
        action: action.into(),
        target,
        detail,
    }
}

/// What failed code attempts are recorded under (no login name can be it: `#` is not
/// allowed in one).
const CODE_ATTEMPT: &str = "#code";

/// 429 while a name (if given) or an address waits out its delay; otherwise the failures
/// counted for the name and the address.
async fn check_lockout(
    state: &AppState,
    login: Option<&str>,
    ip: &str,
) -> Result<(Failures, Failures), ApiError> {
    let now = state.now();
    let (by_login, by_ip) = state
        .store
        .login_failures(login.unwrap_or(CODE_ATTEMPT), ip, lockout_window_start(now))
        .await?;
    if (login.is_some() && lockout_until(by_login, LOCKOUT_FAILURES, now).is_some())
        || lockout_until(by_ip, IP_LOCKOUT_FAILURES, now).is_some()
    {
        return Err(ApiError::TooManyRequests);
    }
    Ok((by_login, by_ip))
}

/// The audit entries of a lockout that one more failure at `now` starts: for the login
/// name and for the client address, each only when the failure reaches its threshold.
fn lockouts(
    login: Option<&str>,
    ip: &str,
    (by_login, by_ip): (Failures, Failures),
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Audit> {
    let mut out = vec![];
    let by_name = login.map(|l| ("login", by_login, LOCKOUT_FAILURES, format!("login/{l}")));
    let by_address = Some(("ip", by_ip, IP_LOCKOUT_FAILURES, format!("ip/{ip}")));
    for (what, f, threshold, target) in [by_name, by_address].into_iter().flatten() {
        let f = after_failure(f, now);
        if let Some(until) = lockout_until(f, threshold, now) {
            out.push(audit(
                &format!("anonymous@{ip}"),
                "auth.lockout",
                target,
                serde_json::json!({"by": what, "failures": f.count, "until": until}),
            ));
        }
    }
    out
}

/// Signs in with a login name and password: sets the session cookie and returns the CSRF
/// token. 401 for a wrong pair (or an account not active), 429 while attempts must wait.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = SignedIn), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Body(req): Body<Login>,
) -> Result<Response, ApiError> {
    // A name that cannot exist is still counted, under what was typed (bounded).
    let login = normalize_login(&req.login).unwrap_or_else(|_| {
        req.login
            .chars()
            .take(64)
            .collect::<String>()
            .to_lowercase()
    });
    if req.password.chars().count() > zhiban_domain::account::MAX_PASSWORD_CHARS {
        return Err(ApiError::field("password", "at most 128 characters"));
    }
    let failures = check_lockout(&state, Some(&login), &ip).await?;
    let user = state.store.user_by_login(&login).await?;
    let stored = user
        .as_ref()
        .filter(|u| u.state == AccountState::Active)
        .and_then(|u| u.password_hash.as_deref());
    let ok = state.accounts.verify_password(&req.password, stored).await;
    let now = state.now();
    let user = match (ok, user) {
        (true, Some(u)) => {
            state
                .store
                .record_login_attempt(&login, &ip, true, now, &[])
                .await?;
            u
        }
        (_, u) => {
            let a = audit(
                &format!("anonymous@{ip}"),
                "auth.login_failed",
                format!("login/{login}"),
                serde_json::json!({"known": u.is_some()}),
            );
            let mut audits = vec![a];
            audits.extend(lockouts(Some(&login), &ip, failures, now));
            state
                .store
                .record_login_attempt(&login, &ip, false, now, &audits)
                .await?;
            return Err(ApiError::Unauthorized);
        }
    };
    let (token, token_hash, csrf, csrf_hash) = new_session_secrets().map_err(ApiError::Internal)?;
    let agent: String = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    let expires_at = now + state.accounts.absolute;
    let a = audit(
        &format!("user:{}#{}", user.login, user.id),
        "auth.login",
        format!("user/{}", user.id),
        serde_json::json!({"ip": ip}),
    );
    state
        .store
        .create_session(
            &NewSession {
                user_id: user.id,
                token_hash,
                csrf_hash,
                expires_at,
                ip,
                user_agent: agent,
            },
            now,
            &a,
        )
        .await?;
    let body = SignedIn {
        user: user.into(),
        csrf_token: csrf,
        expires_at,
    };
    Ok((
        [(header::SET_COOKIE, state.accounts.session_cookie(&token))],
        Json(body),
    )
        .into_response())
}

/// Signs out: ends this session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn logout(State(state): State<AppState>, who: Principal) -> Result<Response, ApiError> {
    if let Some(s) = &who.session {
        let a = who.audit(
            None,
            "auth.logout",
            format!("user/{}", s.1.id),
            serde_json::json!({}),
        );
        state.store.end_session(s.1.id, s.0.id, &a).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, state.accounts.clearing_cookie())],
    )
        .into_response())
}

/// An invitation or reset code with the password to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Activate {
    /// The one-time code, as printed (`ABCD-EFGH-JKMN`; case and dashes do not matter).
    code: String,
    /// The new password: at least 8 characters, not a common one.
    password: String,
}

/// Sets the password of an invited (or reset) account with its one-time code; the code is
/// used up. Then sign in. 404 for a code unknown, used or expired.
#[utoipa::path(post, path = "/api/v1/auth/activate", tag = "auth", request_body = Activate,
    responses((status = 200, body = UserOut), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn activate(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Body(req): Body<Activate>,
) -> Result<Json<UserOut>, ApiError> {
    // Guessing codes counts against the address like guessing passwords.
    let failures = check_lockout(&state, None, &ip).await?;
    let now = state.now();
    let guessed = lockouts(None, &ip, failures, now);
    let unknown = || ApiError::NotFound("no such code: it may be used or expired".into());
    let Some(code) = normalize_code(&req.code) else {
        state
            .store
            .record_login_attempt(CODE_ATTEMPT, &ip, false, now, &guessed)
            .await?;
        return Err(unknown());
    };
    let Some(user) = state.store.user_by_code(&hash_token(&code), now).await? else {
        state
            .store
            .record_login_attempt(CODE_ATTEMPT, &ip, false, now, &guessed)
            .await?;
        return Err(unknown());
    };
    check_password(&req.password, &user.login)
        .map_err(|e| ApiError::field("password", e.to_string()))?;
    let hash = state
        .accounts
        .hash_password(&req.password)
        .await
        .map_err(ApiError::Internal)?;
    let a = audit(
        &format!("user:{}#{}", user.login, user.id),
        "auth.activate",
        format!("user/{}", user.id),
        serde_json::json!({}),
    );
    let user = state
        .store
        .activate_user(&hash_token(&code), &hash, now, &a)
        .await?
        .ok_or_else(unknown)?;
    Ok(Json(user.into()))
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangePassword {
    /// The password now.
    current: String,
    /// The new one.
    new: String,
}

/// Changes the signed-in person's password; every session of theirs ends (sign in again).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
async fn change_password(
    State(state): State<AppState>,
    who: Principal,
    Body(req): Body<ChangePassword>,
) -> Result<Response, ApiError> {
    let user = who
        .user()
        .ok_or_else(|| ApiError::Forbidden("only a signed-in person has a password".into()))?;
    if req.current.chars().count() > zhiban_domain::account::MAX_PASSWORD_CHARS
        || !state
            .accounts
            .verify_password(&req.current, user.password_hash.as_deref())
            .await
    {
        return Err(ApiError::field("current", "the current password is wrong"));
    }
    check_password(&req.new, &user.login).map_err(|e| ApiError::field("new", e.to_string()))?;
    let hash = state
        .accounts
        .hash_password(&req.new)
        .await
        .map_err(ApiError::Internal)?;
    let a = who.audit(
        None,
        "auth.password_change",
        format!("user/{}", user.id),
        serde_json::json!({}),
    );
    state.store.set_password(user.id, &hash, &a).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, state.accounts.clearing_cookie())],
    )
        .into_response())
}

/// One of a person's sessions.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionOut {
    /// Id (to end it).
    id: i64,
    /// Signed in at (UTC).
    created_at: chrono::DateTime<chrono::Utc>,
    /// Last used (UTC, to the minute).
    last_seen_at: chrono::DateTime<chrono::Utc>,
    /// Ends at the latest (UTC).
    expires_at: chrono::DateTime<chrono::Utc>,
    /// Address at sign-in.
    ip: String,
    /// Browser at sign-in.
    user_agent: String,
    /// The session this request comes from.
    current: bool,
}

/// The signed-in person's live sessions, newest first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth",
    responses((status = 200, body = Vec<SessionOut>), (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn my_sessions(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<SessionOut>>, ApiError> {
    let Some(s) = &who.session else {
        return Err(ApiError::Forbidden(
            "only a signed-in person has sessions".into(),
        ));
    };
    let list = state.store.list_sessions(s.1.id, state.now()).await?;
    Ok(Json(
        list.into_iter()
            .map(|x| SessionOut::of(x, s.0.id))
            .collect(),
    ))
}

impl SessionOut {
    /// A session as its owner sees it; `current` is the one asking.
    pub(crate) fn of(x: zhiban_store::SessionRecord, current: i64) -> Self {
        SessionOut {
            current: x.id == current,
            id: x.id,
            created_at: x.created_at,
            last_seen_at: x.last_seen_at,
            expires_at: x.expires_at,
            ip: x.ip,
            user_agent: x.user_agent,
        }
    }
}

/// Ends one of the signed-in person's sessions (another browser, a lost phone).
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "auth",
    params(("id" = i64, Path, description = "session id")),
    responses((status = 204), (status = 401, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn end_my_session(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let Some(s) = &who.session else {
        return Err(ApiError::Forbidden(
            "only a signed-in person has sessions".into(),
        ));
    };
    let a = who.audit(
        None,
        "auth.session_end",
        format!("session/{id}"),
        serde_json::json!({}),
    );
    if state.store.end_session(s.1.id, id, &a).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("session", id))
    }
}
