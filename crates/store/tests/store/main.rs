//! The store against real databases: SQLite files and a real PostgreSQL server
//! (`zhiban_testkit::TestDb`). Every test of the `Store` trait runs on both (`…::sqlite`
//! and `…::postgres`). One binary (`cargo test -p zhiban-store --test store`), one module
//! per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod connect;
mod import;
mod jobs;
mod ledger;
mod rosters;
mod writes;
