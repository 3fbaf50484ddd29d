//! Reports for a director, coordinator or finance officer over a range of months, for a
//! centre and the centres below it: `GET /api/v1/reports/summary?centre_id=&from=&to=`
//! (JSON with `coverage`, `attendance`, `workload`, `ledger` and `subsidy`). The counting
//! is `zhiban_domain::reports`; this reads the rows:
//! - coverage: the published duties, and what the published versions left uncovered;
//! - attendance: the check-ins of the published primary duties of days gone by;
//! - workload: the published duties of the active panels of the centres;
//! - ledger: the ledger entries of the range (forwards overdue as of now);
//! - subsidy: the approved (locked) months' statements.
//!
//! Only centres the caller sees are counted (`centres` lists them).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Query};
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::reports::{self, Attendance, CoverageRow, LedgerTotals, Subsidy, Workload};
use zhiban_domain::{CentreId, Dataset};
use zhiban_store::{DutyQuery, Page, VersionStatus};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(summary))
}

/// Reports made at once.
static REPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The most months one report covers.
pub(crate) const MAX_MONTHS: usize = 36;

/// Which centre and months.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportQuery {
    /// The centre (with the centres below it).
    centre_id: String,
    /// First month, `YYYY-MM`.
    from: String,
    /// Last month, `YYYY-MM` (at most 36 months in all).
    to: String,
}

/// A report.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Summary {
    /// The centre asked for.
    pub centre_id: CentreId,
    /// The centres counted: it and those below it that the caller sees.
    pub centres: Vec<CentreId>,
    /// The months, `YYYY-MM`.
    pub months: Vec<String>,
    /// Posts wanted, filled and uncovered with the reasons, by month, and the total.
    pub coverage: Vec<CoverageRow>,
    /// How the duties of days gone by were attended.
    pub attendance: Attendance,
    /// Duties and hours per lawyer and firm against their fair share, and the spread.
    pub workload: Workload,
    /// Ledger totals.
    pub ledger: LedgerTotals,
    /// Subsidy paid by month, firm and station kind.
    pub subsidy: Subsidy,
}

/// `centre` and the centres below it.
fn subtree(all: &[zhiban_domain::Centre], centre: &CentreId) -> Vec<CentreId> {
    zhiban_domain::centre::with_descendants(all, std::slice::from_ref(centre))
}

/// The report of `q` as `who` sees it.
pub(crate) async fn build(
    state: &AppState,
    who: &Principal,
    q: &ReportQuery,
) -> Result<Summary, ApiError> {
    let months =
        reports::months(&q.from, &q.to, MAX_MONTHS).map_err(|(f, m)| ApiError::invalid(f, m))?;
    // Reports read many rows: two at a time (a cancelled request frees its turn with its
    // work, which runs in this future).
    let _turn = REPORTS
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let centre = CentreId::parse(&q.centre_id).map_err(|e| ApiError::invalid("centre_id", e))?;
    let ds = state.dataset().await?;
    if ds.centre(&centre).is_none() || !who.sees_centre(&centre) {
        return Err(ApiError::not_found("centre", &q.centre_id));
    }
    let centres: Vec<CentreId> = subtree(&ds.centres, &centre)
        .into_iter()
        .filter(|c| who.sees_centre(c))
        .collect();
    let first = NaiveDate::parse_from_str(&format!("{}-01", months[0]), "%Y-%m-%d")
        .map_err(|e| ApiError::invalid("from", e.to_string()))?;
    let last_month =
        NaiveDate::parse_from_str(&format!("{}-01", months[months.len() - 1]), "%Y-%m-%d")
            .map_err(|e| ApiError::invalid("to", e.to_string()))?;
    let last = last_month
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(last_month);
    let duties = duty_rows(state, &ds, &centres, first, last).await?;
    let (uncovered, shares) = uncovered(state, &centres, first, last).await?;
    let mut checks = Vec::new();
    let mut ledger_rows = Vec::new();
    let mut statements = Vec::new();
    let now = state.now();
    for c in &centres {
        for r in state.store.list_attendance(c, first, last).await? {
            checks.push(reports::CheckRow {
                date: r.duty.date,
                station_id: r.duty.station_id.clone(),
                half_day: r.duty.half_day,
                lawyer_id: r.duty.lawyer_id.clone(),
                excused: r.status == zhiban_domain::attendance::AttendanceStatus::Excused,
                open: r.status == zhiban_domain::attendance::AttendanceStatus::CheckedIn,
                late: r.late,
                outside: r.outside_geofence,
                approved: r.approved,
                voided: r.voided,
            });
        }
        for e in state.store.list_ledger(c, first, last).await? {
            ledger_rows.push(reports::LedgerRow {
                consultations: e.consultations,
                plea_claimed: e.plea_signings,
                plea_confirmed: e.confirmed_plea_signings,
                received: count(e.applications.len()),
                forwarded: count(
                    e.applications
                        .iter()
                        .filter(|a| a.forwarded_at.is_some())
                        .count(),
                ),
                overdue: count(
                    e.applications
                        .iter()
                        .filter(|a| {
                            zhiban_domain::attendance::forwarded_late(
                                a.received_at,
                                a.forwarded_at,
                                now,
                            )
                        })
                        .count(),
                ),
            });
        }
        for m in state.store.locked_months(c).await? {
            if months.contains(&m.month) {
                statements.push(m.statement);
            }
        }
    }
    // The active panels of the centres, and any lawyer of a shared pool who held a duty.
    let on_duty: BTreeSet<&zhiban_domain::LawyerId> = duties.iter().map(|d| &d.lawyer_id).collect();
    let panel: Vec<_> = ds
        .lawyers
        .iter()
        .filter(|l| (l.active && centres.contains(&l.home_centre_id)) || on_duty.contains(&l.id))
        .map(|l| {
            let firm = ds
                .firms
                .iter()
                .find(|f| f.id == l.firm_id)
                .map_or_else(String::new, |f| f.name.clone());
            (l.id.clone(), l.name.clone(), l.firm_id.clone(), firm)
        })
        .collect();
    let today = now
        .with_timezone(
            &ds.centre(&centre)
                .map_or(zhiban_domain::DEFAULT_TIME_ZONE, |c| c.time_zone),
        )
        .date_naive();
    Ok(Summary {
        coverage: reports::coverage(&duties, &uncovered, &months),
        attendance: reports::attendance(&duties, &checks, today),
        workload: reports::workload(&duties, &panel, &reports::fair_shares(&duties, &shares)),
        ledger: reports::ledger(&ledger_rows),
        subsidy: reports::subsidy(
            &statements,
            count(centres.len()),
            &months,
            |s| {
                ds.station(s)
                    .map(|st| (st.kind.code().to_string(), st.kind.label_zh().to_string()))
            },
            |f| {
                ds.firms
                    .iter()
                    .find(|x| &x.id == f)
                    .map_or_else(|| f.to_string(), |x| x.name.clone())
            },
        ),
        centre_id: centre,
        centres,
        months,
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The published duties of `centres` from `from` to `to`, with their hours.
async fn duty_rows(
    state: &AppState,
    ds: &Dataset,
    centres: &[CentreId],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<reports::DutyRow>, ApiError> {
    let q = DutyQuery {
        centres: Some(centres.to_vec()),
        from: Some(from),
        to: Some(to),
        ..DutyQuery::default()
    };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = state
            .store
            .list_duties(
                &q,
                Page {
                    limit: 5000,
                    offset,
                },
            )
            .await?;
        let n = page.items.len();
        for d in page.items {
            let a = d.assignment;
            let hours = ds.station(&a.station_id).map_or(0.0, |s| {
                let t = match a.half_day {
                    zhiban_domain::HalfDay::Am => &s.am,
                    zhiban_domain::HalfDay::Pm => &s.pm,
                };
                t.minutes() as f64 / 60.0
            });
            let firm_id = ds.lawyer(&a.lawyer_id).map(|l| l.firm_id.clone());
            out.push(reports::DutyRow {
                version: d.version_id,
                date: a.date,
                station_id: a.station_id,
                half_day: a.half_day,
                lawyer_id: a.lawyer_id,
                firm_id,
                role: a.role,
                hours,
            });
        }
        offset += n as u64;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok(out)
}

/// Each published version's lawyers' fair shares.
type Shares = Vec<(i64, Vec<(zhiban_domain::LawyerId, f64)>)>;

/// What the published versions of `centres`' rosters left uncovered from `from` to `to`,
/// and their fair shares.
async fn uncovered(
    state: &AppState,
    centres: &[CentreId],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<zhiban_domain::report::Uncovered>, Shares), ApiError> {
    let mut out = Vec::new();
    let mut shares = Vec::new();
    let mut seen = BTreeSet::new();
    let mut offset = 0;
    loop {
        let page = state
            .store
            .list_rosters(Some(centres), Page { limit: 500, offset })
            .await?;
        let n = page.items.len();
        for r in page.items {
            if r.to() < from || r.from > to || !seen.insert(r.id) {
                continue;
            }
            let versions = state.store.list_versions(r.id).await?;
            if let Some(v) = versions
                .into_iter()
                .find(|v| v.status == VersionStatus::Published)
            {
                shares.push((
                    v.id,
                    v.report
                        .evaluation
                        .lawyers
                        .iter()
                        .map(|l| (l.lawyer_id.clone(), l.fair_share))
                        .collect(),
                ));
                out.extend(
                    v.report
                        .evaluation
                        .uncovered
                        .into_iter()
                        .filter(|u| u.date >= from && u.date <= to),
                );
            }
        }
        offset += n as u64;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok((out, shares))
}

/// The report: coverage, attendance, workload, ledger and subsidy over the months, for
/// the centre and those below it (only those the caller sees).
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(ReportQuery),
    responses((status = 200, body = Summary), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn summary(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<ReportQuery>,
) -> Result<Json<Summary>, ApiError> {
    Ok(Json(build(&state, &who, &q).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subtree_holds_the_centres_below() {
        let mut all = Vec::new();
        for (id, parent) in [
            ("GZ", None),
            ("GZ-TH", Some("GZ")),
            ("GZ-TH-1", Some("GZ-TH")),
            ("SZ", None),
        ] {
            all.push(zhiban_domain::Centre {
                id: CentreId::parse(id).unwrap(),
                name: id.into(),
                parent_id: parent.map(|p| CentreId::parse(p).unwrap()),
                time_zone: zhiban_domain::DEFAULT_TIME_ZONE,
                shares_pool: false,
            });
        }
        let ids: Vec<String> = subtree(&all, &CentreId::parse("GZ").unwrap())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ids, vec!["GZ", "GZ-TH", "GZ-TH-1"]);
    }
}
