//! `zhiban export`: the whole database as a data-set folder, or as a panel workbook when
//! the path ends in `.xlsx` (the layout `zhiban import` and the page's import read).

use super::{Db, ensure_writable, summary};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `zhiban export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The folder to write (created if missing), or an .xlsx file.
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
    let store = zhiban_store::connect(&db.database_url).await?;
    let ds = store.export_dataset().await?;
    if dir
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        if dir.exists() && !force {
            anyhow::bail!("{} exists: pass --force to overwrite it", dir.display());
        }
        let exported = zhiban_dataset::workbook::Exported {
            revision: store.revisions().await?.panel,
            centre_id: String::new(),
            at: chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        let files = zhiban_dataset::to_files(&ds);
        let book = zhiban_dataset::workbook::write_workbook(&files, false, Some(&exported))?;
        std::fs::write(&dir, &book).with_context(|| format!("writing {}", dir.display()))?;
        writeln!(
            out,
            "exported {} to {} ({} bytes)",
            summary(&store.counts().await?),
            dir.display(),
            book.len()
        )?;
        return Ok(());
    }
    ensure_writable(&dir, force)?;
    zhiban_dataset::write_dir(&ds, &dir).with_context(|| format!("writing {}", dir.display()))?;
    writeln!(
        out,
        "exported {} to {}",
        summary(&store.counts().await?),
        dir.display()
    )?;
    Ok(())
}
