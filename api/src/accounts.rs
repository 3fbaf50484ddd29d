//! Sign-in for people: argon2id passwords, one-time codes, session cookies and CSRF tokens.
//!
//! - Passwords are hashed with argon2id (RustCrypto `argon2`, its default parameters: 19 MiB,
//!   two passes) on a blocking thread, at most [`MAX_CONCURRENT_HASHES`] at once, so a flood
//!   of logins queues instead of exhausting memory.
//! - An unknown login name is checked against a dummy hash, so it takes as long as a wrong
//!   password and gets the same answer.
//! - A session is 32 random bytes in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` unless
//!   served as plain HTTP on loopback); the database keeps its SHA-256, and the SHA-256 of
//!   its CSRF token, which the page sends back in `X-CSRF-Token` on every change.

use crate::auth::{generate_token, hash_token};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::HeaderMap;
use chrono::Duration;
use std::sync::Arc;
use tokio::sync::Semaphore;
use zhiban_domain::account::{CODE_CHARS, DEFAULT_CODE_DAYS, code_from_bytes, format_code};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "zb_session";
/// The header carrying a session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Password hashes computed at once; more wait their turn.
pub const MAX_CONCURRENT_HASHES: usize = 4;

/// How accounts and sessions behave.
#[derive(Debug)]
pub struct Accounts {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, however used.
    pub absolute: Duration,
    /// Days an invitation or reset code stays valid.
    pub code_days: i64,
    /// Mark the cookie `Secure` (everywhere except plain HTTP on loopback).
    pub secure_cookie: bool,
    hashing: Arc<Semaphore>,
    dummy_hash: String,
}

impl Default for Accounts {
    fn default() -> Self {
        Self::new(Duration::hours(12), Duration::days(7), true)
    }
}

impl Accounts {
    /// Sessions with these timeouts; codes valid for [`DEFAULT_CODE_DAYS`] days.
    pub fn new(idle: Duration, absolute: Duration, secure_cookie: bool) -> Self {
        let dummy_hash = hash_with_salt("dummy password never used", &[7u8; 16])
            .expect("argon2 hashes a fixed input");
        Self {
            idle,
            absolute,
            code_days: DEFAULT_CODE_DAYS,
            secure_cookie,
            hashing: Arc::new(Semaphore::new(MAX_CONCURRENT_HASHES)),
            dummy_hash,
        }
    }

    /// The argon2id hash of a password (PHC string).
    pub async fn hash_password(&self, password: &str) -> anyhow::Result<String> {
        let _permit = self.hashing.acquire().await?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            hash_with_salt(&password, &salt)
        })
        .await?
    }

    /// Whether `password` matches `stored`; with no stored hash (an unknown login name, an
    /// account without a password) a dummy hash is checked, to take the same time, and the
    /// answer is no.
    pub async fn verify_password(&self, password: &str, stored: Option<&str>) -> bool {
        let Ok(_permit) = self.hashing.acquire().await else {
            return false;
        };
        let real = stored.is_some();
        let hash = stored.unwrap_or(&self.dummy_hash).to_string();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|h| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
            && real
    }

    /// The `Set-Cookie` value starting a session.
    pub fn session_cookie(&self, token: &str) -> String {
        format!(
            "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{}",
            self.absolute.num_seconds(),
            if self.secure_cookie { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value ending a session in the browser.
    pub fn clearing_cookie(&self) -> String {
        format!(
            "{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{}",
            if self.secure_cookie { "; Secure" } else { "" }
        )
    }
}

fn hash_with_salt(password: &str, salt: &[u8]) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string())
}

/// A new one-time code, as shown (`ABCD-EFGH-JKMN`), and the hash the store keeps of its
/// normalised form.
pub fn new_code() -> anyhow::Result<(String, String)> {
    let mut bytes = [0u8; CODE_CHARS];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let code = code_from_bytes(&bytes);
    Ok((format_code(&code), hash_token(&code)))
}

/// A new session token and CSRF token, with their hashes: `(token, token_hash, csrf,
/// csrf_hash)`.
pub fn new_session_secrets() -> anyhow::Result<(String, String, String, String)> {
    let token = generate_token()?;
    let csrf = generate_token()?;
    let (th, ch) = (hash_token(&token), hash_token(&csrf));
    Ok((token, th, csrf, ch))
}

/// The session token in a request's `Cookie` header, if any.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

/// Whether a cookie-authenticated request that changes state may proceed: it comes from the
/// page itself (`Sec-Fetch-Site` same-origin or none, and an `Origin`, when sent, naming
/// this host) and carries the session's CSRF token. Returns why not.
pub fn csrf_refusal(headers: &HeaderMap, csrf_hash: &str) -> Option<&'static str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Some("the request comes from another site");
    }
    if let Some(origin) = header("origin") {
        let host = header("host").unwrap_or("");
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .unwrap_or("");
        if origin_host.is_empty() || origin_host != host {
            return Some("the request's Origin is not this site");
        }
    }
    match header(CSRF_HEADER) {
        Some(t) if !t.is_empty() && t.len() <= 200 && hash_token(t) == csrf_hash => None,
        Some(_) => Some("the X-CSRF-Token header does not match this session"),
        None => Some("a change made with a session cookie needs the X-CSRF-Token header"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let a = Accounts::default();
        let h = a.hash_password("值班律师很辛苦啊").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(a.verify_password("值班律师很辛苦啊", Some(&h)).await);
        assert!(!a.verify_password("wrong password", Some(&h)).await);
        assert!(!a.verify_password("dummy password never used", None).await);
        assert!(!a.verify_password("x", Some("not a phc string")).await);
        assert_ne!(
            h,
            a.hash_password("值班律师很辛苦啊").await.unwrap(),
            "salted"
        );
    }

    #[test]
    fn codes_are_random_and_only_their_hash_is_kept() {
        let (shown, hash) = new_code().unwrap();
        let (other, _) = new_code().unwrap();
        assert_ne!(shown, other);
        let normal = zhiban_domain::account::normalize_code(&shown).unwrap();
        assert_eq!(hash_token(&normal), hash);
        assert!(!hash.contains(&normal));
    }

    #[test]
    fn the_session_cookie_is_httponly_lax_and_secure_unless_on_loopback() {
        let a = Accounts::default();
        let c = a.session_cookie("zb_x");
        assert!(c.starts_with("zb_session=zb_x; HttpOnly; SameSite=Lax; Path=/"));
        assert!(c.ends_with("; Secure"));
        let plain = Accounts::new(Duration::hours(1), Duration::hours(2), false);
        assert!(!plain.session_cookie("zb_x").contains("Secure"));
        assert!(plain.clearing_cookie().contains("Max-Age=0"));
        let mut h = HeaderMap::new();
        h.insert(
            "cookie",
            HeaderValue::from_static("a=b; zb_session=zb_t ; c=d"),
        );
        assert_eq!(session_token(&h), Some("zb_t"));
    }

    #[test]
    fn csrf_needs_the_token_and_the_same_origin() {
        let token = "zb_csrf";
        let hash = hash_token(token);
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("zhiban.example"));
        assert!(csrf_refusal(&h, &hash).is_some(), "no header");
        h.insert(CSRF_HEADER, HeaderValue::from_static("zb_other"));
        assert!(csrf_refusal(&h, &hash).is_some(), "wrong token");
        h.insert(CSRF_HEADER, HeaderValue::from_static("zb_csrf"));
        assert_eq!(csrf_refusal(&h, &hash), None);
        h.insert("origin", HeaderValue::from_static("https://evil.example"));
        assert!(csrf_refusal(&h, &hash).is_some(), "foreign origin");
        h.insert("origin", HeaderValue::from_static("https://zhiban.example"));
        assert_eq!(csrf_refusal(&h, &hash), None);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(csrf_refusal(&h, &hash).is_some(), "cross-site fetch");
    }
}
