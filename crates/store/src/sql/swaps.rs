//! Swaps: offers, their states, and the published version an approval makes.

use super::dialect::JSON_LIST_1;
use super::rosters::*;
use super::{Conn, DbRow};
use super::{corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::Utc;
use sqlx::Row;
use zhiban_domain::{CentreId, FirmId, HalfDay, LawyerId, Role, StationId};

const SWAP_COLS: &str = "id, roster_id, version_id, station_id, date, half_day, role, from_lawyer, \
                         to_lawyer, status, note, created_at, decided_at, decided_by, result_version_id";

fn swap_from_row(r: &DbRow) -> Result<SwapRecord, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let t = "swaps";
    let bad = |m: String| corrupt(t, &key, m);
    Ok(SwapRecord {
        id,
        roster_id: r.try_get("roster_id")?,
        version_id: r.try_get("version_id")?,
        station_id: StationId::parse(&r.try_get::<String, _>("station_id")?).map_err(bad)?,
        date: r.try_get("date")?,
        half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
        role: Role::parse(&r.try_get::<String, _>("role")?).map_err(bad)?,
        from_lawyer: LawyerId::parse(&r.try_get::<String, _>("from_lawyer")?).map_err(bad)?,
        to_lawyer: LawyerId::parse(&r.try_get::<String, _>("to_lawyer")?).map_err(bad)?,
        status: SwapStatus::parse(&r.try_get::<String, _>("status")?).map_err(bad)?,
        note: r.try_get("note")?,
        created_at: parse_instant(t, &key, &r.try_get::<String, _>("created_at")?)?,
        decided_at: opt_instant(t, &key, r.try_get("decided_at")?)?,
        decided_by: r.try_get("decided_by")?,
        result_version_id: r.try_get("result_version_id")?,
    })
}

/// A swap.
pub async fn get_swap(conn: &mut Conn, id: i64) -> Result<Option<SwapRecord>, StoreError> {
    let sql = format!("SELECT {SWAP_COLS} FROM swaps WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(swap_from_row)
        .transpose()
}

/// Swaps of some centres' rosters and/or involving one lawyer, newest first.
pub async fn list_swaps(
    conn: &mut Conn,
    centres: Option<&[CentreId]>,
    lawyer: Option<&LawyerId>,
    firm: Option<&FirmId>,
    page: Page,
) -> Result<Paged<SwapRecord>, StoreError> {
    let centres = centres.map(|cs| {
        serde_json::Value::from(cs.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string()
    });
    let lawyer = lawyer.map(|l| l.as_str().to_string());
    let firm = firm.map(|f| f.as_str().to_string());
    // Each filter is written out only when it is given (`$n IS NULL` otherwise, so every
    // parameter is still used), as in `list_duties`: an `OR` of an unused filter would keep
    // the planners from the indexes.
    let given = |on: bool, clause: &str, n: u8| {
        if on {
            clause.to_string()
        } else {
            format!("${n} IS NULL")
        }
    };
    let filter = format!(
        "FROM swaps s JOIN rosters r ON r.id = s.roster_id WHERE {} AND {} AND {}",
        given(
            centres.is_some(),
            &format!("r.centre_id IN {JSON_LIST_1}"),
            1
        ),
        given(
            lawyer.is_some(),
            "(s.from_lawyer = $2 OR s.to_lawyer = $2)",
            2
        ),
        given(
            firm.is_some(),
            "(s.from_lawyer IN (SELECT id FROM lawyers WHERE firm_id = $3) \
             OR s.to_lawyer IN (SELECT id FROM lawyers WHERE firm_id = $3))",
            3
        ),
    );
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {filter}")))
        .bind(&centres)
        .bind(&lawyer)
        .bind(&firm)
        .fetch_one(&mut *conn)
        .await?;
    let cols = SWAP_COLS
        .split(", ")
        .map(|c| format!("s.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {cols} {filter} ORDER BY s.id DESC LIMIT $4 OFFSET $5"
    )))
    .bind(&centres)
    .bind(&lawyer)
    .bind(&firm)
    .bind(i64::from(page.limit))
    .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    Ok(Paged {
        items: rows.iter().map(swap_from_row).collect::<Result<_, _>>()?,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// Stores a new swap offer.
pub async fn insert_swap(conn: &mut Conn, s: &NewSwap) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO swaps (roster_id, version_id, station_id, date, half_day, role, from_lawyer, \
         to_lawyer, status, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'offered', $9, $10) RETURNING id",
    )
    .bind(s.roster_id)
    .bind(s.version_id)
    .bind(s.duty.station_id.as_str())
    .bind(s.duty.date)
    .bind(s.duty.half_day.code())
    .bind(s.duty.role.code())
    .bind(s.duty.lawyer_id.as_str())
    .bind(s.to_lawyer.as_str())
    .bind(&s.note)
    .bind(to_instant(Utc::now()))
    .fetch_one(conn)
    .await?)
}

/// Moves a swap from one of `from` to `to`; a conflict if it is in neither.
pub async fn set_swap_status(
    conn: &mut Conn,
    id: i64,
    from: &[SwapStatus],
    to: SwapStatus,
    by: &str,
    result_version: Option<i64>,
) -> Result<(), StoreError> {
    let roster: Option<i64> = sqlx::query_scalar("SELECT roster_id FROM swaps WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(r) = roster {
        lock_roster(&mut *conn, r).await?;
    }
    let current = get_swap(&mut *conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("swap {id}")))?;
    if !from.contains(&current.status) {
        return Err(StoreError::Conflict(format!(
            "swap {id} is {}, it cannot become {}",
            current.status.code(),
            to.code()
        )));
    }
    sqlx::query(
        "UPDATE swaps SET status = $1, decided_at = $2, decided_by = $3, \
         result_version_id = COALESCE($4, result_version_id) WHERE id = $5",
    )
    .bind(to.code())
    .bind(to_instant(Utc::now()))
    .bind(by)
    .bind(result_version)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
