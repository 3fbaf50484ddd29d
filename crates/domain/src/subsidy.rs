//! Duty subsidies (值班补贴): a centre's policy, versioned by effective date, and the
//! arithmetic that turns attended duties into statement lines. Money is integer fen.
//!
//! Rules, per lawyer, for the duties they attended:
//! - a half-day at a station pays the half-day rate of its kind (`half_day`);
//! - AM and PM of one day at one station pay the full-day rate instead (`full_day`);
//! - a quality rating other than 100% adds or takes off that share of the duty's base pay
//!   (`quality`); for a full day the lower of the two ratings applies;
//! - each plea agreement signed in the duty's presence (认罪认罚具结书) pays the per-case amount
//!   (`plea_case`);
//! - a day with any duty at a station of a centre other than the lawyer's home centre adds the
//!   cross-district uplift once (`cross_district`);
//! - a monthly cap, when set, trims the lawyer's month to the cap (`monthly_cap`).
//!
//! Every line names its rule; totals are sums of lines, so they never drift. Corrections of
//! a locked month are paid in a later open month by [`adjustments()`].
//!
//! ```
//! use zhiban_domain::subsidy::*;
//! let p = SubsidyPolicy::example(zhiban_domain::CentreId::parse("CH").unwrap());
//! assert_eq!(p.half_day(zhiban_domain::StationKind::Court), 19_500);
//! assert_eq!(scale_pct(19_500, 120), 23_400);
//! ```

use crate::{CentreId, FirmId, HalfDay, LawyerId, StationId, StationKind};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod adjustments;
mod policy;
pub mod statement;
pub use adjustments::{
    AdjustmentError, Adjustments, Correction, LaterStatement, LockedFacts, adjustments,
};
pub use policy::{MAX_RATE_FEN, SubsidyPolicy, check_rating, policy_on};
pub use statement::{
    CorrectionRecord, DutyFacts, PendingClaim, STATEMENT_SCHEMA, Statement, StatementStatus,
    UnpaidDuty,
};

/// `amount × pct / 100`, rounded half away from zero, in integer arithmetic.
pub fn scale_pct(amount: i64, pct: u32) -> i64 {
    let n = i128::from(amount) * i128::from(pct);
    let q = (n.abs() + 50) / 100;
    i64::try_from(if n < 0 { -q } else { q }).unwrap_or(i64::MAX)
}

/// A duty that counts for pay (checked in and out, or excused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendedDuty {
    /// Who.
    pub lawyer_id: LawyerId,
    /// Their firm.
    pub firm_id: FirmId,
    /// Their home centre.
    pub home_centre_id: CentreId,
    /// Where.
    pub station_id: StationId,
    /// Its kind.
    pub station_kind: StationKind,
    /// The centre the station belongs to (and whose policy pays).
    pub station_centre_id: CentreId,
    /// Day.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// Plea agreements signed in the lawyer's presence.
    pub plea_cases: u32,
    /// Quality rating, a key of the policy's `quality_pct`.
    pub quality: Option<String>,
}

/// Which rule a line applies.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LineRule {
    /// One attended half-day.
    HalfDay,
    /// AM and PM at one station.
    FullDay,
    /// Quality adjustment of a duty's base pay.
    Quality,
    /// Plea cases.
    PleaCase,
    /// Duty outside the home centre.
    CrossDistrict,
    /// Trimmed to the monthly cap.
    MonthlyCap,
    /// Correction of an earlier, locked month.
    Adjustment,
}

impl LineRule {
    /// The Chinese name shown in statements and exports.
    pub fn label_zh(self) -> &'static str {
        match self {
            LineRule::HalfDay => "半日值班",
            LineRule::FullDay => "全日值班",
            LineRule::Quality => "质量评价调整",
            LineRule::PleaCase => "认罪认罚案件",
            LineRule::CrossDistrict => "跨区县补助",
            LineRule::MonthlyCap => "月度封顶扣减",
            LineRule::Adjustment => "往月更正",
        }
    }
}

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatementLine {
    /// Lawyer paid.
    pub lawyer_id: LawyerId,
    /// Their firm.
    pub firm_id: FirmId,
    /// Day of the duty (none for the monthly cap).
    pub date: Option<NaiveDate>,
    /// Station (none for per-day and per-month lines).
    pub station_id: Option<StationId>,
    /// Half-day (none for full days and per-day lines).
    pub half_day: Option<HalfDay>,
    /// The rule applied.
    pub rule: LineRule,
    /// What, in Chinese, for people.
    pub description: String,
    /// Amount in fen (negative for deductions).
    pub amount_fen: i64,
}

/// The lines of one month's attended duties under `policies`. Duties without a policy in
/// force pay nothing and are returned in the second list, so a missing policy is visible.
pub fn compute_lines(
    duties: &[AttendedDuty],
    policies: &[SubsidyPolicy],
) -> (Vec<StatementLine>, Vec<AttendedDuty>) {
    let mut lines = vec![];
    let mut unpaid = vec![];
    // By lawyer, then day, then station.
    let mut by: BTreeMap<(&LawyerId, NaiveDate, &StationId), Vec<&AttendedDuty>> = BTreeMap::new();
    for d in duties {
        by.entry((&d.lawyer_id, d.date, &d.station_id))
            .or_default()
            .push(d);
    }
    let mut cross_days: BTreeMap<(&LawyerId, NaiveDate), (&AttendedDuty, &SubsidyPolicy)> =
        BTreeMap::new();
    let mut month_totals: BTreeMap<&LawyerId, (i64, &AttendedDuty, NaiveDate)> = BTreeMap::new();
    for ((lawyer, date, station), group) in &by {
        let first = group[0];
        let Some(p) = policy_on(policies, &first.station_centre_id, *date) else {
            unpaid.extend(group.iter().map(|d| (*d).clone()));
            continue;
        };
        let pct = |d: &AttendedDuty| {
            d.quality
                .as_ref()
                .and_then(|q| p.quality_pct.get(q))
                .copied()
                .unwrap_or(100)
        };
        let mk = |rule: LineRule, half: Option<HalfDay>, amount: i64, what: String| StatementLine {
            lawyer_id: (*lawyer).clone(),
            firm_id: first.firm_id.clone(),
            date: Some(*date),
            station_id: Some((*station).clone()),
            half_day: half,
            rule,
            description: what,
            amount_fen: amount,
        };
        let has = |h: HalfDay| group.iter().any(|d| d.half_day == h);
        let mut bases: Vec<(Option<HalfDay>, i64, u32)> = vec![];
        if has(HalfDay::Am) && has(HalfDay::Pm) {
            let base = p.full_day(first.station_kind);
            let q = group.iter().map(|d| pct(d)).min().unwrap_or(100);
            lines.push(mk(
                LineRule::FullDay,
                None,
                base,
                format!("{} {} 全日", first.station_kind.label_zh(), date),
            ));
            bases.push((None, base, q));
        } else {
            for d in group {
                let base = p.half_day(d.station_kind);
                lines.push(mk(
                    LineRule::HalfDay,
                    Some(d.half_day),
                    base,
                    format!(
                        "{} {} {}",
                        d.station_kind.label_zh(),
                        date,
                        d.half_day.label_zh()
                    ),
                ));
                bases.push((Some(d.half_day), base, pct(d)));
            }
        }
        for (half, base, q) in bases {
            if q != 100 {
                lines.push(mk(
                    LineRule::Quality,
                    half,
                    scale_pct(base, q) - base,
                    format!("质量评价 {q}%"),
                ));
            }
        }
        for d in group {
            if d.plea_cases > 0 {
                lines.push(mk(
                    LineRule::PleaCase,
                    Some(d.half_day),
                    i64::from(d.plea_cases) * p.plea_case_fen,
                    format!("认罪认罚具结 {} 件", d.plea_cases),
                ));
            }
            if d.station_centre_id != d.home_centre_id && p.cross_district_fen_per_day > 0 {
                cross_days.entry((lawyer, *date)).or_insert((d, p));
            }
        }
    }
    for ((lawyer, date), (d, p)) in cross_days {
        lines.push(StatementLine {
            lawyer_id: lawyer.clone(),
            firm_id: d.firm_id.clone(),
            date: Some(date),
            station_id: None,
            half_day: None,
            rule: LineRule::CrossDistrict,
            description: format!("跨区县值班 {date}"),
            amount_fen: p.cross_district_fen_per_day,
        });
    }
    // Monthly caps, per lawyer, under the policy in force at the month's last duty.
    for l in &lines {
        let d = duties.iter().find(|d| d.lawyer_id == l.lawyer_id);
        if let (Some(d), Some(date)) = (d, l.date) {
            let e = month_totals.entry(&d.lawyer_id).or_insert((0, d, date));
            e.0 += l.amount_fen;
            e.2 = e.2.max(date);
        }
    }
    for (lawyer, (total, d, last)) in month_totals {
        if let Some(p) = policy_on(policies, &d.station_centre_id, last)
            && p.monthly_cap_fen > 0
            && total > p.monthly_cap_fen
        {
            lines.push(StatementLine {
                lawyer_id: lawyer.clone(),
                firm_id: d.firm_id.clone(),
                date: None,
                station_id: None,
                half_day: None,
                rule: LineRule::MonthlyCap,
                description: format!("{}年{}月 封顶", last.year(), last.month()),
                amount_fen: p.monthly_cap_fen - total,
            });
        }
    }
    lines.sort_by(|a, b| {
        (
            &a.lawyer_id,
            a.date.is_none(),
            a.date,
            &a.station_id,
            a.half_day,
            a.rule,
        )
            .cmp(&(
                &b.lawyer_id,
                b.date.is_none(),
                b.date,
                &b.station_id,
                b.half_day,
                b.rule,
            ))
    });
    (lines, unpaid)
}

/// Totals of one lawyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LawyerTotal {
    /// Lawyer.
    pub lawyer_id: LawyerId,
    /// Firm.
    pub firm_id: FirmId,
    /// Lines.
    pub lines: u32,
    /// Sum of the lines (fen).
    pub amount_fen: i64,
}

/// Totals of one firm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FirmTotal {
    /// Firm.
    pub firm_id: FirmId,
    /// Lawyers paid.
    pub lawyers: u32,
    /// Sum (fen).
    pub amount_fen: i64,
}

/// Sums of lines per lawyer and per firm, and the grand total.
pub fn totals(lines: &[StatementLine]) -> (Vec<LawyerTotal>, Vec<FirmTotal>, i64) {
    let mut lawyers: BTreeMap<&LawyerId, LawyerTotal> = BTreeMap::new();
    for l in lines {
        let t = lawyers.entry(&l.lawyer_id).or_insert_with(|| LawyerTotal {
            lawyer_id: l.lawyer_id.clone(),
            firm_id: l.firm_id.clone(),
            lines: 0,
            amount_fen: 0,
        });
        t.lines += 1;
        t.amount_fen += l.amount_fen;
    }
    let lawyers: Vec<LawyerTotal> = lawyers.into_values().collect();
    let mut firms: BTreeMap<FirmId, FirmTotal> = BTreeMap::new();
    for t in &lawyers {
        let f = firms.entry(t.firm_id.clone()).or_insert_with(|| FirmTotal {
            firm_id: t.firm_id.clone(),
            lawyers: 0,
            amount_fen: 0,
        });
        f.lawyers += 1;
        f.amount_fen += t.amount_fen;
    }
    let total = lines.iter().map(|l| l.amount_fen).sum();
    (lawyers, firms.into_values().collect(), total)
}

/// Yuan with two decimals, for people (`12345` fen → `123.45`).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn duty(lawyer: &str, station: &str, day: u32, half: HalfDay) -> AttendedDuty {
        AttendedDuty {
            lawyer_id: LawyerId::parse(lawyer).unwrap(),
            firm_id: FirmId::parse("F1").unwrap(),
            home_centre_id: CentreId::parse("A").unwrap(),
            station_id: StationId::parse(station).unwrap(),
            station_kind: StationKind::DetentionCentre,
            station_centre_id: CentreId::parse("A").unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            half_day: half,
            plea_cases: 0,
            quality: None,
        }
    }

    fn policy() -> SubsidyPolicy {
        SubsidyPolicy::example(CentreId::parse("A").unwrap())
    }

    #[test]
    fn only_a_rating_of_the_policy_in_force_is_accepted() {
        let c = CentreId::parse("CH").unwrap();
        let p = SubsidyPolicy::example(c.clone());
        let day = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        assert!(check_rating(std::slice::from_ref(&p), &c, day, "excellent").is_ok());
        assert!(check_rating(std::slice::from_ref(&p), &c, day, "superb").is_err());
        let before = NaiveDate::from_ymd_opt(2025, 5, 1).unwrap();
        assert!(check_rating(&[p], &c, before, "excellent").is_err());
    }

    #[test]
    fn am_and_pm_at_one_station_pay_the_full_day_rate() {
        let (lines, unpaid) = compute_lines(
            &[
                duty("L1", "S1", 2, HalfDay::Am),
                duty("L1", "S1", 2, HalfDay::Pm),
                duty("L1", "S1", 3, HalfDay::Am),
            ],
            &[policy()],
        );
        assert!(unpaid.is_empty());
        let (_, _, total) = totals(&lines);
        assert_eq!(total, 38_500 + 19_500);
        assert_eq!(lines[0].rule, LineRule::FullDay);
        assert_eq!(lines[1].rule, LineRule::HalfDay);
    }

    #[test]
    fn cross_district_days_pay_the_uplift_once_per_day() {
        let mut a = duty("L1", "S1", 2, HalfDay::Am);
        a.station_centre_id = CentreId::parse("B").unwrap();
        let mut b = duty("L1", "S2", 2, HalfDay::Pm);
        b.station_centre_id = CentreId::parse("B").unwrap();
        let mut p = policy();
        p.centre_id = CentreId::parse("B").unwrap();
        let (lines, _) = compute_lines(&[a, b], &[p]);
        let (_, _, total) = totals(&lines);
        assert_eq!(total, 19_500 * 2 + 18_000);
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.rule == LineRule::CrossDistrict)
                .count(),
            1
        );
    }

    #[test]
    fn quality_plea_cases_and_the_cap_each_make_a_line() {
        let mut a = duty("L1", "S1", 2, HalfDay::Am);
        a.quality = Some("excellent".into());
        a.plea_cases = 3;
        let mut p = policy();
        p.monthly_cap_fen = 30_000;
        let (lines, _) = compute_lines(&[a], &[p]);
        let rules: Vec<LineRule> = lines.iter().map(|l| l.rule).collect();
        assert_eq!(
            rules,
            [
                LineRule::HalfDay,
                LineRule::Quality,
                LineRule::PleaCase,
                LineRule::MonthlyCap
            ]
        );
        assert_eq!(lines[1].amount_fen, 3_900);
        assert_eq!(lines[2].amount_fen, 15_000);
        assert_eq!(totals(&lines).2, 30_000);
    }

    #[test]
    fn the_policy_in_force_on_the_day_applies_and_days_without_one_are_reported() {
        let mut newer = policy();
        newer.effective_from = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        newer
            .half_day_fen
            .insert(StationKind::DetentionCentre, 25_000);
        let mut older = policy();
        older.effective_from = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let (lines, _) = compute_lines(
            &[
                duty("L1", "S1", 2, HalfDay::Am),
                duty("L1", "S1", 20, HalfDay::Am),
            ],
            &[newer, older.clone()],
        );
        assert_eq!(totals(&lines).2, 19_500 + 25_000);
        let mut late = older;
        late.effective_from = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let (lines, unpaid) = compute_lines(&[duty("L1", "S1", 2, HalfDay::Am)], &[late]);
        assert!(lines.is_empty());
        assert_eq!(unpaid.len(), 1);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(scale_pct(19_555, 110), 21_511);
        assert_eq!(scale_pct(5, 50), 3);
        assert_eq!(scale_pct(-5, 50), -3);
        assert_eq!(yuan(12_345), "123.45");
        assert_eq!(yuan(-5), "-0.05");
    }

    proptest! {
        #[test]
        fn lines_sum_to_totals_in_integer_fen_without_drift(
            picks in proptest::collection::vec((0u8..6, 0u8..3, 1u32..29, any::<bool>(), 0u32..4, 0u8..4, any::<bool>()), 0..60),
            half in 0i64..100_000, full in 0i64..200_000, plea in 0i64..10_000,
            cross in 0i64..50_000, cap in 0i64..2_000_000, q in 0u32..=300,
        ) {
            let mut p = policy();
            for k in [StationKind::DetentionCentre, StationKind::Court, StationKind::Procuratorate] {
                p.half_day_fen.insert(k, half);
                p.full_day_fen.insert(k, full);
            }
            p.plea_case_fen = plea;
            p.cross_district_fen_per_day = cross;
            p.monthly_cap_fen = cap;
            p.quality_pct.insert("q".into(), q);
            let mut p_b = p.clone();
            p_b.centre_id = CentreId::parse("B").unwrap();
            let mut seen = std::collections::BTreeSet::new();
            let duties: Vec<AttendedDuty> = picks.into_iter().filter_map(|(l, s, day, am, plea, qual, away)| {
                let half = if am { HalfDay::Am } else { HalfDay::Pm };
                if !seen.insert((l, day, half)) { return None; }
                let mut d = duty(&format!("L{l}"), &format!("S{s}"), day, half);
                d.plea_cases = plea;
                d.quality = match qual { 0 => None, 1 => Some("q".into()), 2 => Some("excellent".into()), _ => Some("unknown".into()) };
                if away { d.station_centre_id = CentreId::parse("B").unwrap(); }
                Some(d)
            }).collect();
            let policies = [p, p_b];
            let (lines, unpaid) = compute_lines(&duties, &policies);
            prop_assert!(unpaid.is_empty());
            let (lawyers, firms, total) = totals(&lines);
            prop_assert_eq!(lawyers.iter().map(|t| t.amount_fen).sum::<i64>(), total);
            prop_assert_eq!(firms.iter().map(|t| t.amount_fen).sum::<i64>(), total);
            prop_assert_eq!(lines.iter().map(|l| l.amount_fen).sum::<i64>(), total);
            for t in &lawyers {
                if cap > 0 { prop_assert!(t.amount_fen <= cap); }
                prop_assert!(t.amount_fen >= 0);
            }
            // Deterministic: the same duties in any order give the same lines.
            let mut rev = duties.clone();
            rev.reverse();
            prop_assert_eq!(compute_lines(&rev, &policies).0, lines);
        }
    }
}
