//! Dev-only helpers shared by zhiban's integration tests (never published, never a
//! dependency of the product): every test gets a fresh database, on SQLite and on a real
//! PostgreSQL server, and the API tests drive the real router through one call helper.
//!
//! - [`db`]: [`TestDb`], a scratch database on a [`Backend`] (a SQLite file in a temporary
//!   directory, or a new database on the server [`pg_server`] names), dropped with the handle.
//! - [`on_both!`]: runs `async fn NAME(Backend)` as two tests, `NAME::sqlite` and
//!   `NAME::postgres`.
//! - [`TestApp`]: the real router over a fixture imported into a [`TestDb`], with a settable
//!   clock and tokens of any role; [`TestApp::send`] (and `call_with`, `call`, `get`, `post`)
//!   is the one HTTP call helper and returns a [`Reply`]; [`TestApp::wait_job`] polls a job,
//!   [`TestApp::solve_and_publish`] and [`TestApp::run_and_publish`] make and publish a
//!   version, [`TestApp::primaries`] lists its primary duties.
//! - [`fixtures_dir`], and small helpers on dates and duties: [`next_monday`], [`local`],
//!   [`add_minutes`], [`slot_key`], [`same_duty`], [`s`], [`duty_ref`], [`with_duty`], and
//!   [`small_hours`] (the hours and positions of `fixtures/small`'s stations).
//!
//! ```no_run
//! use zhiban_testkit::{Backend, TestApp, on_both};
//!
//! on_both!(the_panel_lists_its_centres);
//!
//! async fn the_panel_lists_its_centres(backend: Backend) {
//!     let t = TestApp::on(backend, "small").await;
//!     let admin = t.token(zhiban_store::TokenRole::Admin, None, None).await;
//!     assert_eq!(t.get("/api/v1/centres", &admin).await.status, 200);
//! }
//! # fn main() {}
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod app;
pub mod db;
mod values;

pub use app::{Reply, TestApp, fixtures_dir};
pub use db::{Backend, TestDb, pg_server};
pub use values::{
    add_minutes, duty_ref, local, next_monday, s, same_duty, slot_key, small_hours, with_duty,
};

/// Runs `async fn NAME(Backend)` as two tests, on SQLite (`NAME::sqlite`) and on a real
/// PostgreSQL server (`NAME::postgres`), each on a multi-threaded runtime of 2 worker
/// threads (`on_both!(worker_threads = 4; NAME, ...)` for another number).
///
/// The functions must be in scope of the invoking module; the test crate needs `tokio`
/// among its dependencies.
#[macro_export]
macro_rules! on_both {
    (worker_threads = $n:tt; $($name:ident),* $(,)?) => {$(
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = $n)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = $n)]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await
            }
        }
    )*};
    ($($name:ident),* $(,)?) => {
        $crate::on_both!(worker_threads = 2; $($name),*);
    };
}
