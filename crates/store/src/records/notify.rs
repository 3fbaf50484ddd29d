//! Records of the notification outbox.

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhiban_domain::{CentreId, LawyerId};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Waiting to be sent (again).
    Pending,
    /// Sent (or, with no outside channel, in the inbox only).
    Sent,
    /// Every attempt failed: a dead letter, sent again only when someone asks.
    Dead,
}

impl NotificationStatus {
    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "pending",
            NotificationStatus::Sent => "sent",
            NotificationStatus::Dead => "dead",
        }
    }

    /// From its code.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(NotificationStatus::Pending),
            "sent" => Ok(NotificationStatus::Sent),
            "dead" => Ok(NotificationStatus::Dead),
            other => Err(format!("unknown notification status {other:?}")),
        }
    }
}

/// A message of the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Notification {
    /// Id.
    pub id: i64,
    /// The centre it concerns.
    pub centre_id: CentreId,
    /// The lawyer it is for.
    pub lawyer_id: Option<LawyerId>,
    /// What happened: `roster_published`, `roster_changed`.
    pub event: String,
    /// Subject (Chinese).
    pub subject: String,
    /// Text (Chinese).
    pub body: String,
    /// Where in the page to look (a path).
    pub link: String,
    /// The same for every attempt at this message: a receiver drops repeats by it.
    pub idempotency_key: String,
    /// Where it stands.
    pub status: NotificationStatus,
    /// Where it went (`webhook`, or `inbox` with no outside channel); empty before.
    pub channel: String,
    /// Attempts made.
    pub attempts: u32,
    /// When it is due (UTC).
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: String,
    /// When it was written (UTC).
    pub created_at: DateTime<Utc>,
    /// When it was sent (UTC).
    pub sent_at: Option<DateTime<Utc>>,
    /// Who it is for: `lawyer` (`lawyer_id`), or the centre's `coordinator`s or `finance`.
    pub audience: String,
    /// The outside channels it has reached so far (comma-separated).
    pub delivered: String,
    /// A change of today's duties: SMS goes even in quiet hours.
    pub urgent: bool,
    /// A reminder is not sent out after this instant (its duty's start).
    pub expires_at: Option<DateTime<Utc>>,
}

/// A message to write to the outbox.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// The centre it concerns.
    pub centre_id: CentreId,
    /// The lawyer it is for (with audience `lawyer`).
    pub lawyer_id: Option<LawyerId>,
    /// `lawyer`, `coordinator` or `finance`.
    pub audience: &'static str,
    /// Event code.
    pub event: String,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// Where in the page to look.
    pub link: String,
    /// Stable per event and recipient: written once.
    pub idempotency_key: String,
    /// When it is due, and shown in the inbox (UTC).
    pub due: DateTime<Utc>,
    /// Not sent out after this instant.
    pub expires_at: Option<DateTime<Utc>>,
    /// A change of today's duties (SMS even in quiet hours).
    pub urgent: bool,
}

/// How a dispatcher ends its lease of a message.
#[derive(Debug, Clone, Copy)]
pub enum Finish<'a> {
    /// Delivered over these channels (comma-separated; `inbox` for none).
    Sent {
        /// Channels.
        channels: &'a str,
    },
    /// Failed: due again at `next` (a dead letter with none); `delivered` the channels
    /// reached so far.
    Failed {
        /// Why.
        error: &'a str,
        /// The next attempt.
        next: Option<DateTime<Utc>>,
        /// Channels reached so far.
        delivered: &'a str,
    },
    /// Partly sent; the rest waits (quiet hours) until `until`, not counted as an attempt.
    Held {
        /// When the rest goes.
        until: DateTime<Utc>,
        /// Channels reached so far.
        delivered: &'a str,
    },
}

/// A centre's own channel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CentreChannel {
    /// The centre.
    pub centre_id: CentreId,
    /// `email`, `sms`, `webhook`, `wecom` or `dingtalk`.
    pub kind: String,
    /// In use.
    pub enabled: bool,
    /// Its settings (nothing secret).
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// The secret, encrypted by the server's key ('' for none). Never in the API.
    #[serde(skip)]
    pub secret: String,
    /// When it was last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// Which messages to list (each filter only when given), newest first.
#[derive(Debug, Clone, Default)]
pub struct NotificationQuery {
    /// Of these centres.
    pub centres: Option<Vec<CentreId>>,
    /// For this lawyer.
    pub lawyer: Option<LawyerId>,
    /// In this status.
    pub status: Option<NotificationStatus>,
    /// For this audience (`lawyer`, `coordinator`, `finance`; None: all).
    pub audience: Option<&'static str>,
    /// Only those due by then (an inbox does not show tomorrow's reminders).
    pub due_by: Option<DateTime<Utc>>,
}

/// A coordinator's or finance officer's own notification settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffNotify {
    /// The account.
    pub user_id: i64,
    /// E-mail address ('' for none).
    pub email: String,
    /// Mobile phone ('' for none).
    pub phone: String,
    /// Their choices (the defaults when they chose none).
    pub prefs: zhiban_domain::notify_route::Prefs,
}
