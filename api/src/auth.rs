//! Bearer tokens, session cookies, and what each role may see.
//!
//! A token is 32 random bytes from the operating system, shown once as `zb_` + 64 hex
//! digits; the database keeps only its SHA-256, so a leaked database leaks no token, and a
//! lookup by hash reveals nothing through timing about any stored token. Roles: admin (all
//! centres), coordinator and finance (one centre), lawyer (one lawyer). Anything of a centre a
//! token may not see answers 404, as if it did not exist.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zhiban_domain::{CentreId, LawyerId};
use zhiban_store::{Audit, TokenRecord, TokenRole};

/// A new random token.
pub fn generate_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(format!("zb_{}", hex(&bytes)))
}

/// Hex SHA-256 of a token, as stored.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Failed-token attempts per client address, so guessing is slow.
#[derive(Debug)]
pub struct FailedAttempts {
    by_ip: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    limit: u32,
}

/// Failed attempts allowed per address per minute, by default.
pub const MAX_FAILED_PER_MINUTE: u32 = 20;

impl Default for FailedAttempts {
    fn default() -> Self {
        Self::with_limit(MAX_FAILED_PER_MINUTE)
    }
}

impl FailedAttempts {
    /// A limiter allowing `limit` failed attempts per address per minute.
    pub fn with_limit(limit: u32) -> Self {
        Self {
            by_ip: Mutex::default(),
            limit,
        }
    }

    fn blocked(&self, ip: IpAddr) -> bool {
        let Ok(map) = self.by_ip.lock() else {
            return false;
        };
        matches!(map.get(&ip), Some((since, n)) if since.elapsed() < Duration::from_secs(60) && *n >= self.limit)
    }

    fn record(&self, ip: IpAddr) {
        if let Ok(mut map) = self.by_ip.lock() {
            if map.len() > 100_000 {
                map.retain(|_, (since, _)| since.elapsed() < Duration::from_secs(60));
            }
            let e = map.entry(ip).or_insert((Instant::now(), 0));
            if e.0.elapsed() >= Duration::from_secs(60) {
                *e = (Instant::now(), 0);
            }
            e.1 += 1;
        }
    }
}

/// When this process last noted each token's use in the database: a token is noted at most
/// every five minutes, so that its requests cost no write.
#[derive(Debug, Default)]
pub struct TokenUses {
    noted: Mutex<HashMap<i64, Instant>>,
}

impl TokenUses {
    /// Whether a use of token `id` should be noted now (and remembers that it was).
    fn due(&self, id: i64) -> bool {
        let Ok(mut map) = self.noted.lock() else {
            return false;
        };
        if map.len() > 100_000 {
            map.clear();
        }
        match map.get(&id) {
            Some(t) if t.elapsed() < Duration::from_secs(300) => false,
            _ => {
                map.insert(id, Instant::now());
                true
            }
        }
    }
}

/// Who is asking: the holder of a valid token, or a person signed in with a session cookie.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's record; for a session, the account seen as one (its id is the
    /// account's, its label the person's name).
    pub token: TokenRecord,
    /// The centres this principal may see (`None`: all): a token's centre; an account's
    /// centres, with every centre below them for a director.
    pub centres: Option<Vec<CentreId>>,
    /// The signed-in account and its session, when authenticated by cookie.
    pub session: Option<Box<(zhiban_store::SessionRecord, zhiban_store::UserRecord)>>,
    /// The store's revisions when the token was checked (handlers reuse them for the cached
    /// panel instead of reading them again).
    pub revisions: zhiban_store::Revisions,
}

impl Principal {
    /// The role.
    pub fn role(&self) -> TokenRole {
        self.token.role
    }

    /// `role:label#id` for a token, `user:login#id` for a person, as written in the audit
    /// log (never a secret).
    pub fn actor(&self) -> String {
        if let Some(s) = &self.session {
            return format!("user:{}#{}", s.1.login, s.1.id);
        }
        format!(
            "{}:{}#{}",
            self.token.role.code(),
            self.token.label,
            self.token.id
        )
    }

    /// An audit entry by this principal.
    pub fn audit(
        &self,
        centre: Option<&CentreId>,
        action: &str,
        target: impl Into<String>,
        detail: serde_json::Value,
    ) -> Audit {
        Audit {
            actor: self.actor(),
            centre_id: centre.cloned(),
            action: action.into(),
            target: target.into(),
            detail,
        }
    }

    /// Whether this principal may see the centre's data.
    pub fn sees_centre(&self, centre: &CentreId) -> bool {
        match self.token.role {
            TokenRole::Admin => true,
            TokenRole::Coordinator | TokenRole::Finance | TokenRole::Director => {
                self.centres.as_ref().is_some_and(|cs| cs.contains(centre))
            }
            TokenRole::Lawyer | TokenRole::Station | TokenRole::FirmAdmin => false,
        }
    }

    /// The centres this principal is limited to (None: all).
    pub fn centre_scope(&self) -> Option<Vec<CentreId>> {
        match self.token.role {
            TokenRole::Admin => None,
            _ => Some(self.centres.clone().unwrap_or_default()),
        }
    }

    /// Whether lawyers' phone numbers are shown: to those who call lawyers about duties
    /// (admins, coordinators, a firm's administrator) and to a lawyer their own; not to
    /// finance officers or directors, whose work needs none.
    pub fn sees_phones(&self) -> bool {
        !matches!(
            self.token.role,
            TokenRole::Finance | TokenRole::Director | TokenRole::Station
        )
    }

    /// The signed-in account, for a session.
    pub fn user(&self) -> Option<&zhiban_store::UserRecord> {
        self.session.as_ref().map(|s| &s.1)
    }

    /// 404 unless the token may see the centre; `what` names the thing asked for.
    pub fn require_centre(&self, centre: &CentreId, what: &str) -> Result<(), ApiError> {
        if self.sees_centre(centre) {
            Ok(())
        } else {
            Err(ApiError::NotFound(format!("no {what}")))
        }
    }

    /// 403 unless the role is one of `roles`. A director passes wherever a coordinator or
    /// finance officer may read: the extractor refuses every change a director asks for.
    pub fn require_role(&self, roles: &[TokenRole]) -> Result<(), ApiError> {
        let reads_as_staff = self.token.role == TokenRole::Director
            && (roles.contains(&TokenRole::Coordinator) || roles.contains(&TokenRole::Finance));
        if roles.contains(&self.token.role) || reads_as_staff {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "a {} token may not do this; it needs one of: {}",
                self.token.role.code(),
                roles
                    .iter()
                    .map(|r| r.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }

    /// Staff of the centre who may change its rosters: its coordinators and admins (404 for
    /// other centres, 403 for other roles).
    pub fn require_coordinator_of(&self, centre: &CentreId, what: &str) -> Result<(), ApiError> {
        if self.token.role == TokenRole::Lawyer {
            return Err(ApiError::NotFound(format!("no {what}")));
        }
        self.require_centre(centre, what)?;
        self.require_role(&[TokenRole::Admin, TokenRole::Coordinator])
    }

    /// The lawyer behind a lawyer token.
    pub fn lawyer(&self) -> Option<&LawyerId> {
        match self.token.role {
            TokenRole::Lawyer => self.token.lawyer_id.as_ref(),
            _ => None,
        }
    }

    /// Whether this principal acts for lawyer `l`: the lawyer themselves, or the
    /// administrator of their firm (their availability, leave and swaps).
    pub fn acts_for(&self, ds: &zhiban_domain::Dataset, l: &LawyerId) -> bool {
        self.lawyer() == Some(l)
            || self
                .firm()
                .is_some_and(|f| ds.lawyer(l).is_some_and(|x| &x.firm_id == f))
    }

    /// Whether this principal acts for lawyers (a lawyer, a firm administrator) rather than
    /// for centres.
    pub fn for_lawyers(&self) -> bool {
        matches!(self.token.role, TokenRole::Lawyer | TokenRole::FirmAdmin)
    }

    /// The firm of a firm administrator (律所管理员), who acts for its lawyers.
    pub fn firm(&self) -> Option<&zhiban_domain::FirmId> {
        match self.token.role {
            TokenRole::FirmAdmin => self.user().and_then(|u| u.firm_id.as_ref()),
            _ => None,
        }
    }
}

/// The client's address: the peer's, or the one a trusted proxy forwarded for.
fn client_ip(parts: &Parts, state: &AppState) -> IpAddr {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    state.security.client_ip(peer, forwarded)
}

/// The live token a request carries, as of the revisions read to check it.
///
/// A valid token is always accepted, however many failures its address had: behind a
/// reverse proxy every user shares one address, and a flood of bad tokens must not lock
/// them out. Past the limit, a wrong token gets 429 instead of 401.
async fn token_of(
    parts: &Parts,
    state: &AppState,
) -> Result<(TokenRecord, zhiban_store::Revisions), ApiError> {
    let ip = client_ip(parts, state);
    let refuse = |state: &AppState| {
        if state.failed_attempts.blocked(ip) {
            ApiError::TooManyRequests
        } else {
            state.failed_attempts.record(ip);
            ApiError::Unauthorized
        }
    };
    let token = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 200) else {
        return Err(refuse(state));
    };
    let revisions = state.store.revisions().await?;
    match state
        .caches
        .token(&*state.store, &revisions, &hash_token(token))
        .await?
    {
        Some(token) => {
            // At most one write per token and process every five minutes; a failure to
            // note the use does not refuse the request.
            if state.token_uses.due(token.id)
                && let Err(e) = state.store.touch_token(token.id, state.now()).await
            {
                tracing::warn!(token = token.id, error = %e, "token use not noted");
            }
            Ok((token, revisions))
        }
        None => Err(refuse(state)),
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    /// A person's or script's token; a station display's token is refused here (it may only
    /// read its station's code, through [`StationDevice`]).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
            && crate::accounts::session_token(&parts.headers).is_some()
        {
            return session_of(parts, state).await;
        }
        let (token, revisions) = token_of(parts, state).await?;
        if token.role == TokenRole::Station {
            return Err(ApiError::Forbidden(
                "a station display token only shows its station's check-in code".into(),
            ));
        }
        let centres = match token.role {
            TokenRole::Admin => None,
            _ => Some(token.centre_id.iter().cloned().collect()),
        };
        Ok(Principal {
            token,
            centres,
            session: None,
            revisions,
        })
    }
}

/// The client's address (see [`crate::security::Security::client_ip`]), as text.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ClientIp(client_ip(parts, state).to_string()))
    }
}

/// The person a session cookie belongs to. A change (any method but GET, HEAD and OPTIONS)
/// must pass the CSRF check, and a director changes nothing but their own sign-in.
async fn session_of(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let ip = client_ip(parts, state);
    let token = crate::accounts::session_token(&parts.headers).unwrap_or_default();
    let now = state.now();
    let idle_since = now - state.accounts.idle;
    let revisions = state.store.revisions().await?;
    let Some((session, user)) = state
        .store
        .session_by_hash(&hash_token(token), now, idle_since)
        .await?
    else {
        return Err(if state.failed_attempts.blocked(ip) {
            ApiError::TooManyRequests
        } else {
            state.failed_attempts.record(ip);
            ApiError::Unauthorized
        });
    };
    let changes = !matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if changes {
        if let Some(why) = crate::accounts::csrf_refusal(&parts.headers, &session.csrf_hash) {
            return Err(ApiError::Forbidden(format!("CSRF check failed: {why}")));
        }
        let own = ["/api/v1/auth/", "/api/v1/me/"]
            .iter()
            .any(|p| parts.uri.path().starts_with(p));
        if user.role == TokenRole::Director && !own {
            return Err(ApiError::Forbidden(
                "a director's account reads every centre below it and changes nothing".into(),
            ));
        }
    }
    let centres = match user.role {
        TokenRole::Admin => None,
        TokenRole::Director => {
            let ds = state.caches.dataset(&*state.store, &revisions).await?;
            Some(zhiban_domain::centre::with_descendants(
                &ds.centres,
                &user.centres,
            ))
        }
        _ => Some(user.centres.clone()),
    };
    let token = TokenRecord {
        id: user.id,
        role: user.role,
        centre_id: user.centres.first().cloned(),
        lawyer_id: user.lawyer_id.clone(),
        station_id: None,
        label: user.display_name.clone(),
        created_at: user.created_at,
    };
    Ok(Principal {
        token,
        centres,
        session: Some(Box::new((session, user))),
        revisions,
    })
}

/// A station display: the holder of a station token, which can do nothing but show its
/// station's rotating check-in code.
#[derive(Debug, Clone)]
pub struct StationDevice {
    /// The station.
    pub station: zhiban_domain::StationId,
}

impl FromRequestParts<AppState> for StationDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, _) = token_of(parts, state).await?;
        match (token.role, token.station_id) {
            (TokenRole::Station, Some(station)) => Ok(StationDevice { station }),
            _ => Err(ApiError::Forbidden(
                "only a station display's token shows the station's code".into(),
            )),
        }
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    /// No `Authorization` header and no session cookie: `None`; a wrong token or session
    /// is still refused.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        if parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
            || crate::accounts::session_token(&parts.headers).is_some()
        {
            <Self as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_fixed_length() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("zb_") && a.len() == 67);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), hash_token(&b));
    }

    #[test]
    fn failed_attempts_block_after_the_limit() {
        let f = FailedAttempts::default();
        let ip = IpAddr::from([10, 0, 0, 1]);
        for _ in 0..MAX_FAILED_PER_MINUTE {
            assert!(!f.blocked(ip));
            f.record(ip);
        }
        assert!(f.blocked(ip));
        assert!(!f.blocked(IpAddr::from([10, 0, 0, 2])));
    }
}
