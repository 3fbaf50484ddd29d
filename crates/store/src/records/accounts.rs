//! People's accounts, their sessions and sign-in attempts. Secrets never appear here in
//! the clear: a password is an argon2id PHC string, an invitation code, a session and its
//! CSRF token are SHA-256 hashes.

use super::TokenRole;
use chrono::{DateTime, Utc};
use zhiban_domain::account::AccountState;
use zhiban_domain::{CentreId, FirmId, LawyerId};

/// A person's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Row id.
    pub id: i64,
    /// Login name (normalised: lower case).
    pub login: String,
    /// Name shown.
    pub display_name: String,
    /// Role.
    pub role: TokenRole,
    /// Where it stands.
    pub state: AccountState,
    /// Centres of a coordinator, finance officer or director (a director's reach includes
    /// the centres below these).
    pub centres: Vec<CentreId>,
    /// The lawyer of a lawyer's account.
    pub lawyer_id: Option<LawyerId>,
    /// The firm of a firm administrator.
    pub firm_id: Option<FirmId>,
    /// The argon2id hash of the password, when one is set.
    pub password_hash: Option<String>,
    /// When the pending invitation or reset code expires, if one is pending.
    pub code_expires_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
}

/// An account to make, with its invitation code's hash.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name (normalised).
    pub login: String,
    /// Name shown.
    pub display_name: String,
    /// Role.
    pub role: TokenRole,
    /// Centres (coordinator, finance, director).
    pub centres: Vec<CentreId>,
    /// Lawyer (lawyer accounts).
    pub lawyer_id: Option<LawyerId>,
    /// Firm (firm administrators).
    pub firm_id: Option<FirmId>,
    /// SHA-256 of the invitation code.
    pub code_hash: String,
    /// When the code expires.
    pub code_expires_at: DateTime<Utc>,
    /// Who makes it.
    pub created_by: String,
}

/// A browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Row id.
    pub id: i64,
    /// Whose.
    pub user_id: i64,
    /// SHA-256 of the session's CSRF token.
    pub csrf_hash: String,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends whatever happens.
    pub expires_at: DateTime<Utc>,
    /// The client's address at sign-in.
    pub ip: String,
    /// The browser, as it said at sign-in (at most 200 characters).
    pub user_agent: String,
}

/// A session to store.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Whose.
    pub user_id: i64,
    /// SHA-256 of the session token (the cookie's value).
    pub token_hash: String,
    /// SHA-256 of its CSRF token.
    pub csrf_hash: String,
    /// When it ends whatever happens.
    pub expires_at: DateTime<Utc>,
    /// The client's address.
    pub ip: String,
    /// The browser.
    pub user_agent: String,
}

/// An account's new role and what it is tied to.
#[derive(Debug, Clone)]
pub struct RoleChange {
    /// Role.
    pub role: TokenRole,
    /// Centres (coordinator, finance, director).
    pub centres: Vec<CentreId>,
    /// Lawyer (lawyer accounts).
    pub lawyer_id: Option<LawyerId>,
    /// Firm (firm administrators).
    pub firm_id: Option<FirmId>,
}

/// A sign-in attempt, as kept for a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAttempt {
    /// The client's address.
    pub ip: String,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Whether the password was right.
    pub ok: bool,
}
