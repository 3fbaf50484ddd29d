//! `zhiban import`: a data-set folder into the database, in one transaction.

use super::{Db, summary, today};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `zhiban import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The folder, e.g. fixtures/guangzhou.
    pub dir: PathBuf,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub db: Db,
}

/// Runs `zhiban import`.
pub(crate) async fn run(args: ImportArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let ImportArgs { dir, db } = args;
    let started = Instant::now();
    let ds = zhiban_dataset::read_dir(&dir, today())
        .map_err(|e| anyhow::anyhow!("import rejected, nothing was changed: {e}"))?;
    let store = zhiban_store::connect(&db.database_url).await?;
    let counts = store
        .import_dataset(&ds)
        .await
        .context("import rejected, nothing was changed")?;
    writeln!(
        out,
        "imported {} ({}) in {:.2}s; the database now holds {}",
        dir.display(),
        ds.settings.name,
        started.elapsed().as_secs_f64(),
        summary(&counts)
    )?;
    Ok(())
}
