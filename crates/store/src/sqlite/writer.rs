//! Group commit for SQLite: one write connection, and the write transactions of many
//! callers committed together.
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` every commit waits for an
//! fsync. Letting each request open its own `BEGIN IMMEDIATE` on a pool of connections makes
//! writers poll SQLite's busy handler (sleeping up to 100 ms at a time) and pay one fsync
//! each. Instead all writes of a process go through one connection, handed out in arrival
//! order (a fair mutex). A caller's transaction is a `SAVEPOINT` inside one open SQLite
//! transaction; when it commits, its savepoint is released and it waits until a background
//! flusher has committed the whole batch: the flusher queues on the same mutex, so it commits
//! once every caller that was waiting before it has written. Under load one fsync covers many
//! writes; alone, a write commits at once. Nothing is acknowledged before its batch is durable,
//! and a failed batch commit is reported to every caller in it.
//!
//! A caller that drops its transaction without committing (an error, a cancelled request) has
//! its savepoint rolled back before anyone else writes, so its half-done work never commits.
//!
//! Every statement is a round trip to sqlx's connection thread (two thread switches), and
//! those of a transaction are made while holding the one writer. The writes that run under
//! load (check-in, check-out) are therefore sent as one [`Writer::script`]: savepoint,
//! statements and release in a single round trip.

use crate::StoreError;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex as StdMutex, Weak};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, watch};

/// The write connection and the state of the open batch.
#[derive(Debug)]
pub(crate) struct State {
    conn: SqliteConnection,
    /// An SQLite transaction (the batch) is open.
    open: bool,
    /// The number of the open (or next) batch.
    batch: u64,
    /// The last holder left its savepoint neither released nor rolled back.
    dirty: bool,
    /// The number of the last batch finished (committed or failed), plus one.
    finished: watch::Sender<u64>,
}

/// Batches that failed to commit, by number, with the error (the recent ones).
type Failures = StdMutex<BTreeMap<u64, String>>;

/// Hands out write transactions on the one write connection.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    state: Arc<Mutex<State>>,
    flush: Arc<Notify>,
    finished: watch::Receiver<u64>,
    failures: Arc<Failures>,
}

impl Writer {
    /// Takes over `conn` (not in a transaction) and starts the flusher task.
    pub(crate) fn new(conn: SqliteConnection) -> Self {
        let (finished_tx, finished) = watch::channel(0);
        let state = Arc::new(Mutex::new(State {
            conn,
            open: false,
            batch: 0,
            dirty: false,
            finished: finished_tx,
        }));
        let flush = Arc::new(Notify::new());
        let failures = Arc::new(Failures::default());
        tokio::spawn(flusher(
            Arc::downgrade(&state),
            flush.clone(),
            failures.clone(),
        ));
        Self {
            state,
            flush,
            finished,
            failures,
        }
    }

    /// A write transaction: waits its turn, then opens a savepoint in the current batch.
    pub(crate) async fn begin(&self) -> Result<WriteTx, StoreError> {
        let mut g = self.state.clone().lock_owned().await;
        self.open_batch(&mut g).await?;
        // Marked dirty until the savepoint exists and is handed out, so that a cancellation
        // in between is cleaned up by the next holder.
        g.dirty = true;
        sqlx::query("SAVEPOINT w").execute(&mut g.conn).await?;
        g.dirty = false;
        Ok(WriteTx {
            guard: Some(g),
            writer: self.clone(),
        })
    }

    /// Runs `query` as one write transaction in a single round trip to the connection and
    /// returns the rows it returned, once durable. Its SQL must come from [`script_sql`]: a
    /// savepoint, the statements, its release. If a statement fails the rest are not run,
    /// and the savepoint is rolled back before anyone else writes.
    ///
    /// The script runs on a task of its own, so a caller that stops waiting (a client that
    /// went away) does not cut it off half-way: it completes, and a retry finds its record.
    pub(crate) async fn script(&self, query: Script) -> Result<Vec<SqliteRow>, StoreError> {
        let writer = self.clone();
        tokio::spawn(async move { writer.run_script(query).await })
            .await
            .map_err(|e| StoreError::Conflict(format!("the write was interrupted: {e}")))?
    }

    /// The work of [`Writer::script`].
    async fn run_script(&self, query: Script) -> Result<Vec<SqliteRow>, StoreError> {
        let mut g = self.state.clone().lock_owned().await;
        self.open_batch(&mut g).await?;
        // Until the script has run to its release, a failure or cancellation leaves its
        // savepoint to be rolled back.
        g.dirty = true;
        let rows = query.fetch_all(&mut g.conn).await;
        if rows.is_ok() {
            g.dirty = false;
        }
        let batch = g.batch;
        drop(g);
        self.flush.notify_one();
        let rows = rows?;
        self.durable(batch).await?;
        Ok(rows)
    }

    /// Tidies up after the last holder and opens a batch if none is open.
    async fn open_batch(&self, g: &mut State) -> Result<(), StoreError> {
        tidy(g, &self.failures).await;
        if !g.open {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut g.conn).await?;
            g.open = true;
        }
        Ok(())
    }

    /// Waits until batch `batch` is finished; an error if it failed to commit.
    async fn durable(&self, batch: u64) -> Result<(), StoreError> {
        let mut finished = self.finished.clone();
        finished
            .wait_for(|&done| done > batch)
            .await
            .map_err(|_| StoreError::Conflict("the database writer stopped".into()))?;
        let failed = self
            .failures
            .lock()
            .ok()
            .and_then(|f| f.get(&batch).cloned());
        match failed {
            Some(message) => Err(StoreError::Database(sqlx::Error::Protocol(message))),
            None => Ok(()),
        }
    }
}

/// A query for [`Writer::script`], owning its SQL and arguments.
pub(crate) type Script = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// The SQL of a [`Writer::script`]: `statements` (separated by `;`) inside a savepoint.
pub(crate) fn script_sql(statements: &str) -> String {
    format!("SAVEPOINT w; {statements}; RELEASE SAVEPOINT w")
}

/// Rolls back a savepoint its holder abandoned. If that fails the batch is in an unknown
/// state: it is rolled back whole and reported failed to the callers waiting on it.
async fn tidy(g: &mut State, failures: &Failures) {
    if !g.dirty {
        return;
    }
    let undone = sqlx::query("ROLLBACK TO SAVEPOINT w")
        .execute(&mut g.conn)
        .await
        .and(Ok(()));
    let undone = match undone {
        Ok(()) => sqlx::query("RELEASE SAVEPOINT w")
            .execute(&mut g.conn)
            .await
            .and(Ok(())),
        Err(e) => Err(e),
    };
    g.dirty = false;
    if let Err(e) = undone {
        let _ = sqlx::query("ROLLBACK").execute(&mut g.conn).await;
        finish_batch(
            g,
            failures,
            Some(format!("the write batch was rolled back: {e}")),
        );
    }
}

/// Ends the open batch (committed, or failed with a message) and tells its callers.
fn finish_batch(g: &mut State, failures: &Failures, failure: Option<String>) {
    if let Some(message) = failure
        && let Ok(mut f) = failures.lock()
    {
        f.insert(g.batch, message);
        while f.len() > 1000 {
            f.pop_first();
        }
    }
    g.open = false;
    g.batch += 1;
    g.finished.send_replace(g.batch);
}

/// Commits the open batch each time a caller has released its savepoint (or abandoned it).
async fn flusher(state: Weak<Mutex<State>>, flush: Arc<Notify>, failures: Arc<Failures>) {
    loop {
        flush.notified().await;
        let Some(state) = state.upgrade() else {
            return;
        };
        let mut g = state.lock().await;
        tidy(&mut g, &failures).await;
        if g.open {
            let failure = match sqlx::query("COMMIT").execute(&mut g.conn).await {
                Ok(_) => None,
                Err(e) => {
                    let _ = sqlx::query("ROLLBACK").execute(&mut g.conn).await;
                    Some(format!("the commit failed: {e}"))
                }
            };
            finish_batch(&mut g, &failures, failure);
        }
    }
}

/// One caller's write transaction (a savepoint in the open batch). Dereferences to the
/// connection. [`commit`](crate::backend::WriteTx::commit) makes it durable; dropping it rolls it back.
#[derive(Debug)]
pub(crate) struct WriteTx {
    guard: Option<OwnedMutexGuard<State>>,
    writer: Writer,
}

impl crate::backend::WriteTx for WriteTx {
    type Conn = SqliteConnection;

    /// Releases the savepoint, lets the next caller write, and waits until the batch holding
    /// this transaction is committed.
    async fn commit(mut self) -> Result<(), StoreError> {
        let Some(mut g) = self.guard.take() else {
            return Err(StoreError::Conflict(
                "the transaction was already ended".into(),
            ));
        };
        // Until the release is done, a cancellation leaves it to be rolled back.
        g.dirty = true;
        if let Err(e) = sqlx::query("RELEASE SAVEPOINT w")
            .execute(&mut g.conn)
            .await
        {
            drop(g);
            self.writer.flush.notify_one();
            return Err(e.into());
        }
        g.dirty = false;
        let batch = g.batch;
        drop(g);
        self.writer.flush.notify_one();
        self.writer.durable(batch).await
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(g) = &mut self.guard {
            g.dirty = true;
            self.writer.flush.notify_one();
        }
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match &self.guard {
            Some(g) => &g.conn,
            None => unreachable!("a write transaction is used after it ended"),
        }
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.guard {
            Some(g) => &mut g.conn,
            None => unreachable!("a write transaction is used after it ended"),
        }
    }
}
