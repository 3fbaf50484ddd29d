//! Moving a city from its SQLite file to PostgreSQL: `zhiban migrate-db`.
//!
//! Everything is copied in one PostgreSQL transaction, ids included (identity sequences
//! are moved past them), then both databases are dumped in canonical form and compared
//! table by table: row counts and SHA-256 checksums must be equal or the command fails.
//! A target holding any row is refused before anything is written.

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{AdminStore, StoreError, table_checksums};
use sqlx::Row;

/// Tables in an order that satisfies their foreign keys (rows within a table go by id).
const TABLES: &[&str] = &[
    "settings",
    "centres",
    "firms",
    "stations",
    "station_contracted_firms",
    "demand_rules",
    "lawyers",
    "lawyer_unavailability",
    "lawyer_leave",
    "lawyer_preferences",
    "calendar_days",
    "api_tokens",
    "centre_policies",
    "rosters",
    "roster_versions",
    "assignments",
    "jobs",
    "swaps",
    "audit_log",
    "attendance",
    "ledger_entries",
    "ledger_applications",
    "subsidy_months",
    "corrections",
    "feed_tokens",
    "busy_times",
    "users",
    "user_centres",
    "sessions",
    "login_attempts",
    "imports",
    "panel_changes",
    "leave_requests",
    "open_duties",
    "open_duty_claims",
    "open_duty_bids",
    "notifications",
    "centre_channels",
    "notification_prefs",
];

/// One table as copied and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// Table.
    pub table: String,
    /// Rows in both databases.
    pub rows: u64,
    /// SHA-256 of the canonical rows, equal in both.
    pub checksum: String,
}

enum Cell {
    Int(Option<i64>),
    Bool(Option<bool>),
    Date(Option<chrono::NaiveDate>),
    Float(Option<f64>),
    Text(Option<String>),
}

/// Copies the SQLite database at `from` (a `sqlite:` URL or path) into the empty PostgreSQL
/// database at `to`, then verifies the copy. Stop the service first: writes made during the
/// copy would show up as a checksum mismatch.
pub async fn sqlite_to_postgres(from: &str, to: &str) -> Result<Vec<TableReport>, StoreError> {
    let from = if from.starts_with("sqlite:") {
        from.to_string()
    } else {
        format!("sqlite://{from}")
    };
    let path = from
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    if !from.contains(":memory:") && !std::path::Path::new(path).exists() {
        return Err(StoreError::NotFound(format!("SQLite database {path}")));
    }
    let source = SqliteStore::open(&from).await?;
    let target = PgStore::open(to).await?;

    let src_tables: Vec<String> = sqlx::query_scalar(crate::sqlite::dialect::LIST_TABLES)
        .fetch_all(source.pool())
        .await?;
    let dst_tables: Vec<String> = sqlx::query_scalar(crate::postgres::dialect::LIST_TABLES)
        .fetch_all(target.pool())
        .await?;
    for t in src_tables.iter().chain(&dst_tables) {
        if !TABLES.contains(&t.as_str()) {
            return Err(StoreError::Conflict(format!(
                "table {t} is not one migrate-db knows how to copy; upgrade zhiban"
            )));
        }
    }
    let mut tx = target.pool().begin().await?;
    for t in TABLES {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\"")))
                .fetch_one(&mut *tx)
                .await?;
        if n > 0 {
            return Err(StoreError::Conflict(format!(
                "the target database is not empty (table {t} has {n} rows); migrate into a new, empty database"
            )));
        }
    }

    let mut read = source.pool().begin().await?;
    for t in TABLES {
        let cols: Vec<(String, String)> = sqlx::query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(t)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
        let list = cols
            .iter()
            .map(|(c, _)| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        // Names come from the schema, never from input.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {list} FROM \"{t}\" ORDER BY rowid"
        )))
        .fetch_all(&mut *read)
        .await?;
        let mut cells: Vec<Vec<Cell>> = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut row = Vec::with_capacity(cols.len());
            for (i, (_, ty)) in cols.iter().enumerate() {
                row.push(match ty.as_str() {
                    "bigint" | "integer" => Cell::Int(r.try_get(i)?),
                    "boolean" => Cell::Bool(r.try_get(i)?),
                    "date" => Cell::Date(r.try_get(i)?),
                    "double precision" => Cell::Float(r.try_get(i)?),
                    _ => Cell::Text(r.try_get(i)?),
                });
            }
            cells.push(row);
        }
        // PostgreSQL takes at most 65,535 parameters per statement.
        let per_batch = (30_000 / cols.len().max(1)).max(1);
        for batch in cells.chunks(per_batch) {
            let mut q =
                sqlx::QueryBuilder::<sqlx::Postgres>::new(format!("INSERT INTO \"{t}\" ({list}) "));
            q.push_values(batch, |mut b, row| {
                for c in row {
                    match c {
                        Cell::Int(v) => b.push_bind(*v),
                        Cell::Bool(v) => b.push_bind(*v),
                        Cell::Date(v) => b.push_bind(*v),
                        Cell::Float(v) => b.push_bind(*v),
                        Cell::Text(v) => b.push_bind(v.clone()),
                    };
                }
            });
            q.build().execute(&mut *tx).await?;
        }
        if cols.iter().any(|(c, _)| c == "id") && cols.first().is_some_and(|(_, ty)| ty == "bigint")
        {
            let seq: Option<String> = sqlx::query_scalar("SELECT pg_get_serial_sequence($1, 'id')")
                .bind(t)
                .fetch_one(&mut *tx)
                .await?;
            if seq.is_some() {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), \
                     GREATEST(COALESCE(MAX(id), 0), 1), MAX(id) IS NOT NULL) FROM \"{t}\""
                )))
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    read.commit().await?;
    tx.commit().await?;

    let a = table_checksums(&source.dump_tables().await?);
    let b = table_checksums(&target.dump_tables().await?);
    let mut report = Vec::new();
    for t in TABLES {
        let (x, y) = (a.get(*t), b.get(*t));
        if x != y {
            return Err(StoreError::Conflict(format!(
                "verification failed for table {t}: source {x:?}, target {y:?}; the target \
                 holds a partial copy, drop it and migrate again with the service stopped"
            )));
        }
        if let Some((rows, checksum)) = x {
            report.push(TableReport {
                table: (*t).to_string(),
                rows: *rows,
                checksum: checksum.clone(),
            });
        }
    }
    Ok(report)
}
