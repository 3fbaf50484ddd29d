// Over the ~600-line sizing rule on purpose: the reader of every data-set table, one function each, with the shared cell parsers.
//! Reading a data set.

use crate::{
    DATE_YEARS, ImportError, LICENCE_YEARS, MAX_CELL_CHARS, MAX_FILE_BYTES, MAX_ROWS, SETTINGS_FILE,
};
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use zhiban_domain::*;

/// Reads the data set in folder `dir`. `today` bounds licence dates.
pub fn read_dir(dir: &Path, today: NaiveDate) -> Result<Dataset, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError {
            file: dir.display().to_string(),
            row: 0,
            field: String::new(),
            message: "is not a folder".into(),
        });
    }
    let mut files = BTreeMap::new();
    for name in std::iter::once(SETTINGS_FILE).chain(Table::ALL.iter().map(|t| t.file_name())) {
        let path = dir.join(name);
        // The size before the contents: a huge file is refused without reading it.
        if let Ok(m) = std::fs::metadata(&path)
            && m.len() > MAX_FILE_BYTES as u64
        {
            return Err(too_big(name, m.len()));
        }
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|e| ImportError {
                    file: name.into(),
                    row: 0,
                    field: String::new(),
                    message: format!(
                        "is not UTF-8 (byte {}); save it as \"CSV UTF-8\"",
                        e.utf8_error().valid_up_to()
                    ),
                })?;
                files.insert(name.to_string(), text);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ImportError {
                    file: name.into(),
                    row: 0,
                    field: String::new(),
                    message: e.to_string(),
                });
            }
        }
    }
    from_files(&files, today)
}

/// Reads a data set from file contents keyed by file name.
pub fn from_files(
    files: &BTreeMap<String, String>,
    today: NaiveDate,
) -> Result<Dataset, ImportError> {
    if let Some((name, text)) = files.iter().find(|(_, t)| t.len() > MAX_FILE_BYTES) {
        return Err(too_big(name, text.len() as u64));
    }
    let settings_text = files
        .get(SETTINGS_FILE)
        .ok_or_else(|| whole(SETTINGS_FILE, "is missing"))?;
    let settings: Settings = toml::from_str(settings_text).map_err(|e| {
        let row = e
            .span()
            .map(|s| {
                settings_text[..s.start.min(settings_text.len())]
                    .lines()
                    .count()
                    .max(1) as u64
            })
            .unwrap_or(0);
        ImportError {
            file: SETTINGS_FILE.into(),
            row,
            field: String::new(),
            message: e.message().to_string(),
        }
    })?;
    if settings.name.trim().is_empty() {
        return Err(ImportError {
            file: SETTINGS_FILE.into(),
            row: 0,
            field: "name".into(),
            message: "must not be empty".into(),
        });
    }

    let mut rows: HashMap<Table, Vec<u64>> = HashMap::new();
    let mut read = |table: Table, required: bool| -> Result<Vec<Row>, ImportError> {
        let name = table.file_name();
        let parsed = match files.get(name) {
            Some(text) => rows_of(name, text, columns(table))?,
            None if required => return Err(whole(name, "is missing")),
            None => Vec::new(),
        };
        rows.insert(table, parsed.iter().map(|r| r.line).collect());
        Ok(parsed)
    };

    let centres = read(Table::Centres, true)?
        .iter()
        .map(|r| {
            Ok(Centre {
                id: r.parse("id", CentreId::parse)?,
                name: r.text("name")?,
                parent_id: r.opt("parent_id", CentreId::parse)?,
                time_zone: r.parse_raw("time_zone", parse_time_zone)?,
                shares_pool: r.parse("shares_pool", parse_bool)?,
            })
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    let firms = read(Table::Firms, true)?
        .iter()
        .map(|r| {
            Ok(Firm {
                id: r.parse("id", FirmId::parse)?,
                name: r.text("name")?,
                centre_id: r.parse("centre_id", CentreId::parse)?,
            })
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    let stations = read(Table::Stations, true)?
        .iter()
        .map(|r| {
            let kind = r.parse("kind", StationKind::parse)?;
            let template = |s: &str, e: &str| -> Result<HalfDayTemplate, ImportError> {
                let start = r.parse(s, parse_time)?;
                let end = r.parse(e, parse_time)?;
                HalfDayTemplate::new(start, end).map_err(|m| r.err(e, m))
            };
            Ok(Station {
                id: r.parse("id", StationId::parse)?,
                centre_id: r.parse("centre_id", CentreId::parse)?,
                name: r.text("name")?,
                kind,
                address: r.text("address")?,
                phone: r.raw("phone").to_string(),
                location: coordinates(r)?,
                geofence_m: r.parse("geofence_m", parse_num)?,
                am: template("am_start", "am_end")?,
                pm: template("pm_start", "pm_end")?,
                min_years: r.opt("min_years", parse_num)?.unwrap_or(0),
                skills: r.list("skills", |s| Ok(s.to_string()))?,
                contracted_firms: r.list("contracted_firms", FirmId::parse)?,
                holiday_duty: r.parse("holiday_duty", parse_bool)?,
                priority: r
                    .opt("priority", parse_num)?
                    .unwrap_or_else(|| Station::default_priority(kind)),
            })
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    let demand = read(Table::Demand, true)?
        .iter()
        .map(|r| {
            Ok(DemandRule {
                station_id: r.parse("station_id", StationId::parse)?,
                weekday: r.parse("weekday", parse_weekday)?,
                half_day: r.parse("half_day", HalfDay::parse)?,
                lawyers: r.parse("lawyers", parse_num)?,
                backups: r.opt("backups", parse_num)?.unwrap_or(0),
                skills: r.list("skills", |s| Ok(s.to_string()))?,
                languages: r.list("languages", |s| Ok(s.to_string()))?,
                min_years: r.opt("min_years", parse_num)?.unwrap_or(0),
            })
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    let lawyers = read(Table::Lawyers, true)?
        .iter()
        .map(|r| {
            Ok(Lawyer {
                id: r.parse("id", LawyerId::parse)?,
                name: r.text("name")?,
                phone: r.raw("phone").to_string(),
                email: r.raw("email").to_string(),
                firm_id: r.parse("firm_id", FirmId::parse)?,
                home_centre_id: r.parse("home_centre_id", CentreId::parse)?,
                licence_date: r.parse("licence_date", date_in(LICENCE_YEARS))?,
                skills: r.list("skills", |s| Ok(s.to_string()))?,
                languages: r.list("languages", |s| Ok(s.to_string()))?,
                limits: Limits {
                    per_day: r.parse("max_per_day", parse_num)?,
                    per_week: r.parse("max_per_week", parse_num)?,
                    per_month: r.parse("max_per_month", parse_num)?,
                },
                base: coordinates(r)?,
                active: r.parse("active", parse_bool)?,
            })
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    let unavailability = read(Table::Unavailability, false)?
        .iter()
        .map(|r| {
            Ok(WeeklyUnavailability {
                lawyer_id: r.parse("lawyer_id", LawyerId::parse)?,
                weekday: r.parse("weekday", parse_weekday)?,
                half_day: r.parse("half_day", HalfDay::parse)?,
            })
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    let leave = read(Table::Leave, false)?
        .iter()
        .map(|r| {
            Ok(Leave {
                lawyer_id: r.parse("lawyer_id", LawyerId::parse)?,
                from: r.parse("start_date", date_in(DATE_YEARS))?,
                to: r.parse("end_date", date_in(DATE_YEARS))?,
                half_day: r.opt("half_day", HalfDay::parse)?,
                reason: r.raw("reason").to_string(),
            })
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    let preferences = read(Table::Preferences, false)?
        .iter()
        .map(|r| {
            let kind = r.raw("kind");
            let target = match kind {
                "prefer_station" => PreferenceTarget::PreferStation(r.parse("target", StationId::parse)?),
                "avoid_station" => PreferenceTarget::AvoidStation(r.parse("target", StationId::parse)?),
                "prefer_weekday" => PreferenceTarget::PreferWeekday(r.parse("target", parse_weekday)?),
                "avoid_weekday" => PreferenceTarget::AvoidWeekday(r.parse("target", parse_weekday)?),
                other => {
                    return Err(r.err(
                        "kind",
                        format!(
                            "expected prefer_station, avoid_station, prefer_weekday or avoid_weekday, got {other:?}"
                        ),
                    ));
                }
            };
            Ok(Preference { lawyer_id: r.parse("lawyer_id", LawyerId::parse)?, target })
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    let calendar = if files.contains_key(Table::Calendar.file_name()) {
        let days = read(Table::Calendar, true)?
            .iter()
            .map(|r| {
                Ok(CalendarDay {
                    date: r.parse("date", date_in(DATE_YEARS))?,
                    kind: r.parse("kind", DayKind::parse)?,
                    name: r.raw("name").to_string(),
                    works_as: r.opt("works_as", parse_weekday)?,
                })
            })
            .collect::<Result<Vec<_>, ImportError>>()?;
        let lines = &rows[&Table::Calendar];
        let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
        WorkingCalendar::new(days).map_err(|e| {
            // Name the row: the entry whose date the error names (the second one if listed twice).
            let index = dates
                .iter()
                .enumerate()
                .filter(|(_, d)| e.record == format!("calendar {d}"))
                .map(|(i, _)| i)
                .next_back()
                .unwrap_or(0);
            ImportError {
                file: Table::Calendar.file_name().into(),
                row: lines.get(index).copied().unwrap_or(0),
                field: e.field.clone(),
                message: format!("{}: {}", e.record, e.message),
            }
        })?
    } else {
        WorkingCalendar::cn_2026()
    };

    let ds = Dataset {
        settings,
        centres,
        firms,
        stations,
        demand,
        lawyers,
        unavailability,
        leave,
        preferences,
        calendar,
    };
    ds.validate(today).map_err(|e| ImportError {
        file: e.table.file_name().into(),
        row: rows
            .get(&e.table)
            .and_then(|r| r.get(e.index))
            .copied()
            .unwrap_or(0),
        field: e.error.field.clone(),
        message: format!("{}: {}", e.error.record, e.error.message),
    })?;
    Ok(ds)
}

/// Columns added after files were first written: a header may leave them out (the value is
/// then empty). A lawyer's `email` came with notifications.
pub(crate) const OPTIONAL: &[&str] = &["email"];

/// The columns of a table's file, in order; all but [`OPTIONAL`] must be in the header.
pub fn columns(table: Table) -> &'static [&'static str] {
    match table {
        Table::Centres => &["id", "name", "parent_id", "time_zone", "shares_pool"],
        Table::Firms => &["id", "name", "centre_id"],
        Table::Stations => &[
            "id",
            "centre_id",
            "name",
            "kind",
            "address",
            "phone",
            "lat",
            "lon",
            "geofence_m",
            "am_start",
            "am_end",
            "pm_start",
            "pm_end",
            "min_years",
            "skills",
            "contracted_firms",
            "holiday_duty",
            "priority",
        ],
        Table::Demand => &[
            "station_id",
            "weekday",
            "half_day",
            "lawyers",
            "backups",
            "skills",
            "languages",
            "min_years",
        ],
        Table::Lawyers => &[
            "id",
            "name",
            "phone",
            "firm_id",
            "home_centre_id",
            "licence_date",
            "skills",
            "languages",
            "max_per_day",
            "max_per_week",
            "max_per_month",
            "lat",
            "lon",
            "active",
            "email",
        ],
        Table::Unavailability => &["lawyer_id", "weekday", "half_day"],
        Table::Leave => &["lawyer_id", "start_date", "end_date", "half_day", "reason"],
        Table::Preferences => &["lawyer_id", "kind", "target"],
        Table::Calendar => &["date", "kind", "name", "works_as"],
        // Subsidy policies live in settings.toml, not in a CSV table.
        Table::Subsidy => &[],
    }
}

fn too_big(file: &str, bytes: u64) -> ImportError {
    whole(
        file,
        &format!(
            "is {bytes} bytes; a data-set file may be at most {MAX_FILE_BYTES} bytes (64 MiB)"
        ),
    )
}

fn whole(file: &str, message: &str) -> ImportError {
    ImportError {
        file: file.into(),
        row: 0,
        field: String::new(),
        message: message.into(),
    }
}

/// One CSV row with its line number and columns by name.
struct Row {
    file: &'static str,
    line: u64,
    values: HashMap<&'static str, String>,
}

impl Row {
    fn err(&self, field: &str, message: impl Into<String>) -> ImportError {
        ImportError {
            file: self.file.into(),
            row: self.line,
            field: field.into(),
            message: message.into(),
        }
    }

    fn raw(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    fn text(&self, field: &str) -> Result<String, ImportError> {
        let v = self.raw(field);
        if v.is_empty() {
            return Err(self.err(field, "must not be empty"));
        }
        Ok(v.to_string())
    }

    /// Parses a required value; an empty cell is an error.
    fn parse<T>(
        &self,
        field: &str,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ImportError> {
        let v = self.raw(field);
        if v.is_empty() {
            return Err(self.err(field, "must not be empty"));
        }
        f(v).map_err(|m| self.err(field, m))
    }

    /// Parses a value that may be empty (the parser decides what empty means).
    fn parse_raw<T>(
        &self,
        field: &str,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ImportError> {
        f(self.raw(field)).map_err(|m| self.err(field, m))
    }

    fn opt<T>(
        &self,
        field: &str,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ImportError> {
        let v = self.raw(field);
        if v.is_empty() {
            return Ok(None);
        }
        f(v).map(Some).map_err(|m| self.err(field, m))
    }

    fn list<T>(
        &self,
        field: &str,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, ImportError> {
        self.raw(field)
            .split([';', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| f(s).map_err(|m| self.err(field, m)))
            .collect()
    }
}

fn coordinates(r: &Row) -> Result<Coordinates, ImportError> {
    let lat: f64 = r.parse("lat", parse_float)?;
    let lon: f64 = r.parse("lon", parse_float)?;
    Coordinates::new(lat, lon)
        .map_err(|m| r.err(if m.starts_with("lat") { "lat" } else { "lon" }, m))
}

fn rows_of(
    file: &'static str,
    text: &str,
    cols: &'static [&'static str],
) -> Result<Vec<Row>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| ImportError {
            file: file.into(),
            row: 1,
            field: String::new(),
            message: e.to_string(),
        })?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        match cols.iter().find(|c| **c == h) {
            Some(c) => {
                if index.insert(c, i).is_some() {
                    return Err(ImportError {
                        file: file.into(),
                        row: 1,
                        field: h.into(),
                        message: "column appears twice".into(),
                    });
                }
            }
            None => {
                return Err(ImportError {
                    file: file.into(),
                    row: 1,
                    field: h.into(),
                    message: format!("unknown column; expected {}", cols.join(", ")),
                });
            }
        }
    }
    // Every column must be present, so a typo in a header is not silently ignored; only
    // columns added later (`OPTIONAL`) may be left out by files written before them.
    if let Some(missing) = cols
        .iter()
        .find(|c| !index.contains_key(*c) && !OPTIONAL.contains(c))
    {
        return Err(ImportError {
            file: file.into(),
            row: 1,
            field: (*missing).into(),
            message: "column is missing from the header".into(),
        });
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let row = e.position().map(|p| p.line()).unwrap_or(0);
            ImportError {
                file: file.into(),
                row,
                field: String::new(),
                message: csv_message(&e),
            }
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() >= MAX_ROWS {
            return Err(ImportError {
                file: file.into(),
                row: line,
                field: String::new(),
                message: format!("more than {MAX_ROWS} rows in one file"),
            });
        }
        for (c, &i) in &index {
            let n = record.get(i).map_or(0, |v| v.chars().count());
            if n > MAX_CELL_CHARS {
                return Err(ImportError {
                    file: file.into(),
                    row: line,
                    field: (*c).into(),
                    message: format!(
                        "is {n} characters long; a cell may hold at most {MAX_CELL_CHARS}"
                    ),
                });
            }
        }
        let values = index
            .iter()
            .map(|(c, &i)| (*c, record.get(i).unwrap_or("").to_string()))
            .collect();
        rows.push(Row { file, line, values });
    }
    Ok(rows)
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} columns where the header has {expected_len}")
        }
        _ => e.to_string(),
    }
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "是" => Ok(true),
        "false" | "no" | "n" | "0" | "否" => Ok(false),
        _ => Err(format!("expected true or false, got {s:?}")),
    }
}

fn parse_num(s: &str) -> Result<u32, String> {
    s.parse::<u32>()
        .map_err(|_| format!("expected a whole number, got {s:?}"))
}

fn parse_float(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|_| format!("expected a number, got {s:?}"))
}

/// A date whose year is within `years`.
fn date_in(years: std::ops::RangeInclusive<i32>) -> impl Fn(&str) -> Result<NaiveDate, String> {
    move |s| {
        let d = parse_date(s)?;
        if years.contains(&d.year()) {
            Ok(d)
        } else {
            Err(format!(
                "{s:?}: the year must be {} to {}",
                years.start(),
                years.end()
            ))
        }
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .map_err(|_| format!("expected a date such as 2026-11-23, got {s:?}"))
}
