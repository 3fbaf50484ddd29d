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
}
