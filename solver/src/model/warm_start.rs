//! A warm start: a complete start vector for HiGHS from a roster (the greedy baseline's),
//! so the solver begins with a roster and spends its time improving and proving it.

use super::Model;
use crate::objective::load_factor;
use crate::roster::{Role, Roster};
use crate::settings::Weights;
use std::collections::HashSet;
use zhiban_domain::{HalfDay, LawyerId, RosterProblem, StationId};

/// What a non-decision column holds, so a warm start can fill it in.
pub(super) enum StartCol {
    /// Unfilled posts of one role at one slot.
    Unmet { slot: usize, role: Role, posts: f64 },
    /// The largest lawyer deviation.
    Zmax,
    /// Load above the band: `load - cap` (a firm's load counts backups too).
    Over {
        lawyers: Vec<usize>,
        cap: f64,
        firm: bool,
    },
    /// Load below the band: `floor - load`.
    Under {
        lawyers: Vec<usize>,
        floor: f64,
        firm: bool,
    },
    /// A penalty: the largest of `sign × Σ x(pairs) − rhs` over its rows, and 0.
    Excess { rows: Vec<(Vec<usize>, f64, f64)> },
}

/// A complete start vector from a roster.
pub(super) fn warm_start(p: &RosterProblem, m: &Model, w: &Weights, roster: &Roster) -> Vec<f64> {
    let index: HashSet<(&StationId, chrono::NaiveDate, HalfDay, &LawyerId, Role)> = roster
        .assignments
        .iter()
        .map(|a| (&a.station_id, a.date, a.half_day, &a.lawyer_id, a.role))
        .collect();
    let mut x = vec![0.0; m.cols];
    let mut filled = vec![[0.0f64; 2]; p.slots.len()];
    let mut load = vec![0.0f64; p.lawyers.len()];
    let mut firm_load = vec![0.0f64; p.lawyers.len()];
    for pr in &m.pairs {
        let s = &p.slots[pr.slot];
        if index.contains(&(
            &s.station_id,
            s.date,
            s.half_day,
            &p.lawyers[pr.lawyer].id,
            pr.role,
        )) {
            x[pr.col] = 1.0;
            filled[pr.slot][usize::from(pr.role == Role::Backup)] += 1.0;
            if !(w.separate_backups && pr.role == Role::Backup) {
                load[pr.lawyer] += load_factor(w, pr.role);
            }
            firm_load[pr.lawyer] += load_factor(w, pr.role);
        }
    }
    let mut zmax: f64 = 0.0;
    let mut zcol = None;
    let mut per_lawyer = vec![0.0f64; p.lawyers.len()];
    for (col, kind) in &m.starts {
        x[*col] = match kind {
            StartCol::Unmet { slot, role, posts } => {
                posts - filled[*slot][usize::from(*role == Role::Backup)]
            }
            StartCol::Zmax => {
                zcol = Some(*col);
                0.0
            }
            StartCol::Over { lawyers, cap, firm } => {
                let of = if *firm { &firm_load } else { &load };
                let v = (lawyers.iter().map(|&l| of[l]).sum::<f64>() - cap).max(0.0);
                if !firm {
                    per_lawyer[lawyers[0]] += v;
                }
                v
            }
            StartCol::Excess { rows } => rows
                .iter()
                .map(|(idx, sign, rhs)| {
                    sign * idx.iter().map(|&i| x[m.pairs[i].col]).sum::<f64>() - rhs
                })
                .fold(0.0, f64::max),
            StartCol::Under {
                lawyers,
                floor,
                firm,
            } => {
                let of = if *firm { &firm_load } else { &load };
                let v = (floor - lawyers.iter().map(|&l| of[l]).sum::<f64>()).max(0.0);
                if !firm {
                    per_lawyer[lawyers[0]] += v;
                }
                v
            }
        };
    }
    for v in per_lawyer {
        zmax = zmax.max(v);
    }
    if let Some(c) = zcol {
        x[c] = zmax;
    }
    x
}
