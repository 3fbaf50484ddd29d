//! Corrections of locked months, and coordinators' confirmation of claimed ledger counts.
//!
//! A locked month's facts change only here: [`apply_correction`] checks that the month is
//! locked, changes the attendance record and ledger entry of one duty, and stores the facts
//! before and after with the coordinator's reason, all in the caller's transaction.

use super::attendance::{COLS, INSERT_NEW, bind_new, ensure_open, from_row, locked_day};
use super::{Conn, DbRow, corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::{NaiveDate, Utc};
use sqlx::Row;
use zhiban_domain::month::Month;
use zhiban_domain::{Assignment, CentreId, HalfDay, LawyerId, Role, StationId};

/// The attendance record of a duty, if any.
pub async fn attendance_of_duty(
    conn: &mut Conn,
    d: &Assignment,
) -> Result<Option<AttendanceRecord>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM attendance WHERE station_id = $1 AND date = $2 AND half_day = $3 \
         AND lawyer_id = $4 AND role = $5"
    )))
    .bind(d.station_id.as_str())
    .bind(d.date)
    .bind(d.half_day.code())
    .bind(d.lawyer_id.as_str())
    .bind(d.role.code())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The paying facts of a duty: counts, confirmed plea agreements, quality.
async fn facts(conn: &mut Conn, d: &Assignment) -> Result<DutyFacts, StoreError> {
    let rec = attendance_of_duty(&mut *conn, d).await?;
    let row = sqlx::query(
        "SELECT confirmed_plea_signings, quality FROM ledger_entries WHERE station_id = $1 \
         AND date = $2 AND half_day = $3 AND lawyer_id = $4",
    )
    .bind(d.station_id.as_str())
    .bind(d.date)
    .bind(d.half_day.code())
    .bind(d.lawyer_id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let (plea, quality): (Option<i64>, Option<String>) = match row {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (None, None),
    };
    Ok(DutyFacts {
        counts: rec.as_ref().is_some_and(AttendanceRecord::counts_for_pay),
        record_id: rec.map(|r| r.id),
        plea_signings: u32::try_from(plea.unwrap_or(0)).unwrap_or(0),
        quality,
    })
}

/// Applies a coordinator's correction to one duty of a locked month and stores it; a
/// conflict when the month is open (then the facts are edited directly).
pub async fn apply_correction(
    conn: &mut Conn,
    c: &NewCorrection,
) -> Result<CorrectionRecord, StoreError> {
    let d = &c.duty;
    let month = Month::of(d.date);
    if ensure_open(&mut *conn, &c.centre_id, d.date).await.is_ok() {
        return Err(StoreError::Conflict(format!(
            "{month} of centre {} is not approved: change its facts directly, not by a correction",
            c.centre_id
        )));
    }
    let before = facts(&mut *conn, d).await?;
    let now = to_instant(Utc::now());
    let note = format!("更正: {}", c.reason);
    match (c.attendance, attendance_of_duty(&mut *conn, d).await?) {
        (Some(CorrectedAttendance::Counts), Some(rec)) => {
            sqlx::query(
                "UPDATE attendance SET voided = FALSE, approved = TRUE, status = CASE \
                 WHEN status = 'checked_in' THEN 'attended' ELSE status END, \
                 reason = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(&note)
            .bind(&now)
            .bind(rec.id)
            .execute(&mut *conn)
            .await?;
        }
        (Some(CorrectedAttendance::Counts), None) => {
            let a = NewAttendance {
                centre_id: c.centre_id.clone(),
                roster_id: c.roster_id,
                duty: d.clone(),
                status: AttendanceStatus::Attended,
                method: Some(CheckInMethod::Manual),
                check_in_at: None,
                check_out_at: None,
                lat: None,
                lon: None,
                distance_m: None,
                minutes_late: 0,
                late: false,
                outside_geofence: false,
                approved: true,
                proof: "",
                checkout_window: None,
                reason: note.clone(),
                idempotency_key: None,
            };
            bind_new(sqlx::query(INSERT_NEW), &a)
                .execute(&mut *conn)
                .await?;
        }
        (Some(CorrectedAttendance::Void), Some(rec)) => {
            sqlx::query(
                "UPDATE attendance SET voided = TRUE, reason = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(&note)
            .bind(&now)
            .bind(rec.id)
            .execute(&mut *conn)
            .await?;
        }
        (Some(CorrectedAttendance::Void), None) | (None, _) => {}
    }
    if c.plea_signings.is_some() || c.quality.is_some() {
        upsert_ledger_facts(&mut *conn, c, &now).await?;
    }
    let after = facts(&mut *conn, d).await?;
    let row = sqlx::query(
        "INSERT INTO corrections (centre_id, month, station_id, date, half_day, lawyer_id, role, \
         before, after, reason, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(c.centre_id.as_str())
    .bind(month.to_string())
    .bind(d.station_id.as_str())
    .bind(d.date)
    .bind(d.half_day.code())
    .bind(d.lawyer_id.as_str())
    .bind(d.role.code())
    .bind(serde_json::to_string(&before).expect("facts serialise"))
    .bind(serde_json::to_string(&after).expect("facts serialise"))
    .bind(&c.reason)
    .bind(&c.actor)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(CorrectionRecord {
        id: row.try_get(0)?,
        centre_id: c.centre_id.clone(),
        month: month.to_string(),
        duty: d.clone(),
        before,
        after,
        reason: c.reason.clone(),
        created_by: c.actor.clone(),
        created_at: parse_instant("corrections", "new", &now)?,
    })
}

/// Sets a duty's confirmed plea agreements and quality as corrected (making the entry if
/// the duty has none).
async fn upsert_ledger_facts(
    conn: &mut Conn,
    c: &NewCorrection,
    now: &str,
) -> Result<(), StoreError> {
    let d = &c.duty;
    sqlx::query(
        "INSERT INTO ledger_entries (station_id, date, half_day, lawyer_id, centre_id, \
         consultations, plea_signings, quality, notes, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, 0, 0, NULL, '', $6, $7) \
         ON CONFLICT (station_id, date, half_day, lawyer_id) DO NOTHING",
    )
    .bind(d.station_id.as_str())
    .bind(d.date)
    .bind(d.half_day.code())
    .bind(d.lawyer_id.as_str())
    .bind(c.centre_id.as_str())
    .bind(now)
    .bind(&c.actor)
    .execute(&mut *conn)
    .await?;
    if let Some(n) = c.plea_signings {
        sqlx::query(
            "UPDATE ledger_entries SET plea_signings = $1, confirmed_plea_signings = $1, \
             confirmed_by = $2, confirmed_at = $3, updated_at = $3, updated_by = $2 \
             WHERE station_id = $4 AND date = $5 AND half_day = $6 AND lawyer_id = $7",
        )
        .bind(i64::from(n))
        .bind(&c.actor)
        .bind(now)
        .bind(d.station_id.as_str())
        .bind(d.date)
        .bind(d.half_day.code())
        .bind(d.lawyer_id.as_str())
        .execute(&mut *conn)
        .await?;
    }
    if let Some(q) = &c.quality {
        sqlx::query(
            "UPDATE ledger_entries SET quality = $1, updated_at = $2, updated_by = $3 \
             WHERE station_id = $4 AND date = $5 AND half_day = $6 AND lawyer_id = $7",
        )
        .bind(q)
        .bind(now)
        .bind(&c.actor)
        .bind(d.station_id.as_str())
        .bind(d.date)
        .bind(d.half_day.code())
        .bind(d.lawyer_id.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn correction_from_row(r: &DbRow) -> Result<CorrectionRecord, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let t = "corrections";
    let bad = |m: String| corrupt(t, &key, m);
    let json =
        |raw: String| serde_json::from_str(&raw).map_err(|e| corrupt(t, &key, e.to_string()));
    Ok(CorrectionRecord {
        id,
        centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?).map_err(bad)?,
        month: r.try_get("month")?,
        duty: Assignment {
            station_id: StationId::parse(&r.try_get::<String, _>("station_id")?).map_err(bad)?,
            date: r.try_get::<NaiveDate, _>("date")?,
            half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
            lawyer_id: LawyerId::parse(&r.try_get::<String, _>("lawyer_id")?).map_err(bad)?,
            role: Role::parse(&r.try_get::<String, _>("role")?).map_err(bad)?,
        },
        before: json(r.try_get("before")?)?,
        after: json(r.try_get("after")?)?,
        reason: r.try_get("reason")?,
        created_by: r.try_get("created_by")?,
        created_at: parse_instant(t, &key, &r.try_get::<String, _>("created_at")?)?,
    })
}

/// A centre's corrections, of one corrected month or all, oldest first.
pub async fn list_corrections(
    conn: &mut Conn,
    centre: &CentreId,
    month: Option<Month>,
) -> Result<Vec<CorrectionRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, centre_id, month, station_id, date, half_day, lawyer_id, role, before, after, \
         reason, created_by, created_at FROM corrections \
         WHERE centre_id = $1 AND ($2 = '' OR month = $2) ORDER BY id",
    )
    .bind(centre.as_str())
    .bind(month.map(|m| m.to_string()).unwrap_or_default())
    .fetch_all(conn)
    .await?;
    rows.iter().map(correction_from_row).collect()
}

/// Confirms the claimed plea agreements of `duties` (station, day, half-day, lawyer, and
/// the claim the coordinator saw) of `centre`; returns how many entries were confirmed. An
/// entry whose claim changed since it was shown is left pending, and entries of locked days
/// are left alone (they change only by correction).
pub async fn confirm_ledger(
    conn: &mut Conn,
    centre: &CentreId,
    duties: &[(StationId, NaiveDate, HalfDay, LawyerId, u32)],
    by: &str,
) -> Result<u64, StoreError> {
    super::dialect::lock_shared(&mut *conn, &format!("month:{centre}")).await?;
    let now = to_instant(Utc::now());
    let mut n = 0;
    for (station, date, half, lawyer, seen) in duties {
        n += sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE ledger_entries SET confirmed_plea_signings = plea_signings, \
             confirmed_by = $1, confirmed_at = $2 WHERE centre_id = $3 AND station_id = $4 \
             AND date = $5 AND half_day = $6 AND lawyer_id = $7 AND plea_signings = $8 AND NOT {}",
            locked_day("ledger_entries.centre_id", "ledger_entries.date")
        )))
        .bind(by)
        .bind(&now)
        .bind(centre.as_str())
        .bind(station.as_str())
        .bind(*date)
        .bind(half.code())
        .bind(lawyer.as_str())
        .bind(i64::from(*seen))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(n)
}
