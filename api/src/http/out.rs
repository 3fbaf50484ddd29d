//! Response types made from store records. A store record is how a row is kept; what a client
//! reads is declared here, field by field, so that a column added to a table (a job worker's
//! host, a token's hash) reaches no client unless it is added here too. The types are shared
//! by several resources (a duty is listed by `duties` and `attendance`, a version by
//! `rosters` and `versions`), which is why they live together and not in one resource's file.
//! Each serialises exactly as the record did before the split (the upgrade test compares the
//! answers).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use zhiban_domain::{Assignment, CentreId, HalfDay, LawyerId, Role, SolveReport, StationId};
use zhiban_store::{
    AttendanceRecord, AttendanceStatus, AuditEntry, CheckInMethod, Duty, LedgerApplication,
    LedgerEntry, RosterRecord, SwapRecord, SwapStatus, TokenRecord, TokenRole, VersionOrigin,
    VersionRecord, VersionStatus,
};

/// A roster series: one centre, one period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct RosterOut {
    /// Row id.
    pub(crate) id: i64,
    /// Centre.
    pub(crate) centre_id: CentreId,
    /// First day.
    pub(crate) from: NaiveDate,
    /// Weeks.
    pub(crate) weeks: u32,
    /// When it was made.
    pub(crate) created_at: DateTime<Utc>,
    /// By whom.
    pub(crate) created_by: String,
}

impl From<RosterRecord> for RosterOut {
    fn from(r: RosterRecord) -> Self {
        RosterOut {
            id: r.id,
            centre_id: r.centre_id,
            from: r.from,
            weeks: r.weeks,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

/// One version of a roster, without its assignments.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct VersionOut {
    /// Row id.
    pub(crate) id: i64,
    /// The roster series.
    pub(crate) roster_id: i64,
    /// 1, 2, … within the series.
    pub(crate) number: u32,
    /// Draft, published or superseded.
    pub(crate) status: VersionStatus,
    /// The version it was made from.
    pub(crate) based_on: Option<i64>,
    /// How it came about.
    pub(crate) origin: VersionOrigin,
    /// The solver's report on it (kept with its form's version).
    pub(crate) report: SolveReport,
    /// Increases with every edit of a draft.
    pub(crate) revision: i64,
    /// When it was made.
    pub(crate) created_at: DateTime<Utc>,
    /// By whom.
    pub(crate) created_by: String,
    /// When it was published.
    pub(crate) published_at: Option<DateTime<Utc>>,
    /// By whom.
    pub(crate) published_by: Option<String>,
}

impl From<VersionRecord> for VersionOut {
    fn from(r: VersionRecord) -> Self {
        VersionOut {
            id: r.id,
            roster_id: r.roster_id,
            number: r.number,
            status: r.status,
            based_on: r.based_on,
            origin: r.origin,
            report: r.report,
            revision: r.revision,
            created_at: r.created_at,
            created_by: r.created_by,
            published_at: r.published_at,
            published_by: r.published_by,
        }
    }
}

/// A swap.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct SwapOut {
    /// Row id.
    pub(crate) id: i64,
    /// Series.
    pub(crate) roster_id: i64,
    /// Version the duty was in when offered.
    pub(crate) version_id: i64,
    /// Station.
    pub(crate) station_id: StationId,
    /// Day.
    pub(crate) date: NaiveDate,
    /// Half-day.
    pub(crate) half_day: HalfDay,
    /// Role.
    pub(crate) role: Role,
    /// Lawyer offering the duty.
    pub(crate) from_lawyer: LawyerId,
    /// Lawyer taking it.
    pub(crate) to_lawyer: LawyerId,
    /// Status.
    pub(crate) status: SwapStatus,
    /// Note.
    pub(crate) note: String,
    /// When offered.
    pub(crate) created_at: DateTime<Utc>,
    /// When last decided.
    pub(crate) decided_at: Option<DateTime<Utc>>,
    /// By whom.
    pub(crate) decided_by: Option<String>,
    /// The published version that carries the swap.
    pub(crate) result_version_id: Option<i64>,
}

impl From<SwapRecord> for SwapOut {
    fn from(r: SwapRecord) -> Self {
        SwapOut {
            id: r.id,
            roster_id: r.roster_id,
            version_id: r.version_id,
            station_id: r.station_id,
            date: r.date,
            half_day: r.half_day,
            role: r.role,
            from_lawyer: r.from_lawyer,
            to_lawyer: r.to_lawyer,
            status: r.status,
            note: r.note,
            created_at: r.created_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by,
            result_version_id: r.result_version_id,
        }
    }
}

/// A duty in a published version.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub(crate) struct DutyOut {
    /// Series.
    pub(crate) roster_id: i64,
    /// Published version.
    pub(crate) version_id: i64,
    /// Centre of the roster.
    pub(crate) centre_id: CentreId,
    /// The assignment.
    pub(crate) assignment: Assignment,
    /// Where a change lists the duties it affects: why the duty could no longer be held
    /// (`inactive`, `out_of_pool`, `not_contracted`, `lacks_skills`, `lacks_languages`,
    /// `not_licensed`, `too_junior`, `no_such_duty`, `unavailable`, `beyond_demand`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

impl From<Duty> for DutyOut {
    fn from(r: Duty) -> Self {
        DutyOut {
            roster_id: r.roster_id,
            version_id: r.version_id,
            centre_id: r.centre_id,
            assignment: r.assignment,
            reason: None,
        }
    }
}

/// A duty's attendance record.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct AttendanceOut {
    /// Row id.
    pub(crate) id: i64,
    /// Centre of the roster.
    pub(crate) centre_id: CentreId,
    /// Roster series.
    pub(crate) roster_id: i64,
    /// The duty.
    pub(crate) duty: Assignment,
    /// Status.
    pub(crate) status: AttendanceStatus,
    /// How the lawyer checked in (none for an excused absence).
    pub(crate) method: Option<CheckInMethod>,
    /// Server time of the check-in (UTC).
    pub(crate) check_in_at: Option<DateTime<Utc>>,
    /// Server time of the check-out (UTC).
    pub(crate) check_out_at: Option<DateTime<Utc>>,
    /// Position sent with the check-in.
    pub(crate) check_in_lat: Option<f64>,
    /// Position sent with the check-in.
    pub(crate) check_in_lon: Option<f64>,
    /// Metres from the station.
    pub(crate) distance_m: Option<f64>,
    /// Minutes after the start.
    pub(crate) minutes_late: u32,
    /// Later than the grace period.
    pub(crate) late: bool,
    /// Checked in outside the station's geofence.
    pub(crate) outside_geofence: bool,
    /// Counts for pay (false until a coordinator approves an outside-geofence check-in).
    pub(crate) approved: bool,
    /// Voided by a coordinator's correction: it no longer counts for pay.
    pub(crate) voided: bool,
    /// How presence was proven: `geofence`, `display`, `poster`, or empty (none).
    pub(crate) proof: String,
    /// Reason of a manual entry or an excuse.
    pub(crate) reason: String,
    /// Last change.
    pub(crate) updated_at: DateTime<Utc>,
}

impl From<AttendanceRecord> for AttendanceOut {
    fn from(r: AttendanceRecord) -> Self {
        AttendanceOut {
            id: r.id,
            centre_id: r.centre_id,
            roster_id: r.roster_id,
            duty: r.duty,
            status: r.status,
            method: r.method,
            check_in_at: r.check_in_at,
            check_out_at: r.check_out_at,
            check_in_lat: r.check_in_lat,
            check_in_lon: r.check_in_lon,
            distance_m: r.distance_m,
            minutes_late: r.minutes_late,
            late: r.late,
            outside_geofence: r.outside_geofence,
            approved: r.approved,
            voided: r.voided,
            proof: r.proof,
            reason: r.reason,
            updated_at: r.updated_at,
        }
    }
}

/// The ledger (台账) of one duty.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct LedgerEntryOut {
    /// Centre of the station.
    pub(crate) centre_id: CentreId,
    /// Station.
    pub(crate) station_id: StationId,
    /// Day.
    pub(crate) date: NaiveDate,
    /// Half-day.
    pub(crate) half_day: HalfDay,
    /// Lawyer.
    pub(crate) lawyer_id: LawyerId,
    /// Consultations given.
    pub(crate) consultations: u32,
    /// Plea agreements (认罪认罚具结书) signed with the lawyer present, as claimed.
    pub(crate) plea_signings: u32,
    /// The count a coordinator confirmed (none yet: nothing pays). Only this pays; a claim
    /// that differs from it is pending.
    pub(crate) confirmed_plea_signings: Option<u32>,
    /// Who confirmed it.
    pub(crate) confirmed_by: Option<String>,
    /// When (UTC).
    pub(crate) confirmed_at: Option<DateTime<Utc>>,
    /// Quality rating by the coordinator (a key of the subsidy policy's ratings).
    pub(crate) quality: Option<String>,
    /// Notes.
    pub(crate) notes: String,
    /// Applications received.
    pub(crate) applications: Vec<LedgerApplication>,
    /// Last change.
    pub(crate) updated_at: DateTime<Utc>,
    /// By whom.
    pub(crate) updated_by: String,
}

impl From<LedgerEntry> for LedgerEntryOut {
    fn from(r: LedgerEntry) -> Self {
        LedgerEntryOut {
            centre_id: r.centre_id,
            station_id: r.station_id,
            date: r.date,
            half_day: r.half_day,
            lawyer_id: r.lawyer_id,
            consultations: r.consultations,
            plea_signings: r.plea_signings,
            confirmed_plea_signings: r.confirmed_plea_signings,
            confirmed_by: r.confirmed_by,
            confirmed_at: r.confirmed_at,
            quality: r.quality,
            notes: r.notes,
            applications: r.applications,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

/// An audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct AuditOut {
    /// Row id, increasing.
    pub(crate) id: i64,
    /// When (UTC).
    pub(crate) at: DateTime<Utc>,
    /// Who.
    pub(crate) actor: String,
    /// The centre concerned.
    pub(crate) centre_id: Option<CentreId>,
    /// What.
    pub(crate) action: String,
    /// On what.
    pub(crate) target: String,
    /// Details.
    pub(crate) detail: serde_json::Value,
}

impl From<AuditEntry> for AuditOut {
    fn from(r: AuditEntry) -> Self {
        AuditOut {
            id: r.id,
            at: r.at,
            actor: r.actor,
            centre_id: r.centre_id,
            action: r.action,
            target: r.target,
            detail: r.detail,
        }
    }
}

/// A stored token (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct TokenOut {
    /// Row id.
    pub(crate) id: i64,
    /// Role.
    pub(crate) role: TokenRole,
    /// Centre, for coordinators and finance.
    pub(crate) centre_id: Option<CentreId>,
    /// Lawyer, for lawyer tokens.
    pub(crate) lawyer_id: Option<LawyerId>,
    /// Station, for station display tokens.
    pub(crate) station_id: Option<StationId>,
    /// A note saying whose token it is.
    pub(crate) label: String,
    /// When it was made.
    pub(crate) created_at: DateTime<Utc>,
}

impl From<TokenRecord> for TokenOut {
    fn from(r: TokenRecord) -> Self {
        TokenOut {
            id: r.id,
            role: r.role,
            centre_id: r.centre_id,
            lawyer_id: r.lawyer_id,
            station_id: r.station_id,
            label: r.label,
            created_at: r.created_at,
        }
    }
}

/// Who is asking, as `GET /api/v1/me` answers: a token's fields (as before accounts), and
/// for a signed-in person their account too.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct MeOut {
    /// The token, or for a person the account seen as one (`id` is the account's).
    #[serde(flatten)]
    token: TokenOut,
    /// `token` or `session`.
    kind: &'static str,
    /// Every centre in reach (a director's include those below theirs); absent for all.
    centres: Option<Vec<CentreId>>,
    /// The signed-in person's account.
    user: Option<crate::http::users::UserOut>,
}

impl MeOut {
    pub(crate) fn of(who: &crate::auth::Principal) -> Self {
        MeOut {
            token: who.token.clone().into(),
            kind: if who.session.is_some() {
                "session"
            } else {
                "token"
            },
            centres: who.centres.clone(),
            user: who.user().cloned().map(Into::into),
        }
    }
}
