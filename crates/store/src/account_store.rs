//! The accounts aggregate: people's accounts, sessions, sign-in attempts, and the personal
//! data a person may download or that must be forgotten after a while.

use crate::StoreError;
use crate::records::*;
use async_trait::async_trait;
use zhiban_domain::{CentreId, LawyerId};

/// People's accounts: invitations, passwords, sessions and sign-in attempts. Every change of
/// an account and every session ended is written with its audit entry.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Makes an account with a pending invitation code; a conflict if the login name, or
    /// the lawyer, has one already.
    async fn create_user(&self, u: &NewUser, audit: &Audit) -> Result<UserRecord, StoreError>;

    /// An account by id.
    async fn get_user(&self, id: i64) -> Result<Option<UserRecord>, StoreError>;

    /// An account by login name (normalised).
    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Accounts, by login name: all of them, or those tied to these centres (staff of the
    /// centres, lawyers of their panels, administrators of firms with lawyers there).
    async fn list_users(
        &self,
        centres: Option<&[CentreId]>,
        page: Page,
    ) -> Result<Paged<UserRecord>, StoreError>;

    /// Lawyers of these centres (all, for `None`) who have no account yet.
    async fn lawyers_without_account(
        &self,
        centres: Option<&[CentreId]>,
    ) -> Result<Vec<LawyerId>, StoreError>;

    /// Gives an account a new one-time code in place of its password (a reset): the
    /// password is cleared, the account is invited again and every session of it ends.
    async fn reset_user(
        &self,
        id: i64,
        code_hash: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<UserRecord, StoreError>;

    /// Sets the password of the account whose unexpired code has this hash, consuming the
    /// code; `None` when no such code is pending.
    async fn activate_user(
        &self,
        code_hash: &str,
        password_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<Option<UserRecord>, StoreError>;

    /// Changes an active account's password and ends every session of it.
    async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        audit: &Audit,
    ) -> Result<(), StoreError>;

    /// Locks, unlocks (active) or disables an account; locking or disabling ends its
    /// sessions. A conflict for an invited account asked to become active.
    async fn set_user_state(
        &self,
        id: i64,
        state: zhiban_domain::account::AccountState,
        audit: &Audit,
    ) -> Result<UserRecord, StoreError>;

    /// Records a sign-in attempt (and forgets attempts older than a day), with its audit
    /// entries (a failed login, and the lockout it starts; a success is audited by its
    /// session).
    async fn record_login_attempt(
        &self,
        login: &str,
        ip: &str,
        ok: bool,
        at: chrono::DateTime<chrono::Utc>,
        audits: &[Audit],
    ) -> Result<(), StoreError>;

    /// The invited account holding this unexpired code.
    async fn user_by_code(
        &self,
        code_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<UserRecord>, StoreError>;

    /// Failed attempts since `since` for this login name, and from this address: counted
    /// since the last success of each.
    async fn login_failures(
        &self,
        login: &str,
        ip: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<
        (
            zhiban_domain::account::Failures,
            zhiban_domain::account::Failures,
        ),
        StoreError,
    >;

    /// Stores a new session.
    async fn create_session(
        &self,
        s: &NewSession,
        now: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<SessionRecord, StoreError>;

    /// The live session with this token hash and its active account, marking it used at
    /// `now`; `None` when there is none, it expired, it was idle since `idle_since`, or the
    /// account is not active.
    async fn session_by_hash(
        &self,
        hash: &str,
        now: chrono::DateTime<chrono::Utc>,
        idle_since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(SessionRecord, UserRecord)>, StoreError>;

    /// The live sessions of an account, newest first.
    async fn list_sessions(
        &self,
        user_id: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<SessionRecord>, StoreError>;

    /// Ends one session of an account; false if it has no such session.
    async fn end_session(
        &self,
        user_id: i64,
        session_id: i64,
        audit: &Audit,
    ) -> Result<bool, StoreError>;
    /// Changes an account's role and what it is tied to (centres, lawyer, firm); a conflict
    /// if the lawyer has another account. Its sessions stay: each request reads the account
    /// afresh, so the new role holds from the next one.
    async fn set_user_role(
        &self,
        id: i64,
        role: &RoleChange,
        audit: &Audit,
    ) -> Result<UserRecord, StoreError>;

    /// A lawyer's attendance records, newest first, at most `limit` (their own download).
    async fn lawyer_attendance(
        &self,
        lawyer: &LawyerId,
        limit: u32,
    ) -> Result<Vec<AttendanceRecord>, StoreError>;

    /// A lawyer's ledger entries, newest first, at most `limit` (their own download).
    async fn lawyer_ledger(
        &self,
        lawyer: &LawyerId,
        limit: u32,
    ) -> Result<Vec<LedgerEntry>, StoreError>;

    /// Forgets the exact positions of a centre's check-ins made before `before` (the
    /// distance and the inside/outside verdict stay), with the audit entry when any were;
    /// how many were forgotten.
    async fn forget_positions(
        &self,
        centre: &CentreId,
        before: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<u64, StoreError>;

    /// What the audit log holds about a person: entries `actor` made or that name one of
    /// `targets` (their account by id and by login name; at most 8), newest first, at most
    /// `limit`.
    async fn personal_audit(
        &self,
        actor: &str,
        targets: &[String],
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// The sign-in attempts kept under a login name (the last day's), newest first.
    async fn login_attempts_of(&self, login: &str) -> Result<Vec<LoginAttempt>, StoreError>;

    /// An account's text size in the page (percent), if the account exists.
    async fn font_scale(&self, user: i64) -> Result<Option<u32>, StoreError>;

    /// Sets an account's text size in the page (percent); false when there is no such
    /// account.
    async fn set_font_scale(&self, user: i64, scale: u32) -> Result<bool, StoreError>;

    /// Writes one audit entry on its own: a read worth recording (a personal-data download).
    async fn record_audit(&self, audit: &Audit) -> Result<(), StoreError>;
}
