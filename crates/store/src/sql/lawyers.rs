//! Lawyers and their availability: weekly unavailability, leave and preferences.

use super::Conn;
use super::settings::PanelTx;
use super::{corrupt, tags_from_json, tags_to_json, u32_from_db, weekday_from_db, weekday_to_db};
use crate::StoreError;
use sqlx::Row;
use zhiban_domain::*;

/// Inserts a lawyer or updates the one with their code.
pub async fn upsert_lawyer(tx: &mut PanelTx<'_>, l: &Lawyer) -> Result<(), StoreError> {
    let conn = tx.conn();
    sqlx::query(
        "INSERT INTO lawyers (id, name, phone, firm_id, home_centre_id, licence_date, skills, \
         languages, max_per_day, max_per_week, max_per_month, lat, lon, active, email) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, phone = excluded.phone, \
         email = excluded.email, \
         firm_id = excluded.firm_id, home_centre_id = excluded.home_centre_id, \
         licence_date = excluded.licence_date, skills = excluded.skills, \
         languages = excluded.languages, max_per_day = excluded.max_per_day, \
         max_per_week = excluded.max_per_week, max_per_month = excluded.max_per_month, \
         lat = excluded.lat, lon = excluded.lon, active = excluded.active",
    )
    .bind(l.id.as_str())
    .bind(&l.name)
    .bind(&l.phone)
    .bind(l.firm_id.as_str())
    .bind(l.home_centre_id.as_str())
    .bind(l.licence_date)
    .bind(tags_to_json(&l.skills))
    .bind(tags_to_json(&l.languages))
    .bind(i64::from(l.limits.per_day))
    .bind(i64::from(l.limits.per_week))
    .bind(i64::from(l.limits.per_month))
    .bind(l.base.lat)
    .bind(l.base.lon)
    .bind(l.active)
    .bind(&l.email)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a lawyer's weekly unavailability, leave and preferences.
pub async fn replace_availability<'a>(
    tx: &mut PanelTx<'_>,
    lawyer: &LawyerId,
    weekly: impl Iterator<Item = &'a WeeklyUnavailability>,
    leave: impl Iterator<Item = &'a Leave>,
    preferences: impl Iterator<Item = &'a Preference>,
) -> Result<(), StoreError> {
    let conn = tx.conn();
    for sql in [
        "DELETE FROM lawyer_unavailability WHERE lawyer_id = $1",
        "DELETE FROM lawyer_leave WHERE lawyer_id = $1",
        "DELETE FROM lawyer_preferences WHERE lawyer_id = $1",
    ] {
        sqlx::query(sql)
            .bind(lawyer.as_str())
            .execute(&mut *conn)
            .await?;
    }
    for u in weekly {
        sqlx::query(
            "INSERT INTO lawyer_unavailability (lawyer_id, weekday, half_day) VALUES ($1, $2, $3)",
        )
        .bind(u.lawyer_id.as_str())
        .bind(weekday_to_db(u.weekday))
        .bind(u.half_day.code())
        .execute(&mut *conn)
        .await?;
    }
    for v in leave {
        sqlx::query(
            "INSERT INTO lawyer_leave (lawyer_id, start_date, end_date, half_day, reason) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(v.lawyer_id.as_str())
        .bind(v.from)
        .bind(v.to)
        .bind(v.half_day.map_or("day", HalfDay::code))
        .bind(&v.reason)
        .execute(&mut *conn)
        .await?;
    }
    for p in preferences {
        sqlx::query("INSERT INTO lawyer_preferences (lawyer_id, kind, target) VALUES ($1, $2, $3)")
            .bind(p.lawyer_id.as_str())
            .bind(p.target.kind_code())
            .bind(p.target.target_code())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Lawyers of one home centre or all, by code.
pub async fn list_lawyers(
    conn: &mut Conn,
    centre: Option<&CentreId>,
) -> Result<Vec<Lawyer>, StoreError> {
    let rows =
        sqlx::query("SELECT * FROM lawyers WHERE ($1 IS NULL OR home_centre_id = $1) ORDER BY id")
            .bind(centre.map(|c| c.as_str()))
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let bad = |m: String| corrupt("lawyers", &id, m);
            let num = |col: &str| -> Result<u32, StoreError> {
                u32_from_db("lawyers", &id, col, r.try_get::<i64, _>(col)?)
            };
            Ok(Lawyer {
                id: LawyerId::parse(&id).map_err(bad)?,
                name: r.try_get("name")?,
                phone: r.try_get("phone")?,
                email: r.try_get("email")?,
                firm_id: FirmId::parse(&r.try_get::<String, _>("firm_id")?).map_err(bad)?,
                home_centre_id: CentreId::parse(&r.try_get::<String, _>("home_centre_id")?)
                    .map_err(bad)?,
                licence_date: r.try_get("licence_date")?,
                skills: tags_from_json("lawyers", &id, &r.try_get::<String, _>("skills")?)?,
                languages: tags_from_json("lawyers", &id, &r.try_get::<String, _>("languages")?)?,
                limits: Limits {
                    per_day: num("max_per_day")?,
                    per_week: num("max_per_week")?,
                    per_month: num("max_per_month")?,
                },
                base: Coordinates::new(r.try_get("lat")?, r.try_get("lon")?).map_err(bad)?,
                active: r.try_get("active")?,
            })
        })
        .collect()
}

/// All weekly unavailability.
pub async fn list_unavailability(conn: &mut Conn) -> Result<Vec<WeeklyUnavailability>, StoreError> {
    let rows =
        sqlx::query("SELECT * FROM lawyer_unavailability ORDER BY lawyer_id, weekday, half_day")
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("lawyer_id")?;
            let bad = |m: String| corrupt("lawyer_unavailability", &id, m);
            Ok(WeeklyUnavailability {
                lawyer_id: LawyerId::parse(&id).map_err(bad)?,
                weekday: weekday_from_db("lawyer_unavailability", &id, r.try_get("weekday")?)?,
                half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
            })
        })
        .collect()
}

/// All leave.
pub async fn list_leave(conn: &mut Conn) -> Result<Vec<Leave>, StoreError> {
    let rows = sqlx::query(
        "SELECT * FROM lawyer_leave ORDER BY lawyer_id, start_date, end_date, half_day",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("lawyer_id")?;
            let bad = |m: String| corrupt("lawyer_leave", &id, m);
            let half: String = r.try_get("half_day")?;
            Ok(Leave {
                lawyer_id: LawyerId::parse(&id).map_err(bad)?,
                from: r.try_get("start_date")?,
                to: r.try_get("end_date")?,
                half_day: if half == "day" {
                    None
                } else {
                    Some(HalfDay::parse(&half).map_err(bad)?)
                },
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// All preferences.
pub async fn list_preferences(conn: &mut Conn) -> Result<Vec<Preference>, StoreError> {
    let rows = sqlx::query("SELECT * FROM lawyer_preferences ORDER BY lawyer_id, kind, target")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("lawyer_id")?;
            let bad = |m: String| corrupt("lawyer_preferences", &id, m);
            let kind: String = r.try_get("kind")?;
            let target: String = r.try_get("target")?;
            let station = || StationId::parse(&target).map_err(bad);
            let weekday = || parse_weekday(&target).map_err(bad);
            let target = match kind.as_str() {
                "prefer_station" => PreferenceTarget::PreferStation(station()?),
                "avoid_station" => PreferenceTarget::AvoidStation(station()?),
                "prefer_weekday" => PreferenceTarget::PreferWeekday(weekday()?),
                "avoid_weekday" => PreferenceTarget::AvoidWeekday(weekday()?),
                other => return Err(bad(format!("unknown kind {other:?}"))),
            };
            Ok(Preference {
                lawyer_id: LawyerId::parse(&id).map_err(bad)?,
                target,
            })
        })
        .collect()
}
