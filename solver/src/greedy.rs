//! The baseline a centre might use today: the randomised greedy of the UK Ministry of
//! Justice's rota tool (100 shuffled attempts, keep the best-scoring roster), adapted to
//! half-day slots and zhiban's hard rules. Each post goes to the fitting lawyer least loaded
//! against their fair share; when the weights hold the spread terms, a primary duty's
//! consecutive days and weekday and AM/PM bunching count as load too (that tool never puts
//! a solicitor on adjacent days), at the fairness weight of one duty. Every part of a solve
//! starts from this roster.

use crate::evaluate::evaluate;
use crate::fair::{FairShares, fair_shares};
use crate::roster::{Assignment, Role, Roster};
use crate::settings::Weights;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use zhiban_domain::fairness::{half_day_cap, weekday_cap};
use zhiban_domain::{HalfDay, RosterProblem};

/// A tiny deterministic generator for the shuffles (SplitMix64).
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Best of `attempts` randomised greedy rosters, by the same weighted score the solver uses.
pub fn greedy(problem: &RosterProblem, attempts: u32, seed: u64, weights: &Weights) -> Roster {
    let mut rng = Stream(seed);
    let shares = fair_shares(problem, weights);
    let spread = SpreadTerms::of(problem, &shares, weights);
    let mut best: Option<(f64, Roster)> = None;
    for _ in 0..attempts.max(1) {
        let roster = attempt(problem, &shares, &spread, &mut rng, weights);
        let score = evaluate(problem, &roster, None, weights).components.total();
        if best.as_ref().is_none_or(|(b, _)| score < *b) {
            best = Some((score, roster));
        }
    }
    best.map(|b| b.1).unwrap_or_default()
}

/// A lawyer's spread terms as the greedy weighs them: the weights of their centre's policy
/// (all 0 when the weights leave spread out) and their even caps.
#[derive(Debug, Clone, Copy, Default)]
struct SpreadTerms {
    consecutive: f64,
    weekday: f64,
    half_day: f64,
    weekday_cap: u32,
    /// `None` when the lawyer cannot work both halves of the day (no AM/PM term).
    half_cap: Option<u32>,
}

impl SpreadTerms {
    fn of(p: &RosterProblem, shares: &FairShares, w: &Weights) -> Vec<Self> {
        p.lawyers
            .iter()
            .enumerate()
            .map(|(l, law)| {
                if !w.spread {
                    return Self::default();
                }
                let f = p
                    .fairness
                    .get(&law.home_centre_id)
                    .copied()
                    .unwrap_or_default();
                let share = shares.period_duty[l];
                Self {
                    consecutive: f64::from(f.consecutive_days),
                    weekday: f64::from(f.weekday_spread),
                    half_day: f64::from(f.half_day_spread),
                    weekday_cap: weekday_cap(share, shares.weekdays[l]),
                    half_cap: shares.both_halves[l].then(|| half_day_cap(share)),
                }
            })
            .collect()
    }

    /// What one more duty adds to these terms, for a lawyer already on duty the day before
    /// and the day after (`neighbours` of them), with `same_weekday` duties on its weekday
    /// and `same_half` in its half of the day.
    fn added(&self, neighbours: u32, same_weekday: u32, same_half: u32) -> f64 {
        let mut cost = self.consecutive * f64::from(neighbours);
        if same_weekday >= self.weekday_cap {
            cost += self.weekday;
        }
        if self.half_cap.is_some_and(|cap| same_half >= cap) {
            cost += self.half_day;
        }
        cost
    }
}

/// The consecutive-day pairs a duty on `date` adds for a lawyer on duty on the dates where
/// `on_duty` holds: its neighbouring days on duty, none when already on duty that day (the
/// score counts days, not duties).
fn new_neighbours(date: NaiveDate, on_duty: impl Fn(NaiveDate) -> bool) -> u32 {
    if on_duty(date) {
        return 0;
    }
    [date.pred_opt(), date.succ_opt()]
        .into_iter()
        .flatten()
        .filter(|d| on_duty(*d))
        .count() as u32
}

/// Duties per lawyer (index) and ISO week, and per lawyer and month, in the history.
type Counts = HashMap<(usize, (i32, u32)), u32>;
fn history_counts(p: &RosterProblem) -> (Counts, Counts) {
    let mut week = Counts::new();
    let mut month = Counts::new();
    let index: HashMap<&zhiban_domain::LawyerId, usize> = p
        .lawyers
        .iter()
        .enumerate()
        .map(|(i, l)| (&l.id, i))
        .collect();
    for h in &p.history {
        if let Some(&l) = index.get(&h.lawyer_id) {
            let wk = h.date.iso_week();
            *week.entry((l, (wk.year(), wk.week()))).or_default() += 1;
            *month
                .entry((l, (h.date.year(), h.date.month())))
                .or_default() += 1;
        }
    }
    (week, month)
}

fn attempt(
    p: &RosterProblem,
    shares: &FairShares,
    spread: &[SpreadTerms],
    rng: &mut Stream,
    w: &Weights,
) -> Roster {
    let (target, history) = (&shares.lawyer_target, &shares.history);
    let mut order: Vec<usize> = (0..p.slots.len()).collect();
    // Shuffle, then keep higher-priority stations first (stable sort keeps the shuffle within a priority).
    for i in (1..order.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order.sort_by_key(|&s| std::cmp::Reverse(p.stations[p.slots[s].station].priority));

    let mut load: Vec<f64> = history.to_vec();
    let mut half: HashMap<(usize, chrono::NaiveDate, HalfDay), usize> = HashMap::new();
    let mut day: HashMap<(usize, chrono::NaiveDate), u32> = HashMap::new();
    let (mut week, mut month) = history_counts(p);
    // Primary duties per lawyer and weekday, and per half of the day, for the spread terms.
    let mut weekdays = vec![[0u32; 7]; p.lawyers.len()];
    let mut halves = vec![[0u32; 2]; p.lawyers.len()];
    let max_m = f64::from(p.rules.am_pm_max_distance_km) * 1000.0;
    let mut out = vec![];
    for pass in [Role::Primary, Role::Backup] {
        for &si in &order {
            let s = &p.slots[si];
            let posts = if pass == Role::Primary {
                s.lawyers
            } else {
                s.backups
            };
            for _ in 0..posts {
                let wk = s.date.iso_week();
                let here = p.stations[s.station].location;
                let other = if s.half_day == HalfDay::Am {
                    HalfDay::Pm
                } else {
                    HalfDay::Am
                };
                let fits = |l: usize| {
                    let law = &p.lawyers[l];
                    law.is_available(s.date, s.half_day)
                        && !half.contains_key(&(l, s.date, s.half_day))
                        && day.get(&(l, s.date)).copied().unwrap_or(0) < law.limits.per_day
                        && week.get(&(l, (wk.year(), wk.week()))).copied().unwrap_or(0)
                            < law.limits.per_week
                        && month
                            .get(&(l, (s.date.year(), s.date.month())))
                            .copied()
                            .unwrap_or(0)
                            < law.limits.per_month
                        && half
                            .get(&(l, s.date, other))
                            .is_none_or(|&st| p.stations[st].location.distance_m(&here) <= max_m)
                };
                // The least-loaded fitting lawyer against their fair share, a primary duty's
                // spread terms counted as load (at the fairness weight of a duty); random ties.
                let (wd, hd) = (
                    s.date.weekday().num_days_from_monday() as usize,
                    usize::from(s.half_day == HalfDay::Pm),
                );
                let mut best: Option<(f64, u64, usize)> = None;
                for &l in &s.eligible {
                    if !fits(l) {
                        continue;
                    }
                    let mut key = load[l] - target[l];
                    if pass == Role::Primary {
                        let near = new_neighbours(s.date, |d| day.contains_key(&(l, d)));
                        let added = spread[l].added(near, weekdays[l][wd], halves[l][hd]);
                        key += added / w.fairness_sum.max(1.0);
                    }
                    let key = (key, rng.next(), l);
                    if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                        best = Some(key);
                    }
                }
                let Some((_, _, l)) = best else { break };
                load[l] += if pass == Role::Primary {
                    1.0
                } else {
                    w.backup_load
                };
                if pass == Role::Primary {
                    weekdays[l][wd] += 1;
                    halves[l][hd] += 1;
                }
                half.insert((l, s.date, s.half_day), s.station);
                *day.entry((l, s.date)).or_default() += 1;
                *week.entry((l, (wk.year(), wk.week()))).or_default() += 1;
                *month
                    .entry((l, (s.date.year(), s.date.month())))
                    .or_default() += 1;
                out.push(Assignment {
                    date: s.date,
                    half_day: s.half_day,
                    station_id: s.station_id.clone(),
                    lawyer_id: p.lawyers[l].id.clone(),
                    role: pass,
                });
            }
        }
    }
    Roster::new(out)
}

#[cfg(test)]
mod tests {
    use super::{SpreadTerms, new_neighbours};
    use chrono::NaiveDate;

    #[test]
    fn a_duty_costs_its_neighbours_and_what_passes_the_even_caps() {
        let t = SpreadTerms {
            consecutive: 6.0,
            weekday: 2.0,
            half_day: 1.0,
            weekday_cap: 2,
            half_cap: Some(3),
        };
        assert_eq!(t.added(0, 0, 0), 0.0);
        // On duty the day before and the day after: two consecutive pairs.
        assert_eq!(t.added(2, 0, 0), 12.0);
        // Below a cap nothing; at it, the duty is one beyond.
        assert_eq!(t.added(0, 1, 2), 0.0);
        assert_eq!(t.added(0, 2, 0), 2.0);
        assert_eq!(t.added(1, 2, 3), 9.0);
        // A lawyer who cannot work both halves has no AM/PM term.
        let one_half = SpreadTerms {
            half_cap: None,
            ..t
        };
        assert_eq!(one_half.added(0, 0, 100), 0.0);
        // Spread left out (classic weights): nothing costs.
        assert_eq!(SpreadTerms::default().added(2, 0, 0), 0.0);
    }

    #[test]
    fn a_duty_adds_a_consecutive_pair_per_neighbouring_day_unless_the_day_is_held() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let on = |days: &'static [&'static str]| move |x: NaiveDate| days.iter().any(|s| d(s) == x);
        assert_eq!(new_neighbours(d("2026-12-08"), on(&[])), 0);
        assert_eq!(new_neighbours(d("2026-12-08"), on(&["2026-12-07"])), 1);
        assert_eq!(
            new_neighbours(d("2026-12-08"), on(&["2026-12-07", "2026-12-09"])),
            2
        );
        // Two days away is not consecutive.
        assert_eq!(new_neighbours(d("2026-12-08"), on(&["2026-12-10"])), 0);
        // A second duty on a day already held (the morning, say) adds no pair.
        assert_eq!(
            new_neighbours(d("2026-12-08"), on(&["2026-12-07", "2026-12-08"])),
            0
        );
    }
}
