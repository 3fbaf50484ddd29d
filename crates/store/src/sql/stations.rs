//! Stations, their contracted firms and weekly demand.

use super::Conn;
use super::settings::PanelTx;
use super::{corrupt, tags_from_json, tags_to_json, u32_from_db, weekday_from_db, weekday_to_db};
use crate::StoreError;
use sqlx::Row;
use std::collections::BTreeMap;
use zhiban_domain::*;

/// Inserts a station or updates the one with its code, replacing its contracted firms.
pub async fn upsert_station(tx: &mut PanelTx<'_>, s: &Station) -> Result<(), StoreError> {
    let conn = tx.conn();
    let t = |x: chrono::NaiveTime| x.format("%H:%M").to_string();
    sqlx::query(
        "INSERT INTO stations (id, centre_id, name, kind, address, phone, lat, lon, geofence_m, \
         am_start, am_end, pm_start, pm_end, min_years, skills, holiday_duty, priority) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT(id) DO UPDATE SET centre_id = excluded.centre_id, name = excluded.name, \
         kind = excluded.kind, address = excluded.address, phone = excluded.phone, \
         lat = excluded.lat, lon = excluded.lon, geofence_m = excluded.geofence_m, \
         am_start = excluded.am_start, am_end = excluded.am_end, pm_start = excluded.pm_start, \
         pm_end = excluded.pm_end, min_years = excluded.min_years, skills = excluded.skills, \
         holiday_duty = excluded.holiday_duty, priority = excluded.priority",
    )
    .bind(s.id.as_str())
    .bind(s.centre_id.as_str())
    .bind(&s.name)
    .bind(s.kind.code())
    .bind(&s.address)
    .bind(&s.phone)
    .bind(s.location.lat)
    .bind(s.location.lon)
    .bind(i64::from(s.geofence_m))
    .bind(t(s.am.start))
    .bind(t(s.am.end))
    .bind(t(s.pm.start))
    .bind(t(s.pm.end))
    .bind(i64::from(s.min_years))
    .bind(tags_to_json(&s.skills))
    .bind(s.holiday_duty)
    .bind(i64::from(s.priority))
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM station_contracted_firms WHERE station_id = $1")
        .bind(s.id.as_str())
        .execute(&mut *conn)
        .await?;
    for f in &s.contracted_firms {
        sqlx::query("INSERT INTO station_contracted_firms (station_id, firm_id) VALUES ($1, $2)")
            .bind(s.id.as_str())
            .bind(f.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Replaces a station's weekly demand.
pub async fn replace_demand<'a>(
    tx: &mut PanelTx<'_>,
    station: &StationId,
    rules: impl Iterator<Item = &'a DemandRule>,
) -> Result<(), StoreError> {
    let conn = tx.conn();
    sqlx::query("DELETE FROM demand_rules WHERE station_id = $1")
        .bind(station.as_str())
        .execute(&mut *conn)
        .await?;
    for d in rules {
        sqlx::query(
            "INSERT INTO demand_rules (station_id, weekday, half_day, lawyers, backups, skills, \
             languages, min_years) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(d.station_id.as_str())
        .bind(weekday_to_db(d.weekday))
        .bind(d.half_day.code())
        .bind(i64::from(d.lawyers))
        .bind(i64::from(d.backups))
        .bind(tags_to_json(&d.skills))
        .bind(tags_to_json(&d.languages))
        .bind(i64::from(d.min_years))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Stations of one centre or all, by code.
pub async fn list_stations(
    conn: &mut Conn,
    centre: Option<&CentreId>,
) -> Result<Vec<Station>, StoreError> {
    let contracts = sqlx::query(
        "SELECT station_id, firm_id FROM station_contracted_firms ORDER BY station_id, firm_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut by_station: BTreeMap<String, Vec<FirmId>> = BTreeMap::new();
    for r in &contracts {
        let sid: String = r.try_get("station_id")?;
        let fid: String = r.try_get("firm_id")?;
        let firm = FirmId::parse(&fid).map_err(|m| corrupt("station_contracted_firms", &sid, m))?;
        by_station.entry(sid).or_default().push(firm);
    }
    let rows =
        sqlx::query("SELECT * FROM stations WHERE ($1 IS NULL OR centre_id = $1) ORDER BY id")
            .bind(centre.map(|c| c.as_str()))
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let bad = |m: String| corrupt("stations", &id, m);
            let time = |col: &str| -> Result<chrono::NaiveTime, StoreError> {
                parse_time(&r.try_get::<String, _>(col)?).map_err(bad)
            };
            let num = |col: &str| -> Result<u32, StoreError> {
                u32_from_db("stations", &id, col, r.try_get::<i64, _>(col)?)
            };
            Ok(Station {
                id: StationId::parse(&id).map_err(bad)?,
                centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?).map_err(bad)?,
                name: r.try_get("name")?,
                kind: StationKind::parse(&r.try_get::<String, _>("kind")?).map_err(bad)?,
                address: r.try_get("address")?,
                phone: r.try_get("phone")?,
                location: Coordinates::new(r.try_get("lat")?, r.try_get("lon")?).map_err(bad)?,
                geofence_m: num("geofence_m")?,
                am: HalfDayTemplate::new(time("am_start")?, time("am_end")?).map_err(bad)?,
                pm: HalfDayTemplate::new(time("pm_start")?, time("pm_end")?).map_err(bad)?,
                min_years: num("min_years")?,
                skills: tags_from_json("stations", &id, &r.try_get::<String, _>("skills")?)?,
                contracted_firms: by_station.get(&id).cloned().unwrap_or_default(),
                holiday_duty: r.try_get("holiday_duty")?,
                priority: num("priority")?,
            })
        })
        .collect()
}

/// All demand rules, by station, weekday and half-day.
pub async fn list_demand(conn: &mut Conn) -> Result<Vec<DemandRule>, StoreError> {
    let rows = sqlx::query("SELECT * FROM demand_rules ORDER BY station_id, weekday, half_day")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            let sid: String = r.try_get("station_id")?;
            let key = format!(
                "{sid}/{}/{}",
                r.try_get::<i64, _>("weekday")?,
                r.try_get::<String, _>("half_day")?
            );
            let bad = |m: String| corrupt("demand_rules", &key, m);
            let num = |col: &str| -> Result<u32, StoreError> {
                u32_from_db("demand_rules", &key, col, r.try_get::<i64, _>(col)?)
            };
            Ok(DemandRule {
                station_id: StationId::parse(&sid).map_err(bad)?,
                weekday: weekday_from_db("demand_rules", &key, r.try_get("weekday")?)?,
                half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
                lawyers: num("lawyers")?,
                backups: num("backups")?,
                skills: tags_from_json("demand_rules", &key, &r.try_get::<String, _>("skills")?)?,
                languages: tags_from_json(
                    "demand_rules",
                    &key,
                    &r.try_get::<String, _>("languages")?,
                )?,
                min_years: num("min_years")?,
            })
        })
        .collect()
}
