//! A stronger Lagrangian bound for pricing: each lawyer's own hard limits kept.
//!
//! Pricing's bound charges every left-out pair its negative reduced cost, as if a lawyer
//! could take all of them: on a province's shared pool that is hundreds of pairs per lawyer,
//! and early rounds' bounds are far below zero. But every roster gives a lawyer at most one
//! duty per half-day, `per_day` per day, and their week's and month's limits (less history).
//! The Lagrangian function keeps its value as a bound when the minimum over each lawyer's
//! pairs is taken over sets that respect these limits, since every roster's pairs do.
//!
//! Half-days, days and ISO weeks nest, and so do half-days, days and months: each family is
//! laminar, and on a laminar family of caps (a laminar matroid) taking pairs greedily, most
//! negative first, gives the minimum. Weeks and months do not nest, so the minimum is taken
//! twice, once without the month caps and once without the week caps, and the larger of the
//! two (each a valid bound) is kept. Pinned pairs are taken first; when they already break a
//! cap (no roster exists), the lawyer falls back to the plain sum.

use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use zhiban_domain::HalfDay;

/// One pair of a lawyer: its reduced cost, when it is, and whether it is pinned.
#[derive(Debug, Clone, Copy)]
pub(super) struct PricedPair {
    pub(super) rc: f64,
    pub(super) date: NaiveDate,
    pub(super) half_day: HalfDay,
    pub(super) fixed: bool,
}

/// A lawyer's caps: per day, and what is left of each ISO week's and month's limit.
pub(super) struct Caps<'a> {
    pub(super) per_day: u32,
    pub(super) week: &'a dyn Fn((i32, u32)) -> u32,
    pub(super) month: &'a dyn Fn((i32, u32)) -> u32,
}

/// Which outer period a laminar family uses.
#[derive(Clone, Copy)]
enum Outer {
    Week,
    Month,
}

/// The least total reduced cost of a set of `pairs` holding every pinned one and within
/// `caps` (see the module doc): at least `Σ min(0, rc)` plus the pinned pairs' positive
/// reduced costs, never above the true minimum.
pub(super) fn least_cost(pairs: &[PricedPair], caps: &Caps<'_>) -> f64 {
    let plain: f64 = pairs
        .iter()
        .map(|p| if p.fixed { p.rc } else { p.rc.min(0.0) })
        .sum();
    let by_week = greedy(pairs, caps, Outer::Week);
    let by_month = greedy(pairs, caps, Outer::Month);
    match (by_week, by_month) {
        (Some(a), Some(b)) => a.max(b).max(plain),
        (Some(a), None) | (None, Some(a)) => a.max(plain),
        (None, None) => plain,
    }
}

/// The greedy minimum over the laminar family half-day ⊂ day ⊂ `outer`, or `None` when the
/// pinned pairs alone break a cap.
fn greedy(pairs: &[PricedPair], caps: &Caps<'_>, outer: Outer) -> Option<f64> {
    let outer_key = |d: NaiveDate| match outer {
        Outer::Week => {
            let w = d.iso_week();
            (w.year(), w.week())
        }
        Outer::Month => (d.year(), d.month()),
    };
    let outer_cap = |k: (i32, u32)| match outer {
        Outer::Week => (caps.week)(k),
        Outer::Month => (caps.month)(k),
    };
    let mut half: HashMap<(NaiveDate, HalfDay), u32> = HashMap::new();
    let mut day: HashMap<NaiveDate, u32> = HashMap::new();
    let mut out: HashMap<(i32, u32), u32> = HashMap::new();
    let mut total = 0.0;
    let mut order: Vec<&PricedPair> = pairs.iter().filter(|p| p.fixed).collect();
    let pinned = order.len();
    let mut free: Vec<&PricedPair> = pairs.iter().filter(|p| !p.fixed && p.rc < 0.0).collect();
    free.sort_by(|a, b| a.rc.total_cmp(&b.rc));
    order.extend(free);
    for (n, p) in order.into_iter().enumerate() {
        let h = half.entry((p.date, p.half_day)).or_default();
        let d = day.entry(p.date).or_default();
        let k = outer_key(p.date);
        let o = out.entry(k).or_default();
        let fits = *h < 1 && *d < caps.per_day && *o < outer_cap(k);
        if fits {
            *h += 1;
            *d += 1;
            *o += 1;
            total += p.rc;
        } else if n < pinned {
            return None;
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(rc: f64, day: u32, half: HalfDay) -> PricedPair {
        PricedPair {
            rc,
            date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            half_day: half,
            fixed: false,
        }
    }

    fn caps<'a>(
        per_day: u32,
        week: &'a dyn Fn((i32, u32)) -> u32,
        month: &'a dyn Fn((i32, u32)) -> u32,
    ) -> Caps<'a> {
        Caps {
            per_day,
            week,
            month,
        }
    }

    /// The least cost by trying every subset: the definition the greedy must meet.
    fn brute(pairs: &[PricedPair], c: &Caps<'_>) -> Option<f64> {
        let mut best: Option<f64> = None;
        for mask in 0u32..(1 << pairs.len()) {
            let set: Vec<&PricedPair> = (0..pairs.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| &pairs[i])
                .collect();
            if pairs
                .iter()
                .enumerate()
                .any(|(i, p)| p.fixed && mask & (1 << i) == 0)
            {
                continue;
            }
            let count = |f: &dyn Fn(&PricedPair) -> bool| set.iter().filter(|p| f(p)).count();
            let ok = set.iter().all(|p| {
                let w = p.date.iso_week();
                count(&|q| q.date == p.date && q.half_day == p.half_day) <= 1
                    && count(&|q| q.date == p.date) as u32 <= c.per_day
                    && count(&|q| q.date.iso_week() == w) as u32 <= (c.week)((w.year(), w.week()))
                    && count(&|q| q.date.month() == p.date.month()) as u32
                        <= (c.month)((p.date.year(), p.date.month()))
            });
            if ok {
                let v: f64 = set.iter().map(|p| p.rc).sum();
                best = Some(best.map_or(v, |b: f64| b.min(v)));
            }
        }
        best
    }

    #[test]
    fn a_lawyer_is_charged_only_the_duties_their_limits_allow() {
        // Six negative pairs over three days of one week; one a day, two a week.
        let pairs = [
            pair(-5.0, 23, HalfDay::Am),
            pair(-4.0, 23, HalfDay::Pm),
            pair(-3.0, 24, HalfDay::Am),
            pair(-2.0, 24, HalfDay::Am),
            pair(-1.0, 25, HalfDay::Pm),
            pair(2.0, 25, HalfDay::Am),
        ];
        let two = |_| 2;
        let many = |_| 20;
        // Plain sum -15; the limits allow -5 (day 23) and -3 (day 24).
        assert_eq!(least_cost(&pairs, &caps(1, &two, &many)), -8.0);
        // Two a day, many a week: -5 -4 (23), -3 (24, one half-day), -1 (25).
        assert_eq!(least_cost(&pairs, &caps(2, &many, &many)), -13.0);
    }

    #[test]
    fn pinned_pairs_are_taken_first_and_an_impossible_pin_falls_back() {
        let mut pinned = pair(3.0, 24, HalfDay::Pm);
        pinned.fixed = true;
        let pairs = [
            pair(-5.0, 24, HalfDay::Am),
            pinned,
            pair(-1.0, 25, HalfDay::Am),
        ];
        let one = |_| 1;
        let many = |_| 20;
        // One a week: only the pin (3); one a day, many a week: the pin and day 25.
        assert_eq!(least_cost(&pairs, &caps(1, &one, &many)), 3.0);
        assert_eq!(least_cost(&pairs, &caps(1, &many, &many)), 2.0);
        // Week and month already full from history: the pin cannot hold in either family
        // (no roster exists), and the plain sum stands.
        let none = |_| 0;
        assert_eq!(least_cost(&pairs, &caps(1, &none, &none)), -3.0);
        // Only the week full: the month family still holds the pin, and gives its figure.
        assert_eq!(least_cost(&pairs, &caps(1, &none, &many)), 2.0);
    }

    #[test]
    fn the_greedy_never_charges_more_than_the_true_minimum() {
        // Small random lawyers across a month boundary (week 49 spans November and
        // December), checked against every subset.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for _ in 0..300 {
            let n = 1 + (next() % 9) as usize;
            let pairs: Vec<PricedPair> = (0..n)
                .map(|_| {
                    let day = 27 + next() % 7; // 27 Nov .. 3 Dec
                    let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
                        + chrono::Duration::days(i64::from(day - 27));
                    PricedPair {
                        rc: f64::from(next() % 11) - 7.0,
                        date,
                        half_day: if next() % 2 == 0 {
                            HalfDay::Am
                        } else {
                            HalfDay::Pm
                        },
                        fixed: next() % 9 == 0,
                    }
                })
                .collect();
            // Caps that differ by week and by month (history leaves some fuller than others).
            let (pd, wk, mo) = (1 + next() % 2, next() % 4, next() % 4);
            let week = move |k: (i32, u32)| (wk + k.1) % 4;
            let month = move |k: (i32, u32)| (mo + k.1) % 4;
            let c = caps(pd, &week, &month);
            let got = least_cost(&pairs, &c);
            if let Some(truth) = brute(&pairs, &c) {
                assert!(got <= truth + 1e-9, "{got} above the minimum {truth}");
                // With the month caps out of reach the week family is the whole rule, and
                // the greedy is exact.
                if (month((2026, 11)) as usize) >= n && (month((2026, 12)) as usize) >= n {
                    assert!(
                        (got - truth).abs() < 1e-9,
                        "{got} below the minimum {truth}"
                    );
                }
            }
            let plain: f64 = pairs
                .iter()
                .map(|p| if p.fixed { p.rc } else { p.rc.min(0.0) })
                .sum();
            assert!(got >= plain - 1e-9);
        }
    }
}
