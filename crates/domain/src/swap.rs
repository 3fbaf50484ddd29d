//! Swap policy: who may hand a published duty to whom, and when.
//!
//! A lawyer offers a duty they hold in the published roster to a colleague of the panel
//! (never to themselves); a centre may allow swaps only within one firm, and only a number
//! of hours before the duty starts; valid swaps wait for a coordinator unless the centre
//! approves them itself. Whether the taker keeps every hard rule (eligibility,
//! availability, double booking, limits) is the solver's checker's question, asked of the
//! roster [`swapped`] returns.
//!
//! ```
//! use zhiban_domain::swap::{Acceptance, SwapPolicy};
//! let p = SwapPolicy { same_firm: false, min_hours: 24, auto_approve: true };
//! assert_eq!(p.on_acceptance(), Acceptance::TakesEffect);
//! ```

use crate::{Assignment, CentreId, Dataset, FirmId, LawyerId, Roster};
use chrono::{DateTime, Utc};

/// A centre's rules for swaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapPolicy {
    /// Swaps only between lawyers of one firm.
    pub same_firm: bool,
    /// A swap must be made at least this many hours before the duty starts.
    pub min_hours: u32,
    /// Valid swaps take effect without a coordinator's approval.
    pub auto_approve: bool,
}

/// What the taker's acceptance does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// The swap takes effect at once (a new published version).
    TakesEffect,
    /// The swap waits for a coordinator's approval.
    AwaitsApproval,
}

impl SwapPolicy {
    /// What a taker's acceptance of a valid swap does under this policy.
    pub fn on_acceptance(&self) -> Acceptance {
        if self.auto_approve {
            Acceptance::TakesEffect
        } else {
            Acceptance::AwaitsApproval
        }
    }
}

/// Why a swap is refused. The messages are the API's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SwapRefusal {
    /// The giver no longer holds the duty in the published roster.
    #[error("{giver} no longer holds this duty in the published roster")]
    NotHeld {
        /// The lawyer named on the duty.
        giver: LawyerId,
    },
    /// The duty is offered to its own holder.
    #[error("cannot swap a duty with oneself")]
    WithOneself,
    /// The giver is no longer on the panel.
    #[error("no lawyer {giver}")]
    UnknownGiver {
        /// The lawyer named on the duty.
        giver: LawyerId,
    },
    /// The taker is not on the panel.
    #[error("no lawyer {taker}")]
    UnknownTaker {
        /// The lawyer the duty is offered to.
        taker: LawyerId,
    },
    /// The centre allows swaps only within one firm, and the two are at different firms.
    #[error(
        "centre {centre} allows swaps only within one firm: {giver} is at {giver_firm}, \
         {taker} at {taker_firm}"
    )]
    OtherFirm {
        /// The roster's centre.
        centre: CentreId,
        /// The giver.
        giver: LawyerId,
        /// The giver's firm.
        giver_firm: FirmId,
        /// The taker.
        taker: LawyerId,
        /// The taker's firm.
        taker_firm: FirmId,
    },
    /// The duty's slot is no longer in the roster's problem.
    #[error("the duty's slot is no longer in the roster")]
    SlotGone,
    /// Too close to the duty's start.
    #[error(
        "swaps must be made at least {min_hours} hours before the duty starts ({starts}); it \
         starts in {:.1} hours", hours(*minutes)
    )]
    TooLate {
        /// The centre's notice period.
        min_hours: u32,
        /// When the duty starts.
        starts: DateTime<Utc>,
        /// Whole minutes from now to the start (negative once it has begun).
        minutes: i64,
    },
}

fn hours(minutes: i64) -> f64 {
    minutes as f64 / 60.0
}

/// A proposed swap: `duty` (naming its holder) to go to `to`, in a roster of `centre`.
#[derive(Debug, Clone, Copy)]
pub struct Swap<'a> {
    /// The roster's centre.
    pub centre: &'a CentreId,
    /// The duty, as the published roster holds it.
    pub duty: &'a Assignment,
    /// The lawyer to take it.
    pub to: &'a LawyerId,
}

/// The first checks, before anything is looked up: the giver still holds the duty in the
/// published roster `held`, and does not offer it to themselves.
pub fn check_offer(held: &[Assignment], swap: Swap<'_>) -> Result<(), SwapRefusal> {
    if !held.contains(swap.duty) {
        return Err(SwapRefusal::NotHeld {
            giver: swap.duty.lawyer_id.clone(),
        });
    }
    if &swap.duty.lawyer_id == swap.to {
        return Err(SwapRefusal::WithOneself);
    }
    Ok(())
}

/// The centre's terms, in this order: both lawyers are on the `panel`, of one firm when the
/// policy says so; the duty still has a slot (`starts`, when it starts, is None when it has
/// none); and `now` is at least the notice period before the start.
pub fn check_terms(
    policy: &SwapPolicy,
    swap: Swap<'_>,
    panel: &Dataset,
    starts: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), SwapRefusal> {
    let giver = panel
        .lawyer(&swap.duty.lawyer_id)
        .ok_or_else(|| SwapRefusal::UnknownGiver {
            giver: swap.duty.lawyer_id.clone(),
        })?;
    let taker = panel
        .lawyer(swap.to)
        .ok_or_else(|| SwapRefusal::UnknownTaker {
            taker: swap.to.clone(),
        })?;
    if policy.same_firm && giver.firm_id != taker.firm_id {
        return Err(SwapRefusal::OtherFirm {
            centre: swap.centre.clone(),
            giver: giver.id.clone(),
            giver_firm: giver.firm_id.clone(),
            taker: taker.id.clone(),
            taker_firm: taker.firm_id.clone(),
        });
    }
    let starts = starts.ok_or(SwapRefusal::SlotGone)?;
    let minutes = (starts - now).num_minutes();
    if hours(minutes) < f64::from(policy.min_hours) {
        return Err(SwapRefusal::TooLate {
            min_hours: policy.min_hours,
            starts,
            minutes,
        });
    }
    Ok(())
}

/// A published roster with a swap applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swapped {
    /// The roster before.
    pub before: Roster,
    /// The roster after: the duty held by the taker, everything else as it was.
    pub after: Roster,
    /// The pins kept: all but the swapped duty's.
    pub pins: Vec<Assignment>,
}

/// The roster `held` (with `pins`) after `swap`.
pub fn swapped<'a>(
    held: &[Assignment],
    pins: impl IntoIterator<Item = &'a Assignment>,
    swap: Swap<'_>,
) -> Swapped {
    let after = held.iter().map(|a| {
        if a == swap.duty {
            Assignment {
                lawyer_id: swap.to.clone(),
                ..a.clone()
            }
        } else {
            a.clone()
        }
    });
    Swapped {
        before: Roster::new(held.iter().cloned()),
        after: Roster::new(after),
        pins: pins
            .into_iter()
            .filter(|p| *p != swap.duty)
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{d, dataset as tiny};
    use crate::{HalfDay, Role, StationId};
    use chrono::{Duration, TimeZone};

    fn duty(lawyer: &str) -> Assignment {
        Assignment {
            date: d("2026-11-23"),
            half_day: HalfDay::Am,
            station_id: StationId::parse("S1").unwrap(),
            lawyer_id: LawyerId::parse(lawyer).unwrap(),
            role: Role::Primary,
        }
    }

    fn policy(same_firm: bool) -> SwapPolicy {
        SwapPolicy {
            same_firm,
            min_hours: 24,
            auto_approve: false,
        }
    }

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap()
    }

    #[test]
    fn only_the_holder_of_a_published_duty_may_offer_it_and_not_to_themselves() {
        let centre = CentreId::parse("A").unwrap();
        let (mine, other) = (duty("L1"), duty("L2"));
        let to = LawyerId::parse("L3").unwrap();
        let held = [mine.clone()];
        let swap = |duty, to| Swap {
            centre: &centre,
            duty,
            to,
        };
        assert_eq!(check_offer(&held, swap(&mine, &to)), Ok(()));
        assert_eq!(
            check_offer(&held, swap(&other, &to)),
            Err(SwapRefusal::NotHeld {
                giver: other.lawyer_id.clone()
            })
        );
        assert_eq!(
            check_offer(&held, swap(&mine, &mine.lawyer_id))
                .unwrap_err()
                .to_string(),
            "cannot swap a duty with oneself"
        );
    }

    #[test]
    fn a_same_firm_centre_refuses_a_taker_from_another_firm() {
        let ds = tiny();
        let centre = CentreId::parse("A").unwrap();
        let giver = ds.lawyer(&LawyerId::parse("L1").unwrap()).unwrap();
        let other = ds.lawyer(&LawyerId::parse("L2").unwrap()).unwrap();
        let duty = duty(giver.id.as_str());
        let swap = Swap {
            centre: &centre,
            duty: &duty,
            to: &other.id,
        };
        let early = start() - Duration::days(3);
        assert_eq!(
            check_terms(&policy(false), swap, &ds, Some(start()), early),
            Ok(())
        );
        let e = check_terms(&policy(true), swap, &ds, Some(start()), early).unwrap_err();
        assert_eq!(
            e.to_string(),
            "centre A allows swaps only within one firm: L1 is at F1, L2 at F2"
        );
    }

    #[test]
    fn a_taker_or_giver_off_the_panel_and_a_vanished_slot_are_refused() {
        let ds = tiny();
        let centre = CentreId::parse("A").unwrap();
        let known = ds.lawyers[0].id.clone();
        let stranger = LawyerId::parse("NOBODY").unwrap();
        let early = start() - Duration::days(3);
        let known_duty = duty(known.as_str());
        let to_stranger = Swap {
            centre: &centre,
            duty: &known_duty,
            to: &stranger,
        };
        assert_eq!(
            check_terms(&policy(false), to_stranger, &ds, Some(start()), early)
                .unwrap_err()
                .to_string(),
            "no lawyer NOBODY"
        );
        let stranger_duty = duty("NOBODY");
        let from_stranger = Swap {
            centre: &centre,
            duty: &stranger_duty,
            to: &known,
        };
        assert!(matches!(
            check_terms(&policy(false), from_stranger, &ds, Some(start()), early),
            Err(SwapRefusal::UnknownGiver { .. })
        ));
        let to_colleague = Swap {
            to: &ds.lawyers[1].id,
            ..to_stranger
        };
        assert_eq!(
            check_terms(&policy(false), to_colleague, &ds, None, early),
            Err(SwapRefusal::SlotGone)
        );
    }

    #[test]
    fn a_swap_inside_the_notice_period_is_refused_with_the_hours_left() {
        let ds = tiny();
        let centre = CentreId::parse("A").unwrap();
        let duty = duty(ds.lawyers[0].id.as_str());
        let swap = Swap {
            centre: &centre,
            duty: &duty,
            to: &ds.lawyers[1].id,
        };
        let p = policy(false);
        let on_the_hour = start() - Duration::hours(24);
        assert_eq!(
            check_terms(&p, swap, &ds, Some(start()), on_the_hour),
            Ok(())
        );
        let late = on_the_hour + Duration::minutes(1);
        let e = check_terms(&p, swap, &ds, Some(start()), late).unwrap_err();
        assert_eq!(
            e.to_string(),
            "swaps must be made at least 24 hours before the duty starts \
             (2026-11-23 01:00:00 UTC); it starts in 24.0 hours"
        );
        let begun = check_terms(
            &p,
            swap,
            &ds,
            Some(start()),
            start() + Duration::minutes(90),
        );
        assert!(begun.unwrap_err().to_string().ends_with("in -1.5 hours"));
    }

    #[test]
    fn the_taker_gets_the_duty_and_its_pin_is_dropped() {
        let (mine, theirs) = (duty("L1"), duty("L2"));
        let to = LawyerId::parse("L3").unwrap();
        let centre = CentreId::parse("A").unwrap();
        let held = [mine.clone(), theirs.clone()];
        let s = swapped(
            &held,
            &[mine.clone(), theirs.clone()],
            Swap {
                centre: &centre,
                duty: &mine,
                to: &to,
            },
        );
        assert_eq!(s.before, Roster::new(held.clone()));
        let taken = Assignment {
            lawyer_id: to.clone(),
            ..mine.clone()
        };
        assert_eq!(s.after, Roster::new([taken, theirs.clone()]));
        assert_eq!(s.pins, vec![theirs]);
    }

    #[test]
    fn valid_swaps_take_effect_on_acceptance_only_where_the_centre_approves_them_itself() {
        let mut p = policy(false);
        assert_eq!(p.on_acceptance(), Acceptance::AwaitsApproval);
        p.auto_approve = true;
        assert_eq!(p.on_acceptance(), Acceptance::TakesEffect);
    }
}
