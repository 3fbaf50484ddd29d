//! Fair shares: what each lawyer and firm would carry if duties were spread evenly.

use crate::settings::Weights;
use std::collections::BTreeMap;
use zhiban_domain::{FirmId, RosterProblem};

/// Fair-share targets for one problem.
#[derive(Debug, Clone, PartialEq)]
pub struct FairShares {
    /// Per lawyer (index into `problem.lawyers`): duties already done in the history window.
    pub history: Vec<f64>,
    /// Per lawyer: fair share of history plus period, in duty units.
    pub lawyer_target: Vec<f64>,
    /// Per firm: the sum of its lawyers' targets (so proportional to its active, eligible panel).
    pub firm_target: BTreeMap<FirmId, f64>,
}

/// Computes fair shares.
///
/// A slot's load (posts + `backup_load` × backups) is spread evenly over the lawyers who are
/// eligible and available for it; a lawyer's period share is the sum over slots. History
/// counts too: a lawyer's target adds the average history of their home centre's lawyers,
/// so someone who did more duties in the window is due fewer now.
pub fn fair_shares(problem: &RosterProblem, weights: &Weights) -> FairShares {
    let n = problem.lawyers.len();
    let mut share = vec![0.0; n];
    for slot in &problem.slots {
        let available: Vec<usize> = slot
            .eligible
            .iter()
            .copied()
            .filter(|&l| problem.lawyers[l].is_available(slot.date, slot.half_day))
            .collect();
        if available.is_empty() {
            continue;
        }
        let load = f64::from(slot.lawyers) + weights.backup_load * f64::from(slot.backups);
        let each = load / available.len() as f64;
        for l in available {
            share[l] += each;
        }
    }
    let index: BTreeMap<&zhiban_domain::LawyerId, usize> = problem
        .lawyers
        .iter()
        .enumerate()
        .map(|(i, l)| (&l.id, i))
        .collect();
    let mut history = vec![0.0; n];
    for h in &problem.history {
        if let Some(&i) = index.get(&h.lawyer_id) {
            history[i] += 1.0;
        }
    }
    let mut centre_hist: BTreeMap<&zhiban_domain::CentreId, (f64, f64)> = BTreeMap::new();
    for (i, l) in problem.lawyers.iter().enumerate() {
        let e = centre_hist.entry(&l.home_centre_id).or_default();
        e.0 += history[i];
        e.1 += 1.0;
    }
    let lawyer_target: Vec<f64> = problem
        .lawyers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (sum, count) = centre_hist[&l.home_centre_id];
            share[i] + sum / count
        })
        .collect();
    let mut firm_target: BTreeMap<FirmId, f64> = BTreeMap::new();
    for (i, l) in problem.lawyers.iter().enumerate() {
        *firm_target.entry(l.firm_id.clone()).or_default() += lawyer_target[i];
    }
    FairShares {
        history,
        lawyer_target,
        firm_target,
    }
}

/// The band of loads counted as fair for a target: whole duties from the floor to the
/// ceiling of the target. Fairness penalises only loads outside it, so "within one duty of
/// an exact share" is fair, and the optimiser is not pushed around by fractions.
pub fn band(target: f64) -> (f64, f64) {
    // A tiny tolerance keeps 2.0000000001 from having a band of 2..3.
    ((target + 1e-9).floor(), (target - 1e-9).ceil().max(0.0))
}

/// How far `load` is outside the fair band of `target` (0 inside it).
pub fn outside_band(load: f64, target: f64) -> f64 {
    let (lo, hi) = band(target);
    (load - hi).max(0.0) + (lo - load).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fair_band_spans_floor_to_ceiling() {
        assert_eq!(band(0.26), (0.0, 1.0));
        assert_eq!(band(2.0), (2.0, 2.0));
        assert_eq!(band(3.7), (3.0, 4.0));
        assert_eq!(outside_band(0.0, 0.26), 0.0);
        assert_eq!(outside_band(2.0, 0.26), 1.0);
        assert_eq!(outside_band(1.5, 3.7), 1.5);
    }
}
