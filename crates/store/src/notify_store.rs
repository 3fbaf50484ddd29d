//! The notification outbox aggregate (`sql/notifications.rs`).

use crate::StoreError;
use crate::records::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Messages to people: written by the changes that cause them (in their transactions),
/// leased and marked by dispatchers, listed as the log and each person's inbox.
#[async_trait]
pub trait NotifyStore: Send + Sync + 'static {
    /// Leases up to `limit` messages due at `now` for dispatcher `owner` until `until`;
    /// messages another dispatcher holds are skipped.
    async fn lease_notifications(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError>;

    /// Ends `owner`'s lease of message `id`: sent over a channel, or failed with an error
    /// and the next attempt (none: a dead letter). False when the lease was lost.
    async fn finish_notification(
        &self,
        id: i64,
        owner: &str,
        outcome: Result<&str, (&str, Option<DateTime<Utc>>)>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Makes a dead letter due again, with the audit entry; a conflict unless it was dead.
    async fn retry_notification(
        &self,
        id: i64,
        now: DateTime<Utc>,
        audit: &Audit,
    ) -> Result<Notification, StoreError>;

    /// A message.
    async fn get_notification(&self, id: i64) -> Result<Option<Notification>, StoreError>;

    /// Messages matching `q`, newest first, at most `limit`.
    async fn list_notifications(
        &self,
        q: &NotificationQuery,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError>;
}
