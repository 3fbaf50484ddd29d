//! zhiban's API tests, one binary (`cargo test -p zhiban-api --test api`), one module per
//! area. They drive the real router with `oneshot` over a fresh database per test, on
//! SQLite and on a real PostgreSQL server (`helpers`, from `zhiban-testkit`), or run the
//! real `zhiban` binary as a process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod browser;
mod browser_daily;
mod browser_notify;
mod browser_people;
mod cli;
mod contract;
mod crash;
mod display;
mod duty_review;
mod fairness;
mod feeds;
mod feeds_trust;
mod http;
mod imports;
mod instances;
mod leave;
mod money;
mod money_property;
mod notifications;
mod notify_alerts;
mod notify_channels;
mod notify_crash;
mod notify_reminders;
mod notify_smtp;
mod notify_staff;
mod open_bids;
mod open_duties;
mod panel_admin;
mod panel_files;
mod people;
mod poster;
mod presence;
mod privacy;
mod reports;
mod roster_export;
mod roster_pdf;
mod schemathesis;
mod solver_trust;
mod statements;
mod swaps;
mod tenancy;
mod trust;
mod upgrade;
mod walk;
