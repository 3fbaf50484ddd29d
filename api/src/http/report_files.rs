//! The report as files: `GET /api/v1/reports/summary.xlsx` (a workbook, a sheet per
//! section, Chinese headers, numbers as numbers, amounts in yuan and in fen; over a year
//! it is the yearly summary to paste into a 统计报表) and `summary.csv` (UTF-8 with a BOM,
//! one row per figure: 部分, 名称, 指标, 数值).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Query};
use crate::http::reports::{ReportQuery, Summary, build};
use crate::sheet::text;
use axum::extract::State;
use axum::response::Response;
use rust_xlsxwriter::{Format, FormatBorder, Workbook};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary_xlsx))
        .routes(routes!(summary_csv))
}

/// A cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text.
    Text(String),
    /// A whole number (counts, fen).
    Num(f64),
    /// A number shown with decimals (hours, shares, Gini).
    Dec(f64),
    /// Yuan, shown with two decimals.
    Yuan(f64),
}

/// One section as a table.
pub(crate) struct Section {
    /// Sheet name.
    pub name: &'static str,
    /// Column headers.
    pub header: Vec<&'static str>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn n(x: impl Into<f64>) -> Cell {
    Cell::Num(x.into())
}

#[allow(clippy::cast_precision_loss)]
fn yuan(fen: i64) -> Cell {
    Cell::Yuan(fen as f64 / 100.0)
}

fn dec(x: f64) -> Cell {
    Cell::Dec((x * 100.0).round() / 100.0)
}

#[allow(clippy::cast_precision_loss)]
fn fen(fen: i64) -> Cell {
    Cell::Num(fen as f64)
}

/// The report's sections as tables.
pub(crate) fn sections(s: &Summary) -> Vec<Section> {
    let reason = |r: &zhiban_domain::reports::CoverageRow, k: &str| {
        n(r.by_reason.get(k).copied().unwrap_or(0))
    };
    let a = &s.attendance;
    let l = &s.ledger;
    let w = &s.workload;
    let work = |x: &zhiban_domain::reports::Work| {
        vec![
            t(&x.id),
            t(&x.name),
            n(x.duties),
            n(x.backups),
            dec(x.hours),
            dec(x.fair_share),
        ]
    };
    let mut out = vec![
        summary_section(s),
        Section {
            name: "覆盖率",
            header: vec![
                "月份",
                "需值班岗位",
                "已安排",
                "未覆盖",
                "无符合条件的律师",
                "符合条件但不可用",
                "符合条件但已排满",
            ],
            rows: s
                .coverage
                .iter()
                .map(|r| {
                    vec![
                        t(&r.month),
                        n(r.wanted),
                        n(r.filled),
                        n(r.uncovered),
                        reason(r, "no_eligible_lawyer"),
                        reason(r, "eligible_unavailable"),
                        reason(r, "eligible_at_limits"),
                    ]
                })
                .collect(),
        },
        Section {
            name: "考勤",
            header: vec!["项目", "次数"],
            rows: vec![
                vec![t("已过值班"), n(a.duties)],
                vec![t("按时签到"), n(a.on_time)],
                vec![t("迟到"), n(a.late)],
                vec![t("范围外签到（已批准）"), n(a.out_of_fence_approved)],
                vec![t("范围外签到（待审核）"), n(a.out_of_fence_waiting)],
                vec![t("未签到"), n(a.no_show)],
                vec![t("请假（已准）"), n(a.excused)],
            ],
        },
        Section {
            name: "律师工作量",
            header: vec![
                "律师编号",
                "姓名",
                "值班次数",
                "备班次数",
                "值班小时",
                "应有份额",
            ],
            rows: w.lawyers.iter().map(work).collect(),
        },
        Section {
            name: "律所工作量",
            header: vec![
                "律所编号",
                "律所",
                "值班次数",
                "备班次数",
                "值班小时",
                "应有份额",
            ],
            rows: w.firms.iter().map(work).collect(),
        },
        Section {
            name: "均衡度",
            header: vec!["项目", "数值"],
            rows: vec![
                vec![t("律师最多值班次数"), n(w.max)],
                vec![t("律师最少值班次数"), n(w.min)],
                vec![t("基尼系数（0 为完全均衡）"), Cell::Dec(w.gini)],
            ],
        },
        Section {
            name: "台账",
            header: vec!["项目", "数量"],
            rows: vec![
                vec![t("台账条数"), n(l.entries)],
                vec![t("法律咨询"), n(l.consultations)],
                vec![
                    t("见证认罪认罚具结书（已确认）"),
                    n(l.plea_signings_confirmed),
                ],
                vec![
                    t("见证认罪认罚具结书（待确认）"),
                    n(l.plea_signings_unconfirmed),
                ],
                vec![t("收到法律援助申请"), n(l.applications_received)],
                vec![t("已转交申请"), n(l.applications_forwarded)],
                vec![t("逾期转交（超过24小时）"), n(l.forwards_overdue)],
            ],
        },
    ];
    out.extend(subsidy_sections(s));
    out
}

/// One column of figures, to paste into a 统计报表 (over a year: the year's).
fn summary_section(s: &Summary) -> Section {
    let (a, l, w) = (&s.attendance, &s.ledger, &s.workload);
    let total = s.coverage.last().cloned().unwrap_or_default();
    let served = w.lawyers.iter().filter(|x| x.duties > 0).count();
    let hours: f64 = w.lawyers.iter().map(|x| x.hours).sum();
    let rate = if total.wanted == 0 {
        0.0
    } else {
        (f64::from(total.filled) * 1000.0 / f64::from(total.wanted)).round() / 10.0
    };
    Section {
        name: "汇总",
        header: vec!["项目", "数值"],
        rows: vec![
            vec![t("需值班岗位（人次）"), n(total.wanted)],
            vec![t("已安排值班（人次）"), n(total.filled)],
            vec![t("未覆盖岗位（人次）"), n(total.uncovered)],
            vec![t("覆盖率（%）"), dec(rate)],
            vec![
                t("参与值班律师（人）"),
                n(u32::try_from(served).unwrap_or(u32::MAX)),
            ],
            vec![t("值班时长（小时）"), dec(hours)],
            vec![t("按时签到（次）"), n(a.on_time)],
            vec![t("迟到（次）"), n(a.late)],
            vec![t("未签到（次）"), n(a.no_show)],
            vec![t("请假（次）"), n(a.excused)],
            vec![t("法律咨询（人次）"), n(l.consultations)],
            vec![t("见证认罪认罚具结书（份）"), n(l.plea_signings_confirmed)],
            vec![t("收到法律援助申请（件）"), n(l.applications_received)],
            vec![t("转交申请（件）"), n(l.applications_forwarded)],
            vec![t("逾期转交（件）"), n(l.forwards_overdue)],
            vec![t("已审批值班补贴（元）"), yuan(s.subsidy.total_fen)],
        ],
    }
}

/// Subsidy by month, firm and station kind.
fn subsidy_sections(s: &Summary) -> Vec<Section> {
    vec![
        Section {
            name: "补贴（按月）",
            header: vec![
                "月份",
                "金额（元）",
                "金额（分）",
                "已审批中心",
                "未审批中心",
            ],
            rows: s
                .subsidy
                .months
                .iter()
                .map(|m| {
                    vec![
                        t(&m.month),
                        yuan(m.fen),
                        fen(m.fen),
                        n(m.approved),
                        n(m.open),
                    ]
                })
                .chain([vec![
                    t("合计"),
                    yuan(s.subsidy.total_fen),
                    fen(s.subsidy.total_fen),
                    t(""),
                    t(""),
                ]])
                .collect(),
        },
        Section {
            name: "补贴（按律所）",
            header: vec!["律所编号", "律所", "金额（元）", "金额（分）"],
            rows: s
                .subsidy
                .firms
                .iter()
                .map(|p| vec![t(&p.id), t(&p.name), yuan(p.fen), fen(p.fen)])
                .collect(),
        },
        Section {
            name: "补贴（按工作站类型）",
            header: vec!["类型", "名称", "金额（元）", "金额（分）"],
            rows: s
                .subsidy
                .station_kinds
                .iter()
                .map(|p| vec![t(&p.id), t(&p.name), yuan(p.fen), fen(p.fen)])
                .collect(),
        },
    ]
}

fn title(s: &Summary) -> String {
    format!(
        "值班统计 {} 至 {}（{} 个中心）",
        s.months.first().map_or("", String::as_str),
        s.months.last().map_or("", String::as_str),
        s.centres.len()
    )
}

/// The workbook: a sheet per section, the title in the first row.
pub(crate) fn workbook(s: &Summary) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("#DCE6F1")
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let whole = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0");
    let decimal = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0###");
    let money = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0.00");
    for sec in sections(s) {
        let ws = wb.add_worksheet();
        ws.set_name(sec.name)?;
        ws.write_with_format(0, 0, title(s), &bold)?;
        for (c, h) in sec.header.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            ws.write_with_format(1, c, *h, &head)?;
            ws.set_column_width(c, if c == 1 { 28 } else { 16 })?;
        }
        for (r, row) in sec.rows.iter().enumerate() {
            let r = u32::try_from(r + 2).unwrap_or(u32::MAX);
            for (c, v) in row.iter().enumerate() {
                let c = u16::try_from(c).unwrap_or(u16::MAX);
                match v {
                    Cell::Text(x) => ws.write_string_with_format(r, c, x, &cell)?,
                    Cell::Num(x) => ws.write_number_with_format(r, c, *x, &whole)?,
                    Cell::Dec(x) => ws.write_number_with_format(r, c, *x, &decimal)?,
                    Cell::Yuan(x) => ws.write_number_with_format(r, c, *x, &money)?,
                };
            }
        }
        ws.set_paper_size(9)
            .set_landscape()
            .set_print_fit_to_pages(1, 0)
            .set_repeat_rows(0, 1)?;
    }
    wb.save_to_buffer()
}

/// One row per figure: section, name (the row's first text), figure (the column), value.
pub(crate) fn csv(s: &Summary) -> Result<Vec<u8>, ApiError> {
    let mut w = ::csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let err = |e: ::csv::Error| ApiError::Internal(e.into());
    w.write_record(["部分", "名称", "指标", "数值"])
        .map_err(err)?;
    for sec in sections(s) {
        for row in &sec.rows {
            let name: Vec<String> = row
                .iter()
                .filter_map(|c| match c {
                    Cell::Text(x) if !x.is_empty() => Some(x.clone()),
                    _ => None,
                })
                .collect();
            let name = name.join(" ");
            for (c, v) in row.iter().enumerate() {
                let value = match v {
                    Cell::Text(_) => None,
                    Cell::Num(x) | Cell::Dec(x) => Some(format!("{x}")),
                    Cell::Yuan(x) => Some(format!("{x:.2}")),
                };
                if let Some(value) = value {
                    w.write_record([
                        sec.name.to_string(),
                        text(&name).into_owned(),
                        sec.header[c].to_string(),
                        value,
                    ])
                    .map_err(err)?;
                }
            }
        }
    }
    w.into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
}

fn name(s: &Summary, ext: &str) -> String {
    format!(
        "值班统计-{}-{}至{}.{ext}",
        s.centre_id,
        s.months.first().map_or("", String::as_str),
        s.months.last().map_or("", String::as_str)
    )
}

/// The report as a workbook: a sheet per section (over a year: the yearly summary).
#[utoipa::path(get, path = "/api/v1/reports/summary.xlsx", tag = "reports", params(ReportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn summary_xlsx(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let s = build(&state, &who, &q).await?;
    let bytes = workbook(&s).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(crate::http::roster_export::file(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name(&s, "xlsx"),
    ))
}

/// The report as CSV: one row per figure (UTF-8 with a BOM, Chinese headers).
#[utoipa::path(get, path = "/api/v1/reports/summary.csv", tag = "reports", params(ReportQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn summary_csv(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let s = build(&state, &who, &q).await?;
    Ok(crate::http::roster_export::file(
        csv(&s)?,
        "text/csv; charset=utf-8",
        &name(&s, "csv"),
    ))
}
