//! The printed 排班表 of a roster version, made by the server:
//! `GET /api/v1/versions/{id}/export.pdf?station_id=&from=&to=`.
//!
//! One A4 landscape page per station and week: the centre's and station's names, the
//! station's kind, address and phone, a column per day and a row per half-day (with the
//! station's hours), each cell the lawyers on duty with their firm, then the backups, and
//! posts left uncovered said in words; a half-day the station does not keep says 不值班.
//! The footer has the version, its publication date and the page number. A draft prints
//! marked 草稿（未发布）. Laid out here ([`sheets`], pure), drawn by `crate::pdf`.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path, Query};
use crate::pdf::{BLACK, CjkFont, GREY, HEIGHT, Painter, Pdf, SHADE, WIDTH};
use axum::extract::State;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{Dataset, HalfDay, Role, StationId};
use zhiban_store::StoredVersion;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_pdf))
}

/// What to print.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrintQuery {
    /// One station (default: every station of the centre, each on its own pages).
    station_id: Option<String>,
    /// The first date to print (default: the roster's first); the week holding it starts
    /// the print.
    from: Option<NaiveDate>,
    /// The last date (default: the roster's last).
    to: Option<NaiveDate>,
}

/// One printed page: a station's week.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sheet {
    /// `从化区看守所法律援助工作站（看守所）`.
    pub station: String,
    /// `地址：… 电话：…`.
    pub contact: String,
    /// The seven days (Monday first).
    pub days: Vec<NaiveDate>,
    /// Morning and afternoon.
    pub rows: Vec<SheetRow>,
}

/// A half-day's row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SheetRow {
    /// `上午`.
    pub label: String,
    /// `09:00–12:00`.
    pub hours: String,
    /// One per day.
    pub cells: Vec<Cell>,
}

/// What one half-day at one station says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// No duty wanted (不值班).
    Closed,
    /// Outside the dates printed or the roster (不在本表范围).
    Outside,
    /// Lawyers on duty (`name（firm）`), backups, and posts and backups left uncovered.
    Duty {
        primaries: Vec<String>,
        backups: Vec<String>,
        uncovered: u32,
        backups_missing: u32,
    },
}

const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

fn lawyer_line(ds: &Dataset, id: &zhiban_domain::LawyerId) -> String {
    match ds.lawyer(id) {
        Some(l) => match ds.firms.iter().find(|f| f.id == l.firm_id) {
            Some(f) => format!("{}（{}）", l.name, f.name),
            None => l.name.clone(),
        },
        None => id.to_string(),
    }
}

/// The pages of version `v` for the stations of `only` (or all of its centre), for the
/// weeks meeting `from..=to`. What was wanted and left uncovered is the version's own
/// report, never the panel as it is today.
pub(crate) fn sheets(
    ds: &Dataset,
    v: &StoredVersion,
    only: Option<&StationId>,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Sheet> {
    let mut out = Vec::new();
    let stations = ds
        .stations
        .iter()
        .filter(|s| s.centre_id == v.roster.centre_id && only.is_none_or(|o| *o == s.id));
    for s in stations {
        let contact = format!("地址：{}    电话：{}", s.address, s.phone);
        let mut monday = v.roster.from
            - chrono::Duration::days(i64::from(v.roster.from.weekday().num_days_from_monday()));
        while monday <= v.roster.to() {
            let days: Vec<NaiveDate> = (0..7).map(|i| monday + chrono::Duration::days(i)).collect();
            monday += chrono::Duration::days(7);
            if days[6] < from || days[0] > to {
                continue;
            }
            let rows = [(HalfDay::Am, &s.am), (HalfDay::Pm, &s.pm)]
                .into_iter()
                .map(|(h, t)| SheetRow {
                    label: h.label_zh().to_string(),
                    hours: format!("{}–{}", t.start.format("%H:%M"), t.end.format("%H:%M")),
                    cells: days
                        .iter()
                        .map(|d| cell(ds, v, &s.id, *d, h, from, to))
                        .collect(),
                })
                .collect();
            out.push(Sheet {
                station: format!("{}（{}）", s.name, s.kind.label_zh()),
                contact: contact.clone(),
                days,
                rows,
            });
        }
    }
    out
}

fn cell(
    ds: &Dataset,
    v: &StoredVersion,
    station: &StationId,
    d: NaiveDate,
    h: HalfDay,
    from: NaiveDate,
    to: NaiveDate,
) -> Cell {
    if d < from || d > to || d < v.roster.from || d > v.roster.to() {
        return Cell::Outside;
    }
    let here = |role: Role| -> Vec<String> {
        v.assignments
            .iter()
            .filter(|a| {
                &a.station_id == station && a.date == d && a.half_day == h && a.role == role
            })
            .map(|a| lawyer_line(ds, &a.lawyer_id))
            .collect()
    };
    let (primaries, backups) = (here(Role::Primary), here(Role::Backup));
    let gap = v
        .version
        .report
        .evaluation
        .uncovered
        .iter()
        .find(|u| &u.station_id == station && u.date == d && u.half_day == h);
    if gap.is_none() && primaries.is_empty() && backups.is_empty() {
        return Cell::Closed;
    }
    Cell::Duty {
        primaries,
        backups,
        uncovered: gap.map_or(0, |u| u.wanted.saturating_sub(u.filled)),
        backups_missing: gap.map_or(0, |u| u.backups_wanted.saturating_sub(u.backups_filled)),
    }
}

/// What the header and footer of every page say.
pub(crate) struct Frame {
    /// `广州市从化区法律援助处 值班律师排班表`.
    pub title: String,
    /// `第 3 版 · 发布于 2026-10-08` (or 草稿（未发布）).
    pub version: String,
}

const MARGIN: f32 = 32.0;
/// The light grey of a half-day not kept (its text says so too).
const CLOSED: (u8, u8, u8) = (245, 246, 248);
const LABEL_W: f32 = 70.0;
const HEAD_H: f32 = 34.0;
const TOP: f32 = 104.0;
const FOOT: f32 = 26.0;

/// The PDF of `sheets`, one page each, numbered.
pub(crate) fn render(font: CjkFont, frame: &Frame, sheets: &[Sheet]) -> Result<Vec<u8>, String> {
    let mut pdf = Pdf::new(font, &frame.title);
    let total = sheets.len().max(1);
    for (i, sheet) in sheets.iter().enumerate() {
        pdf.page(|p| draw_sheet(p, frame, sheet, i + 1, total));
    }
    if sheets.is_empty() {
        pdf.page(|p| {
            draw_frame(p, frame, 1, 1);
            p.text(MARGIN, TOP, 14.0, "所选范围内没有值班安排。", BLACK);
        });
    }
    pdf.finish()
}

fn draw_frame(p: &mut Painter<'_, '_>, frame: &Frame, page: usize, total: usize) {
    p.text(MARGIN, MARGIN + 14.0, 20.0, &frame.title, BLACK);
    p.text_right(WIDTH - MARGIN, MARGIN + 14.0, 11.0, &frame.version, GREY);
    let foot = HEIGHT - MARGIN + 10.0;
    p.text(MARGIN, foot, 9.0, &frame.version, GREY);
    p.text_right(
        WIDTH - MARGIN,
        foot,
        10.0,
        &format!("第 {page} 页 / 共 {total} 页"),
        GREY,
    );
}

fn draw_sheet(p: &mut Painter<'_, '_>, frame: &Frame, s: &Sheet, page: usize, total: usize) {
    draw_frame(p, frame, page, total);
    p.text(MARGIN, MARGIN + 40.0, 14.0, &s.station, BLACK);
    p.text(MARGIN, MARGIN + 58.0, 11.0, &s.contact, BLACK);
    let (first, last) = (s.days[0], s.days[s.days.len() - 1]);
    let week = format!(
        "{} 至 {}",
        first.format("%Y-%m-%d"),
        last.format("%Y-%m-%d")
    );
    p.text_right(WIDTH - MARGIN, MARGIN + 58.0, 11.0, &week, BLACK);
    let col_w = (WIDTH - 2.0 * MARGIN - LABEL_W) / s.days.len() as f32;
    let row_h = (HEIGHT - TOP - HEAD_H - FOOT - MARGIN) / s.rows.len().max(1) as f32;
    // Header: the days.
    p.rect(MARGIN, TOP, LABEL_W, HEAD_H, Some(SHADE), true);
    p.text_centred(MARGIN + LABEL_W / 2.0, TOP + 21.0, 11.0, "时段", BLACK);
    for (i, d) in s.days.iter().enumerate() {
        let x = MARGIN + LABEL_W + col_w * i as f32;
        p.rect(x, TOP, col_w, HEAD_H, Some(SHADE), true);
        let weekday = WEEKDAYS[d.weekday().num_days_from_monday() as usize];
        let label = format!("{}月{}日 周{weekday}", d.month(), d.day());
        p.text_centred(x + col_w / 2.0, TOP + 21.0, 11.0, &label, BLACK);
    }
    for (r, row) in s.rows.iter().enumerate() {
        let y = TOP + HEAD_H + row_h * r as f32;
        p.rect(MARGIN, y, LABEL_W, row_h, Some(SHADE), true);
        p.text_centred(MARGIN + LABEL_W / 2.0, y + 20.0, 12.0, &row.label, BLACK);
        p.text_centred(MARGIN + LABEL_W / 2.0, y + 36.0, 9.0, &row.hours, GREY);
        for (i, c) in row.cells.iter().enumerate() {
            let x = MARGIN + LABEL_W + col_w * i as f32;
            let shade = matches!(c, Cell::Closed | Cell::Outside).then_some(CLOSED);
            p.rect(x, y, col_w, row_h, shade, true);
            draw_cell(p, c, x + 4.0, y + 4.0, col_w - 8.0, row_h - 8.0);
        }
    }
}

/// A cell's lines at `size`: what is missing, each lawyer on duty (name, then firm in
/// grey), the backups (grey); `true` for the black lines.
fn cell_lines(font: &CjkFont, c: &Cell, size: f32, width: f32) -> Vec<(String, bool)> {
    let (primaries, backups, uncovered, backups_missing) = match c {
        Cell::Closed => return vec![("不值班".into(), false)],
        Cell::Outside => return vec![("不在本表范围".into(), false)],
        Cell::Duty {
            primaries,
            backups,
            uncovered,
            backups_missing,
        } => (primaries, backups, *uncovered, *backups_missing),
    };
    let mut lines = Vec::new();
    // What is missing first: it is never what a full cell leaves out.
    let mut missing = Vec::new();
    if uncovered > 0 {
        missing.push(format!("空缺 {uncovered} 人（无人值班）"));
    }
    if backups_missing > 0 {
        missing.push(format!("缺备班 {backups_missing} 人"));
    }
    for m in missing {
        lines.extend(font.wrap(&m, size, width).into_iter().map(|x| (x, true)));
    }
    for l in primaries {
        // `陈志明（某律师事务所）`: the name on its line, the firm after.
        let (name, firm) = l
            .find('（')
            .map_or((l.as_str(), ""), |i| (&l[..i], &l[i..]));
        lines.extend(font.wrap(name, size, width).into_iter().map(|x| (x, true)));
        lines.extend(font.wrap(firm, size, width).into_iter().map(|x| (x, false)));
    }
    for b in backups {
        let text = format!("备班：{b}");
        lines.extend(
            font.wrap(&text, size, width)
                .into_iter()
                .map(|x| (x, false)),
        );
    }
    lines
}

fn draw_cell(p: &mut Painter<'_, '_>, c: &Cell, x: f32, y: f32, w: f32, h: f32) {
    // The largest size at which everything fits; at the smallest, what does not fit is
    // counted instead.
    let mut size = 11.0;
    let mut lines = cell_lines(p.font(), c, size, w);
    while size > 7.5 && lines.len() as f32 * size * 1.3 > h {
        size -= 0.5;
        lines = cell_lines(p.font(), c, size, w);
    }
    let step = size * 1.3;
    let room = ((h / step).floor() as usize).max(1);
    if lines.len() > room {
        let left = lines.len() - (room - 1);
        lines.truncate(room - 1);
        lines.push((format!("……另有 {left} 行未印出，见电子版"), false));
    }
    for (i, (text, main)) in lines.iter().enumerate() {
        let colour = if *main { BLACK } else { GREY };
        p.text(x, y + step * (i as f32 + 1.0) - 2.0, size, text, colour);
    }
}

/// The printed 排班表 of a roster version: a page per station and week, A4 landscape, in
/// Chinese with the font embedded. `station_id` prints one station; `from`/`to` a part
/// (a week or a month) of the roster.
#[utoipa::path(get, path = "/api/v1/versions/{id}/export.pdf", tag = "rosters",
    params(("id" = i64, Path, description = "version id"), PrintQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
async fn export_pdf(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<PrintQuery>,
) -> Result<axum::response::Response, ApiError> {
    let v = crate::http::rosters::version_of(&state, &who, id).await?;
    let ds = state.dataset().await?;
    let only = match &q.station_id {
        None => None,
        Some(raw) => {
            let s = StationId::parse(raw).map_err(|e| ApiError::invalid("station_id", e))?;
            if ds
                .station(&s)
                .is_none_or(|st| st.centre_id != v.roster.centre_id)
            {
                return Err(ApiError::invalid(
                    "station_id",
                    "not a station of this roster's centre",
                ));
            }
            Some(s)
        }
    };
    let (from, to) = (
        q.from.unwrap_or(v.roster.from),
        q.to.unwrap_or(v.roster.to()),
    );
    let outside = || {
        format!(
            "outside the roster ({} to {})",
            v.roster.from,
            v.roster.to()
        )
    };
    if from > v.roster.to() {
        return Err(ApiError::invalid("from", outside()));
    }
    if to < v.roster.from {
        return Err(ApiError::invalid("to", outside()));
    }
    if to < from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    // Made one or two at a time; the turn goes with the work (a request given up does not
    // free it while the work still runs).
    let turn = PRINTS
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let (centre, tz) = ds.centre(&v.roster.centre_id).map_or_else(
        || {
            (
                v.roster.centre_id.to_string(),
                zhiban_domain::DEFAULT_TIME_ZONE,
            )
        },
        |c| (c.name.clone(), c.time_zone),
    );
    let frame = Frame {
        title: format!("{centre} 值班律师排班表"),
        version: match (v.version.status, v.version.published_at) {
            (zhiban_store::VersionStatus::Superseded, Some(t)) => format!(
                "第 {} 版 · 发布于 {} · 已被新版本取代，以最新版为准",
                v.version.number,
                t.with_timezone(&tz).format("%Y-%m-%d")
            ),
            (_, Some(t)) => format!(
                "第 {} 版 · 发布于 {}",
                v.version.number,
                t.with_timezone(&tz).format("%Y-%m-%d")
            ),
            (_, None) => format!("第 {} 版 · 草稿（未发布，仅供核对）", v.version.number),
        },
    };
    let name = format!(
        "排班表-{}{}-{from}至{to}-v{}.pdf",
        v.roster.centre_id,
        only.as_ref().map_or(String::new(), |s| format!("-{s}")),
        v.version.number
    );
    let bytes = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let font = crate::pdf::font().map_err(ApiError::Unavailable)?;
        let pages = sheets(&ds, &v, only.as_ref(), from, to);
        render(font, &frame, &pages).map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(crate::http::roster_export::file(
        bytes,
        "application/pdf",
        &name,
    ))
}

/// PDFs made at once (each takes a core for a moment).
static PRINTS: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(2)));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_says_who_is_on_duty_the_backups_and_what_is_uncovered() {
        let font = crate::pdf::font().expect("a CJK font (scripts/test installs fonts-noto-cjk)");
        let c = Cell::Duty {
            primaries: vec!["陈志明（广东从化某某律师事务所）".into()],
            backups: vec!["李晓燕（某律所）".into()],
            uncovered: 1,
            backups_missing: 1,
        };
        let lines = cell_lines(&font, &c, 10.0, 90.0);
        let text: String = lines.iter().map(|l| l.0.as_str()).collect();
        // What is missing comes first, then the lawyer (name, then firm), then the backup.
        assert!(
            text.starts_with("空缺 1 人（无人值班）缺备班 1 人陈志明"),
            "{lines:?}"
        );
        assert!(text.ends_with("备班：李晓燕（某律所）"), "{lines:?}");
        assert!(lines.iter().all(|l| font.width(&l.0, 10.0) <= 90.0 + 0.01));
        assert!(
            lines.contains(&("陈志明".to_string(), true)),
            "the name on its own line"
        );
        assert_eq!(
            cell_lines(&font, &Cell::Outside, 10.0, 90.0)[0].0,
            "不在本表范围"
        );
        assert_eq!(cell_lines(&font, &Cell::Closed, 10.0, 90.0)[0].0, "不值班");
    }

    #[test]
    fn a_pdf_has_a_page_per_sheet() {
        let font = crate::pdf::font().expect("a CJK font");
        let sheet = Sheet {
            station: "从化区看守所法律援助工作站（看守所）".into(),
            contact: "地址：从化区 电话：020-1234567".into(),
            days: (0..7)
                .map(|i| NaiveDate::from_ymd_opt(2026, 10, 12 + i).unwrap())
                .collect(),
            rows: vec![SheetRow {
                label: "上午".into(),
                hours: "09:00–11:30".into(),
                cells: vec![Cell::Closed; 7],
            }],
        };
        let frame = Frame {
            title: "从化区法律援助处 值班律师排班表".into(),
            version: "第 1 版".into(),
        };
        let bytes = render(font, &frame, &[sheet.clone(), sheet]).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        // The font is embedded as a subset: kilobytes, not the 19 MB of the whole font.
        assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
    }
}
