//! Fair shares: what each lawyer and firm would carry if duties were spread evenly.

use crate::settings::Weights;
use chrono::Datelike;
use std::collections::BTreeMap;
use zhiban_domain::{FirmId, RosterProblem, StationKind};

/// Fair-share targets for one problem.
#[derive(Debug, Clone, PartialEq)]
pub struct FairShares {
    /// Per lawyer (index into `problem.lawyers`): duties already done in the history window.
    pub history: Vec<f64>,
    /// Per lawyer: fair share of history plus period, in duty units (primary duties only
    /// when backups are balanced separately, else duties and weighted backups).
    pub lawyer_target: Vec<f64>,
    /// Per lawyer: fair share of the period's backups (0 when they count with duties).
    pub backup_target: Vec<f64>,
    /// Per lawyer: fair share of the period's primary duties alone (no history), which the
    /// spread caps divide.
    pub period_duty: Vec<f64>,
    /// Per lawyer: distinct weekdays (of the date) with a slot they are eligible and
    /// available for.
    pub weekdays: Vec<u32>,
    /// Per lawyer: whether they could work both mornings and afternoons.
    pub both_halves: Vec<bool>,
    /// Per lawyer and kind of station ([`StationKind::ALL`] order): duties done there in the
    /// history window.
    pub kind_history: Vec<[f64; 3]>,
    /// Per lawyer and kind: fair share of history plus period at that kind of station.
    pub kind_target: Vec<[f64; 3]>,
    /// Per firm: the sum of its lawyers' targets (so proportional to its active, eligible panel).
    pub firm_target: BTreeMap<FirmId, f64>,
}

/// The index of `kind` in [`StationKind::ALL`].
pub fn kind_index(kind: StationKind) -> usize {
    StationKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0)
}

/// Computes fair shares.
///
/// A slot's load is spread evenly over the lawyers who are eligible and available for it; a
/// lawyer's period share is the sum over slots. With backups balanced separately the posts
/// and the backups are spread each on their own; otherwise a slot's load is posts +
/// `backup_load` × backups. History counts too: a lawyer's target adds the average history
/// of their home centre's lawyers, so someone who did more duties in the window is due fewer
/// now (backups have no history: only primary duties are kept as history).
pub fn fair_shares(problem: &RosterProblem, weights: &Weights) -> FairShares {
    let n = problem.lawyers.len();
    let mut duty = vec![0.0; n];
    let mut backup = vec![0.0; n];
    let mut kind_share = vec![[0.0; 3]; n];
    let mut weekday_seen = vec![0u8; n];
    let mut halves = vec![0u8; n];
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
        let k = kind_index(problem.stations[slot.station].kind);
        let posts = f64::from(slot.lawyers) / available.len() as f64;
        let backups = f64::from(slot.backups) / available.len() as f64;
        for l in available {
            if weights.separate_backups {
                duty[l] += posts;
                backup[l] += backups;
            } else {
                duty[l] += posts + weights.backup_load * backups;
            }
            kind_share[l][k] += posts;
            weekday_seen[l] |= 1 << slot.date.weekday().num_days_from_monday();
            halves[l] |= 1 << usize::from(slot.half_day == zhiban_domain::HalfDay::Pm);
        }
    }
    let index: BTreeMap<&zhiban_domain::LawyerId, usize> = problem
        .lawyers
        .iter()
        .enumerate()
        .map(|(i, l)| (&l.id, i))
        .collect();
    let station_kind: BTreeMap<&zhiban_domain::StationId, usize> = problem
        .stations
        .iter()
        .map(|s| (&s.id, kind_index(s.kind)))
        .collect();
    let mut history = vec![0.0; n];
    let mut kind_history = vec![[0.0; 3]; n];
    for h in &problem.history {
        if let Some(&i) = index.get(&h.lawyer_id) {
            history[i] += 1.0;
            if let Some(&k) = station_kind.get(&h.station_id) {
                kind_history[i][k] += 1.0;
            }
        }
    }
    // Per home centre: the history summed, by kind too, and the lawyers counted.
    let mut centre_hist: BTreeMap<&zhiban_domain::CentreId, (f64, [f64; 3], f64)> = BTreeMap::new();
    for (i, l) in problem.lawyers.iter().enumerate() {
        let e = centre_hist.entry(&l.home_centre_id).or_default();
        e.0 += history[i];
        for (sum, n) in e.1.iter_mut().zip(kind_history[i]) {
            *sum += n;
        }
        e.2 += 1.0;
    }
    let mut lawyer_target = vec![0.0; n];
    let mut kind_target = vec![[0.0; 3]; n];
    for (i, l) in problem.lawyers.iter().enumerate() {
        let (sum, by_kind, count) = centre_hist[&l.home_centre_id];
        lawyer_target[i] = duty[i] + sum / count;
        for k in 0..3 {
            kind_target[i][k] = kind_share[i][k] + by_kind[k] / count;
        }
    }
    let mut firm_target: BTreeMap<FirmId, f64> = BTreeMap::new();
    for (i, l) in problem.lawyers.iter().enumerate() {
        *firm_target.entry(l.firm_id.clone()).or_default() +=
            lawyer_target[i] + weights.backup_load * backup[i];
    }
    let period_duty = if weights.separate_backups {
        duty
    } else {
        kind_share.iter().map(|k| k.iter().sum()).collect()
    };
    FairShares {
        history,
        lawyer_target,
        backup_target: backup,
        period_duty,
        weekdays: weekday_seen.iter().map(|w| w.count_ones()).collect(),
        both_halves: halves.iter().map(|h| *h == 3).collect(),
        kind_history,
        kind_target,
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
