//! Scoring one more assignment by what it changes. A suggestion ranks every eligible lawyer
//! of a slot; evaluating the whole roster again for each (as [`crate::evaluate`] does) costs
//! hundreds of milliseconds on a city's month. Adding lawyer `l` at slot `s` changes only:
//! the costs of that choice (wishes, travel, tie-break), the slot's coverage, `l`'s own
//! fairness and spread, `l`'s firm's load, the largest deviation of any lawyer, and the
//! firm's run at the station on the half-days either side of `s`. [`Base`] counts the roster
//! once and prices each of those before and after. A test holds it equal to the difference
//! of two full evaluations on rosters that break rules and fill slots unevenly.

use crate::evaluate::{LawyerSpread, Tally, duty_load, firm_part, policy_of};
use crate::fair::{FairShares, outside_band};
use crate::objective::{coverage_per_post, tie_break_cost, travel_cost, wish_cost};
use crate::roster::{Role, Roster};
use crate::settings::Weights;
use std::collections::HashMap;
use zhiban_domain::{FirmId, RosterProblem};

/// A roster counted once, for pricing single additions to it.
pub(crate) struct Base<'a> {
    p: &'a RosterProblem,
    w: &'a Weights,
    shares: &'a FairShares,
    tally: Tally,
    /// Per lawyer: how far their duty load is outside the fair band.
    outside: Vec<f64>,
    /// The largest of `outside`, the lawyer who has it, and the largest of the others.
    top: (f64, Option<usize>, f64),
    /// Per firm: its load (history, duties and weighted backups).
    firm_load: HashMap<&'a FirmId, f64>,
    /// Per station: its slots in time order.
    station_slots: Vec<Vec<usize>>,
    /// Per slot: its place in its station's list.
    place: Vec<usize>,
}

impl<'a> Base<'a> {
    /// Counts `roster` in `p` under `w`, with the problem's fair shares `shares`.
    pub(crate) fn new(
        p: &'a RosterProblem,
        roster: &Roster,
        w: &'a Weights,
        shares: &'a FairShares,
    ) -> Self {
        let tally = Tally::count(p, roster, w);
        let mut outside = Vec::with_capacity(p.lawyers.len());
        let mut top = (0.0f64, None, 0.0f64);
        let mut firm_load: HashMap<&FirmId, f64> = HashMap::new();
        for (l, law) in p.lawyers.iter().enumerate() {
            let (primary, backup) = (tally.primary[l], tally.backup[l]);
            let o = outside_band(
                duty_load(shares, w, l, primary, backup),
                shares.lawyer_target[l],
            );
            if o > top.0 {
                top = (o, Some(l), top.0);
            } else if o > top.2 {
                top.2 = o;
            }
            outside.push(o);
            *firm_load.entry(&law.firm_id).or_default() += firm_part(shares, w, l, primary, backup);
        }
        let mut station_slots: Vec<Vec<usize>> = vec![vec![]; p.stations.len()];
        let mut place = Vec::with_capacity(p.slots.len());
        for (si, s) in p.slots.iter().enumerate() {
            place.push(station_slots[s.station].len());
            station_slots[s.station].push(si);
        }
        Base {
            p,
            w,
            shares,
            tally,
            outside,
            top,
            firm_load,
            station_slots,
            place,
        }
    }

    /// Primary and backup duties lawyer `l` has in the roster.
    pub(crate) fn load(&self, l: usize) -> (u32, u32) {
        (self.tally.primary[l], self.tally.backup[l])
    }

    /// The change in the roster's objective (as [`crate::evaluate()`] totals it, with no
    /// previous roster) if lawyer `l` is added at slot `s` in `role`.
    pub(crate) fn delta(&self, s: usize, l: usize, role: Role) -> f64 {
        let (p, w, t, shares) = (self.p, self.w, &self.tally, self.shares);
        let slot = &p.slots[s];
        let station = &p.stations[slot.station];
        let lawyer = &p.lawyers[l];
        let mut d = wish_cost(w, p, l, s)
            + travel_cost(w, lawyer, station)
            + tie_break_cost(
                w,
                &lawyer.id,
                &slot.station_id,
                slot.date,
                slot.half_day,
                role,
            );
        let [fp, fb] = t.filled[s];
        let (primary, backup) = self.load(l);
        let (after_p, after_b) = match role {
            Role::Primary => {
                if fp < slot.lawyers {
                    d -= coverage_per_post(w, station);
                }
                (primary + 1, backup)
            }
            Role::Backup => {
                if fb < slot.backups {
                    d -= w.backup;
                }
                (primary, backup + 1)
            }
        };
        // The lawyer's band, and the largest deviation of anyone.
        let outside = outside_band(
            duty_load(shares, w, l, after_p, after_b),
            shares.lawyer_target[l],
        );
        d += w.fairness_sum * (outside - self.outside[l]);
        let others = if self.top.1 == Some(l) {
            self.top.2
        } else {
            self.top.0
        };
        d += w.fairness_max * (others.max(outside) - self.top.0);
        if w.separate_backups && role == Role::Backup {
            let target = shares.backup_target[l];
            d += w.backup_fairness
                * (outside_band(f64::from(after_b), target)
                    - outside_band(f64::from(backup), target));
        }
        d += self.firm_delta(l, primary, backup, after_p, after_b);
        if role == Role::Primary {
            d += self.spread_delta(s, l);
        }
        d
    }

    /// The change in the firm balance term when lawyer `l` goes from `before` to `after`.
    fn firm_delta(&self, l: usize, primary: u32, backup: u32, after_p: u32, after_b: u32) -> f64 {
        let (w, shares) = (self.w, self.shares);
        let firm = &self.p.lawyers[l].firm_id;
        let target = shares.firm_target.get(firm).copied().unwrap_or(0.0);
        let before = self.firm_load.get(firm).copied().unwrap_or(0.0);
        let after = before + firm_part(shares, w, l, after_p, after_b)
            - firm_part(shares, w, l, primary, backup);
        w.firm_fairness * (outside_band(after, target) - outside_band(before, target))
    }

    /// The change in lawyer `l`'s spread terms and in the station's same-firm run when `l`
    /// takes a primary post at slot `s`.
    fn spread_delta(&self, s: usize, l: usize) -> f64 {
        let (p, w, t, shares) = (self.p, self.w, &self.tally, self.shares);
        let lawyer = &p.lawyers[l];
        let policy = policy_of(p, w, &lawyer.home_centre_id);
        let mine = &t.primary_slots[l];
        let mut with = Vec::with_capacity(mine.len() + 1);
        with.extend_from_slice(mine);
        with.push(s);
        let mut d = LawyerSpread::of(p, shares, l, &with).cost(&policy, w, shares, l)
            - LawyerSpread::of(p, shares, l, mine).cost(&policy, w, shares, l);
        // One more of the firm at the station: each neighbouring pair of open half-days
        // already holding someone of the firm counts one more.
        let station = p.slots[s].station;
        let weight = f64::from(policy_of(p, w, &p.stations[station].centre_id).firm_consecutive);
        if weight > 0.0 {
            let list = &self.station_slots[station];
            let at = self.place[s];
            let firm_in = |x: usize| {
                t.on_slot[x]
                    .iter()
                    .any(|&o| p.lawyers[o].firm_id == lawyer.firm_id)
            };
            let before = at.checked_sub(1).map(|i| list[i]);
            let after = list.get(at + 1).copied();
            for n in [before, after].into_iter().flatten() {
                if firm_in(n) || firm_in(s) {
                    d += weight;
                }
            }
        }
        d
    }
}
