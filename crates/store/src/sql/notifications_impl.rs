//! [`NotifyStore`] over the shared SQL of `notifications.rs`; each backend compiles this
//! file with its own `Backend` and `Conn`, like `store_impl.rs`.

use super::{Backend, audit, notifications};
use crate::backend::{Backend as _, WriteTx as _};
use crate::records::*;
use crate::{NotifyStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

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
        outcome: Result<&str, (&str, Option<DateTime<Utc>>)>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let held = notifications::finish(&mut tx, id, owner, outcome, now).await?;
        tx.commit().await?;
        Ok(held)
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
