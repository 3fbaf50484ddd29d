// Over the ~600-line sizing rule by a line, on purpose: the attendance rules (window, lateness, geofence, check-out, pay, states, forwarding) and their unit tests, which take half the file; splitting the tests out is the next step if it grows.
//! Whether a duty was really attended: a check-in inside the duty's window (and how late
//! it is), a check-out inside the duty's window, and time on site covering a minimum share
//! of the half-day. Pure functions over instants (UTC).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use zhiban_domain::attendance::{Presence, assess};
//! let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap();
//! let rules = Presence { early_minutes: 30, checkout_grace_minutes: 60, min_presence_pct: 50 };
//! // 09:00 to 12:00; in at 08:55 and out at 12:05 is attended.
//! assert!(assess(at(9, 0), at(12, 0), at(8, 55), at(12, 5), &rules).is_ok());
//! // One second on site is not.
//! assert!(assess(at(9, 0), at(12, 0), at(9, 0), at(9, 0), &rules).is_err());
//! ```

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A centre's rules for counting a duty as attended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// Check-in opens this many minutes before the start.
    pub early_minutes: u32,
    /// Check-out is accepted until this many minutes after the end.
    pub checkout_grace_minutes: u32,
    /// Time on site (within the duty's hours) must cover this share of the half-day (%).
    pub min_presence_pct: u32,
}

/// Why a check-in and check-out do not make an attended duty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAttended {
    /// The check-in is outside the duty's check-in window.
    #[error("the check-in at {at} is outside the duty's window ({opens} to {ends})")]
    CheckInOutsideWindow {
        /// When.
        at: DateTime<Utc>,
        /// Window opens.
        opens: DateTime<Utc>,
        /// Duty ends.
        ends: DateTime<Utc>,
    },
    /// The check-out is before the check-in or after the end plus the grace.
    #[error("the check-out at {at} is outside {from} to {until}")]
    CheckOutOutsideWindow {
        /// When.
        at: DateTime<Utc>,
        /// Earliest.
        from: DateTime<Utc>,
        /// Latest.
        until: DateTime<Utc>,
    },
    /// Too little time on site.
    #[error(
        "{minutes} minutes on site of the duty's {duty_minutes}; at least {needed} are needed \
         (check-out from {earliest})"
    )]
    TooShort {
        /// On site, within the duty's hours.
        minutes: i64,
        /// The duty's length.
        duty_minutes: i64,
        /// Needed.
        needed: i64,
        /// The earliest check-out that would count.
        earliest: DateTime<Utc>,
    },
}

/// Whether checking in at `check_in` and out at `check_out` attends the duty from `start`
/// to `end` under `rules`.
pub fn assess(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    check_in: DateTime<Utc>,
    check_out: DateTime<Utc>,
    rules: &Presence,
) -> Result<(), NotAttended> {
    let opens = start - Duration::minutes(i64::from(rules.early_minutes));
    if check_in < opens || check_in > end {
        return Err(NotAttended::CheckInOutsideWindow {
            at: check_in,
            opens,
            ends: end,
        });
    }
    let until = end + Duration::minutes(i64::from(rules.checkout_grace_minutes));
    if check_out < check_in || check_out > until {
        return Err(NotAttended::CheckOutOutsideWindow {
            at: check_out,
            from: check_in,
            until,
        });
    }
    let duty_minutes = (end - start).num_minutes().max(0);
    let needed = (duty_minutes * i64::from(rules.min_presence_pct.min(100)) + 99) / 100;
    let from = check_in.max(start);
    let minutes = (check_out.min(end) - from).num_minutes().max(0);
    if minutes < needed {
        return Err(NotAttended::TooShort {
            minutes,
            duty_minutes,
            needed,
            earliest: from + Duration::minutes(needed),
        });
    }
    Ok(())
}

/// The instants between which a check-out of a check-in at `check_in` counts: from when
/// the time on site covers the minimum share to the end plus the grace. Equivalent to
/// [`assess`] for a check-in inside the window, so that the store can check it in the write.
pub fn checkout_window(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    check_in: DateTime<Utc>,
    rules: &Presence,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let duty_minutes = (end - start).num_minutes().max(0);
    let needed = (duty_minutes * i64::from(rules.min_presence_pct.min(100)) + 99) / 100;
    // With no minimum, any check-out after the check-in counts (as `assess` says).
    let from = if needed == 0 {
        check_in
    } else {
        check_in.max(start) + Duration::minutes(needed)
    };
    let until = end + Duration::minutes(i64::from(rules.checkout_grace_minutes));
    (from, until)
}

/// Whether a duty starting at `start` has begun by `now`: one that has not cannot be
/// excused or entered by hand as attended.
pub fn has_begun(start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= start
}

/// A centre's rules for checking in: when the window opens and when a check-in is late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInRules {
    /// Check-in opens this many minutes before the start (and closes at the end).
    pub early_minutes: u32,
    /// A check-in later than the start plus this many minutes is late.
    pub late_grace_minutes: u32,
}

/// How late a check-in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lateness {
    /// Whole minutes after the start (0 when on time or early).
    pub minutes_late: u32,
    /// Later than the start plus the grace.
    pub late: bool,
}

/// Why a check-in is refused at this instant: its window is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("check-in for this duty is open from {opens} to {ends} (UTC); it is {at}")]
pub struct CheckInClosed {
    /// The window opens.
    pub opens: DateTime<Utc>,
    /// The window closes (the duty's end).
    pub ends: DateTime<Utc>,
    /// The refused check-in.
    pub at: DateTime<Utc>,
}

/// How late a check-in at `at` is for a duty starting at `start`, under a grace of
/// `late_grace_minutes` (a manual entry's check-in, whose window [`assess`] checks, too).
pub fn lateness(start: DateTime<Utc>, at: DateTime<Utc>, late_grace_minutes: u32) -> Lateness {
    let minutes_late = u32::try_from((at - start).num_minutes().max(0)).unwrap_or(u32::MAX);
    Lateness {
        minutes_late,
        late: minutes_late > late_grace_minutes,
    }
}

/// A lawyer's own check-in at `now` for the duty from `start` to `end`: refused outside the
/// window (from `early_minutes` before the start to the end), otherwise how late it is.
pub fn check_in_assessment(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    rules: CheckInRules,
) -> Result<Lateness, CheckInClosed> {
    let opens = start - Duration::minutes(i64::from(rules.early_minutes));
    if now < opens || now > end {
        return Err(CheckInClosed {
            opens,
            ends: end,
            at: now,
        });
    }
    Ok(lateness(start, now, rules.late_grace_minutes))
}

/// Whether a phone `distance_m` metres from the station (if it sent a position) is outside
/// the station's geofence of `geofence_m` metres. No position is not outside.
pub fn outside_geofence(distance_m: Option<f64>, geofence_m: u32) -> bool {
    distance_m.is_some_and(|d| d > f64::from(geofence_m))
}

/// Where a duty's attendance record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    /// Checked in, not yet out.
    CheckedIn,
    /// Checked in and out.
    Attended,
    /// Absent, excused by a coordinator.
    Excused,
}

impl AttendanceStatus {
    /// Code as stored.
    pub fn code(self) -> &'static str {
        match self {
            AttendanceStatus::CheckedIn => "checked_in",
            AttendanceStatus::Attended => "attended",
            AttendanceStatus::Excused => "excused",
        }
    }

    /// Parses a stored code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "checked_in" => Ok(AttendanceStatus::CheckedIn),
            "attended" => Ok(AttendanceStatus::Attended),
            "excused" => Ok(AttendanceStatus::Excused),
            other => Err(format!("unknown attendance status {other:?}")),
        }
    }
}

/// Whether a record counts for pay: checked in and out (approved when it lacked the proof of
/// presence the centre requires) or excused, and not voided by a correction. The one rule
/// statements, the attendance list and corrections share.
pub fn counts_for_pay(status: AttendanceStatus, approved: bool, voided: bool) -> bool {
    !voided
        && match status {
            AttendanceStatus::Excused => true,
            AttendanceStatus::Attended => approved,
            AttendanceStatus::CheckedIn => false,
        }
}

/// What became of a published duty, as the attendance list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DutyState {
    /// Not begun, no record.
    Upcoming,
    /// Checked in, not yet out.
    CheckedIn,
    /// Attended and counting.
    Attended,
    /// Absent, excused.
    Excused,
    /// Ended without a check-in.
    NoShow,
    /// Attended without the proof of presence the centre requires (e.g. outside the
    /// geofence): waits for a coordinator.
    NeedsApproval,
    /// A correction took the record out of pay.
    Voided,
    /// A backup who was not called: no record is no absence.
    Standby,
}

impl DutyState {
    /// Code, as the API writes it.
    pub fn code(self) -> &'static str {
        match self {
            DutyState::Upcoming => "upcoming",
            DutyState::CheckedIn => "checked_in",
            DutyState::Attended => "attended",
            DutyState::Excused => "excused",
            DutyState::NoShow => "no_show",
            DutyState::NeedsApproval => "needs_approval",
            DutyState::Voided => "voided",
            DutyState::Standby => "standby",
        }
    }
}

/// The facts of an attendance record that decide a duty's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFacts {
    /// Where it stands.
    pub status: AttendanceStatus,
    /// Approved (or needing no approval).
    pub approved: bool,
    /// Voided by a correction.
    pub voided: bool,
}

/// The state of a duty of `role` ending at `end`, with its record if any, at `now`.
pub fn duty_state(
    role: crate::Role,
    record: Option<RecordFacts>,
    now: DateTime<Utc>,
    end: DateTime<Utc>,
) -> DutyState {
    match record {
        None if role == crate::Role::Backup => DutyState::Standby,
        None if now > end => DutyState::NoShow,
        None => DutyState::Upcoming,
        Some(r) if r.voided => DutyState::Voided,
        Some(r) => match r.status {
            AttendanceStatus::CheckedIn => DutyState::CheckedIn,
            AttendanceStatus::Excused => DutyState::Excused,
            AttendanceStatus::Attended if !r.approved => DutyState::NeedsApproval,
            AttendanceStatus::Attended => DutyState::Attended,
        },
    }
}

/// A duty's start and end as instants: the half-day's hours on `date` in the station's time
/// zone `tz`. None when a time does not exist locally (a gap in the zone's clock).
pub fn duty_window<Z: chrono::TimeZone>(
    template: crate::HalfDayTemplate,
    date: chrono::NaiveDate,
    tz: &Z,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let at = |time| {
        tz.from_local_datetime(&date.and_time(time))
            .earliest()
            .map(|x| x.with_timezone(&Utc))
    };
    Some((at(template.start)?, at(template.end)?))
}

/// Hours within which a legal-aid application received on duty must be forwarded to the
/// centre.
pub const FORWARDING_DEADLINE_HOURS: i64 = 24;

/// Whether an application received at `received` was (or, still unforwarded at `now`, is)
/// forwarded late.
pub fn forwarded_late(
    received: DateTime<Utc>,
    forwarded: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let due = received + Duration::hours(FORWARDING_DEADLINE_HOURS);
    forwarded.map_or(now > due, |f| f > due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    const RULES: Presence = Presence {
        early_minutes: 30,
        checkout_grace_minutes: 60,
        min_presence_pct: 50,
    };

    #[test]
    fn a_full_half_day_on_site_is_attended() {
        assert_eq!(
            assess(at(9, 0), at(12, 0), at(8, 40), at(12, 30), &RULES),
            Ok(())
        );
    }

    #[test]
    fn a_check_in_and_out_one_second_apart_a_day_early_is_not() {
        let early = at(9, 0) - Duration::hours(29);
        let r = assess(
            at(9, 0),
            at(12, 0),
            early,
            early + Duration::seconds(1),
            &RULES,
        );
        assert!(
            matches!(r, Err(NotAttended::CheckInOutsideWindow { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn a_check_out_after_the_grace_or_before_the_check_in_is_refused() {
        let r = assess(at(9, 0), at(12, 0), at(9, 0), at(13, 1), &RULES);
        assert!(
            matches!(r, Err(NotAttended::CheckOutOutsideWindow { .. })),
            "{r:?}"
        );
        let r = assess(at(9, 0), at(12, 0), at(9, 30), at(9, 10), &RULES);
        assert!(
            matches!(r, Err(NotAttended::CheckOutOutsideWindow { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn time_on_site_must_cover_the_minimum_share_counted_within_the_duty() {
        // 180 minutes, 50%: 90 needed. In 08:30 (counts from 09:00), out 10:29: 89.
        let r = assess(at(9, 0), at(12, 0), at(8, 30), at(10, 29), &RULES);
        assert_eq!(
            r,
            Err(NotAttended::TooShort {
                minutes: 89,
                duty_minutes: 180,
                needed: 90,
                earliest: at(10, 30)
            })
        );
        assert!(assess(at(9, 0), at(12, 0), at(8, 30), at(10, 30), &RULES).is_ok());
        // Staying after the end adds nothing: in 11:00, out 13:00 is 60 minutes.
        assert!(assess(at(9, 0), at(12, 0), at(11, 0), at(13, 0), &RULES).is_err());
    }

    #[test]
    fn the_check_out_window_agrees_with_the_assessment() {
        for check_in in [at(8, 30), at(9, 0), at(10, 15), at(11, 50)] {
            let (from, until) = checkout_window(at(9, 0), at(12, 0), check_in, &RULES);
            let ok = |t| assess(at(9, 0), at(12, 0), check_in, t, &RULES).is_ok();
            let minute = Duration::minutes(1);
            if from <= until {
                assert!(ok(from) && ok(until), "{check_in}");
                assert!(!ok(from - minute) && !ok(until + minute), "{check_in}");
            } else {
                assert!(!ok(until) && !ok(from), "{check_in}");
            }
        }
    }

    #[test]
    fn with_no_minimum_any_check_out_after_the_check_in_counts() {
        let none = Presence {
            min_presence_pct: 0,
            ..RULES
        };
        let (from, _) = checkout_window(at(9, 0), at(12, 0), at(8, 50), &none);
        assert_eq!(from, at(8, 50));
        assert!(assess(at(9, 0), at(12, 0), at(8, 50), at(8, 50), &none).is_ok());
    }

    const CHECK_IN: CheckInRules = CheckInRules {
        early_minutes: 30,
        late_grace_minutes: 10,
    };

    #[test]
    fn check_in_opens_early_minutes_before_the_start_and_closes_at_the_end() {
        let ok = |t| check_in_assessment(at(9, 0), at(12, 0), t, CHECK_IN);
        assert!(ok(at(8, 30)).is_ok());
        assert!(ok(at(12, 0)).is_ok());
        assert_eq!(
            ok(at(8, 29)),
            Err(CheckInClosed {
                opens: at(8, 30),
                ends: at(12, 0),
                at: at(8, 29)
            })
        );
        assert!(ok(at(12, 1)).is_err());
    }

    #[test]
    fn a_closed_window_explains_itself_in_utc() {
        let e = check_in_assessment(at(9, 0), at(12, 0), at(12, 1), CHECK_IN).unwrap_err();
        assert_eq!(
            e.to_string(),
            "check-in for this duty is open from 2026-11-23 08:30:00 UTC to \
             2026-11-23 12:00:00 UTC (UTC); it is 2026-11-23 12:01:00 UTC"
        );
    }

    #[test]
    fn a_check_in_is_late_only_after_the_start_plus_the_grace() {
        let l = |t| check_in_assessment(at(9, 0), at(12, 0), t, CHECK_IN).unwrap();
        assert_eq!(
            l(at(8, 45)),
            Lateness {
                minutes_late: 0,
                late: false
            }
        );
        assert_eq!(
            l(at(9, 10)),
            Lateness {
                minutes_late: 10,
                late: false
            }
        );
        assert_eq!(
            l(at(9, 11)),
            Lateness {
                minutes_late: 11,
                late: true
            }
        );
        // Whole minutes: 10 minutes 59 seconds late is 10.
        let almost = at(9, 10) + Duration::seconds(59);
        assert_eq!(lateness(at(9, 0), almost, 10).minutes_late, 10);
    }

    #[test]
    fn only_a_position_farther_than_the_fence_is_outside_it() {
        assert!(!outside_geofence(None, 200));
        assert!(!outside_geofence(Some(200.0), 200));
        assert!(outside_geofence(Some(200.5), 200));
    }

    #[test]
    fn a_duty_that_has_not_begun_has_not_happened() {
        assert!(!has_begun(at(9, 0), at(8, 59)));
        assert!(has_begun(at(9, 0), at(9, 0)));
    }

    #[test]
    fn only_attended_and_approved_or_excused_records_that_are_not_voided_count_for_pay() {
        use AttendanceStatus::*;
        assert!(counts_for_pay(Attended, true, false));
        assert!(!counts_for_pay(Attended, false, false));
        assert!(counts_for_pay(Excused, false, false));
        assert!(!counts_for_pay(CheckedIn, true, false));
        assert!(!counts_for_pay(Attended, true, true));
        assert!(!counts_for_pay(Excused, true, true));
    }

    #[test]
    fn a_duty_s_state_follows_its_record_its_role_and_the_clock() {
        use crate::Role;
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
        let end = at(12);
        let rec = |status, approved, voided| {
            Some(RecordFacts {
                status,
                approved,
                voided,
            })
        };
        assert_eq!(
            duty_state(Role::Backup, None, at(13), end),
            DutyState::Standby
        );
        assert_eq!(
            duty_state(Role::Primary, None, at(13), end),
            DutyState::NoShow
        );
        assert_eq!(
            duty_state(Role::Primary, None, at(12), end),
            DutyState::Upcoming
        );
        let s = |r| duty_state(Role::Primary, r, at(13), end);
        assert_eq!(
            s(rec(AttendanceStatus::Attended, true, true)),
            DutyState::Voided
        );
        assert_eq!(
            s(rec(AttendanceStatus::CheckedIn, true, false)),
            DutyState::CheckedIn
        );
        assert_eq!(
            s(rec(AttendanceStatus::Excused, false, false)),
            DutyState::Excused
        );
        assert_eq!(
            s(rec(AttendanceStatus::Attended, false, false)),
            DutyState::NeedsApproval
        );
        assert_eq!(
            s(rec(AttendanceStatus::Attended, true, false)),
            DutyState::Attended
        );
        assert_eq!(DutyState::NeedsApproval.code(), "needs_approval");
        assert_eq!(
            serde_json::to_value(DutyState::NoShow).unwrap(),
            serde_json::json!("no_show")
        );
    }

    #[test]
    fn a_duty_s_window_is_its_half_day_in_the_station_s_zone() {
        let t = crate::HalfDayTemplate {
            start: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
        };
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let (s, e) = duty_window(t, date, &crate::DEFAULT_TIME_ZONE).unwrap();
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap());
        assert_eq!(e, Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap());
    }

    #[test]
    fn an_application_is_late_past_24_hours_forwarded_or_not() {
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap() + Duration::hours(h);
        assert!(!forwarded_late(at(0), Some(at(24)), at(100)));
        assert!(forwarded_late(at(0), Some(at(25)), at(100)));
        assert!(!forwarded_late(at(0), None, at(24)));
        assert!(forwarded_late(at(0), None, at(25)));
    }
}
