//! Writing a data set.

use crate::SETTINGS_FILE;
use crate::read::columns;
use std::collections::BTreeMap;
use std::path::Path;
use zhiban_domain::*;

/// Writes `ds` into folder `dir` (created if missing), one file per table, tables in
/// canonical order. Files are written without a byte-order mark; readers accept both.
pub fn write_dir(ds: &Dataset, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in to_files(ds) {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// The files of a data set, keyed by file name.
pub fn to_files(ds: &Dataset) -> BTreeMap<String, String> {
    let mut ds = ds.clone();
    ds.normalize();
    let mut files = BTreeMap::new();
    let settings = toml::to_string(&ds.settings).expect("settings serialise to TOML");
    files.insert(SETTINGS_FILE.to_string(), settings);

    let list = |v: &[String]| v.join(";");
    let opt = |o: Option<String>| o.unwrap_or_default();
    let b = |x: bool| x.to_string();

    let mut put = |table: Table, rows: Vec<Vec<String>>| {
        // An optional column nobody uses is left out: files stay as they were before it.
        let keep: Vec<bool> = columns(table)
            .iter()
            .enumerate()
            .map(|(i, c)| {
                !crate::read::OPTIONAL.contains(c)
                    || rows.iter().any(|r| r.get(i).is_some_and(|v| !v.is_empty()))
            })
            .collect();
        let kept = |r: &[String]| -> Vec<String> {
            r.iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(v, _)| v.clone())
                .collect()
        };
        let header: Vec<String> = columns(table).iter().map(|c| c.to_string()).collect();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(kept(&header)).expect("write to memory");
        for r in rows {
            w.write_record(kept(&r)).expect("write to memory");
        }
        let bytes = w.into_inner().expect("flush to memory");
        files.insert(
            table.file_name().to_string(),
            String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8"),
        );
    };

    put(
        Table::Centres,
        ds.centres
            .iter()
            .map(|c| {
                vec![
                    c.id.to_string(),
                    c.name.clone(),
                    opt(c.parent_id.as_ref().map(ToString::to_string)),
                    c.time_zone.name().to_string(),
                    b(c.shares_pool),
                ]
            })
            .collect(),
    );
    put(
        Table::Firms,
        ds.firms
            .iter()
            .map(|f| vec![f.id.to_string(), f.name.clone(), f.centre_id.to_string()])
            .collect(),
    );
    let time = |t: chrono::NaiveTime| t.format("%H:%M").to_string();
    put(
        Table::Stations,
        ds.stations
            .iter()
            .map(|s| {
                vec![
                    s.id.to_string(),
                    s.centre_id.to_string(),
                    s.name.clone(),
                    s.kind.code().to_string(),
                    s.address.clone(),
                    s.phone.clone(),
                    s.location.lat.to_string(),
                    s.location.lon.to_string(),
                    s.geofence_m.to_string(),
                    time(s.am.start),
                    time(s.am.end),
                    time(s.pm.start),
                    time(s.pm.end),
                    s.min_years.to_string(),
                    list(&s.skills),
                    s.contracted_firms
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(";"),
                    b(s.holiday_duty),
                    s.priority.to_string(),
                ]
            })
            .collect(),
    );
    put(
        Table::Demand,
        ds.demand
            .iter()
            .map(|d| {
                vec![
                    d.station_id.to_string(),
                    weekday_code(d.weekday).to_string(),
                    d.half_day.code().to_string(),
                    d.lawyers.to_string(),
                    d.backups.to_string(),
                    list(&d.skills),
                    list(&d.languages),
                    d.min_years.to_string(),
                ]
            })
            .collect(),
    );
    put(
        Table::Lawyers,
        ds.lawyers
            .iter()
            .map(|l| {
                vec![
                    l.id.to_string(),
                    l.name.clone(),
                    l.phone.clone(),
                    l.firm_id.to_string(),
                    l.home_centre_id.to_string(),
                    l.licence_date.to_string(),
                    list(&l.skills),
                    list(&l.languages),
                    l.limits.per_day.to_string(),
                    l.limits.per_week.to_string(),
                    l.limits.per_month.to_string(),
                    l.base.lat.to_string(),
                    l.base.lon.to_string(),
                    b(l.active),
                    l.email.clone(),
                ]
            })
            .collect(),
    );
    put(
        Table::Unavailability,
        ds.unavailability
            .iter()
            .map(|u| {
                vec![
                    u.lawyer_id.to_string(),
                    weekday_code(u.weekday).to_string(),
                    u.half_day.code().to_string(),
                ]
            })
            .collect(),
    );
    put(
        Table::Leave,
        ds.leave
            .iter()
            .map(|l| {
                vec![
                    l.lawyer_id.to_string(),
                    l.from.to_string(),
                    l.to.to_string(),
                    opt(l.half_day.map(|h| h.code().to_string())),
                    l.reason.clone(),
                ]
            })
            .collect(),
    );
    put(
        Table::Preferences,
        ds.preferences
            .iter()
            .map(|p| {
                vec![
                    p.lawyer_id.to_string(),
                    p.target.kind_code().to_string(),
                    p.target.target_code(),
                ]
            })
            .collect(),
    );
    put(
        Table::Calendar,
        ds.calendar
            .days()
            .map(|d| {
                vec![
                    d.date.to_string(),
                    d.kind.code().to_string(),
                    d.name.clone(),
                    opt(d.works_as.map(|w| weekday_code(w).to_string())),
                ]
            })
            .collect(),
    );
    files
}
