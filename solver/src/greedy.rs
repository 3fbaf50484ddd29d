//! The baseline a centre might use today: the randomised greedy of the UK Ministry of
//! Justice's rota tool (100 shuffled attempts, keep the best-scoring roster), adapted to
//! half-day slots and zhiban's hard rules.

use crate::evaluate::evaluate;
use crate::fair::fair_shares;
use crate::roster::{Assignment, Role, Roster};
use crate::settings::Weights;
use chrono::Datelike;
use std::collections::HashMap;
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
    let mut best: Option<(f64, Roster)> = None;
    for _ in 0..attempts.max(1) {
        let roster = attempt(
            problem,
            &shares.lawyer_target,
            &shares.history,
            &mut rng,
            weights,
        );
        let score = evaluate(problem, &roster, None, weights).components.total();
        if best.as_ref().is_none_or(|(b, _)| score < *b) {
            best = Some((score, roster));
        }
    }
    best.map(|b| b.1).unwrap_or_default()
}

fn attempt(
    p: &RosterProblem,
    target: &[f64],
    history: &[f64],
    rng: &mut Stream,
    w: &Weights,
) -> Roster {
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
    let mut week: HashMap<(usize, (i32, u32)), u32> = HashMap::new();
    let mut month: HashMap<(usize, (i32, u32)), u32> = HashMap::new();
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
                // The least-loaded fitting lawyer against their fair share; random ties.
                let mut best: Option<(f64, u64, usize)> = None;
                for &l in &s.eligible {
                    if !fits(l) {
                        continue;
                    }
                    let key = (load[l] - target[l], rng.next(), l);
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
