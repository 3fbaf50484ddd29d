//! Swap moves: two lawyers exchange primary duties, their loads unchanged, when that
//! lowers the objective (the spread terms mostly: a second duty on one weekday, in one half
//! of the day, on a neighbouring day).
//!
//! Only lawyers whose spread terms cost something start a swap, and a swap is priced in
//! full only when a first estimate (the two lawyers' spread and the pairs' own costs, which
//! leaves out the firm's run at a station) already saves; so a swap that would help only
//! that run is not found.

use super::{EPS, Local};
use crate::roster::Role;
use std::time::Instant;

/// One side of a swap: a lawyer, the slot of the primary duty they give up, and that
/// pair's cost.
pub(super) type Side = (usize, usize, f64);

impl Local<'_, '_> {
    /// One pass of swaps: each primary duty of a lawyer whose spread costs something is
    /// tried against the duties of the other lawyers who may take it (see the module doc).
    /// Whether any swap was taken, or `None` when the deadline passed.
    pub(super) fn swap_pass(&mut self, deadline: Instant) -> Option<bool> {
        let mut moved = false;
        for a in 0..self.ctx.p.lawyers.len() {
            if self.spread[a] <= EPS {
                continue;
            }
            // A swap tried and undone puts the duty last: go by a copy of the list.
            for s in self.primary_slots[a].clone() {
                if self.spread[a] <= EPS {
                    break;
                }
                if !self.primary_slots[a].contains(&s) {
                    continue;
                }
                moved |= self.swap_one(a, s, deadline)?;
            }
        }
        Some(moved)
    }

    /// Takes the first swap of lawyer `a`'s primary duty at `s` that lowers the objective:
    /// whether one was taken, or `None` when the deadline passed.
    fn swap_one(&mut self, a: usize, s: usize, deadline: Instant) -> Option<bool> {
        let Some(cost_as) = self.cost(s, a, Role::Primary) else {
            return Some(false);
        };
        let mut mine = self.primary_slots[a].clone();
        mine.retain(|&x| x != s);
        for i in 0..self.options[s][0].len() {
            let (b, cost_bs) = self.options[s][0][i];
            if b == a || self.primary_slots[b].is_empty() {
                continue;
            }
            if Instant::now() >= deadline {
                return None;
            }
            let theirs = self.primary_slots[b].clone();
            let mut with = Vec::with_capacity(theirs.len());
            for &t in &theirs {
                let (Some(cost_at), Some(cost_bt)) = (
                    self.cost(t, a, Role::Primary),
                    self.cost(t, b, Role::Primary),
                ) else {
                    continue;
                };
                // A first estimate from the two lawyers' spread and the pairs' costs alone
                // (their loads do not change); the full price is taken only below it.
                mine.push(t);
                let new_a = self.spread_cost(a, &mine);
                mine.pop();
                with.clear();
                with.extend(theirs.iter().copied().filter(|&x| x != t));
                with.push(s);
                let new_b = self.spread_cost(b, &with);
                let guess = new_a - self.spread[a] + new_b - self.spread[b] + cost_bs + cost_at
                    - cost_as
                    - cost_bt;
                if guess >= -EPS {
                    continue;
                }
                let (sa, sb) = ((a, s, cost_as), (b, t, cost_bt));
                if self
                    .price_swap(sa, sb, cost_bs, cost_at)
                    .is_some_and(|d| d < -EPS)
                {
                    self.swap(sa, sb);
                    return Some(true);
                }
            }
        }
        Some(false)
    }

    /// What exchanging lawyer `a`'s primary duty at `s` and `b`'s at `t` changes in the
    /// objective, `b` at `s` costing `cost_bs` and `a` at `t` `cost_at`; `None` when the
    /// hard rules forbid it. Everything is left as it was.
    pub(super) fn price_swap(
        &mut self,
        (a, s, cost_as): Side,
        (b, t, cost_bt): Side,
        cost_bs: f64,
        cost_at: f64,
    ) -> Option<f64> {
        let p = Role::Primary;
        self.apply(s, a, p, false);
        let mut d = -self.add_delta(s, a, p, cost_as);
        self.apply(t, b, p, false);
        d -= self.add_delta(t, b, p, cost_bt);
        let mut priced = None;
        if self.fits(s, b) && self.fits(t, a) {
            d += self.add_delta(s, b, p, cost_bs);
            self.apply(s, b, p, true);
            d += self.add_delta(t, a, p, cost_at);
            self.apply(s, b, p, false);
            priced = Some(d);
        }
        self.apply(t, b, p, true);
        self.apply(s, a, p, true);
        priced
    }

    /// Exchanges lawyer `a`'s primary duty at `s` and `b`'s at `t`.
    pub(super) fn swap(&mut self, (a, s, _): Side, (b, t, _): Side) {
        let p = Role::Primary;
        self.apply(s, a, p, false);
        self.apply(t, b, p, false);
        self.apply(s, b, p, true);
        self.apply(t, a, p, true);
    }
}
