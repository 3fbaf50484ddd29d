//! Scratch databases for tests: a SQLite file in a temporary directory, or a new database on
//! the PostgreSQL server named by `ZHIBAN_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped again when the handle goes, even
//! when the test panics. A PostgreSQL server that does not answer fails the test: the
//! PostgreSQL suite is never skipped.

use std::sync::atomic::{AtomicU32, Ordering};

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// A scratch database.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// Which backend.
    pub backend: Backend,
    pg_name: Option<String>,
    dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server tests use.
pub fn pg_server() -> String {
    std::env::var("ZHIBAN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A new, empty database.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("zhiban.db").display());
                Self {
                    url,
                    backend,
                    pg_name: None,
                    dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let server = pg_server();
                let name = format!(
                    "zbt_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    chrono::Utc::now().timestamp_subsec_nanos()
                );
                if let Err(e) = zhiban_store::postgres::create_database(&server, &name).await {
                    panic!(
                        "PostgreSQL at {} is needed by this test and did not answer ({e}). \
                         Run scripts/test (it starts a local server), or point \
                         ZHIBAN_TEST_POSTGRES at a server where this user may create databases.",
                        zhiban_store::redact(&server)
                    );
                }
                Self {
                    url: zhiban_store::postgres::database_url(&server, &name),
                    backend,
                    pg_name: Some(name),
                    dir: None,
                }
            }
        }
    }

    /// A directory living as long as the database (for other files of the test).
    pub fn dir(&mut self) -> &std::path::Path {
        if self.dir.is_none() {
            self.dir = Some(tempfile::tempdir().unwrap());
        }
        self.dir.as_ref().unwrap().path()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop runs inside the test's runtime: drop the database from a thread of its own.
            let server = pg_server();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Err(e) = zhiban_store::postgres::drop_database(&server, &name).await {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                });
            })
            .join();
        }
    }
}
