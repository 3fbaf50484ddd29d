//! The SQLite implementation of [`Store`](crate::Store).

//!
//! The SQL lives in `src/sql/`, shared with the PostgreSQL backend: each module there is
//! compiled once here, against SQLite's connection type and the [`dialect`] below.

#[path = "../sql/accounts.rs"]
pub mod accounts;
#[path = "../sql/accounts_impl.rs"]
mod accounts_impl;
#[path = "../sql/attendance.rs"]
pub mod attendance;
#[path = "../sql/audit.rs"]
pub mod audit;
#[path = "../sql/calendar.rs"]
pub mod calendar;
#[path = "../sql/centres.rs"]
pub mod centres;
#[path = "../sql/corrections.rs"]
pub mod corrections;
#[path = "../sql/feeds.rs"]
pub mod feeds;
#[path = "../sql/firms.rs"]
pub mod firms;
#[path = "../sql/jobs.rs"]
pub mod jobs;
#[path = "../sql/lawyers.rs"]
pub mod lawyers;
#[path = "../sql/leave_requests.rs"]
pub mod leave_requests;
#[path = "../sql/ledger.rs"]
pub mod ledger;
#[path = "../sql/notifications.rs"]
pub mod notifications;
#[path = "../sql/notifications_impl.rs"]
mod notifications_impl;
#[path = "../sql/notify_channels.rs"]
pub mod notify_channels;
#[path = "../sql/open_duties.rs"]
pub mod open_duties;
#[path = "../sql/reminders.rs"]
pub mod reminders;
#[path = "../sql/rosters.rs"]
pub mod rosters;
#[path = "../sql/settings.rs"]
pub mod settings;
#[path = "../sql/stations.rs"]
pub mod stations;
#[path = "../sql/store_impl.rs"]
mod store_impl;
#[path = "../sql/swaps.rs"]
pub mod swaps;
mod writer;

pub(crate) use crate::codec::*;

use crate::StoreError;
use crate::records::{AttendanceRecord, Audit, NewAttendance};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// The connection the shared SQL modules run on.
pub type Conn = sqlx::SqliteConnection;
/// A result row.
pub type DbRow = sqlx::sqlite::SqliteRow;
/// The database type.
pub type Db = sqlx::Sqlite;
pub(crate) type Backend = SqliteStore;

/// SQL that differs between SQLite and PostgreSQL.
pub mod dialect {
    /// The elements of the JSON array of strings bound as `$1`, as a subquery.
    pub const JSON_LIST_1: &str = "(SELECT value FROM json_each($1))";
    /// The elements of the JSON array of integers bound as `$1`, as a subquery.
    pub const JSON_INT_LIST_1: &str = "(SELECT value FROM json_each($1))";
    /// The last day of roster `r` (dates are `YYYY-MM-DD` text).
    pub const ROSTER_END: &str = "date(r.from_date, '+' || (r.weeks * 7 - 1) || ' days')";
    /// A row lock for `SELECT ... FOR UPDATE` (none: SQLite has one writer at a time).
    pub const FOR_UPDATE_SKIP_LOCKED: &str = "";

    /// The tables of the schema, by name.
    pub const LIST_TABLES: &str = "SELECT name FROM sqlite_master WHERE type = 'table' \
        AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name";
    /// The columns of table `$1`.
    pub const LIST_COLUMNS: &str = "SELECT name FROM pragma_table_info($1) ORDER BY cid";

    /// Cell `i` of a row as canonical text (see `Store::dump_tables`).
    pub fn cell(row: &super::DbRow, i: usize) -> Result<String, crate::StoreError> {
        use sqlx::{Row, TypeInfo, ValueRef};
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            return Ok("NULL".into());
        }
        let kind = raw.type_info().name().to_string();
        Ok(match kind.as_str() {
            "INTEGER" => row.try_get::<i64, _>(i)?.to_string(),
            "REAL" => format!("{:?}", row.try_get::<f64, _>(i)?),
            "BLOB" => format!("{:?}", row.try_get::<Vec<u8>, _>(i)?),
            _ => row.try_get::<String, _>(i)?,
        })
    }

    /// Serialises write transactions taking the same `key` until they end. SQLite's write
    /// transactions (`BEGIN IMMEDIATE`) already exclude each other: nothing more to take.
    pub async fn lock(_conn: &mut super::Conn, _key: &str) -> Result<(), crate::StoreError> {
        Ok(())
    }

    /// Like [`lock`] but shared: transactions taking it shared run together, and wait for
    /// one taking it with [`lock`]. Nothing to take on SQLite.
    pub async fn lock_shared(_conn: &mut super::Conn, _key: &str) -> Result<(), crate::StoreError> {
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

/// A SQLite database file (or in-memory database).
///
/// Reads use a pool of connections (WAL: readers never wait for the writer); all writes of
/// the process go through one connection with group commit (see `writer.rs`).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: writer::Writer,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite:` URL and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::InvalidUrl {
                url: url.into(),
                message: e.to_string(),
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed transaction survives power loss, not only a process crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Pages read through a memory map and a 16 MiB cache per connection, instead of a
            // read() system call for every page not in the 2 MiB default cache.
            .pragma("mmap_size", "268435456")
            .pragma("cache_size", "-16384");
        let memory = url.contains(":memory:");
        // The write connection first: it creates the file and migrates it. sqlx opens
        // `sqlite::memory:` as a named shared-cache database, so the readers below see it
        // while this connection lives (as long as the store).
        let mut conn = opts.connect().await?;
        sqlx::migrate!("./migrations/sqlite").run(&mut conn).await?;
        let readers = if memory {
            // Shared-cache readers take table locks; reading uncommitted data avoids waiting
            // on the writer's open batch (in-memory databases are for tests and demos).
            opts.clone().pragma("read_uncommitted", "true")
        } else {
            opts.clone()
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 4 })
            // No ping before each use: a connection to a local file does not go stale, and
            // the ping is one more round trip to the connection's thread for every read.
            .test_before_acquire(false)
            .connect_with(readers)
            .await?;
        Ok(Self {
            pool,
            writer: writer::Writer::new(conn),
        })
    }

    /// The pool of reading connections, for tests and tools (writes through it bypass the
    /// group commit and wait on SQLite's busy handler).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Every row of every table, as text (see [`AdminStore::dump_tables`](crate::AdminStore::dump_tables)):
    /// two databases with equal dumps hold the same content.
    pub async fn dump(&self) -> Result<String, StoreError> {
        use crate::AdminStore;
        Ok(crate::render_dump(&self.dump_tables().await?))
    }

    /// Runs SQLite's integrity check; `Ok` holds its report (`"ok"` when sound).
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.join("\n"))
    }
}

impl crate::backend::Backend for SqliteStore {
    type Db = sqlx::Sqlite;
    type WriteTx = writer::WriteTx;

    fn read_pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction on the one write connection, committed with others in a batch
    /// (`writer.rs`): `commit` returns once it is durable; dropping it rolls it back.
    async fn write(&self) -> Result<writer::WriteTx, StoreError> {
        self.writer.begin().await
    }

    /// Stores a new attendance record and its audit entry (target `attendance/<id>`) in one
    /// round trip to the write connection. `None` when the duty already has a record or the
    /// lawyer already used the idempotency key: nothing is written, and the caller's general
    /// path finds out which.
    async fn insert_new_attendance(
        &self,
        a: &NewAttendance,
        audit: &Audit,
    ) -> Result<Option<AttendanceRecord>, StoreError> {
        use attendance::COLS;
        use audit::INSERT_AUDIT;
        // The audit row's parameters are $25 to $30; its target ($29) is made from the new
        // record's id instead.
        let sql = writer::script_sql(&format!(
            "{} ON CONFLICT DO NOTHING RETURNING {COLS}; \
             {INSERT_AUDIT} SELECT $25, $26, $27, $28, 'attendance/' || last_insert_rowid(), $30 \
             WHERE changes() = 1",
            attendance::insert_new_if_open()
        ));
        let q = attendance::bind_new(sqlx::query(sqlx::AssertSqlSafe(sql)), a);
        let rows = self.writer.script(audit::bind_audit(q, audit)).await?;
        rows.first().map(attendance::from_row).transpose()
    }

    /// Checks `lawyer`'s attendance record `id` out and writes the audit entry (its centre,
    /// when the entry names none, is the record's), in one round trip to the write
    /// connection; refused as [`attendance::check_out`] says.
    async fn check_out_attendance(
        &self,
        id: i64,
        lawyer: &zhiban_domain::LawyerId,
        at: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<AttendanceRecord, StoreError> {
        // The audit row's parameters are $5 to $10.
        let sql = writer::script_sql(&format!(
            "{}; {} SELECT $5, $6, COALESCE($7, (SELECT centre_id FROM attendance WHERE id = $3)), \
             $8, $9, $10 WHERE changes() = 1",
            attendance::check_out_sql(),
            audit::INSERT_AUDIT
        ));
        let q = attendance::bind_check_out(sqlx::query(sqlx::AssertSqlSafe(sql)), id, lawyer, at);
        let rows = self.writer.script(audit::bind_audit(q, audit)).await?;
        match rows.first() {
            Some(r) => attendance::from_row(r),
            None => {
                let mut conn = self.pool.acquire().await?;
                Err(attendance::not_checked_out(&mut conn, id, lawyer, at).await)
            }
        }
    }

    /// Writes a consistent copy to a new file with `VACUUM INTO`.
    async fn backup_file(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} exists; back up to a new file",
                path.display()
            )));
        }
        let target = path.to_str().ok_or_else(|| StoreError::InvalidUrl {
            url: path.display().to_string(),
            message: "the backup path is not UTF-8".into(),
        })?;
        // VACUUM INTO takes a read transaction: writers carry on, the copy is consistent.
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
