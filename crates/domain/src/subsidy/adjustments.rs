//! Corrections of a locked month, paid in a later open month: a locked (approved) month
//! never changes, so what its corrections change is paid as one adjustment line per lawyer
//! in the first open month after it, priced with the policy versions frozen at lock.
//!
//! Per lawyer, the adjustment is the month as priced now, less what approval paid (its own
//! adjustment lines of earlier months aside), less what adjustment lines of later locked
//! statements have paid for it already. A correction reversed after its adjustment was paid
//! takes that adjustment back. Integer fen throughout.

use super::{LineRule, StatementLine};
use crate::month::Month;
use crate::{FirmId, LawyerId};
use std::collections::{BTreeMap, BTreeSet};

/// A correction of the locked month on record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// Its number (shown as `#id`).
    pub id: i64,
    /// The lawyer whose duty it corrects.
    pub lawyer_id: LawyerId,
}

/// A statement locked after the month: its lines, and the corrections it paid.
#[derive(Debug, Clone, Copy)]
pub struct LaterStatement<'a> {
    /// Its lines (adjustment lines dated the month's first day pay the month's corrections).
    pub lines: &'a [StatementLine],
    /// The corrections its adjustment lines paid.
    pub corrections: &'a [i64],
}

/// What is known of a locked month when an open month pays its corrections.
#[derive(Debug, Clone, Copy)]
pub struct LockedFacts<'a> {
    /// The locked month.
    pub month: Month,
    /// Its lines as approved at lock.
    pub approved: &'a [StatementLine],
    /// Its facts priced now, with the policy versions frozen at lock.
    pub repriced: &'a [StatementLine],
    /// Statements locked after it.
    pub later: &'a [LaterStatement<'a>],
    /// Its corrections on record, in order.
    pub corrections: &'a [Correction],
}

/// The adjustment lines of one locked month, and the corrections they pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustments {
    /// One line per lawyer whose pay changed, in lawyer order, dated the month's first day.
    pub lines: Vec<StatementLine>,
    /// The corrections no later locked statement paid, in the order given: the ones this
    /// open month pays (listed even when they changed no amount).
    pub fresh: Vec<i64>,
}

/// Why adjustment lines cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdjustmentError {
    /// A lawyer is owed an adjustment but is neither on the panel nor in the approved
    /// statement, so their firm is unknown.
    #[error("no lawyer {0}")]
    UnknownLawyer(LawyerId),
}

fn per_lawyer<'a>(
    lines: impl IntoIterator<Item = &'a StatementLine>,
    keep: impl Fn(&StatementLine) -> bool,
) -> BTreeMap<&'a LawyerId, i64> {
    let mut m = BTreeMap::new();
    for l in lines.into_iter().filter(|l| keep(l)) {
        *m.entry(&l.lawyer_id).or_insert(0) += l.amount_fen;
    }
    m
}

/// The adjustment lines paying the corrections of `locked`, each lawyer's firm from
/// `firm_of` (the panel now), else as approved.
pub fn adjustments(
    locked: &LockedFacts<'_>,
    firm_of: impl Fn(&LawyerId) -> Option<FirmId>,
) -> Result<Adjustments, AdjustmentError> {
    let first = locked.month.first();
    let now = per_lawyer(locked.repriced, |_| true);
    let paid = per_lawyer(locked.approved, |x| x.rule != LineRule::Adjustment);
    let carried = per_lawyer(locked.later.iter().flat_map(|s| s.lines), |x| {
        x.rule == LineRule::Adjustment && x.date == Some(first)
    });
    let carried_ids: BTreeSet<i64> = locked
        .later
        .iter()
        .flat_map(|s| s.corrections.iter().copied())
        .collect();
    let fresh: Vec<&Correction> = locked
        .corrections
        .iter()
        .filter(|c| !carried_ids.contains(&c.id))
        .collect();
    // Everyone paid at approval, paid now, or paid by an earlier adjustment (whose
    // correction may since have been reversed).
    let who: BTreeSet<&LawyerId> = now
        .keys()
        .chain(paid.keys())
        .chain(carried.keys())
        .copied()
        .collect();
    let amount = |m: &BTreeMap<&LawyerId, i64>, l: &LawyerId| m.get(l).copied().unwrap_or(0);
    let mut lines = vec![];
    for lawyer in who {
        let delta = amount(&now, lawyer) - amount(&paid, lawyer) - amount(&carried, lawyer);
        if delta == 0 {
            continue;
        }
        let ids: Vec<String> = fresh
            .iter()
            .filter(|c| &c.lawyer_id == lawyer)
            .map(|c| format!("#{}", c.id))
            .collect();
        let firm_id = firm_of(lawyer)
            .or_else(|| {
                locked
                    .approved
                    .iter()
                    .find(|x| &x.lawyer_id == lawyer)
                    .map(|x| x.firm_id.clone())
            })
            .ok_or_else(|| AdjustmentError::UnknownLawyer(lawyer.clone()))?;
        lines.push(StatementLine {
            lawyer_id: lawyer.clone(),
            firm_id,
            date: Some(first),
            station_id: None,
            half_day: None,
            rule: LineRule::Adjustment,
            description: if ids.is_empty() {
                format!("{} 已审核月份更正", locked.month)
            } else {
                format!(
                    "{} 已审核月份更正（更正单 {}）",
                    locked.month,
                    ids.join(" ")
                )
            },
            amount_fen: delta,
        });
    }
    Ok(Adjustments {
        lines,
        fresh: fresh.iter().map(|c| c.id).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;
    use proptest::prelude::*;

    fn november() -> Month {
        Month::parse("2026-11").unwrap()
    }

    fn lawyer(id: &str) -> LawyerId {
        LawyerId::parse(id).unwrap()
    }

    fn line(who: &str, rule: LineRule, day: &str, fen: i64) -> StatementLine {
        StatementLine {
            lawyer_id: lawyer(who),
            firm_id: FirmId::parse("F-OLD").unwrap(),
            date: Some(d(day)),
            station_id: None,
            half_day: None,
            rule,
            description: String::new(),
            amount_fen: fen,
        }
    }

    fn half(who: &str, fen: i64) -> StatementLine {
        line(who, LineRule::HalfDay, "2026-11-10", fen)
    }

    fn adjustment(who: &str, fen: i64) -> StatementLine {
        line(who, LineRule::Adjustment, "2026-11-01", fen)
    }

    fn on_panel(l: &LawyerId) -> Option<FirmId> {
        (l.as_str() != "GONE").then(|| FirmId::parse("F1").unwrap())
    }

    fn facts<'a>(
        approved: &'a [StatementLine],
        repriced: &'a [StatementLine],
        later: &'a [LaterStatement<'a>],
        corrections: &'a [Correction],
    ) -> LockedFacts<'a> {
        LockedFacts {
            month: november(),
            approved,
            repriced,
            later,
            corrections,
        }
    }

    #[test]
    fn a_correction_after_lock_pays_the_difference_in_one_line_naming_it() {
        let approved = [half("L1", 19_500), half("L2", 19_500)];
        let repriced = [half("L1", 19_500), half("L1", 19_500), half("L2", 19_500)];
        let corrections = [Correction {
            id: 7,
            lawyer_id: lawyer("L1"),
        }];
        let out = adjustments(&facts(&approved, &repriced, &[], &corrections), on_panel).unwrap();
        assert_eq!(
            out.lines,
            [StatementLine {
                lawyer_id: lawyer("L1"),
                firm_id: FirmId::parse("F1").unwrap(),
                date: Some(d("2026-11-01")),
                station_id: None,
                half_day: None,
                rule: LineRule::Adjustment,
                description: "2026-11 已审核月份更正（更正单 #7）".into(),
                amount_fen: 19_500,
            }]
        );
        assert_eq!(out.fresh, [7]);
    }

    #[test]
    fn a_correction_that_changes_no_amount_is_listed_but_makes_no_line() {
        let approved = [half("L1", 19_500)];
        let corrections = [Correction {
            id: 3,
            lawyer_id: lawyer("L1"),
        }];
        let out = adjustments(&facts(&approved, &approved, &[], &corrections), on_panel).unwrap();
        assert!(out.lines.is_empty());
        assert_eq!(out.fresh, [3]);
    }

    #[test]
    fn what_a_later_locked_statement_paid_is_not_paid_again() {
        let approved = [half("L1", 19_500)];
        let repriced = [half("L1", 19_500), half("L1", 19_500)];
        let later_lines = [adjustment("L1", 19_500)];
        let later = [LaterStatement {
            lines: &later_lines,
            corrections: &[7],
        }];
        let corrections = [Correction {
            id: 7,
            lawyer_id: lawyer("L1"),
        }];
        let out = adjustments(&facts(&approved, &repriced, &later, &corrections), on_panel);
        assert_eq!(
            out.unwrap(),
            Adjustments {
                lines: vec![],
                fresh: vec![]
            }
        );
    }

    #[test]
    fn a_correction_reversed_after_its_adjustment_was_paid_takes_it_back() {
        let approved = [half("L1", 19_500)];
        let later_lines = [adjustment("L1", 19_500)];
        let later = [LaterStatement {
            lines: &later_lines,
            corrections: &[7],
        }];
        let corrections = [
            Correction {
                id: 7,
                lawyer_id: lawyer("L1"),
            },
            Correction {
                id: 9,
                lawyer_id: lawyer("L1"),
            },
        ];
        let out = adjustments(&facts(&approved, &approved, &later, &corrections), on_panel);
        let out = out.unwrap();
        assert_eq!(out.lines.len(), 1);
        assert_eq!(out.lines[0].amount_fen, -19_500);
        assert_eq!(
            out.lines[0].description,
            "2026-11 已审核月份更正（更正单 #9）"
        );
        assert_eq!(out.fresh, [9]);
    }

    #[test]
    fn only_later_adjustments_of_this_month_and_not_the_month_s_own_count_as_paid() {
        // The locked month's own adjustment (of an earlier month) is not pay for its duties;
        // a later statement's adjustment of another month is not pay for this one.
        let approved = [
            half("L1", 19_500),
            line("L1", LineRule::Adjustment, "2026-10-01", 500),
        ];
        let repriced = [half("L1", 19_500)];
        let later_lines = [line("L1", LineRule::Adjustment, "2026-12-01", 800)];
        let later = [LaterStatement {
            lines: &later_lines,
            corrections: &[],
        }];
        let out = adjustments(&facts(&approved, &repriced, &later, &[]), on_panel).unwrap();
        assert!(out.lines.is_empty(), "{:?}", out.lines);
    }

    #[test]
    fn a_lawyer_gone_from_the_panel_is_paid_under_the_firm_approved() {
        let approved = [half("GONE", 19_500)];
        let out = adjustments(&facts(&approved, &[], &[], &[]), on_panel).unwrap();
        assert_eq!(out.lines[0].firm_id, FirmId::parse("F-OLD").unwrap());
        assert_eq!(out.lines[0].amount_fen, -19_500);
        assert_eq!(out.lines[0].description, "2026-11 已审核月份更正");
        let later_lines = [adjustment("GONE", 100)];
        let later = [LaterStatement {
            lines: &later_lines,
            corrections: &[],
        }];
        assert_eq!(
            adjustments(&facts(&[], &[], &later, &[]), on_panel),
            Err(AdjustmentError::UnknownLawyer(lawyer("GONE")))
        );
    }

    proptest! {
        #[test]
        fn approved_plus_every_adjustment_equals_the_month_as_priced_now(
            approved in proptest::collection::vec((0u8..4, 0i64..100_000), 0..8),
            repriced in proptest::collection::vec((0u8..4, 0i64..100_000), 0..8),
            carried in proptest::collection::vec((0u8..4, -50_000i64..50_000), 0..4),
        ) {
            let mk = |v: &[(u8, i64)]| -> Vec<StatementLine> {
                v.iter().map(|(l, fen)| half(&format!("L{l}"), *fen)).collect()
            };
            let (approved, repriced) = (mk(&approved), mk(&repriced));
            let later_lines: Vec<StatementLine> =
                carried.iter().map(|(l, fen)| adjustment(&format!("L{l}"), *fen)).collect();
            let later = [LaterStatement { lines: &later_lines, corrections: &[] }];
            let out = adjustments(&facts(&approved, &repriced, &later, &[]), on_panel).unwrap();
            let sum = |ls: &[StatementLine], who: &LawyerId| -> i64 {
                ls.iter().filter(|x| &x.lawyer_id == who).map(|x| x.amount_fen).sum()
            };
            for l in 0..4 {
                let who = lawyer(&format!("L{l}"));
                prop_assert_eq!(
                    sum(&approved, &who) + sum(&later_lines, &who) + sum(&out.lines, &who),
                    sum(&repriced, &who)
                );
            }
            prop_assert!(out.lines.iter().all(|x| x.amount_fen != 0));
        }
    }
}
