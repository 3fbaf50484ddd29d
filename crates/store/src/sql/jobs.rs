//! Solve and repair jobs: queueing, leases across processes, progress and the end.

use super::dialect::FOR_UPDATE_SKIP_LOCKED;
use super::rosters::*;
use super::{Conn, DbRow};
use super::{corrupt, decode_doc, encode_doc, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::Utc;
use sqlx::Row;
use zhiban_domain::CentreId;

const JOB_COLS: &str = "id, centre_id, kind, status, request, progress, error, roster_id, \
                        version_id, created_at, created_by, started_at, finished_at, worker, \
                        heartbeat_at, attempts";

fn job_from_row(r: &DbRow) -> Result<JobRecord, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let t = "jobs";
    let json = |raw: String| {
        serde_json::from_str::<serde_json::Value>(&raw).map_err(|e| corrupt(t, &key, e.to_string()))
    };
    Ok(JobRecord {
        id,
        centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?)
            .map_err(|m| corrupt(t, &key, m))?,
        kind: match r.try_get::<String, _>("kind")?.as_str() {
            "solve" => JobKind::Solve,
            "repair" => JobKind::Repair,
            other => return Err(corrupt(t, &key, format!("unknown kind {other:?}"))),
        },
        status: JobStatus::parse(&r.try_get::<String, _>("status")?)
            .map_err(|m| corrupt(t, &key, m))?,
        request: json(r.try_get("request")?)?,
        progress: r
            .try_get::<Option<String>, _>("progress")?
            .map(|raw| decode_doc(t, &key, &raw))
            .transpose()?,
        error: r.try_get("error")?,
        roster_id: r.try_get("roster_id")?,
        version_id: r.try_get("version_id")?,
        created_at: parse_instant(t, &key, &r.try_get::<String, _>("created_at")?)?,
        created_by: r.try_get("created_by")?,
        started_at: opt_instant(t, &key, r.try_get("started_at")?)?,
        finished_at: opt_instant(t, &key, r.try_get("finished_at")?)?,
        worker: r.try_get("worker")?,
        heartbeat_at: opt_instant(t, &key, r.try_get("heartbeat_at")?)?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(0),
    })
}

/// A job.
pub async fn get_job(conn: &mut Conn, id: i64) -> Result<Option<JobRecord>, StoreError> {
    let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(job_from_row)
        .transpose()
}

/// Queues a job; a centre with a queued or running job gets a conflict.
pub async fn insert_job(
    conn: &mut Conn,
    centre: &CentreId,
    kind: JobKind,
    request: &serde_json::Value,
    roster_id: Option<i64>,
    by: &str,
) -> Result<i64, StoreError> {
    let kind = match kind {
        JobKind::Solve => "solve",
        JobKind::Repair => "repair",
    };
    let r = sqlx::query_scalar(
        "INSERT INTO jobs (centre_id, kind, status, request, roster_id, created_at, created_by) \
         VALUES ($1, $2, 'queued', $3, $4, $5, $6) RETURNING id",
    )
    .bind(centre.as_str())
    .bind(kind)
    .bind(request.to_string())
    .bind(roster_id)
    .bind(to_instant(Utc::now()))
    .bind(by)
    .fetch_one(conn)
    .await;
    match r {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
            format!("centre {centre} already has a roster being solved; wait for it to finish"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Leases the oldest queued job to `worker`: it becomes running, its attempts count up.
/// On PostgreSQL the row is taken `FOR UPDATE SKIP LOCKED`, so processes claiming at the
/// same moment each get a different job (or none); SQLite has one writer at a time.
pub async fn claim_next_job(
    conn: &mut Conn,
    worker: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Option<JobRecord>, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET status = 'running', worker = $1, heartbeat_at = $2, \
         started_at = COALESCE(started_at, $2), attempts = attempts + 1 \
         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 \
         {FOR_UPDATE_SKIP_LOCKED}) AND status = 'queued' RETURNING id"
    )))
    .bind(worker)
    .bind(to_instant(now))
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => get_job(conn, id).await,
        None => Ok(None),
    }
}

/// Renews `worker`'s lease on a running job; false when it holds the lease no more.
pub async fn heartbeat_job(
    conn: &mut Conn,
    id: i64,
    worker: &str,
    now: chrono::DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = sqlx::query(
        "UPDATE jobs SET heartbeat_at = $1 WHERE id = $2 AND worker = $3 AND status = 'running'",
    )
    .bind(to_instant(now))
    .bind(id)
    .bind(worker)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Takes back running jobs whose lease was last renewed before `stale_before` (their
/// process died): queued again while they have had fewer than `max_attempts`, failed
/// otherwise. Returns (requeued, failed).
pub async fn requeue_stale_jobs(
    conn: &mut Conn,
    stale_before: chrono::DateTime<Utc>,
    max_attempts: u32,
    now: chrono::DateTime<Utc>,
) -> Result<(u64, u64), StoreError> {
    let stale = to_instant(stale_before);
    let failed = sqlx::query(
        "UPDATE jobs SET status = 'failed', finished_at = $1, \
         error = 'interrupted: the process running it stopped ' || attempts || ' time(s); not retried again' \
         WHERE status = 'running' AND COALESCE(heartbeat_at, '') < $2 AND attempts >= $3",
    )
    .bind(to_instant(now))
    .bind(&stale)
    .bind(i64::from(max_attempts))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let requeued = sqlx::query(
        "UPDATE jobs SET status = 'queued', worker = NULL, heartbeat_at = NULL, progress = NULL \
         WHERE status = 'running' AND COALESCE(heartbeat_at, '') < $1",
    )
    .bind(&stale)
    .execute(conn)
    .await?
    .rows_affected();
    Ok((requeued, failed))
}

/// Records a running job's progress.
pub async fn set_job_progress(
    conn: &mut Conn,
    id: i64,
    progress: &zhiban_domain::JobProgress,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE jobs SET progress = $1, heartbeat_at = $2 WHERE id = $3 AND status = 'running'",
    )
    .bind(encode_doc(progress))
    .bind(to_instant(Utc::now()))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a job: succeeded with a version, or failed with a reason.
pub async fn finish_job(
    conn: &mut Conn,
    id: i64,
    worker: &str,
    result: Result<i64, &str>,
) -> Result<(), StoreError> {
    let (status, version, error) = match result {
        Ok(v) => ("succeeded", Some(v), None),
        Err(e) => ("failed", None, Some(e)),
    };
    let roster: Option<i64> = match version {
        Some(v) => {
            sqlx::query_scalar("SELECT roster_id FROM roster_versions WHERE id = $1")
                .bind(v)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    let n = sqlx::query(
        "UPDATE jobs SET status = $1, version_id = $2, roster_id = COALESCE($3, roster_id), \
         error = $4, finished_at = $5 WHERE id = $6 AND status = 'running' AND worker = $7",
    )
    .bind(status)
    .bind(version)
    .bind(roster)
    .bind(error)
    .bind(to_instant(Utc::now()))
    .bind(id)
    .bind(worker)
    .execute(conn)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(StoreError::Conflict(format!(
            "job {id} is no longer leased to {worker}; its result is dropped"
        )));
    }
    Ok(())
}
