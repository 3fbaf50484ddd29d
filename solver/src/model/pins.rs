//! Pins (assignments that must be in the result) and the previous version's assignments, as
//! (slot, lawyer, role) indices into the problem, with pins checked against the hard rules
//! they could break on their own.

use super::{SolveError, SolveInput};
use crate::roster::Role;
use std::collections::{BTreeSet, HashMap};
use zhiban_domain::{LawyerId, RosterProblem, Slot};

/// A (slot, lawyer, role) triple, as indices into the problem.
pub(super) type Key = (usize, usize, Role);

/// Pins and the previous version, by index.
pub(super) struct Pins<'a> {
    /// Each lawyer's index in the problem.
    pub(super) lawyer_index: HashMap<&'a LawyerId, usize>,
    /// The pinned triples.
    pub(super) pinned: BTreeSet<Key>,
    /// The previous version's triples (those still in the problem).
    pub(super) previous: BTreeSet<Key>,
}

impl<'a> Pins<'a> {
    /// Indexes the input's pins and previous version; a pin no roster could hold is an error.
    pub(super) fn resolve(input: SolveInput<'a>) -> Result<Self, SolveError> {
        let p = input.problem;
        let lawyer_index: HashMap<&LawyerId, usize> = p
            .lawyers
            .iter()
            .enumerate()
            .map(|(i, l)| (&l.id, i))
            .collect();
        let mut pinned: BTreeSet<Key> = BTreeSet::new();
        for a in input.pins {
            let slot = a.slot_in(p).ok_or_else(|| {
                SolveError::BadPin(format!(
                    "{} {} {}: no such slot in the period",
                    a.station_id, a.date, a.half_day
                ))
            })?;
            let lawyer = *lawyer_index.get(&a.lawyer_id).ok_or_else(|| {
                SolveError::BadPin(format!(
                    "{} at {} {} {}: the lawyer is not eligible here",
                    a.lawyer_id, a.station_id, a.date, a.half_day
                ))
            })?;
            let s = &p.slots[slot];
            let why = if !s.eligible.contains(&lawyer) {
                Some("the lawyer is not eligible for this slot")
            } else if !p.lawyers[lawyer].is_available(s.date, s.half_day) {
                Some("the lawyer is unavailable then")
            } else if a.role == Role::Backup && s.backups == 0 {
                Some("the slot has no backup post")
            } else {
                None
            };
            if let Some(why) = why {
                return Err(SolveError::BadPin(format!(
                    "{} at {} {} {}: {why}",
                    a.lawyer_id, a.station_id, a.date, a.half_day
                )));
            }
            pinned.insert((slot, lawyer, a.role));
        }
        check_posts(p, &pinned)?;
        let previous: BTreeSet<Key> = input
            .previous
            .map(|r| {
                r.assignments
                    .iter()
                    .filter_map(|a| Some((a.slot_in(p)?, *lawyer_index.get(&a.lawyer_id)?, a.role)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Pins {
            lawyer_index,
            pinned,
            previous,
        })
    }
}

/// No slot has more pinned lawyers in a role than it has posts.
fn check_posts(p: &RosterProblem, pinned: &BTreeSet<Key>) -> Result<(), SolveError> {
    for role in [Role::Primary, Role::Backup] {
        let max = |s: &Slot| {
            if role == Role::Primary {
                s.lawyers
            } else {
                s.backups
            }
        };
        for (slot, s) in p.slots.iter().enumerate() {
            let n = pinned
                .iter()
                .filter(|(sl, _, r)| *sl == slot && *r == role)
                .count() as u32;
            if n > max(s) {
                return Err(SolveError::BadPin(format!(
                    "{} {} {}: {n} pinned {role:?} lawyers for {} posts",
                    s.station_id,
                    s.date,
                    s.half_day,
                    max(s)
                )));
            }
        }
    }
    Ok(())
}
