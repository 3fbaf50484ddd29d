//! `zhiban migrate-db`: a SQLite database copied into PostgreSQL and verified.

use anyhow::{Context, bail};
use clap::Args;
use std::io::Write;
use std::time::Instant;

/// Arguments of `zhiban migrate-db`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The SQLite database: sqlite://PATH or a path.
    #[arg(long)]
    pub from: String,
    /// The PostgreSQL database: postgres://USER@HOST:PORT/DB (it must hold no rows).
    #[arg(long)]
    pub to: String,
}

/// Runs `zhiban migrate`.
pub(crate) async fn run(args: MigrateArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let MigrateArgs { from, to } = args;
    let started = Instant::now();
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        bail!("--to must be a postgres:// URL");
    }
    let report = zhiban_store::migrate::sqlite_to_postgres(&from, &to)
        .await
        .with_context(|| format!("migrating {from} to {}", zhiban_store::redact(&to)))?;
    writeln!(out, "{:<26} {:>9}  sha256 (equal in both)", "table", "rows")?;
    let mut total = 0;
    for t in &report {
        total += t.rows;
        writeln!(out, "{:<26} {:>9}  {}", t.table, t.rows, t.checksum)?;
    }
    writeln!(
        out,
        "copied and verified {total} rows in {} tables to {} in {:.2} s",
        report.len(),
        zhiban_store::redact(&to),
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}
