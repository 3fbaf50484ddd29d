//! Records of feeds: whose feed a token opens, and imported busy times.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zhiban_domain::LawyerId;

/// Whose feed a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// A lawyer's own duties.
    Lawyer,
    /// Who is on duty at a station.
    Station,
}

impl FeedKind {
    /// Code as stored.
    pub fn code(self) -> &'static str {
        match self {
            FeedKind::Lawyer => "lawyer",
            FeedKind::Station => "station",
        }
    }
}

/// A busy time of a lawyer (UTC), from their own calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BusyTime {
    /// The lawyer.
    pub lawyer_id: LawyerId,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End (exclusive).
    pub ends_at: DateTime<Utc>,
    /// The event's summary.
    pub summary: String,
    /// The event's UID in the imported file.
    pub source_uid: String,
}
