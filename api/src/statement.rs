//! A month's subsidy statement, computed from the store and `zhiban_domain::subsidy`.
//!
//! - Only facts that count for pay are priced: attended (approved when outside the
//!   geofence) or excused, not voided by a correction, and at most as many records per
//!   slot as the published roster has posts there (a check-in left behind by a swap or
//!   re-plan does not pay a slot twice).
//! - Only plea agreements a coordinator confirmed pay; claims that differ are shown apart as
//!   pending, and claims above the centre's plausibility limit are flagged.
//! - A locked month is read as approved, never recomputed. Its later corrections are paid
//!   in the first open month after it, as one adjustment line per lawyer naming the
//!   corrections, priced with the policy versions frozen when the month was locked.

use crate::AppState;
use crate::error::ApiError;
use crate::planning::ALL;
use chrono::NaiveDate;
use std::collections::{BTreeSet, HashMap};
use zhiban_domain::month::{Month, first_open_after};
use zhiban_domain::subsidy::{
    self, AdjustmentError, AttendedDuty, Correction, LaterStatement, LockedFacts, PendingClaim,
    STATEMENT_SCHEMA, Statement, StatementLine, StatementStatus, UnpaidDuty, compute_lines,
    policy_on, totals,
};
use zhiban_domain::{Assignment, CentreId, Dataset, HalfDay, SubsidyPolicy};
use zhiban_store::{CorrectionRecord, DutyQuery, LockedMonth};

/// Priced lines of one month's facts as they stand, with what is left out.
pub(crate) struct Priced {
    pub(crate) lines: Vec<StatementLine>,
    pub(crate) unpaid: Vec<UnpaidDuty>,
    pub(crate) pending: u32,
    pub(crate) claims: Vec<PendingClaim>,
    pub(crate) off_roster: u32,
}

type SlotKey = (
    zhiban_domain::StationId,
    NaiveDate,
    HalfDay,
    zhiban_domain::Role,
);

/// Prices `month` of `centre` from the store's facts under `policies`.
pub(crate) async fn price_month(
    state: &AppState,
    ds: &Dataset,
    centre: &CentreId,
    month: Month,
    policies: &[SubsidyPolicy],
) -> Result<Priced, ApiError> {
    let (first, last) = (month.first(), month.last());
    let records = state.store.list_attendance(centre, first, last).await?;
    let ledger = state.store.list_ledger(centre, first, last).await?;
    let q = DutyQuery {
        centres: Some(vec![centre.clone()]),
        from: Some(first),
        to: Some(last),
        ..DutyQuery::default()
    };
    let published: BTreeSet<Assignment> = state
        .store
        .list_duties(&q, ALL)
        .await?
        .items
        .into_iter()
        .map(|d| d.assignment)
        .collect();
    let mut posts: HashMap<SlotKey, usize> = HashMap::new();
    for a in &published {
        *posts
            .entry((a.station_id.clone(), a.date, a.half_day, a.role))
            .or_default() += 1;
    }
    let max_plea = state.store.centre_policy(centre).await?.max_plea_signings;
    let (mut paid, mut pending, mut off_roster) = (vec![], 0, 0);
    // Records on the roster first, so a left-over record pays only a post nobody holds.
    let mut counting: Vec<_> = records.iter().filter(|r| r.counts_for_pay()).collect();
    pending += records
        .iter()
        .filter(|r| !r.voided && !r.counts_for_pay())
        .count() as u32;
    counting.sort_by_key(|r| !published.contains(&r.duty));
    for r in counting {
        let a = &r.duty;
        let left = posts
            .entry((a.station_id.clone(), a.date, a.half_day, a.role))
            .or_default();
        if *left == 0 {
            off_roster += 1;
            continue;
        }
        *left -= 1;
        paid.push(a.clone());
    }
    let mut duties = vec![];
    let mut claims = vec![];
    for a in paid {
        let (Some(l), Some(st)) = (ds.lawyer(&a.lawyer_id), ds.station(&a.station_id)) else {
            continue;
        };
        let entry = ledger.iter().find(|e| {
            e.station_id == a.station_id
                && e.date == a.date
                && e.half_day == a.half_day
                && e.lawyer_id == a.lawyer_id
        });
        let confirmed = entry.and_then(|e| e.confirmed_plea_signings).unwrap_or(0);
        if let Some(e) = entry.filter(|e| e.plea_signings != confirmed) {
            let rate = policy_on(policies, &st.centre_id, a.date).map_or(0, |p| p.plea_case_fen);
            claims.push(PendingClaim {
                station_id: a.station_id.to_string(),
                date: a.date,
                half_day: a.half_day,
                lawyer_id: a.lawyer_id.clone(),
                claimed: e.plea_signings,
                confirmed,
                amount_fen: (i64::from(e.plea_signings) - i64::from(confirmed)) * rate,
                outlier: e.plea_signings > max_plea,
            });
        }
        duties.push(AttendedDuty {
            lawyer_id: l.id.clone(),
            firm_id: l.firm_id.clone(),
            home_centre_id: l.home_centre_id.clone(),
            station_id: st.id.clone(),
            station_kind: st.kind,
            station_centre_id: st.centre_id.clone(),
            date: a.date,
            half_day: a.half_day,
            plea_cases: confirmed,
            quality: entry.and_then(|e| e.quality.clone()),
        });
    }
    let (lines, unpaid) = compute_lines(&duties, policies);
    let unpaid = unpaid
        .into_iter()
        .map(|d| UnpaidDuty {
            lawyer_id: d.lawyer_id,
            date: d.date,
            station_id: d.station_id.to_string(),
        })
        .collect();
    Ok(Priced {
        lines,
        unpaid,
        pending,
        claims,
        off_roster,
    })
}

/// The policy versions of `centre` (what a locked month freezes).
pub(crate) fn centre_policies(ds: &Dataset, centre: &CentreId) -> Vec<SubsidyPolicy> {
    ds.settings
        .subsidy
        .iter()
        .filter(|p| &p.centre_id == centre)
        .cloned()
        .collect()
}

/// Adjustment lines paying, in open month `month`, the corrections of locked month `l`
/// (`zhiban_domain::subsidy::adjustments` over the store's facts).
async fn adjustments(
    state: &AppState,
    ds: &Dataset,
    centre: &CentreId,
    l: &LockedMonth,
    locked: &[LockedMonth],
) -> Result<(Vec<StatementLine>, Vec<CorrectionRecord>), ApiError> {
    let lm = Month::parse(&l.month).map_err(|m| ApiError::Internal(anyhow::anyhow!(m)))?;
    // Priced with the versions frozen at lock (months locked before they were frozen: the
    // current ones, which can no longer change for that month).
    let frozen = if l.policies.is_empty() {
        centre_policies(ds, centre)
    } else {
        l.policies.clone()
    };
    let now = price_month(state, ds, centre, lm, &frozen).await?;
    let snap = l.statement.clone();
    let later: Vec<(Statement, Vec<i64>)> = locked
        .iter()
        .filter(|x| x.month > l.month)
        .map(|x| {
            let s = x.statement.clone();
            let ids = s.corrections.iter().map(|c| c.id).collect();
            Ok((s, ids))
        })
        .collect::<Result<_, ApiError>>()?;
    let records = state.store.list_corrections(centre, Some(lm)).await?;
    let later: Vec<LaterStatement<'_>> = later
        .iter()
        .map(|(s, ids)| LaterStatement {
            lines: &s.lines,
            corrections: ids,
        })
        .collect();
    let corrections: Vec<Correction> = records
        .iter()
        .map(|c| Correction {
            id: c.id,
            lawyer_id: c.duty.lawyer_id.clone(),
        })
        .collect();
    let facts = LockedFacts {
        month: lm,
        approved: &snap.lines,
        repriced: &now.lines,
        later: &later,
        corrections: &corrections,
    };
    let out = subsidy::adjustments(&facts, |x| ds.lawyer(x).map(|x| x.firm_id.clone()))
        .map_err(|AdjustmentError::UnknownLawyer(x)| ApiError::not_found("lawyer", x))?;
    let fresh = records
        .into_iter()
        .filter(|c| out.fresh.contains(&c.id))
        .collect();
    Ok((out.lines, fresh))
}

/// The statement of a centre for a month: the approved one if locked, else computed now.
pub(crate) async fn statement(
    state: &AppState,
    centre: &CentreId,
    month: Month,
) -> Result<Statement, ApiError> {
    let ds = state.dataset().await?;
    statement_at(state, &ds, centre, month).await
}

/// [`statement`] with the panel (and so the policy versions) read by the caller: approval
/// prices the month and freezes the versions from one and the same read.
pub(crate) async fn statement_at(
    state: &AppState,
    ds: &Dataset,
    centre: &CentreId,
    month: Month,
) -> Result<Statement, ApiError> {
    let key = month.to_string();
    let locked = state.store.locked_months(centre).await?;
    if let Some(l) = locked.iter().find(|l| l.month == key) {
        let mut s = l.statement.clone();
        s.status = StatementStatus::Locked;
        s.locked_at = Some(l.locked_at);
        s.locked_by = Some(l.locked_by.clone());
        return Ok(s);
    }
    let policies = centre_policies(ds, centre);
    let mut priced = price_month(state, ds, centre, month, &policies).await?;
    let locked_keys: Vec<Month> = locked
        .iter()
        .filter_map(|l| Month::parse(&l.month).ok())
        .collect();
    let mut corrections = vec![];
    for l in locked.iter().filter(|l| l.month < key) {
        let Ok(lm) = Month::parse(&l.month) else {
            continue;
        };
        if first_open_after(lm, &locked_keys) != month {
            continue;
        }
        let (lines, fixed) = adjustments(state, ds, centre, l, &locked).await?;
        priced.lines.extend(lines);
        corrections.extend(fixed);
    }
    let (lawyers, firms, total_fen) = totals(&priced.lines);
    Ok(Statement {
        centre_id: centre.clone(),
        schema_version: STATEMENT_SCHEMA,
        month: key,
        status: StatementStatus::Open,
        locked_at: None,
        locked_by: None,
        lines: priced.lines,
        lawyers,
        firms,
        total_fen,
        unpaid: priced.unpaid,
        pending: priced.pending,
        pending_fen: priced.claims.iter().map(|c| c.amount_fen).sum(),
        pending_claims: priced.claims,
        off_roster: priced.off_roster,
        corrections,
    })
}
