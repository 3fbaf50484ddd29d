//! Statement exports for finance: CSV (UTF-8 with BOM, Chinese headers) and XLSX (sheets
//! 明细, 按律师, 按律所). User text in cells is neutralised against formula injection.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path};
use crate::http::finance::{can_read, centre_id, month};
use crate::sheet;
use crate::statement::statement;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::LawyerId;
use zhiban_domain::subsidy::Statement;
use zhiban_domain::subsidy::{StatementLine, yuan};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(statement_csv))
        .routes(routes!(statement_xlsx))
}

struct Names {
    lawyers: BTreeMap<LawyerId, String>,
    firms: BTreeMap<String, String>,
    stations: BTreeMap<String, String>,
}

impl Names {
    /// A lawyer's name, fit for a cell.
    fn lawyer(&self, id: &LawyerId) -> String {
        self.lawyers
            .get(id)
            .map(|s| sheet::text(s).into_owned())
            .unwrap_or_default()
    }

    /// A firm's name, fit for a cell.
    fn firm(&self, id: &str) -> String {
        self.firms
            .get(id)
            .map(|s| sheet::text(s).into_owned())
            .unwrap_or_default()
    }
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
        n.lawyer(&l.lawyer_id),
        n.firm(l.firm_id.as_str()),
        l.date.map(|d| d.to_string()).unwrap_or_default(),
        l.station_id
            .as_ref()
            .and_then(|s| n.stations.get(s.as_str()))
            .map(|s| sheet::text(s).into_owned())
            .unwrap_or_default(),
        l.half_day
            .map(|h| h.label_zh().to_string())
            .unwrap_or_default(),
        l.rule.label_zh().to_string(),
        sheet::text(&l.description).into_owned(),
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
    let s = statement(&state, &c, self::month(&month)?).await?;
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
    let s = statement(&state, &c, self::month(&month)?).await?;
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
        sheet.write_string(row, 1, n.lawyer(&t.lawyer_id))?;
        sheet.write_string(row, 2, n.firm(t.firm_id.as_str()))?;
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
        sheet.write_string(row, 1, n.firm(f.firm_id.as_str()))?;
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
