//! zhiban-dataset: the data-set folder a coordinator keeps, read and written.
//!
//! A data set is one folder with a CSV file per table (UTF-8, a header row, an optional
//! byte-order mark as Excel and WPS write it) and `settings.toml`:
//!
//! | file | columns |
//! |---|---|
//! | `centres.csv` | id, name, parent_id, time_zone, shares_pool |
//! | `firms.csv` | id, name, centre_id |
//! | `stations.csv` | id, centre_id, name, kind, address, phone, lat, lon, geofence_m, am_start, am_end, pm_start, pm_end, min_years, skills, contracted_firms, holiday_duty, priority |
//! | `demand.csv` | station_id, weekday, half_day, lawyers, backups, skills, languages, min_years |
//! | `lawyers.csv` | id, name, phone, firm_id, home_centre_id, licence_date, skills, languages, max_per_day, max_per_week, max_per_month, lat, lon, active, email (optional) |
//! | `unavailability.csv` | lawyer_id, weekday, half_day |
//! | `leave.csv` | lawyer_id, start_date, end_date, half_day, reason |
//! | `preferences.csv` | lawyer_id, kind, target |
//! | `calendar.csv` | date, kind, name, works_as |
//!
//! Lists (skills, languages, contracted firms) are separated by `;`. Booleans are
//! `true`/`false` (also `yes`/`no`, `1`/`0`, `是`/`否`). Dates are `YYYY-MM-DD`, times
//! `HH:MM`. `unavailability.csv`, `leave.csv` and `preferences.csv` may be left out
//! (empty); without `calendar.csv` the shipped 2026 calendar is used.
//!
//! Two rules read these files together. A lawyer takes no duty before their `licence_date`,
//! whatever `min_years` asks (0 included). On a make-up working day (`calendar.csv` kind
//! `workday`) the day works as its `works_as` weekday (Monday when empty): `demand.csv`
//! (for stations without holiday duty), `unavailability.csv` and weekday `preferences.csv`
//! rows all follow that weekday, not the date's own.
//!
//! Bounds, checked before the values are used (each refused naming file, row and column):
//!
//! | what | bound |
//! |---|---|
//! | a file | [`MAX_FILE_BYTES`] = 64 MiB (checked before it is read) |
//! | rows of one file | [`MAX_ROWS`] = 200,000 |
//! | one cell | [`MAX_CELL_CHARS`] = 1,000 characters |
//! | leave and calendar dates | years [`DATE_YEARS`] = 2000 to 2100 |
//! | licence dates | years [`LICENCE_YEARS`] = 1950 to 2100 (and not after today) |
//! | counts and limits | whole numbers 0 to 4,294,967,295 (`u32`); coordinates finite, in range |
//!
//! Every error names the file, the row (the line number a spreadsheet shows, header = 1)
//! and the column:
//!
//! ```
//! use std::collections::BTreeMap;
//! let mut files = BTreeMap::new();
//! files.insert("settings.toml".to_string(), "name = \"x\"".to_string());
//! files.insert("centres.csv".to_string(), "id,name,parent_id,time_zone,shares_pool\nC1,中心,,Asia/Shanghai,maybe\n".to_string());
//! let err = zhiban_dataset::from_files(&files, chrono::NaiveDate::MIN).unwrap_err();
//! assert_eq!(err.to_string(), "centres.csv row 2, column shares_pool: expected true or false, got \"maybe\"");
//! ```

pub mod part;
mod read;
pub mod workbook;
mod write;

pub use read::{columns, from_files, read_dir};
pub use write::{to_files, write_dir};

use std::fmt;

/// Largest file of a data set, in bytes.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Most data rows in one CSV file.
pub const MAX_ROWS: usize = 200_000;
/// Longest cell, in characters.
pub const MAX_CELL_CHARS: usize = 1000;
/// Years accepted in leave and calendar dates.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// Years accepted in licence dates (senior lawyers were licensed in the last century).
pub const LICENCE_YEARS: std::ops::RangeInclusive<i32> = 1950..=2100;

/// The name of the settings file.
pub const SETTINGS_FILE: &str = "settings.toml";

/// A data set could not be read: which file, row and column, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// The file, e.g. `lawyers.csv`.
    pub file: String,
    /// The row as a spreadsheet numbers it (the header is row 1); 0 for the whole file.
    pub row: u64,
    /// The column, or empty when the error is about the whole row or file.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.row > 0 {
            write!(f, " row {}", self.row)?;
        }
        if !self.field.is_empty() {
            write!(f, ", column {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}
