//! A roster version as a spreadsheet to post and hand out (排班表):
//! `GET /api/v1/versions/{id}/export.xlsx?layout=station|lawyer` and `export.csv`.
//!
//! - `station` (the default) is the 排班表 grid: one row per station with its phone, one
//!   column per date and half-day, each cell the lawyers on duty with their firm and the
//!   backups. The CSV has a row per station, date and half-day.
//! - `lawyer` lists each lawyer's duties: date, half-day, station, its address and phone,
//!   and the role. Lawyers' own phone numbers appear only for callers who see them.
//!
//! The workbook prints well from Excel or WPS: A4 landscape, fit to the page width, the
//! title and header rows repeated on every page. Text typed by people is neutralised
//! against formula injection (`crate::sheet::text`).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path, Query};
use crate::sheet::text;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{Dataset, HalfDay, Role};
use zhiban_store::StoredVersion;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_xlsx))
        .routes(routes!(export_csv))
}

/// The layout of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Layout {
    /// `station` (the 排班表 grid, the default) or `lawyer` (each lawyer's duties).
    layout: Option<String>,
}

const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

/// `12月14日 周一`.
fn day(d: NaiveDate) -> String {
    format!(
        "{}月{}日 周{}",
        d.month(),
        d.day(),
        WEEKDAYS[d.weekday().num_days_from_monday() as usize]
    )
}

/// What one export says: a title, the header and the rows (cells as text).
pub(crate) struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// A lawyer as a cell: `陈志明（广东某律师事务所）`.
fn who_cell(ds: &Dataset, id: &zhiban_domain::LawyerId) -> String {
    match ds.lawyer(id) {
        Some(l) => {
            let firm = ds
                .firms
                .iter()
                .find(|f| f.id == l.firm_id)
                .map(|f| f.name.as_str())
                .unwrap_or("");
            format!("{}（{}）", l.name, firm)
        }
        None => id.to_string(),
    }
}

fn title(ds: &Dataset, v: &StoredVersion) -> String {
    let centre = ds
        .centre(&v.roster.centre_id)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| v.roster.centre_id.to_string());
    let published = v
        .version
        .published_at
        .map(|t| format!("，发布于 {}", t.format("%Y-%m-%d")))
        .unwrap_or_else(|| "（未发布）".into());
    format!(
        "{centre} 值班律师排班表 {} 至 {} · 第 {} 版{published}",
        v.roster.from,
        v.roster.to(),
        v.version.number
    )
}

/// The 排班表: stations × dates and half-days (`grid`), or a row per station and slot.
pub(crate) fn by_station(ds: &Dataset, v: &StoredVersion, grid: bool) -> Table {
    let days: Vec<NaiveDate> = (0..i64::from(v.roster.weeks) * 7)
        .map(|i| v.roster.from + chrono::Duration::days(i))
        .collect();
    let stations: Vec<_> = ds
        .stations
        .iter()
        .filter(|s| s.centre_id == v.roster.centre_id)
        .collect();
    let cell = |s: &zhiban_domain::StationId, d: NaiveDate, h: HalfDay, role: Role| {
        v.assignments
            .iter()
            .filter(|a| &a.station_id == s && a.date == d && a.half_day == h && a.role == role)
            .map(|a| who_cell(ds, &a.lawyer_id))
            .collect::<Vec<_>>()
    };
    let halves = [HalfDay::Am, HalfDay::Pm];
    if grid {
        let mut header = vec!["工作站".to_string(), "电话".to_string()];
        for d in &days {
            for h in halves {
                header.push(format!("{} {}", day(*d), h.label_zh()));
            }
        }
        let rows = stations
            .iter()
            .map(|s| {
                let mut row = vec![s.name.clone(), s.phone.clone()];
                for d in &days {
                    for h in halves {
                        let mut lines = cell(&s.id, *d, h, Role::Primary);
                        lines.extend(
                            cell(&s.id, *d, h, Role::Backup)
                                .into_iter()
                                .map(|b| format!("备：{b}")),
                        );
                        row.push(lines.join("\n"));
                    }
                }
                row
            })
            .collect();
        return Table {
            title: title(ds, v),
            header,
            rows,
        };
    }
    let header = [
        "工作站",
        "电话",
        "日期",
        "星期",
        "半天",
        "值班律师",
        "备班律师",
    ];
    let mut rows = vec![];
    for s in &stations {
        for d in &days {
            for h in halves {
                let (p, b) = (
                    cell(&s.id, *d, h, Role::Primary),
                    cell(&s.id, *d, h, Role::Backup),
                );
                if p.is_empty() && b.is_empty() {
                    continue;
                }
                rows.push(vec![
                    s.name.clone(),
                    s.phone.clone(),
                    d.to_string(),
                    format!(
                        "周{}",
                        WEEKDAYS[d.weekday().num_days_from_monday() as usize]
                    ),
                    h.label_zh().to_string(),
                    p.join("、"),
                    b.join("、"),
                ]);
            }
        }
    }
    Table {
        title: title(ds, v),
        header: header.iter().map(|x| x.to_string()).collect(),
        rows,
    }
}

/// Each lawyer's duties, by lawyer then date; with the lawyer's phone when `phones`.
pub(crate) fn by_lawyer(ds: &Dataset, v: &StoredVersion, phones: bool) -> Table {
    let mut duties: Vec<_> = v.assignments.iter().collect();
    duties.sort_by(|a, b| {
        (&a.lawyer_id, a.date, a.half_day).cmp(&(&b.lawyer_id, b.date, b.half_day))
    });
    let mut header = vec!["律师", "律所"];
    if phones {
        header.push("律师电话");
    }
    header.extend([
        "日期",
        "星期",
        "半天",
        "工作站",
        "地址",
        "工作站电话",
        "角色",
    ]);
    let rows = duties
        .iter()
        .map(|a| {
            let l = ds.lawyer(&a.lawyer_id);
            let firm = l
                .and_then(|l| ds.firms.iter().find(|f| f.id == l.firm_id))
                .map(|f| f.name.clone())
                .unwrap_or_default();
            let st = ds.station(&a.station_id);
            let mut row = vec![
                l.map(|l| l.name.clone())
                    .unwrap_or_else(|| a.lawyer_id.to_string()),
                firm,
            ];
            if phones {
                row.push(l.map(|l| l.phone.clone()).unwrap_or_default());
            }
            row.extend([
                a.date.to_string(),
                format!(
                    "周{}",
                    WEEKDAYS[a.date.weekday().num_days_from_monday() as usize]
                ),
                a.half_day.label_zh().to_string(),
                st.map(|s| s.name.clone())
                    .unwrap_or_else(|| a.station_id.to_string()),
                st.map(|s| s.address.clone()).unwrap_or_default(),
                st.map(|s| s.phone.clone()).unwrap_or_default(),
                match a.role {
                    Role::Primary => "值班".to_string(),
                    Role::Backup => "备班".to_string(),
                },
            ]);
            row
        })
        .collect();
    Table {
        title: title(ds, v),
        header: header.iter().map(|x| x.to_string()).collect(),
        rows,
    }
}

/// The table as a workbook that prints on A4 landscape, fit to the page width, with the
/// title and header repeated on every page.
fn workbook(t: &Table, sheet: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, FormatAlign, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name(sheet)?;
    let bold = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("#DCE6F1")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let cell = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    ws.write_with_format(0, 0, &t.title, &bold)?;
    for (c, h) in t.header.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_with_format(1, c, h, &head)?;
        ws.set_column_width(c, if c == 0 { 24 } else { 16 })?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = u32::try_from(r + 2).unwrap_or(u32::MAX);
        for (c, v) in row.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            // A string cell is never run as a formula: no apostrophe is needed here.
            ws.write_string_with_format(r, c, v, &cell)?;
        }
    }
    ws.set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_repeat_rows(0, 1)?
        .set_freeze_panes(2, 1)?;
    ws.set_footer("&C第 &P 页，共 &N 页");
    wb.save_to_buffer()
}

/// The rows of `t` as CSV (UTF-8 with a byte-order mark, for Excel and WPS).
fn csv_of(t: &Table) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let err = |e: csv::Error| ApiError::Internal(e.into());
    w.write_record(&t.header).map_err(err)?;
    for row in &t.rows {
        w.write_record(row.iter().map(|c| text(c).into_owned()))
            .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
}

async fn table(
    state: &AppState,
    who: &Principal,
    id: i64,
    q: &Layout,
    grid: bool,
) -> Result<(Table, String), ApiError> {
    let v = crate::http::rosters::version_of(state, who, id).await?;
    let ds = state.dataset().await?;
    let layout = q.layout.as_deref().unwrap_or("station");
    let t = match layout {
        "station" => by_station(&ds, &v, grid),
        "lawyer" => by_lawyer(&ds, &v, who.sees_phones()),
        _ => return Err(ApiError::field("layout", "station or lawyer")),
    };
    Ok((
        t,
        format!(
            "排班表-{}-{}-v{}-{layout}",
            v.roster.centre_id, v.roster.from, v.version.number
        ),
    ))
}

pub(crate) fn file(bytes: Vec<u8>, kind: &str, name: &str) -> Response {
    // RFC 6266: an ASCII fallback and the UTF-8 name.
    let ascii: String = name.chars().filter(char::is_ascii).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"roster{ascii}\"; filename*=UTF-8''{encoded}");
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A roster version as a workbook that prints well: the 排班表 grid by station (default),
/// or each lawyer's duties (`layout=lawyer`).
#[utoipa::path(get, path = "/api/v1/versions/{id}/export.xlsx", tag = "rosters",
    params(("id" = i64, Path, description = "version id"), Layout),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
async fn export_xlsx(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<Layout>,
) -> Result<Response, ApiError> {
    let (t, name) = table(&state, &who, id, &q, true).await?;
    let bytes = workbook(&t, "排班表").map_err(|e| ApiError::Internal(e.into()))?;
    Ok(file(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{name}.xlsx"),
    ))
}

/// A roster version as CSV (UTF-8 with BOM, Chinese headers): a row per station, date and
/// half-day (default), or per lawyer's duty (`layout=lawyer`).
#[utoipa::path(get, path = "/api/v1/versions/{id}/export.csv", tag = "rosters",
    params(("id" = i64, Path, description = "version id"), Layout),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
async fn export_csv(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<Layout>,
) -> Result<Response, ApiError> {
    let (t, name) = table(&state, &who, id, &q, false).await?;
    Ok(file(
        csv_of(&t)?,
        "text/csv; charset=utf-8",
        &format!("{name}.csv"),
    ))
}
