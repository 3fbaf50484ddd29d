//! Swap moves: two lawyers exchange primary duties, their loads unchanged, when that
//! lowers the objective (the spread terms mostly: a second duty on one weekday, in one half
//! of the day, on a neighbouring day).

use super::{EPS, Local};
use crate::roster::Role;
use std::time::Instant;

impl Local<'_, '_> {
    /// One pass of swaps: each primary duty of a lawyer whose spread costs something is
    /// tried against every duty of every other lawyer who may take it and whose own duty
    /// the first may take. Whether any swap was taken, or `None` when the deadline passed.
    pub(super) fn swap_pass(&mut self, deadline: Instant) -> Option<bool> {
        let mut moved = false;
        for a in 0..self.ctx.p.lawyers.len() {
            if self.spread[a] <= EPS {
                continue;
            }
            if Instant::now() >= deadline {
                return None;
            }
            let mut i = 0;
            while i < self.primary_slots[a].len() {
                let s = self.primary_slots[a][i];
                if self.swap_one(a, s) {
                    moved = true;
                    if self.spread[a] <= EPS {
                        break;
                    }
                }
                i += 1;
            }
        }
        Some(moved)
    }

    /// Takes the first swap of lawyer `a`'s primary duty at `s` that lowers the objective:
    /// whether one was taken.
    fn swap_one(&mut self, a: usize, s: usize) -> bool {
        let Some(cost_as) = self.cost(s, a, Role::Primary) else {
            return false;
        };
        let mut mine = self.primary_slots[a].clone();
        mine.retain(|&x| x != s);
        let options = self.options[s][0].clone();
        for (b, cost_bs) in options {
            if b == a || self.primary_slots[b].is_empty() {
                continue;
            }
            let theirs = self.primary_slots[b].clone();
            for &t in &theirs {
                let Some(cost_at) = self.cost(t, a, Role::Primary) else {
                    continue;
                };
                let cost_bt = self.cost(t, b, Role::Primary).unwrap_or(0.0);
                // A first estimate from the two lawyers' spread and the pairs' costs alone
                // (their loads do not change); the full price is taken only below it.
                mine.push(t);
                let new_a = self.spread_cost(a, &mine);
                mine.pop();
                let mut with: Vec<usize> = theirs.iter().copied().filter(|&x| x != t).collect();
                with.push(s);
                let new_b = self.spread_cost(b, &with);
                let guess = new_a - self.spread[a] + new_b - self.spread[b] + cost_bs + cost_at
                    - cost_as
                    - cost_bt;
                if guess < -EPS && self.try_swap((a, s, cost_as), (b, t, cost_bt), cost_bs, cost_at)
                {
                    return true;
                }
            }
        }
        false
    }

    /// Lawyer `a`'s primary duty at `s` and `b`'s at `t` exchanged when that lowers the
    /// objective, priced in full; else everything as it was. Whether they were exchanged.
    fn try_swap(
        &mut self,
        (a, s, cost_as): (usize, usize, f64),
        (b, t, cost_bt): (usize, usize, f64),
        cost_bs: f64,
        cost_at: f64,
    ) -> bool {
        let p = Role::Primary;
        self.apply(s, a, p, false);
        let mut d = -self.add_delta(s, a, p, cost_as);
        self.apply(t, b, p, false);
        d -= self.add_delta(t, b, p, cost_bt);
        if self.fits(s, b) && self.fits(t, a) {
            d += self.add_delta(s, b, p, cost_bs);
            self.apply(s, b, p, true);
            d += self.add_delta(t, a, p, cost_at);
            if d < -EPS {
                self.apply(t, a, p, true);
                return true;
            }
            self.apply(s, b, p, false);
        }
        self.apply(t, b, p, true);
        self.apply(s, a, p, true);
        false
    }
}
