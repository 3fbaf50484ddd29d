//! The `zhiban` command line: one module per command, each with its arguments and `run`.
//!
//! - [`import`], [`export`]: data-set folders in and out;
//! - [`backup`]: a consistent SQLite copy; [`migrate`]: SQLite into PostgreSQL;
//! - [`serve`]: the HTTP service (its wiring is `crate::startup`);
//! - [`solve`]: a roster from the command line;
//! - [`token`]: machine and station tokens; [`user`]: people's accounts; [`fixtures`]:
//!   synthetic data sets.

pub mod backup;
pub mod export;
pub mod fixtures;
pub mod history;
pub mod import;
pub mod migrate;
pub mod serve;
pub mod solve;
pub mod token;
pub mod user;

pub use fixtures::{FixturesCommand, Profile};
pub use solve::SolveArgs;
pub use token::{IssuedToken, TokenCommand, create_station_token, create_token};

use anyhow::bail;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use zhiban_store::Counts;

/// Duty-lawyer rosters for legal-aid centres (值班律师排班).
#[derive(Debug, Parser)]
#[command(
    name = "zhiban",
    version,
    about = "zhiban (值班): duty-lawyer rosters for legal-aid centres",
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct Db {
    /// Database URL: sqlite://PATH (created if missing) or sqlite::memory:.
    #[arg(
        long,
        env = "ZHIBAN_DATABASE_URL",
        default_value = "sqlite://zhiban.db"
    )]
    pub database_url: String,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a data-set folder (CSV files and settings.toml) in one transaction: a bad
    /// row rejects the whole import, naming file, row and column, and changes nothing.
    Import(import::ImportArgs),
    /// Export the whole panel, demand, availability and calendar to a data-set folder.
    Export(export::ExportArgs),
    /// Run the HTTP service.
    Serve(serve::ServeArgs),
    /// Copy a SQLite database into a new, empty PostgreSQL database, then verify the copy
    /// table by table (row counts and SHA-256 checksums). Stop the service first.
    MigrateDb(migrate::MigrateArgs),
    /// Make a roster: assign lawyers to every half-day slot of the period, optimally, and
    /// explain what stays uncovered.
    Solve(SolveArgs),
    /// Copy the whole database to a new SQLite file while the service keeps running, then
    /// check the copy's integrity.
    Backup(backup::BackupArgs),
    /// API tokens: create (printed once, stored hashed) and revoke.
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// People's accounts: create (printing a one-time invitation code) and reset.
    User {
        /// What to do with accounts.
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Make a year of duty work on the panel in the database (seeded, repeatable): rosters
    /// solved and published, check-ins, ledgers, months approved. For the demo and the
    /// reports' benchmarks.
    DemoHistory(history::HistoryArgs),
    /// Synthetic data sets.
    Fixtures {
        /// What to do with fixtures.
        #[command(subcommand)]
        command: FixturesCommand,
    },
}

/// Prints one informational line of `serve` and flushes it. A closed or broken standard output
/// (a supervisor that stopped reading, `| head -1`) must not stop the service: the line is
/// then only logged (without the demo token).
pub(crate) fn say(out: &mut dyn Write, line: std::fmt::Arguments<'_>) {
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        tracing::warn!(error = %e, "standard output is closed; serving on");
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZHIBAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, &mut std::io::stdout())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Today in China, for validating licence dates.
pub(crate) fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&zhiban_domain::DEFAULT_TIME_ZONE)
        .date_naive()
}

/// Runs one command, writing its report to `out`.
pub async fn run(cli: Cli, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    match cli.command {
        Command::Import(args) => import::run(args, out).await,
        Command::Export(args) => export::run(args, out).await,
        Command::Backup(args) => backup::run(args, out).await,
        Command::MigrateDb(args) => migrate::run(args, out).await,
        Command::Serve(args) => serve::run(args, out).await,
        Command::Solve(args) => solve::run(args, out).await,
        Command::Token { command } => token::run(command, out).await,
        Command::User { command } => user::run(command, out).await,
        Command::Fixtures { command } => fixtures::run(command, out),
        Command::DemoHistory(args) => history::run(args, out).await,
    }
}

pub(crate) fn summary(c: &Counts) -> String {
    format!(
        "{} centres, {} firms, {} stations, {} demand rules, {} lawyers, {} leave records, {} calendar days",
        c.centres, c.firms, c.stations, c.demand, c.lawyers, c.leave, c.calendar
    )
}

pub(crate) fn ensure_writable(dir: &Path, force: bool) -> anyhow::Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a folder", dir.display());
        }
        let non_empty = std::fs::read_dir(dir)?.next().is_some();
        if non_empty && !force {
            bail!(
                "{} is not empty; pass --force to overwrite its files",
                dir.display()
            );
        }
    }
    Ok(())
}
