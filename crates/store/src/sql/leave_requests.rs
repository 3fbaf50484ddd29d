//! Leave requests: asked, listed, and decided once. Approval adds the leave to the lawyer's
//! availability in the same transaction (a panel write: the panel revision moves on).

use super::settings::{note_change, panel_write};
use super::{Conn, DbRow};
use super::{corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use sqlx::Row;
use zhiban_domain::leave_request::LeaveStatus;
use zhiban_domain::{CentreId, HalfDay, LawyerId};

const COLS: &str = "id, lawyer_id, centre_id, from_date, to_date, half_day, reason, status, \
                    requested_at, requested_by, decided_at, decided_by, note";

fn from_row(r: &DbRow) -> Result<LeaveRequest, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let t = "leave_requests";
    let bad = |m: String| corrupt(t, &key, m);
    let decided: Option<String> = r.try_get("decided_at")?;
    Ok(LeaveRequest {
        id,
        lawyer_id: LawyerId::parse(&r.try_get::<String, _>("lawyer_id")?).map_err(bad)?,
        centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?).map_err(bad)?,
        from: r.try_get("from_date")?,
        to: r.try_get("to_date")?,
        half_day: r
            .try_get::<Option<String>, _>("half_day")?
            .map(|h| HalfDay::parse(&h).map_err(bad))
            .transpose()?,
        reason: r.try_get("reason")?,
        status: LeaveStatus::parse(&r.try_get::<String, _>("status")?).map_err(bad)?,
        requested_at: parse_instant(t, &key, &r.try_get::<String, _>("requested_at")?)?,
        requested_by: r.try_get("requested_by")?,
        decided_at: decided.map(|d| parse_instant(t, &key, &d)).transpose()?,
        decided_by: r.try_get("decided_by")?,
        note: r.try_get("note")?,
    })
}

/// Stores a new request, `requested`.
pub async fn insert(conn: &mut Conn, n: &NewLeaveRequest) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO leave_requests (lawyer_id, centre_id, from_date, to_date, half_day, reason, \
         status, requested_at, requested_by) \
         VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8) RETURNING id",
    )
    .bind(n.lawyer_id.as_str())
    .bind(n.centre_id.as_str())
    .bind(n.from)
    .bind(n.to)
    .bind(n.half_day.map(HalfDay::code))
    .bind(&n.reason)
    .bind(to_instant(n.now))
    .bind(&n.requested_by)
    .fetch_one(conn)
    .await?)
}

/// A request.
pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<LeaveRequest>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM leave_requests WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Requests matching `q`, newest first.
pub async fn list(
    conn: &mut Conn,
    q: &LeaveQuery,
    page: Page,
) -> Result<Paged<LeaveRequest>, StoreError> {
    let centres = q.centres.as_ref().map(|cs| {
        serde_json::Value::from(cs.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string()
    });
    // A filter is written out only when given (`$n IS NULL` otherwise, so that every
    // parameter is used), as in `list_duties`.
    let given = |on: bool, clause: &str, n: u8| {
        if on {
            clause.to_string()
        } else {
            format!("${n} IS NULL")
        }
    };
    let filter = format!(
        "FROM leave_requests WHERE {} AND {} AND {} AND {} AND {}",
        given(
            centres.is_some(),
            &format!("centre_id IN {}", super::dialect::JSON_LIST_1),
            1
        ),
        given(q.lawyer.is_some(), "lawyer_id = $2", 2),
        given(
            q.firm.is_some(),
            "lawyer_id IN (SELECT id FROM lawyers WHERE firm_id = $3)",
            3
        ),
        given(q.status.is_some(), "status = $4", 4),
        if q.overlapping.is_some() {
            "to_date >= $5 AND from_date <= $6"
        } else {
            "$5 IS NULL AND $6 IS NULL"
        },
    );
    let binds = (
        centres,
        q.lawyer.as_ref().map(|l| l.as_str().to_string()),
        q.firm.as_ref().map(|f| f.as_str().to_string()),
        q.status.map(|s| s.code().to_string()),
        q.overlapping.map(|o| o.0),
        q.overlapping.map(|o| o.1),
    );
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {filter}")))
        .bind(&binds.0)
        .bind(&binds.1)
        .bind(&binds.2)
        .bind(&binds.3)
        .bind(binds.4)
        .bind(binds.5)
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {filter} ORDER BY id DESC LIMIT $7 OFFSET $8"
    )))
    .bind(&binds.0)
    .bind(&binds.1)
    .bind(&binds.2)
    .bind(&binds.3)
    .bind(binds.4)
    .bind(binds.5)
    .bind(i64::from(page.limit))
    .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    Ok(Paged {
        items: rows.iter().map(from_row).collect::<Result<_, _>>()?,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// Moves a `requested` request to `d.to` inside the caller's transaction; a conflict if it
/// was decided or withdrawn meanwhile (one conditional update: of two deciders, one wins on
/// either database). An approval adds the leave to the lawyer's availability.
pub async fn decide(conn: &mut Conn, d: &LeaveDecision) -> Result<LeaveRequest, StoreError> {
    let done = sqlx::query(
        "UPDATE leave_requests SET status = $1, decided_at = $2, decided_by = $3, note = $4 \
         WHERE id = $5 AND status = 'requested'",
    )
    .bind(d.to.code())
    .bind(to_instant(d.now))
    .bind(&d.by)
    .bind(&d.note)
    .bind(d.id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let r = get(&mut *conn, d.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("leave request {}", d.id)))?;
    if done == 0 {
        return Err(StoreError::Conflict(format!(
            "leave request {} was {} already",
            d.id,
            r.status.code()
        )));
    }
    if d.to == LeaveStatus::Approved {
        let mut p = panel_write(&mut *conn).await?;
        sqlx::query(
            "INSERT INTO lawyer_leave (lawyer_id, start_date, end_date, half_day, reason) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(r.lawyer_id.as_str())
        .bind(r.from)
        .bind(r.to)
        .bind(r.half_day.map_or("day", HalfDay::code))
        .bind(&r.reason)
        .execute(p.conn())
        .await?;
        note_change(&mut p, "availability", r.lawyer_id.as_str()).await?;
    }
    Ok(r)
}
