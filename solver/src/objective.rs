//! The objective: its terms ([`Components`]) and how the [`Weights`] price each of them.
//!
//! The model ([`crate::model`]) and the evaluation of a finished roster
//! ([`crate::evaluate`](mod@crate::evaluate)) both price choices here, so the solver's objective and a roster's
//! score are the same sum, term by term.

use crate::roster::Role;
use crate::settings::Weights;
pub use zhiban_domain::report::Components;
use zhiban_domain::{HalfDay, LawyerId, ProblemLawyer, ProblemStation, RosterProblem, StationId};

/// (a) The cost of one unfilled primary post at `station`: coverage × (1 + its priority).
pub(crate) fn coverage_per_post(w: &Weights, station: &ProblemStation) -> f64 {
    w.coverage * (1.0 + f64::from(station.priority))
}

/// (e) The cost of the wishes lawyer `lawyer` states against duty at slot `slot` (on a
/// make-up working day, wishes follow the weekday it works as).
pub(crate) fn wish_cost(w: &Weights, p: &RosterProblem, lawyer: usize, slot: usize) -> f64 {
    w.preference * f64::from(p.unmet_wishes(lawyer, slot))
}

/// (f) The cost of travel from `lawyer`'s base to `station`.
pub(crate) fn travel_cost(w: &Weights, lawyer: &ProblemLawyer, station: &ProblemStation) -> f64 {
    w.distance_per_km * lawyer.base.distance_m(&station.location) / 1000.0
}

/// The weighted [`tie_break`] of one choice.
pub(crate) fn tie_break_cost(
    w: &Weights,
    lawyer: &LawyerId,
    station: &StationId,
    date: chrono::NaiveDate,
    half: HalfDay,
    role: Role,
) -> f64 {
    w.tie_break * tie_break(lawyer, station, date, half, role)
}

/// How much a duty in `role` counts toward a lawyer's load.
pub(crate) fn load_factor(w: &Weights, role: Role) -> f64 {
    if role == Role::Primary {
        1.0
    } else {
        w.backup_load
    }
}

/// A fixed pseudo-random number in [0, 1) per (lawyer, slot, role). Equal choices (two
/// lawyers of one firm, same office, same load) would otherwise leave the optimiser a huge
/// number of equivalent rosters to tell apart; a tiny cost per pair makes one of them the
/// optimum, which both speeds the proof and makes the result reproducible.
pub(crate) fn tie_break(
    lawyer: &LawyerId,
    station: &StationId,
    date: chrono::NaiveDate,
    half: HalfDay,
    role: Role,
) -> f64 {
    // FNV-1a over the identifying text: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let text = format!("{lawyer}|{station}|{date}|{half}|{role:?}");
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 11) as f64 / (1u64 << 53) as f64
}
