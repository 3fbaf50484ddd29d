//! A centre's part of the panel, read from a workbook (or CSV files) and checked against the
//! whole panel by the same rules as a data-set folder.
//!
//! The workbook's tables (firms, stations, demand, lawyers and their availability) are read
//! together with the rest of the current panel, so that references to records the workbook
//! leaves out resolve. Every problem is listed, not only the first: a row found wrong is
//! noted with its sheet, row and column and left out, and the rest read again, up to
//! [`MAX_PROBLEMS`].

use crate::read::columns;
use crate::workbook::sheet_of_file;
use std::collections::{BTreeMap, BTreeSet};
use zhiban_domain::{CentreId, Dataset, Table};

/// Most problems listed for one workbook.
pub const MAX_PROBLEMS: usize = 50;

/// The tables a centre's workbook may change.
pub const PART_TABLES: [Table; 7] = [
    Table::Firms,
    Table::Stations,
    Table::Demand,
    Table::Lawyers,
    Table::Unavailability,
    Table::Leave,
    Table::Preferences,
];

/// A problem of a workbook, where a spreadsheet shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The sheet, e.g. `律师（lawyers）`.
    pub sheet: String,
    /// The row as the spreadsheet numbers it (the header is 1); 0 for the whole sheet.
    pub row: u64,
    /// The column's key, or empty.
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// The rows of one table: (spreadsheet row, cells in the table's column order).
type Rows = Vec<(u64, Vec<String>)>;

/// The rows of a CSV text, by the table's columns (a column the header lacks is empty).
fn rows_by_columns(table: Table, text: &str) -> Rows {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let head: Vec<String> = r
        .headers()
        .map(|h| h.iter().map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let cols = columns(table);
    r.records()
        .filter_map(Result::ok)
        .enumerate()
        .map(|(i, rec)| {
            let cells = cols
                .iter()
                .map(|c| {
                    head.iter()
                        .position(|h| h == c)
                        .and_then(|p| rec.get(p))
                        .unwrap_or("")
                        .to_string()
                })
                .collect();
            (i as u64 + 2, cells)
        })
        .collect()
}

/// A CSV text of `rows` under the table's header.
fn csv_of(table: Table, rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(columns(table));
    for r in rows {
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The key of a row of `table` that tells whether the workbook holds it: the record's code,
/// or for demand and availability the station's or lawyer's.
fn owner(table: Table, row: &[String]) -> String {
    let _ = table;
    row.first().cloned().unwrap_or_default()
}

/// Reads a centre's tables from `files` (as [`crate::workbook::read_workbook`] gives them)
/// against the current panel `ds`: the whole panel as it would be, and every problem found
/// (sheet, row, column). Demand and availability are replaced for the stations and lawyers
/// the workbook lists.
pub fn read_part(
    files: &BTreeMap<String, String>,
    numbers: &crate::workbook::RowMap,
    ds: &Dataset,
    today: chrono::NaiveDate,
) -> (Option<Dataset>, Vec<Problem>) {
    let current = crate::to_files(ds);
    let mut book: BTreeMap<Table, Rows> = BTreeMap::new();
    for t in PART_TABLES {
        if let Some(text) = files.get(t.file_name()) {
            let mut rows = rows_by_columns(t, text);
            // The rows as the spreadsheet numbers them, when it left blank rows out.
            if let Some(n) = numbers.get(t.file_name()) {
                for (i, r) in rows.iter_mut().enumerate() {
                    r.0 = n.get(i).copied().unwrap_or(r.0);
                }
            }
            book.insert(t, rows);
        }
    }
    // Whose rows the workbook holds: firms, stations and lawyers by code; demand by the
    // stations the workbook lists, availability by its lawyers.
    let ids = |t: Table| -> BTreeSet<String> {
        book.get(&t)
            .map(|rows| rows.iter().map(|(_, r)| owner(t, r)).collect())
            .unwrap_or_default()
    };
    let held: BTreeMap<Table, BTreeSet<String>> = PART_TABLES
        .iter()
        .map(|t| {
            let by = match t {
                Table::Demand => Table::Stations,
                Table::Unavailability | Table::Leave | Table::Preferences => Table::Lawyers,
                other => *other,
            };
            // A table the workbook leaves out keeps every current row.
            let mut s = BTreeSet::new();
            if book.contains_key(t) {
                s.extend(ids(by));
                s.extend(ids(*t));
            }
            (*t, s)
        })
        .collect();
    let extras: BTreeMap<Table, Vec<Vec<String>>> = PART_TABLES
        .iter()
        .map(|t| {
            let rows = rows_by_columns(*t, current.get(t.file_name()).map_or("", |s| s));
            let keep = rows
                .into_iter()
                .map(|(_, r)| r)
                .filter(|r| !held[t].contains(&owner(*t, r)))
                .collect();
            (*t, keep)
        })
        .collect();
    let mut problems = vec![];
    loop {
        let mut all = current.clone();
        for t in PART_TABLES {
            let mine = book.get(&t).into_iter().flatten().map(|(_, r)| r.clone());
            all.insert(
                t.file_name().to_string(),
                csv_of(t, mine.chain(extras[&t].iter().cloned())),
            );
        }
        match crate::from_files(&all, today) {
            Ok(full) => return (problems.is_empty().then_some(full), problems),
            Err(e) => {
                let table = PART_TABLES.iter().find(|t| t.file_name() == e.file);
                let spot = table.and_then(|t| {
                    let rows = book.get_mut(t)?;
                    let i = usize::try_from(e.row).ok()?.checked_sub(2)?;
                    (i < rows.len()).then(|| rows.remove(i).0)
                });
                problems.push(Problem {
                    sheet: sheet_of_file(&e.file),
                    row: spot.unwrap_or(0),
                    column: e.field.clone(),
                    message: match spot {
                        Some(_) => e.message.clone(),
                        None => format!("{e}"),
                    },
                });
                if spot.is_none() || problems.len() >= MAX_PROBLEMS {
                    return (None, problems);
                }
            }
        }
    }
}

/// The records a centre's workbook holds, by table: the codes of its firms, stations and
/// lawyers.
pub fn codes_in(
    files: &BTreeMap<String, String>,
    numbers: &crate::workbook::RowMap,
    table: Table,
) -> Vec<(u64, String)> {
    let n = numbers.get(table.file_name());
    files
        .get(table.file_name())
        .map(|text| {
            rows_by_columns(table, text)
                .into_iter()
                .enumerate()
                .map(|(i, (row, r))| {
                    let row = n.and_then(|n| n.get(i).copied()).unwrap_or(row);
                    (row, owner(table, &r))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a record of `table` with this owner in `full` (the panel as it would be) is
/// within the centres `scope` accepts: its firms, stations and lawyers, and theirs.
pub fn belongs(
    full: &Dataset,
    table: Table,
    code: &str,
    scope: &dyn Fn(&CentreId) -> bool,
) -> bool {
    match table {
        Table::Firms => full
            .firms
            .iter()
            .any(|f| f.id.as_str() == code && scope(&f.centre_id)),
        Table::Stations | Table::Demand => full
            .stations
            .iter()
            .any(|s| s.id.as_str() == code && scope(&s.centre_id)),
        _ => full
            .lawyers
            .iter()
            .any(|l| l.id.as_str() == code && scope(&l.home_centre_id)),
    }
}

/// The table of a change kind as the store notes it (`firm`, `station`, `demand`, `lawyer`,
/// `availability`).
fn table_of_kind(kind: &str) -> Option<Table> {
    Some(match kind {
        "firm" => Table::Firms,
        "station" => Table::Stations,
        "demand" => Table::Demand,
        "lawyer" => Table::Lawyers,
        "availability" => Table::Unavailability,
        _ => return None,
    })
}

/// One record of `table` (a station's demand, a lawyer's availability) as JSON, to compare.
fn record(ds: &Dataset, table: Table, code: &str) -> serde_json::Value {
    use serde_json::{Value, json, to_value};
    let v = |x: Result<Value, _>| x.unwrap_or(Value::Null);
    match table {
        Table::Firms => v(to_value(ds.firms.iter().find(|f| f.id.as_str() == code))),
        Table::Stations => v(to_value(ds.stations.iter().find(|s| s.id.as_str() == code))),
        Table::Demand => v(to_value(
            ds.demand
                .iter()
                .filter(|r| r.station_id.as_str() == code)
                .collect::<Vec<_>>(),
        )),
        Table::Lawyers => v(to_value(ds.lawyers.iter().find(|l| l.id.as_str() == code))),
        _ => {
            let mine = |id: &zhiban_domain::LawyerId| id.as_str() == code;
            json!({
                "weekly": ds.unavailability.iter().filter(|u| mine(&u.lawyer_id)).collect::<Vec<_>>(),
                "leave": ds.leave.iter().filter(|u| mine(&u.lawyer_id)).collect::<Vec<_>>(),
                "preferences": ds.preferences.iter().filter(|u| mine(&u.lawyer_id)).collect::<Vec<_>>(),
            })
        }
    }
}

/// The records of `changed` (kind and code, as the store notes changes made since a workbook
/// was exported) that `after` (the panel with the workbook over it) holds otherwise than
/// `before` (the panel now): rows of the old workbook that would undo those changes. A
/// lawyer's availability is named by the table [`Table::Unavailability`].
pub fn undone(
    before: &Dataset,
    after: &Dataset,
    changed: &[(String, String)],
) -> Vec<(Table, String)> {
    if changed.is_empty() {
        return vec![];
    }
    // In one order, so that only what differs counts.
    let (mut before, mut after) = (before.clone(), after.clone());
    before.normalize();
    after.normalize();
    let (before, after) = (&before, &after);
    changed
        .iter()
        .filter_map(|(kind, code)| Some((table_of_kind(kind)?, code)))
        .filter(|(t, code)| record(before, *t, code) != record(after, *t, code))
        .map(|(t, code)| (t, code.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lawyers_e_mail_is_an_optional_last_column_of_the_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/small");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let before = crate::read_dir(&dir, today).unwrap();
        // Files without the column read (every address empty) and are written without it.
        assert!(before.lawyers.iter().all(|l| l.email.is_empty()));
        let files = crate::to_files(&before);
        assert!(
            !files["lawyers.csv"]
                .lines()
                .next()
                .unwrap()
                .contains("email")
        );
        let mut after = before.clone();
        after.lawyers[1].email = "chen@firm.example.cn".into();
        let files = crate::to_files(&after);
        assert!(
            files["lawyers.csv"]
                .lines()
                .next()
                .unwrap()
                .ends_with(",active,email")
        );
        let back = crate::from_files(&files, today).unwrap();
        assert_eq!(back.lawyers[1].email, "chen@firm.example.cn");
        assert_eq!(back.lawyers[0].email, "");
        // A bad address is refused, naming the field.
        let mut bad = files.clone();
        let text = bad["lawyers.csv"].replace("chen@firm.example.cn", "not-an-address");
        bad.insert("lawyers.csv".into(), text);
        let e = crate::from_files(&bad, today).unwrap_err();
        assert_eq!(e.field, "email", "{e:?}");
    }

    #[test]
    fn only_records_changed_since_and_different_in_the_workbook_are_undone() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/small");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let before = crate::read_dir(&dir, today).unwrap();
        assert!(!before.leave.is_empty(), "the fixture has leave");
        let mut after = before.clone();
        after.lawyers[0].phone = "13900000000".into();
        after.leave.clear();
        let l0 = before.lawyers[0].id.to_string();
        let l1 = before.lawyers[1].id.to_string();
        let changed = |k: &str, c: &str| (k.to_string(), c.to_string());
        // Changed since and different: undone. Changed since but the same: kept.
        let gone = before.leave[0].lawyer_id.to_string();
        let out = undone(
            &before,
            &after,
            &[
                changed("lawyer", &l0),
                changed("lawyer", &l1),
                changed("availability", &gone),
                changed("bogus", &l0),
            ],
        );
        assert_eq!(
            out,
            vec![(Table::Lawyers, l0.clone()), (Table::Unavailability, gone)]
        );
        // Nothing changed since: nothing undone, however the workbook differs.
        assert!(undone(&before, &after, &[]).is_empty());
    }
}
