//! The director's, coordinator's and finance's reports over a range of months: coverage,
//! attendance, workload, ledger totals and subsidy paid, each counted from the rows it
//! names (published duties, check-ins, ledger entries, approved statements). Pure
//! functions; the API reads the rows and serves the result as JSON, CSV and a workbook.
//! (Over 600 lines with its unit tests, which are a third of it: the five sections share
//! their row types and are read together, so they stay in one file.)

use crate::report::Uncovered;
use crate::subsidy::Statement;
use crate::{FirmId, HalfDay, LawyerId, Role, StationId};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// `YYYY-MM` of a date.
pub fn month_of(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// A published duty in the range.
#[derive(Debug, Clone, PartialEq)]
pub struct DutyRow {
    /// Day.
    pub date: NaiveDate,
    /// Station.
    pub station_id: StationId,
    /// Half-day.
    pub half_day: HalfDay,
    /// Lawyer.
    pub lawyer_id: LawyerId,
    /// Their firm (none for a lawyer no longer on the panel).
    pub firm_id: Option<FirmId>,
    /// Primary or backup.
    pub role: Role,
    /// The half-day's length at the station (hours).
    pub hours: f64,
    /// The published version it is of.
    pub version: i64,
}

/// Posts wanted, filled and left uncovered in one month (or in all).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CoverageRow {
    /// `YYYY-MM`, or `合计` for the total.
    pub month: String,
    /// Primary posts wanted.
    pub wanted: u32,
    /// Filled.
    pub filled: u32,
    /// Left uncovered.
    pub uncovered: u32,
    /// Uncovered posts by reason (`no_eligible_lawyer`, `eligible_unavailable`,
    /// `eligible_at_limits`).
    pub by_reason: BTreeMap<String, u32>,
}

/// The code of why a post stayed uncovered.
pub fn reason_code(r: &crate::report::UncoveredReason) -> &'static str {
    use crate::report::UncoveredReason as R;
    match r {
        R::NoEligibleLawyer { .. } => "no_eligible_lawyer",
        R::EligibleUnavailable { .. } => "eligible_unavailable",
        R::EligibleAtLimits { .. } => "eligible_at_limits",
    }
}

/// Coverage: wanted = filled (the published primaries) + what the published versions
/// left uncovered, by month.
pub fn coverage(
    duties: &[DutyRow],
    uncovered: &[Uncovered],
    months: &[String],
) -> Vec<CoverageRow> {
    let mut rows: BTreeMap<String, CoverageRow> = months
        .iter()
        .map(|m| {
            (
                m.clone(),
                CoverageRow {
                    month: m.clone(),
                    ..CoverageRow::default()
                },
            )
        })
        .collect();
    for d in duties.iter().filter(|d| d.role == Role::Primary) {
        if let Some(r) = rows.get_mut(&month_of(d.date)) {
            r.filled += 1;
            r.wanted += 1;
        }
    }
    for u in uncovered {
        let short = u.wanted.saturating_sub(u.filled);
        if let Some(r) = rows.get_mut(&month_of(u.date)) {
            r.uncovered += short;
            r.wanted += short;
            if short > 0 {
                *r.by_reason
                    .entry(reason_code(&u.reason).into())
                    .or_default() += short;
            }
        }
    }
    let mut out: Vec<CoverageRow> = rows.into_values().collect();
    let mut total = CoverageRow {
        month: "合计".into(),
        ..CoverageRow::default()
    };
    for r in &out {
        total.wanted += r.wanted;
        total.filled += r.filled;
        total.uncovered += r.uncovered;
        for (k, v) in &r.by_reason {
            *total.by_reason.entry(k.clone()).or_default() += v;
        }
    }
    out.push(total);
    out
}

/// A check-in record of a duty in the range.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    /// The duty.
    pub date: NaiveDate,
    /// Station.
    pub station_id: StationId,
    /// Half-day.
    pub half_day: HalfDay,
    /// Lawyer.
    pub lawyer_id: LawyerId,
    /// Absent, excused by a coordinator.
    pub excused: bool,
    /// Checked in and never out.
    pub open: bool,
    /// Later than the grace period.
    pub late: bool,
    /// Outside the station's range.
    pub outside: bool,
    /// Counts (an out-of-range check-in approved, or one inside).
    pub approved: bool,
    /// Voided by a correction.
    pub voided: bool,
}

/// How the duties in the range were attended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attendance {
    /// Primary duties whose day has passed.
    pub duties: u32,
    /// Checked in on time, inside the range (or approved).
    pub on_time: u32,
    /// Checked in late.
    pub late: u32,
    /// Checked in outside the range, approved.
    pub out_of_fence_approved: u32,
    /// Checked in outside the range, not (yet) approved.
    pub out_of_fence_waiting: u32,
    /// No check-in at all.
    pub no_show: u32,
    /// Absent, excused.
    pub excused: u32,
    /// Checked in and never out (also counted as on time, late or outside).
    pub not_checked_out: u32,
}

/// Attendance of the primary duties before `today`: each duty counts once, by its record
/// (a voided record is as none).
pub fn attendance(duties: &[DutyRow], records: &[CheckRow], today: NaiveDate) -> Attendance {
    let mut a = Attendance::default();
    type Key<'a> = (NaiveDate, &'a StationId, HalfDay, &'a LawyerId);
    let by_duty: std::collections::HashMap<Key<'_>, &CheckRow> = records
        .iter()
        .filter(|r| !r.voided)
        .map(|r| ((r.date, &r.station_id, r.half_day, &r.lawyer_id), r))
        .collect();
    for d in duties
        .iter()
        .filter(|d| d.role == Role::Primary && d.date < today)
    {
        a.duties += 1;
        let r = by_duty
            .get(&(d.date, &d.station_id, d.half_day, &d.lawyer_id))
            .copied();
        if r.is_some_and(|r| r.open && !r.excused) {
            a.not_checked_out += 1;
        }
        match r {
            None => a.no_show += 1,
            Some(r) if r.excused => a.excused += 1,
            Some(r) if r.outside && !r.approved => a.out_of_fence_waiting += 1,
            Some(r) if r.outside => a.out_of_fence_approved += 1,
            Some(r) if r.late => a.late += 1,
            Some(_) => a.on_time += 1,
        }
    }
    a
}

/// One lawyer's or firm's work in the range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Work {
    /// Lawyer or firm code.
    pub id: String,
    /// Name.
    pub name: String,
    /// Primary duties.
    pub duties: u32,
    /// Backups.
    pub backups: u32,
    /// Hours on primary duty.
    pub hours: f64,
    /// Fair share of the primary duties in the range: each roster's own fair shares (in
    /// proportion to availability, history counted, as the solver balanced them) applied
    /// to its duties in the range ([`fair_shares`]); an equal split of the rest.
    pub fair_share: f64,
}

/// Workload: per lawyer and per firm, and how even it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Workload {
    /// Per lawyer (the active panel, with or without duties), most duties first.
    pub lawyers: Vec<Work>,
    /// Per firm.
    pub firms: Vec<Work>,
    /// Most duties of a lawyer.
    pub max: u32,
    /// Fewest.
    pub min: u32,
    /// Gini coefficient of the lawyers' duties (0 even, 1 one lawyer does all).
    pub gini: f64,
}

/// The Gini coefficient of `values` (0 for none or all zero).
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let sum: f64 = values.iter().sum();
    if values.is_empty() || sum <= 0.0 {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    // Σ (2i − n − 1) x_i / (n Σx), i from 1.
    let weighted: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x)
        .sum();
    weighted / (n * sum)
}

/// Each lawyer's fair share of the primary `duties`: the duties of each published version
/// (`versions`: its id and its lawyers' fair shares) split in proportion to that version's
/// fair shares.
pub fn fair_shares(
    duties: &[DutyRow],
    versions: &[(i64, Vec<(LawyerId, f64)>)],
) -> BTreeMap<LawyerId, f64> {
    let mut out: BTreeMap<LawyerId, f64> = BTreeMap::new();
    for (id, shares) in versions {
        let posts = duties
            .iter()
            .filter(|d| d.version == *id && d.role == Role::Primary)
            .count() as f64;
        let total: f64 = shares.iter().map(|(_, s)| s.max(0.0)).sum();
        if posts == 0.0 || total <= 0.0 {
            continue;
        }
        for (l, s) in shares {
            *out.entry(l.clone()).or_default() += posts * s.max(0.0) / total;
        }
    }
    out
}

/// Workload of `panel` (lawyer, name, firm, firm name) over `duties`, against `fair`
/// ([`fair_shares`]); without any, the primaries are split equally.
pub fn workload(
    duties: &[DutyRow],
    panel: &[(LawyerId, String, FirmId, String)],
    fair: &BTreeMap<LawyerId, f64>,
) -> Workload {
    let primaries = duties.iter().filter(|d| d.role == Role::Primary).count() as f64;
    let equal = if panel.is_empty() {
        0.0
    } else {
        primaries / panel.len() as f64
    };
    let share = |id: &LawyerId| {
        if fair.is_empty() {
            equal
        } else {
            fair.get(id).copied().unwrap_or(0.0)
        }
    };
    let mut lawyers: BTreeMap<&LawyerId, Work> = panel
        .iter()
        .map(|(id, name, _, _)| {
            (
                id,
                Work {
                    id: id.to_string(),
                    name: name.clone(),
                    fair_share: share(id),
                    ..Work::default()
                },
            )
        })
        .collect();
    let mut firms: BTreeMap<&FirmId, Work> = BTreeMap::new();
    for (id, _, firm, firm_name) in panel {
        let f = firms.entry(firm).or_insert_with(|| Work {
            id: firm.to_string(),
            name: firm_name.clone(),
            ..Work::default()
        });
        f.fair_share += share(id);
    }
    for d in duties {
        let Some(firm) = &d.firm_id else { continue };
        let (Some(l), Some(f)) = (lawyers.get_mut(&d.lawyer_id), firms.get_mut(firm)) else {
            continue;
        };
        match d.role {
            Role::Primary => {
                l.duties += 1;
                l.hours += d.hours;
                f.duties += 1;
                f.hours += d.hours;
            }
            Role::Backup => {
                l.backups += 1;
                f.backups += 1;
            }
        }
    }
    let counts: Vec<f64> = lawyers.values().map(|w| f64::from(w.duties)).collect();
    let mut lawyers: Vec<Work> = lawyers.into_values().collect();
    lawyers.sort_by(|a, b| b.duties.cmp(&a.duties).then(a.id.cmp(&b.id)));
    let mut firms: Vec<Work> = firms.into_values().collect();
    firms.sort_by(|a, b| b.duties.cmp(&a.duties).then(a.id.cmp(&b.id)));
    Workload {
        max: lawyers.iter().map(|w| w.duties).max().unwrap_or(0),
        min: lawyers.iter().map(|w| w.duties).min().unwrap_or(0),
        gini: (gini(&counts) * 10_000.0).round() / 10_000.0,
        lawyers,
        firms,
    }
}

/// One ledger entry's counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerRow {
    /// Consultations.
    pub consultations: u32,
    /// Plea agreements as claimed.
    pub plea_claimed: u32,
    /// As confirmed (none: not yet).
    pub plea_confirmed: Option<u32>,
    /// Applications received.
    pub received: u32,
    /// Forwarded.
    pub forwarded: u32,
    /// Forwarded late or not yet and past the 24 hours.
    pub overdue: u32,
}

/// The ledger's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LedgerTotals {
    /// Entries (duties with a ledger).
    pub entries: u32,
    /// Consultations given.
    pub consultations: u32,
    /// Plea agreements witnessed, as confirmed by coordinators.
    pub plea_signings_confirmed: u32,
    /// Claimed and not yet confirmed.
    pub plea_signings_unconfirmed: u32,
    /// Legal-aid applications received.
    pub applications_received: u32,
    /// Forwarded to the centre.
    pub applications_forwarded: u32,
    /// Forwarded after 24 hours, or not forwarded and past them.
    pub forwards_overdue: u32,
}

/// Sums `rows`.
pub fn ledger(rows: &[LedgerRow]) -> LedgerTotals {
    let mut t = LedgerTotals::default();
    for r in rows {
        t.entries += 1;
        t.consultations += r.consultations;
        match r.plea_confirmed {
            Some(c) => t.plea_signings_confirmed += c,
            None => t.plea_signings_unconfirmed += r.plea_claimed,
        }
        t.applications_received += r.received;
        t.applications_forwarded += r.forwarded;
        t.forwards_overdue += r.overdue;
    }
    t
}

/// Subsidy paid: the approved statements' totals, per month, firm and station kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Subsidy {
    /// Per month: `[month, fen, approved]` (an open month pays nothing yet).
    pub months: Vec<MonthPaid>,
    /// Per firm (fen).
    pub firms: Vec<Paid>,
    /// Per station kind (`detention_centre`, `court`, `procuratorate`; `other` for lines of
    /// no station: per-day and monthly rules).
    pub station_kinds: Vec<Paid>,
    /// All (fen).
    pub total_fen: i64,
}

/// A month's subsidy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MonthPaid {
    /// `YYYY-MM`.
    pub month: String,
    /// Paid (fen), over the centres approved.
    pub fen: i64,
    /// Centres of the report whose month is approved.
    pub approved: u32,
    /// Centres whose month is not (yet).
    pub open: u32,
}

/// An amount by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Paid {
    /// Firm code or station kind.
    pub id: String,
    /// Name (Chinese).
    pub name: String,
    /// Fen.
    pub fen: i64,
}

/// Subsidy from the approved `statements` of `centres` centres over `months`;
/// `kind_of` names a station's kind, `firm_name` a firm.
pub fn subsidy(
    statements: &[Statement],
    centres: u32,
    months: &[String],
    kind_of: impl Fn(&StationId) -> Option<(String, String)>,
    firm_name: impl Fn(&FirmId) -> String,
) -> Subsidy {
    let mut s = Subsidy::default();
    let mut firms: BTreeMap<String, Paid> = BTreeMap::new();
    let mut kinds: BTreeMap<String, Paid> = BTreeMap::new();
    for m in months {
        let of_month: Vec<&Statement> = statements.iter().filter(|x| &x.month == m).collect();
        let fen: i64 = of_month.iter().map(|x| x.total_fen).sum();
        let approved = u32::try_from(of_month.len()).unwrap_or(u32::MAX);
        s.months.push(MonthPaid {
            month: m.clone(),
            fen,
            approved,
            open: centres.saturating_sub(approved),
        });
        s.total_fen += fen;
        for line in of_month.iter().flat_map(|x| &x.lines) {
            let f = firms
                .entry(line.firm_id.to_string())
                .or_insert_with(|| Paid {
                    id: line.firm_id.to_string(),
                    name: firm_name(&line.firm_id),
                    ..Paid::default()
                });
            f.fen += line.amount_fen;
            let (id, name) = line
                .station_id
                .as_ref()
                .and_then(&kind_of)
                .unwrap_or_else(|| ("other".into(), "不分工作站".into()));
            kinds
                .entry(id.clone())
                .or_insert_with(|| Paid {
                    id,
                    name,
                    ..Paid::default()
                })
                .fen += line.amount_fen;
        }
    }
    s.firms = firms.into_values().collect();
    s.firms
        .sort_by(|a, b| b.fen.cmp(&a.fen).then(a.id.cmp(&b.id)));
    s.station_kinds = kinds.into_values().collect();
    s
}

/// The months from `from` to `to` (`YYYY-MM`), at most `max`; an error names the field.
pub fn months(from: &str, to: &str, max: usize) -> Result<Vec<String>, (&'static str, String)> {
    let parse = |field: &'static str, m: &str| {
        NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .ok()
            .filter(|_| m.len() == 7)
            .ok_or((field, format!("{m:?} is not a month (YYYY-MM)")))
    };
    let (a, b) = (parse("from", from)?, parse("to", to)?);
    if b < a {
        return Err(("to", "must not be before from".into()));
    }
    let mut out = Vec::new();
    let mut m = a;
    while m <= b {
        if out.len() == max {
            return Err(("to", format!("at most {max} months at once")));
        }
        out.push(month_of(m));
        m = m
            .checked_add_months(chrono::Months::new(1))
            .ok_or(("to", "out of range".to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::UncoveredReason;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn duty(date: &str, lawyer: &str, role: Role) -> DutyRow {
        DutyRow {
            date: d(date),
            station_id: StationId::parse("S1").unwrap(),
            half_day: HalfDay::Am,
            lawyer_id: LawyerId::parse(lawyer).unwrap(),
            firm_id: Some(FirmId::parse("F1").unwrap()),
            role,
            hours: 3.0,
            version: 1,
        }
    }

    #[test]
    fn gini_is_zero_when_even_and_grows_with_unevenness() {
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[0.0, 0.0]), 0.0);
        assert!(gini(&[4.0, 4.0, 4.0]).abs() < 1e-12);
        // One of four does everything: (n − 1) / n.
        assert!((gini(&[0.0, 0.0, 0.0, 8.0]) - 0.75).abs() < 1e-12);
        assert!(gini(&[1.0, 2.0, 3.0]) > 0.0 && gini(&[1.0, 2.0, 3.0]) < gini(&[0.0, 0.0, 6.0]));
    }

    #[test]
    fn months_are_listed_and_bounded() {
        assert_eq!(
            months("2026-11", "2027-02", 36).unwrap(),
            vec!["2026-11", "2026-12", "2027-01", "2027-02"]
        );
        assert_eq!(months("2026-13", "2027-01", 36).unwrap_err().0, "from");
        assert_eq!(months("2026-05", "2026-04", 36).unwrap_err().0, "to");
        assert_eq!(months("2020-01", "2026-01", 36).unwrap_err().0, "to");
        assert_eq!(months("2026-1", "2026-02", 36).unwrap_err().0, "from");
    }

    #[test]
    fn coverage_adds_the_uncovered_to_the_filled_by_month_and_reason() {
        let duties = vec![
            duty("2026-10-12", "L1", Role::Primary),
            duty("2026-10-13", "L2", Role::Primary),
            duty("2026-10-13", "L3", Role::Backup),
            duty("2026-11-02", "L1", Role::Primary),
        ];
        let gap = Uncovered {
            station_id: StationId::parse("S1").unwrap(),
            date: d("2026-11-03"),
            half_day: HalfDay::Pm,
            wanted: 2,
            filled: 0,
            backups_wanted: 0,
            backups_filled: 0,
            reason: UncoveredReason::EligibleUnavailable { lawyers: vec![] },
        };
        let months = vec!["2026-10".to_string(), "2026-11".to_string()];
        let c = coverage(&duties, &[gap], &months);
        assert_eq!((c[0].wanted, c[0].filled, c[0].uncovered), (2, 2, 0));
        assert_eq!((c[1].wanted, c[1].filled, c[1].uncovered), (3, 1, 2));
        assert_eq!(c[1].by_reason["eligible_unavailable"], 2);
        assert_eq!(c[2].month, "合计");
        assert_eq!((c[2].wanted, c[2].filled, c[2].uncovered), (5, 3, 2));
    }

    #[test]
    fn attendance_counts_each_past_duty_once_by_its_record() {
        let duties: Vec<DutyRow> = ["L1", "L2", "L3", "L4", "L5", "L6"]
            .iter()
            .map(|l| duty("2026-10-12", l, Role::Primary))
            .chain([duty("2026-10-20", "L1", Role::Primary)])
            .collect();
        let rec = |l: &str, late, outside, approved, excused, voided| CheckRow {
            open: false,
            date: d("2026-10-12"),
            station_id: StationId::parse("S1").unwrap(),
            half_day: HalfDay::Am,
            lawyer_id: LawyerId::parse(l).unwrap(),
            excused,
            late,
            outside,
            approved,
            voided,
        };
        let records = vec![
            rec("L1", false, false, true, false, false),
            rec("L2", true, false, true, false, false),
            rec("L3", false, true, true, false, false),
            rec("L4", false, true, false, false, false),
            rec("L5", false, false, false, true, false),
            rec("L6", false, false, true, false, true),
        ];
        let a = attendance(&duties, &records, d("2026-10-15"));
        assert_eq!(
            a,
            Attendance {
                duties: 6,
                on_time: 1,
                late: 1,
                out_of_fence_approved: 1,
                out_of_fence_waiting: 1,
                excused: 1,
                no_show: 1,
                not_checked_out: 0,
            }
        );
    }

    #[test]
    fn workload_counts_lawyers_without_duties_and_firms() {
        let duties = vec![
            duty("2026-10-12", "L1", Role::Primary),
            duty("2026-10-13", "L1", Role::Primary),
            duty("2026-10-13", "L2", Role::Backup),
        ];
        let f = FirmId::parse("F1").unwrap();
        let panel = vec![
            (
                LawyerId::parse("L1").unwrap(),
                "甲".into(),
                f.clone(),
                "所".into(),
            ),
            (LawyerId::parse("L2").unwrap(), "乙".into(), f, "所".into()),
        ];
        let w = workload(&duties, &panel, &BTreeMap::new());
        assert_eq!((w.max, w.min), (2, 0));
        assert_eq!(w.lawyers[0].id, "L1");
        assert_eq!(w.lawyers[0].hours, 6.0);
        assert_eq!(w.lawyers[1].backups, 1);
        assert_eq!(w.lawyers[0].fair_share, 1.0);
        assert_eq!(w.firms[0].duties, 2);
        assert_eq!(w.firms[0].fair_share, 2.0);
        assert!((w.gini - 0.5).abs() < 1e-9, "{}", w.gini);
        // Against the roster's own shares: L2 was to carry three times L1's part.
        let fair = fair_shares(
            &duties,
            &[(
                1,
                vec![
                    (LawyerId::parse("L1").unwrap(), 1.0),
                    (LawyerId::parse("L2").unwrap(), 3.0),
                ],
            )],
        );
        assert_eq!(fair[&LawyerId::parse("L1").unwrap()], 0.5);
        assert_eq!(fair[&LawyerId::parse("L2").unwrap()], 1.5);
        let w = workload(&duties, &panel, &fair);
        assert_eq!(w.lawyers[0].fair_share, 0.5);
        assert_eq!(w.firms[0].fair_share, 2.0);
    }

    #[test]
    fn ledger_totals_keep_unconfirmed_pleas_apart() {
        let rows = vec![
            LedgerRow {
                consultations: 3,
                plea_claimed: 2,
                plea_confirmed: Some(1),
                received: 2,
                forwarded: 1,
                overdue: 1,
            },
            LedgerRow {
                consultations: 1,
                plea_claimed: 4,
                plea_confirmed: None,
                ..LedgerRow::default()
            },
        ];
        let t = ledger(&rows);
        assert_eq!(t.entries, 2);
        assert_eq!(t.consultations, 4);
        assert_eq!(
            (t.plea_signings_confirmed, t.plea_signings_unconfirmed),
            (1, 4)
        );
        assert_eq!((t.applications_received, t.applications_forwarded), (2, 1));
        assert_eq!(t.forwards_overdue, 1);
    }
}
