//! A month's subsidy statement as a document: what finance approves and the store keeps,
//! unchanged, with the version of its form ([`STATEMENT_SCHEMA`]). The arithmetic that fills
//! it is in the parent module ([`compute_lines`](super::compute_lines), [`totals`](super::totals)).

use super::{FirmTotal, LawyerTotal, StatementLine};
use crate::report::Versioned;
use crate::{Assignment, CentreId, HalfDay, LawyerId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A duty attended but unpaid because no policy was in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnpaidDuty {
    /// Lawyer.
    pub lawyer_id: LawyerId,
    /// Day.
    pub date: NaiveDate,
    /// Station.
    pub station_id: String,
}

/// Plea agreements claimed on a duty that a coordinator has not confirmed as claimed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PendingClaim {
    /// The duty.
    pub station_id: String,
    /// Day.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// Lawyer.
    pub lawyer_id: LawyerId,
    /// Claimed by the lawyer.
    pub claimed: u32,
    /// Confirmed (and paid) so far.
    pub confirmed: u32,
    /// What confirming the claim would add (fen; negative when the claim is lower).
    pub amount_fen: i64,
    /// Above the centre's plausibility limit per duty: check before confirming.
    pub outlier: bool,
}

/// The version of the statement's stored form: an approved statement is kept as written at
/// approval, so a reader must know which form it holds. Statements approved before the form
/// carried its version are version 1.
pub const STATEMENT_SCHEMA: u32 = 1;

fn schema_v1() -> u32 {
    1
}

/// Whether a statement is still computed from the facts or approved for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatementStatus {
    /// Recomputed on every read.
    Open,
    /// Approved; never changes.
    Locked,
}

/// A month's subsidy statement of one centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Statement {
    /// The version of this form (see [`STATEMENT_SCHEMA`]).
    #[serde(default = "schema_v1")]
    pub schema_version: u32,
    /// Centre.
    pub centre_id: CentreId,
    /// `YYYY-MM`.
    pub month: String,
    /// `open` (recomputed on every read) or `locked` (approved; never changes).
    pub status: StatementStatus,
    /// When finance approved it.
    pub locked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who approved it.
    pub locked_by: Option<String>,
    /// One line per duty and rule (confirmed facts only).
    pub lines: Vec<StatementLine>,
    /// Per lawyer.
    pub lawyers: Vec<LawyerTotal>,
    /// Per firm.
    pub firms: Vec<FirmTotal>,
    /// The centre's total (fen): what approval pays.
    pub total_fen: i64,
    /// Attended duties no policy pays (set a policy from an earlier date).
    pub unpaid: Vec<UnpaidDuty>,
    /// Duties still checked in, or outside the geofence awaiting approval: not yet counted.
    pub pending: u32,
    /// Claims not yet confirmed: not in the total.
    #[serde(default)]
    pub pending_claims: Vec<PendingClaim>,
    /// Sum of the pending claims (fen), shown apart from the total.
    #[serde(default)]
    pub pending_fen: i64,
    /// Records that no longer match a published duty whose slot is paid already.
    #[serde(default)]
    pub off_roster: u32,
    /// Corrections of locked months paid by this statement's adjustment lines.
    #[serde(default)]
    pub corrections: Vec<CorrectionRecord>,
}

/// The paying facts of one duty, as a correction finds them before and leaves them after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DutyFacts {
    /// Whether the duty counts for pay.
    pub counts: bool,
    /// The attendance record, if any.
    pub record_id: Option<i64>,
    /// Confirmed plea agreements.
    pub plea_signings: u32,
    /// Quality rating.
    pub quality: Option<String>,
}

/// A stored correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    pub before: DutyFacts,
    /// The facts after.
    pub after: DutyFacts,
    /// Why.
    pub reason: String,
    /// Who.
    pub created_by: String,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
}

impl Versioned for Statement {
    const SCHEMA: u32 = STATEMENT_SCHEMA;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_approved_before_the_form_had_a_version_reads_as_version_1() {
        let old = r#"{"centre_id": "CH", "month": "2026-10", "status": "locked",
            "locked_at": "2026-11-02T08:00:00Z", "locked_by": "finance", "lines": [],
            "lawyers": [], "firms": [], "total_fen": 19500, "unpaid": [], "pending": 0}"#;
        let s: Statement = serde_json::from_str(old).unwrap();
        assert_eq!(s.schema_version, 1);
        assert_eq!(s.total_fen, 19_500);
        assert_eq!(s.status, StatementStatus::Locked);
        assert!(s.pending_claims.is_empty() && s.corrections.is_empty());
    }

    #[test]
    fn a_correction_keeps_the_facts_before_and_after() {
        let raw = r#"{"id": 1, "centre_id": "CH", "month": "2026-10",
            "duty": {"station_id": "S1", "date": "2026-10-05", "half_day": "am",
                     "lawyer_id": "L1", "role": "primary"},
            "before": {"counts": false, "record_id": null, "plea_signings": 0, "quality": null},
            "after": {"counts": true, "record_id": 9, "plea_signings": 2, "quality": "120"},
            "reason": "补签", "created_by": "co", "created_at": "2026-11-03T01:00:00Z"}"#;
        let c: CorrectionRecord = serde_json::from_str(raw).unwrap();
        assert!(!c.before.counts && c.after.counts);
        assert_eq!(c.after.plea_signings, 2);
        let again: CorrectionRecord =
            serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(again, c);
    }
}
