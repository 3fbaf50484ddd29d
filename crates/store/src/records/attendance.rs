//! Records of attendance: check-ins, the duty ledger, locked subsidy months, and
//! corrections of locked months.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use zhiban_domain::{Assignment, CentreId, HalfDay, LawyerId, StationId};

pub use zhiban_domain::attendance::AttendanceStatus;
pub use zhiban_domain::subsidy::{CorrectionRecord, DutyFacts, Statement};

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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Who writes a ledger entry, which decides the columns the write sets (`sql/ledger.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerWriter {
    /// The lawyer on duty: the counts (plea agreements as a claim), notes and applications.
    /// The quality rating and the confirmed plea count stay as they are.
    Lawyer,
    /// A coordinator: what the lawyer writes, the quality rating (kept as stored when none
    /// is sent), and the plea count confirmed as written.
    Coordinator,
    /// A coordinator rating the duty: the quality rating alone, of an entry written already
    /// (a conflict otherwise). The lawyer's counts, notes and applications, the confirmed
    /// plea count and who last wrote them stay as they are.
    Rating,
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
    pub statement: Statement,
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
