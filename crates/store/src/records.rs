// Over the ~600-line sizing rule on purpose: the backend-neutral records of every aggregate; the split into one module per aggregate is issue 19.
//! Records the store keeps beyond the panel: tokens, policies, rosters and their versions,
//! jobs, swaps and the audit log. Backend-neutral; each backend maps them to its tables.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use zhiban_domain::{Assignment, CentreId, HalfDay, LawyerId, Role, StationId};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenRole {
    /// Everything, every centre.
    Admin,
    /// Panel, rosters and swaps of one centre.
    Coordinator,
    /// Subsidies of one centre; reads its rosters.
    Finance,
    /// One lawyer: their duties, availability and swaps.
    Lawyer,
    /// A station's display: shows the station's rotating check-in code, nothing else.
    Station,
}

impl TokenRole {
    /// `admin`, `coordinator`, `finance` or `lawyer`.
    pub fn code(self) -> &'static str {
        match self {
            TokenRole::Admin => "admin",
            TokenRole::Coordinator => "coordinator",
            TokenRole::Finance => "finance",
            TokenRole::Lawyer => "lawyer",
            TokenRole::Station => "station",
        }
    }

    /// Parses a role code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "admin" => Ok(TokenRole::Admin),
            "coordinator" => Ok(TokenRole::Coordinator),
            "finance" => Ok(TokenRole::Finance),
            "lawyer" => Ok(TokenRole::Lawyer),
            "station" => Ok(TokenRole::Station),
            other => Err(format!(
                "expected one of admin, coordinator, finance, lawyer, station; got {other:?}"
            )),
        }
    }
}

/// A token to store: only its hash.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// Role.
    pub role: TokenRole,
    /// Centre, for coordinators and finance.
    pub centre_id: Option<CentreId>,
    /// Lawyer, for lawyer tokens.
    pub lawyer_id: Option<LawyerId>,
    /// Station, for station display tokens.
    pub station_id: Option<StationId>,
    /// A note saying whose token it is.
    pub label: String,
}

/// A stored token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenRecord {
    /// Row id.
    pub id: i64,
    /// Role.
    pub role: TokenRole,
    /// Centre, for coordinators and finance.
    pub centre_id: Option<CentreId>,
    /// Lawyer, for lawyer tokens.
    pub lawyer_id: Option<LawyerId>,
    /// Station, for station display tokens.
    pub station_id: Option<StationId>,
    /// A note saying whose token it is.
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Who did what, written with the change it describes.
#[derive(Debug, Clone)]
pub struct Audit {
    /// Who (token label and id).
    pub actor: String,
    /// The centre concerned, if any.
    pub centre_id: Option<CentreId>,
    /// What, e.g. `roster.publish`.
    pub action: String,
    /// On what, e.g. `roster_version/12`.
    pub target: String,
    /// Details.
    pub detail: serde_json::Value,
}

/// An audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Row id, increasing.
    pub id: i64,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// The centre concerned.
    pub centre_id: Option<CentreId>,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// Details.
    pub detail: serde_json::Value,
}

/// A centre's rules for swaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CentrePolicy {
    /// Swaps only between lawyers of one firm.
    pub swap_same_firm: bool,
    /// A swap must be made at least this many hours before the duty starts.
    pub swap_min_hours: u32,
    /// Valid swaps take effect without a coordinator's approval.
    pub swap_auto_approve: bool,
    /// Check-in opens this many minutes before a duty starts (default 30).
    #[serde(default = "default_early")]
    pub checkin_early_minutes: u32,
    /// A check-in later than the start plus this many minutes is late (default 10).
    #[serde(default = "default_grace")]
    pub late_grace_minutes: u32,
    /// Check-out is accepted until this many minutes after a duty ends (default 60, at most
    /// 240).
    #[serde(default = "default_checkout_grace")]
    pub checkout_grace_minutes: u32,
    /// Time on site must cover this share of the half-day to count as attended (percent,
    /// default 50).
    #[serde(default = "default_presence")]
    pub min_presence_pct: u32,
    /// Plea agreements claimed on one duty above this are flagged as outliers (default 10).
    #[serde(default = "default_max_plea")]
    pub max_plea_signings: u32,
    /// What proves a lawyer was at the station: `geofence` (default), `code` (the station
    /// display's rotating code) or `both`. A check-in without the required proof is recorded
    /// and waits for a coordinator's approval.
    #[serde(default)]
    pub presence_proof: PresenceProof,
}

pub use zhiban_domain::presence::PresenceProof;

fn default_checkout_grace() -> u32 {
    60
}

fn default_presence() -> u32 {
    50
}

fn default_max_plea() -> u32 {
    10
}

impl CentrePolicy {
    /// The rules of [`zhiban_domain::attendance::assess`].
    pub fn presence(&self) -> zhiban_domain::attendance::Presence {
        zhiban_domain::attendance::Presence {
            early_minutes: self.checkin_early_minutes,
            checkout_grace_minutes: self.checkout_grace_minutes,
            min_presence_pct: self.min_presence_pct,
        }
    }
}

fn default_early() -> u32 {
    30
}

fn default_grace() -> u32 {
    10
}

impl Default for CentrePolicy {
    fn default() -> Self {
        Self {
            swap_same_firm: false,
            swap_min_hours: 24,
            swap_auto_approve: false,
            checkin_early_minutes: default_early(),
            late_grace_minutes: default_grace(),
            checkout_grace_minutes: default_checkout_grace(),
            min_presence_pct: default_presence(),
            max_plea_signings: default_max_plea(),
            presence_proof: PresenceProof::Geofence,
        }
    }
}

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

/// Kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Generate a roster.
    Solve,
    /// Repair a roster after a change.
    Repair,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// Being solved.
    Running,
    /// Done: `version_id` holds the result.
    Succeeded,
    /// Failed: `error` says why.
    Failed,
}

impl JobStatus {
    /// Code as stored.
    pub fn code(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        }
    }

    /// Parses a stored code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "queued" => Ok(JobStatus::Queued),
            "running" => Ok(JobStatus::Running),
            "succeeded" => Ok(JobStatus::Succeeded),
            "failed" => Ok(JobStatus::Failed),
            other => Err(format!("unknown job status {other:?}")),
        }
    }
}

/// A solve or repair job.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobRecord {
    /// Row id.
    pub id: i64,
    /// Centre.
    pub centre_id: CentreId,
    /// Solve or repair.
    pub kind: JobKind,
    /// Status.
    pub status: JobStatus,
    /// What was asked.
    pub request: serde_json::Value,
    /// Latest progress (incumbent, bound, gap, elapsed).
    pub progress: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// The roster series (known at once for repairs, at the end for solves).
    pub roster_id: Option<i64>,
    /// The version it produced.
    pub version_id: Option<i64>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
    /// When a worker took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// The process holding (or last holding) its lease.
    pub worker: Option<String>,
    /// When that process last renewed the lease.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// How many times a process has taken it.
    pub attempts: u32,
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

/// A slice of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// At most this many.
    pub limit: u32,
    /// Skip this many.
    pub offset: u64,
}

/// A slice of a list and the list's length.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paged<T> {
    /// The items.
    pub items: Vec<T>,
    /// How many match in all.
    pub total: u64,
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

pub use zhiban_domain::attendance::AttendanceStatus;

/// How a lawyer checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckInMethod {
    /// The lawyer's phone, with its position.
    App,
    /// The QR code posted at the station.
    Qr,
    /// Entered by a coordinator, with a reason.
    Manual,
}

impl CheckInMethod {
    /// Code as stored.
    pub fn code(self) -> &'static str {
        match self {
            CheckInMethod::App => "app",
            CheckInMethod::Qr => "qr",
            CheckInMethod::Manual => "manual",
        }
    }

    /// Parses a stored code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "app" => Ok(CheckInMethod::App),
            "qr" => Ok(CheckInMethod::Qr),
            "manual" => Ok(CheckInMethod::Manual),
            other => Err(format!("unknown check-in method {other:?}")),
        }
    }
}

/// A duty's attendance record.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AttendanceRecord {
    /// Row id.
    pub id: i64,
    /// Centre of the roster.
    pub centre_id: CentreId,
    /// Roster series.
    pub roster_id: i64,
    /// The duty.
    pub duty: Assignment,
    /// Status.
    pub status: AttendanceStatus,
    /// How the lawyer checked in (none for an excused absence).
    pub method: Option<CheckInMethod>,
    /// Server time of the check-in (UTC).
    pub check_in_at: Option<DateTime<Utc>>,
    /// Server time of the check-out (UTC).
    pub check_out_at: Option<DateTime<Utc>>,
    /// Position sent with the check-in.
    pub check_in_lat: Option<f64>,
    /// Position sent with the check-in.
    pub check_in_lon: Option<f64>,
    /// Metres from the station.
    pub distance_m: Option<f64>,
    /// Minutes after the start.
    pub minutes_late: u32,
    /// Later than the grace period.
    pub late: bool,
    /// Checked in outside the station's geofence.
    pub outside_geofence: bool,
    /// Counts for pay (false until a coordinator approves an outside-geofence check-in).
    pub approved: bool,
    /// Voided by a coordinator's correction: it no longer counts for pay.
    pub voided: bool,
    /// How presence was proven: `geofence`, `display`, `poster`, or empty (none).
    pub proof: String,
    /// Reason of a manual entry or an excuse.
    pub reason: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl AttendanceRecord {
    /// Whether the record counts for pay: checked in and out (approved when outside the
    /// geofence) or excused, and not voided by a correction.
    pub fn counts_for_pay(&self) -> bool {
        zhiban_domain::attendance::counts_for_pay(self.status, self.approved, self.voided)
    }
}

/// A check-in (or a manual or excused record) to store.
#[derive(Debug, Clone)]
pub struct NewAttendance {
    /// Centre of the roster.
    pub centre_id: CentreId,
    /// Roster series.
    pub roster_id: i64,
    /// The duty.
    pub duty: Assignment,
    /// Status.
    pub status: AttendanceStatus,
    /// Method.
    pub method: Option<CheckInMethod>,
    /// Check-in time.
    pub check_in_at: Option<DateTime<Utc>>,
    /// Check-out time (manual entries).
    pub check_out_at: Option<DateTime<Utc>>,
    /// Position.
    pub lat: Option<f64>,
    /// Position.
    pub lon: Option<f64>,
    /// Metres from the station.
    pub distance_m: Option<f64>,
    /// Minutes late.
    pub minutes_late: u32,
    /// Late beyond the grace period.
    pub late: bool,
    /// Outside the geofence.
    pub outside_geofence: bool,
    /// Counts without a coordinator's approval (false: the required proof is missing).
    pub approved: bool,
    /// How presence was proven (see [`AttendanceRecord::proof`]).
    pub proof: &'static str,
    /// When a check-out counts, from and until (check-ins; none for other records).
    pub checkout_window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Reason (manual entries, excuses).
    pub reason: String,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
}

/// A legal-aid application received on a duty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerApplication {
    /// Who applied (name, as the ledger records it).
    pub applicant: String,
    /// When it was received (UTC).
    pub received_at: DateTime<Utc>,
    /// When it was forwarded to the centre (UTC); due within 24 hours.
    pub forwarded_at: Option<DateTime<Utc>>,
}

/// The ledger (台账) of one duty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    /// Centre of the station.
    pub centre_id: CentreId,
    /// Station.
    pub station_id: StationId,
    /// Day.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// Lawyer.
    pub lawyer_id: LawyerId,
    /// Consultations given.
    pub consultations: u32,
    /// Plea agreements (认罪认罚具结书) signed with the lawyer present, as claimed.
    pub plea_signings: u32,
    /// The count a coordinator confirmed (none yet: nothing pays). Only this pays; a claim
    /// that differs from it is pending.
    pub confirmed_plea_signings: Option<u32>,
    /// Who confirmed it.
    pub confirmed_by: Option<String>,
    /// When (UTC).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Quality rating by the coordinator (a key of the subsidy policy's ratings).
    pub quality: Option<String>,
    /// Notes.
    pub notes: String,
    /// Applications received.
    pub applications: Vec<LedgerApplication>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// By whom.
    pub updated_by: String,
}

/// A month finance approved.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LockedMonth {
    /// Centre.
    pub centre_id: CentreId,
    /// `YYYY-MM`.
    pub month: String,
    /// When.
    pub locked_at: DateTime<Utc>,
    /// By whom.
    pub locked_by: String,
    /// The statement as approved.
    pub statement: serde_json::Value,
    /// The policy versions that priced it, frozen at approval.
    pub policies: Vec<zhiban_domain::SubsidyPolicy>,
}

/// What a correction sets a locked month's duty to count as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CorrectedAttendance {
    /// The duty counts as attended (a record is made or restored).
    Counts,
    /// The duty's record no longer counts (it is kept, voided).
    Void,
}

/// A coordinator's correction of one duty in a locked month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCorrection {
    /// Centre of the duty.
    pub centre_id: CentreId,
    /// Roster series of the duty (for a record made by the correction).
    pub roster_id: i64,
    /// The duty.
    pub duty: Assignment,
    /// Attendance, if corrected.
    pub attendance: Option<CorrectedAttendance>,
    /// Plea agreements, if corrected (confirmed as given).
    pub plea_signings: Option<u32>,
    /// Quality rating, if corrected (`Some(None)` clears it).
    pub quality: Option<Option<String>>,
    /// Why (required).
    pub reason: String,
    /// Who.
    pub actor: String,
}

/// A stored correction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CorrectionRecord {
    /// Row id.
    pub id: i64,
    /// Centre.
    pub centre_id: CentreId,
    /// The locked month corrected (`YYYY-MM`).
    pub month: String,
    /// The duty.
    pub duty: Assignment,
    /// The facts before (`counts`, `plea_signings`, `quality`).
    pub before: serde_json::Value,
    /// The facts after.
    pub after: serde_json::Value,
    /// Why.
    pub reason: String,
    /// Who.
    pub created_by: String,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
}

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
