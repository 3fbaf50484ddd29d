//! The SQLite implementation of [`Store`].

//!
//! The SQL lives in `src/sql/`, shared with the PostgreSQL backend: each module there is
//! compiled once here, against SQLite's connection type and the [`dialect`] below.

#[path = "../sql/attendance.rs"]
pub mod attendance;
#[path = "../sql/audit.rs"]
pub mod audit;
#[path = "../sql/calendar.rs"]
pub mod calendar;
#[path = "../sql/centres.rs"]
pub mod centres;
#[path = "../sql/feeds.rs"]
pub mod feeds;
#[path = "../sql/firms.rs"]
pub mod firms;
#[path = "../sql/lawyers.rs"]
pub mod lawyers;
#[path = "../sql/rosters.rs"]
pub mod rosters;
#[path = "../sql/settings.rs"]
pub mod settings;
#[path = "../sql/stations.rs"]
pub mod stations;
#[path = "../sql/store_impl.rs"]
mod store_impl;

pub(crate) use crate::codec::*;

use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// The connection the shared SQL modules run on.
pub type Conn = sqlx::SqliteConnection;
/// A result row.
pub type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) type Backend = SqliteStore;

/// SQL that differs between SQLite and PostgreSQL.
pub mod dialect {
    /// The elements of the JSON array of strings bound as `$1`, as a subquery.
    pub const JSON_LIST_1: &str = "(SELECT value FROM json_each($1))";
    /// The last day of roster `r` (dates are `YYYY-MM-DD` text).
    pub const ROSTER_END: &str = "date(r.from_date, '+' || (r.weeks * 7 - 1) || ' days')";
    /// A row lock for `SELECT ... FOR UPDATE` (none: SQLite has one writer at a time).
    pub const FOR_UPDATE_SKIP_LOCKED: &str = "";

    /// Serialises writers of one centre. SQLite's write transactions (`BEGIN IMMEDIATE`)
    /// already exclude each other, so there is nothing more to take.
    pub async fn lock_centre(_conn: &mut super::Conn, _centre: &str) -> Result<(), crate::StoreError> {
        Ok(())
    }
}

/// A SQLite database file (or in-memory database).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
            .busy_timeout(Duration::from_secs(10));
        let memory = url.contains(":memory:");
        let pool = SqlitePoolOptions::new()
            // An in-memory database lives in one connection.
            .max_connections(if memory { 1 } else { 8 })
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock at once, so two writers
    /// queue on the busy timeout instead of one failing when it upgrades a read lock.
    pub(crate) async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// The connection pool, for tests and tools.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Every row of every table, as text, in key order: two databases with equal dumps
    /// hold the same content.
    pub async fn dump(&self) -> Result<String, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> '_sqlx_migrations' ORDER BY name",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut out = String::new();
        for t in tables {
            let cols: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                    .bind(&t)
                    .fetch_all(&mut *conn)
                    .await?;
            // Table and column names come from the schema itself, not from input.
            let expr = cols
                .iter()
                .map(|c| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT {expr} FROM \"{t}\" ORDER BY 1"
            )))
            .fetch_all(&mut *conn)
            .await?;
            out.push_str(&format!("## {t} ({})\n", cols.join(", ")));
            for r in rows {
                out.push_str(&r);
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// Runs SQLite's integrity check; `Ok` holds its report (`"ok"` when sound).
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.join("\n"))
    }

    /// Writes a consistent copy to a new file with `VACUUM INTO`.
    pub(crate) async fn backup_file(&self, path: &std::path::Path) -> Result<(), StoreError> {
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
