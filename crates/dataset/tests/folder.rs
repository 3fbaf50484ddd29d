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
