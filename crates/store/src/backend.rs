//! What a database backend provides, so that one body of SQL and one implementation of the
//! aggregate traits serve SQLite and PostgreSQL alike.
//!
//! The contract has two parts.
//!
//! **The store type: the [`Backend`] trait.** `sql/store_impl.rs` implements
//! [`PanelStore`](crate::PanelStore), [`RosterStore`](crate::RosterStore) and the other aggregate traits once, for the backend's store type, and
//! needs of it only what this trait declares: a pool for reads, a write transaction
//! ([`WriteTx`]), the two writes a backend may do in fewer round trips than the general path
//! (a new check-in, a check-out), and backups. [`SqliteStore`](crate::sqlite::SqliteStore)
//! and [`PgStore`](crate::postgres::PgStore) implement it.
//!
//! **The backend module: a module shape, checked by compiling.** Each backend module
//! (`sqlite/mod.rs`, `postgres/mod.rs`) compiles the SQL modules of `src/sql/` and
//! `store_impl.rs` into itself with `#[path]`, and those refer to `super::…`; so a backend
//! module provides:
//! - `Conn` (the connection the SQL functions take), `DbRow` (a result row), `Db` (the sqlx
//!   database) and `Backend` (its store type, implementing [`Backend`]);
//! - `dialect`, the SQL that differs: `JSON_LIST_1` (the elements of a JSON array of
//!   strings bound as `$1`, as a subquery), `ROSTER_END` (a roster's last day),
//!   `FOR_UPDATE_SKIP_LOCKED` (row locking for job claims), `LIST_TABLES` and
//!   `LIST_COLUMNS` (the schema, for dumps), `cell` (a cell as canonical dump text), and the
//!   transaction-scoped locks `lock`, `lock_shared` and `lock_centre` (advisory locks on
//!   PostgreSQL; nothing on SQLite, whose write transactions already exclude each other);
//! - the encodings of `codec.rs`, re-exported (`pub(crate) use crate::codec::*`).
//!
//! This part is not a trait on purpose. The SQL functions are written against one concrete
//! connection type and compiled once per backend; generic over a trait instead, every one
//! would carry sqlx's bounds for generic databases (an `Executor` bound for each connection
//! use, `Type` and `Encode` for each bound value, `Decode` and `ColumnIndex` for each cell
//! read) for no gain: a backend module missing an item, or with another signature, already
//! fails to compile, at the SQL that uses it.

use crate::StoreError;
use crate::records::{AttendanceRecord, Audit, NewAttendance};
use std::ops::DerefMut;

/// A backend's store type, as `store_impl.rs` uses it.
pub(crate) trait Backend: Send + Sync + 'static {
    /// The sqlx database.
    type Db: sqlx::Database;
    /// A write transaction.
    type WriteTx: WriteTx<Conn = <Self::Db as sqlx::Database>::Connection>;

    /// The pool reads run on (a connection, or a read transaction for a consistent
    /// snapshot).
    fn read_pool(&self) -> &sqlx::Pool<Self::Db>;

    /// Begins a write transaction. Writes of one centre that check before they change take
    /// the dialect's locks inside it; SQLite's writes are one at a time anyway.
    async fn write(&self) -> Result<Self::WriteTx, StoreError>;

    /// Stores a new attendance record and its audit entry (target `attendance/<id>`) in one
    /// round trip, where the backend can; `None` (nothing written) when the duty already has
    /// a record, the lawyer already used the idempotency key, or the backend has no such
    /// shortcut: the caller's general path then stores or finds the record.
    async fn insert_new_attendance(
        &self,
        a: &NewAttendance,
        audit: &Audit,
    ) -> Result<Option<AttendanceRecord>, StoreError>;

    /// Checks `lawyer`'s attendance record `id` out and writes the audit entry (its centre,
    /// when the entry names none, is the record's), refused as `attendance::check_out` says.
    async fn check_out_attendance(
        &self,
        id: i64,
        lawyer: &zhiban_domain::LawyerId,
        at: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<AttendanceRecord, StoreError>;

    /// Writes a consistent copy of the database to a new file, or says how this backend is
    /// backed up instead.
    async fn backup_file(&self, path: &std::path::Path) -> Result<(), StoreError>;
}

/// A write transaction: statements run on it as on a connection; it ends with
/// [`commit`](WriteTx::commit), and dropping it uncommitted rolls it back.
pub(crate) trait WriteTx: DerefMut<Target = Self::Conn> + Send {
    /// The connection it runs on.
    type Conn;

    /// Commits; returns once the transaction is durable.
    async fn commit(self) -> Result<(), StoreError>;
}
