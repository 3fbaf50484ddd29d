//! Leave requests (请假申请): a lawyer (or their firm's administrator) asks for leave in
//! writing, in advance; a coordinator of the lawyer's centre approves or rejects it; the
//! requester may withdraw it while it waits. Only approved leave is the leave the solver
//! respects.
//!
//! ```text
//! requested ──approve──▶ approved
//!     │ ──reject───▶ rejected
//!     └──withdraw──▶ withdrawn
//! ```

use crate::HalfDay;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where a leave request stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LeaveStatus {
    /// Waiting for a coordinator.
    Requested,
    /// Approved: it is the lawyer's leave.
    Approved,
    /// Refused by a coordinator.
    Rejected,
    /// Taken back by the requester before a decision.
    Withdrawn,
}

impl LeaveStatus {
    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            LeaveStatus::Requested => "requested",
            LeaveStatus::Approved => "approved",
            LeaveStatus::Rejected => "rejected",
            LeaveStatus::Withdrawn => "withdrawn",
        }
    }

    /// The status of a code.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "requested" => LeaveStatus::Requested,
            "approved" => LeaveStatus::Approved,
            "rejected" => LeaveStatus::Rejected,
            "withdrawn" => LeaveStatus::Withdrawn,
            _ => return Err(format!("{s:?} is not a leave request status")),
        })
    }
}

/// What someone does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveAction {
    /// A coordinator approves it.
    Approve,
    /// A coordinator refuses it.
    Reject,
    /// The requester takes it back.
    Withdraw,
}

/// The status an action leads to from `from`, or why it may not be taken.
pub fn transition(from: LeaveStatus, action: LeaveAction) -> Result<LeaveStatus, String> {
    match (from, action) {
        (LeaveStatus::Requested, LeaveAction::Approve) => Ok(LeaveStatus::Approved),
        (LeaveStatus::Requested, LeaveAction::Reject) => Ok(LeaveStatus::Rejected),
        (LeaveStatus::Requested, LeaveAction::Withdraw) => Ok(LeaveStatus::Withdrawn),
        (LeaveStatus::Approved, LeaveAction::Withdraw) => {
            Err("the request was approved already: ask a coordinator to change the leave".into())
        }
        (s, _) => Err(format!("the request was {} already", s.code())),
    }
}

/// Most days one request may cover.
pub const MAX_LEAVE_DAYS: i64 = 366;

/// Checks a request's dates: `from` on or before `to`, at most [`MAX_LEAVE_DAYS`] days, and
/// asked at least `notice_days` days before it starts (`today` at the lawyer's centre). The
/// field at fault and why.
pub fn check_dates(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    notice_days: u32,
) -> Result<(), (&'static str, String)> {
    if to < from {
        return Err(("to", format!("{to} is before {from}")));
    }
    if (to - from).num_days() >= MAX_LEAVE_DAYS {
        return Err(("to", format!("at most {MAX_LEAVE_DAYS} days")));
    }
    let first = today + chrono::Duration::days(i64::from(notice_days));
    if from < first {
        return Err((
            "from",
            format!(
                "leave is requested at least {notice_days} day(s) ahead: the first day you may \
                 ask for now is {first}; for sudden leave call your coordinator"
            ),
        ));
    }
    Ok(())
}

/// The leave an approved request gives.
pub fn leave_of(
    lawyer: &crate::LawyerId,
    from: NaiveDate,
    to: NaiveDate,
    half_day: Option<HalfDay>,
    reason: &str,
) -> crate::Leave {
    crate::Leave {
        lawyer_id: lawyer.clone(),
        from,
        to,
        half_day,
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LeaveAction::*;
    use LeaveStatus::*;

    #[test]
    fn only_a_waiting_request_is_decided_or_withdrawn() {
        assert_eq!(transition(Requested, Approve), Ok(Approved));
        assert_eq!(transition(Requested, Reject), Ok(Rejected));
        assert_eq!(transition(Requested, Withdraw), Ok(Withdrawn));
        for s in [Approved, Rejected, Withdrawn] {
            for a in [Approve, Reject, Withdraw] {
                assert!(transition(s, a).is_err(), "{s:?} {a:?}");
            }
        }
        assert!(
            transition(Approved, Withdraw)
                .unwrap_err()
                .contains("coordinator")
        );
    }

    #[test]
    fn dates_need_notice_and_order() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-12-07");
        assert!(check_dates(d("2026-12-10"), d("2026-12-12"), today, 3).is_ok());
        assert_eq!(
            check_dates(d("2026-12-09"), d("2026-12-12"), today, 3)
                .unwrap_err()
                .0,
            "from"
        );
        assert!(check_dates(d("2026-12-07"), d("2026-12-07"), today, 0).is_ok());
        assert_eq!(
            check_dates(d("2026-12-12"), d("2026-12-10"), today, 0)
                .unwrap_err()
                .0,
            "to"
        );
        assert_eq!(
            check_dates(d("2027-01-01"), d("2028-01-02"), today, 0)
                .unwrap_err()
                .0,
            "to"
        );
        for s in [Requested, Approved, Rejected, Withdrawn] {
            assert_eq!(LeaveStatus::parse(s.code()), Ok(s));
        }
    }
}
