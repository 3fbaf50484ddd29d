//! `zhiban export`: the whole database as a data-set folder.

use super::{Db, ensure_writable, summary};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `zhiban export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The folder to write (created if missing).
    pub dir: PathBuf,
    /// Overwrite files in a folder that is not empty.
    #[arg(long)]
    pub force: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub db: Db,
}

/// Runs `zhiban export`.
pub(crate) async fn run(args: ExportArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let ExportArgs { dir, force, db } = args;
    ensure_writable(&dir, force)?;
    let store = zhiban_store::connect(&db.database_url).await?;
    let ds = store.export_dataset().await?;
    zhiban_dataset::write_dir(&ds, &dir).with_context(|| format!("writing {}", dir.display()))?;
    writeln!(
        out,
        "exported {} to {}",
        summary(&store.counts().await?),
        dir.display()
    )?;
    Ok(())
}
