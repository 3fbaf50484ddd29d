//! [`AccountStore`] over the shared SQL of `accounts.rs`; each backend compiles this file
//! with its own `Backend` and `Conn`, like `store_impl.rs`.

use super::{Backend, accounts, attendance, audit, ledger};
use crate::backend::{Backend as _, WriteTx as _};
use crate::records::*;
use crate::{AccountStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use zhiban_domain::account::{AccountState, Failures};
use zhiban_domain::{CentreId, LawyerId};

/// A session's last use is written at most this often (a page load makes several requests).
const TOUCH_EVERY_SECONDS: i64 = 60;

#[async_trait]
impl AccountStore for Backend {
    async fn create_user(&self, u: &NewUser, a: &Audit) -> Result<UserRecord, StoreError> {
        let mut tx = self.write().await?;
        let rec = accounts::insert_user(&mut tx, u).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn get_user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        accounts::get_user(&mut *self.read_pool().acquire().await?, id).await
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>, StoreError> {
        accounts::user_by_login(&mut *self.read_pool().acquire().await?, login).await
    }

    async fn list_users(
        &self,
        centres: Option<&[CentreId]>,
        page: Page,
    ) -> Result<Paged<UserRecord>, StoreError> {
        accounts::list_users(&mut *self.read_pool().acquire().await?, centres, page).await
    }

    async fn lawyers_without_account(
        &self,
        centres: Option<&[CentreId]>,
    ) -> Result<Vec<LawyerId>, StoreError> {
        accounts::lawyers_without_account(&mut *self.read_pool().acquire().await?, centres).await
    }

    async fn reset_user(
        &self,
        id: i64,
        code_hash: &str,
        expires_at: DateTime<Utc>,
        a: &Audit,
    ) -> Result<UserRecord, StoreError> {
        let mut tx = self.write().await?;
        let rec = accounts::reset_user(&mut tx, id, code_hash, expires_at).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn activate_user(
        &self,
        code_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
        a: &Audit,
    ) -> Result<Option<UserRecord>, StoreError> {
        let mut tx = self.write().await?;
        let Some(rec) = accounts::activate_user(&mut tx, code_hash, password_hash, now).await?
        else {
            return Ok(None);
        };
        let mut a = a.clone();
        a.target = format!("user/{}", rec.id);
        a.detail = serde_json::json!({"login": rec.login});
        audit::insert_audit(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(Some(rec))
    }

    async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        a: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        accounts::set_password(&mut tx, id, password_hash).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_user_state(
        &self,
        id: i64,
        state: AccountState,
        a: &Audit,
    ) -> Result<UserRecord, StoreError> {
        let mut tx = self.write().await?;
        let rec = accounts::set_user_state(&mut tx, id, state).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn record_login_attempt(
        &self,
        login: &str,
        ip: &str,
        ok: bool,
        at: DateTime<Utc>,
        audits: &[Audit],
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        accounts::record_attempt(&mut tx, login, ip, ok, at).await?;
        for a in audits {
            audit::insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_code(
        &self,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRecord>, StoreError> {
        accounts::user_by_code(&mut *self.read_pool().acquire().await?, code_hash, now).await
    }

    async fn login_failures(
        &self,
        login: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> Result<(Failures, Failures), StoreError> {
        accounts::failures(&mut *self.read_pool().acquire().await?, login, ip, since).await
    }

    async fn create_session(
        &self,
        s: &NewSession,
        now: DateTime<Utc>,
        a: &Audit,
    ) -> Result<SessionRecord, StoreError> {
        let mut tx = self.write().await?;
        let rec = accounts::insert_session(&mut tx, s, now).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn session_by_hash(
        &self,
        hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<(SessionRecord, UserRecord)>, StoreError> {
        let found = {
            let mut conn = self.read_pool().acquire().await?;
            match accounts::find_session(&mut conn, hash, now, idle_since).await? {
                Some(s) => accounts::get_user(&mut conn, s.user_id)
                    .await?
                    .filter(|u| u.state == AccountState::Active)
                    .map(|u| (s, u)),
                None => None,
            }
        };
        let Some((mut s, u)) = found else {
            return Ok(None);
        };
        if now - s.last_seen_at >= Duration::seconds(TOUCH_EVERY_SECONDS) {
            let mut tx = self.write().await?;
            accounts::touch_session(&mut tx, s.id, now).await?;
            tx.commit().await?;
            s.last_seen_at = now;
        }
        Ok(Some((s, u)))
    }

    async fn list_sessions(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        accounts::list_sessions(&mut *self.read_pool().acquire().await?, user_id, now).await
    }

    async fn end_session(
        &self,
        user_id: i64,
        session_id: i64,
        a: &Audit,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let done = accounts::delete_session(&mut tx, user_id, session_id).await?;
        if done {
            audit::insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn set_user_role(
        &self,
        id: i64,
        c: &RoleChange,
        a: &Audit,
    ) -> Result<UserRecord, StoreError> {
        let mut tx = self.write().await?;
        let u = accounts::set_user_role(&mut tx, id, c).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(u)
    }

    async fn lawyer_attendance(
        &self,
        lawyer: &LawyerId,
        limit: u32,
    ) -> Result<Vec<AttendanceRecord>, StoreError> {
        attendance::lawyer_attendance(&mut *self.read_pool().acquire().await?, lawyer, limit).await
    }

    async fn lawyer_ledger(
        &self,
        lawyer: &LawyerId,
        limit: u32,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let mut tx = self.read_pool().begin().await?;
        let l = ledger::lawyer_ledger(&mut tx, lawyer, limit).await?;
        tx.commit().await?;
        Ok(l)
    }

    async fn forget_positions(
        &self,
        centre: &CentreId,
        before: DateTime<Utc>,
        a: &Audit,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let n = attendance::forget_positions(&mut tx, centre, before).await?;
        if n > 0 {
            let mut a = a.clone();
            a.detail["forgotten"] = serde_json::json!(n);
            audit::insert_audit(&mut tx, &a).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn personal_audit(
        &self,
        actor: &str,
        targets: &[String],
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut conn = self.read_pool().acquire().await?;
        audit::personal_audit(&mut conn, actor, targets, limit).await
    }

    async fn login_attempts_of(&self, login: &str) -> Result<Vec<LoginAttempt>, StoreError> {
        accounts::attempts_of(&mut *self.read_pool().acquire().await?, login).await
    }

    async fn font_scale(&self, user: i64) -> Result<Option<u32>, StoreError> {
        let v: Option<i64> = sqlx::query_scalar("SELECT font_scale FROM users WHERE id = $1")
            .bind(user)
            .fetch_optional(&mut *self.read_pool().acquire().await?)
            .await?;
        Ok(v.map(|x| u32::try_from(x).unwrap_or(100)))
    }

    async fn set_font_scale(&self, user: i64, scale: u32) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query("UPDATE users SET font_scale = $1 WHERE id = $2")
            .bind(i64::from(scale))
            .bind(user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn record_audit(&self, a: &Audit) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }
}
