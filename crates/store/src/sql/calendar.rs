//! The working-day calendar.

use super::Conn;
use super::settings::PanelTx;
use super::{corrupt, weekday_from_db, weekday_to_db};
use crate::StoreError;
use chrono::NaiveDate;
use sqlx::Row;
use zhiban_domain::{CalendarDay, DayKind, WorkingCalendar};

/// Replaces the entries of every year `calendar` lists with its entries.
pub async fn replace_years(
    tx: &mut PanelTx<'_>,
    calendar: &WorkingCalendar,
) -> Result<(), StoreError> {
    let conn = tx.conn();
    for year in calendar.years() {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
        let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("valid year");
        sqlx::query("DELETE FROM calendar_days WHERE date BETWEEN $1 AND $2")
            .bind(first)
            .bind(last)
            .execute(&mut *conn)
            .await?;
    }
    for d in calendar.days() {
        sqlx::query(
            "INSERT INTO calendar_days (date, kind, name, works_as) VALUES ($1, $2, $3, $4)",
        )
        .bind(d.date)
        .bind(d.kind.code())
        .bind(&d.name)
        .bind(d.works_as.map(weekday_to_db))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The whole calendar.
pub async fn get_calendar(conn: &mut Conn) -> Result<WorkingCalendar, StoreError> {
    let rows = sqlx::query("SELECT date, kind, name, works_as FROM calendar_days ORDER BY date")
        .fetch_all(conn)
        .await?;
    let days = rows
        .iter()
        .map(|r| {
            let date: NaiveDate = r.try_get("date")?;
            let key = date.to_string();
            Ok(CalendarDay {
                date,
                kind: DayKind::parse(&r.try_get::<String, _>("kind")?)
                    .map_err(|m| corrupt("calendar_days", &key, m))?,
                name: r.try_get("name")?,
                works_as: r
                    .try_get::<Option<i64>, _>("works_as")?
                    .map(|n| weekday_from_db("calendar_days", &key, n))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    WorkingCalendar::new(days).map_err(|e| corrupt("calendar_days", &e.record, e.message))
}
