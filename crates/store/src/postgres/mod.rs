//! The PostgreSQL implementation of [`Store`](crate::Store), for a province running several
//! zhiban processes on one database.
//!
//! The SQL is the SQLite backend's (`src/sql/`), compiled here against PostgreSQL's
//! connection type and the [`dialect`] below; the schema is PostgreSQL's own
//! (`migrations/postgres`). Concurrency: write transactions are READ COMMITTED, and the
//! writes that check before they change (publishing, new versions, draft edits, swaps,
//! job results, month approval, check-ins) first take a transaction-scoped advisory lock
//! on their centre (or lawyer), so they queue one behind another across processes as they
//! do in SQLite's single writer; jobs are leased with `FOR UPDATE SKIP LOCKED`.

#[path = "../sql/accounts.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod accounts;
#[path = "../sql/accounts_impl.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
mod accounts_impl;
#[path = "../sql/attendance.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod attendance;
#[path = "../sql/audit.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod audit;
#[path = "../sql/calendar.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod calendar;
#[path = "../sql/centres.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod centres;
#[path = "../sql/corrections.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod corrections;
#[path = "../sql/feeds.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod feeds;
#[path = "../sql/firms.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod firms;
#[path = "../sql/jobs.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod jobs;
#[path = "../sql/lawyers.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod lawyers;
#[path = "../sql/leave_requests.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod leave_requests;
#[path = "../sql/ledger.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod ledger;
#[path = "../sql/notifications.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod notifications;
#[path = "../sql/notifications_impl.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
mod notifications_impl;
#[path = "../sql/notify_channels.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod notify_channels;
#[path = "../sql/open_duties.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod open_duties;
#[path = "../sql/reminders.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod reminders;
#[path = "../sql/rosters.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod rosters;
#[path = "../sql/settings.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod settings;
#[path = "../sql/stations.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod stations;
#[path = "../sql/store_impl.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
mod store_impl;
#[path = "../sql/swaps.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one SQL source, compiled per backend
pub mod swaps;

pub(crate) use crate::codec::*;

use crate::StoreError;
use crate::backend::WriteTx as _;
use crate::records::{AttendanceRecord, Audit, NewAttendance};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// The connection the shared SQL modules run on.
pub type Conn = sqlx::PgConnection;
/// A result row.
pub type DbRow = sqlx::postgres::PgRow;
/// The database type.
pub type Db = sqlx::Postgres;
pub(crate) type Backend = PgStore;

/// SQL that differs between SQLite and PostgreSQL.
pub mod dialect {
    /// The elements of the JSON array of strings bound as `$1`, as a subquery.
    pub const JSON_LIST_1: &str = "(SELECT json_array_elements_text($1::json))";
    /// The elements of the JSON array of integers bound as `$1`, as a subquery.
    pub const JSON_INT_LIST_1: &str = "(SELECT json_array_elements_text($1::json)::bigint)";
    /// The last day of roster `r`.
    pub const ROSTER_END: &str = "(r.from_date + (r.weeks * 7 - 1)::integer)";
    /// Row locking for job claims: a row another process is taking is skipped.
    pub const FOR_UPDATE_SKIP_LOCKED: &str = "FOR UPDATE SKIP LOCKED";

    /// The tables of the schema, by name.
    pub const LIST_TABLES: &str = "SELECT table_name::text FROM information_schema.tables \
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
        AND table_name <> '_sqlx_migrations' ORDER BY 1";
    /// The columns of table `$1`.
    pub const LIST_COLUMNS: &str = "SELECT column_name::text FROM information_schema.columns \
        WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position";

    /// Cell `i` of a row as canonical text, equal to SQLite's for the same value (flags as
    /// 0/1, dates as YYYY-MM-DD).
    pub fn cell(row: &super::DbRow, i: usize) -> Result<String, crate::StoreError> {
        use sqlx::{Row, TypeInfo, ValueRef};
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            return Ok("NULL".into());
        }
        let kind = raw.type_info().name().to_string();
        Ok(match kind.as_str() {
            "INT8" => row.try_get::<i64, _>(i)?.to_string(),
            "INT4" => row.try_get::<i32, _>(i)?.to_string(),
            "BOOL" => u8::from(row.try_get::<bool, _>(i)?).to_string(),
            "FLOAT8" => format!("{:?}", row.try_get::<f64, _>(i)?),
            "DATE" => row.try_get::<chrono::NaiveDate, _>(i)?.to_string(),
            _ => row.try_get::<String, _>(i)?,
        })
    }

    /// Takes a transaction-scoped advisory lock on `key`: other transactions taking the
    /// same key wait until this one ends, in this process or any other.
    pub async fn lock(conn: &mut super::Conn, key: &str) -> Result<(), crate::StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Like [`lock`] but shared: writers of one centre's pay facts take it shared, so that
    /// approving a month (which takes it exclusively) waits for them, and they for it.
    pub async fn lock_shared(conn: &mut super::Conn, key: &str) -> Result<(), crate::StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))")
            .bind(key)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// [`lock`] for one centre's rosters.
    pub async fn lock_centre(
        conn: &mut super::Conn,
        centre: &str,
    ) -> Result<(), crate::StoreError> {
        lock(conn, &format!("centre:{centre}")).await
    }
}

/// A PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to a `postgres://` URL and migrates the schema.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl {
            url: crate::redact(url),
            message: e.to_string(),
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        // Two processes starting at once: the migrator takes its own advisory lock.
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool, for tests and tools.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl crate::backend::Backend for PgStore {
    type Db = sqlx::Postgres;
    type WriteTx = PgWriteTx;

    fn read_pool(&self) -> &PgPool {
        &self.pool
    }

    /// A write transaction.
    async fn write(&self) -> Result<PgWriteTx, StoreError> {
        Ok(PgWriteTx(self.pool.begin().await?))
    }

    /// SQLite's one-round-trip check-in; on PostgreSQL always `None`, so that the general
    /// path (a lock on the lawyer, then separate statements) stores the record.
    async fn insert_new_attendance(
        &self,
        _a: &NewAttendance,
        _audit: &Audit,
    ) -> Result<Option<AttendanceRecord>, StoreError> {
        Ok(None)
    }

    /// Checks `lawyer`'s attendance record `id` out and writes the audit entry (its centre,
    /// when the entry names none, is the record's); refused as [`attendance::check_out`]
    /// says.
    async fn check_out_attendance(
        &self,
        id: i64,
        lawyer: &zhiban_domain::LawyerId,
        at: chrono::DateTime<chrono::Utc>,
        a: &Audit,
    ) -> Result<AttendanceRecord, StoreError> {
        let mut tx = self.write().await?;
        let rec = attendance::check_out(&mut tx, id, lawyer, at).await?;
        let mut a = a.clone();
        a.centre_id.get_or_insert_with(|| rec.centre_id.clone());
        audit::insert_audit(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// PostgreSQL is backed up with its own tools (`pg_dump`, base backups); zhiban does
    /// not write PostgreSQL backups itself.
    async fn backup_file(&self, _path: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Conflict(
            "this is a PostgreSQL database: back it up with pg_dump (see docs/OPERATIONS.md)"
                .into(),
        ))
    }
}

/// A write transaction on PostgreSQL: a transaction of the pool (READ COMMITTED).
pub(crate) struct PgWriteTx(sqlx::Transaction<'static, sqlx::Postgres>);

impl std::ops::Deref for PgWriteTx {
    type Target = sqlx::PgConnection;

    fn deref(&self) -> &sqlx::PgConnection {
        &self.0
    }
}

impl std::ops::DerefMut for PgWriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::PgConnection {
        &mut self.0
    }
}

impl crate::backend::WriteTx for PgWriteTx {
    type Conn = sqlx::PgConnection;

    async fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }
}

/// Creates database `name` on the server at `server_url` (any database URL of that server).
pub async fn create_database(server_url: &str, name: &str) -> Result<(), StoreError> {
    check_name(name)?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(server_url)
        .await?;
    // Identifiers cannot be bound; `name` was checked to be [a-z0-9_] above.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

/// Drops database `name` (if it exists) on the server at `server_url`, ending its sessions.
pub async fn drop_database(server_url: &str, name: &str) -> Result<(), StoreError> {
    check_name(name)?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(server_url)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&pool)
    .await?;
    pool.close().await;
    Ok(())
}

/// `server_url` with its database replaced by `name`.
pub fn database_url(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

fn check_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty()
        || name.len() > 63
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(StoreError::InvalidUrl {
            url: name.into(),
            message: "database names are 1 to 63 characters of a-z, 0-9 and _".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_keep_server_credentials_and_options() {
        assert_eq!(
            database_url("postgres://u:p@h:5432/test", "zb_1"),
            "postgres://u:p@h:5432/zb_1"
        );
        assert_eq!(
            database_url("postgres://h/test?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(database_url("postgres://h", "x"), "postgres://h/x");
        assert!(check_name("Robert'); DROP").is_err());
    }
}
