//! Subsidy policies, monthly statements, approval (locking) and exports for finance.
//!
//! A statement counts only attended duties: checked in and out (and, outside the geofence,
//! approved), or excused by a coordinator. Its lines come from `zhiban_domain::subsidy`, one
//! per rule applied, and are recomputed the same way every time until finance approves the
//! month; an approved month is stored as approved and never changes. A later change to a
//! locked month's duties (a late manual entry, an excuse) shows up as an adjustment line in
//! the first open month after it.

use crate::AppState;
use crate::attendance::month_range;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::subsidy::{
    AttendedDuty, FirmTotal, LawyerTotal, LineRule, StatementLine, compute_lines, totals, yuan,
};
use zhiban_domain::{CentreId, Dataset, LawyerId, SubsidyPolicy};
use zhiban_store::{AttendanceStatus, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subsidy_policies, put_subsidy_policy))
        .routes(routes!(get_statement))
        .routes(routes!(approve_month))
        .routes(routes!(statement_csv))
        .routes(routes!(statement_xlsx))
}

fn centre_id(raw: &str) -> Result<CentreId, ApiError> {
    CentreId::parse(raw).map_err(|m| ApiError::field("centre", m))
}

/// A centre's subsidy policies, oldest first.
#[utoipa::path(get, path = "/api/v1/centres/{id}/subsidy-policies", tag = "finance",
    params(("id" = String, Path, description = "centre code")),
    responses((status = 200, body = Vec<SubsidyPolicy>), (status = 404, body = crate::error::Problem)))]
async fn list_subsidy_policies(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<SubsidyPolicy>>, ApiError> {
    let c = centre_id(&id)?;
    who.require_centre(&c, &format!("centre {c}"))?;
    let ds = state.dataset().await?;
    Ok(Json(
        ds.settings
            .subsidy
            .iter()
            .filter(|p| p.centre_id == c)
            .cloned()
            .collect(),
    ))
}

/// Adds a policy version from its effective date (or replaces the one of that date).
/// Finance staff and admins; months already approved keep their amounts.
#[utoipa::path(put, path = "/api/v1/centres/{id}/subsidy-policies", tag = "finance",
    params(("id" = String, Path, description = "centre code")), request_body = SubsidyPolicy,
    responses((status = 200, body = SubsidyPolicy), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn put_subsidy_policy(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(p): Body<SubsidyPolicy>,
) -> Result<Json<SubsidyPolicy>, ApiError> {
    let c = centre_id(&id)?;
    who.require_centre(&c, &format!("centre {c}"))?;
    who.require_role(&[TokenRole::Admin, TokenRole::Finance])?;
    if p.centre_id != c {
        return Err(ApiError::invalid("centre_id", format!("must be {c}")));
    }
    p.validate()
        .map_err(|e| ApiError::invalid(e.field.clone(), e.message))?;
    let audit = who.audit(
        Some(&c),
        "subsidy.policy",
        format!("centre/{c}/subsidy/{}", p.effective_from),
        serde_json::to_value(&p).unwrap_or_default(),
    );
    state.store.put_subsidy_policy(&p, &audit).await?;
    Ok(Json(p))
}

/// A duty attended but unpaid because no policy was in force.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct UnpaidDuty {
    /// Lawyer.
    lawyer_id: LawyerId,
    /// Day.
    date: NaiveDate,
    /// Station.
    station_id: String,
}

/// A month's subsidy statement of one centre.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Statement {
    /// Centre.
    centre_id: CentreId,
    /// `YYYY-MM`.
    month: String,
    /// `open` (recomputed on every read) or `locked` (approved; never changes).
    status: String,
    /// When finance approved it.
    locked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who approved it.
    locked_by: Option<String>,
    /// One line per duty and rule.
    lines: Vec<StatementLine>,
    /// Per lawyer.
    lawyers: Vec<LawyerTotal>,
    /// Per firm.
    firms: Vec<FirmTotal>,
    /// The centre's total (fen).
    total_fen: i64,
    /// Attended duties no policy pays (set a policy from an earlier date).
    unpaid: Vec<UnpaidDuty>,
    /// Duties still checked in, or outside the geofence awaiting approval: not yet counted.
    pending: u32,
}

/// The lines of a month's attended duties as they stand now, without adjustments.
async fn base_lines(
    state: &AppState,
    ds: &Dataset,
    centre: &CentreId,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<(Vec<StatementLine>, Vec<UnpaidDuty>, u32), ApiError> {
    let records = state.store.list_attendance(centre, first, last).await?;
    let ledger = state.store.list_ledger(centre, first, last).await?;
    let mut duties = vec![];
    let mut pending = 0;
    for r in records {
        let counts = match r.status {
            AttendanceStatus::Excused => true,
            AttendanceStatus::Attended => r.approved,
            AttendanceStatus::CheckedIn => false,
        };
        if !counts {
            pending += 1;
            continue;
        }
        let a = &r.duty;
        let (Some(l), Some(st)) = (ds.lawyer(&a.lawyer_id), ds.station(&a.station_id)) else {
            continue;
        };
        let entry = ledger.iter().find(|e| {
            e.station_id == a.station_id
                && e.date == a.date
                && e.half_day == a.half_day
                && e.lawyer_id == a.lawyer_id
        });
        duties.push(AttendedDuty {
            lawyer_id: l.id.clone(),
            firm_id: l.firm_id.clone(),
            home_centre_id: l.home_centre_id.clone(),
            station_id: st.id.clone(),
            station_kind: st.kind,
            station_centre_id: st.centre_id.clone(),
            date: a.date,
            half_day: a.half_day,
            plea_cases: entry.map_or(0, |e| e.plea_signings),
            quality: entry.and_then(|e| e.quality.clone()),
        });
    }
    let (lines, unpaid) = compute_lines(&duties, &ds.settings.subsidy);
    let unpaid = unpaid
        .into_iter()
        .map(|d| UnpaidDuty {
            lawyer_id: d.lawyer_id,
            date: d.date,
            station_id: d.station_id.to_string(),
        })
        .collect();
    Ok((lines, unpaid, pending))
}

fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn next_month(m: &str) -> Result<String, ApiError> {
    let (_, last) = month_range(m)?;
    Ok(month_key(last + chrono::Duration::days(1)))
}

fn per_lawyer(
    lines: &[StatementLine],
    keep: impl Fn(&StatementLine) -> bool,
) -> BTreeMap<LawyerId, i64> {
    let mut m = BTreeMap::new();
    for l in lines.iter().filter(|l| keep(l)) {
        *m.entry(l.lawyer_id.clone()).or_insert(0) += l.amount_fen;
    }
    m
}

/// The statement of a centre for a month: the approved one if locked, else computed now.
pub(crate) async fn statement(
    state: &AppState,
    centre: &CentreId,
    month: &str,
) -> Result<Statement, ApiError> {
    let (first, last) = month_range(month)?;
    let locked = state.store.locked_months(centre).await?;
    if let Some(l) = locked.iter().find(|l| l.month == month) {
        let mut s: Statement = serde_json::from_value(l.statement.clone())
            .map_err(|e| ApiError::Internal(e.into()))?;
        s.status = "locked".into();
        s.locked_at = Some(l.locked_at);
        s.locked_by = Some(l.locked_by.clone());
        return Ok(s);
    }
    let ds = state.dataset().await?;
    let (mut lines, unpaid, pending) = base_lines(state, &ds, centre, first, last).await?;
    // Corrections of locked months whose first open month after them is this one.
    let locked_set: BTreeSet<&str> = locked.iter().map(|l| l.month.as_str()).collect();
    for l in locked.iter().filter(|l| l.month.as_str() < month) {
        let mut m = next_month(&l.month)?;
        while locked_set.contains(m.as_str()) {
            m = next_month(&m)?;
        }
        if m != month {
            continue;
        }
        let (lfirst, llast) = month_range(&l.month)?;
        let (now_lines, _, _) = base_lines(state, &ds, centre, lfirst, llast).await?;
        let snap: Statement = serde_json::from_value(l.statement.clone())
            .map_err(|e| ApiError::Internal(e.into()))?;
        let now_totals = per_lawyer(&now_lines, |_| true);
        let paid = per_lawyer(&snap.lines, |x| x.rule != LineRule::Adjustment);
        // Adjustments for this month already carried in later locked months.
        let mut carried: BTreeMap<LawyerId, i64> = BTreeMap::new();
        for later in locked.iter().filter(|x| x.month > l.month) {
            if let Ok(s) = serde_json::from_value::<Statement>(later.statement.clone()) {
                for (k, v) in per_lawyer(&s.lines, |x| {
                    x.rule == LineRule::Adjustment && x.date == Some(lfirst)
                }) {
                    *carried.entry(k).or_insert(0) += v;
                }
            }
        }
        let who: BTreeSet<&LawyerId> = now_totals.keys().chain(paid.keys()).collect();
        for lawyer in who {
            let delta = now_totals.get(lawyer).copied().unwrap_or(0)
                - paid.get(lawyer).copied().unwrap_or(0)
                - carried.get(lawyer).copied().unwrap_or(0);
            if delta != 0 {
                lines.push(StatementLine {
                    lawyer_id: lawyer.clone(),
                    firm_id: ds
                        .lawyer(lawyer)
                        .map(|x| x.firm_id.clone())
                        .or_else(|| {
                            snap.lines
                                .iter()
                                .find(|x| &x.lawyer_id == lawyer)
                                .map(|x| x.firm_id.clone())
                        })
                        .ok_or_else(|| ApiError::not_found("lawyer", lawyer))?,
                    date: Some(lfirst),
                    station_id: None,
                    half_day: None,
                    rule: LineRule::Adjustment,
                    description: format!("{} 已审核月份更正", l.month),
                    amount_fen: delta,
                });
            }
        }
    }
    let (lawyers, firms, total_fen) = totals(&lines);
    Ok(Statement {
        centre_id: centre.clone(),
        month: month.to_string(),
        status: "open".into(),
        locked_at: None,
        locked_by: None,
        lines,
        lawyers,
        firms,
        total_fen,
        unpaid,
        pending,
    })
}

fn can_read(who: &Principal, c: &CentreId) -> Result<(), ApiError> {
    who.require_centre(c, &format!("centre {c}"))?;
    who.require_role(&[TokenRole::Admin, TokenRole::Finance, TokenRole::Coordinator])
}

/// A month's subsidy statement: lines naming their rule, totals per lawyer, firm and centre.
#[utoipa::path(get, path = "/api/v1/statements/{centre}/{month}", tag = "finance",
    params(("centre" = String, Path, description = "centre code"), ("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = Statement), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn get_statement(
    State(state): State<AppState>,
    who: Principal,
    Path((centre, month)): Path<(String, String)>,
) -> Result<Json<Statement>, ApiError> {
    let c = centre_id(&centre)?;
    can_read(&who, &c)?;
    Ok(Json(statement(&state, &c, &month).await?))
}

/// Finance approves (locks) a month once it is over: its statement is stored as it is and
/// never changes; later corrections appear in the next open month.
#[utoipa::path(post, path = "/api/v1/statements/{centre}/{month}/approve", tag = "finance",
    params(("centre" = String, Path, description = "centre code"), ("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = Statement), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn approve_month(
    State(state): State<AppState>,
    who: Principal,
    Path((centre, month)): Path<(String, String)>,
) -> Result<Json<Statement>, ApiError> {
    let c = centre_id(&centre)?;
    who.require_centre(&c, &format!("centre {c}"))?;
    who.require_role(&[TokenRole::Admin, TokenRole::Finance])?;
    let (_, last) = month_range(&month)?;
    let tz = state
        .store
        .list_centres()
        .await?
        .into_iter()
        .find(|x| x.id == c)
        .map(|x| x.time_zone)
        .ok_or_else(|| ApiError::not_found("centre", &c))?;
    let today = state.now().with_timezone(&tz).date_naive();
    if today <= last {
        return Err(ApiError::Conflict(format!(
            "{month} is not over yet; it can be approved from {}",
            last + chrono::Duration::days(1)
        )));
    }
    let s = statement(&state, &c, &month).await?;
    if s.status == "locked" {
        return Err(ApiError::Conflict(format!(
            "{month} of centre {c} is approved already; it never changes"
        )));
    }
    let audit = who.audit(
        Some(&c),
        "statement.approve",
        format!("statement/{c}/{month}"),
        serde_json::json!({"total_fen": s.total_fen, "lines": s.lines.len()}),
    );
    state
        .store
        .lock_month(
            &c,
            &month,
            &serde_json::to_value(&s).unwrap_or_default(),
            &audit,
        )
        .await?;
    Ok(Json(statement(&state, &c, &month).await?))
}

struct Names {
    lawyers: BTreeMap<LawyerId, String>,
    firms: BTreeMap<String, String>,
    stations: BTreeMap<String, String>,
}

async fn names(state: &AppState) -> Result<Names, ApiError> {
    let ds = state.dataset().await?;
    Ok(Names {
        lawyers: ds
            .lawyers
            .iter()
            .map(|l| (l.id.clone(), l.name.clone()))
            .collect(),
        firms: ds
            .firms
            .iter()
            .map(|f| (f.id.to_string(), f.name.clone()))
            .collect(),
        stations: ds
            .stations
            .iter()
            .map(|s| (s.id.to_string(), s.name.clone()))
            .collect(),
    })
}

const LINE_HEADERS: [&str; 11] = [
    "律师编号",
    "律师",
    "律师事务所",
    "日期",
    "工作站",
    "时段",
    "规则",
    "说明",
    "金额(元)",
    "金额(分)",
    "月份",
];

fn line_cells(l: &StatementLine, n: &Names, month: &str) -> [String; 11] {
    [
        l.lawyer_id.to_string(),
        n.lawyers.get(&l.lawyer_id).cloned().unwrap_or_default(),
        n.firms.get(l.firm_id.as_str()).cloned().unwrap_or_default(),
        l.date.map(|d| d.to_string()).unwrap_or_default(),
        l.station_id
            .as_ref()
            .and_then(|s| n.stations.get(s.as_str()).cloned())
            .unwrap_or_default(),
        l.half_day
            .map(|h| h.label_zh().to_string())
            .unwrap_or_default(),
        l.rule.label_zh().to_string(),
        l.description.clone(),
        yuan(l.amount_fen),
        l.amount_fen.to_string(),
        month.to_string(),
    ]
}

/// The statement as CSV: UTF-8 with BOM and Chinese headers (opens in Excel and WPS), one
/// row per line and a totals row.
#[utoipa::path(get, path = "/api/v1/statements/{centre}/{month}/csv", tag = "finance",
    params(("centre" = String, Path, description = "centre code"), ("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 404, body = crate::error::Problem)))]
async fn statement_csv(
    State(state): State<AppState>,
    who: Principal,
    Path((centre, month)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let c = centre_id(&centre)?;
    can_read(&who, &c)?;
    let s = statement(&state, &c, &month).await?;
    let n = names(&state).await?;
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let err = |e: csv::Error| ApiError::Internal(e.into());
    w.write_record(LINE_HEADERS).map_err(err)?;
    for l in &s.lines {
        w.write_record(line_cells(l, &n, &month)).map_err(err)?;
    }
    let total = yuan(s.total_fen);
    let total_fen = s.total_fen.to_string();
    w.write_record([
        "合计", "", "", "", "", "", "", "", &total, &total_fen, &month,
    ])
    .map_err(err)?;
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"subsidy-{c}-{month}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The statement as XLSX: sheets 明细 (lines), 按律师 and 按律所, each with a totals row.
#[utoipa::path(get, path = "/api/v1/statements/{centre}/{month}/xlsx", tag = "finance",
    params(("centre" = String, Path, description = "centre code"), ("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 404, body = crate::error::Problem)))]
async fn statement_xlsx(
    State(state): State<AppState>,
    who: Principal,
    Path((centre, month)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let c = centre_id(&centre)?;
    can_read(&who, &c)?;
    let s = statement(&state, &c, &month).await?;
    let n = names(&state).await?;
    let bytes = xlsx(&s, &n).map_err(|e| ApiError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"subsidy-{c}-{month}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn xlsx(s: &Statement, n: &Names) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    let money_bold = Format::new().set_num_format("0.00").set_bold();
    let y = |fen: i64| fen as f64 / 100.0;

    let sheet = wb.add_worksheet().set_name("明细")?;
    for (i, h) in LINE_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    let mut row = 1u32;
    for l in &s.lines {
        let cells = line_cells(l, n, &s.month);
        for (i, v) in cells.iter().enumerate().take(8) {
            sheet.write_string(row, i as u16, v)?;
        }
        sheet.write_number_with_format(row, 8, y(l.amount_fen), &money)?;
        sheet.write_number(row, 9, l.amount_fen as f64)?;
        sheet.write_string(row, 10, &s.month)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "合计", &bold)?;
    sheet.write_number_with_format(row, 8, y(s.total_fen), &money_bold)?;
    sheet.write_number_with_format(row, 9, s.total_fen as f64, &bold)?;
    sheet.set_column_width(7, 28)?;

    let sheet = wb.add_worksheet().set_name("按律师")?;
    for (i, h) in [
        "律师编号",
        "律师",
        "律师事务所",
        "条目数",
        "金额(元)",
        "金额(分)",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    let mut row = 1u32;
    for t in &s.lawyers {
        sheet.write_string(row, 0, t.lawyer_id.as_str())?;
        sheet.write_string(
            row,
            1,
            n.lawyers.get(&t.lawyer_id).map_or("", String::as_str),
        )?;
        sheet.write_string(
            row,
            2,
            n.firms.get(t.firm_id.as_str()).map_or("", String::as_str),
        )?;
        sheet.write_number(row, 3, f64::from(t.lines))?;
        sheet.write_number_with_format(row, 4, y(t.amount_fen), &money)?;
        sheet.write_number(row, 5, t.amount_fen as f64)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "合计", &bold)?;
    sheet.write_number_with_format(row, 4, y(s.total_fen), &money_bold)?;
    sheet.write_number_with_format(row, 5, s.total_fen as f64, &bold)?;

    let sheet = wb.add_worksheet().set_name("按律所")?;
    for (i, h) in ["律所编号", "律师事务所", "律师人数", "金额(元)", "金额(分)"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    let mut row = 1u32;
    for f in &s.firms {
        sheet.write_string(row, 0, f.firm_id.as_str())?;
        sheet.write_string(
            row,
            1,
            n.firms.get(f.firm_id.as_str()).map_or("", String::as_str),
        )?;
        sheet.write_number(row, 2, f64::from(f.lawyers))?;
        sheet.write_number_with_format(row, 3, y(f.amount_fen), &money)?;
        sheet.write_number(row, 4, f.amount_fen as f64)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "合计", &bold)?;
    sheet.write_number_with_format(row, 3, y(s.total_fen), &money_bold)?;
    sheet.write_number_with_format(row, 4, s.total_fen as f64, &bold)?;
    wb.save_to_buffer()
}
