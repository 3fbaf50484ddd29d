//! Whether a duty was really attended: a check-out inside the duty's window, and time on
//! site covering a minimum share of the half-day. Pure functions over instants (UTC).
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

    #[test]
    fn a_duty_that_has_not_begun_has_not_happened() {
        assert!(!has_begun(at(9, 0), at(8, 59)));
        assert!(has_begun(at(9, 0), at(9, 0)));
    }
}
