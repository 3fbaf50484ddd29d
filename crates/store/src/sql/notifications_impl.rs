//! [`NotifyStore`] over the shared SQL of `notifications.rs`; each backend compiles this
//! file with its own `Backend` and `Conn`, like `store_impl.rs`.

use super::{Backend, audit, notifications, notify_channels};
use crate::backend::{Backend as _, WriteTx as _};
use crate::records::*;
use crate::{NotifyStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use zhiban_domain::notify_route::Prefs;
use zhiban_domain::{CentreId, LawyerId};

#[async_trait]
impl NotifyStore for Backend {
    async fn lease_notifications(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let mut tx = self.write().await?;
        let leased = notifications::lease(&mut tx, owner, now, until, limit).await?;
        tx.commit().await?;
        Ok(leased)
    }

    async fn finish_notification(
        &self,
        id: i64,
        owner: &str,
        outcome: Finish<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let held = notifications::finish(&mut tx, id, owner, outcome, now).await?;
        tx.commit().await?;
        Ok(held)
    }

    async fn write_notifications(
        &self,
        rows: &[NewNotification],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.write().await?;
        notifications::insert_many(&mut tx, rows, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn centre_channels(&self, centre: &CentreId) -> Result<Vec<CentreChannel>, StoreError> {
        notify_channels::list(&mut *self.read_pool().acquire().await?, centre).await
    }

    async fn put_centre_channel(&self, c: &CentreChannel, a: &Audit) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        notify_channels::put(&mut tx, c).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_centre_channel(
        &self,
        centre: &CentreId,
        kind: &str,
        a: &Audit,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let gone = notify_channels::delete(&mut tx, centre, kind).await?;
        if gone {
            audit::insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    async fn purge_notifications(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "DELETE FROM notifications WHERE status IN ('sent', 'dead') AND created_at < $1",
        )
        .bind(crate::codec::to_instant(before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn lawyer_contact(
        &self,
        lawyer: &LawyerId,
    ) -> Result<Option<(String, String)>, StoreError> {
        notify_channels::contact(&mut *self.read_pool().acquire().await?, lawyer).await
    }

    async fn notification_prefs(&self, lawyer: &LawyerId) -> Result<Prefs, StoreError> {
        notify_channels::prefs(&mut *self.read_pool().acquire().await?, lawyer).await
    }

    async fn put_notification_prefs(
        &self,
        lawyer: &LawyerId,
        prefs: &Prefs,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        notify_channels::put_prefs(&mut tx, lawyer, prefs, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn staff_notify(&self, user: i64) -> Result<Option<StaffNotify>, StoreError> {
        notify_channels::staff(&mut *self.read_pool().acquire().await?, user).await
    }

    async fn staff_recipients(
        &self,
        centre: &CentreId,
        role: &str,
    ) -> Result<Vec<StaffNotify>, StoreError> {
        notify_channels::staff_of(&mut *self.read_pool().acquire().await?, centre, role).await
    }

    async fn put_staff_prefs(
        &self,
        user: i64,
        prefs: &Prefs,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let done = notify_channels::put_staff(&mut tx, user, Some(prefs), None, now).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn put_staff_contact(
        &self,
        user: i64,
        email: &str,
        phone: &str,
        now: DateTime<Utc>,
        a: &Audit,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        if !notify_channels::put_staff(&mut tx, user, None, Some((email, phone)), now).await? {
            return Ok(false);
        }
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn claim_channel_test(&self, a: &Audit, per_minute: u32) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        if !notify_channels::claim_test(&mut tx, a, per_minute).await? {
            return Ok(false);
        }
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn settle_past_notifications(
        &self,
        centre: &CentreId,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE notifications SET status = 'sent', channel = 'inbox', sent_at = next_attempt_at \
             WHERE centre_id = $1 AND status = 'pending' AND next_attempt_at < $2",
        )
        .bind(centre.as_str())
        .bind(crate::codec::to_instant(before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn retry_notification(
        &self,
        id: i64,
        now: DateTime<Utc>,
        a: &Audit,
    ) -> Result<Notification, StoreError> {
        let mut tx = self.write().await?;
        let n = notifications::retry(&mut tx, id, now).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn get_notification(&self, id: i64) -> Result<Option<Notification>, StoreError> {
        notifications::get(&mut *self.read_pool().acquire().await?, id).await
    }

    async fn list_notifications(
        &self,
        q: &NotificationQuery,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        notifications::list(&mut *self.read_pool().acquire().await?, q, limit).await
    }
}
