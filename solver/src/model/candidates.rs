//! The candidate decisions: every eligible, available (lawyer, slot, role) with its cost.

use super::pins::Key;
use crate::objective::{tie_break_cost, travel_cost, wish_cost};
use crate::roster::{Assignment, Role};
use crate::settings::Weights;
use std::collections::BTreeSet;
use zhiban_domain::RosterProblem;

/// One possible decision: `lawyer` takes `role` at `slot`, at `cost` (preferences, travel,
/// tie-break and, in repair, stability).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cand {
    pub(super) lawyer: usize,
    pub(super) slot: usize,
    pub(super) role: Role,
    pub(super) cost: f64,
    /// Pinned: must be taken.
    pub(super) fixed: bool,
    /// Pinned or in the previous version: always among the pairs modelled.
    pub(super) keep: bool,
}

impl Cand {
    /// The assignment this pair stands for.
    pub(super) fn assignment(&self, p: &RosterProblem) -> Assignment {
        let s = &p.slots[self.slot];
        Assignment {
            date: s.date,
            half_day: s.half_day,
            station_id: s.station_id.clone(),
            lawyer_id: p.lawyers[self.lawyer].id.clone(),
            role: self.role,
        }
    }
}

/// Every eligible, available (lawyer, slot, role), ordered by slot, lawyer and role.
pub(super) fn candidates(
    p: &RosterProblem,
    pinned: &BTreeSet<Key>,
    previous: &BTreeSet<Key>,
    repairing: bool,
    w: &Weights,
) -> Vec<Cand> {
    let mut out = vec![];
    for (si, s) in p.slots.iter().enumerate() {
        let st = &p.stations[s.station];
        for &l in &s.eligible {
            let law = &p.lawyers[l];
            if !law.is_available(s.date, s.half_day) {
                continue;
            }
            let base = wish_cost(w, p, l, si) + travel_cost(w, law, st);
            let roles: &[Role] = if s.backups > 0 {
                &[Role::Primary, Role::Backup]
            } else {
                &[Role::Primary]
            };
            for &role in roles {
                let key = (si, l, role);
                let mut cost =
                    base + tie_break_cost(w, &law.id, &s.station_id, s.date, s.half_day, role);
                if repairing {
                    // Keeping a previous assignment saves a change; adding a new one makes one.
                    cost += if previous.contains(&key) {
                        -w.stability
                    } else {
                        w.stability
                    };
                }
                out.push(Cand {
                    lawyer: l,
                    slot: si,
                    role,
                    cost,
                    fixed: pinned.contains(&key),
                    keep: pinned.contains(&key) || previous.contains(&key),
                });
            }
        }
    }
    out
}
