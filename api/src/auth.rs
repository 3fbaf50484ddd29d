//! Bearer tokens and what each role may see.
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

/// Who is asking: the holder of a valid token.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's record.
    pub token: TokenRecord,
    /// The store's revisions when the token was checked (handlers reuse them for the cached
    /// panel instead of reading them again).
    pub revisions: zhiban_store::Revisions,
}

impl Principal {
    /// The role.
    pub fn role(&self) -> TokenRole {
        self.token.role
    }

    /// `role:label#id`, as written in the audit log (never the token).
    pub fn actor(&self) -> String {
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

    /// Whether this token may see the centre's data.
    pub fn sees_centre(&self, centre: &CentreId) -> bool {
        match self.token.role {
            TokenRole::Admin => true,
            TokenRole::Coordinator | TokenRole::Finance => {
                self.token.centre_id.as_ref() == Some(centre)
            }
            TokenRole::Lawyer | TokenRole::Station => false,
        }
    }

    /// The centres this token is limited to (None: all).
    pub fn centre_scope(&self) -> Option<Vec<CentreId>> {
        match self.token.role {
            TokenRole::Admin => None,
            _ => Some(self.token.centre_id.iter().cloned().collect()),
        }
    }

    /// 404 unless the token may see the centre; `what` names the thing asked for.
    pub fn require_centre(&self, centre: &CentreId, what: &str) -> Result<(), ApiError> {
        if self.sees_centre(centre) {
            Ok(())
        } else {
            Err(ApiError::NotFound(format!("no {what}")))
        }
    }

    /// 403 unless the role is one of `roles`.
    pub fn require_role(&self, roles: &[TokenRole]) -> Result<(), ApiError> {
        if roles.contains(&self.token.role) {
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
        Some(token) => Ok((token, revisions)),
        None => Err(refuse(state)),
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    /// A person's or script's token; a station display's token is refused here (it may only
    /// read its station's code, through [`StationDevice`]).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, revisions) = token_of(parts, state).await?;
        if token.role == TokenRole::Station {
            return Err(ApiError::Forbidden(
                "a station display token only shows its station's check-in code".into(),
            ));
        }
        Ok(Principal { token, revisions })
    }
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

    /// No `Authorization` header: `None`; a header with a wrong token is still refused.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        if parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
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
