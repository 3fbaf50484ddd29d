//! The data set as an Excel workbook (.xlsx), the way coordinators keep it in Excel or WPS:
//! one sheet per table, named in Chinese with the table's key (`律师（lawyers）`); a header
//! row of Chinese column names with their keys (`姓名（name）`); then the rows, every cell as
//! the CSV file holds it. The workbook is the CSV files in another dress: [`write_workbook`]
//! writes the files [`crate::to_files`] makes, [`read_workbook`] gives back files that
//! [`crate::from_files`] reads, so one set of rules checks both.
//!
//! Reading takes what a spreadsheet program makes of typed values back to the files' text:
//! numbers without a needless `.0`, dates and times from their Excel serials, booleans as
//! `true`/`false`. A sheet whose name names no table is ignored (a coordinator's notes).
//!
//! An exported panel carries the panel revision it was read at, in a sheet of its own
//! (`导出信息（export）`), so that an import can refuse rows the panel changed since.

use crate::read::columns;
use crate::{ImportError, MAX_CELL_CHARS, MAX_ROWS};
use std::collections::BTreeMap;
use zhiban_domain::Table;

/// The tables of a workbook, in order, with their Chinese names.
pub const SHEETS: [(Table, &str); 9] = [
    (Table::Centres, "中心"),
    (Table::Firms, "律所"),
    (Table::Stations, "工作站"),
    (Table::Demand, "值班需求"),
    (Table::Lawyers, "律师"),
    (Table::Unavailability, "固定不可值班"),
    (Table::Leave, "请假"),
    (Table::Preferences, "意愿"),
    (Table::Calendar, "节假日"),
];

/// The name of the workbook in errors.
pub const WORKBOOK: &str = "workbook";

/// A table's key: its file name without `.csv`.
pub fn key(table: Table) -> &'static str {
    table.file_name().trim_end_matches(".csv")
}

/// The sheet of a table: `律师（lawyers）`.
pub fn sheet_name(table: Table) -> String {
    let zh = SHEETS
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, z)| *z)
        .unwrap_or("");
    format!("{zh}（{}）", key(table))
}

/// The sheet that holds file `file` (`lawyers.csv` → `律师（lawyers）`), for errors.
pub fn sheet_of_file(file: &str) -> String {
    SHEETS
        .iter()
        .find(|(t, _)| t.file_name() == file)
        .map(|(t, _)| sheet_name(*t))
        .unwrap_or_else(|| file.to_string())
}

/// A column's Chinese name.
pub fn column_zh(key: &str) -> &'static str {
    match key {
        "id" => "编号",
        "name" => "名称",
        "parent_id" => "上级中心",
        "time_zone" => "时区",
        "shares_pool" => "共享律师库",
        "centre_id" => "中心",
        "kind" => "类型",
        "address" => "地址",
        "phone" => "电话",
        "lat" => "纬度",
        "lon" => "经度",
        "geofence_m" => "签到范围（米）",
        "am_start" => "上午开始",
        "am_end" => "上午结束",
        "pm_start" => "下午开始",
        "pm_end" => "下午结束",
        "min_years" => "最低执业年限",
        "skills" => "专长",
        "contracted_firms" => "签约律所",
        "holiday_duty" => "节假日值班",
        "priority" => "优先级",
        "station_id" => "工作站",
        "weekday" => "星期",
        "half_day" => "半天",
        "lawyers" => "值班人数",
        "backups" => "备班人数",
        "languages" => "语言",
        "firm_id" => "律所",
        "home_centre_id" => "所属中心",
        "licence_date" => "执业证日期",
        "max_per_day" => "每日上限",
        "max_per_week" => "每周上限",
        "max_per_month" => "每月上限",
        "active" => "在册",
        "email" => "电子邮箱",
        "lawyer_id" => "律师",
        "start_date" => "开始日期",
        "end_date" => "结束日期",
        "reason" => "原因",
        "target" => "对象",
        "date" => "日期",
        "works_as" => "按星期几上班",
        _ => "",
    }
}

/// A header cell: `姓名（name）`.
pub fn header(key: &str) -> String {
    match column_zh(key) {
        "" => key.to_string(),
        zh => format!("{zh}（{key}）"),
    }
}

/// The key in a header or sheet name: the text in its last parentheses (full-width or
/// not), or the whole text.
pub fn key_in(text: &str) -> String {
    let t = text.trim();
    let open = t.rfind(['（', '(']);
    let close = t.rfind(['）', ')']);
    match (open, close) {
        (Some(o), Some(c)) if c > o => {
            let start = o + t[o..].chars().next().map_or(1, char::len_utf8);
            t[start..c].trim().to_string()
        }
        _ => t.to_string(),
    }
}

/// The values a column accepts, offered as a list in the spreadsheet.
fn choices(table: Table, key: &str) -> Option<&'static [&'static str]> {
    const BOOLS: &[&str] = &["true", "false"];
    match (table, key) {
        (_, "shares_pool" | "holiday_duty" | "active") => Some(BOOLS),
        (Table::Stations, "kind") => Some(&["detention_centre", "court", "procuratorate"]),
        (_, "weekday") => Some(&["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
        (_, "half_day") => Some(&["am", "pm"]),
        (Table::Calendar, "kind") => Some(&["holiday", "workday"]),
        _ => None,
    }
}

/// An example row of each table, for the template.
fn example(table: Table) -> &'static [&'static str] {
    match table {
        Table::Centres => &[
            "GZ-TH",
            "广州市天河区法律援助处",
            "",
            "Asia/Shanghai",
            "false",
        ],
        Table::Firms => &["GZ-F001", "广东某某律师事务所", "GZ-TH"],
        Table::Stations => &[
            "GZ-TH-KSS",
            "GZ-TH",
            "天河区看守所法律援助工作站",
            "detention_centre",
            "天河区某路1号",
            "020-12345678",
            "23.13",
            "113.26",
            "200",
            "09:00",
            "12:00",
            "14:00",
            "17:00",
            "0",
            "",
            "",
            "true",
            "1",
        ],
        Table::Demand => &["GZ-TH-KSS", "mon", "am", "1", "0", "", "", "0"],
        Table::Lawyers => &[
            "GZ-L0001",
            "张某",
            "13800000000",
            "GZ-F001",
            "GZ-TH",
            "2015-06-01",
            "juvenile",
            "yue",
            "1",
            "2",
            "6",
            "23.13",
            "113.32",
            "true",
            "zhang@example.cn",
        ],
        Table::Unavailability => &["GZ-L0001", "wed", "pm"],
        Table::Leave => &["GZ-L0001", "2027-01-04", "2027-01-08", "", "年假"],
        Table::Preferences => &["GZ-L0001", "avoid_station", "GZ-TH-KSS"],
        Table::Calendar => &["2027-01-01", "holiday", "元旦", ""],
        Table::Subsidy => &[],
    }
}

/// The key of the sheet that says where and when a workbook was exported.
pub const EXPORT_KEY: &str = "export";

/// Where and when a panel workbook was exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The panel revision it was read at.
    pub revision: i64,
    /// The centre exported.
    pub centre_id: String,
    /// When, as text (UTC).
    pub at: String,
}

/// Writes the sheet that tells an import which panel revision the workbook holds.
fn write_exported(
    wb: &mut rust_xlsxwriter::Workbook,
    e: &Exported,
    head: &rust_xlsxwriter::Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let sheet = wb
        .add_worksheet()
        .set_name(format!("导出信息（{EXPORT_KEY}）"))?;
    let rows = [
        ["项目（key）", "值（value）", "说明"],
        [
            "revision",
            &e.revision.to_string(),
            "导出时名册的版本号。导入时，导出后已在系统中改过的行会被拒绝，以免覆盖新的修改。请勿改动本页。",
        ],
        ["centre_id", &e.centre_id, "导出的中心"],
        ["exported_at", &e.at, "导出时间（UTC）"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if r == 0 {
                sheet.write_with_format(r, c, *v, head)?;
            } else {
                sheet.write_string(r, c, *v)?;
            }
        }
    }
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(1, 22)?;
    sheet.set_column_width(2, 80)?;
    Ok(())
}

/// Reads the panel revision from the export sheet `name`.
fn read_exported<R: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<R>,
    name: &str,
) -> Result<Option<i64>, ImportError> {
    let bad = |row: u64, message: &str| ImportError {
        file: name.to_string(),
        row,
        field: "value".into(),
        message: message.into(),
    };
    let mut reader = book
        .worksheet_cells_reader(name)
        .map_err(|e| whole(format!("sheet {name}: {e}")))?;
    let mut key_row = None;
    let mut value = None;
    let mut read = 0;
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| whole(format!("sheet {name}: {e}")))?
    {
        read += 1;
        if read > 1_000 {
            break;
        }
        let (r, c) = cell.get_position();
        let v = cell_text(cell.get_value());
        match c {
            0 if v == "revision" => key_row = Some(r),
            1 if key_row == Some(r) => value = Some((r, v)),
            _ => {}
        }
    }
    match value {
        None if key_row.is_some() => Err(bad(
            u64::from(key_row.unwrap_or(0)) + 1,
            "the revision is missing: download the panel again, or delete this sheet",
        )),
        None => Ok(None),
        Some((r, v)) => v.parse().map(Some).map_err(|_| {
            bad(
                u64::from(r) + 1,
                "the revision is not a number: download the panel again, or delete this sheet",
            )
        }),
    }
}

/// Rows that get a validation list, in every sheet.
const VALIDATED_ROWS: u32 = 10_000;

/// Writes the tables of `files` (as [`crate::to_files`] makes them) as a workbook; with
/// `template`, each sheet holds an example row instead; with `exported`, a last sheet says
/// which panel revision it holds.
pub fn write_workbook(
    files: &BTreeMap<String, String>,
    template: bool,
    exported: Option<&Exported>,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{DataValidation, Format, Workbook};
    let mut wb = Workbook::new();
    let head = Format::new().set_bold().set_background_color("#DCE6F1");
    let text = Format::new().set_num_format("@");
    for (table, _) in SHEETS {
        let keys = columns(table);
        let sheet = wb.add_worksheet().set_name(sheet_name(table))?;
        for (c, k) in keys.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_with_format(0, col, header(k), &head)?;
            sheet.set_column_width(col, 14)?;
            // Text cells: Excel keeps codes, phone numbers and dates as typed.
            sheet.set_column_format(col, &text)?;
            if let Some(list) = choices(table, k) {
                let dv = DataValidation::new().allow_list_strings(list)?;
                sheet.add_data_validation(1, col, VALIDATED_ROWS, col, &dv)?;
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        let rows: Vec<Vec<String>> = if template {
            vec![example(table).iter().map(|s| s.to_string()).collect()]
        } else {
            data_rows(
                files
                    .get(table.file_name())
                    .map(String::as_str)
                    .unwrap_or(""),
            )
        };
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, v) in row.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                sheet.write_string_with_format(r, col, v, &text)?;
            }
        }
    }
    if let Some(e) = exported {
        write_exported(&mut wb, e, &head)?;
    }
    wb.save_to_buffer()
}

/// The data rows of a CSV file's text.
fn data_rows(csv_text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv_text.as_bytes())
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .collect()
}

fn whole(message: impl Into<String>) -> ImportError {
    ImportError {
        file: WORKBOOK.into(),
        row: 0,
        field: String::new(),
        message: message.into(),
    }
}

/// A cell as the CSV files write it.
fn cell_text(d: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        DataRef::Float(f) => f.to_string(),
        DataRef::DateTime(x) => {
            let v = x.as_f64();
            if (1.0..=2_958_465.0).contains(&v.floor()) {
                // calamine knows the workbook's date system (1900 or 1904).
                let (y, m, d, ..) = x.to_ymd_hms_milli();
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                serial_text(v)
            }
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// An Excel date or time serial (the 1900 date system) as `YYYY-MM-DD` or `HH:MM`; a
/// number no date can be is kept as it is, for the rules to refuse.
fn serial_text(serial: f64) -> String {
    if (0.0..1.0).contains(&serial) {
        let minutes = ((serial * 24.0 * 60.0).round() as i64).min(23 * 60 + 59);
        return format!("{:02}:{:02}", minutes / 60, minutes % 60);
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    let days = serial.floor();
    if !(1.0..=2_958_465.0).contains(&days) {
        return serial.to_string();
    }
    chrono::Duration::try_days(days as i64)
        .and_then(|d| epoch.checked_add_signed(d))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| serial.to_string())
}

/// Most columns read of a sheet; cells farther right are ignored.
const MAX_COLUMNS: u32 = 64;
/// Most filled cells read of one workbook.
const MAX_CELLS: usize = 2_000_000;
/// Most bytes one part of the workbook may unpack to, and all of them together.
const MAX_PART_BYTES: u64 = 128 * 1024 * 1024;
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// Refuses a workbook whose parts say they unpack to more than the bounds, before any of
/// it is read.
fn check_parts(bytes: &[u8]) -> Result<(), ImportError> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| whole(format!("is not an .xlsx workbook ({e})")))?;
    if z.len() > 2_000 {
        return Err(whole("has too many parts"));
    }
    let mut total = 0u64;
    for i in 0..z.len() {
        let f = z.by_index_raw(i).map_err(|e| whole(e.to_string()))?;
        total = total.saturating_add(f.size());
        if f.size() > MAX_PART_BYTES || total > MAX_UNPACKED_BYTES {
            return Err(whole("unpacks to more than 256 MiB"));
        }
    }
    Ok(())
}

/// The CSV files in workbook `bytes`, keyed by file name, one per sheet that names a table.
/// The header row gives the columns by their keys; blank rows are left out.
pub fn read_workbook(bytes: &[u8]) -> Result<BTreeMap<String, String>, ImportError> {
    read_workbook_rows(bytes).map(|(files, _)| files)
}

/// As [`read_workbook`], with the spreadsheet row of each CSV row, by file name (blank rows
/// left out make them differ).
pub fn read_workbook_rows(bytes: &[u8]) -> Result<(BTreeMap<String, String>, RowMap), ImportError> {
    read_workbook_full(bytes).map(|w| (w.files, w.rows))
}

/// A workbook as read: its tables as CSV files, their rows' numbers, and the panel
/// revision it was exported at (none for a template or a workbook made elsewhere).
#[derive(Debug, Clone, Default)]
pub struct WorkbookRead {
    /// The CSV files, by file name.
    pub files: BTreeMap<String, String>,
    /// The spreadsheet row of each data row, by file name.
    pub rows: RowMap,
    /// The panel revision of an exported workbook.
    pub revision: Option<i64>,
}

/// As [`read_workbook_rows`], with the panel revision an exported workbook holds.
pub fn read_workbook_full(bytes: &[u8]) -> Result<WorkbookRead, ImportError> {
    use calamine::Reader;
    check_parts(bytes)?;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| whole(format!("is not an .xlsx workbook ({e})")))?;
    let mut files = BTreeMap::new();
    let mut numbers = RowMap::new();
    let mut cells_read = 0usize;
    let mut revision = None;
    for name in book.sheet_names() {
        let key = key_in(&name);
        if key == EXPORT_KEY {
            revision = read_exported(&mut book, &name)?;
            continue;
        }
        let Some((table, _)) = SHEETS.iter().find(|(t, _)| self::key(*t) == key) else {
            continue;
        };
        let file = table.file_name();
        // Cell by cell, never as a grid: a sheet's used range may be vast and empty.
        let mut grid: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
        let mut reader = book
            .worksheet_cells_reader(&name)
            .map_err(|e| whole(format!("sheet {name}: {e}")))?;
        while let Some(cell) = reader
            .next_cell()
            .map_err(|e| whole(format!("sheet {name}: {e}")))?
        {
            let (r, c) = cell.get_position();
            let v = cell_text(cell.get_value());
            if c >= MAX_COLUMNS || v.is_empty() {
                continue;
            }
            if r as usize > MAX_ROWS {
                return Err(ImportError {
                    file: file.into(),
                    row: 0,
                    field: String::new(),
                    message: format!("more than {MAX_ROWS} rows"),
                });
            }
            cells_read += 1;
            if cells_read > MAX_CELLS {
                return Err(whole(format!("has more than {MAX_CELLS} filled cells")));
            }
            if v.chars().count() > MAX_CELL_CHARS {
                return Err(ImportError {
                    file: file.into(),
                    row: u64::from(r) + 1,
                    field: String::new(),
                    message: format!("more than {MAX_CELL_CHARS} characters"),
                });
            }
            grid.entry(r).or_default().insert(c, v);
        }
        let Some(head) = grid.remove(&0) else {
            continue;
        };
        let width = head.keys().max().map_or(0, |m| m + 1);
        let keys: Vec<String> = (0..width)
            .map(|c| key_in(head.get(&c).map_or("", String::as_str)))
            .collect();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&keys).map_err(|e| whole(e.to_string()))?;
        let mut rows = vec![];
        for (r, cells) in &grid {
            let row: Vec<&str> = (0..width)
                .map(|c| cells.get(&c).map_or("", String::as_str))
                .collect();
            w.write_record(&row).map_err(|e| whole(e.to_string()))?;
            rows.push(u64::from(*r) + 1);
        }
        let bytes = w.into_inner().map_err(|e| whole(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| whole(e.to_string()))?;
        files.insert(file.to_string(), text);
        numbers.insert(file.to_string(), rows);
    }
    if files.is_empty() {
        return Err(whole(
            "has no sheet named after a table (such as 律师（lawyers）); start from the template",
        ));
    }
    Ok(WorkbookRead {
        files,
        rows: numbers,
        revision,
    })
}

/// The spreadsheet row of each data row of a file, by file name.
pub type RowMap = BTreeMap<String, Vec<u64>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_in_chinese_headers_and_sheet_names() {
        assert_eq!(key_in("姓名（name）"), "name");
        assert_eq!(key_in("律师(lawyers)"), "lawyers");
        assert_eq!(key_in(" id "), "id");
        assert_eq!(key_in("签到范围（米）（geofence_m）"), "geofence_m");
        assert_eq!(header("licence_date"), "执业证日期（licence_date）");
        assert_eq!(sheet_name(Table::Lawyers), "律师（lawyers）");
        assert_eq!(sheet_of_file("demand.csv"), "值班需求（demand）");
    }

    #[test]
    fn excel_serials_read_back_as_the_files_write_them() {
        assert_eq!(serial_text(45_000.0), "2023-03-15");
        assert_eq!(serial_text(0.375), "09:00");
        assert_eq!(serial_text(0.7083333333), "17:00");
        assert_eq!(serial_text(0.99999), "23:59");
        assert!(
            serial_text(1e300).starts_with("1000"),
            "kept as a number for the rules to refuse"
        );
    }

    #[test]
    fn every_example_row_fills_its_table() {
        for (t, _) in SHEETS {
            assert_eq!(example(t).len(), columns(t).len(), "{t:?}");
        }
    }
}
