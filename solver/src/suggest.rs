//! Ranked suggestions for one slot of a roster: every eligible lawyer not already there,
//! with the change in the roster's objective if chosen and the hard rules the choice would
//! break; and [`new_violations`], the check edits and swaps share (an edit may leave old
//! problems, but may not add new ones).
//!
//! ```
//! use zhiban_solver::suggest::{SlotRole, suggest};
//! use zhiban_solver::{Role, Roster, Weights};
//! let ds = zhiban_fixtures::baotou();
//! let centre = zhiban_domain::CentreId::parse("BT-GY").unwrap();
//! let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
//! let problem = zhiban_domain::RosterProblem::build(&ds, &[centre], from, 1, vec![]).unwrap();
//! let s = &problem.slots[0];
//! let slot = SlotRole { station_id: s.station_id.clone(), date: s.date, half_day: s.half_day, role: Role::Primary };
//! let ranked = suggest(&problem, &Roster::default(), &[], &slot, None, &Weights::default()).unwrap();
//! // Filling an empty post gains coverage: the best choice lowers the objective.
//! assert!(ranked[0].valid && ranked[0].cost_delta < 0.0);
//! ```

mod score;

use crate::check::{Checked, Violation, check_with_pins};
use crate::evaluate::evaluate_with;
use crate::roster::{Assignment, Role, Roster};
use crate::settings::Weights;
use chrono::NaiveDate;
use score::Base;
use zhiban_domain::{FirmId, HalfDay, LawyerId, RosterProblem, StationId};

/// The violations in `after` that `before` did not have: an edit may leave old problems (a
/// lawyer who went on leave since) for the coordinator to fix one by one, but may not add
/// new ones.
pub fn new_violations(
    problem: &RosterProblem,
    before: &Roster,
    after: &Roster,
    pins: &[Assignment],
) -> Vec<Violation> {
    // Compared as typed values (a roster's violations are few; a linear scan is enough).
    let old = check_with_pins(problem, before, pins);
    check_with_pins(problem, after, pins)
        .into_iter()
        .filter(|v| !old.contains(v))
        .collect()
}

/// A slot of the roster and the role to fill there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRole {
    /// Station.
    pub station_id: StationId,
    /// Day.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// Primary or backup.
    pub role: Role,
}

impl SlotRole {
    fn holds(&self, a: &Assignment) -> bool {
        a.station_id == self.station_id && a.date == self.date && a.half_day == self.half_day
    }
}

/// One lawyer who could take the slot, and what it would cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The lawyer.
    pub lawyer_id: LawyerId,
    /// Their firm.
    pub firm_id: FirmId,
    /// Whether the choice keeps every hard rule (no new violations).
    pub valid: bool,
    /// Change of the roster's objective if chosen (lower is better; coverage gained shows
    /// as a large negative number).
    pub cost_delta: f64,
    /// Duties (primary and backup) the lawyer already has in the period.
    pub current_load: u32,
    /// The lawyer's fair share of the period.
    pub fair_share: f64,
    /// The hard rules the choice would break.
    pub violations: Vec<Violation>,
}

/// Why there is nothing to suggest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuggestError {
    /// The roster's problem has no such slot.
    #[error("station {station_id} has no duty on {date} {half_day} in this roster")]
    NoSuchSlot {
        /// Station.
        station_id: StationId,
        /// Day.
        date: NaiveDate,
        /// Half-day.
        half_day: HalfDay,
    },
}

/// The index of `slot` in the problem's slots.
fn found_index(problem: &RosterProblem, slot: &SlotRole) -> Result<usize, SuggestError> {
    problem
        .slots
        .iter()
        .position(|s| {
            s.station_id == slot.station_id && s.date == slot.date && s.half_day == slot.half_day
        })
        .ok_or_else(|| SuggestError::NoSuchSlot {
            station_id: slot.station_id.clone(),
            date: slot.date,
            half_day: slot.half_day,
        })
}

/// A change of the objective to a millionth: the scoring adds and subtracts terms in another
/// order than a full evaluation, and equal choices should rank as equal (then by lawyer).
fn rounded(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The eligible lawyers for `slot` of `roster` (kept with `pins`), best first: valid
/// choices by the change in the objective under `w`, then the invalid ones with the rules
/// they break, ties by lawyer. Lawyers already at the slot are left out. With `replace`,
/// each choice replaces that lawyer's assignment at the slot.
pub fn suggest(
    problem: &RosterProblem,
    roster: &Roster,
    pins: &[Assignment],
    slot: &SlotRole,
    replace: Option<&LawyerId>,
    w: &Weights,
) -> Result<Vec<Candidate>, SuggestError> {
    let slot_index = found_index(problem, slot)?;
    let found = &problem.slots[slot_index];
    let (base, removed): (Vec<Assignment>, Vec<Assignment>) = roster
        .assignments
        .iter()
        .cloned()
        .partition(|a| !(replace == Some(&a.lawyer_id) && slot.holds(a)));
    let base_roster = Roster::new(base);
    // What the roster breaks already, once: each choice is checked for what it adds.
    let checked = Checked::new(problem, &base_roster, pins);
    let shares = crate::fair::fair_shares(problem, w);
    let scored = Base::new(problem, &base_roster, w, &shares);
    // The objective of the roster as it is, against the base without the replaced lawyer:
    // one addition is priced like a candidate; anything else is evaluated in full.
    let shift = match removed.as_slice() {
        [] => 0.0,
        // A lawyer not on the panel counts for nothing in the objective.
        [one] => problem
            .lawyers
            .iter()
            .position(|l| l.id == one.lawyer_id)
            .map_or(0.0, |l| scored.delta(slot_index, l, one.role)),
        _ => {
            let total = |r: &Roster| {
                evaluate_with(problem, r, None, w, &shares)
                    .components
                    .total()
            };
            total(roster) - total(&base_roster)
        }
    };
    let there: Vec<&LawyerId> = roster
        .assignments
        .iter()
        .filter(|a| slot.holds(a))
        .map(|a| &a.lawyer_id)
        .collect();
    let mut out = vec![];
    for &l in &found.eligible {
        let lawyer = &problem.lawyers[l];
        if there.contains(&&lawyer.id) {
            continue;
        }
        let violations = checked.added(slot_index, l, slot.role);
        let (primary, backup) = scored.load(l);
        out.push(Candidate {
            lawyer_id: lawyer.id.clone(),
            firm_id: lawyer.firm_id.clone(),
            valid: violations.is_empty(),
            cost_delta: rounded(scored.delta(slot_index, l, slot.role) - shift),
            current_load: primary + backup,
            fair_share: shares.lawyer_target[l],
            violations,
        });
    }
    out.sort_by(|a, b| {
        b.valid
            .cmp(&a.valid)
            .then(a.cost_delta.total_cmp(&b.cost_delta))
            .then(a.lawyer_id.cmp(&b.lawyer_id))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::evaluate;
    use zhiban_domain::CentreId;

    fn problem() -> RosterProblem {
        let ds = zhiban_fixtures::baotou();
        let centre = CentreId::parse("BT-GY").unwrap();
        let from = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        RosterProblem::build(&ds, &[centre], from, 1, vec![]).unwrap()
    }

    fn slot_role(p: &RosterProblem, i: usize) -> SlotRole {
        let s = &p.slots[i];
        SlotRole {
            station_id: s.station_id.clone(),
            date: s.date,
            half_day: s.half_day,
            role: Role::Primary,
        }
    }

    fn at(slot: &SlotRole, lawyer: &LawyerId) -> Assignment {
        Assignment {
            date: slot.date,
            half_day: slot.half_day,
            station_id: slot.station_id.clone(),
            lawyer_id: lawyer.clone(),
            role: slot.role,
        }
    }

    #[test]
    fn every_eligible_lawyer_is_ranked_valid_first_then_by_cost_then_by_id() {
        let p = problem();
        let slot = slot_role(&p, 0);
        let ranked = suggest(
            &p,
            &Roster::default(),
            &[],
            &slot,
            None,
            &Weights::default(),
        )
        .unwrap();
        assert_eq!(ranked.len(), p.slots[0].eligible.len());
        for pair in ranked.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let key = |c: &Candidate| (!c.valid, c.cost_delta);
            assert!(
                key(a) < key(b) || (key(a) == key(b) && a.lawyer_id < b.lawyer_id),
                "{a:?} before {b:?}"
            );
        }
        assert!(ranked.iter().all(|c| c.valid == c.violations.is_empty()));
    }

    #[test]
    fn a_lawyer_already_at_the_slot_is_not_suggested_and_their_load_excludes_the_choice() {
        let p = problem();
        let slot = slot_role(&p, 0);
        let first = p.lawyers[p.slots[0].eligible[0]].id.clone();
        let roster = Roster::new([at(&slot, &first)]);
        let ranked = suggest(&p, &roster, &[], &slot, None, &Weights::default()).unwrap();
        assert!(ranked.iter().all(|c| c.lawyer_id != first));
        assert!(ranked.iter().all(|c| c.current_load == 0));
    }

    #[test]
    fn with_replace_a_choice_takes_the_replaced_lawyer_s_place() {
        let p = problem();
        let slot = slot_role(&p, 0);
        let first = p.lawyers[p.slots[0].eligible[0]].id.clone();
        let roster = Roster::new([at(&slot, &first)]);
        let w = Weights::default();
        let replacing = suggest(&p, &roster, &[], &slot, Some(&first), &w).unwrap();
        let total = |r: &Roster| evaluate(&p, r, None, &w).components.total();
        for c in &replacing {
            let instead = Roster::new([at(&slot, &c.lawyer_id)]);
            assert!((c.cost_delta - (total(&instead) - total(&roster))).abs() < 1e-6);
        }
        assert!(replacing.iter().all(|c| c.lawyer_id != first));
    }

    #[test]
    fn a_slot_not_in_the_problem_is_refused() {
        let p = problem();
        let mut slot = slot_role(&p, 0);
        slot.date = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let e = suggest(
            &p,
            &Roster::default(),
            &[],
            &slot,
            None,
            &Weights::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "station {} has no duty on 2030-01-01 {} in this roster",
                slot.station_id, slot.half_day
            )
        );
    }

    #[test]
    fn only_violations_the_change_adds_count_as_new() {
        let p = problem();
        let slot = slot_role(&p, 0);
        let lawyer = p.lawyers[p.slots[0].eligible[0]].id.clone();
        // The same lawyer twice on one half-day (primary and backup) is double booking.
        let twice = Roster::new([
            at(&slot, &lawyer),
            Assignment {
                role: Role::Backup,
                ..at(&slot, &lawyer)
            },
        ]);
        let once = Roster::new([at(&slot, &lawyer)]);
        assert!(!new_violations(&p, &once, &twice, &[]).is_empty());
        assert!(new_violations(&p, &twice, &twice, &[]).is_empty());
        assert!(new_violations(&p, &twice, &once, &[]).is_empty());
    }

    /// What [`suggest`] computed before it scored changes alone: each candidate's roster
    /// checked and evaluated in full.
    fn suggest_in_full(
        p: &RosterProblem,
        roster: &Roster,
        pins: &[Assignment],
        slot: &SlotRole,
        replace: Option<&LawyerId>,
        w: &Weights,
    ) -> Vec<Candidate> {
        let s = p.slots.iter().position(|x| {
            x.station_id == slot.station_id && x.date == slot.date && x.half_day == slot.half_day
        });
        let total = |r: &Roster| evaluate(p, r, None, w).components.total();
        let base: Vec<Assignment> = roster
            .assignments
            .iter()
            .filter(|a| !(replace == Some(&a.lawyer_id) && slot.holds(a)))
            .cloned()
            .collect();
        let shares = crate::fair::fair_shares(p, w);
        let old = check_with_pins(p, &Roster::new(base.clone()), pins);
        let before = total(roster);
        let mut out = vec![];
        for &l in &p.slots[s.unwrap()].eligible {
            let lawyer = &p.lawyers[l];
            if roster
                .assignments
                .iter()
                .any(|a| a.lawyer_id == lawyer.id && slot.holds(a))
            {
                continue;
            }
            let mut with = base.clone();
            with.push(at(slot, &lawyer.id));
            let after = Roster::new(with);
            let violations: Vec<Violation> = check_with_pins(p, &after, pins)
                .into_iter()
                .filter(|v| !old.contains(v))
                .collect();
            let load = after
                .assignments
                .iter()
                .filter(|a| a.lawyer_id == lawyer.id)
                .count() as u32;
            out.push(Candidate {
                lawyer_id: lawyer.id.clone(),
                firm_id: lawyer.firm_id.clone(),
                valid: violations.is_empty(),
                cost_delta: total(&after) - before,
                current_load: load - 1,
                fair_share: shares.lawyer_target[l],
                violations,
            });
        }
        out
    }

    /// A roster that breaks rules on purpose: the greedy one, then more lawyers than posts,
    /// double bookings (a lawyer twice at one slot, both replaced at once), a lawyer off the
    /// panel.
    fn messy(p: &RosterProblem, w: &Weights) -> Roster {
        let mut a = crate::greedy::greedy(p, 1, 7, w).assignments;
        for (i, s) in p.slots.iter().enumerate().step_by(7) {
            if s.eligible.is_empty() {
                continue;
            }
            let l = &p.lawyers[s.eligible[i % s.eligible.len()]];
            let role = if i % 2 == 0 {
                Role::Primary
            } else {
                Role::Backup
            };
            a.push(Assignment {
                date: s.date,
                half_day: s.half_day,
                station_id: s.station_id.clone(),
                lawyer_id: l.id.clone(),
                role,
            });
        }
        let s = &p.slots[1];
        a.push(Assignment {
            date: s.date,
            half_day: s.half_day,
            station_id: s.station_id.clone(),
            lawyer_id: LawyerId::parse("NOT-ON-PANEL").unwrap(),
            role: Role::Primary,
        });
        Roster::new(a)
    }

    #[test]
    fn scoring_the_change_alone_gives_what_a_full_check_and_evaluation_give() {
        let ds = zhiban_fixtures::baotou();
        let from = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let centres: Vec<_> = ds.centres.iter().map(|c| c.id.clone()).collect();
        let mut p = RosterProblem::build(&ds, &centres, from, 1, vec![]).unwrap();
        // Every term on, the same-firm run and the balance by kind included.
        let all = zhiban_domain::FairnessPolicy {
            by_station_kind: true,
            firm_consecutive: 1,
            ..zhiban_domain::FairnessPolicy::default()
        };
        p.fairness = centres.iter().map(|c| (c.clone(), all)).collect();
        let (mut compared, mut invalid, mut replaced) = (0, 0, 0);
        for w in [Weights::default(), Weights::classic()] {
            let roster = messy(&p, &w);
            let pins: Vec<Assignment> = roster.assignments.iter().step_by(11).cloned().collect();
            // Every fourth slot (a debug build scores a few hundred rosters a second in full).
            for (i, s) in p.slots.iter().enumerate().step_by(4) {
                for role in [Role::Primary, Role::Backup] {
                    let slot = SlotRole {
                        station_id: s.station_id.clone(),
                        date: s.date,
                        half_day: s.half_day,
                        role,
                    };
                    let there: Vec<LawyerId> = roster
                        .assignments
                        .iter()
                        .filter(|a| slot.holds(a))
                        .map(|a| a.lawyer_id.clone())
                        .collect();
                    for replace in [None, there.get(i % 2)] {
                        let mut fast = suggest(&p, &roster, &pins, &slot, replace, &w).unwrap();
                        let mut full = suggest_in_full(&p, &roster, &pins, &slot, replace, &w);
                        fast.sort_by(|a, b| a.lawyer_id.cmp(&b.lawyer_id));
                        full.sort_by(|a, b| a.lawyer_id.cmp(&b.lawyer_id));
                        assert_eq!(fast.len(), full.len());
                        for (a, b) in fast.iter().zip(&full) {
                            let what = format!("{slot:?} replacing {replace:?}: {a:?} vs {b:?}");
                            assert!((a.cost_delta - b.cost_delta).abs() < 1e-6, "{what}");
                            assert_eq!(
                                (&a.lawyer_id, a.valid, &a.violations, a.current_load),
                                (&b.lawyer_id, b.valid, &b.violations, b.current_load),
                                "{what}"
                            );
                            assert_eq!(a.fair_share, b.fair_share);
                            compared += 1;
                            invalid += usize::from(!a.valid);
                        }
                        replaced += usize::from(replace.is_some());
                    }
                }
            }
        }
        eprintln!("{compared} choices compared, {invalid} invalid, {replaced} replacing");
        // The cases were there to compare: many choices, valid and not, replacements.
        assert!(compared > 2000, "{compared}");
        assert!(invalid > 200 && compared - invalid > 200, "{invalid}");
        assert!(replaced > 100, "{replaced}");
    }
}
