//! The notification outbox aggregate (`sql/notifications.rs`).

use crate::StoreError;
use crate::records::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use zhiban_domain::notify_route::Prefs;
use zhiban_domain::{CentreId, LawyerId};

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
        outcome: Finish<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Writes messages not caused by a change (alerts found by a scan), each once per key.
    async fn write_notifications(
        &self,
        rows: &[NewNotification],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// A centre's own channels.
    async fn centre_channels(&self, centre: &CentreId) -> Result<Vec<CentreChannel>, StoreError>;

    /// Stores a centre's channel, with the audit entry.
    async fn put_centre_channel(&self, c: &CentreChannel, audit: &Audit) -> Result<(), StoreError>;

    /// Removes a centre's channel of `kind`, with the audit entry; whether there was one.
    async fn delete_centre_channel(
        &self,
        centre: &CentreId,
        kind: &str,
        audit: &Audit,
    ) -> Result<bool, StoreError>;

    /// Deletes the messages sent, or dead, before `before` (they hold personal data: names,
    /// duties); how many.
    async fn purge_notifications(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// A lawyer's e-mail address and phone ('' for none), if the lawyer exists.
    async fn lawyer_contact(
        &self,
        lawyer: &LawyerId,
    ) -> Result<Option<(String, String)>, StoreError>;

    /// A lawyer's notification preferences (the defaults when they chose none).
    async fn notification_prefs(&self, lawyer: &LawyerId) -> Result<Prefs, StoreError>;

    /// Stores a lawyer's notification preferences.
    async fn put_notification_prefs(
        &self,
        lawyer: &LawyerId,
        prefs: &Prefs,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// A coordinator's or finance officer's own notification settings, if the account
    /// exists.
    async fn staff_notify(&self, user: i64) -> Result<Option<StaffNotify>, StoreError>;

    /// The active accounts of `role` (`coordinator`, `finance`) at `centre` that can be
    /// reached outside the page (an address or a phone), by id.
    async fn staff_recipients(
        &self,
        centre: &CentreId,
        role: &str,
    ) -> Result<Vec<StaffNotify>, StoreError>;

    /// Stores a staff account's choices; false when there is no such account.
    async fn put_staff_prefs(
        &self,
        user: i64,
        prefs: &Prefs,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Stores a staff account's address and phone, with the audit entry; false when there
    /// is no such account (nothing is written).
    async fn put_staff_contact(
        &self,
        user: i64,
        email: &str,
        phone: &str,
        now: DateTime<Utc>,
        audit: &Audit,
    ) -> Result<bool, StoreError>;

    /// Records a test message of a centre's channel (`audit`, action `channel.test`) unless
    /// `per_minute` were recorded for the centre in the last minute, across processes;
    /// whether it was recorded (then the test may be sent).
    async fn claim_channel_test(&self, audit: &Audit, per_minute: u32) -> Result<bool, StoreError>;

    /// Marks `centre`'s messages still waiting and due before `before` as delivered to the
    /// page's inbox at their due time: a made-up past (`zhiban demo-history`) whose messages
    /// were read then, not sent out now. How many.
    async fn settle_past_notifications(
        &self,
        centre: &CentreId,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

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
