//! Records of rosters: series, versions and their assignments, published duties, swaps,
//! and the duty history of published and superseded versions.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use zhiban_domain::{Assignment, CentreId, HalfDay, LawyerId, Role, StationId};

/// A roster series: one centre, one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RosterRecord {
    /// Row id.
    pub id: i64,
    /// Centre.
    pub centre_id: CentreId,
    /// First day.
    pub from: NaiveDate,
    /// Weeks.
    pub weeks: u32,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
}

impl RosterRecord {
    /// Last day, inclusive.
    pub fn to(&self) -> NaiveDate {
        self.from + chrono::Duration::days(i64::from(self.weeks) * 7 - 1)
    }
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VersionStatus {
    /// Editable.
    Draft,
    /// In force; never changes again.
    Published,
    /// Was published; a newer published version replaced it.
    Superseded,
}

impl VersionStatus {
    /// Code as stored.
    pub fn code(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Published => "published",
            VersionStatus::Superseded => "superseded",
        }
    }

    /// Parses a stored code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "draft" => Ok(VersionStatus::Draft),
            "published" => Ok(VersionStatus::Published),
            "superseded" => Ok(VersionStatus::Superseded),
            other => Err(format!("unknown version status {other:?}")),
        }
    }
}

/// One version of a roster, without its assignments.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionRecord {
    /// Row id.
    pub id: i64,
    /// The roster series.
    pub roster_id: i64,
    /// 1, 2, … within the series.
    pub number: u32,
    /// Draft, published or superseded.
    pub status: VersionStatus,
    /// The version it was made from.
    pub based_on: Option<i64>,
    /// How it came about: `solve`, `edit`, `repair`, `swap`.
    pub origin: String,
    /// The solver's report on it.
    pub report: serde_json::Value,
    /// Increases with every edit of a draft.
    pub revision: i64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// By whom.
    pub published_by: Option<String>,
}

/// A version with its roster and assignments.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVersion {
    /// The series.
    pub roster: RosterRecord,
    /// The version.
    pub version: VersionRecord,
    /// Its assignments, sorted.
    pub assignments: Vec<Assignment>,
    /// The assignments that are pinned.
    pub pins: BTreeSet<Assignment>,
}

/// Which series a new version belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterRef {
    /// An existing series.
    Existing(i64),
    /// A new series for a centre and period.
    New {
        /// Centre.
        centre_id: CentreId,
        /// First day.
        from: NaiveDate,
        /// Weeks.
        weeks: u32,
    },
}

/// A version to store.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// Series.
    pub roster: RosterRef,
    /// The version it was made from.
    pub based_on: Option<i64>,
    /// `solve`, `edit`, `repair` or `swap`.
    pub origin: String,
    /// The report.
    pub report: serde_json::Value,
    /// Assignments.
    pub assignments: Vec<Assignment>,
    /// Pinned assignments (a subset of `assignments`).
    pub pins: BTreeSet<Assignment>,
    /// Publish it at once, superseding the published version it is based on (swaps).
    pub publish: bool,
    /// Who.
    pub created_by: String,
}

/// Where a swap stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SwapStatus {
    /// Offered by the lawyer on duty, waiting for the taker.
    Offered,
    /// The taker agreed; waiting for the coordinator.
    Accepted,
    /// In force: a new published version carries it.
    Approved,
    /// Refused by the taker or the coordinator, or no longer valid.
    Rejected,
    /// Withdrawn by the lawyer who offered it.
    Cancelled,
}

impl SwapStatus {
    /// Code as stored.
    pub fn code(self) -> &'static str {
        match self {
            SwapStatus::Offered => "offered",
            SwapStatus::Accepted => "accepted",
            SwapStatus::Approved => "approved",
            SwapStatus::Rejected => "rejected",
            SwapStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stored code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "offered" => Ok(SwapStatus::Offered),
            "accepted" => Ok(SwapStatus::Accepted),
            "approved" => Ok(SwapStatus::Approved),
            "rejected" => Ok(SwapStatus::Rejected),
            "cancelled" => Ok(SwapStatus::Cancelled),
            other => Err(format!("unknown swap status {other:?}")),
        }
    }
}

/// A swap to store.
#[derive(Debug, Clone)]
pub struct NewSwap {
    /// Series.
    pub roster_id: i64,
    /// The published version the duty is in.
    pub version_id: i64,
    /// The duty offered (its `lawyer_id` is the lawyer offering it).
    pub duty: Assignment,
    /// Who is to take it.
    pub to_lawyer: LawyerId,
    /// A note from the lawyer offering it.
    pub note: String,
}

/// A swap.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SwapRecord {
    /// Row id.
    pub id: i64,
    /// Series.
    pub roster_id: i64,
    /// Version the duty was in when offered.
    pub version_id: i64,
    /// Station.
    pub station_id: StationId,
    /// Day.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// Role.
    pub role: Role,
    /// Lawyer offering the duty.
    pub from_lawyer: LawyerId,
    /// Lawyer taking it.
    pub to_lawyer: LawyerId,
    /// Status.
    pub status: SwapStatus,
    /// Note.
    pub note: String,
    /// When offered.
    pub created_at: DateTime<Utc>,
    /// When last decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// By whom.
    pub decided_by: Option<String>,
    /// The published version that carries the swap.
    pub result_version_id: Option<i64>,
}

impl SwapRecord {
    /// The duty as it was before the swap.
    pub fn duty(&self) -> Assignment {
        Assignment {
            date: self.date,
            half_day: self.half_day,
            station_id: self.station_id.clone(),
            lawyer_id: self.from_lawyer.clone(),
            role: self.role,
        }
    }
}

/// A duty in a published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Duty {
    /// Series.
    pub roster_id: i64,
    /// Published version.
    pub version_id: i64,
    /// Centre of the roster.
    pub centre_id: CentreId,
    /// The assignment.
    pub assignment: Assignment,
}

/// Which published duties to list.
#[derive(Debug, Clone, Default)]
pub struct DutyQuery {
    /// Rosters of these centres only (None: all).
    pub centres: Option<Vec<CentreId>>,
    /// One lawyer's.
    pub lawyer: Option<LawyerId>,
    /// One station's.
    pub station: Option<StationId>,
    /// From this day.
    pub from: Option<NaiveDate>,
    /// To this day, inclusive.
    pub to: Option<NaiveDate>,
    /// Leave out rosters of this series (its own duties, when re-planning it).
    pub except_roster: Option<i64>,
}

/// One duty as it stood in one published (or since superseded) version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyVersion {
    /// Series.
    pub roster_id: i64,
    /// Version id.
    pub version_id: i64,
    /// Version number within the series.
    pub number: u32,
    /// When that version was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Whether it is the version in force.
    pub current: bool,
    /// The duty.
    pub assignment: Assignment,
}

/// A published (or superseded) version of a series, for feeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedVersion {
    /// Series.
    pub roster_id: i64,
    /// Version id.
    pub version_id: i64,
    /// Number.
    pub number: u32,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Whether it is the version in force.
    pub current: bool,
}
