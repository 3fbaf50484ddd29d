//! Months of subsidy statements: one canonical name each (`YYYY-MM`), and the rules that
//! keep a locked (approved) month from changing.
//!
//! ```
//! use zhiban_domain::month::Month;
//! let m = Month::parse("2026-09").unwrap();
//! assert_eq!(m.to_string(), "2026-09");
//! assert!(Month::parse("2026-+9").is_err());
//! assert!(Month::parse("02026-9").is_err());
//! assert_eq!(m.next().to_string(), "2026-10");
//! ```

use crate::SubsidyPolicy;
use chrono::{Datelike, NaiveDate};
use std::fmt;

/// First and last years a month may name (the same range as every other date zhiban takes).
pub const YEARS: std::ops::RangeInclusive<i32> = crate::time::MIN_YEAR..=crate::time::MAX_YEAR;

/// A calendar month, written exactly `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// Parses exactly four digits, `-`, two digits (01 to 12), in [`YEARS`]: a month has one
    /// spelling, so it is stored, approved and corrected under one key.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || format!("expected YYYY-MM such as 2026-11, got {raw:?}");
        let b = raw.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 7 || b[4] != b'-' || !digits(0..4) || !digits(5..7) {
            return Err(bad());
        }
        let year: i32 = raw[..4].parse().map_err(|_| bad())?;
        let month: u32 = raw[5..].parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        if !YEARS.contains(&year) {
            return Err(format!(
                "{raw:?}: the year must be {} to {}",
                YEARS.start(),
                YEARS.end()
            ));
        }
        Ok(Self { year, month })
    }

    /// The month of a day.
    pub fn of(d: NaiveDate) -> Self {
        Self {
            year: d.year(),
            month: d.month(),
        }
    }

    /// Its first day.
    pub fn first(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The month after.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Its last day.
    pub fn last(self) -> NaiveDate {
        self.next().first().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// Whether `d` falls in it.
    pub fn contains(self, d: NaiveDate) -> bool {
        Self::of(d) == self
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The first month after `m` that is not locked: where corrections of `m` are paid.
pub fn first_open_after(m: Month, locked: &[Month]) -> Month {
    let mut n = m.next();
    while locked.contains(&n) {
        n = n.next();
    }
    n
}

/// Whether storing policy version `new` (adding it, or replacing the centre's version of the
/// same date) may reprice a locked month. A version's effect runs from its date to the next
/// version's; if that span touches a locked month the change is refused, naming the month.
/// New rates take effect only in open months.
pub fn policy_change_allowed(
    existing: &[SubsidyPolicy],
    new: &SubsidyPolicy,
    locked: &[Month],
) -> Result<(), String> {
    let next = existing
        .iter()
        .filter(|p| p.centre_id == new.centre_id && p.effective_from > new.effective_from)
        .map(|p| p.effective_from)
        .min();
    let reaches = |m: &Month| m.last() >= new.effective_from && next.is_none_or(|n| m.first() < n);
    match locked.iter().filter(|m| reaches(m)).max() {
        None => Ok(()),
        Some(m) => Err(format!(
            "a version from {} would reprice {m}, which finance has approved; \
             new rates may start only after the last approved month ({})",
            new.effective_from,
            m.next().first()
        )),
    }
}

/// Whether replacing a centre's policy versions `old` by `new` (a re-import) keeps the rates
/// of every day of every locked month: refused naming the first month it would reprice.
pub fn policies_keep_locked_months(
    old: &[SubsidyPolicy],
    new: &[SubsidyPolicy],
    centre: &crate::CentreId,
    locked: &[Month],
) -> Result<(), String> {
    for m in locked {
        let mut d = m.first();
        while d <= m.last() {
            let was = crate::subsidy::policy_on(old, centre, d);
            let is = crate::subsidy::policy_on(new, centre, d);
            if was != is {
                return Err(format!(
                    "the data set's subsidy policy for {d} differs from the one that priced \
                     {m} of centre {centre}, which finance has approved; keep that version \
                     and start new rates after {}",
                    m.last()
                ));
            }
            let Some(next) = d.succ_opt() else { break };
            d = next;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CentreId;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn a_month_has_exactly_one_spelling() {
        for bad in [
            "2026-9",
            "2026-+9",
            "02026-9",
            "+2026-09",
            "2026-13",
            "2026-00",
            "2026/09",
            " 2026-09",
            "2026-09 ",
            "２026-09",
            "1899-01",
            "9999-12",
            "",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(m("2026-09").to_string(), "2026-09");
        assert_eq!(m("2026-12").next(), m("2027-01"));
        assert_eq!(
            m("2028-02").last(),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
    }

    #[test]
    fn a_re_import_may_not_reprice_a_locked_month() {
        let c = CentreId::parse("CH").unwrap();
        let v = SubsidyPolicy::example(c.clone());
        let locked = [m("2026-09")];
        let old = vec![v.clone()];
        let mut raised = v.clone();
        raised.plea_case_fen += 1;
        let repriced = vec![raised.clone()];
        assert!(policies_keep_locked_months(&old, &repriced, &c, &locked).is_err());
        // New rates from October on are fine, and so is the same set.
        let mut oct = raised;
        oct.effective_from = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let later = vec![v, oct];
        assert!(policies_keep_locked_months(&old, &later, &c, &locked).is_ok());
        assert!(policies_keep_locked_months(&old, &old, &c, &[]).is_ok());
    }

    #[test]
    fn corrections_go_to_the_first_open_month_after() {
        let locked = [m("2026-09"), m("2026-10")];
        assert_eq!(first_open_after(m("2026-09"), &locked), m("2026-11"));
        assert_eq!(first_open_after(m("2026-10"), &locked), m("2026-11"));
    }

    #[test]
    fn a_policy_version_reaching_into_a_locked_month_is_refused() {
        let c = CentreId::parse("CH").unwrap();
        let mut v = SubsidyPolicy::example(c.clone());
        v.effective_from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let existing = vec![v.clone()];
        let locked = [m("2026-09")];
        // Replacing the version of 1 January reprices September: refused.
        assert!(policy_change_allowed(&existing, &v, &locked).is_err());
        // A new version from a day in September too.
        let mut sep = v.clone();
        sep.effective_from = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        assert!(policy_change_allowed(&existing, &sep, &locked).is_err());
        // From October on: allowed.
        let mut oct = v.clone();
        oct.effective_from = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert!(policy_change_allowed(&existing, &oct, &locked).is_ok());
        // A version that ends before the locked month (the next one starts by then).
        let mut later = v.clone();
        later.effective_from = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let mut mar = v.clone();
        mar.effective_from = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert!(policy_change_allowed(&[v.clone(), later], &mar, &locked).is_ok());
        // Another centre's locked months are its own business: `locked` is per centre.
        assert!(policy_change_allowed(&existing, &v, &[]).is_ok());
    }
}
