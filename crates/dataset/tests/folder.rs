//! Reading and writing data-set folders.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use zhiban_dataset::{from_files, read_dir, to_files, write_dir};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn small_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/small")
}

fn small_files() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(small_dir()).unwrap() {
        let p = entry.unwrap().path();
        files.insert(
            p.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read_to_string(&p).unwrap(),
        );
    }
    files
}

#[test]
fn the_small_fixture_reads_with_its_counts() {
    let ds = read_dir(&small_dir(), today()).unwrap();
    assert_eq!(ds.centres.len(), 1);
    assert_eq!(ds.stations.len(), 3);
    assert_eq!(ds.firms.len(), 3);
    assert_eq!(ds.lawyers.len(), 12);
    assert_eq!(ds.demand.len(), 9);
    assert_eq!(ds.leave.len(), 3);
    assert!(!ds.lawyers[8].active);
    assert_eq!(ds.stations[2].min_years, 3);
}

#[test]
fn written_files_read_back_equal() {
    let mut ds = read_dir(&small_dir(), today()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_dir(&ds, dir.path()).unwrap();
    let mut back = read_dir(dir.path(), today()).unwrap();
    ds.normalize();
    back.normalize();
    assert_eq!(ds, back);
    // And writing again gives byte-identical files.
    assert_eq!(to_files(&ds), to_files(&back));
}

#[test]
fn a_byte_order_mark_from_excel_is_accepted() {
    let mut files = small_files();
    let lawyers = files["lawyers.csv"].clone();
    files.insert("lawyers.csv".into(), format!("\u{feff}{lawyers}"));
    assert_eq!(from_files(&files, today()).unwrap().lawyers.len(), 12);
}

fn error_for(file: &str, edit: impl Fn(&str) -> String) -> String {
    let mut files = small_files();
    let text = edit(&files[file]);
    files.insert(file.into(), text);
    from_files(&files, today()).unwrap_err().to_string()
}

#[test]
fn a_bad_date_names_file_row_and_column() {
    let e = error_for("lawyers.csv", |t| t.replace("2019-09-20", "2019-13-40"));
    assert_eq!(
        e,
        "lawyers.csv row 4, column licence_date: expected a date such as 2026-11-23, got \"2019-13-40\""
    );
}

#[test]
fn an_unknown_firm_names_the_row_of_the_lawyer() {
    let e = error_for("lawyers.csv", |t| {
        t.replace(
            "CH-L12,谢婉婷,13800010012,CH-F03",
            "CH-L12,谢婉婷,13800010012,CH-F99",
        )
    });
    assert_eq!(
        e,
        "lawyers.csv row 13, column firm_id: lawyer CH-L12: no firm with id CH-F99 in this data set"
    );
}

#[test]
fn a_short_row_names_its_line() {
    let e = error_for("demand.csv", |t| {
        t.replace("CH-FY,tue,am,1,0,,,0", "CH-FY,tue,am,1")
    });
    assert!(e.starts_with("demand.csv row 6"), "{e}");
    assert!(e.contains("4 columns"), "{e}");
}

#[test]
fn a_misspelt_header_is_rejected() {
    let e = error_for("stations.csv", |t| t.replacen("geofence_m", "geofence", 1));
    assert_eq!(
        e,
        "stations.csv row 1, column geofence: unknown column; expected id, centre_id, name, kind, address, phone, lat, lon, geofence_m, am_start, am_end, pm_start, pm_end, min_years, skills, contracted_firms, holiday_duty, priority"
    );
}

#[test]
fn a_duplicate_calendar_date_names_the_second_row() {
    let e = error_for("calendar.csv", |t| {
        format!("{t}2026-10-01,holiday,国庆节,\n")
    });
    assert!(e.starts_with("calendar.csv row 41, column date"), "{e}");
}

#[test]
fn missing_required_files_and_bad_settings_are_reported() {
    let mut files = small_files();
    files.remove("stations.csv");
    assert_eq!(
        from_files(&files, today()).unwrap_err().to_string(),
        "stations.csv: is missing"
    );
    let e = error_for("settings.toml", |t| {
        t.replace("history_weeks = 8", "history_weeks = \"eight\"")
    });
    assert!(e.starts_with("settings.toml row 6"), "{e}");
}

#[test]
fn optional_files_may_be_left_out() {
    let mut files = small_files();
    for f in [
        "leave.csv",
        "preferences.csv",
        "unavailability.csv",
        "calendar.csv",
    ] {
        files.remove(f);
    }
    let ds = from_files(&files, today()).unwrap();
    assert!(ds.leave.is_empty());
    assert!(
        ds.calendar
            .is_holiday(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap())
    );
}

#[test]
fn a_file_that_is_not_utf8_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in small_files() {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::write(
        dir.path().join("firms.csv"),
        b"id,name,centre_id\nF1,\xb9\xe3\xb6\xab,CH\n",
    )
    .unwrap();
    let e = read_dir(dir.path(), today()).unwrap_err().to_string();
    assert!(e.starts_with("firms.csv: is not UTF-8"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Whatever a coordinator's spreadsheet holds, reading it never panics.
    #[test]
    fn arbitrary_lawyer_rows_never_panic(row in "[ -~一-龥,;\"\n]{0,120}") {
        let mut files = small_files();
        let text = format!("{}{}\n", files["lawyers.csv"], row);
        files.insert("lawyers.csv".into(), text);
        let _ = from_files(&files, today());
    }
}

#[test]
fn dates_outside_their_years_name_file_row_and_column() {
    let e = error_for("lawyers.csv", |t| t.replace("2019-09-20", "1949-09-20"));
    assert_eq!(
        e,
        "lawyers.csv row 4, column licence_date: \"1949-09-20\": the year must be 1950 to 2100"
    );
    let e = error_for("leave.csv", |t| {
        format!("{t}CH-L01,262143-01-01,262143-12-31,,假\n")
    });
    assert!(e.starts_with("leave.csv row 5, column start_date: "), "{e}");
    let e = error_for("leave.csv", |t| {
        format!("{t}CH-L01,2026-12-01,2101-01-01,,假\n")
    });
    assert_eq!(
        e,
        "leave.csv row 5, column end_date: \"2101-01-01\": the year must be 2000 to 2100"
    );
    let e = error_for("calendar.csv", |t| format!("{t}1999-12-31,holiday,跨年,\n"));
    assert!(
        e.starts_with("calendar.csv row 41, column date: \"1999-12-31\""),
        "{e}"
    );
}

#[test]
fn long_cells_huge_numbers_and_big_files_are_refused_naming_the_place() {
    let long = "长".repeat(1001);
    let e = error_for("lawyers.csv", |t| t.replacen("陈志明", &long, 1));
    assert_eq!(
        e,
        "lawyers.csv row 2, column name: is 1001 characters long; a cell may hold at most 1000"
    );
    let e = error_for("lawyers.csv", |t| {
        t.replacen(",1,2,6,", ",1,2,99999999999999999999999,", 1)
    });
    assert!(
        e.starts_with("lawyers.csv row 2, column max_per_month: expected a whole number"),
        "{e}"
    );
    let e = error_for("stations.csv", |t| {
        let first = t.lines().nth(1).unwrap().to_string();
        let cols: Vec<&str> = first.split(',').collect();
        t.replacen(&first, &first.replacen(cols[6], "1e999", 1), 1)
    });
    assert!(e.starts_with("stations.csv row 2, column lat"), "{e}");
    let mut files = small_files();
    files.insert(
        "firms.csv".into(),
        format!(
            "id,name,centre_id\n{}",
            "x".repeat(zhiban_dataset::MAX_FILE_BYTES)
        ),
    );
    let e = from_files(&files, today()).unwrap_err().to_string();
    assert!(e.starts_with("firms.csv: is 6710"), "{e}");
}

/// A cell of an extreme kind: huge or negative numbers, non-finite floats, far dates, long
/// text.
fn extreme_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("1e999".to_string()),
        Just("NaN".to_string()),
        Just("-inf".to_string()),
        "[0-9]{20,60}",
        (-300_000i32..300_000, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        (1900i32..2200, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        "[a-z一-龥]{900,1100}",
        "[a-z0-9;-]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Extreme values in every column of a lawyer, leave or calendar row: refused naming the
    /// file, the row and a column, never a panic.
    #[test]
    fn extreme_values_in_rows_are_refused_naming_file_row_and_column(
        table in 0usize..3,
        cells in proptest::collection::vec(extreme_cell(), 14),
        keep in proptest::collection::vec(proptest::bool::ANY, 14),
    ) {
        let mut files = small_files();
        let (file, good) = match table {
            0 => ("lawyers.csv", "CH-L99,某律师,13800010099,CH-F01,CH,2012-07-01,juvenile,yue,1,2,6,23.5470,113.5850,true"),
            1 => ("leave.csv", "CH-L01,2026-12-01,2026-12-02,,假"),
            _ => ("calendar.csv", "2026-12-25,holiday,某节,"),
        };
        // Each cell is either the good value or an extreme one.
        let row: Vec<String> = good
            .split(',')
            .enumerate()
            .map(|(i, g)| if keep[i] { g.to_string() } else { cells[i].clone() })
            .collect();
        let text = files[file].clone();
        let line = text.trim_end().lines().count() as u64 + 1;
        files.insert(file.into(), format!("{}\n{}\n", text.trim_end(), row.join(",")));
        if let Err(e) = from_files(&files, today()) {
            prop_assert_eq!(&e.file, file, "{}", e);
            prop_assert!(e.row >= 2 && e.row <= line, "{}", e);
            prop_assert!(!e.field.is_empty(), "{}", e);
        }
    }
}
